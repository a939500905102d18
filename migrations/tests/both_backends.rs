//! Every migration runs up, down and up again on SQLite and on PostgreSQL,
//! and what one fills in for existing rows is right on both.

use continuum_migrations::{LocatorMigrator, MigratorTrait, NodeMigrator};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

async fn round_trip<M: MigratorTrait>(db: &DatabaseConnection, probe: &str) {
    M::up(db, None).await.expect("migrate up");
    assert!(
        M::get_pending_migrations(db)
            .await
            .expect("status")
            .is_empty()
    );
    M::down(db, None).await.expect("migrate down");
    M::up(db, None).await.expect("migrate up again");
    db.execute_unprepared(probe)
        .await
        .expect("the schema exists after migrating");
}

async fn both_schemas(db: &DatabaseConnection) {
    round_trip::<NodeMigrator>(
        db,
        "SELECT r.tenant_id, r.id, r.content, f.seq, f.demographics, d.released \
         FROM resources r, patient_feed f, releases d",
    )
    .await;
    round_trip::<LocatorMigrator>(
        db,
        "SELECT n.id, o.id, c.serial, t.id, e.seq, p.id, r.person_id, f.seq, h.action, q.score \
         FROM nodes n, organizations o, certificates c, enrollment_tokens t, \
         directory_events e, persons p, registrations r, feed_receipts f, link_history h, \
         review_items q",
    )
    .await;
    db.execute_unprepared(
        "SELECT o.sensitivity, y.mode, d.consent_json, b.expires_at, x.purpose, s.released \
         FROM organizations o, consent_policy y, consent_directives d, break_glass_accesses b, \
         disclosures x, disclosure_sources s",
    )
    .await
    .expect("the sharing tables exist after migrating");
}

/// Disclosures recorded before `ledger_seq` existed find their ledger
/// entries by disclosure id, and only their own.
async fn disclosures_learn_their_ledger_position(db: &DatabaseConnection) {
    LocatorMigrator::up(db, Some(7))
        .await
        .expect("migrate to 100007");
    let zeros = match db.get_database_backend() {
        DbBackend::Postgres => "decode(repeat('00', 32), 'hex')",
        _ => "zeroblob(32)",
    };
    for (seq, kind, body) in [
        (
            1,
            "directory.change",
            r#"{"action":"organization.create","organization":"d-2"}"#,
        ),
        (
            2,
            "disclosure.permit",
            r#"{"disclosure_id":"d-2","person_id":"p-1"}"#,
        ),
        (
            3,
            "disclosure.deny",
            r#"{"disclosure_id":"d-1","person_id":"p-1"}"#,
        ),
    ] {
        db.execute_unprepared(&format!(
            "INSERT INTO ledger_entries (chain, seq, recorded_at_ms, kind, body, prev_hash, hash) \
             VALUES ('locator', {seq}, 0, '{kind}', '{body}', {zeros}, {zeros})"
        ))
        .await
        .expect("ledger entry");
    }
    for id in ["d-1", "d-2", "d-3"] {
        db.execute_unprepared(&format!(
            "INSERT INTO disclosures (id, at, person_id, requester_tenant, practitioner_id, \
             practitioner_name, practitioner_role, purpose, break_glass, break_glass_reason) \
             VALUES ('{id}', '2026-11-27T10:00:00.000Z', 'p-1', 'h', 'dr', 'Dr', 'clinician', \
             'TREAT', FALSE, '')"
        ))
        .await
        .expect("disclosure");
    }
    LocatorMigrator::up(db, None).await.expect("migrate up");
    let rows = db
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id, ledger_seq FROM disclosures ORDER BY id",
        ))
        .await
        .expect("read back");
    let found: Vec<(String, Option<i64>)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("id"),
                row.try_get_by_index(1).expect("ledger_seq"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("d-1".to_owned(), Some(3)),
            ("d-2".to_owned(), Some(2)),
            ("d-3".to_owned(), None)
        ]
    );
}

#[tokio::test]
async fn migrations_run_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("continuum-migrate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("all.db").display());
    let db = Database::connect(&url).await.expect("sqlite");
    both_schemas(&db).await;
    db.close().await.expect("close");
    let url = format!("sqlite://{}?mode=rwc", dir.join("backfill.db").display());
    let db = Database::connect(&url).await.expect("sqlite");
    disclosures_learn_their_ledger_position(&db).await;
    db.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn migrations_run_on_postgres() {
    let admin_url = std::env::var("CONTINUUM_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!("CONTINUUM_TEST_POSTGRES is not set: run the suite with tests/run")
    });
    let admin = Database::connect(&admin_url).await.expect("postgres");
    let name = format!("continuum_migrate_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create db");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("test db");
    both_schemas(&db).await;
    db.close().await.expect("close");
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop db");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create db");
    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("test db");
    disclosures_learn_their_ledger_position(&db).await;
    db.close().await.expect("close");
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop db");
}
