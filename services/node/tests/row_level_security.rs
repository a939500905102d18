//! On PostgreSQL, row-level security is a second lock behind the store's
//! tenant scoping: a query that forgets its tenant filter, run the way the
//! store runs every transaction, still sees only its own tenant's rows and
//! cannot write into another's.

use continuum_mesh::clock::Environment;
use continuum_node::config::TenantConfig;
use continuum_node::records::{OnIdentifierMatch, Records};
use continuum_node::store::Store;
use continuum_node::tenant::Tenants;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};

fn tenant(id: &str) -> TenantConfig {
    TenantConfig {
        id: id.into(),
        name: id.into(),
        credentials: vec![],
        identity: None,
    }
}

/// The test server's admin connection and URL (`tests/run` sets it up).
async fn admin() -> anyhow::Result<(DatabaseConnection, String)> {
    let url = std::env::var("CONTINUUM_TEST_POSTGRES")
        .map_err(|_| anyhow::anyhow!("CONTINUUM_TEST_POSTGRES is not set: run tests/run"))?;
    Ok((Database::connect(&url).await?, url))
}

/// A node's records on `url`, hosting the tenants `north` and `south`.
async fn open_records(url: &str) -> anyhow::Result<(Store, Tenants, Records)> {
    let store = Store::open(url).await?;
    let tenants = Tenants::new(&[tenant("north"), tenant("south")]);
    store
        .sync_tenants(tenants.iter().map(|(id, c)| (id, c.name.as_str())))
        .await?;
    let records = Records::new(store.clone(), Environment::default(), "http://test".into());
    Ok((store, tenants, records))
}

#[tokio::test]
async fn a_query_without_a_tenant_filter_sees_only_its_tenant() -> anyhow::Result<()> {
    let (admin, admin_url) = admin().await?;
    let name = format!("continuum_rls_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let url = format!("{base}/{name}");

    let (store, tenants, records) = open_records(&url).await?;
    for (tenant, given) in [("north", "Nora"), ("south", "Sam")] {
        let patient = format!(
            r#"{{"resourceType":"Patient","identifier":[{{"system":"urn:mrn","value":"1"}}],"name":[{{"given":["{given}"]}}]}}"#
        );
        records
            .create(
                &tenants.resolve(tenant)?,
                &patient,
                None,
                OnIdentifierMatch::Refuse,
            )
            .await?;
    }

    // The same connection the node uses (a superuser here), run as the store runs
    // every transaction: the app role, and the tenant named for the transaction.
    let db = Database::connect(&url).await?;
    let tx = db.begin().await?;
    tx.execute_unprepared("SET LOCAL ROLE continuum_node")
        .await?;
    tx.execute_unprepared("SELECT set_config('continuum.tenant', 'north', true)")
        .await?;
    let rows = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT tenant_id, content FROM resources",
        ))
        .await?;
    assert_eq!(rows.len(), 1, "only north's patient is visible");
    let tenant: String = rows[0].try_get("", "tenant_id")?;
    assert_eq!(tenant, "north");
    let tokens = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT tenant_id FROM search_tokens",
        ))
        .await?;
    assert_eq!(tokens.len(), 1);
    // The feed's outbox holds each tenant's patient events, under the same lock.
    let feed = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT tenant_id FROM patient_feed",
        ))
        .await?;
    assert_eq!(feed.len(), 1, "only north's feed events are visible");

    let forged = tx
        .execute_unprepared(
            "INSERT INTO resources (tenant_id, resource_type, id, version_id, last_updated, labels, content) \
             VALUES ('south', 'Patient', 'forged', 1, '2026-01-01T00:00:00.000Z', '', '{}')",
        )
        .await;
    let message = forged
        .expect_err("writing another tenant's row is refused")
        .to_string();
    assert!(message.contains("row-level security"), "{message}");
    drop(tx);

    // Without naming a tenant, nothing is visible at all.
    let tx = db.begin().await?;
    tx.execute_unprepared("SET LOCAL ROLE continuum_node")
        .await?;
    let rows = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id FROM resources",
        ))
        .await?;
    assert!(rows.is_empty());
    drop(tx);

    db.close().await?;
    store.close().await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await?;
    Ok(())
}

/// A node whose database login is not a superuser (as in production) can
/// migrate its database, and its writes and reads work under row-level security.
#[tokio::test]
async fn a_node_runs_as_an_ordinary_database_login() -> anyhow::Result<()> {
    let (admin, admin_url) = admin().await?;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (login, name) = (
        format!("continuum_login_{suffix}"),
        format!("continuum_app_{suffix}"),
    );
    // What infra/README.md asks of a DBA: a login that may create the app
    // role (or is granted it), owning the node's database.
    admin
        .execute_unprepared(&format!(
            "CREATE ROLE {login} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS"
        ))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} OWNER {login}"))
        .await?;
    let (scheme, rest) = admin_url
        .split_once("://")
        .unwrap_or(("postgres", &admin_url));
    let host_and_db = rest.split_once('@').map_or(rest, |(_, host)| host);
    let host = host_and_db
        .rsplit_once('/')
        .map_or(host_and_db, |(host, _)| host);
    let url = format!("{scheme}://{login}@{host}/{name}");

    let outcome = async {
        let (store, tenants, records) = open_records(&url).await?;
        let north = tenants.resolve("north")?;
        let created = records
            .create(
                &north,
                r#"{"resourceType":"Patient","gender":"female"}"#,
                None,
                OnIdentifierMatch::Refuse,
            )
            .await?;
        let read = records
            .get(&north, "Patient", &created.row.id, None)
            .await?;
        assert_eq!(read.id, created.row.id);
        let south = tenants.resolve("south")?;
        assert!(
            records
                .get(&south, "Patient", &created.row.id, None)
                .await
                .is_err()
        );
        store.close().await?;
        anyhow::Ok(())
    }
    .await;

    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("DROP ROLE {login}"))
        .await?;
    outcome
}
