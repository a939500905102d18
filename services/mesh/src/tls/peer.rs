//! Who is calling: the identity of the client certificate of the connection
//! a gRPC call arrived on. Read once per call, so that a certificate that
//! expires while its connection stays open stops working at its expiry.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::identity::{CertificateIdentity, IdentityError, TrustDomain};

/// Why a call has no acceptable caller identity.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeerError {
    #[error(
        "no client certificate: this call needs the caller's network certificate (see `continuum node enroll`)"
    )]
    NoCertificate,
    #[error("client certificate refused: {0}")]
    Identity(#[from] IdentityError),
    #[error("client certificate expired at {0}; reconnect with the renewed certificate")]
    Expired(DateTime<Utc>),
}

impl From<PeerError> for tonic::Status {
    fn from(e: PeerError) -> Self {
        tonic::Status::unauthenticated(e.to_string())
    }
}

/// The verified identity of the caller of `request`.
pub fn caller<T>(
    request: &tonic::Request<T>,
    network: &TrustDomain,
    now: DateTime<Utc>,
) -> Result<CertificateIdentity, PeerError> {
    let certs = request.peer_certs().ok_or(PeerError::NoCertificate)?;
    // The handshake verified the chain; the first certificate is the leaf.
    let leaf = certs.first().ok_or(PeerError::NoCertificate)?;
    let identity = CertificateIdentity::of(leaf, network)?;
    if identity.not_after <= now {
        return Err(PeerError::Expired(identity.not_after));
    }
    Ok(identity)
}
