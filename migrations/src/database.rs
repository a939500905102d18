//! How every service opens its database, so that SQLite is tuned the same
//! way wherever it is the embedded default.

use std::time::Duration;

use sea_orm_migration::sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Connect to `url` (`sqlite://…` or `postgres://…`) with a pool of
/// `postgres_connections` on PostgreSQL (SQLite has one writer anyway and
/// gets four connections).
pub async fn connect(url: &str, postgres_connections: u32) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(url, postgres_connections, SQLITE_CACHE_KIB, 4)).await
}

/// A database's connections for a service whose writes are many and small
/// (the locator's feed).
#[derive(Debug, Clone)]
pub struct Connections {
    pub read: DatabaseConnection,
    /// The same pool as `read` on PostgreSQL. On SQLite one connection of its
    /// own with a large page cache: WAL mode discards a connection's cache
    /// whenever another connection committed, so writers taking turns on a
    /// pool reread every index page they touch (measured: a third of the
    /// feed's time at 200,000 registrations). One writer keeps its cache
    /// warm, and waiting for it is a fair queue, not SQLite's busy polling.
    pub write: DatabaseConnection,
}

/// The page cache of a dedicated SQLite writer, in KiB.
const SQLITE_WRITER_CACHE_KIB: u32 = 256 * 1024;
/// The page cache of each pooled SQLite connection, in KiB.
const SQLITE_CACHE_KIB: u32 = 8 * 1024;

/// Connect to `url` with a dedicated writer on SQLite (see [`Connections`]).
pub async fn connect_split(url: &str, postgres_connections: u32) -> Result<Connections, DbErr> {
    let read = connect(url, postgres_connections).await?;
    let write = if is_sqlite(url) {
        Database::connect(options(url, 1, SQLITE_WRITER_CACHE_KIB, 1)).await?
    } else {
        read.clone()
    };
    Ok(Connections { read, write })
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn options(
    url: &str,
    postgres_connections: u32,
    sqlite_cache_kib: u32,
    sqlite_connections: u32,
) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if is_sqlite(url) {
        // WAL lets readers run beside the one writer. FULL sync: a commit
        // is on disk before it returns, so what a response reports (a
        // disclosure and its audit-ledger entry, a stored resource) survives
        // a power loss too, not only a crash (NORMAL would lose the last
        // commits). Measured on this machine's disk: ~0.3 ms per commit,
        // 3,400 small commits/s against 16,000 with NORMAL; writes are
        // batched where volume is (imports, the feed). 16 KiB pages hold a dozen ~1 KiB
        // resources each (fewer B-tree splits on import); the page cache
        // is 8 MiB per pooled connection and the WAL is checkpointed every
        // 32 MiB, which measured best for bundle imports (README).
        // Statement journals (a multi-row insert's undo) stay in memory.
        options
            .max_connections(sqlite_connections)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .page_size(16384)
                    .pragma("cache_size", format!("-{sqlite_cache_kib}"))
                    .pragma("wal_autocheckpoint", "2048")
                    .pragma("temp_store", "memory")
            });
    } else {
        options.max_connections(postgres_connections);
    }
    options
}
