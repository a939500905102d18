//! Test support for Continuum's end-to-end tests: start real `continuum`
//! processes with generated configuration and talk to them through their
//! public interfaces only.

#![forbid(unsafe_code)]

pub mod network;
pub mod node;
pub mod oidc;
pub mod postgres;
pub mod referral;

use std::path::PathBuf;

/// The `continuum` binary under test: `CONTINUUM_BIN`, or the one cargo built
/// beside this test executable (`tests/run` builds it first).
pub fn continuum_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CONTINUUM_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/continuum
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("continuum"))
        .expect("target folder");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p continuum` (tests/run does)",
        bin.display()
    );
    bin
}

/// Import one bundle through the clinical API, returning its result or the error status.
pub async fn import(
    client: &mut node::Client,
    bundle: &serde_json::Value,
) -> Result<continuum_proto::node::v1::ImportBundleResult, tonic::Status> {
    use tokio_stream::StreamExt;
    let request = continuum_proto::node::v1::ImportBundleRequest {
        bundle_json: bundle.to_string(),
        label: "test".into(),
    };
    let mut results = client
        .import_bundles(tokio_stream::iter([request]))
        .await?
        .into_inner();
    results
        .next()
        .await
        .unwrap_or_else(|| Err(tonic::Status::unknown("no result")))
}

/// The ids of the patients a search finds.
pub async fn patient_ids(
    client: &mut node::Client,
    search: continuum_proto::node::v1::SearchPatientsRequest,
) -> Vec<String> {
    let found = client
        .search_patients(search)
        .await
        .expect("search")
        .into_inner();
    found.patients.into_iter().map(|p| p.id).collect()
}

/// A search by identifier (`system|value` or a bare value).
pub fn by_identifier(identifier: &str) -> continuum_proto::node::v1::SearchPatientsRequest {
    continuum_proto::node::v1::SearchPatientsRequest {
        identifier: identifier.into(),
        ..Default::default()
    }
}

/// A search by the start of a name.
pub fn by_name(name: &str) -> continuum_proto::node::v1::SearchPatientsRequest {
    continuum_proto::node::v1::SearchPatientsRequest {
        name: name.into(),
        ..Default::default()
    }
}

/// An update of `Patient/{id}` to `patient` (its `id` set to match).
pub fn patient_update(
    id: &str,
    mut patient: serde_json::Value,
    if_match_version: Option<u64>,
) -> continuum_proto::node::v1::UpdateResourceRequest {
    patient["id"] = serde_json::json!(id);
    continuum_proto::node::v1::UpdateResourceRequest {
        resource_type: "Patient".into(),
        id: id.into(),
        resource_json: patient.to_string(),
        if_match_version,
    }
}

/// A Patient with an MRN from `system`.
pub fn patient(family: &str, given: &str, mrn: &str) -> serde_json::Value {
    serde_json::json!({
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:1.2.3.4.5.mrn", "value": mrn}],
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1980-02-29"
    })
}

/// The id and resource type of every entry of an exported bundle.
pub fn entry_keys(bundle_json: &str) -> Vec<String> {
    let bundle: serde_json::Value = serde_json::from_str(bundle_json).expect("bundle json");
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap_or("?"),
                e["resource"]["id"].as_str().unwrap_or("?")
            )
        })
        .collect()
}
