//! A workload's own key and certificate: generated on the workload, kept on
//! its disk, and swapped while it runs when the certificate is renewed.
//!
//! [`WorkloadCredentials`] is what rustls asks for a certificate on every new
//! handshake, as a server and as a client, so a renewed certificate is used
//! from the next connection on without restarting anything.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rcgen::{CertificateParams, KeyPair};
use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::TlsError;
use super::bundle::{TrustBundle, certificates};
use super::files::{Access, write_atomically};
use super::identity::CertificateIdentity;
use super::provider;

/// A new private key and a signing request for it. The key never leaves the
/// workload: only the request is sent to the CA.
pub struct PendingKey {
    key: KeyPair,
    csr_pem: String,
}

impl fmt::Debug for PendingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingKey").finish_non_exhaustive()
    }
}

impl PendingKey {
    pub fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate().map_err(TlsError::rcgen)?;
        // The CA decides the identity; the request only proves the key.
        let csr_pem = CertificateParams::default()
            .serialize_request(&key)
            .and_then(|csr| csr.pem())
            .map_err(TlsError::rcgen)?;
        Ok(Self { key, csr_pem })
    }

    pub fn csr_pem(&self) -> &str {
        &self.csr_pem
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
}

#[derive(Debug)]
struct Current {
    certified: Arc<CertifiedKey>,
    identity: CertificateIdentity,
}

/// The certificate a workload presents, replaceable at run time.
pub struct WorkloadCredentials {
    current: RwLock<Arc<Current>>,
}

impl fmt::Debug for WorkloadCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadCredentials")
            .field("identity", &self.identity())
            .finish()
    }
}

impl WorkloadCredentials {
    /// From a PEM private key and the PEM certificate issued for it.
    pub fn new(key_pem: &str, cert_pem: &str, bundle: &TrustBundle) -> Result<Self, TlsError> {
        Ok(Self {
            current: RwLock::new(Arc::new(load(key_pem, cert_pem, bundle)?)),
        })
    }

    /// Present `cert_pem` (for `key_pem`) from the next handshake on.
    pub fn replace(
        &self,
        key_pem: &str,
        cert_pem: &str,
        bundle: &TrustBundle,
    ) -> Result<(), TlsError> {
        let next = Arc::new(load(key_pem, cert_pem, bundle)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(())
    }

    /// Who the current certificate says this workload is, and until when.
    pub fn identity(&self) -> CertificateIdentity {
        self.current().identity.clone()
    }

    fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn load(key_pem: &str, cert_pem: &str, bundle: &TrustBundle) -> Result<Current, TlsError> {
    let origin = Path::new("<issued certificate>");
    let leaf = certificates(cert_pem, origin)?.remove(0);
    let identity =
        CertificateIdentity::of(&leaf, bundle.network()).map_err(|e| TlsError::Invalid {
            path: origin.to_owned(),
            reason: e.to_string(),
        })?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| TlsError::Invalid {
        path: PathBuf::from("<private key>"),
        reason: e.to_string(),
    })?;
    // The CA certificate follows the leaf, so that a workload enrolling with
    // only the CA's fingerprint can find it in the handshake and pin it.
    let chain = vec![leaf, bundle.ca().clone()];
    let certified =
        CertifiedKey::from_der(chain, key, &provider()).map_err(|e| TlsError::Invalid {
            path: origin.to_owned(),
            reason: format!("the key does not fit the certificate: {e}"),
        })?;
    Ok(Current {
        certified: Arc::new(certified),
        identity,
    })
}

impl ResolvesServerCert for WorkloadCredentials {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current().certified.clone())
    }
}

impl ResolvesClientCert for WorkloadCredentials {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.current().certified.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A workload's key, certificate and trust bundle on disk:
/// `key.pem` (mode 0600), `cert.pem`, `ca.pem`.
#[derive(Debug, Clone)]
pub struct WorkloadFiles {
    dir: PathBuf,
}

impl WorkloadFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn exists(&self) -> bool {
        self.cert_path().exists() && self.key_path().exists() && self.ca_path().exists()
    }

    /// Store a key with its certificate, and the trust bundle. The key is
    /// written first: a certificate on disk always has its key beside it.
    pub fn save(&self, key_pem: &str, cert_pem: &str, ca_pem: &str) -> Result<(), TlsError> {
        let write = |path: PathBuf, text: &str, access| {
            write_atomically(&path, text.as_bytes(), access).map_err(|e| TlsError::io(&path, e))
        };
        write(self.key_path(), key_pem, Access::Private)?;
        write(self.cert_path(), cert_pem, Access::Public)?;
        write(self.ca_path(), ca_pem, Access::Public)
    }

    pub fn load(&self) -> Result<(WorkloadCredentials, TrustBundle), TlsError> {
        let read =
            |path: PathBuf| std::fs::read_to_string(&path).map_err(|e| TlsError::io(&path, e));
        let bundle = TrustBundle::load(&self.ca_path())?;
        let credentials =
            WorkloadCredentials::new(&read(self.key_path())?, &read(self.cert_path())?, &bundle)?;
        Ok((credentials, bundle))
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}
