//! The trust bundle: the network CA certificate every workload verifies its
//! peers against, and the network name it carries.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::TlsError;
use super::ca::fingerprint;
use super::identity::{TrustDomain, network_of_ca};

#[derive(Debug, Clone)]
pub struct TrustBundle {
    network: TrustDomain,
    ca: CertificateDer<'static>,
    roots: Arc<RootCertStore>,
}

impl TrustBundle {
    pub fn from_pem(pem: &str, origin: &Path) -> Result<Self, TlsError> {
        let ca = single_certificate(pem, origin)?;
        Self::from_der(ca, origin)
    }

    pub fn from_der(ca: CertificateDer<'static>, origin: &Path) -> Result<Self, TlsError> {
        let invalid = |reason: String| TlsError::Invalid {
            path: origin.to_owned(),
            reason,
        };
        let network = network_of_ca(&ca).map_err(|e| invalid(e.to_string()))?;
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone()).map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            network,
            ca,
            roots: Arc::new(roots),
        })
    }

    pub fn load(path: &Path) -> Result<Self, TlsError> {
        let pem = std::fs::read_to_string(path).map_err(|e| TlsError::io(path, e))?;
        Self::from_pem(&pem, path)
    }

    pub fn network(&self) -> &TrustDomain {
        &self.network
    }

    pub fn ca(&self) -> &CertificateDer<'static> {
        &self.ca
    }

    pub fn roots(&self) -> Arc<RootCertStore> {
        self.roots.clone()
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&self.ca)
    }
}

/// All certificates in a PEM text, in order.
pub(crate) fn certificates(
    pem: &str,
    origin: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            path: origin.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Invalid {
            path: origin.to_owned(),
            reason: "no certificate in the file".into(),
        });
    }
    Ok(certs)
}

/// The one certificate a PEM text must hold.
pub(crate) fn single_certificate(
    pem: &str,
    origin: &Path,
) -> Result<CertificateDer<'static>, TlsError> {
    let mut certs = certificates(pem, origin)?;
    if certs.len() != 1 {
        return Err(TlsError::Invalid {
            path: origin.to_owned(),
            reason: format!("expected one certificate, found {}", certs.len()),
        });
    }
    Ok(certs.remove(0))
}
