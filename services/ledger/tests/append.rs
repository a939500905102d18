//! Appending: many concurrent appenders get one gap-free chain, appends in
//! a caller's transaction commit or vanish with it, a store that cannot be
//! written fails every append it could not record, and a reopened ledger
//! continues its chain.

mod support;

use std::collections::BTreeSet;

use continuum_ledger::{
    Chain, EntryKind, Ledger, LedgerError, LedgerKey, VerifyOptions, verify_stored,
};
use sea_orm::{ConnectionTrait, TransactionTrait};
use support::{TestClock, TestDb, backends, disclosure, execute, query};

async fn count(db: &TestDb, table: &str) -> anyhow::Result<i64> {
    let conn = db.connect().await?;
    query::<i64>(&conn, &format!("SELECT COUNT(*) FROM {table}"), vec![]).await
}

async fn assert_verifies(db: &TestDb, chain: &Chain, count: u64) -> anyhow::Result<()> {
    let conn = db.connect().await?;
    let verdict = verify_stored(&conn, chain, &VerifyOptions::default()).await?;
    let verified = verdict.map_err(|b| anyhow::anyhow!("{}: {b}", db.name))?;
    assert_eq!(verified.count, count, "{}", db.name);
    Ok(())
}

#[tokio::test]
async fn concurrent_appenders_get_gap_free_seqs_in_few_commits() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        let (tasks, each) = (64, 40);
        let mut handles = Vec::new();
        for t in 0..tasks {
            let ledger = ledger.clone();
            handles.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..each {
                    seqs.push(ledger.record(&disclosure(t * each + i)).await?.seq);
                }
                Ok::<_, LedgerError>(seqs)
            }));
        }
        let mut seqs = BTreeSet::new();
        for handle in handles {
            for seq in handle.await?? {
                assert!(seqs.insert(seq), "{}: seq {seq} given twice", db.name);
            }
        }
        let total = (tasks * each) as u64;
        assert_eq!(seqs, (1..=total).collect(), "{}", db.name);
        let stats = ledger.stats();
        assert_eq!(stats.entries, total);
        assert!(
            stats.batches < total / 4,
            "{}: {} commits for {total} appends",
            db.name,
            stats.batches
        );
        assert_verifies(&db, &Chain::Locator, total).await?;
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn appends_in_a_callers_transaction_commit_or_vanish_with_it() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        ledger.record(&disclosure(1)).await?;
        let caller = db.connect().await?;

        let tx = caller.begin().await?;
        let mut chain = ledger.lock_in(&tx).await?;
        let first = chain.record(&tx, &disclosure(2)).await?;
        let second = chain.record(&tx, &disclosure(3)).await?;
        tx.commit().await?;
        drop(chain);
        assert_eq!((first.seq, second.seq), (2, 3), "{}", db.name);

        let tx = caller.begin().await?;
        let mut chain = ledger.lock_in(&tx).await?;
        let dropped = chain.record(&tx, &disclosure(4)).await?;
        assert_eq!(dropped.seq, 4);
        tx.rollback().await?;
        drop(chain);

        // The writer continues after what was committed, not what was tried.
        let next = ledger.record(&disclosure(5)).await?;
        assert_eq!(next.seq, 4, "{}", db.name);
        assert_verifies(&db, &Chain::Locator, 4).await?;

        // Several at once, in one statement, go on the same chain.
        let tx = caller.begin().await?;
        let mut chain = ledger.lock_in(&tx).await?;
        let batch = [disclosure(6), disclosure(7), disclosure(8)];
        let seqs: Vec<u64> = chain
            .record_all(&tx, &batch)
            .await?
            .iter()
            .map(|a| a.seq)
            .collect();
        let after = chain.record(&tx, &disclosure(9)).await?;
        tx.commit().await?;
        drop(chain);
        assert_eq!((seqs, after.seq), (vec![5, 6, 7], 8), "{}", db.name);
        assert_verifies(&db, &Chain::Locator, 8).await?;
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn transaction_and_writer_appends_interleave_into_one_chain() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        let caller = db.connect().await?;
        let mut handles = Vec::new();
        for t in 0..8 {
            let ledger = ledger.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..25 {
                    ledger.record(&disclosure(t * 100 + i)).await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in 0..4 {
            let (ledger, caller) = (ledger.clone(), caller.clone());
            handles.push(tokio::spawn(async move {
                for i in 0..10 {
                    let tx = caller.begin().await?;
                    let mut chain = ledger.lock_in(&tx).await?;
                    chain.record(&tx, &disclosure(10_000 + t * 100 + i)).await?;
                    // The caller's own write, committed with its entry.
                    tx.execute_unprepared("SELECT 1").await?;
                    tx.commit().await?;
                }
                anyhow::Ok(())
            }));
        }
        for handle in handles {
            handle.await??;
        }
        assert_verifies(&db, &Chain::Locator, 8 * 25 + 4 * 10).await?;
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_failed_commit_fails_every_append_of_its_batch_and_writes_none() -> anyhow::Result<()> {
    // SQLite only: a trigger that fails one entry's insert stands for any
    // failure in the middle of a batch.
    let db = TestDb::sqlite().await?;
    let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
    let admin = db.connect().await?;
    admin
        .execute_unprepared(
            "CREATE TRIGGER poison BEFORE INSERT ON ledger_entries WHEN NEW.body LIKE '%poison%'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .await?;
    let mut handles = Vec::new();
    for i in 0..200 {
        let ledger = ledger.clone();
        handles.push(tokio::spawn(async move {
            let body = if i % 50 == 7 {
                serde_json::json!({"poison": i})
            } else {
                serde_json::json!({"n": i})
            };
            ledger.append(EntryKind::Release, &body).await
        }));
    }
    let mut recorded = 0;
    let mut failed = 0;
    for handle in handles {
        match handle.await? {
            Ok(_) => recorded += 1,
            Err(LedgerError::Store(_)) => failed += 1,
            Err(other) => anyhow::bail!("unexpected error {other}"),
        }
    }
    assert!(failed >= 4, "each poisoned entry fails at least itself");
    assert_eq!(recorded + failed, 200);
    assert_eq!(count(&db, "ledger_entries").await?, recorded);
    assert_verifies(&db, &Chain::Locator, u64::try_from(recorded)?).await?;

    admin.execute_unprepared("DROP TRIGGER poison").await?;
    let next = ledger
        .append(EntryKind::Release, &serde_json::json!({}))
        .await?;
    assert_eq!(next.seq, u64::try_from(recorded)? + 1);
    Ok(())
}

#[tokio::test]
async fn a_read_only_store_fails_appends_until_it_accepts_writes_again() -> anyhow::Result<()> {
    // SQLite: the writer's one connection is made read-only and back.
    let db = TestDb::sqlite().await?;
    let writer = db.writer().await?;
    let ledger = Ledger::open(writer.clone(), Chain::Locator, TestClock::default().now()).await?;
    ledger.record(&disclosure(1)).await?;

    writer.execute_unprepared("PRAGMA query_only = 1").await?;
    let refused = ledger.record(&disclosure(2)).await;
    assert!(matches!(refused, Err(LedgerError::Store(_))), "{refused:?}");

    writer.execute_unprepared("PRAGMA query_only = 0").await?;
    let next = ledger.record(&disclosure(3)).await?;
    assert_eq!(next.seq, 2, "nothing of the refused append was kept");
    assert_verifies(&db, &Chain::Locator, 2).await?;
    Ok(())
}

#[tokio::test]
async fn a_dropped_table_fails_appends() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        ledger.record(&disclosure(1)).await?;
        let admin = db.connect().await?;
        admin
            .execute_unprepared("DROP TABLE ledger_entries")
            .await?;
        let refused = ledger.record(&disclosure(2)).await;
        assert!(
            matches!(refused, Err(LedgerError::Store(_))),
            "{}: {refused:?}",
            db.name
        );
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_reopened_ledger_continues_its_chain() -> anyhow::Result<()> {
    for db in backends().await? {
        let clock = TestClock::default();
        let ledger = db.ledger(Chain::Locator, &clock).await?;
        for i in 0..5 {
            ledger.record(&disclosure(i)).await?;
        }
        let head = ledger.head().await?;
        drop(ledger);

        let reopened = db.ledger(Chain::Locator, &clock).await?;
        assert_eq!(reopened.head().await?, head, "{}", db.name);
        let next = reopened.record(&disclosure(5)).await?;
        assert_eq!(next.seq, 6);
        assert_verifies(&db, &Chain::Locator, 6).await?;
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn each_tenant_has_its_own_chain_beside_the_locators() -> anyhow::Result<()> {
    for db in backends().await? {
        let clock = TestClock::default();
        let locator = db.ledger(Chain::Locator, &clock).await?;
        let north = db.ledger(Chain::node("north"), &clock).await?;
        let south = db.ledger(Chain::node("south"), &clock).await?;
        for i in 0..3 {
            locator.record(&disclosure(i)).await?;
            north
                .append(EntryKind::Release, &serde_json::json!({"i": i}))
                .await?;
        }
        south
            .append(EntryKind::Release, &serde_json::json!({}))
            .await?;
        assert_eq!(north.head().await?.count, 3, "{}", db.name);
        assert_eq!(south.head().await?.count, 1, "{}", db.name);
        assert_verifies(&db, &Chain::Locator, 3).await?;
        assert_verifies(&db, &Chain::node("north"), 3).await?;
        assert_verifies(&db, &Chain::node("south"), 1).await?;
        assert_eq!(count(&db, "release_ledger").await?, 4);
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn append_only_guards_refuse_updates_and_deletes() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        ledger.record(&disclosure(1)).await?;
        let admin = db.connect().await?;
        for sql in [
            "UPDATE ledger_entries SET body = '{}'",
            "DELETE FROM ledger_entries",
        ] {
            let refused = execute(&admin, sql, vec![]).await;
            let message = refused.expect_err("refused").to_string();
            assert!(message.contains("append-only"), "{}: {message}", db.name);
        }
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_checkpoint_signs_the_committed_head_once() -> anyhow::Result<()> {
    for db in backends().await? {
        let key = LedgerKey::generate()?;
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        for i in 0..3 {
            ledger.record(&disclosure(i)).await?;
        }
        let first = ledger.checkpoint(&key).await?;
        assert_eq!(first.count, 3);
        assert_eq!(first.head_hash, ledger.head().await?.hash);
        assert_eq!(first.check("locator", &[*key.public_key()]), Ok(()));
        // The same head again: the stored checkpoint, not a second one.
        assert_eq!(ledger.checkpoint(&key).await?, first, "{}", db.name);
        assert_eq!(count(&db, "ledger_checkpoints").await?, 1);
        let trusted = VerifyOptions {
            from: None,
            trusted_keys: vec![*key.public_key()],
        };
        let conn = db.connect().await?;
        let verified = verify_stored(&conn, &Chain::Locator, &trusted).await?;
        assert_eq!(verified.map(|v| v.checkpoints), Ok(1), "{}", db.name);
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn two_replicas_appending_to_one_chain_keep_it_gap_free() -> anyhow::Result<()> {
    // Two locator replicas: separate processes' ledgers (own connections,
    // own in-process locks) on one database.
    for db in backends().await? {
        let clock = TestClock::default();
        let replicas = [
            db.ledger(Chain::Locator, &clock).await?,
            db.ledger(Chain::Locator, &clock).await?,
        ];
        let mut handles = Vec::new();
        for (r, ledger) in replicas.iter().enumerate() {
            for t in 0..16 {
                let ledger = ledger.clone();
                handles.push(tokio::spawn(async move {
                    for i in 0..20 {
                        ledger.record(&disclosure(r * 10_000 + t * 100 + i)).await?;
                    }
                    anyhow::Ok(())
                }));
            }
        }
        for handle in handles {
            handle.await??;
        }
        assert_verifies(&db, &Chain::Locator, 2 * 16 * 20).await?;
        db.cleanup().await?;
    }
    Ok(())
}

/// On PostgreSQL the node's role sees and writes only its tenant's chain,
/// and cannot change an entry even with the append-only triggers gone.
#[tokio::test]
async fn a_tenant_sees_and_writes_only_its_own_release_ledger() -> anyhow::Result<()> {
    let Ok(admin) = std::env::var("CONTINUUM_TEST_POSTGRES") else {
        eprintln!("CONTINUUM_TEST_POSTGRES is not set: PostgreSQL row-level security not tested");
        return Ok(());
    };
    let db = TestDb::postgres(&admin).await?;
    let clock = TestClock::default();
    let north = db.ledger(Chain::node("north"), &clock).await?;
    let south = db.ledger(Chain::node("south"), &clock).await?;
    north
        .append(EntryKind::Release, &serde_json::json!({"n": 1}))
        .await?;
    south
        .append(EntryKind::Release, &serde_json::json!({"s": 1}))
        .await?;

    // A transaction as the node's store runs it, appending with its own write.
    let caller = db.connect().await?;
    let as_north = |caller: &sea_orm::DatabaseConnection| {
        let caller = caller.clone();
        async move {
            let tx = caller.begin().await?;
            tx.execute_unprepared("SET LOCAL ROLE continuum_node")
                .await?;
            tx.execute_unprepared("SELECT set_config('continuum.tenant', 'north', true)")
                .await?;
            anyhow::Ok(tx)
        }
    };
    let tx = as_north(&caller).await?;
    let mut chain = north.lock_in(&tx).await?;
    let appended = chain
        .append(&tx, EntryKind::Release, &serde_json::json!({"n": 2}))
        .await?;
    tx.commit().await?;
    drop(chain);
    assert_eq!(appended.seq, 2);

    let tx = as_north(&caller).await?;
    let visible: i64 = query_in(&tx, "SELECT COUNT(*) FROM release_ledger").await?;
    assert_eq!(visible, 2, "only north's entries are visible");
    let forged = tx
        .execute_unprepared(
            "INSERT INTO release_ledger (chain, seq, recorded_at_ms, kind, body, prev_hash, hash) \
             VALUES ('south', 2, 0, 'release', '{}', '\\x00', '\\x00')",
        )
        .await;
    let message = forged
        .expect_err("another tenant's chain is refused")
        .to_string();
    assert!(message.contains("row-level security"), "{message}");
    drop(tx);

    let attacker = db.connect().await?;
    support::remove_guards(&attacker).await?;
    let tx = as_north(&caller).await?;
    let changed = tx
        .execute_unprepared("UPDATE release_ledger SET body = '{}'")
        .await;
    let message = changed
        .expect_err("the node's role cannot update")
        .to_string();
    assert!(message.contains("permission denied"), "{message}");
    drop(tx);

    // A tenant's checkpoint is stored and checked under the same lock.
    let key = LedgerKey::generate()?;
    let checkpoint = north.checkpoint(&key).await?;
    assert_eq!((checkpoint.chain.as_str(), checkpoint.count), ("north", 2));
    let trusted = VerifyOptions {
        from: None,
        trusted_keys: vec![*key.public_key()],
    };
    let conn = db.connect().await?;
    let verified = verify_stored(&conn, &Chain::node("north"), &trusted).await?;
    assert_eq!(verified.map(|v| (v.count, v.checkpoints)), Ok((2, 1)));
    assert_verifies(&db, &Chain::node("south"), 1).await?;
    db.cleanup().await
}

async fn query_in(tx: &sea_orm::DatabaseTransaction, sql: &str) -> anyhow::Result<i64> {
    let row = tx
        .query_one_raw(sea_orm::Statement::from_string(
            tx.get_database_backend(),
            sql,
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok(row.try_get_by_index(0)?)
}
