//! Every migration runs up, down and up again on SQLite and on PostgreSQL.

use continuum_migrations::{LocatorMigrator, MigratorTrait, NodeMigrator};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

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

#[tokio::test]
async fn migrations_run_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("continuum-migrate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("all.db").display());
    let db = Database::connect(&url).await.expect("sqlite");
    both_schemas(&db).await;
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
}
