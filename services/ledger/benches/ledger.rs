//! The ledger's performance on SQLite, on this machine:
//!
//! ```text
//! cargo bench -p continuum-ledger --bench ledger              # everything
//! cargo bench -p continuum-ledger --bench ledger -- append    # durable appends/s
//! cargo bench -p continuum-ledger --bench ledger -- verify [entries]
//! cargo bench -p continuum-ledger --bench ledger -- size
//! ```
//!
//! Appends are durable: each is committed (synced per `SqliteSync`) before
//! its `append` returns. The database is a file in the temp directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::DateTime;
use continuum_ledger::payload::{Decision, Disclosure, Requester, SourceDecision};
use continuum_ledger::{
    Chain, Ledger, Now, SqliteSync, VerifyOptions, connect_writer, to_canonical_json, verify_stored,
};
use continuum_migrations::{LocatorMigrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let what = args.first().map_or("all", String::as_str);
    let entries: u64 = args
        .get(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    if matches!(what, "all" | "size") {
        size().await?;
    }
    if matches!(what, "all" | "append") {
        append().await?;
    }
    if matches!(what, "all" | "verify") {
        verify(entries).await?;
    }
    Ok(())
}

fn clock() -> Now {
    let ms = Arc::new(AtomicI64::new(1_790_000_000_000));
    Arc::new(move || {
        DateTime::from_timestamp_millis(ms.fetch_add(1, Ordering::Relaxed)).unwrap_or_default()
    })
}

/// A realistic disclosure: a person, the requester, two holding
/// organizations (one permitted with 20 resources, one denied).
fn disclosure(n: u64) -> Disclosure {
    Disclosure {
        disclosure_id: format!("{n:08x}-9c1d-4f7e-b2a3-5d6e7f809a1b"),
        person_id: format!("{n:08x}-1f0c-4d6a-8f3e-6b1c9a0d2e4f"),
        requester: Requester {
            tenant: "riverside-hospital".into(),
            practitioner_id: "3f9a1c2e-7b4d-4e8f-a1b2-c3d4e5f60718".into(),
            role: "physician".into(),
            name: String::new(),
            professional_id: String::new(),
        },
        purpose: "TREAT".into(),
        break_glass_reason: None,
        sources: vec![
            SourceDecision {
                tenant: "northside-clinic".into(),
                decision: Decision::Permit,
                decided_by: vec!["policy:opt-out".into()],
                outcome: "complete".into(),
                released: (0..20)
                    .map(|i| format!("Observation/{n:08x}-5b2e-4c8f-9a51-{i:012x}"))
                    .collect(),
                categories: vec!["N".into(), "R".into()],
            },
            SourceDecision {
                tenant: "harbor-recovery".into(),
                decision: Decision::Deny,
                decided_by: vec!["policy:shielded:ETH".into()],
                outcome: "not_asked".into(),
                released: vec![],
                categories: vec![],
            },
        ],
    }
}

struct Db {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    url: String,
}

async fn fresh_db() -> anyhow::Result<Db> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ledger.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    // The services' own connection settings create the file.
    let db = continuum_migrations::database::connect(&url, 1).await?;
    LocatorMigrator::up(&db, None).await?;
    db.close().await?;
    Ok(Db {
        _dir: dir,
        path,
        url,
    })
}

async fn size() -> anyhow::Result<()> {
    let body = to_canonical_json(&disclosure(42))?;
    let db = fresh_db().await?;
    let ledger = Ledger::open(
        connect_writer(&db.url, SqliteSync::Normal).await?,
        Chain::Locator,
        clock(),
    )
    .await?;
    let n = 100_000u64;
    fill(&ledger, n, 0).await?;
    let conn = Database::connect(&db.url).await?;
    conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await?;
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT AVG(LENGTH(chain) + 8 + 8 + LENGTH(kind) + LENGTH(body) + 32 + 32) FROM ledger_entries",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    let columns: f64 = row.try_get_by_index(0)?;
    let file = std::fs::metadata(&db.path)?.len();
    println!("entry size (realistic disclosure, 20 resource ids):");
    println!("  body (canonical JSON)        {} bytes", body.len());
    println!("  stored columns               {columns:.0} bytes");
    println!(
        "  on disk (file / entries)     {:.0} bytes  ({n} entries, {} MiB incl. primary key index)",
        file as f64 / n as f64,
        file / (1024 * 1024)
    );
    Ok(())
}

/// Append `n` entries from 256 tasks.
async fn fill(ledger: &Ledger, n: u64, from: u64) -> anyhow::Result<()> {
    run(ledger, 256, n, from).await.map(|_| ())
}

/// `n` appends spread over `tasks` concurrent appenders; each append's latency.
async fn run(ledger: &Ledger, tasks: u64, n: u64, from: u64) -> anyhow::Result<Vec<Duration>> {
    let per_task = n / tasks;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let ledger = ledger.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task as usize);
            for i in 0..per_task {
                let payload = disclosure(from + t * per_task + i);
                let started = Instant::now();
                ledger.record(&payload).await?;
                latencies.push(started.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(n as usize);
    for handle in handles {
        all.extend(handle.await??);
    }
    Ok(all)
}

async fn append() -> anyhow::Result<()> {
    println!("durable appends/s (SQLite file, WAL, realistic disclosure bodies):");
    println!(
        "  sync    appenders  appends   seconds  appends/s  commits  entries/commit  p50 ms  p99 ms"
    );
    for sync in [SqliteSync::Full, SqliteSync::Normal] {
        for (tasks, n) in [(1u64, 2_000u64), (16, 32_000), (256, 256_000)] {
            let db = fresh_db().await?;
            let ledger = Ledger::open(
                connect_writer(&db.url, sync).await?,
                Chain::Locator,
                clock(),
            )
            .await?;
            let started = Instant::now();
            let mut latencies = run(&ledger, tasks, n, 0).await?;
            let elapsed = started.elapsed().as_secs_f64();
            latencies.sort_unstable();
            let pct =
                |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
            let stats = ledger.stats();
            println!(
                "  {:<7} {tasks:>9}  {n:>7}  {elapsed:>8.2}  {:>9.0}  {:>7}  {:>14.1}  {:>6.2}  {:>6.2}",
                format!("{sync:?}"),
                n as f64 / elapsed,
                stats.batches,
                stats.entries as f64 / stats.batches as f64,
                pct(0.5),
                pct(0.99),
            );
        }
    }
    Ok(())
}

async fn verify(n: u64) -> anyhow::Result<()> {
    let db = fresh_db().await?;
    let ledger = Ledger::open(
        connect_writer(&db.url, SqliteSync::Normal).await?,
        Chain::Locator,
        clock(),
    )
    .await?;
    let started = Instant::now();
    fill(&ledger, n, 0).await?;
    println!(
        "verification ({n} entries written in {:.1} s by 256 appenders):",
        started.elapsed().as_secs_f64()
    );
    let conn = continuum_migrations::database::connect(&db.url, 4).await?;

    // The two halves alone: reading the rows, hashing them.
    let started = Instant::now();
    let mut rows = 0u64;
    let mut from = 1u64;
    let mut in_memory = Vec::new();
    loop {
        let page = continuum_ledger::read_entries(&conn, &Chain::Locator, from, 4096).await?;
        let Some(last) = page.last() else { break };
        from = last.seq + 1;
        for entry in page {
            if in_memory.len() < 100_000 {
                in_memory.push(entry);
            }
            rows += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  reading only: {rows} rows in {elapsed:.2} s = {:.0} rows/s",
        rows as f64 / elapsed
    );
    let started = Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        continuum_ledger::verify(
            "locator",
            in_memory.iter().cloned(),
            vec![],
            &VerifyOptions::default(),
        )
        .map_err(|broken| anyhow::anyhow!("{broken}"))?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let hashed = rounds * in_memory.len();
    println!(
        "  hashing only: {hashed} entries in {elapsed:.2} s = {:.0} entries/s (in memory)",
        hashed as f64 / elapsed
    );

    for round in 1..=2 {
        let started = Instant::now();
        let verified = verify_stored(&conn, &Chain::Locator, &VerifyOptions::default())
            .await?
            .map_err(|broken| anyhow::anyhow!("{broken}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "  round {round}: {} entries in {elapsed:.2} s = {:.0} entries/s (read from SQLite, hashed)",
            verified.count,
            verified.count as f64 / elapsed
        );
    }
    Ok(())
}
