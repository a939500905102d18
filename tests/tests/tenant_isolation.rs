//! Two tenants on one node, with the same MRNs and identifiers: through every
//! API, neither can read, search, update, import into or export the other's data.

use continuum_e2e::node::TestNode;
use continuum_e2e::postgres::TestDatabase;
use continuum_e2e::{by_identifier, by_name, import, patient, patient_ids, patient_update};
use continuum_proto::node::v1 as pb;
use serde_json::json;
use tonic::Code;

async fn tenants_cannot_reach_each_others_records(node: &TestNode) {
    let mut a = node.client("clinic-a").await;
    let mut b = node.client("clinic-b").await;

    // Same MRN, same name pattern, in both organizations.
    let alice = a
        .register_patient(pb::CreateResourceRequest {
            resource_json: patient("Shared", "Alice", "MRN-1").to_string(),
        })
        .await
        .expect("register at clinic-a")
        .into_inner();
    let bob = b
        .register_patient(pb::CreateResourceRequest {
            resource_json: patient("Shared", "Bob", "MRN-1").to_string(),
        })
        .await
        .expect("register the same MRN at clinic-b")
        .into_inner();
    let obs = json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "25836-8"}]},
        "subject": {"reference": format!("Patient/{}", alice.id)},
        "effectiveDateTime": "2024-01-02T03:04:05Z"});
    let obs = a
        .create_resource(pb::CreateResourceRequest {
            resource_json: obs.to_string(),
        })
        .await
        .expect("observation at clinic-a")
        .into_inner();

    // Read.
    let get = b
        .get_patient(pb::GetPatientRequest {
            id: alice.id.clone(),
        })
        .await;
    assert_eq!(
        get.expect_err("clinic-b reads clinic-a's patient").code(),
        Code::NotFound
    );
    let key = pb::ResourceKey {
        resource_type: "Observation".into(),
        id: obs.id.clone(),
    };
    let get = b
        .get_resource(pb::GetResourceRequest {
            key: Some(key.clone()),
            version: None,
        })
        .await;
    assert_eq!(
        get.expect_err("clinic-b reads clinic-a's observation")
            .code(),
        Code::NotFound
    );
    let history = b.get_resource_history(key.clone()).await;
    assert_eq!(history.expect_err("history").code(), Code::NotFound);

    // Search: the shared MRN finds only the caller's own patient.
    for (client, own) in [(&mut a, &alice.id), (&mut b, &bob.id)] {
        for identifier in ["urn:oid:1.2.3.4.5.mrn|MRN-1", "MRN-1"] {
            let ids = patient_ids(client, by_identifier(identifier)).await;
            assert_eq!(ids, std::slice::from_ref(own));
        }
        let ids = patient_ids(client, by_name("shared")).await;
        assert_eq!(ids, std::slice::from_ref(own));
    }

    // List and export.
    let list = b
        .list_patient_resources(pb::ListPatientResourcesRequest {
            patient_id: alice.id.clone(),
            ..Default::default()
        })
        .await;
    assert_eq!(list.expect_err("list").code(), Code::NotFound);
    let export = b
        .export_patient(pb::ExportPatientRequest {
            patient_id: alice.id.clone(),
        })
        .await;
    assert_eq!(export.expect_err("export").code(), Code::NotFound);

    // Update.
    let changed = patient("Shared", "Mallory", "MRN-1");
    let update = b
        .update_patient(patient_update(&alice.id, changed, None))
        .await;
    assert_eq!(update.expect_err("update").code(), Code::NotFound);

    // Import into the other tenant: referencing clinic-a's patient is a dangling reference,
    // and a PUT with clinic-a's id creates a separate resource at clinic-b.
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "subject": {"reference": format!("Patient/{}", alice.id)}},
         "request": {"method": "POST", "url": "Observation"}}]});
    let err = import(&mut b, &bundle)
        .await
        .expect_err("import referencing another tenant");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("does not exist"),
        "{}",
        err.message()
    );

    let put = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "id": alice.id, "name": [{"family": "Mallory"}]},
         "request": {"method": "PUT", "url": format!("Patient/{}", alice.id)}}]});
    let result = import(&mut b, &put)
        .await
        .expect("a PUT of the same id at clinic-b");
    assert_eq!(
        result.created, 1,
        "clinic-b gets a Patient of its own under that id"
    );

    // Nothing of clinic-b's attempts reached clinic-a.
    let mine = a
        .export_patient(pb::ExportPatientRequest {
            patient_id: alice.id.clone(),
        })
        .await
        .expect("clinic-a exports its own patient")
        .into_inner();
    assert_eq!(mine.resource_count, 2);
    assert!(mine.bundle_json.contains("Alice") && !mine.bundle_json.contains("Mallory"));
    assert!(!mine.bundle_json.contains(&bob.id));
}

#[tokio::test]
async fn tenants_are_isolated_on_sqlite() {
    let node = TestNode::start();
    tenants_cannot_reach_each_others_records(&node).await;
}

#[tokio::test]
async fn tenants_are_isolated_on_postgres() {
    let db = TestDatabase::create();
    let node = TestNode::start_with(Some(&db.url), 64 * 1024 * 1024);
    tenants_cannot_reach_each_others_records(&node).await;
}
