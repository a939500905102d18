//! Tampering with a stored ledger the way someone with database access
//! would, and verification naming the first entry touched and what was done.

mod support;

use continuum_ledger::{
    Break, Broken, Chain, Checkpoint, CheckpointFault, EntryKind, Hash, Ledger, LedgerKey,
    LinkBreak, Verified, VerifyOptions, entry_hash, verify_stored,
};
use sea_orm::DatabaseConnection;
use support::{TestClock, TestDb, backends, disclosure, execute, query};

/// A locator ledger of `n` disclosures, and a connection to tamper with it.
async fn ledger_of(db: &TestDb, n: usize) -> anyhow::Result<(Ledger, DatabaseConnection)> {
    let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
    for i in 1..=n {
        ledger.record(&disclosure(i)).await?;
    }
    let attacker = db.connect().await?;
    support::remove_guards(&attacker).await?;
    Ok((ledger, attacker))
}

async fn verdict(db: &TestDb, options: &VerifyOptions) -> anyhow::Result<Result<Verified, Broken>> {
    let conn = db.connect().await?;
    Ok(verify_stored(&conn, &Chain::Locator, options).await?)
}

fn broken(at_seq: u64, what: Break) -> Result<Verified, Broken> {
    Err(Broken { at_seq, what })
}

fn trusting(key: &LedgerKey) -> VerifyOptions {
    VerifyOptions {
        from: None,
        trusted_keys: vec![*key.public_key()],
    }
}

/// Move entries `from..` by `by` (negative moves down), avoiding primary
/// key clashes mid-statement.
async fn renumber(db: &DatabaseConnection, from: i64, by: i64) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE ledger_entries SET seq = -(seq + $1) WHERE seq >= $2",
        vec![by.into(), from.into()],
    )
    .await?;
    execute(
        db,
        "UPDATE ledger_entries SET seq = -seq WHERE seq < 0",
        vec![],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn an_untouched_ledger_verifies() -> anyhow::Result<()> {
    for db in backends().await? {
        let (ledger, _) = ledger_of(&db, 10).await?;
        let head = ledger.head().await?;
        let verified = verdict(&db, &VerifyOptions::default()).await?;
        let verified = verified.map_err(|b| anyhow::anyhow!("{}: {b}", db.name))?;
        assert_eq!(
            (verified.count, verified.head),
            (10, head.hash),
            "{}",
            db.name
        );
        db.cleanup().await?;
    }
    Ok(())
}

/// Each backend's name and verdict on a ledger of `n` entries after
/// `tamper` worked on it through the attacker's connection.
async fn verdicts_after(
    n: usize,
    tamper: impl AsyncFn(&DatabaseConnection) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<(&'static str, Result<Verified, Broken>)>> {
    let mut verdicts = Vec::new();
    for db in backends().await? {
        let (_ledger, attacker) = ledger_of(&db, n).await?;
        tamper(&attacker).await?;
        verdicts.push((db.name, verdict(&db, &VerifyOptions::default()).await?));
        db.cleanup().await?;
    }
    Ok(verdicts)
}

#[tokio::test]
async fn one_changed_byte_of_a_body_is_found_at_its_entry() -> anyhow::Result<()> {
    let verdicts = verdicts_after(10, async |attacker| {
        let changed = execute(
            attacker,
            "UPDATE ledger_entries SET body = replace(body, 'TREAT', 'TREAX') WHERE seq = 5",
            vec![],
        )
        .await?;
        assert_eq!(changed, 1);
        Ok(())
    })
    .await?;
    for (name, verdict) in verdicts {
        assert_eq!(verdict, broken(5, Break::Altered), "{name}");
    }
    Ok(())
}

#[tokio::test]
async fn edits_of_time_kind_link_or_hash_are_found_at_their_entry() -> anyhow::Result<()> {
    for edit in [
        "UPDATE ledger_entries SET recorded_at_ms = recorded_at_ms + 1 WHERE seq = 4",
        "UPDATE ledger_entries SET kind = 'disclosure.deny' WHERE seq = 4",
        "UPDATE ledger_entries SET prev_hash = hash WHERE seq = 4",
        "UPDATE ledger_entries SET hash = prev_hash WHERE seq = 4",
    ] {
        let verdicts = verdicts_after(6, async |attacker| {
            execute(attacker, edit, vec![]).await?;
            Ok(())
        })
        .await?;
        for (name, verdict) in verdicts {
            assert_eq!(verdict, broken(4, Break::Altered), "{name}: {edit}");
        }
    }
    Ok(())
}

const DELETE_ENTRY_5: &str = "DELETE FROM ledger_entries WHERE seq = 5";

#[tokio::test]
async fn a_deleted_entry_shows_as_a_gap_at_its_seq() -> anyhow::Result<()> {
    let verdicts = verdicts_after(10, async |attacker| {
        execute(attacker, DELETE_ENTRY_5, vec![]).await?;
        Ok(())
    })
    .await?;
    for (name, verdict) in verdicts {
        assert_eq!(
            verdict,
            broken(5, Break::SequenceGap { found: 6 }),
            "{name}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_deleted_entry_hidden_by_renumbering_breaks_the_chain_at_its_seq() -> anyhow::Result<()> {
    let verdicts = verdicts_after(10, async |attacker| {
        execute(attacker, DELETE_ENTRY_5, vec![]).await?;
        renumber(attacker, 6, -1).await
    })
    .await?;
    let renumbered = Break::ChainBroken(LinkBreak::Renumbered { written_as: 6 });
    for (name, verdict) in verdicts {
        assert_eq!(verdict, broken(5, renumbered.clone()), "{name}");
    }
    Ok(())
}

#[tokio::test]
async fn an_inserted_entry_is_named_even_when_well_formed() -> anyhow::Result<()> {
    // A forger who knows the format: entry 5 follows entry 4 and hashes
    // correctly; the genuine entries move up one.
    let verdicts = verdicts_after(10, async |attacker| {
        let prev = query::<Vec<u8>>(
            attacker,
            "SELECT hash FROM ledger_entries WHERE seq = 4",
            vec![],
        )
        .await?;
        let at = query::<i64>(
            attacker,
            "SELECT recorded_at_ms FROM ledger_entries WHERE seq = 4",
            vec![],
        )
        .await?;
        renumber(attacker, 5, 1).await?;
        let prev = Hash::from_slice(&prev).ok_or_else(|| anyhow::anyhow!("hash"))?;
        let body = r#"{"forged":true}"#;
        let kind = EntryKind::DisclosurePermit.code();
        let hash = entry_hash("locator", 5, at, kind, body, &prev);
        execute(
            attacker,
            "INSERT INTO ledger_entries (chain, seq, recorded_at_ms, kind, body, prev_hash, hash) \
             VALUES ('locator', 5, $1, $2, $3, $4, $5)",
            vec![
                at.into(),
                kind.into(),
                body.into(),
                prev.0.to_vec().into(),
                hash.0.to_vec().into(),
            ],
        )
        .await?;
        Ok(())
    })
    .await?;
    for (name, verdict) in verdicts {
        assert_eq!(
            verdict,
            broken(5, Break::ChainBroken(LinkBreak::Inserted)),
            "{name}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn two_swapped_entries_are_named() -> anyhow::Result<()> {
    let verdicts = verdicts_after(10, async |attacker| {
        for (from, to) in [(5, -1), (6, 5), (-1, 6)] {
            execute(
                attacker,
                "UPDATE ledger_entries SET seq = $1 WHERE seq = $2",
                vec![i64::from(to).into(), i64::from(from).into()],
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    for (name, verdict) in verdicts {
        assert_eq!(
            verdict,
            broken(5, Break::ChainBroken(LinkBreak::Swapped)),
            "{name}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_cut_tail_is_found_only_against_a_signed_checkpoint() -> anyhow::Result<()> {
    for db in backends().await? {
        let key = LedgerKey::generate()?;
        let (ledger, attacker) = ledger_of(&db, 10).await?;
        ledger.checkpoint(&key).await?;
        execute(
            &attacker,
            "DELETE FROM ledger_entries WHERE seq > 7",
            vec![],
        )
        .await?;

        // Without a trusted key, a shorter chain is a valid chain.
        let unaided = verdict(&db, &VerifyOptions::default()).await?;
        assert_eq!(unaided.map(|v| v.count), Ok(7), "{}", db.name);

        let checked = verdict(&db, &trusting(&key)).await?;
        assert_eq!(
            checked,
            broken(8, Break::Truncated { signed_count: 10 }),
            "{}",
            db.name
        );
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_chain_rewritten_with_recomputed_hashes_fails_at_its_checkpoint() -> anyhow::Result<()> {
    for db in backends().await? {
        let key = LedgerKey::generate()?;
        let (ledger, attacker) = ledger_of(&db, 2).await?;
        ledger.checkpoint(&key).await?;
        for i in 3..=5 {
            ledger.record(&disclosure(i)).await?;
        }
        ledger.checkpoint(&key).await?;
        ledger.record(&disclosure(6)).await?;

        // Rewrite entry 3 and re-chain everything after it.
        execute(
            &attacker,
            "UPDATE ledger_entries SET body = replace(body, 'TREAT', 'TREAX') WHERE seq = 3",
            vec![],
        )
        .await?;
        rehash(&attacker, 3, 6).await?;

        let unaided = verdict(&db, &VerifyOptions::default()).await?;
        assert_eq!(
            unaided.map(|v| v.count),
            Ok(6),
            "{}: undetectable without a checkpoint",
            db.name
        );
        let checked = verdict(&db, &trusting(&key)).await?;
        let mismatch = Break::CheckpointMismatch {
            count: 5,
            last_matching: 2,
        };
        assert_eq!(checked, broken(5, mismatch), "{}", db.name);
        db.cleanup().await?;
    }
    Ok(())
}

/// Recompute the chain's links and hashes over entries `from..=to`.
async fn rehash(db: &DatabaseConnection, from: i64, to: i64) -> anyhow::Result<()> {
    let stored = "SELECT hash FROM ledger_entries WHERE seq = $1";
    let mut prev = query::<Vec<u8>>(db, stored, vec![(from - 1).into()]).await?;
    for seq in from..=to {
        let at = "SELECT recorded_at_ms FROM ledger_entries WHERE seq = $1";
        let at = query::<i64>(db, at, vec![seq.into()]).await?;
        let kind = query::<String>(
            db,
            "SELECT kind FROM ledger_entries WHERE seq = $1",
            vec![seq.into()],
        )
        .await?;
        let body = query::<String>(
            db,
            "SELECT body FROM ledger_entries WHERE seq = $1",
            vec![seq.into()],
        )
        .await?;
        let prev_hash = Hash::from_slice(&prev).ok_or_else(|| anyhow::anyhow!("hash"))?;
        let hash = entry_hash("locator", u64::try_from(seq)?, at, &kind, &body, &prev_hash);
        execute(
            db,
            "UPDATE ledger_entries SET prev_hash = $1, hash = $2 WHERE seq = $3",
            vec![prev.clone().into(), hash.0.to_vec().into(), seq.into()],
        )
        .await?;
        prev = hash.0.to_vec();
    }
    Ok(())
}

#[tokio::test]
async fn a_forged_or_foreign_checkpoint_is_refused() -> anyhow::Result<()> {
    for db in backends().await? {
        let key = LedgerKey::generate()?;
        let (ledger, attacker) = ledger_of(&db, 4).await?;
        let genuine = ledger.checkpoint(&key).await?;

        // Its signature changed: invalid.
        execute(
            &attacker,
            "UPDATE ledger_checkpoints SET signed_at_ms = signed_at_ms + 1",
            vec![],
        )
        .await?;
        let verdict_now = verdict(&db, &trusting(&key)).await?;
        let bad = Break::CheckpointSignature {
            count: 4,
            key_id: genuine.key_id.clone(),
            fault: CheckpointFault::BadSignature,
        };
        assert_eq!(verdict_now, broken(4, bad), "{}", db.name);

        // Signed by a key the verifier does not trust.
        let other = LedgerKey::generate()?;
        let untrusted = verdict(&db, &trusting(&other)).await?;
        let fault = Break::CheckpointSignature {
            count: 4,
            key_id: genuine.key_id.clone(),
            fault: CheckpointFault::UntrustedKey,
        };
        assert_eq!(untrusted, broken(4, fault), "{}", db.name);
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn verifying_from_a_trusted_checkpoint_checks_what_follows_it() -> anyhow::Result<()> {
    for db in backends().await? {
        let key = LedgerKey::generate()?;
        let (ledger, attacker) = ledger_of(&db, 5).await?;
        let trusted = ledger.checkpoint(&key).await?;
        for i in 6..=9 {
            ledger.record(&disclosure(i)).await?;
        }
        let from = |c: &Checkpoint| VerifyOptions {
            from: Some(c.clone()),
            trusted_keys: vec![*key.public_key()],
        };

        // Entries before the checkpoint are not read again.
        execute(
            &attacker,
            "UPDATE ledger_entries SET body = '{}' WHERE seq = 2",
            vec![],
        )
        .await?;
        let verified = verdict(&db, &from(&trusted)).await?;
        assert_eq!(
            verified.map(|v| (v.from, v.count)),
            Ok((5, 9)),
            "{}",
            db.name
        );

        // After it, they are.
        execute(
            &attacker,
            "UPDATE ledger_entries SET body = '{}' WHERE seq = 7",
            vec![],
        )
        .await?;
        assert_eq!(
            verdict(&db, &from(&trusted)).await?,
            broken(7, Break::Altered),
            "{}",
            db.name
        );

        // The signed entry itself must still be the one signed.
        execute(
            &attacker,
            "UPDATE ledger_entries SET body = '{}' WHERE seq = 5",
            vec![],
        )
        .await?;
        assert_eq!(
            verdict(&db, &from(&trusted)).await?,
            broken(5, Break::Altered),
            "{}",
            db.name
        );

        // A chain that no longer reaches the checkpoint was cut.
        execute(
            &attacker,
            "DELETE FROM ledger_entries WHERE seq > 3",
            vec![],
        )
        .await?;
        let cut = verdict(&db, &from(&trusted)).await?;
        assert_eq!(
            cut,
            broken(4, Break::Truncated { signed_count: 5 }),
            "{}",
            db.name
        );
        db.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_change_deep_in_a_long_chain_is_found_across_pages() -> anyhow::Result<()> {
    for db in backends().await? {
        let ledger = db.ledger(Chain::Locator, &TestClock::default()).await?;
        let mut handles = Vec::new();
        for t in 0..100 {
            let ledger = ledger.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..100 {
                    ledger.record(&disclosure(t * 100 + i)).await?;
                }
                anyhow::Ok(())
            }));
        }
        for handle in handles {
            handle.await??;
        }
        let intact = verdict(&db, &VerifyOptions::default()).await?;
        assert_eq!(intact.map(|v| v.count), Ok(10_000), "{}", db.name);

        let attacker = db.connect().await?;
        support::remove_guards(&attacker).await?;
        execute(
            &attacker,
            "UPDATE ledger_entries SET body = replace(body, 'TREAT', 'TREAX') WHERE seq = 9001",
            vec![],
        )
        .await?;
        let verdict = verdict(&db, &VerifyOptions::default()).await?;
        assert_eq!(verdict, broken(9001, Break::Altered), "{}", db.name);
        db.cleanup().await?;
    }
    Ok(())
}
