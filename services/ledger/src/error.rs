//! What can go wrong writing or reading the ledger. A broken chain is not an
//! error but a verdict: see [`crate::Broken`].

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::DbErr;

/// An append that returns this was not recorded, and whatever it audits
/// must not happen (audit fails closed). Cloneable: one failed group commit
/// answers every waiter of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    #[error("the audit ledger could not be written or read: {0}")]
    Store(Arc<DbErr>),
    #[error("the audit ledger's writer has stopped")]
    Closed,
    #[error("the ledger entry's body could not be encoded as JSON: {0}")]
    Body(String),
    #[error("a stored ledger row is unreadable: {0}")]
    Corrupt(String),
    #[error("invalid ledger signing key: {0}")]
    Key(String),
    #[error("ledger key file {}: {source}", path.display())]
    KeyFile {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
}

impl From<DbErr> for LedgerError {
    fn from(err: DbErr) -> Self {
        LedgerError::Store(Arc::new(err))
    }
}
