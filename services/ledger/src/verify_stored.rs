//! Verification of a chain as stored: pages of entries read by two tasks
//! on two connections (reading rows costs more than hashing them) while
//! the previous pages are hashed in order on a blocking thread, so that
//! reading and hashing overlap and a server's async workers are never held
//! by the hashing.

use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use crate::chain::Chain;
use crate::error::LedgerError;
use crate::store::{self, Row};
use crate::verdict::{Broken, Verified};
use crate::verify::{ChainVerifier, VerifyOptions};

/// Entries read per query.
const PAGE: u64 = 4096;
/// Tasks reading pages: page `p` is read by reader `p % READERS`.
const READERS: u64 = 2;

/// Verify `chain` on `db` from its first entry, or from `options.from`,
/// checking its stored checkpoints signed by a trusted key. The outer error
/// says the ledger could not be read; the inner result is the verdict.
///
/// Entries appended while this runs are not covered: the chain is verified
/// up to the head it had when verification began.
pub async fn verify_stored(
    db: &DatabaseConnection,
    chain: &Chain,
    options: &VerifyOptions,
) -> Result<Result<Verified, Broken>, LedgerError> {
    // Checkpoints before the head: a checkpoint read first cannot count
    // more entries than the head read after it, unless entries were cut.
    let tx = store::begin_read(db).await?;
    store::scope(&tx, chain).await?;
    let checkpoints = store::checkpoints(&tx, chain, None).await?;
    let head = store::head(&tx, chain).await?;
    tx.commit().await?;

    let start = options.from.as_ref().map_or(0, |c| c.count);
    // From a trusted start, read its own entry (it must still be the signed
    // one); if the chain no longer reaches it, read its last entry so that
    // the verifier sees where it ends.
    let first = start.min(head.count).max(1);
    let pages = (head.count + 1).saturating_sub(first).div_ceil(PAGE);
    let mut readers = Vec::new();
    let mut arriving = Vec::new();
    for r in 0..READERS {
        let (pages, receiver) = mpsc::channel::<Result<Vec<Row>, LedgerError>>(2);
        let first = first + r * PAGE;
        let pages = read_pages(db.clone(), chain.clone(), first, head.count, pages);
        readers.push(tokio::spawn(pages));
        arriving.push(receiver);
    }
    let mut verifier = ChainVerifier::new(chain.id(), checkpoints, options);
    let verdict = tokio::task::spawn_blocking(move || {
        // Pages in order, round robin over the readers.
        for p in 0..pages {
            let Some(page) = arriving[(p % READERS) as usize].blocking_recv() else {
                return Err(LedgerError::Corrupt("a ledger reader stopped".into()));
            };
            for row in page? {
                let pushed = match row {
                    Ok(entry) => verifier.push(entry),
                    Err((seq, reason)) => Err(verifier.unreadable(seq, reason)),
                };
                if let Err(broken) = pushed {
                    return Ok(Err(broken));
                }
            }
        }
        Ok(verifier.finish())
    })
    .await
    .map_err(|e| LedgerError::Corrupt(format!("verification stopped: {e}")))?;
    // A reader still running stops once nobody listens; don't wait for it.
    for reader in readers {
        reader.abort();
    }
    verdict
}

/// Every `READERS`-th page from `from`: entries `from..from + PAGE`, then
/// `from + READERS * PAGE..`, up to `upto`.
async fn read_pages(
    db: DatabaseConnection,
    chain: Chain,
    mut from: u64,
    upto: u64,
    pages: mpsc::Sender<Result<Vec<Row>, LedgerError>>,
) {
    while from <= upto {
        let last = (from + PAGE - 1).min(upto);
        let page = read_page(&db, &chain, from, last).await;
        let failed = page.is_err();
        if pages.send(page).await.is_err() || failed {
            return;
        }
        from += READERS * PAGE;
    }
}

async fn read_page(
    db: &DatabaseConnection,
    chain: &Chain,
    from: u64,
    upto: u64,
) -> Result<Vec<Row>, LedgerError> {
    let tx = store::begin_read(db).await?;
    store::scope(&tx, chain).await?;
    let rows = store::entries(&tx, chain, from, upto, PAGE).await?;
    tx.commit().await?;
    Ok(rows)
}
