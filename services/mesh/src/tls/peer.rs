//! Who is calling: the client certificate of the connection a gRPC call
//! arrived on, verified against the network CA and read for its identity on
//! every call, so that a refusal says precisely why, and a certificate that
//! expires while its connection stays open stops working at its expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::{CertificateError, Error};
use thiserror::Error;

use super::TlsError;
use super::bundle::TrustBundle;
use super::identity::{CertificateIdentity, IdentityError, TrustDomain};
use super::verify::chain_verifier;

/// Why a call has no acceptable caller identity.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeerError {
    #[error(
        "no client certificate: this call needs the caller's network certificate (see `continuum node enroll`)"
    )]
    NoCertificate,
    #[error("client certificate refused: it was not issued by this network's CA")]
    UnknownIssuer,
    #[error("client certificate expired at {0}; the node must renew it (or re-enroll)")]
    Expired(DateTime<Utc>),
    #[error("client certificate is not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("client certificate refused: {0}")]
    Invalid(String),
    #[error("client certificate refused: {0}")]
    Identity(#[from] IdentityError),
}

impl From<PeerError> for tonic::Status {
    fn from(e: PeerError) -> Self {
        tonic::Status::unauthenticated(e.to_string())
    }
}

/// Verified certificates, by their whole DER (an exact match, so no
/// collision can stand in for a verification), so that a connection's many
/// calls verify its chain once. Bounded: cleared when full.
const CACHE_LIMIT: usize = 4096;

type Verified = HashMap<Vec<u8>, Arc<CertificateIdentity>>;

/// Checks callers' certificates for one network.
pub struct PeerVerifier {
    network: TrustDomain,
    chain: Arc<dyn ClientCertVerifier>,
    ca: CertificateDer<'static>,
    verified: Mutex<Verified>,
}

impl std::fmt::Debug for PeerVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerVerifier")
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl PeerVerifier {
    pub fn new(bundle: &TrustBundle) -> Result<Arc<Self>, TlsError> {
        Ok(Arc::new(Self {
            network: bundle.network().clone(),
            chain: chain_verifier(bundle)?,
            ca: bundle.ca().clone(),
            verified: Mutex::default(),
        }))
    }

    pub fn network(&self) -> &TrustDomain {
        &self.network
    }

    /// The verified identity of the caller of `request`, at `now`.
    pub fn caller<T>(
        &self,
        request: &tonic::Request<T>,
        now: DateTime<Utc>,
    ) -> Result<Arc<CertificateIdentity>, PeerError> {
        let certs = request.peer_certs().ok_or(PeerError::NoCertificate)?;
        let (leaf, intermediates) = certs.split_first().ok_or(PeerError::NoCertificate)?;
        let identity = self.verified(leaf, intermediates, now)?;
        if now < identity.not_before {
            return Err(PeerError::NotYetValid(identity.not_before));
        }
        if identity.not_after <= now {
            return Err(PeerError::Expired(identity.not_after));
        }
        Ok(identity)
    }

    fn verified(
        &self,
        leaf: &CertificateDer<'static>,
        intermediates: &[CertificateDer<'static>],
        now: DateTime<Utc>,
    ) -> Result<Arc<CertificateIdentity>, PeerError> {
        if let Some(identity) = self.lock().get(leaf.as_ref()) {
            return Ok(identity.clone());
        }
        // The CA certificate is the trust anchor, not an intermediate.
        let intermediates: Vec<_> = intermediates
            .iter()
            .filter(|c| **c != self.ca)
            .cloned()
            .collect();
        let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now.timestamp()).unwrap_or(0),
        ));
        self.chain
            .verify_client_cert(leaf, &intermediates, at)
            .map_err(|e| refusal(e, leaf))?;
        let identity = Arc::new(CertificateIdentity::of(leaf, &self.network)?);
        let mut verified = self.lock();
        if verified.len() >= CACHE_LIMIT {
            verified.clear();
        }
        verified.insert(leaf.to_vec(), identity.clone());
        Ok(identity)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn refusal(error: Error, leaf: &[u8]) -> PeerError {
    let validity = CertificateIdentity::of_any_network(leaf).ok();
    match error {
        // A CA with the same name but another key shows as a bad signature.
        Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => PeerError::UnknownIssuer,
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => PeerError::Expired(validity.map_or(DateTime::<Utc>::MIN_UTC, |v| v.not_after)),
        Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => PeerError::NotYetValid(validity.map_or(DateTime::<Utc>::MIN_UTC, |v| v.not_before)),
        other => PeerError::Invalid(other.to_string()),
    }
}
