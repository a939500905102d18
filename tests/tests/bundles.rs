//! Bundle import through the clinical API: Synthea-shaped transactions,
//! idempotent re-import, all-or-nothing transactions, batches, and precise
//! errors for bad input.

use continuum_e2e::node::Client;
use continuum_e2e::node::TestNode;
use continuum_e2e::postgres::TestDatabase;
use continuum_e2e::{
    by_identifier, by_name, entry_keys, import, patient, patient_ids, patient_update,
};
use continuum_proto::node::v1 as pb;
use continuum_synth::{RecordSize, patient_bundle};
use serde_json::json;
use tonic::Code;

async fn first_patient_id(client: &mut Client, identifier: &str) -> Option<String> {
    patient_ids(client, by_identifier(identifier))
        .await
        .into_iter()
        .next()
}

fn mrn_of(bundle: &serde_json::Value) -> String {
    let patient = bundle["entry"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["resource"]["resourceType"] == "Patient")
        })
        .expect("a patient entry");
    let id = &patient["resource"]["identifier"][0];
    format!(
        "{}|{}",
        id["system"].as_str().unwrap_or(""),
        id["value"].as_str().unwrap_or("")
    )
}

async fn reimport_changes_nothing(node: &TestNode) {
    let mut client = node.client("clinic-a").await;
    let bundle = patient_bundle(7, 0, RecordSize::Typical);
    let entries = bundle["entry"].as_array().map_or(0, Vec::len) as u32;

    let first = import(&mut client, &bundle).await.expect("first import");
    assert_eq!(first.created, entries, "every entry is stored");
    let patient_id = first_patient_id(&mut client, &mrn_of(&bundle))
        .await
        .expect("patient stored");
    let before = client
        .export_patient(pb::ExportPatientRequest {
            patient_id: patient_id.clone(),
        })
        .await
        .expect("export")
        .into_inner();

    let second = import(&mut client, &bundle).await.expect("second import");
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 0, entries)
    );
    assert_eq!(
        second.locations, first.locations,
        "the same resources, the same versions"
    );
    let after = client
        .export_patient(pb::ExportPatientRequest { patient_id })
        .await
        .expect("export again")
        .into_inner();
    assert_eq!(after.bundle_json, before.bundle_json);

    // A changed resource gets a new version; the rest stays as it was.
    let mut changed = bundle.clone();
    let entries_mut = changed["entry"].as_array_mut().expect("entries");
    let patient_entry = entries_mut
        .iter_mut()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .expect("patient entry");
    patient_entry["resource"]["gender"] = json!("unknown");
    let third = import(&mut client, &changed)
        .await
        .expect("import with a change");
    assert_eq!((third.created, third.updated), (0, 1));
}

#[tokio::test]
async fn reimporting_a_bundle_duplicates_nothing_on_sqlite() {
    reimport_changes_nothing(&TestNode::start()).await;
}

#[tokio::test]
async fn reimporting_a_bundle_duplicates_nothing_on_postgres() {
    let db = TestDatabase::create();
    reimport_changes_nothing(&TestNode::start_with(Some(&db.url), 64 * 1024 * 1024)).await;
}

async fn failed_transaction_writes_nothing(node: &TestNode) {
    let mut client = node.client("clinic-a").await;
    let mut bundle = patient_bundle(11, 3, RecordSize::Small);
    let mrn = mrn_of(&bundle);
    // The last entry points at a patient that exists nowhere.
    bundle["entry"]
        .as_array_mut()
        .expect("entries")
        .push(json!({
        "fullUrl": "urn:uuid:7d4a7f2c-0000-4000-8000-000000000001",
        "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                     "subject": {"reference": "Patient/does-not-exist"}},
        "request": {"method": "POST", "url": "Observation"}}));
    let last = bundle["entry"].as_array().map_or(0, Vec::len) - 1;

    let err = import(&mut client, &bundle)
        .await
        .expect_err("a dangling reference fails the bundle");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains(&format!("entry {last}"))
            && err.message().contains("Observation.subject.reference")
            && err.message().contains("Patient/does-not-exist"),
        "{}",
        err.message()
    );
    assert_eq!(
        first_patient_id(&mut client, &mrn).await,
        None,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing_on_sqlite() {
    failed_transaction_writes_nothing(&TestNode::start()).await;
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing_on_postgres() {
    let db = TestDatabase::create();
    failed_transaction_writes_nothing(&TestNode::start_with(Some(&db.url), 64 * 1024 * 1024)).await;
}

#[tokio::test]
async fn batch_entries_succeed_or_fail_on_their_own() {
    let node = TestNode::start();
    let mut client = node.client("clinic-a").await;
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": patient("Batch", "One", "B-1"), "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "subject": {"reference": "Patient/nobody"}},
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": patient("Batch", "Two", "B-2"), "request": {"method": "DELETE", "url": "Patient/x"}},
        {"resource": patient("Batch", "Three", "B-3"), "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Patient", "birthDate": "1980-02-30"},
         "request": {"method": "POST", "url": "Patient"}}]});
    let result = import(&mut client, &bundle).await.expect("batch import");
    assert_eq!(result.created, 2);
    let failed: Vec<u32> = result.failed.iter().map(|f| f.entry).collect();
    assert_eq!(failed, [1, 2, 4]);
    assert!(result.failed[0].message.contains("Patient/nobody"));
    assert!(result.failed[1].message.contains("DELETE"));
    assert!(
        result.failed[2].message.contains("1980-02-30"),
        "{}",
        result.failed[2].message
    );
}

#[tokio::test]
async fn references_between_entries_and_conditional_references_resolve() {
    let node = TestNode::start();
    let mut client = node.client("clinic-a").await;
    let bundle = patient_bundle(3, 1, RecordSize::Small);
    let result = import(&mut client, &bundle).await.expect("import");
    assert!(result.created > 5);
    let patient_id = first_patient_id(&mut client, &mrn_of(&bundle))
        .await
        .expect("patient");
    let export = client
        .export_patient(pb::ExportPatientRequest {
            patient_id: patient_id.clone(),
        })
        .await
        .expect("export")
        .into_inner();
    assert!(
        !export.bundle_json.contains("urn:uuid:"),
        "placeholders were rewritten"
    );
    assert!(
        !export.bundle_json.contains("?identifier="),
        "conditional references were resolved"
    );
    assert!(
        export
            .bundle_json
            .contains(&format!("\"Patient/{patient_id}\""))
    );
    let keys = entry_keys(&export.bundle_json);
    assert_eq!(keys[0], format!("Patient/{patient_id}"));
    // The export is self-contained: practitioners and organizations come along.
    let bundle: serde_json::Value = serde_json::from_str(&export.bundle_json).expect("json");
    let mut references = Vec::new();
    collect_references(&bundle, &mut references);
    assert!(references.iter().any(|r| r.starts_with("Practitioner/")));
    for reference in references {
        assert!(
            keys.contains(&reference),
            "{reference} is not in the export"
        );
    }

    // The organization created conditionally in the first bundle is reused by the next.
    let other = patient_bundle(3, 2, RecordSize::Small);
    import(&mut client, &other).await.expect("second patient");
}

#[tokio::test]
async fn bad_input_gets_a_precise_error_and_writes_nothing() {
    let node = TestNode::start_with(None, 128 * 1024);
    let mut client = node.client("clinic-a").await;
    let create = |json: String| pb::CreateResourceRequest {
        resource_json: json,
    };

    let cases = [
        (
            "{\"resourceType\": \"Patient\",",
            Code::InvalidArgument,
            "not valid JSON",
        ),
        (
            "{\"resourceType\": \"Pateint\"}",
            Code::InvalidArgument,
            "`Pateint` is not a FHIR R4 resource type",
        ),
        (
            "{\"resourceType\": \"Patient\", \"birthDate\": \"1980-02-30\"}",
            Code::InvalidArgument,
            "Patient.birthDate",
        ),
        (
            "{\"resourceType\": \"Patient\", \"colour\": \"blue\"}",
            Code::InvalidArgument,
            "Patient.colour",
        ),
        (
            "{\"resourceType\": \"Observation\", \"status\": \"final\", \"code\": {\"text\": \"x\"}, \"subject\": {\"reference\": \"Patient/ghost\"}}",
            Code::InvalidArgument,
            "Observation.subject.reference: `Patient/ghost` does not exist",
        ),
    ];
    for (json, code, message) in cases {
        let err = client
            .create_resource(create(json.into()))
            .await
            .expect_err(json);
        assert_eq!(err.code(), code, "{json}: {}", err.message());
        assert!(err.message().contains(message), "{json}: {}", err.message());
    }
    let err = client
        .register_patient(create(
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
                .to_string(),
        ))
        .await
        .expect_err("registering an Observation as a patient");
    assert!(
        err.message().contains("expected a Patient resource"),
        "{}",
        err.message()
    );

    let big = patient("Big", &"x".repeat(200 * 1024), "BIG-1");
    let err = client
        .register_patient(create(big.to_string()))
        .await
        .expect_err("oversize");
    assert_eq!(err.code(), Code::OutOfRange, "{}", err.message());

    let err = import(
        &mut client,
        &json!({"resourceType": "Bundle", "type": "searchset"}),
    )
    .await
    .expect_err("searchset");
    assert!(
        err.message()
            .contains("`searchset` bundle cannot be imported"),
        "{}",
        err.message()
    );

    let twice = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0b5f2d0e-0000-4000-8000-000000000001",
         "resource": patient("Twice", "One", "T-1"), "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:0b5f2d0e-0000-4000-8000-000000000001",
         "resource": patient("Twice", "Two", "T-2"), "request": {"method": "POST", "url": "Patient"}}]});
    let err = import(&mut client, &twice)
        .await
        .expect_err("two entries, one fullUrl");
    assert!(
        err.message()
            .contains("entries 0 and 1 have the same fullUrl"),
        "{}",
        err.message()
    );

    assert!(patient_ids(&mut client, by_name("big")).await.is_empty());
    assert!(patient_ids(&mut client, by_name("twice")).await.is_empty());
}

#[tokio::test]
async fn every_update_is_a_new_version_and_history_is_kept() {
    let node = TestNode::start();
    let mut client = node.client("clinic-a").await;
    let created = client
        .register_patient(pb::CreateResourceRequest {
            resource_json: patient("Versioned", "Vera", "V-1").to_string(),
        })
        .await
        .expect("register")
        .into_inner();
    assert_eq!(created.version, 1);
    let again = client
        .register_patient(pb::CreateResourceRequest {
            resource_json: patient("Versioned", "Vera", "V-1").to_string(),
        })
        .await
        .expect_err("the same MRN twice");
    assert_eq!(again.code(), Code::AlreadyExists);

    let next = patient("Versioned", "Veronica", "V-1");
    let update = |if_match_version| patient_update(&created.id, next.clone(), if_match_version);
    let v2 = client
        .update_patient(update(Some(1)))
        .await
        .expect("update")
        .into_inner();
    assert_eq!(v2.version, 2);
    let stale = client
        .update_patient(update(Some(1)))
        .await
        .expect_err("stale version");
    assert_eq!(stale.code(), Code::FailedPrecondition);

    // An update may not take an identifier another patient holds.
    client
        .register_patient(pb::CreateResourceRequest {
            resource_json: patient("Other", "Olga", "W-1").to_string(),
        })
        .await
        .expect("another patient");
    let taking = patient("Versioned", "Veronica", "W-1");
    let err = client
        .update_patient(patient_update(&created.id, taking, None))
        .await
        .expect_err("taking another patient's MRN");
    assert_eq!(err.code(), Code::AlreadyExists, "{}", err.message());

    let key = pb::ResourceKey {
        resource_type: "Patient".into(),
        id: created.id.clone(),
    };
    let history = client
        .get_resource_history(key.clone())
        .await
        .expect("history")
        .into_inner();
    let versions: Vec<u64> = history.versions.iter().map(|v| v.version).collect();
    assert_eq!(versions, [2, 1]);
    assert!(history.versions[1].resource_json.contains("Vera\""));
    let v1 = client
        .get_resource(pb::GetResourceRequest {
            key: Some(key),
            version: Some(1),
        })
        .await
        .expect("version 1")
        .into_inner();
    let v1: serde_json::Value = serde_json::from_str(&v1.resource_json).expect("json");
    assert_eq!(v1["meta"]["versionId"], "1");
    assert_eq!(v1["name"][0]["given"][0], "Vera");
}

#[tokio::test]
async fn two_tenants_import_at_the_same_time() {
    let node = TestNode::start();
    let import_many = |tenant: &'static str, seed: u64| {
        let node = &node;
        async move {
            let mut client = node.client(tenant).await;
            for index in 0..6 {
                let bundle = patient_bundle(seed, index, RecordSize::Small);
                import(&mut client, &bundle)
                    .await
                    .expect("a concurrent import succeeds");
            }
        }
    };
    tokio::join!(import_many("clinic-a", 21), import_many("clinic-b", 22));
}

/// Every `reference` string anywhere in `value`.
fn collect_references(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("reference", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_references(child, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_references(i, out)),
        _ => {}
    }
}
