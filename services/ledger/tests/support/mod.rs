//! Shared fixtures: real databases (an SQLite file, and a fresh PostgreSQL
//! database when `CONTINUUM_TEST_POSTGRES` names a server), a controllable
//! clock, realistic payloads, and the SQL an attacker with database access
//! would run.

#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::DateTime;
use continuum_ledger::payload::{Decision, Disclosure, Requester, SourceDecision};
use continuum_ledger::{Chain, Ledger, Now, SqliteSync, connect_writer};
use continuum_migrations::{LocatorMigrator, MigratorTrait, NodeMigrator};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TryGetable, Value,
};

/// A migrated database (both schemas, as when locator and node share one),
/// dropped at the end of the test.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop: Option<(DatabaseConnection, String)>,
}

impl TestDb {
    pub async fn sqlite() -> anyhow::Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("ledger.db").display()
        );
        migrate(&url).await?;
        Ok(TestDb {
            name: "sqlite",
            url,
            _dir: Some(dir),
            drop: None,
        })
    }

    pub async fn postgres(admin_url: &str) -> anyhow::Result<TestDb> {
        let admin = Database::connect(admin_url).await?;
        let name = format!("continuum_ledger_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        let url = format!("{base}/{name}");
        migrate(&url).await?;
        Ok(TestDb {
            name: "postgres",
            url,
            _dir: None,
            drop: Some((admin, name)),
        })
    }

    /// The writer's connection, as a service would open it.
    pub async fn writer(&self) -> anyhow::Result<DatabaseConnection> {
        Ok(connect_writer(&self.url, SqliteSync::Full).await?)
    }

    /// Another connection (a caller's pool, or an attacker's session).
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        Ok(continuum_migrations::database::connect(&self.url, 4).await?)
    }

    pub async fn ledger(&self, chain: Chain, clock: &TestClock) -> anyhow::Result<Ledger> {
        Ok(Ledger::open(self.writer().await?, chain, clock.now()).await?)
    }

    pub async fn cleanup(self) -> anyhow::Result<()> {
        if let Some((admin, name)) = self.drop {
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }
}

async fn migrate(url: &str) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    LocatorMigrator::up(&db, None).await?;
    NodeMigrator::up(&db, None).await?;
    db.close().await?;
    Ok(())
}

/// SQLite always; PostgreSQL too when `CONTINUUM_TEST_POSTGRES` is set.
pub async fn backends() -> anyhow::Result<Vec<TestDb>> {
    let mut out = vec![TestDb::sqlite().await?];
    if let Ok(admin) = std::env::var("CONTINUUM_TEST_POSTGRES") {
        out.push(TestDb::postgres(&admin).await?);
    }
    Ok(out)
}

/// A clock that starts at a fixed time and moves one millisecond per reading.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl Default for TestClock {
    fn default() -> Self {
        TestClock(Arc::new(AtomicI64::new(1_790_000_000_000)))
    }
}

impl TestClock {
    pub fn now(&self) -> Now {
        let ms = Arc::clone(&self.0);
        Arc::new(move || {
            let at = ms.fetch_add(1, Ordering::Relaxed);
            DateTime::from_timestamp_millis(at).unwrap_or_default()
        })
    }
}

/// A realistic disclosure: two holding organizations, twenty resources.
pub fn disclosure(n: usize) -> Disclosure {
    let released: Vec<String> = (0..20)
        .map(|i| format!("Observation/{:08x}-5b2e-4c8f-9a51-{:012x}", n, i))
        .collect();
    Disclosure {
        disclosure_id: format!("d-{n:08}"),
        person_id: format!("{n:08x}-1f0c-4d6a-8f3e-6b1c9a0d2e4f"),
        requester: Requester {
            tenant: "riverside-hospital".into(),
            practitioner_id: "pr-3f9a1c".into(),
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
                released,
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

/// Run `sql` with `$1, $2, …` placeholders on either backend.
pub async fn execute(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}

/// The first column of the first row of `sql`.
pub async fn query<T: TryGetable>(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> anyhow::Result<T> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row for {sql}"))?;
    Ok(row.try_get_by_index(0)?)
}

fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Postgres {
        sql.to_owned()
    } else {
        sql.replace('$', "?")
    }
}

/// What an attacker with database access does first: remove the
/// append-only guards.
pub async fn remove_guards(db: &DatabaseConnection) -> anyhow::Result<()> {
    let tables = [
        "ledger_entries",
        "ledger_checkpoints",
        "release_ledger",
        "release_ledger_checkpoints",
    ];
    for table in tables {
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .await?;
        } else {
            for op in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!("DROP TRIGGER {table}_append_only_{op}"))
                    .await?;
            }
        }
    }
    Ok(())
}
