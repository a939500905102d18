//! The network certificate authority: creates the CA once, and signs the
//! short-lived certificates of the locator and the nodes.
//!
//! The CA decides everything a certificate says. A node's signing request
//! only contributes its public key; the identity comes from the directory
//! entry the enrollment token was issued for, so a node cannot ask for a
//! name it was not given.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use super::TlsError;
use super::files::{Access, create_new};
use super::identity::{SpiffeId, TrustDomain, network_of_ca, network_uri};

const KEY_FILE: &str = "ca.key";
const CERT_FILE: &str = "ca.pem";
/// A CA certificate outlives every certificate it signs by far; replacing it
/// is a planned operator procedure (infra/README.md).
const CA_LIFETIME: Duration = Duration::days(3650);
/// Certificates are valid from a little before they are issued, so that a
/// peer whose clock runs slightly behind accepts them at once: five minutes,
/// or a quarter of a (test-short) lifetime.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Validity {
    /// Valid from now (less the allowed clock skew) for `lifetime`.
    pub fn starting(now: DateTime<Utc>, lifetime: Duration) -> Self {
        Self {
            not_before: now - CLOCK_SKEW.min(lifetime / 4),
            not_after: now + lifetime,
        }
    }
}

/// A certificate the CA signed.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub pem: String,
    pub der: CertificateDer<'static>,
    /// Lowercase hex.
    pub serial: String,
    pub validity: Validity,
}

/// The network CA, loaded with its private key.
pub struct NetworkCa {
    network: TrustDomain,
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
}

impl fmt::Debug for NetworkCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("NetworkCa")
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl NetworkCa {
    /// Create a new CA for `network` in `dir`; refuses to replace one.
    pub fn init(dir: &Path, network: &TrustDomain, now: DateTime<Utc>) -> Result<Self, TlsError> {
        let key = KeyPair::generate().map_err(TlsError::rcgen)?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "Continuum");
        name.push(DnType::CommonName, format!("{network} network CA"));
        params.distinguished_name = name;
        params.subject_alt_names = vec![SanType::URI(
            network_uri(network).try_into().map_err(TlsError::rcgen)?,
        )];
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let validity = Validity::starting(now, CA_LIFETIME);
        params.not_before = to_offset(validity.not_before);
        params.not_after = to_offset(validity.not_after);
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).map_err(TlsError::rcgen)?;

        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        if cert_path.exists() {
            return Err(TlsError::Exists(cert_path));
        }
        create_new(&key_path, key.serialize_pem().as_bytes(), Access::Private)
            .map_err(|e| TlsError::io(&key_path, e))?;
        create_new(&cert_path, cert.pem().as_bytes(), Access::Public)
            .map_err(|e| TlsError::io(&cert_path, e))?;
        Self::load(dir)
    }

    /// Load the CA from `dir` (`ca.key`, `ca.pem`).
    pub fn load(dir: &Path) -> Result<Self, TlsError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        let key_pem = read(&key_path)?;
        let cert_pem = read(&cert_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| TlsError::Invalid {
            path: key_path.clone(),
            reason: e.to_string(),
        })?;
        let cert_der = super::bundle::single_certificate(&cert_pem, &cert_path)?;
        let network = network_of_ca(&cert_der).map_err(|e| TlsError::Invalid {
            path: cert_path.clone(),
            reason: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_der(&cert_der, key).map_err(|e| TlsError::Invalid {
            path: cert_path,
            reason: e.to_string(),
        })?;
        Ok(Self {
            network,
            issuer,
            cert_pem,
            cert_der,
        })
    }

    /// Whether `dir` holds a CA.
    pub fn exists(dir: &Path) -> bool {
        dir.join(CERT_FILE).exists()
    }

    pub fn network(&self) -> &TrustDomain {
        &self.network
    }

    /// The CA certificate, which every workload trusts.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn certificate_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The SHA-256 of the CA certificate, which enrollment tokens pin.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.cert_der)
    }

    /// Sign a certificate for `id` over the public key of a signing request.
    /// Everything else in the request (its names, its extensions) is ignored.
    pub fn sign_request(
        &self,
        csr_pem: &str,
        id: &SpiffeId,
        validity: Validity,
    ) -> Result<IssuedCertificate, TlsError> {
        let request = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| TlsError::BadRequest(e.to_string()))?;
        self.issue(id, &request.public_key, validity)
    }

    /// Sign a certificate for `id` over `public_key`.
    pub fn issue(
        &self,
        id: &SpiffeId,
        public_key: &impl PublicKeyData,
        validity: Validity,
    ) -> Result<IssuedCertificate, TlsError> {
        if id.network != self.network {
            return Err(TlsError::BadRequest(format!(
                "{id} is not in this CA's network `{}`",
                self.network
            )));
        }
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "Continuum");
        name.push(DnType::CommonName, id.workload.to_string());
        params.distinguished_name = name;
        params.subject_alt_names =
            vec![SanType::URI(id.uri().try_into().map_err(TlsError::rcgen)?)];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        // Every workload both serves and calls: the locator calls nodes'
        // federation APIs, nodes call the locator.
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        params.not_before = to_offset(validity.not_before);
        params.not_after = to_offset(validity.not_after);
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        let cert = params
            .signed_by(public_key, &self.issuer)
            .map_err(TlsError::rcgen)?;
        Ok(IssuedCertificate {
            pem: cert.pem(),
            der: cert.der().clone(),
            serial: hex::encode(serial.to_bytes()),
            validity,
        })
    }
}

/// The SHA-256 of a certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// 128 random bits, positive as DER integers must be.
fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // no leading zero byte, so the hex form is stable
    SerialNumber::from_slice(&bytes)
}

fn to_offset(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|e| TlsError::io(path, e))
}

/// Where a CA lives inside a data directory.
pub fn default_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("ca")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::tls::{CertificateIdentity, IdentityError, NodeId, PendingKey, TrustBundle};

    fn network() -> TrustDomain {
        TrustDomain::new("test.local").unwrap()
    }

    #[test]
    fn a_ca_is_created_once_with_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let ca = NetworkCa::init(dir.path(), &network(), Utc::now()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            NetworkCa::init(dir.path(), &network(), Utc::now()),
            Err(TlsError::Exists(_))
        ));
        let loaded = NetworkCa::load(dir.path()).unwrap();
        assert_eq!(loaded.fingerprint(), ca.fingerprint());
        assert_eq!(loaded.network(), &network());
        assert!(!format!("{loaded:?}").contains("PRIVATE"));
    }

    #[test]
    fn the_ca_decides_the_identity_not_the_request() {
        let dir = tempfile::tempdir().unwrap();
        let ca = NetworkCa::init(dir.path(), &network(), Utc::now()).unwrap();
        let key = PendingKey::generate().unwrap();
        let id = SpiffeId::node(&network(), &NodeId::new("node-a").unwrap());
        let now = Utc::now();
        let issued = ca
            .sign_request(
                key.csr_pem(),
                &id,
                Validity::starting(now, Duration::hours(1)),
            )
            .unwrap();
        let identity = CertificateIdentity::of(&issued.der, &network()).unwrap();
        assert_eq!(identity.id, id);
        assert_eq!(identity.serial, issued.serial);
        assert!(identity.renewal_due() > now && identity.renewal_due() < identity.not_after);
        // The pair works as workload credentials under the CA's bundle.
        let bundle = TrustBundle::from_pem(ca.certificate_pem(), dir.path()).unwrap();
        crate::tls::WorkloadCredentials::new(&key.key_pem(), &issued.pem, &bundle).unwrap();
        // Read as another network's certificate, it is refused.
        let other = TrustDomain::new("other.local").unwrap();
        assert!(matches!(
            CertificateIdentity::of(&issued.der, &other),
            Err(IdentityError::ForeignNetwork { .. })
        ));
    }

    #[test]
    fn the_ca_signs_only_its_own_network_and_well_formed_requests() {
        let dir = tempfile::tempdir().unwrap();
        let ca = NetworkCa::init(dir.path(), &network(), Utc::now()).unwrap();
        let key = PendingKey::generate().unwrap();
        let validity = Validity::starting(Utc::now(), Duration::hours(1));
        let foreign = SpiffeId::locator(&TrustDomain::new("other.local").unwrap());
        assert!(matches!(
            ca.sign_request(key.csr_pem(), &foreign, validity),
            Err(TlsError::BadRequest(_))
        ));
        let id = SpiffeId::locator(&network());
        assert!(matches!(
            ca.sign_request(
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                &id,
                validity
            ),
            Err(TlsError::BadRequest(_))
        ));
    }

    #[test]
    fn short_lifetimes_keep_their_backdating_proportionate() {
        let now = Utc::now();
        let short = Validity::starting(now, Duration::seconds(8));
        assert_eq!(now - short.not_before, Duration::seconds(2));
        let long = Validity::starting(now, Duration::days(3));
        assert_eq!(now - long.not_before, CLOCK_SKEW);
    }
}
