//! Appending: a writer task that group-commits what many callers append,
//! and appends inside a caller's own transaction.
//!
//! Both paths hold the chain's mutex from reading the head until their
//! transaction ends, and re-read the head inside that transaction under the
//! database's lock on the chain (see `store::lock`). Nothing is cached
//! between transactions: a failed or rolled-back append leaves no stale
//! head behind, and several locator replicas can share one chain on
//! PostgreSQL. The primary key `(chain, seq)` is the last line: an append
//! that somehow raced another fails instead of forking the chain.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc, oneshot};

use crate::canonical::to_canonical_json;
use crate::chain::Chain;
use crate::checkpoint::Checkpoint;
use crate::entry::{Appended, Entry, Head};
use crate::error::LedgerError;
use crate::key::LedgerKey;
use crate::kind::EntryKind;
use crate::payload::Record;
use crate::store;
use crate::verdict::{Broken, Verified};
use crate::verify::VerifyOptions;

/// Where the ledger's time comes from (the service's clock).
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The most appends committed in one transaction. Large enough that 256
/// concurrent appenders share one sync; small enough to bound the latency
/// of the first waiter.
const MAX_BATCH: usize = 1024;
/// Appends waiting for the writer before `append` itself waits.
const QUEUE: usize = 4 * MAX_BATCH;

/// One chain's ledger. Cheap to clone; keep one per chain per process
/// (clones share the writer and the chain's mutex). The writer task stops
/// when the last clone is dropped.
#[derive(Clone)]
pub struct Ledger {
    shared: Arc<Shared>,
    requests: mpsc::Sender<Request>,
}

struct Shared {
    db: DatabaseConnection,
    chain: Chain,
    /// Held by whoever appends to the chain in this process, until their
    /// transaction ends.
    appending: Arc<Mutex<()>>,
    now: Now,
    entries: AtomicU64,
    batches: AtomicU64,
}

struct Request {
    kind: EntryKind,
    body: String,
    reply: oneshot::Sender<Result<Appended, LedgerError>>,
}

/// Counts of what the writer committed since the ledger opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendStats {
    pub entries: u64,
    pub batches: u64,
}

impl Ledger {
    /// Open `chain` on `db` (use [`crate::connect_writer`] on SQLite) and
    /// start its writer task; fails if the chain's table cannot be read.
    pub async fn open(
        db: DatabaseConnection,
        chain: Chain,
        now: Now,
    ) -> Result<Ledger, LedgerError> {
        let shared = Arc::new(Shared {
            db,
            chain,
            appending: Arc::new(Mutex::new(())),
            now,
            entries: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        });
        shared.head().await?;
        let (requests, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write(Arc::clone(&shared), queue));
        Ok(Ledger { shared, requests })
    }

    pub fn chain(&self) -> &Chain {
        &self.shared.chain
    }

    /// Append an entry and wait until it is committed. An error means it
    /// was not recorded (nor, with it, anything of its batch).
    pub async fn append(
        &self,
        kind: EntryKind,
        body: &impl Serialize,
    ) -> Result<Appended, LedgerError> {
        // Encoded here, in the caller's task: the writer only hashes.
        let body = to_canonical_json(body)?;
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { kind, body, reply })
            .await
            .map_err(|_| LedgerError::Closed)?;
        answer.await.map_err(|_| LedgerError::Closed)?
    }

    /// Append a typed payload under its own kind.
    pub async fn record(&self, payload: &impl Record) -> Result<Appended, LedgerError> {
        self.append(payload.kind(), payload).await
    }

    /// Take the chain for appends inside the caller's transaction `tx`, so
    /// that they commit or roll back with the caller's other writes. Keep
    /// the returned lock until `tx` has committed or rolled back, and take
    /// it before `tx` writes anything (the order of locks is: chain, then
    /// database). On the node, `tx` must already act as the chain's tenant.
    pub async fn lock_in(&self, tx: &impl ConnectionTrait) -> Result<ChainLock, LedgerError> {
        let guard = Arc::clone(&self.shared.appending).lock_owned().await;
        store::lock(tx, &self.shared.chain).await?;
        let head = store::head(tx, &self.shared.chain).await?;
        Ok(ChainLock {
            _guard: guard,
            chain: self.shared.chain.clone(),
            head,
            now: Arc::clone(&self.shared.now),
        })
    }

    /// The chain's last committed entry.
    pub async fn head(&self) -> Result<Head, LedgerError> {
        self.shared.head().await
    }

    /// Sign the chain's current head with `key` and store the checkpoint
    /// (or return the stored one if that head was signed already).
    pub async fn checkpoint(&self, key: &LedgerKey) -> Result<Checkpoint, LedgerError> {
        match self.shared.head_and_its_checkpoint().await? {
            (_, Some(stored)) => Ok(stored),
            (head, None) => self.shared.sign(&head, key).await,
        }
    }

    /// Sign the chain's head with `key` if it has entries no checkpoint
    /// covers yet; the new checkpoint, if one was made.
    pub async fn checkpoint_if_grown(
        &self,
        key: &LedgerKey,
    ) -> Result<Option<Checkpoint>, LedgerError> {
        match self.shared.head_and_its_checkpoint().await? {
            (head, None) if head.count > 0 => self.shared.sign(&head, key).await.map(Some),
            _ => Ok(None),
        }
    }

    /// Verify the chain as stored, with its stored checkpoints.
    pub async fn verify(
        &self,
        options: &VerifyOptions,
    ) -> Result<Result<Verified, Broken>, LedgerError> {
        crate::verify_stored(&self.shared.db, &self.shared.chain, options).await
    }

    pub fn stats(&self) -> AppendStats {
        AppendStats {
            entries: self.shared.entries.load(Ordering::Relaxed),
            batches: self.shared.batches.load(Ordering::Relaxed),
        }
    }
}

impl Shared {
    /// The head, and the stored checkpoint of it if there is one (reads only).
    async fn head_and_its_checkpoint(&self) -> Result<(Head, Option<Checkpoint>), LedgerError> {
        let tx = store::begin_read(&self.db).await?;
        store::scope(&tx, &self.chain).await?;
        let head = store::head(&tx, &self.chain).await?;
        let stored = store::checkpoints(&tx, &self.chain, Some(head.count)).await?;
        tx.commit().await?;
        Ok((head, stored.into_iter().next()))
    }

    /// Sign `head` and store the checkpoint; if another process stored one
    /// of the same head meanwhile, that one.
    async fn sign(&self, head: &Head, key: &LedgerKey) -> Result<Checkpoint, LedgerError> {
        let signed = Checkpoint::sign(self.chain.id(), head, (self.now)().timestamp_millis(), key);
        let tx = store::begin_write(&self.db).await?;
        store::scope(&tx, &self.chain).await?;
        store::insert_checkpoint(&tx, &self.chain, &signed).await?;
        let stored = store::checkpoints(&tx, &self.chain, Some(head.count)).await?;
        tx.commit().await?;
        Ok(stored.into_iter().next().unwrap_or(signed))
    }

    async fn head(&self) -> Result<Head, LedgerError> {
        let tx = store::begin_read(&self.db).await?;
        store::scope(&tx, &self.chain).await?;
        let head = store::head(&tx, &self.chain).await?;
        tx.commit().await?;
        Ok(head)
    }

    /// Commit one batch; every entry or none.
    async fn commit(&self, batch: Vec<(EntryKind, String)>) -> Result<Vec<Appended>, LedgerError> {
        let _appending = self.appending.lock().await;
        let tx = store::begin_write(&self.db).await?;
        store::scope(&tx, &self.chain).await?;
        store::lock(&tx, &self.chain).await?;
        let head = store::head(&tx, &self.chain).await?;
        // One time for the batch: its entries were all waiting until now.
        let now = (self.now)().timestamp_millis();
        let (entries, _) = chained(&self.chain, head, now, batch);
        store::insert(&tx, &self.chain, &entries).await?;
        tx.commit().await?;
        Ok(entries.iter().map(Appended::from).collect())
    }
}

/// The writer task: take whatever is queued (up to [`MAX_BATCH`]), commit
/// it as one transaction, then answer each waiter. Appends that arrive
/// during a commit form the next batch, so batches grow with load.
async fn write(shared: Arc<Shared>, mut queue: mpsc::Receiver<Request>) {
    let mut requests = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut requests, MAX_BATCH).await > 0 {
        let (replies, batch): (Vec<_>, Vec<_>) = requests
            .drain(..)
            .map(|r| (r.reply, (r.kind, r.body)))
            .unzip();
        match shared.commit(batch).await {
            Ok(appended) => {
                shared
                    .entries
                    .fetch_add(appended.len() as u64, Ordering::Relaxed);
                shared.batches.fetch_add(1, Ordering::Relaxed);
                for (reply, appended) in replies.into_iter().zip(appended) {
                    // A caller that stopped waiting still has its entry.
                    let _ = reply.send(Ok(appended));
                }
            }
            Err(error) => {
                tracing::error!(chain = ?shared.chain, %error, batch = replies.len(), "audit ledger append failed");
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// `items` as the entries that follow `head`, all recorded at `now`, and
/// the head after them.
fn chained(
    chain: &Chain,
    mut head: Head,
    now: i64,
    items: Vec<(EntryKind, String)>,
) -> (Vec<Entry>, Head) {
    let entries = items
        .into_iter()
        .map(|(kind, body)| {
            let entry = Entry::next(chain.id(), &head, now, kind, body);
            head = Head::after(&entry);
            entry
        })
        .collect();
    (entries, head)
}

/// The chain, taken for appends inside a caller's transaction (see
/// [`Ledger::lock_in`]). Dropping it lets the next appender in.
pub struct ChainLock {
    _guard: OwnedMutexGuard<()>,
    chain: Chain,
    head: Head,
    now: Now,
}

impl ChainLock {
    /// The head as this transaction sees it.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Write an entry in `tx` (the transaction the lock was taken in). It is
    /// recorded when, and only if, `tx` commits.
    pub async fn append(
        &mut self,
        tx: &impl ConnectionTrait,
        kind: EntryKind,
        body: &impl Serialize,
    ) -> Result<Appended, LedgerError> {
        let body = to_canonical_json(body)?;
        let appended = self.write(tx, vec![(kind, body)]).await?;
        appended
            .into_iter()
            .next()
            .ok_or_else(|| LedgerError::Corrupt("an append wrote no entry".into()))
    }

    pub async fn record(
        &mut self,
        tx: &impl ConnectionTrait,
        payload: &impl Record,
    ) -> Result<Appended, LedgerError> {
        self.append(tx, payload.kind(), payload).await
    }

    /// Write one entry per payload in `tx`, in order, with as few
    /// statements as the store allows (one per [`store::insert`] chunk).
    pub async fn record_all<'a, P: Record + 'a>(
        &mut self,
        tx: &impl ConnectionTrait,
        payloads: impl IntoIterator<Item = &'a P>,
    ) -> Result<Vec<Appended>, LedgerError> {
        let items = payloads
            .into_iter()
            .map(|p| Ok((p.kind(), to_canonical_json(p)?)))
            .collect::<Result<Vec<_>, LedgerError>>()?;
        self.write(tx, items).await
    }

    async fn write(
        &mut self,
        tx: &impl ConnectionTrait,
        items: Vec<(EntryKind, String)>,
    ) -> Result<Vec<Appended>, LedgerError> {
        let now = (self.now)().timestamp_millis();
        let (entries, head) = chained(&self.chain, self.head, now, items);
        store::insert(tx, &self.chain, &entries).await?;
        self.head = head;
        Ok(entries.iter().map(Appended::from).collect())
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("chain", &self.shared.chain)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ChainLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainLock")
            .field("chain", &self.chain)
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}
