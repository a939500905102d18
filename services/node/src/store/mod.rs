//! The node's storage: FHIR resources with every past version, and the
//! search index, on SQLite or PostgreSQL.
//!
//! Every query goes through a [`TenantTx`], a transaction bound to one tenant:
//! its methods add the tenant to every statement, and the tables themselves
//! are private to this module, so an unscoped query cannot be written by
//! accident. On PostgreSQL each transaction also switches to a role subject
//! to row-level security and names its tenant, so a forgotten filter would
//! still see no other tenant's rows.
//!
//! What a tenant releases is also recorded in its release ledger
//! ([`ledger`]), in the same transaction as the release itself.

mod disclosures;
mod entities;
mod feed;
mod ledger;
mod tenant_tx;

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use continuum_migrations::{MigratorTrait, NodeMigrator};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, EntityTrait, IsolationLevel, Set, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use thiserror::Error;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::tenant::TenantId;
pub use disclosures::Disclosure;
pub use feed::FeedEvent;
pub use ledger::{Checkpoints, Ledgers};
pub use tenant_tx::{NewVersion, PatientCriteria, StoredRow, TenantTx};

/// A storage failure. Never carries row content.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The release ledger could not be written or read: whatever the
    /// transaction was to record must not happen.
    #[error("{0}")]
    Ledger(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::Conn(e) => StoreError::Unavailable(e.to_string()),
            DbErr::ConnectionAcquire(e) => StoreError::Unavailable(e.to_string()),
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// The node's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// One writer per tenant at a time, so that matching incoming resources
    /// to stored ones (by identifier) and writing them cannot interleave.
    /// (SQLite additionally serializes writers of different tenants; on
    /// PostgreSQL they run side by side.)
    write_locks: Arc<StdMutex<HashMap<TenantId, Arc<Mutex<()>>>>>,
    /// Each hosted tenant's release ledger, once [`Store::open_ledgers`] ran.
    ledgers: Ledgers,
}

impl Store {
    /// Connect, and bring the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let db = continuum_migrations::database::connect(url, 16).await?;
        NodeMigrator::up(&db, None).await?;
        Ok(Store {
            db,
            write_locks: Arc::default(),
            ledgers: Ledgers::default(),
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Record the configured tenants (names may change; ids never do).
    pub async fn sync_tenants<'a>(
        &self,
        tenants: impl IntoIterator<Item = (&'a TenantId, &'a str)>,
    ) -> Result<(), StoreError> {
        let rows: Vec<_> = tenants
            .into_iter()
            .map(|(id, name)| entities::tenants::ActiveModel {
                id: Set(id.as_str().to_owned()),
                name: Set(name.to_owned()),
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        entities::tenants::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(entities::tenants::Column::Id)
                    .update_column(entities::tenants::Column::Name)
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// A read transaction for `tenant`: one consistent snapshot, so a read
    /// made of several queries (a resource and its history) cannot see a
    /// write land between them.
    pub async fn read(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        let options = TransactionOptions {
            isolation_level: (self.backend() == DbBackend::Postgres)
                .then_some(IsolationLevel::RepeatableRead),
            ..TransactionOptions::default()
        };
        let tx = self.db.begin_with_options(options).await?;
        TenantTx::begin(tx, tenant.clone(), None).await
    }

    /// A write transaction for `tenant`: waits for the tenant's other writers.
    pub async fn write(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        let guard = self.write_lock(tenant).await;
        // SQLite has one writer per database, whatever the tenant. A deferred
        // transaction that reads first and then writes fails at once with
        // SQLITE_BUSY when another tenant's writer holds the lock; an
        // IMMEDIATE one takes the write lock up front and waits (busy_timeout).
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let tx = self.db.begin_with_options(options).await?;
        TenantTx::begin(tx, tenant.clone(), Some(guard)).await
    }

    /// A write transaction for `tenant` that appends to the tenant's ledger
    /// (a release, a receipt): entries it records there commit or roll back
    /// with its other writes. Fails if the tenant's ledger is not open or
    /// cannot be locked.
    pub async fn audited(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        let ledger = self.ledgers.get(tenant)?;
        let guard = self.write_lock(tenant).await;
        // Deferred on SQLite, unlike `write`: the ledger's order of locks is
        // its chain, then the database, and the first statement of
        // `lock_in` is the write that takes SQLite's write lock (waiting
        // for it as an IMMEDIATE transaction would, since nothing was read
        // before it).
        let tx = self.db.begin().await?;
        let mut tx = TenantTx::begin(tx, tenant.clone(), Some(guard)).await?;
        tx.lock_ledger(ledger).await?;
        Ok(tx)
    }

    async fn write_lock(&self, tenant: &TenantId) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.write_locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(tenant.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Close the connection pool (lets SQLite checkpoint its WAL).
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }
}
