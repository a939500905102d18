//! The locator's errors, and the one place they become gRPC statuses.

use continuum_mesh::tls::TlsError;
use thiserror::Error;
use tonic::Status;

#[derive(Debug, Error)]
pub enum LocatorError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// A token or credential was refused (the message says which check failed).
    #[error("{0}")]
    Unauthenticated(String),
    /// An authenticated caller asked for something it may not do.
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored directory data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("server: {0}")]
    Serve(String),
}

impl From<sea_orm::DbErr> for LocatorError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            sea_orm::DbErr::Conn(e) => LocatorError::Unavailable(format!("database: {e}")),
            sea_orm::DbErr::ConnectionAcquire(e) => {
                LocatorError::Unavailable(format!("database: {e}"))
            }
            other => LocatorError::Database(other.to_string()),
        }
    }
}

impl From<continuum_ledger::LedgerError> for LocatorError {
    /// The audit fails closed: a change the ledger cannot record is not made.
    fn from(err: continuum_ledger::LedgerError) -> Self {
        LocatorError::Unavailable(format!(
            "the audit ledger cannot be written ({err}); nothing was changed or released"
        ))
    }
}

impl From<LocatorError> for Status {
    fn from(err: LocatorError) -> Self {
        let message = err.to_string();
        match err {
            LocatorError::InvalidArgument(_) => Status::invalid_argument(message),
            LocatorError::NotFound(_) => Status::not_found(message),
            LocatorError::Conflict(_) => Status::already_exists(message),
            LocatorError::FailedPrecondition(_) => Status::failed_precondition(message),
            LocatorError::Unauthenticated(_) => Status::unauthenticated(message),
            LocatorError::PermissionDenied(_) => Status::permission_denied(message),
            LocatorError::Unavailable(_) => Status::unavailable(message),
            LocatorError::Tls(TlsError::BadRequest(_)) => Status::invalid_argument(message),
            LocatorError::Database(_)
            | LocatorError::Corrupt(_)
            | LocatorError::Tls(_)
            | LocatorError::Config(_)
            | LocatorError::Serve(_) => {
                tracing::error!(error = %message, "internal error");
                Status::internal(
                    "internal error in the locator; the operator's logs have the details",
                )
            }
        }
    }
}

impl From<continuum_consent::ConsentError> for LocatorError {
    fn from(err: continuum_consent::ConsentError) -> Self {
        LocatorError::InvalidArgument(err.to_string())
    }
}
