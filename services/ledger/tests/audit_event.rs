//! Ledger entries exported as FHIR R4 `AuditEvent`s for an organization's
//! SIEM: each kind follows its IHE BALP pattern, people and records appear
//! by id only, every event carries its ledger position, and an independent
//! FHIR validator accepts the export.

mod support;

use std::process::Command;

use continuum_ledger::payload::{
    BreakGlassReview, ConsentChange, ConsentPolicyChange, Decision, DirectoryChange, Disclosure,
    MpiLinkChange, Receipt, Record, Release, Requester, SourceDecision,
};
use continuum_ledger::{
    AuditEventError, AuditSource, Entry, EntryKind, Hash, VerifyOptions, entry_hash,
    to_audit_bundle, to_audit_event, to_canonical_json, verify,
};
use serde_json::Value;
use support::disclosure;

const START_MS: i64 = 1_790_000_000_123;
const BREAK_GLASS_REASON: &str = "found unresponsive, suspected overdose of her methadone";

/// A chain built in memory exactly as the ledger appends: canonical body,
/// each hash linked to the one before.
struct TestChain {
    id: String,
    entries: Vec<Entry>,
}

impl TestChain {
    fn new(id: &str) -> TestChain {
        TestChain {
            id: id.to_owned(),
            entries: Vec::new(),
        }
    }

    fn record(&mut self, payload: &impl Record) -> anyhow::Result<Entry> {
        let seq = self.entries.len() as u64 + 1;
        let prev_hash = self.entries.last().map_or(Hash::GENESIS, |e| e.hash);
        let recorded_at_ms = START_MS + 1_000 * (seq as i64 - 1);
        let kind = payload.kind().code().to_owned();
        let body = to_canonical_json(payload)?;
        let hash = entry_hash(&self.id, seq, recorded_at_ms, &kind, &body, &prev_hash);
        let entry = Entry {
            seq,
            recorded_at_ms,
            kind,
            body,
            prev_hash,
            hash,
        };
        self.entries.push(entry.clone());
        Ok(entry)
    }

    fn event(&mut self, payload: &impl Record) -> anyhow::Result<Value> {
        let entry = self.record(payload)?;
        Ok(to_audit_event(&entry, &self.id, &locator())?)
    }
}

fn locator() -> AuditSource {
    AuditSource {
        observer: "https://locator.continuum.example:7443".into(),
        network: "continuum-demo".into(),
    }
}

fn node() -> AuditSource {
    AuditSource {
        observer: "node-north-1".into(),
        network: "continuum-demo".into(),
    }
}

fn requester() -> Requester {
    Requester {
        tenant: "riverside-hospital".into(),
        practitioner_id: "pr-3f9a1c".into(),
        role: "emergency-access".into(),
        name: "Dr. Chidi Okafor".into(),
        professional_id: "1245319599".into(),
    }
}

/// An emergency physician breaks the glass: the clinic releases its
/// substance-use records, the recovery centre's shielded records stay out.
fn break_glass() -> Disclosure {
    Disclosure {
        disclosure_id: "d-bg-0001".into(),
        person_id: "7d1e0c52-1f0c-4d6a-8f3e-6b1c9a0d2e4f".into(),
        requester: requester(),
        purpose: "ETREAT".into(),
        break_glass_reason: Some(BREAK_GLASS_REASON.into()),
        sources: vec![
            SourceDecision {
                tenant: "northside-clinic".into(),
                decision: Decision::BreakGlass,
                decided_by: vec!["break-glass:ed-attending".into()],
                outcome: "complete".into(),
                released: vec!["MedicationStatement/ms-71".into(), "Condition/c-12".into()],
                categories: vec!["ETH".into()],
            },
            SourceDecision {
                tenant: "harbor-recovery".into(),
                decision: Decision::Deny,
                decided_by: vec!["directive:harbor-recovery/consent-9#deny-all".into()],
                outcome: "not_asked".into(),
                released: vec![],
                categories: vec![],
            },
        ],
    }
}

fn denied() -> Disclosure {
    let mut d = disclosure(2);
    d.sources.retain(|s| s.decision == Decision::Deny);
    d
}

/// One permitted source answered, one timed out.
fn partial() -> Disclosure {
    let mut d = disclosure(3);
    d.sources[1].decision = Decision::Permit;
    d.sources[1].outcome = "timed_out".into();
    d
}

fn release(break_glass: bool) -> Release {
    Release {
        disclosure_id: "d-bg-0001".into(),
        patient_ids: vec!["pat-0042".into()],
        requester: requester(),
        purpose: if break_glass { "ETREAT" } else { "TREAT" }.into(),
        break_glass,
        break_glass_reason: break_glass.then(|| BREAK_GLASS_REASON.into()),
        released: vec![
            "MedicationStatement/ms-71/_history/3".into(),
            "Condition/c-12/_history/1".into(),
        ],
        categories: vec!["ETH".into()],
    }
}

fn consent(version: u64, person: bool) -> ConsentChange {
    ConsentChange {
        directive_id: "harbor-recovery/consent-9".into(),
        version,
        person_id: person.then(|| "7d1e0c52-1f0c-4d6a-8f3e-6b1c9a0d2e4f".into()),
        status: if version > 1 { "inactive" } else { "active" }.into(),
        actor: "pr-77aa".into(),
    }
}

fn policy() -> ConsentPolicyChange {
    ConsentPolicyChange {
        mode: "opt-out".into(),
        shielded: vec!["ETH".into(), "HIV".into()],
        break_glass_roles: vec!["emergency-access".into()],
        break_glass_minutes: 240,
        actor: "op-admin".into(),
    }
}

fn directory(action: &str, serial: Option<&str>) -> DirectoryChange {
    let organization_change = action.starts_with("organization.");
    DirectoryChange {
        action: action.into(),
        organization: if organization_change {
            "northside-clinic".into()
        } else {
            String::new()
        },
        node: (!organization_change).then(|| "node-north-1".into()),
        tenants: if action == "node.create" {
            vec!["northside-clinic".into(), "eastside-clinic".into()]
        } else {
            Vec::new()
        },
        certificate_serial: serial.map(str::to_owned),
        actor: "op-admin".into(),
    }
}

fn mpi(action: &str, actor: Option<&str>) -> MpiLinkChange {
    MpiLinkChange {
        action: action.into(),
        person_id: "7d1e0c52-1f0c-4d6a-8f3e-6b1c9a0d2e4f".into(),
        tenant: "northside-clinic".into(),
        local_id: "pat-0042".into(),
        method: if actor.is_some() {
            "operator"
        } else {
            "probabilistic"
        }
        .into(),
        score_milli: actor.is_none().then_some(912),
        actor: actor.map(str::to_owned),
    }
}

fn review(outcome: &str) -> BreakGlassReview {
    BreakGlassReview {
        access_id: "bga-5521".into(),
        reviewer: "op-privacy".into(),
        outcome: outcome.into(),
    }
}

/// A locator chain with every kind the locator records.
fn locator_chain() -> anyhow::Result<TestChain> {
    let mut chain = TestChain::new("locator");
    chain.record(&disclosure(1))?;
    chain.record(&break_glass())?;
    chain.record(&denied())?;
    chain.record(&partial())?;
    chain.record(&consent(1, true))?;
    chain.record(&consent(2, false))?;
    chain.record(&policy())?;
    chain.record(&directory("organization.create", None))?;
    chain.record(&directory("node.enroll", Some("4f1a09c3d2")))?;
    chain.record(&directory("node.create", None))?;
    chain.record(&mpi("registered", None))?;
    chain.record(&mpi("unlinked", Some("op-mpi")))?;
    chain.record(&review("unjustified"))?;
    Ok(chain)
}

fn node_chain() -> anyhow::Result<TestChain> {
    let mut chain = TestChain::new("northside-clinic");
    chain.record(&release(true))?;
    chain.record(&release(false))?;
    Ok(chain)
}

/// The hospital's chain: what its emergency physician received.
fn hospital_chain() -> anyhow::Result<TestChain> {
    let mut chain = TestChain::new("riverside-hospital");
    chain.record(&Receipt {
        disclosure_id: "d-bg-0001".into(),
        patient_id: "h-2231".into(),
        requester: requester(),
        purpose: "ETREAT".into(),
        break_glass: true,
        break_glass_reason: Some(BREAK_GLASS_REASON.into()),
        sources: vec!["northside-clinic".into()],
        received: vec!["MedicationStatement/ms-71".into(), "Condition/c-12".into()],
        categories: vec!["ETH".into()],
    })?;
    Ok(chain)
}

// ------------------------------------------------------------- helpers

fn codes(codings: &Value) -> Vec<(String, String)> {
    codings
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["system"].as_str().unwrap_or_default().to_owned(),
                c["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn concept_codes(concepts: &Value) -> Vec<String> {
    concepts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| codes(&c["coding"]))
        .map(|(_, code)| code)
        .collect()
}

/// The agents whose `type` has this code.
fn agents<'a>(event: &'a Value, type_code: &str) -> Vec<&'a Value> {
    event["agent"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| concept_codes(&json_array(&a["type"])).contains(&type_code.to_owned()))
        .collect()
}

fn json_array(value: &Value) -> Value {
    Value::Array(vec![value.clone()])
}

fn identifier(reference: &Value) -> (String, String) {
    let id = &reference["identifier"];
    (
        id["system"].as_str().unwrap_or_default().to_owned(),
        id["value"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Entities with this `object-role` code.
fn entities<'a>(event: &'a Value, role: &str) -> Vec<&'a Value> {
    event["entity"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["role"]["code"] == role)
        .collect()
}

fn entity_by_system<'a>(event: &'a Value, system: &str) -> Option<&'a Value> {
    event["entity"]
        .as_array()?
        .iter()
        .find(|e| e["what"]["identifier"]["system"] == system)
}

fn detail<'a>(entity: &'a Value, kind: &str) -> Option<&'a str> {
    entity["detail"]
        .as_array()?
        .iter()
        .find(|d| d["type"] == kind)?["valueString"]
        .as_str()
}

/// Every object key anywhere in `value`.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                out.push(key.clone());
                keys(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
        _ => {}
    }
}

// --------------------------------------------------------------- tests

#[test]
fn a_disclosure_at_the_locator_is_an_export_to_the_requesting_organization() -> anyhow::Result<()> {
    let mut chain = TestChain::new("locator");
    let event = chain.event(&disclosure(1))?;

    assert_eq!(event["resourceType"], "AuditEvent");
    assert_eq!(event["id"], "locator-1");
    assert_eq!(
        event["type"]["system"],
        "http://dicom.nema.org/resources/ontology/DCM"
    );
    assert_eq!(event["type"]["code"], "110106");
    let subtypes = codes(&event["subtype"]);
    assert!(subtypes.contains(&(
        "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle".into(),
        "disclose".into()
    )));
    assert!(subtypes.contains(&(
        "urn:continuum:ledger-kind".into(),
        "disclosure.permit".into()
    )));
    assert_eq!(event["action"], "R");
    assert_eq!(event["outcome"], "0");
    assert_eq!(event["recorded"], "2026-09-21T14:13:20.123Z");
    assert_eq!(concept_codes(&event["purposeOfEvent"]), ["TREAT"]);
    assert_eq!(
        event["purposeOfEvent"][0]["coding"][0]["system"],
        "http://terminology.hl7.org/CodeSystem/v3-ActReason"
    );

    let users = agents(&event, "IRCP");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["requestor"], true);
    assert_eq!(
        identifier(&users[0]["who"]),
        (
            "urn:continuum:organization:riverside-hospital:practitioner".into(),
            "pr-3f9a1c".into()
        )
    );
    assert_eq!(concept_codes(&users[0]["role"]), ["physician"]);
    let recipients = agents(&event, "110152");
    assert_eq!(recipients.len(), 1);
    assert_eq!(
        identifier(&recipients[0]["who"]),
        (
            "urn:continuum:organization".into(),
            "riverside-hospital".into()
        )
    );
    let sources = agents(&event, "110153");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0]["who"], event["source"]["observer"]);
    assert_eq!(event["source"]["observer"]["display"], locator().observer);
    assert_eq!(event["source"]["site"], "continuum-demo");
    let custodians: Vec<_> = agents(&event, "159541003")
        .iter()
        .map(|a| identifier(&a["who"]).1)
        .collect();
    assert_eq!(
        custodians,
        ["northside-clinic"],
        "only the permitted source"
    );

    let patients = entities(&event, "1");
    assert_eq!(patients.len(), 1);
    assert_eq!(
        identifier(&patients[0]["what"]),
        (
            "urn:continuum:person".into(),
            "00000001-1f0c-4d6a-8f3e-6b1c9a0d2e4f".into()
        )
    );
    let resources = entities(&event, "4");
    assert_eq!(resources.len(), 20);
    assert_eq!(
        resources[0]["what"]["reference"],
        "Observation/00000001-5b2e-4c8f-9a51-000000000000"
    );
    assert_eq!(resources[0]["type"]["code"], "Observation");
    assert_eq!(detail(resources[0], "custodian"), Some("northside-clinic"));
    let disclosed = entity_by_system(&event, "urn:continuum:disclosure").expect("disclosure");
    assert_eq!(disclosed["what"]["identifier"]["value"], "d-00000001");
    assert_eq!(
        codes(&disclosed["securityLabel"]),
        [
            (
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality".to_owned(),
                "N".to_owned()
            ),
            (
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality".to_owned(),
                "R".to_owned()
            ),
        ]
    );
    Ok(())
}

#[test]
fn breaking_the_glass_adds_btg_to_the_emergency_purpose() -> anyhow::Result<()> {
    let mut chain = TestChain::new("locator");
    let event = chain.event(&break_glass())?;

    let subtypes = codes(&event["subtype"]);
    assert!(subtypes.contains(&(
        "urn:continuum:ledger-kind".into(),
        "disclosure.break-glass".into()
    )));
    assert_eq!(event["type"]["code"], "110106");
    assert_eq!(event["outcome"], "0");
    assert_eq!(concept_codes(&event["purposeOfEvent"]), ["ETREAT", "BTG"]);
    let users = agents(&event, "IRCP");
    assert_eq!(concept_codes(&users[0]["purposeOfUse"]), ["ETREAT", "BTG"]);
    let systems: Vec<_> = event["purposeOfEvent"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["coding"][0]["system"].as_str().unwrap_or_default())
        .collect();
    assert!(
        systems
            .iter()
            .all(|s| *s == "http://terminology.hl7.org/CodeSystem/v3-ActReason")
    );
    let disclosed = entity_by_system(&event, "urn:continuum:disclosure").expect("disclosure");
    assert_eq!(
        codes(&disclosed["securityLabel"]),
        [(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode".to_owned(),
            "ETH".to_owned()
        )]
    );
    let released: Vec<_> = entities(&event, "4")
        .iter()
        .map(|e| {
            e["what"]["reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(released, ["MedicationStatement/ms-71", "Condition/c-12"]);
    Ok(())
}

#[test]
fn a_refused_or_unanswered_request_is_a_failure_that_names_no_denied_organization()
-> anyhow::Result<()> {
    let mut chain = TestChain::new("locator");

    let refused = chain.event(&denied())?;
    assert_eq!(refused["type"]["code"], "110106");
    assert_eq!(refused["outcome"], "4");
    assert_eq!(
        refused["outcomeDesc"],
        "no holding organization was permitted"
    );
    assert!(agents(&refused, "159541003").is_empty());
    assert!(entities(&refused, "4").is_empty());
    assert_eq!(
        agents(&refused, "IRCP").len(),
        1,
        "the attempt names who tried"
    );
    assert_eq!(entities(&refused, "1").len(), 1, "and for whom");

    let partly = chain.event(&partial())?;
    assert_eq!(partly["outcome"], "4");
    assert_eq!(
        partly["outcomeDesc"],
        "1 of 2 permitted holding organizations did not answer"
    );
    assert_eq!(agents(&partly, "159541003").len(), 2);

    let mut silent = disclosure(4);
    silent.sources[0].outcome = "unavailable".into();
    silent.sources[0].released.clear();
    let unanswered = chain.event(&silent)?;
    assert_eq!(unanswered["outcome"], "8");
    Ok(())
}

#[test]
fn a_nodes_release_is_an_export_by_its_tenant_with_versioned_references() -> anyhow::Result<()> {
    let mut chain = node_chain()?;
    let entry = chain.entries[0].clone();
    let event = to_audit_event(&entry, &chain.id, &node())?;

    assert_eq!(event["id"], "northside-clinic-1");
    assert_eq!(event["type"]["code"], "110106");
    assert_eq!(event["action"], "R");
    assert_eq!(event["outcome"], "0");
    assert_eq!(concept_codes(&event["purposeOfEvent"]), ["ETREAT", "BTG"]);
    let custodians: Vec<_> = agents(&event, "159541003")
        .iter()
        .map(|a| identifier(&a["who"]))
        .collect();
    assert_eq!(
        custodians,
        [(
            "urn:continuum:organization".to_owned(),
            "northside-clinic".to_owned()
        )]
    );
    let sources = agents(&event, "110153");
    assert_eq!(sources[0]["who"]["display"], "node-north-1");
    assert!(
        sources[0].get("network").is_none(),
        "a node id is no address"
    );
    let patients = entities(&event, "1");
    assert_eq!(
        identifier(&patients[0]["what"]),
        (
            "urn:continuum:organization:northside-clinic:patient".into(),
            "pat-0042".into()
        )
    );
    let released: Vec<_> = entities(&event, "4")
        .iter()
        .map(|e| {
            e["what"]["reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        released,
        [
            "MedicationStatement/ms-71/_history/3",
            "Condition/c-12/_history/1"
        ]
    );
    let disclosed = entity_by_system(&event, "urn:continuum:disclosure").expect("disclosure");
    assert_eq!(
        disclosed["what"]["identifier"]["value"], "d-bg-0001",
        "joins the node's event to the locator's"
    );

    let routine = to_audit_event(&chain.record(&release(false))?, &chain.id, &node())?;
    assert_eq!(concept_codes(&routine["purposeOfEvent"]), ["TREAT"]);
    let user = agents(&routine, "IRCP")[0];
    assert_eq!(user["who"]["display"], "Dr. Chidi Okafor");
    assert_eq!(user["altId"], "1245319599", "the NPI");
    Ok(())
}

#[test]
fn each_other_kind_maps_to_its_audit_pattern() -> anyhow::Result<()> {
    let chain = locator_chain()?;
    // (seq, type, subtypes besides the ledger kind, action, outcome)
    let expected: [(usize, &str, &[&str], &str, &str); 9] = [
        (5, "110110", &["originate"], "C", "0"),
        (6, "110110", &["amend"], "U", "0"),
        (7, "110113", &["110129"], "U", "0"),
        (8, "110113", &["110128", "organization.create"], "C", "0"),
        (9, "110113", &["110129", "node.enroll"], "C", "0"),
        (10, "110113", &["110128", "node.create"], "C", "0"),
        (11, "110110", &["link"], "U", "0"),
        (12, "110110", &["unlink"], "U", "0"),
        (13, "110113", &[], "E", "0"),
    ];
    for (seq, type_code, subtypes, action, outcome) in expected {
        let entry = &chain.entries[seq - 1];
        let event = to_audit_event(entry, "locator", &locator())?;
        assert_eq!(event["type"]["code"], type_code, "{}", entry.kind);
        let mut found: Vec<String> = codes(&event["subtype"]).into_iter().map(|c| c.1).collect();
        assert_eq!(found.pop().as_deref(), Some(entry.kind.as_str()));
        assert_eq!(found, subtypes, "{}", entry.kind);
        assert_eq!(event["action"], action, "{}", entry.kind);
        assert_eq!(event["outcome"], outcome, "{}", entry.kind);
        assert!(
            event["agent"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["requestor"] == true)),
            "{}: someone is the requestor",
            entry.kind
        );
    }

    let event = |seq: usize| to_audit_event(&chain.entries[seq - 1], "locator", &locator());
    let consent = event(5)?;
    let directive = entities(&consent, "4")[0];
    assert_eq!(
        identifier(&directive["what"]),
        (
            "urn:continuum:organization:harbor-recovery:consent".into(),
            "consent-9".into()
        )
    );
    assert_eq!(detail(directive, "version"), Some("1"));
    assert_eq!(entities(&consent, "1").len(), 1, "linked: the person");
    assert!(
        entities(&event(6)?, "1").is_empty(),
        "not linked: no person"
    );

    let actor = &consent["agent"][0]["who"];
    assert_eq!(
        identifier(actor),
        ("urn:continuum:actor".into(), "pr-77aa".into())
    );

    let link = event(11)?;
    let person = entity_by_system(&link, "urn:continuum:person").expect("person");
    assert_eq!(detail(person, "match-method"), Some("probabilistic"));
    assert_eq!(detail(person, "match-score-milli"), Some("912"));
    assert_eq!(
        link["agent"].as_array().map(Vec::len),
        Some(1),
        "linked by the MPI itself"
    );
    assert_eq!(link["agent"][0]["requestor"], true);
    assert!(
        entity_by_system(&link, "urn:continuum:organization:northside-clinic:patient").is_some()
    );

    let certificate = event(9)?;
    let serial =
        entity_by_system(&certificate, "urn:continuum:certificate-serial").expect("certificate");
    assert_eq!(serial["what"]["identifier"]["value"], "4f1a09c3d2");
    assert_eq!(
        entities(&certificate, "5")
            .iter()
            .map(|e| e["what"]["type"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Device"],
        "the node only: an enrollment changes no organization"
    );

    let placed = event(10)?;
    let hosted: Vec<String> = entities(&placed, "5")
        .iter()
        .filter(|e| e["what"]["type"] == "Organization")
        .map(|e| identifier(&e["what"]).1)
        .collect();
    assert_eq!(hosted, ["northside-clinic", "eastside-clinic"]);

    let reviewed = event(13)?;
    assert_eq!(
        reviewed["outcomeDesc"],
        "break-the-glass access judged unjustified"
    );
    let access = entity_by_system(&reviewed, "urn:continuum:break-glass-access").expect("access");
    assert_eq!(access["what"]["identifier"]["value"], "bga-5521");
    Ok(())
}

#[test]
fn every_patient_index_action_the_locator_records_has_its_lifecycle_event() -> anyhow::Result<()> {
    let mut chain = TestChain::new("locator");
    for (action, lifecycle) in [
        ("registered", Some("link")),
        ("updated", Some("amend")),
        ("merged", Some("merge")),
        ("deactivated", Some("deprecate")),
        ("linked", Some("link")),
        ("unlinked", Some("unlink")),
        ("review.rejected", None),
    ] {
        let event = chain.event(&mpi(action, Some("operator")))?;
        let found: Vec<String> = codes(&event["subtype"])
            .into_iter()
            .filter(|(system, _)| system.ends_with("iso-21089-lifecycle"))
            .map(|(_, code)| code)
            .collect();
        assert_eq!(found, lifecycle.into_iter().collect::<Vec<_>>(), "{action}");
    }
    Ok(())
}

#[test]
fn a_receipt_at_the_requesting_node_is_an_import_from_the_sources() -> anyhow::Result<()> {
    let chain = hospital_chain()?;
    let event = to_audit_event(&chain.entries[0], &chain.id, &node())?;
    assert_eq!(event["type"]["code"], "110107", "Import");
    assert_eq!(event["action"], "C");
    assert_eq!(concept_codes(&event["purposeOfEvent"]), ["ETREAT", "BTG"]);
    let user = agents(&event, "IRCP")[0];
    assert_eq!(user["requestor"], true);
    assert_eq!(user["who"]["display"], "Dr. Chidi Okafor");
    let destination = agents(&event, "110152");
    assert_eq!(
        identifier(&destination[0]["who"]),
        (
            "urn:continuum:organization".into(),
            "riverside-hospital".into()
        )
    );
    let senders: Vec<(String, String)> = agents(&event, "110153")
        .iter()
        .map(|a| identifier(&a["who"]))
        .collect();
    assert_eq!(
        senders,
        [(
            "urn:continuum:organization".into(),
            "northside-clinic".into()
        )]
    );
    let patient = entities(&event, "1")[0];
    assert_eq!(
        identifier(&patient["what"]),
        (
            "urn:continuum:organization:riverside-hospital:patient".into(),
            "h-2231".into()
        )
    );
    let disclosed = entity_by_system(&event, "urn:continuum:disclosure").expect("disclosure");
    assert_eq!(
        disclosed["what"]["identifier"]["value"], "d-bg-0001",
        "joins the recipient's event to the locator's and the source's"
    );
    assert_eq!(entities(&event, "4").len(), 2, "each received resource");
    Ok(())
}

#[test]
fn every_event_carries_its_ledger_position_for_checking_against_the_chain() -> anyhow::Result<()> {
    for chain in [locator_chain()?, node_chain()?, hospital_chain()?] {
        let verified = verify(
            &chain.id,
            chain.entries.clone(),
            vec![],
            &VerifyOptions::default(),
        )
        .map_err(|b| anyhow::anyhow!("{b}"))?;
        assert_eq!(verified.count, chain.entries.len() as u64);
        for entry in &chain.entries {
            let event = to_audit_event(entry, &chain.id, &locator())?;
            assert_eq!(event["id"], format!("{}-{}", chain.id, entry.seq));
            let system = format!("urn:continuum:ledger:{}", chain.id);
            let position = entity_by_system(&event, &system).expect("ledger entity");
            assert_eq!(
                position["what"]["identifier"]["value"],
                entry.seq.to_string()
            );
            assert_eq!(detail(position, "ledger-chain"), Some(chain.id.as_str()));
            assert_eq!(
                detail(position, "ledger-seq"),
                Some(entry.seq.to_string().as_str())
            );
            assert_eq!(
                detail(position, "ledger-hash"),
                Some(entry.hash.to_hex().as_str())
            );
            assert_eq!(
                detail(position, "ledger-prev-hash"),
                Some(entry.prev_hash.to_hex().as_str())
            );
        }
    }

    // A chain id too long for `<chain>-<seq>` to be a FHIR id: the hash.
    let mut long = TestChain::new(&"tenant-".repeat(9));
    let entry = long.record(&release(false))?;
    let event = to_audit_event(&entry, &long.id, &node())?;
    assert_eq!(event["id"], entry.hash.to_hex());

    // The bundle's fullUrls are stable and distinct.
    let chain = locator_chain()?;
    let bundle = to_audit_bundle(&chain.entries, &chain.id, &locator())?;
    let again = to_audit_bundle(&chain.entries, &chain.id, &locator())?;
    assert_eq!(bundle, again);
    assert_eq!(bundle["type"], "collection");
    let urls: std::collections::BTreeSet<_> = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["fullUrl"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(urls.len(), chain.entries.len());
    assert!(
        urls.iter()
            .all(|u| u.starts_with("urn:uuid:") && u.len() == 45)
    );
    Ok(())
}

#[test]
fn the_export_names_no_patient_and_quotes_no_reason_rule_or_content() -> anyhow::Result<()> {
    let locator_events = to_audit_bundle(&locator_chain()?.entries, "locator", &locator())?;
    let node_events = to_audit_bundle(&node_chain()?.entries, "northside-clinic", &node())?;
    let hospital_events =
        to_audit_bundle(&hospital_chain()?.entries, "riverside-hospital", &node())?;
    for bundle in [locator_events, node_events, hospital_events] {
        let text = serde_json::to_string(&bundle)?;
        for secret in [
            BREAK_GLASS_REASON,
            "methadone",
            // The rules that decided.
            "policy:opt-out",
            "policy:shielded:ETH",
            "directive:harbor-recovery/consent-9#deny-all",
            "break-glass:ed-attending",
            "not_asked",
        ] {
            assert!(!text.contains(secret), "{secret:?} leaked");
        }
        let mut found = Vec::new();
        keys(&bundle, &mut found);
        for key in ["name", "text", "query", "valueBase64Binary"] {
            assert!(!found.iter().any(|k| k == key), "{key} present");
        }
    }
    // A holding organization consent denied is never named (the recovery
    // centre appears in later entries: permitted, and with its directive).
    let chain = locator_chain()?;
    for entry in &chain.entries[..3] {
        let text = serde_json::to_string(&to_audit_event(entry, "locator", &locator())?)?;
        assert!(!text.contains("harbor-recovery"), "{}", entry.kind);
    }
    Ok(())
}

#[test]
fn an_entry_that_cannot_be_exported_is_an_error_that_quotes_nothing() -> anyhow::Result<()> {
    let mut chain = TestChain::new("locator");
    let good = chain.record(&disclosure(1))?;

    let mut newer = good.clone();
    newer.kind = "disclosure.later".into();
    assert_eq!(
        to_audit_event(&newer, "locator", &locator()),
        Err(AuditEventError::UnknownKind {
            seq: 1,
            kind: "disclosure.later".into()
        })
    );

    let mut garbled = good.clone();
    garbled.body = r#"{"disclosure_id":"d-1","person_id":"p","purpose":"TREAT","break_glass_reason":null,"requester":{"tenant":"t","practitioner_id":"x","role":"r"},"sources":"Jane Doe, born 1970-01-01"}"#.into();
    let err = to_audit_event(&garbled, "locator", &locator())
        .expect_err("a body of the wrong shape fails");
    assert!(matches!(
        err,
        AuditEventError::Body {
            seq: 1,
            kind: EntryKind::DisclosurePermit,
            ..
        }
    ));
    let message = err.to_string();
    assert!(!message.contains("Jane"), "{message}");
    assert!(!message.contains("1970"), "{message}");

    let mut far = good.clone();
    far.recorded_at_ms = 253_402_300_800_000; // 10000-01-01
    assert!(matches!(
        to_audit_event(&far, "locator", &locator()),
        Err(AuditEventError::Time { seq: 1, .. })
    ));

    // One bad entry fails the export rather than leaving a silent gap.
    assert!(to_audit_bundle([&good, &newer], "locator", &locator()).is_err());
    Ok(())
}

/// The independent FHIR R4 validator that tests/run installs.
fn validator() -> Option<(String, String)> {
    match (
        std::env::var("CONTINUUM_FHIR_PYTHON"),
        std::env::var("CONTINUUM_FHIR_VALIDATE"),
    ) {
        (Ok(python), Ok(script)) => Some((python, script)),
        _ => {
            eprintln!(
                "skipping: CONTINUUM_FHIR_PYTHON and CONTINUUM_FHIR_VALIDATE are not set; run \
                 the suite with tests/run, which installs the independent FHIR validator"
            );
            None
        }
    }
}

#[test]
fn the_export_validates_with_an_independent_fhir_validator() -> anyhow::Result<()> {
    let Some((python, script)) = validator() else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let locator_chain = locator_chain()?;
    let node_chain = node_chain()?;
    let hospital_chain = hospital_chain()?;
    let bundles = [
        (
            "locator.json",
            to_audit_bundle(&locator_chain.entries, "locator", &locator())?,
        ),
        (
            "node.json",
            to_audit_bundle(&node_chain.entries, "northside-clinic", &node())?,
        ),
        (
            "hospital.json",
            to_audit_bundle(&hospital_chain.entries, "riverside-hospital", &node())?,
        ),
    ];
    let mut files = Vec::new();
    for (name, bundle) in &bundles {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(bundle)?)?;
        files.push(path);
    }
    let out = Command::new(&python).arg(&script).args(&files).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the independent validator refused our AuditEvents:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The Bundle and each of its events, for each file.
    let events =
        locator_chain.entries.len() + node_chain.entries.len() + hospital_chain.entries.len();
    let counted: usize = stdout
        .lines()
        .filter_map(|l| {
            l.rsplit_once(" (")?
                .1
                .strip_suffix(" resources)")?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert_eq!(counted, events + bundles.len(), "{stdout}");
    Ok(())
}
