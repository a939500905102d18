//! What the nodes hold: one person registered at every tenant with the
//! same demographics (so the patient index links them), a chart of
//! distinct resources at each holding tenant, and synthetic background
//! patients so that no store is trivially small.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use continuum_proto::node::v1::AuthorizedClinicalClient;
use continuum_proto::node::v1::{CreateResourceRequest, ImportBundleRequest};
use continuum_synth::{RecordSize, patient_bundle};
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use super::network::{Locator, Node};

/// The person every tenant registers, with `mrn` as the local record number.
fn person(mrn: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:oid:2.16.840.1.113883.4.1", "value": "900-55-7311"},
            {"system": format!("urn:example:mrn:{mrn}"), "value": mrn}
        ],
        "name": [{"family": "Okafor", "given": ["Adaeze", "Ngozi"]}],
        "gender": "female",
        "birthDate": "1984-07-12",
        "telecom": [{"system": "phone", "value": "555-0142"}],
        "address": [{"line": ["12 Harbour Road"], "city": "Lakeside", "state": "OH", "postalCode": "40512"}]
    })
}

/// Resource `i` of the chart at holding tenant number `site`: observations,
/// conditions and immunizations, each on its own date, so no two are the
/// same fact and the broker's de-duplication merges none of them.
fn chart_resource(patient: &str, site: usize, i: usize) -> Value {
    let day = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()
        - chrono::Duration::days((site * 1000 + i) as i64);
    let date = day.format("%Y-%m-%d").to_string();
    let subject = json!({"reference": format!("Patient/{patient}")});
    match i % 6 {
        0 => json!({
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10", "display": "Essential (primary) hypertension"}]},
            "subject": subject,
            "onsetDateTime": date
        }),
        1 => json!({
            "resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140", "display": "Influenza, seasonal, injectable, preservative free"}]},
            "patient": subject,
            "occurrenceDateTime": date,
            "primarySource": true
        }),
        _ => json!({
            "resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}], "text": "Heart rate"},
            "subject": subject,
            "effectiveDateTime": format!("{date}T09:30:00Z"),
            "issued": format!("{date}T09:45:00Z"),
            "valueQuantity": {"value": 60 + (i % 40), "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
        }),
    }
}

/// Register the person at `node`; the local id.
pub(super) async fn register(node: &Node, mrn: &str) -> anyhow::Result<String> {
    let stored = node
        .client()
        .await?
        .register_patient(CreateResourceRequest {
            resource_json: person(mrn).to_string(),
        })
        .await
        .with_context(|| format!("registering the patient at {}", node.tenant))?;
    Ok(stored.into_inner().id)
}

/// Store `count` chart resources for `patient` at holding tenant `site`.
pub(super) async fn chart(
    node: &Node,
    patient: &str,
    site: usize,
    count: usize,
) -> anyhow::Result<()> {
    let mut client = node.client().await?;
    for i in 0..count {
        client
            .create_resource(CreateResourceRequest {
                resource_json: chart_resource(patient, site, i).to_string(),
            })
            .await
            .with_context(|| format!("storing resource {i} at {}", node.tenant))?;
    }
    Ok(())
}

/// Import `patients` small synthetic records (dataset `seed`) through
/// `client`; the resources stored.
pub(super) async fn background(
    mut client: AuthorizedClinicalClient,
    seed: u64,
    patients: usize,
) -> anyhow::Result<usize> {
    let bundles: Vec<String> = (0..patients)
        .map(|i| patient_bundle(seed, i, RecordSize::Small).to_string())
        .collect();
    let resources = bundles
        .iter()
        .map(|b| b.matches("\"fullUrl\"").count())
        .sum();
    let requests = bundles.into_iter().map(|bundle_json| ImportBundleRequest {
        bundle_json,
        label: String::new(),
    });
    let mut results = client
        .import_bundles(tokio_stream::iter(requests))
        .await?
        .into_inner();
    while let Some(result) = results.next().await {
        result.context("importing background patients")?;
    }
    Ok(resources)
}

/// Wait until the patient index has linked `patient` at `tenant` to an
/// active registration at every one of `holding`.
pub(super) async fn wait_linked(
    locator: &Locator,
    tenant: &str,
    patient: &str,
    holding: &[&str],
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let located = locator.located_at(tenant, patient).unwrap_or_default();
        let active: Vec<&str> = located
            .lines()
            .filter_map(|l| l.trim().strip_prefix("at "))
            .filter(|l| l.ends_with("\tactive"))
            .filter_map(|l| l.split('\t').next())
            .collect();
        if holding.iter().all(|t| active.contains(t)) {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(
            started.elapsed() < limit,
            "the patient was not linked to {holding:?} within {limit:?}:\n{located}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
