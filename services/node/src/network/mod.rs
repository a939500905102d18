//! The node's membership of the network: enrollment with a one-time token,
//! the mutual-TLS link to the locator (heartbeats, certificate renewal) and
//! the federation API that only the locator may call.

mod enroll;
mod federation;
mod feed;
mod link;

pub use enroll::{Enrolled, enroll};
pub use federation::{FederationApi, LocatorOnly};
pub use feed::publish;
pub use link::LocatorLink;

use thiserror::Error;

/// What can go wrong between the node and the network.
#[derive(Debug, Error)]
pub enum NetworkError {
    #[error(transparent)]
    Tls(#[from] continuum_mesh::tls::TlsError),
    #[error(transparent)]
    Token(#[from] continuum_mesh::tls::MalformedToken),
    #[error("the locator refused: {0}")]
    Refused(String),
    #[error("the locator is unreachable: {0}")]
    Unreachable(String),
    #[error("the locator's answer is unusable: {0}")]
    BadAnswer(String),
}

impl From<tonic::Status> for NetworkError {
    fn from(status: tonic::Status) -> Self {
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown => {
                NetworkError::Unreachable(describe(&status))
            }
            _ => NetworkError::Refused(format!("{:?}: {}", status.code(), status.message())),
        }
    }
}

/// A transport failure's message, with the TLS reason underneath it.
fn describe(status: &tonic::Status) -> String {
    let mut text = status.message().to_owned();
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
