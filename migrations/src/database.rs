//! How every service opens its database, so that SQLite is tuned the same
//! way wherever it is the embedded default.

use std::time::Duration;

use sea_orm_migration::sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Connect to `url` (`sqlite://…` or `postgres://…`) with a pool of
/// `postgres_connections` on PostgreSQL (SQLite has one writer anyway and
/// gets four connections).
pub async fn connect(url: &str, postgres_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; NORMAL sync in WAL
        // mode loses no committed transaction on a process crash (a power
        // loss may lose the last ones). 16 KiB pages hold a dozen ~1 KiB
        // resources each (fewer B-tree splits on import); the page cache
        // is 8 MiB per connection and the WAL is checkpointed every
        // 32 MiB, which measured best for bundle imports (README).
        options.max_connections(4).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .page_size(16384)
                .pragma("cache_size", "-8192")
                .pragma("wal_autocheckpoint", "2048")
        });
    } else {
        options.max_connections(postgres_connections);
    }
    Database::connect(options).await
}
