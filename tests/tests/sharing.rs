//! The record follows the patient: consent, and the brokered fetch of a
//! patient's records from other organizations, end to end — a real locator
//! and real nodes over mutual TLS, driven through the clinical API and the
//! operator's command line only.
//!
//! Every test that shows data being shared also shows what must not be.

use std::time::{Duration, Instant};

use continuum_e2e::network::{NetworkNode, eventually, free_port};
use continuum_e2e::referral::{
    CLINICIAN, DEADLINE_MS, EMERGENCY, REGISTRAR, Referral, condition, create, immunization,
    person, register,
};
use continuum_proto::locator::v1::{FetchRecordsResponse, SourceOutcome};
use continuum_proto::node::v1::{
    CreateResourceRequest, FetchOutsideRecordsRequest, ListDisclosuresRequest,
};
use serde_json::{Value, json};
use tonic::Code;

/// The tenants that answered, and what came from each.
fn sources(response: &FetchRecordsResponse) -> Vec<(String, i32, u32)> {
    response
        .sources
        .iter()
        .map(|s| (s.tenant.clone(), s.outcome, s.resources))
        .collect()
}

fn resources(response: &FetchRecordsResponse) -> Vec<Value> {
    response
        .resources
        .iter()
        .map(|r| serde_json::from_str(&r.resource_json).expect("resource json"))
        .collect()
}

/// `Type code` of every resource, sorted.
fn kinds(response: &FetchRecordsResponse) -> Vec<String> {
    let mut kinds: Vec<String> = resources(response)
        .iter()
        .map(|r| {
            let code = r["code"]["coding"][0]["code"]
                .as_str()
                .or(r["vaccineCode"]["coding"][0]["code"].as_str())
                .unwrap_or("-");
            format!("{} {code}", r["resourceType"].as_str().unwrap_or("?"))
        })
        .collect();
    kinds.sort();
    kinds
}

fn has_security(resource: &Value, code: &str) -> bool {
    resource["meta"]["security"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["code"] == code)
}

const COMPLETE: i32 = SourceOutcome::Complete as i32;

#[tokio::test]
async fn clinic_records_follow_patient_to_hospital() {
    let referral = Referral::start().await;
    let response = referral.fetch("TREAT").await.expect("fetch");

    assert_eq!(sources(&response), [("clinic-a".to_owned(), COMPLETE, 4)]);
    assert_eq!(
        kinds(&response),
        [
            "Condition E11.9",
            "Condition F32.9",
            "Immunization 140",
            "Patient -"
        ]
    );
    for resource in resources(&response) {
        assert_eq!(
            resource["meta"]["source"],
            "urn:continuum:organization:clinic-a"
        );
        assert!(!has_security(&resource, "ETH"), "nothing from the program");
    }
    // The substance-use program holds records too; the default policy
    // shields ETH, so it is neither asked nor named.
    assert!(!format!("{response:?}").contains("program-c"));

    // Recorded at the locator (who, for whom, what, from where) and at the
    // clinic's node, not at the program's.
    let log = referral
        .network
        .admin_ok(&["disclosures", &response.person_id]);
    assert!(
        log.contains("hospital-h\tDr. Ana Lee (dr-lee, NPI 1234567893, clinician)\tTREAT"),
        "{log}"
    );
    assert!(
        log.contains("clinic-a\tpermit\tcomplete\treleased 4"),
        "{log}"
    );
    assert!(
        log.contains("program-c\tdeny\tnot_asked\treleased 0"),
        "{log}"
    );
    let at_clinic = referral
        .saas
        .client_as(&referral.idp, "clinic-a", CLINICIAN)
        .await
        .list_disclosures(ListDisclosuresRequest::default())
        .await
        .expect("clinic disclosures")
        .into_inner()
        .disclosures;
    assert_eq!(at_clinic.len(), 1);
    assert_eq!(at_clinic[0].disclosure_id, response.disclosure_id);
    assert_eq!(at_clinic[0].requester_tenant, "hospital-h");
    // Whom the hospital's identity provider vouched for, not a node's say-so.
    assert_eq!(at_clinic[0].practitioner_id, "dr-lee");
    assert_eq!(at_clinic[0].practitioner_name, "Dr. Ana Lee");
    assert_eq!(at_clinic[0].practitioner_professional_id, "1234567893");
    assert_eq!(at_clinic[0].practitioner_role, "clinician");
    assert_eq!(at_clinic[0].released.len(), 4);
    let at_program = referral
        .saas
        .client_as(&referral.idp, "program-c", CLINICIAN)
        .await
        .list_disclosures(ListDisclosuresRequest::default())
        .await
        .expect("program disclosures")
        .into_inner()
        .disclosures;
    assert!(at_program.is_empty());
}

#[tokio::test]
async fn denied_source_is_indistinguishable_from_no_records() {
    let referral = Referral::start().await;
    // A second patient with the same chart at the clinic, never at the program.
    let clinic_twin = register(&referral.saas, "clinic-a", person("C-2", "Bea")).await;
    let hospital_twin = register(&referral.hospital, "hospital-h", person("H-2", "Bea")).await;
    create(&referral.saas, "clinic-a", immunization(&clinic_twin)).await;
    create(
        &referral.saas,
        "clinic-a",
        condition(&clinic_twin, "E11.9", "Type 2 diabetes mellitus"),
    )
    .await;
    create(
        &referral.saas,
        "clinic-a",
        condition(&clinic_twin, "F32.9", "Major depressive disorder"),
    )
    .await;
    let linked = eventually(Duration::from_secs(30), async || {
        let out = referral.network.admin(&[
            "locate",
            "--tenant",
            "hospital-h",
            "--patient",
            &hospital_twin,
        ]);
        String::from_utf8_lossy(&out.stdout)
            .contains("clinic-a")
            .then_some(())
    })
    .await;
    assert!(linked.is_some());

    let denied = referral.fetch("TREAT").await.expect("fetch");
    let mut client = referral
        .hospital
        .client_as(&referral.idp, "hospital-h", CLINICIAN)
        .await;
    let never_there = client
        .fetch_outside_records(FetchOutsideRecordsRequest {
            patient_id: hospital_twin,
            purpose: "TREAT".into(),
            ..Default::default()
        })
        .await
        .expect("fetch")
        .into_inner();

    // Everything but the ids (of the disclosure, the person and the
    // resources) and the elapsed times is the same.
    let shape = |r: &FetchRecordsResponse| {
        let mut r = r.clone();
        r.disclosure_id.clear();
        r.person_id.clear();
        r.sources.iter_mut().for_each(|s| s.elapsed_ms = 0);
        let mut resources = resources(&r);
        for resource in &mut resources {
            if let Some(object) = resource.as_object_mut() {
                for key in ["id", "patient", "subject", "identifier", "name"] {
                    object.remove(key);
                }
            }
            if let Some(meta) = resource["meta"].as_object_mut() {
                meta.remove("versionId");
                meta.remove("lastUpdated");
            }
        }
        resources.sort_by_key(|v| v.to_string());
        r.resources.clear();
        (format!("{r:?}"), resources)
    };
    assert_eq!(shape(&denied), shape(&never_there));
}

#[tokio::test]
async fn patients_directives_decide_what_is_shared_and_revocation_is_immediate() {
    let referral = Referral::start().await;

    // Opt out of sharing altogether: nothing, and no source named.
    let opt_out = referral
        .consent("opt-out", "active", json!({"type": "deny"}))
        .await;
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert!(response.sources.is_empty() && response.resources.is_empty());
    // Revoked: the very next request shares again.
    referral
        .consent("opt-out", "inactive", json!({"type": "deny"}))
        .await;
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert_eq!(sources(&response), [("clinic-a".to_owned(), COMPLETE, 4)]);
    assert_eq!(opt_out, "clinic-a/opt-out");

    // Shield a category: the depression diagnosis stays at the clinic.
    referral
        .consent(
            "no-psy",
            "active",
            json!({"type": "deny", "securityLabel": [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]}),
        )
        .await;
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert_eq!(
        kinds(&response),
        ["Condition E11.9", "Immunization 140", "Patient -"]
    );

    // Purpose: nothing for research; treatment unaffected.
    referral
        .consent(
            "no-research",
            "active",
            json!({"type": "deny", "purpose": [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}]}),
        )
        .await;
    let research = referral.fetch("HRESCH").await.expect("fetch");
    assert!(research.sources.is_empty() && research.resources.is_empty());
    assert_eq!(
        referral
            .fetch("TREAT")
            .await
            .expect("fetch")
            .resources
            .len(),
        3
    );

    // Block one organization as a source.
    referral
        .consent("not-clinic", "active", json!({"type": "deny", "actor": [{
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "CST"}]},
            "reference": {"reference": "Organization/clinic-a"}}]}))
        .await;
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert!(response.sources.is_empty(), "{:?}", sources(&response));

    // A Consent that cannot be read as written is refused, not widened.
    let mut client = referral
        .saas
        .client_as(&referral.idp, "clinic-a", REGISTRAR)
        .await;
    let refused = client
        .put_consent(CreateResourceRequest {
            resource_json: json!({"resourceType": "Consent", "status": "active"}).to_string(),
        })
        .await
        .expect_err("an incomplete Consent");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
}

#[tokio::test]
async fn an_opt_in_network_shares_only_what_the_patient_permitted() {
    let referral = Referral::start().await;
    referral
        .network
        .admin_ok(&["policy", "set", "--mode", "opt-in", "--shield", "ETH"]);
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert!(response.sources.is_empty() && response.resources.is_empty());

    // Permit treatment by the hospital only.
    referral
        .consent("permit-hospital", "active", json!({"type": "permit",
            "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}],
            "actor": [{
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
                "reference": {"reference": "Organization/hospital-h"}}]}))
        .await;
    let response = referral.fetch("TREAT").await.expect("fetch");
    assert_eq!(sources(&response), [("clinic-a".to_owned(), COMPLETE, 4)]);
    let payment = referral.fetch("HPAYMT").await.expect("fetch");
    assert!(payment.sources.is_empty());
}

#[tokio::test]
async fn break_the_glass_opens_the_shielded_source_flagged_and_recorded() {
    let referral = Referral::start().await;

    // Only a role the policy names may break the glass.
    let refused = referral
        .fetch_as(false, "ETREAT", "unconscious, suspected overdose")
        .await
        .expect_err("a clinician without emergency access");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let refused = referral
        .fetch_as(true, "TREAT", "no emergency")
        .await
        .expect_err("break the glass for plain treatment");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");

    let response = referral
        .fetch_as(true, "ETREAT", "unconscious, suspected overdose")
        .await
        .expect("break the glass");
    assert!(response.break_glass);
    assert!(!response.break_glass_until.is_empty());
    let tenants: Vec<String> = response.sources.iter().map(|s| s.tenant.clone()).collect();
    assert_eq!(tenants, ["clinic-a", "program-c"]);
    // The flu shot both organizations recorded appears once, naming both.
    let shots: Vec<_> = response
        .resources
        .iter()
        .filter(|r| r.resource_json.contains("\"Immunization\""))
        .collect();
    assert_eq!(shots.len(), 1);
    assert_eq!(shots[0].sources, ["clinic-a", "program-c"]);
    // What only breaking the glass released carries the BTG label (and a
    // merged copy keeps the most protective labels of its sources).
    for outside in &response.resources {
        let resource: Value = serde_json::from_str(&outside.resource_json).expect("json");
        let from_program = outside.sources.iter().any(|s| s == "program-c");
        assert_eq!(has_security(&resource, "ETH"), from_program, "{resource}");
        assert_eq!(has_security(&resource, "BTG"), from_program, "{resource}");
    }

    // Recorded with who, when and why, at the locator and at the program.
    let log = referral
        .network
        .admin_ok(&["disclosures", &response.person_id]);
    assert!(
        log.contains("BREAK-THE-GLASS: unconscious, suspected overdose"),
        "{log}"
    );
    assert!(log.contains("program-c\tbreak-glass\tcomplete"), "{log}");
    let at_program = referral
        .saas
        .client_as(&referral.idp, "program-c", CLINICIAN)
        .await
        .list_disclosures(ListDisclosuresRequest {
            patient_id: referral.at_program.clone(),
            limit: 10,
        })
        .await
        .expect("program disclosures")
        .into_inner()
        .disclosures;
    assert_eq!(at_program.len(), 1);
    assert!(at_program[0].break_glass);
    assert_eq!(at_program[0].practitioner_id, EMERGENCY);
    assert_eq!(at_program[0].practitioner_role, "emergency-access");
    assert_eq!(
        at_program[0].break_glass_reason,
        "unconscious, suspected overdose"
    );

    // The access stays open for the same practitioner (still flagged)…
    let again = referral.fetch_as(true, "ETREAT", "").await.expect("fetch");
    assert!(again.break_glass);
    assert_eq!(again.sources.len(), 2);
    // …but opens nothing for anyone else.
    let other = referral.fetch("ETREAT").await.expect("fetch");
    assert!(!other.break_glass);
    assert_eq!(sources(&other), [("clinic-a".to_owned(), COMPLETE, 4)]);

    // A patient's explicit refusal stands even in an emergency.
    referral
        .consent("never-program", "active", json!({"type": "deny", "actor": [{
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "CST"}]},
            "reference": {"reference": "Organization/program-c"}}]}))
        .await;
    let denied = referral
        .fetch_as(true, "ETREAT", "second emergency")
        .await
        .expect("fetch");
    assert!(!format!("{denied:?}").contains("program-c"));
}

#[tokio::test]
async fn a_dead_or_hung_holding_node_gives_a_partial_answer_within_the_deadline() {
    let mut referral = Referral::start().await;
    // A second clinic on a node of its own, which keeps answering.
    let port = free_port();
    let token = referral.network.onboard(
        "clinic-b-node",
        &format!("https://127.0.0.1:{port}"),
        &["clinic-b"],
    );
    let clinic_b = NetworkNode::start(&referral.network, &token, port, &["clinic-b"]);
    let at_b = register(&clinic_b, "clinic-b", person("B-1", "Ada")).await;
    create(&clinic_b, "clinic-b", immunization(&at_b)).await;
    referral.wait_linked(&["clinic-a", "clinic-b"]).await;

    let complete = referral.fetch("TREAT").await.expect("fetch");
    assert_eq!(
        sources(&complete),
        [
            ("clinic-a".to_owned(), COMPLETE, 4),
            ("clinic-b".to_owned(), COMPLETE, 2)
        ]
    );

    // Hung: the answer comes by the deadline, with what the others sent.
    referral.saas.pause();
    let started = Instant::now();
    let hung = referral.fetch("TREAT").await.expect("fetch");
    let elapsed = started.elapsed();
    referral.saas.resume();
    assert!(
        elapsed < Duration::from_millis(DEADLINE_MS + 1500),
        "answered after {elapsed:?}"
    );
    assert_eq!(
        sources(&hung),
        [
            ("clinic-a".to_owned(), SourceOutcome::TimedOut as i32, 0),
            ("clinic-b".to_owned(), COMPLETE, 2)
        ]
    );
    assert_eq!(hung.resources.len(), 2);

    // Dead: reported unavailable, the rest delivered.
    referral.saas.kill();
    let dead = referral.fetch("TREAT").await.expect("fetch");
    assert_eq!(
        sources(&dead),
        [
            ("clinic-a".to_owned(), SourceOutcome::Unavailable as i32, 0),
            ("clinic-b".to_owned(), COMPLETE, 2)
        ]
    );
    assert!(!dead.sources[0].detail.is_empty());
}
