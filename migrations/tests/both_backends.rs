//! Every migration runs up, down and up again on SQLite and on PostgreSQL.

use continuum_migrations::{MigratorTrait, NodeMigrator};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

async fn round_trip(db: &DatabaseConnection) {
    NodeMigrator::up(db, None).await.expect("migrate up");
    assert!(
        NodeMigrator::get_pending_migrations(db)
            .await
            .expect("status")
            .is_empty()
    );
    NodeMigrator::down(db, None).await.expect("migrate down");
    NodeMigrator::up(db, None).await.expect("migrate up again");
    db.execute_unprepared(
        "SELECT tenant_id, resource_type, id, version_id, content FROM resources",
    )
    .await
    .expect("the resources table exists");
}

#[tokio::test]
async fn node_migrations_run_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("continuum-migrate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("node.db").display());
    let db = Database::connect(&url).await.expect("sqlite");
    round_trip(&db).await;
    db.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn node_migrations_run_on_postgres() {
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
    round_trip(&db).await;
    db.close().await.expect("close");
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop db");
}
