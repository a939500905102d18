//! The connection a ledger's writer appends through.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::LedgerError;

/// When an SQLite commit counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// Every commit is synced to disk before it returns (`synchronous =
    /// FULL`): an acknowledged entry survives a power loss. The ledger's
    /// default: group commit pays one sync per batch, not per entry.
    #[default]
    Full,
    /// The WAL is synced only at checkpoints (`synchronous = NORMAL`): an
    /// acknowledged entry survives a crash of the process but maybe not of
    /// the machine. For benchmarks that compare.
    Normal,
}

/// A connection for [`crate::Ledger`]'s writer: on SQLite one connection
/// of its own (the writer is the only user; sharing a one-connection pool
/// with a caller that holds a transaction while it awaits an append would
/// deadlock), in WAL mode with the given sync; on PostgreSQL a small pool
/// (commits there are durable with the server's `synchronous_commit`).
///
/// The other SQLite settings match `continuum_migrations::database`, so
/// whichever connection creates the file creates it alike.
pub async fn connect_writer(
    url: &str,
    sync: SqliteSync,
) -> Result<DatabaseConnection, LedgerError> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let synchronous = match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        options.max_connections(1).map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .page_size(16384)
                .pragma("cache_size", "-8192")
                .pragma("wal_autocheckpoint", "2048")
                .pragma("temp_store", "memory")
        });
    } else {
        options.max_connections(2);
    }
    Ok(Database::connect(options).await?)
}
