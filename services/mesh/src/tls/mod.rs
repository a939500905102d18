//! Machine identity on the Continuum network: the network CA, workload
//! certificates with one SPIFFE identity each, and TLS 1.3 (rustls, ring)
//! for every service-to-service call.
//!
//! Identity is only ever read from a verified certificate
//! ([`identity::CertificateIdentity`]); no request field can claim one.

mod bundle;
pub mod ca;
mod client;
mod credentials;
mod enrollment;
mod files;
pub mod identity;
mod peer;
mod renewal;
mod server;
mod verify;

use std::io;
use std::path::{Path, PathBuf};

use rustls::crypto::CryptoProvider;
use thiserror::Error;

pub use bundle::TrustBundle;
pub use ca::{IssuedCertificate, NetworkCa, Validity};
pub use client::{channel, client_config};
pub use credentials::{PendingKey, WorkloadCredentials, WorkloadFiles};
pub use enrollment::{EnrollmentToken, MalformedToken};
pub use identity::{CertificateIdentity, IdentityError, NodeId, SpiffeId, TrustDomain, Workload};
pub use peer::{PeerError, PeerVerifier};
pub use renewal::renew_periodically;
pub use server::{server_config, tls_incoming};
pub use verify::ServerIdentityVerifier;

/// What can go wrong with keys, certificates and TLS configuration.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0} already exists; a network CA is created once")]
    Exists(PathBuf),
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("certificate generation failed: {0}")]
    Generation(String),
    #[error("the certificate signing request is not acceptable: {0}")]
    BadRequest(String),
    #[error("tls configuration: {0}")]
    Config(String),
    #[error("invalid address {0}")]
    Address(String),
}

impl TlsError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        TlsError::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn rcgen(e: rcgen::Error) -> Self {
        TlsError::Generation(e.to_string())
    }
}

/// The one crypto backend (ring), with TLS 1.3's cipher suites.
pub(crate) fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}
