//! Each hosted tenant's ledger (`continuum-ledger`): a hash chain per
//! tenant (chain id = the tenant id, table `release_ledger`) of what the
//! tenant released to other organizations and what it received from them,
//! and the node's signed checkpoints of it.
//!
//! An entry is appended in the transaction that records the release
//! ([`super::Store::audited`]), so the two commit or vanish together; a
//! release whose entry cannot be written fails (audit fails closed).
//!
//! The ledgers run on the store's own pool rather than on a writer
//! connection of their own (`continuum_ledger::connect_writer`): the node
//! appends only inside its transactions, never through a ledger's
//! group-committing writer, so a ledger's connection only reads heads and
//! stores checkpoints, and a connection per tenant would buy nothing. (The
//! deadlock the ledger crate warns of, a caller holding the transaction of
//! a one-connection pool while it awaits the writer, cannot arise.) An
//! entry is as durable as the release it records: they are one commit.
//!
//! Locks, in order: the tenant's writer lock (this process), the tenant's
//! advisory lock (PostgreSQL), the chain's mutex, then the chain's lock in
//! the database (PostgreSQL: an advisory lock of the ledger's own class;
//! SQLite: the write lock). Nothing takes them in another order: the
//! ledger's writer and checkpoints never take the tenant's locks.

use std::collections::BTreeMap;
use std::sync::Arc;

use continuum_ledger::payload::{Record, Release, Requester};
use continuum_ledger::{Appended, Chain, Ledger, LedgerError, LedgerKey, Now};
use continuum_mesh::clock::Clock;

use super::{Disclosure, Store, StoreError, TenantTx};
use crate::tenant::TenantId;

impl From<LedgerError> for StoreError {
    fn from(err: LedgerError) -> Self {
        StoreError::Ledger(err.to_string())
    }
}

/// The release ledger of each tenant the node hosts.
#[derive(Clone, Default)]
pub struct Ledgers {
    by_tenant: Arc<BTreeMap<TenantId, Ledger>>,
}

impl Ledgers {
    /// The tenant's ledger; an error (and so no release) if it has none.
    pub fn get(&self, tenant: &TenantId) -> Result<&Ledger, StoreError> {
        self.by_tenant.get(tenant).ok_or_else(|| {
            StoreError::Ledger(format!("tenant `{tenant}` has no release ledger open"))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&TenantId, &Ledger)> {
        self.by_tenant.iter()
    }
}

impl std::fmt::Debug for Ledgers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_tenant.keys()).finish()
    }
}

impl Store {
    /// Open the release ledger of each of `tenants` (the hosted ones), with
    /// entries timed by `clock`. Fails if a ledger's table cannot be read.
    pub async fn open_ledgers<'a>(
        &mut self,
        tenants: impl IntoIterator<Item = &'a TenantId>,
        clock: Arc<dyn Clock>,
    ) -> Result<(), StoreError> {
        let now: Now = Arc::new(move || clock.now());
        let mut by_tenant = BTreeMap::new();
        for tenant in tenants {
            let chain = Chain::node(tenant.as_str());
            let ledger = Ledger::open(self.db.clone(), chain, Arc::clone(&now)).await?;
            by_tenant.insert(tenant.clone(), ledger);
        }
        self.ledgers = Ledgers {
            by_tenant: Arc::new(by_tenant),
        };
        Ok(())
    }

    pub fn ledgers(&self) -> &Ledgers {
        &self.ledgers
    }
}

impl TenantTx {
    /// Take the tenant's chain for appends in this transaction, before it
    /// writes anything.
    pub(super) async fn lock_ledger(&mut self, ledger: &Ledger) -> Result<(), StoreError> {
        self.ledger = Some(ledger.lock_in(&self.tx).await?);
        Ok(())
    }

    /// Append the ledger entry of a release: ids and categories, never a
    /// patient's name or the records' content.
    pub(super) async fn append_release(
        &mut self,
        d: &Disclosure,
        categories: &[String],
    ) -> Result<Appended, StoreError> {
        let release = Release {
            disclosure_id: d.disclosure_id.clone(),
            patient_ids: d.patient_ids.clone(),
            requester: Requester {
                tenant: d.requester_tenant.clone(),
                practitioner_id: d.practitioner_id.clone(),
                role: d.practitioner_role.clone(),
                name: d.practitioner_name.clone(),
                professional_id: d.practitioner_professional_id.clone(),
            },
            purpose: d.purpose.clone(),
            break_glass: d.break_glass,
            break_glass_reason: Some(d.break_glass_reason.clone())
                .filter(|reason| d.break_glass && !reason.trim().is_empty()),
            released: d.released.clone(),
            categories: categories.to_vec(),
        };
        self.append(&release).await
    }

    /// Append `entry` to the tenant's chain, in this transaction.
    pub async fn append(&mut self, entry: &impl Record) -> Result<Appended, StoreError> {
        let Some(chain) = self.ledger.as_mut() else {
            return Err(StoreError::Ledger(
                "an entry is appended only in a transaction holding the tenant's ledger".into(),
            ));
        };
        Ok(chain.record(&self.tx, entry).await?)
    }
}

/// Signs checkpoints of every tenant's chain with the node's key.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    ledgers: Ledgers,
    key: Arc<LedgerKey>,
}

impl Checkpoints {
    pub fn new(ledgers: Ledgers, key: LedgerKey) -> Self {
        Self {
            ledgers,
            key: Arc::new(key),
        }
    }

    /// Sign a checkpoint of each chain with entries no checkpoint covers
    /// yet (empty chains are skipped). A chain that cannot be signed is
    /// logged and tried again next time. Returns how many were signed.
    pub async fn sign(&self) -> usize {
        let mut count = 0;
        for (tenant, ledger) in self.ledgers.iter() {
            match ledger.checkpoint_if_grown(&self.key).await {
                Ok(Some(checkpoint)) => {
                    tracing::debug!(tenant = %tenant, entries = checkpoint.count, "release ledger checkpoint signed");
                    count += 1;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(tenant = %tenant, %error, "release ledger checkpoint failed");
                }
            }
        }
        count
    }
}
