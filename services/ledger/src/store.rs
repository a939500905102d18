//! The ledger's SQL, the same on SQLite and PostgreSQL: scoping a
//! transaction to a chain, locking it, reading its head, writing and
//! reading entries and checkpoints.

use continuum_migrations::{NODE_APP_ROLE, TENANT_SETTING};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement,
    TransactionOptions, TransactionTrait,
};

use crate::chain::Chain;
use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, Head};
use crate::error::LedgerError;
use crate::hash::Hash;

/// The first key of the PostgreSQL advisory lock a chain's appends take
/// (the second is `hashtext(chain)`). Two-key advisory locks never collide
/// with the one-key locks the node takes per tenant.
const LOCK_CLASS: i32 = 0x4c45_4447; // "LEDG"

/// Rows per multi-row INSERT: 6 values each stays far below both backends'
/// limits on bound parameters.
const INSERT_CHUNK: usize = 256;

const ENTRY_COLUMNS: [&str; 7] = [
    "chain",
    "seq",
    "recorded_at_ms",
    "kind",
    "body",
    "prev_hash",
    "hash",
];

/// Begin a transaction that will append: on SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`), so reading the head and writing after it
/// cannot be split by another connection's commit.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Begin a transaction that only reads (a transaction so that it can be
/// scoped to a tenant).
pub(crate) async fn begin_read(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin().await
}

/// On PostgreSQL, make a transaction of our own act as the chain's tenant
/// (row-level security), the way the node's store scopes its transactions.
pub(crate) async fn scope(tx: &impl ConnectionTrait, chain: &Chain) -> Result<(), DbErr> {
    let Some(tenant) = chain.tenant() else {
        return Ok(());
    };
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    tx.execute_unprepared(&format!("SET LOCAL ROLE {NODE_APP_ROLE}"))
        .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config($1, $2, true)",
        [TENANT_SETTING.into(), tenant.into()],
    ))
    .await?;
    Ok(())
}

/// Exclude every other appender of the chain until the transaction ends:
/// other locator replicas on PostgreSQL (advisory lock), other connections
/// on SQLite (the write lock). In-process appenders also hold the ledger's
/// mutex, taken before this.
pub(crate) async fn lock(tx: &impl ConnectionTrait, chain: &Chain) -> Result<(), DbErr> {
    match tx.get_database_backend() {
        DbBackend::Postgres => {
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                [LOCK_CLASS.into(), chain.id().into()],
            ))
            .await?;
        }
        _ => {
            // A write that touches no row still takes SQLite's write lock
            // (and fires no append-only trigger); a no-op on a transaction
            // begun IMMEDIATE.
            let sql = format!("DELETE FROM {} WHERE 0 = 1", chain.tables().entries);
            tx.execute_unprepared(&sql).await?;
        }
    }
    Ok(())
}

/// The chain's last entry as committed (or as written by `tx`).
pub(crate) async fn head(tx: &impl ConnectionTrait, chain: &Chain) -> Result<Head, LedgerError> {
    let query = Query::select()
        .columns(["seq", "hash", "recorded_at_ms"])
        .from(chain.tables().entries)
        .and_where(Expr::col("chain").eq(chain.id()))
        .order_by("seq", Order::Desc)
        .limit(1)
        .to_owned();
    let Some(row) = tx.query_one(&query).await? else {
        return Ok(Head::EMPTY);
    };
    let seq: i64 = row.try_get_by_index(0)?;
    let hash: Vec<u8> = row.try_get_by_index(1)?;
    let recorded_at_ms: i64 = row.try_get_by_index(2)?;
    Ok(Head {
        count: u64::try_from(seq)
            .map_err(|_| LedgerError::Corrupt(format!("last entry has seq {seq}")))?,
        hash: Hash::from_slice(&hash)
            .ok_or_else(|| LedgerError::Corrupt(format!("entry {seq} has no valid hash")))?,
        recorded_at_ms,
    })
}

pub(crate) async fn insert(
    tx: &impl ConnectionTrait,
    chain: &Chain,
    entries: &[Entry],
) -> Result<(), LedgerError> {
    for chunk in entries.chunks(INSERT_CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(chain.tables().entries)
            .columns(ENTRY_COLUMNS);
        for entry in chunk {
            insert.values_panic([
                chain.id().into(),
                to_db(entry.seq)?.into(),
                entry.recorded_at_ms.into(),
                entry.kind.as_str().into(),
                entry.body.as_str().into(),
                entry.prev_hash.0.to_vec().into(),
                entry.hash.0.to_vec().into(),
            ]);
        }
        tx.execute(&insert).await?;
    }
    Ok(())
}

/// A stored row: an entry, or why it cannot be read (with the `seq` it
/// was stored under, when that much is readable).
pub(crate) type Row = Result<Entry, (Option<u64>, String)>;

/// Entries `from..=upto` of the chain in `seq` order, at most `limit`.
pub(crate) async fn entries(
    db: &impl ConnectionTrait,
    chain: &Chain,
    from: u64,
    upto: u64,
    limit: u64,
) -> Result<Vec<Row>, LedgerError> {
    let query = Query::select()
        .columns(ENTRY_COLUMNS[1..].iter().copied())
        .from(chain.tables().entries)
        .and_where(Expr::col("chain").eq(chain.id()))
        .and_where(Expr::col("seq").gte(to_db(from)?))
        .and_where(Expr::col("seq").lte(to_db(upto)?))
        .order_by("seq", Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = db.query_all(&query).await?;
    Ok(rows.iter().map(read_entry).collect())
}

fn read_entry(row: &QueryResult) -> Row {
    let seq: i64 = row.try_get_by_index(0).map_err(|e| (None, e.to_string()))?;
    let seq = u64::try_from(seq).map_err(|_| (None, format!("negative seq {seq}")))?;
    let unreadable = |what: &str, e: DbErr| (Some(seq), format!("{what}: {e}"));
    let hash_of = |index: usize, what: &str| -> Result<Hash, (Option<u64>, String)> {
        let bytes: Vec<u8> = row
            .try_get_by_index(index)
            .map_err(|e| unreadable(what, e))?;
        Hash::from_slice(&bytes).ok_or_else(|| {
            (
                Some(seq),
                format!("{what} has {} bytes, not 32", bytes.len()),
            )
        })
    };
    Ok(Entry {
        seq,
        recorded_at_ms: row
            .try_get_by_index(1)
            .map_err(|e| unreadable("recorded_at_ms", e))?,
        kind: row.try_get_by_index(2).map_err(|e| unreadable("kind", e))?,
        body: row.try_get_by_index(3).map_err(|e| unreadable("body", e))?,
        prev_hash: hash_of(4, "prev_hash")?,
        hash: hash_of(5, "hash")?,
    })
}

const CHECKPOINT_COLUMNS: [&str; 6] = [
    "chain",
    "entry_count",
    "head_hash",
    "signed_at_ms",
    "key_id",
    "signature",
];

/// Store a checkpoint unless one of the same count is stored already.
pub(crate) async fn insert_checkpoint(
    tx: &impl ConnectionTrait,
    chain: &Chain,
    checkpoint: &Checkpoint,
) -> Result<(), LedgerError> {
    let insert = Query::insert()
        .into_table(chain.tables().checkpoints)
        .columns(CHECKPOINT_COLUMNS)
        .values_panic([
            chain.id().into(),
            to_db(checkpoint.count)?.into(),
            checkpoint.head_hash.0.to_vec().into(),
            checkpoint.signed_at_ms.into(),
            checkpoint.key_id.as_str().into(),
            checkpoint.signature.clone().into(),
        ])
        .on_conflict(
            OnConflict::columns(["chain", "entry_count"])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    tx.execute(&insert).await?;
    Ok(())
}

/// The chain's stored checkpoints, by count; `at` only the one of that count.
pub(crate) async fn checkpoints(
    db: &impl ConnectionTrait,
    chain: &Chain,
    at: Option<u64>,
) -> Result<Vec<Checkpoint>, LedgerError> {
    let mut query = Query::select()
        .columns(CHECKPOINT_COLUMNS[1..].iter().copied())
        .from(chain.tables().checkpoints)
        .and_where(Expr::col("chain").eq(chain.id()))
        .order_by("entry_count", Order::Asc)
        .to_owned();
    if let Some(count) = at {
        query.and_where(Expr::col("entry_count").eq(to_db(count)?));
    }
    let rows = db.query_all(&query).await?;
    rows.iter().map(|row| read_checkpoint(chain, row)).collect()
}

fn read_checkpoint(chain: &Chain, row: &QueryResult) -> Result<Checkpoint, LedgerError> {
    let count: i64 = row.try_get_by_index(0)?;
    let head_hash: Vec<u8> = row.try_get_by_index(1)?;
    Ok(Checkpoint {
        chain: chain.id().to_owned(),
        count: u64::try_from(count)
            .map_err(|_| LedgerError::Corrupt(format!("checkpoint of {count} entries")))?,
        head_hash: Hash::from_slice(&head_hash).ok_or_else(|| {
            LedgerError::Corrupt(format!("checkpoint of {count} entries has no valid head"))
        })?,
        signed_at_ms: row.try_get_by_index(2)?,
        key_id: row.try_get_by_index(3)?,
        signature: row.try_get_by_index(4)?,
    })
}

fn to_db(seq: u64) -> Result<i64, LedgerError> {
    i64::try_from(seq).map_err(|_| LedgerError::Corrupt(format!("seq {seq} out of range")))
}

/// Up to `limit` stored entries of `chain` from `from` on, in order — for
/// export; an unreadable row is an error naming its `seq`.
pub async fn read_entries(
    db: &DatabaseConnection,
    chain: &Chain,
    from: u64,
    limit: u64,
) -> Result<Vec<Entry>, LedgerError> {
    let tx = begin_read(db).await?;
    scope(&tx, chain).await?;
    let rows = entries(&tx, chain, from, u64::MAX >> 1, limit).await?;
    tx.commit().await?;
    readable(rows)
}

/// The stored entries of `chain` at the positions `seqs`, in order of
/// position; a position with no entry is missing from the result (the
/// caller knows what it expected). For reading a few entries found through
/// an index of the caller's, e.g. a person's disclosures.
pub async fn read_entries_at(
    db: &DatabaseConnection,
    chain: &Chain,
    seqs: &[u64],
) -> Result<Vec<Entry>, LedgerError> {
    // Well under every backend's limit of bound parameters per statement.
    const PER_QUERY: usize = 500;
    let tx = begin_read(db).await?;
    scope(&tx, chain).await?;
    let mut rows = Vec::with_capacity(seqs.len());
    for batch in seqs.chunks(PER_QUERY) {
        let positions = batch
            .iter()
            .map(|&seq| to_db(seq))
            .collect::<Result<Vec<_>, _>>()?;
        let query = Query::select()
            .columns(ENTRY_COLUMNS[1..].iter().copied())
            .from(chain.tables().entries)
            .and_where(Expr::col("chain").eq(chain.id()))
            .and_where(Expr::col("seq").is_in(positions))
            .order_by("seq", Order::Asc)
            .to_owned();
        rows.extend(tx.query_all(&query).await?.iter().map(read_entry));
    }
    tx.commit().await?;
    let mut entries = readable(rows)?;
    entries.sort_by_key(|entry| entry.seq);
    Ok(entries)
}

fn readable(rows: Vec<Row>) -> Result<Vec<Entry>, LedgerError> {
    rows.into_iter()
        .map(|row| {
            row.map_err(|(seq, problem)| {
                LedgerError::Corrupt(format!(
                    "entry {}: {problem}",
                    seq.map_or_else(|| "?".to_owned(), |s| s.to_string())
                ))
            })
        })
        .collect()
}
