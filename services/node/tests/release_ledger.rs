//! Each tenant keeps a tamper-evident ledger of what it released: a release
//! is recorded in the tenant's chain in the same transaction as its
//! `releases` row, never in another tenant's, and when the ledger cannot be
//! written nothing is released. On SQLite, and on PostgreSQL when
//! `CONTINUUM_TEST_POSTGRES` names a server.

use continuum_consent::{Grant, LabelSet};
use continuum_fhir::Sensitivity;
use continuum_ledger::{Chain, LedgerKey, VerifyOptions, verify_stored};
use continuum_mesh::clock::Environment;
use continuum_node::NodeError;
use continuum_node::config::TenantConfig;
use continuum_node::records::{OnIdentifierMatch, Records};
use continuum_node::store::{Checkpoints, Disclosure, Store, StoreError};
use continuum_node::tenant::{TenantId, Tenants};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;

/// A node hosting `north` and `south` on a fresh database, with a patient
/// at `north` who has an immunization and a depression diagnosis.
struct TestNode {
    backend: &'static str,
    store: Store,
    records: Records,
    north: TenantId,
    south: TenantId,
    patient: String,
    /// Outside the node's store: what an operator (or an attacker) runs.
    admin: DatabaseConnection,
    drop: Option<(DatabaseConnection, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestNode {
    async fn sqlite() -> anyhow::Result<TestNode> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display());
        let mut node = TestNode::open("sqlite", &url).await?;
        node._dir = Some(dir);
        Ok(node)
    }

    async fn postgres(admin_url: &str) -> anyhow::Result<TestNode> {
        let server = Database::connect(admin_url).await?;
        let name = format!("continuum_release_ledger_{}", uuid::Uuid::new_v4().simple());
        server
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        let mut node = TestNode::open("postgres", &format!("{base}/{name}")).await?;
        node.drop = Some((server, name));
        Ok(node)
    }

    async fn open(backend: &'static str, url: &str) -> anyhow::Result<TestNode> {
        let env = Environment::default();
        let mut store = Store::open(url).await?;
        let tenants = Tenants::new(&[tenant("north"), tenant("south")]);
        store
            .sync_tenants(tenants.iter().map(|(id, c)| (id, c.name.as_str())))
            .await?;
        store
            .open_ledgers(tenants.iter().map(|(id, _)| id), env.clock.clone())
            .await?;
        let records = Records::new(store.clone(), env, "http://test".into());
        let north = tenants.resolve("north")?;
        let patient = records
            .create(
                &north,
                r#"{"resourceType":"Patient","name":[{"family":"Okafor","given":["Nora"]}],"birthDate":"1984-07-12"}"#,
                None,
                OnIdentifierMatch::Refuse,
            )
            .await?
            .row
            .id;
        for resource in [
            json!({
                "resourceType": "Immunization", "status": "completed",
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
                "patient": {"reference": format!("Patient/{patient}")},
                "occurrenceDateTime": "2024-10-01"
            }),
            json!({
                "resourceType": "Condition",
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F32.9", "display": "Major depressive disorder"}]},
                "subject": {"reference": format!("Patient/{patient}")}
            }),
        ] {
            records
                .create(
                    &north,
                    &resource.to_string(),
                    None,
                    OnIdentifierMatch::Refuse,
                )
                .await?;
        }
        Ok(TestNode {
            backend,
            store,
            records,
            north,
            south: tenants.resolve("south")?,
            patient,
            admin: Database::connect(url).await?,
            drop: None,
            _dir: None,
        })
    }

    /// Release the patient's records at `north` to the hospital.
    async fn disclose(&self, id: &str) -> Result<Vec<serde_json::Value>, NodeError> {
        let grant = Grant {
            open_by_default: true,
            ..Grant::default()
        };
        self.records
            .disclose(&self.north, disclosure(id, &self.patient), &[], &grant)
            .await
    }

    /// `(chain, seq, kind, body)` of every ledger row, whichever tenant's.
    async fn ledger_rows(&self) -> anyhow::Result<Vec<(String, i64, String, String)>> {
        let rows = self
            .admin
            .query_all_raw(Statement::from_string(
                self.admin.get_database_backend(),
                "SELECT chain, seq, kind, body FROM release_ledger ORDER BY chain, seq",
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get_by_index(0)?,
                    row.try_get_by_index(1)?,
                    row.try_get_by_index(2)?,
                    row.try_get_by_index(3)?,
                ))
            })
            .collect()
    }

    async fn count(&self, table: &str) -> anyhow::Result<i64> {
        let row = self
            .admin
            .query_one_raw(Statement::from_string(
                self.admin.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count"))?;
        Ok(row.try_get_by_index(0)?)
    }

    /// The chain verifies and has `count` entries.
    async fn assert_verifies(&self, tenant: &str, count: u64) -> anyhow::Result<()> {
        let verdict =
            verify_stored(&self.admin, &Chain::node(tenant), &VerifyOptions::default()).await?;
        let verified = verdict.map_err(|broken| anyhow::anyhow!("{broken:?}"))?;
        assert_eq!(verified.count, count, "{}: {tenant}", self.backend);
        Ok(())
    }

    async fn cleanup(self) -> anyhow::Result<()> {
        self.admin.close().await?;
        self.store.close().await?;
        if let Some((server, name)) = self.drop {
            server
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }
}

fn tenant(id: &str) -> TenantConfig {
    TenantConfig {
        id: id.into(),
        name: id.into(),
        credentials: vec![],
        identity: None,
    }
}

fn disclosure(id: &str, patient: &str) -> Disclosure {
    Disclosure {
        disclosure_id: id.into(),
        at: String::new(),
        patient_ids: vec![patient.into()],
        requester_tenant: "hospital-h".into(),
        practitioner_id: "dr-lee".into(),
        practitioner_name: "Dr. Ana Lee".into(),
        practitioner_role: "clinician".into(),
        practitioner_professional_id: "1234567893".into(),
        purpose: "TREAT".into(),
        break_glass: false,
        break_glass_reason: String::new(),
        released: Vec::new(),
    }
}

/// SQLite always; PostgreSQL too when `CONTINUUM_TEST_POSTGRES` is set.
async fn backends() -> anyhow::Result<Vec<TestNode>> {
    let mut out = vec![TestNode::sqlite().await?];
    if let Ok(url) = std::env::var("CONTINUUM_TEST_POSTGRES") {
        out.push(TestNode::postgres(&url).await?);
    }
    Ok(out)
}

#[tokio::test]
async fn a_release_is_recorded_in_its_tenants_ledger_and_no_other() -> anyhow::Result<()> {
    for node in backends().await? {
        let released = node.disclose("d-1").await?;
        assert_eq!(released.len(), 3, "{}", node.backend);

        let rows = node.ledger_rows().await?;
        assert_eq!(
            rows.len(),
            1,
            "{}: one entry, in north's chain only",
            node.backend
        );
        let (chain, seq, kind, body) = &rows[0];
        assert_eq!(
            (chain.as_str(), *seq, kind.as_str()),
            ("north", 1, "release")
        );
        let body: serde_json::Value = serde_json::from_str(body)?;
        assert_eq!(body["disclosure_id"], "d-1");
        assert_eq!(body["patient_ids"], json!([node.patient]));
        assert_eq!(
            body["requester"],
            json!({
                "tenant": "hospital-h",
                "practitioner_id": "dr-lee",
                "role": "clinician",
                "name": "Dr. Ana Lee",
                "professional_id": "1234567893"
            }),
            "the practitioner as the requester's provider vouched for them"
        );
        assert_eq!(body["purpose"], "TREAT");
        assert_eq!(body["break_glass"], false);
        assert_eq!(body["categories"], json!(["PSY"]));
        let versions = body["released"].as_array().map_or(0, Vec::len);
        assert_eq!(versions, 3);
        assert!(
            body["released"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|r| r.as_str().is_some_and(|r| r.ends_with("/_history/1")))
        );
        // The patient by ids, the records by ids and categories: never the
        // patient's name or birth date, or content.
        for absent in ["Nora", "Okafor", "1984", "depressive", "F32.9"] {
            assert!(!body.to_string().contains(absent), "{absent} in {body}");
        }
        assert_eq!(node.count("releases").await?, 1);

        node.disclose("d-2").await?;
        node.assert_verifies("north", 2).await?;
        node.assert_verifies("south", 0).await?;
        node.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn when_the_ledger_refuses_the_entry_nothing_is_released() -> anyhow::Result<()> {
    for node in backends().await? {
        let offline = match node.backend {
            "sqlite" => vec![
                "CREATE TRIGGER ledger_offline BEFORE INSERT ON release_ledger \
                 BEGIN SELECT RAISE(ABORT, 'ledger offline'); END",
            ],
            _ => vec![
                "CREATE FUNCTION ledger_offline() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'ledger offline'; END $$",
                "CREATE TRIGGER ledger_offline BEFORE INSERT ON release_ledger \
                 FOR EACH ROW EXECUTE FUNCTION ledger_offline()",
            ],
        };
        for sql in offline {
            node.admin.execute_unprepared(sql).await?;
        }

        let refused = node.disclose("d-refused").await;
        let Err(error) = refused else {
            anyhow::bail!("{}: released without a ledger entry", node.backend);
        };
        assert!(
            matches!(error, NodeError::Store(StoreError::Ledger(_))),
            "{}: {error:?}",
            node.backend
        );
        let status = tonic::Status::from(error);
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "the release could not be recorded in the audit ledger; nothing was released"
        );
        assert_eq!(node.count("releases").await?, 0, "{}", node.backend);
        assert_eq!(node.count("release_ledger").await?, 0, "{}", node.backend);

        // Back online, the chain starts where the refused entry would have.
        let online = match node.backend {
            "sqlite" => "DROP TRIGGER ledger_offline",
            _ => "DROP TRIGGER ledger_offline ON release_ledger",
        };
        node.admin.execute_unprepared(online).await?;
        node.disclose("d-1").await?;
        assert_eq!(node.count("releases").await?, 1);
        node.assert_verifies("north", 1).await?;
        node.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn without_its_ledger_table_a_node_releases_nothing() -> anyhow::Result<()> {
    for node in backends().await? {
        node.admin
            .execute_unprepared("DROP TABLE release_ledger")
            .await?;
        let refused = node.disclose("d-1").await;
        assert!(
            matches!(refused, Err(NodeError::Store(StoreError::Ledger(_)))),
            "{}: {refused:?}",
            node.backend
        );
        assert_eq!(node.count("releases").await?, 0, "{}", node.backend);
        node.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn concurrent_releases_of_two_tenants_keep_both_chains_whole() -> anyhow::Result<()> {
    for node in backends().await? {
        // A patient at south too, so that both tenants release.
        let at_south = node
            .records
            .create(
                &node.south,
                r#"{"resourceType":"Patient","gender":"male"}"#,
                None,
                OnIdentifierMatch::Refuse,
            )
            .await?
            .row
            .id;
        let grant = Grant {
            open_by_default: true,
            tenant_labels: LabelSet::of([Sensitivity::Eth]),
            ..Grant::default()
        };
        let mut releases = tokio::task::JoinSet::new();
        for i in 0..6 {
            for (tenant, patient) in [(&node.north, &node.patient), (&node.south, &at_south)] {
                let (records, tenant, grant) =
                    (node.records.clone(), tenant.clone(), grant.clone());
                let disclosure = disclosure(&format!("d-{tenant}-{i}"), patient);
                releases
                    .spawn(async move { records.disclose(&tenant, disclosure, &[], &grant).await });
            }
        }
        while let Some(released) = releases.join_next().await {
            released??;
        }
        assert_eq!(node.count("releases").await?, 12, "{}", node.backend);
        node.assert_verifies("north", 6).await?;
        node.assert_verifies("south", 6).await?;
        let rows = node.ledger_rows().await?;
        for (chain, _, _, body) in &rows {
            let body: serde_json::Value = serde_json::from_str(body)?;
            let id = body["disclosure_id"].as_str().unwrap_or_default();
            assert!(
                id.starts_with(&format!("d-{chain}-")),
                "{id} in {chain}'s chain"
            );
            // The organization's own label is among what was released.
            assert!(
                body["categories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c == "ETH")
            );
        }
        node.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn checkpoints_sign_each_chain_that_grew() -> anyhow::Result<()> {
    for node in backends().await? {
        let key = LedgerKey::generate()?;
        let trusted = VerifyOptions {
            from: None,
            trusted_keys: vec![*key.public_key()],
        };
        let checkpoints = Checkpoints::new(node.store.ledgers().clone(), key);
        assert_eq!(checkpoints.sign().await, 0, "empty chains are not signed");
        node.disclose("d-1").await?;
        assert_eq!(
            checkpoints.sign().await,
            1,
            "{}: north's only",
            node.backend
        );
        assert_eq!(checkpoints.sign().await, 0, "nothing new to sign");
        node.disclose("d-2").await?;
        assert_eq!(checkpoints.sign().await, 1);

        let verified = verify_stored(&node.admin, &Chain::node("north"), &trusted)
            .await?
            .map_err(|broken| anyhow::anyhow!("{broken:?}"))?;
        assert_eq!(
            (verified.count, verified.checkpoints),
            (2, 2),
            "{}",
            node.backend
        );
        node.cleanup().await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_store_without_ledgers_releases_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display());
    let store = Store::open(&url).await?;
    let tenants = Tenants::new(&[tenant("north")]);
    let north = tenants.resolve("north")?;
    store
        .sync_tenants(tenants.iter().map(|(id, c)| (id, c.name.as_str())))
        .await?;
    let records = Records::new(store.clone(), Environment::default(), "http://test".into());
    let refused = records
        .disclose(&north, disclosure("d-1", "p-1"), &[], &Grant::default())
        .await;
    assert!(
        matches!(refused, Err(NodeError::Store(StoreError::Ledger(_)))),
        "{refused:?}"
    );
    store.close().await?;
    Ok(())
}
