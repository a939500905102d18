use chrono::{DateTime, TimeZone, Utc};
use continuum_fhir::Sensitivity;
use serde_json::{Value, json};

use super::*;

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().expect("test instant")
}

/// A patient at `clinic` who shares with everyone except psychiatric notes
/// with `acme-insurance`.
fn privacy_consent() -> Value {
    json!({
        "resourceType": "Consent",
        "id": "c1",
        "status": "active",
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/p1"},
        "policyRule": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {
            "type": "permit",
            "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "provision": [{
                "type": "deny",
                "actor": [{
                    "role": {"coding": [{"system": PARTICIPATION_SYSTEM, "code": "IRCP"}]},
                    "reference": {"reference": "Organization/acme-insurance"}
                }],
                "securityLabel": [{"system": Sensitivity::SYSTEM, "code": "PSY"}]
            }]
        }
    })
}

fn refusal(consent: &Value) -> String {
    match read_consent(consent, 1) {
        Ok(read) => panic!("accepted: {read:?}"),
        Err(ConsentError::InvalidDirective(message)) => message,
        Err(other) => panic!("refused for another reason: {other}"),
    }
}

/// The consent with `value` at `pointer` (set, inserted or, for null, removed).
fn with(mut consent: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    match consent
        .pointer_mut(parent)
        .expect("pointer into the consent")
    {
        Value::Object(map) if value.is_null() => {
            map.remove(key);
        }
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{pointer} is not in an object or array"),
    }
    consent
}

fn without(consent: Value, pointer: &str) -> Value {
    with(consent, pointer, Value::Null)
}

#[test]
fn nested_deny_is_flattened_with_inherited_period() {
    let read = read_consent(&privacy_consent(), 7).expect("read");
    assert_eq!(read.consent_id, "c1");
    assert_eq!(read.patient_local_id, "p1");
    assert!(read.active);
    let period = Period {
        start: Some(instant("2025-01-01T00:00:00Z")),
        // Date-only end: the whole of 31 December is included.
        end: Some(instant("2026-01-01T00:00:00Z")),
    };
    let directive = read.directive_for("clinic");
    assert_eq!(
        directive,
        Directive {
            id: "clinic/c1".into(),
            version: 7,
            active: true,
            provisions: vec![
                Provision {
                    effect: Effect::Permit,
                    period,
                    recipients: vec![],
                    custodians: vec![],
                    purposes: vec![],
                    resource_types: vec![],
                    labels: LabelSet::EMPTY,
                    path: "provision".into(),
                },
                Provision {
                    effect: Effect::Deny,
                    period,
                    recipients: vec!["acme-insurance".into()],
                    custodians: vec![],
                    purposes: vec![],
                    resource_types: vec![],
                    labels: LabelSet::of([Sensitivity::Psy]),
                    path: "provision.provision[0]".into(),
                },
            ],
        }
    );
}

#[test]
fn every_constraint_is_read_and_children_replace_what_they_state() {
    let consent = with(
        privacy_consent(),
        "/provision",
        json!({
            "type": "permit",
            "period": {"start": "2025-03-14T08:30:00+01:00", "end": "2025-06"},
            "actor": [
                {"role": {"coding": [{"system": PARTICIPATION_SYSTEM, "code": "IRCP"}]},
                 "reference": {"reference": "Organization/hospital"}},
                {"role": {"coding": [{"system": PARTICIPATION_SYSTEM, "code": "CST"}]},
                 "reference": {"reference": "Organization/clinic"}}
            ],
            "action": [{"coding": [{"system": ACTION_SYSTEM, "code": "access"},
                                   {"system": ACTION_SYSTEM, "code": "disclose"}]}],
            "purpose": [{"system": Purpose::SYSTEM, "code": "TREAT"},
                        {"system": Purpose::SYSTEM, "code": "ETREAT"}],
            "class": [{"system": RESOURCE_TYPE_SYSTEM, "code": "Observation"},
                      {"system": RESOURCE_TYPE_SYSTEM, "code": "Condition"}],
            "securityLabel": [{"system": Sensitivity::SYSTEM, "code": "HIV"}],
            "provision": [
                {"type": "deny",
                 "class": [{"system": RESOURCE_TYPE_SYSTEM, "code": "Condition"}],
                 "provision": [{"type": "permit",
                                "purpose": [{"system": Purpose::SYSTEM, "code": "ETREAT"}]}]},
                {"type": "deny", "period": {"start": "2026"}}
            ]
        }),
    );
    let provisions = read_consent(&consent, 1)
        .expect("read")
        .directive
        .provisions;
    let paths: Vec<&str> = provisions.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "provision",
            "provision.provision[0]",
            "provision.provision[0].provision[0]",
            "provision.provision[1]"
        ]
    );
    let root = &provisions[0];
    assert_eq!(root.period.start, Some(instant("2025-03-14T07:30:00Z")));
    assert_eq!(root.period.end, Some(instant("2025-07-01T00:00:00Z")));
    assert_eq!(root.recipients, ["hospital"]);
    assert_eq!(root.custodians, ["clinic"]);
    assert_eq!(root.purposes, [Purpose::Treat, Purpose::Etreat]);
    assert_eq!(root.resource_types, ["Observation", "Condition"]);
    assert_eq!(root.labels, LabelSet::of([Sensitivity::Hiv]));

    let deny = &provisions[1];
    assert_eq!(deny.effect, Effect::Deny);
    assert_eq!(deny.resource_types, ["Condition"]);
    assert_eq!(
        (&deny.recipients, &deny.purposes, deny.labels, deny.period),
        (&root.recipients, &root.purposes, root.labels, root.period)
    );
    let grandchild = &provisions[2];
    assert_eq!(grandchild.effect, Effect::Permit);
    assert_eq!(grandchild.purposes, [Purpose::Etreat]);
    assert_eq!(grandchild.resource_types, ["Condition"]);
    let later = &provisions[3];
    assert_eq!(
        later.period,
        Period {
            start: Some(instant("2026-01-01T00:00:00Z")),
            end: None
        }
    );
    assert_eq!(later.resource_types, root.resource_types);
}

#[test]
fn date_only_and_partial_dates_cover_whole_days() {
    let day = |text: &str, end: bool| super::instant(text, end);
    let midnight = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single();
    assert_eq!(day("2024-02-29", false), midnight(2024, 2, 29));
    assert_eq!(day("2024-02-29", true), midnight(2024, 3, 1));
    assert_eq!(day("2024-12", true), midnight(2025, 1, 1));
    assert_eq!(day("2024", true), midnight(2025, 1, 1));
    assert_eq!(
        day("2024-12-31T23:59:59.5Z", true),
        Some(instant("2024-12-31T23:59:59.5Z"))
    );
    for bad in [
        "2023-02-29",
        "2024-13",
        "24-01-01",
        "2024-01-01T10:00:00",
        "2024-01-01T10:00Z",
        "2024/01/01",
        "",
    ] {
        assert_eq!(day(bad, false), None, "{bad}");
    }
    let period = |start: &str, end: &str| {
        read_consent(
            &with(
                privacy_consent(),
                "/provision/period",
                json!({"start": start, "end": end}),
            ),
            1,
        )
    };
    // The same day as start and end is that whole day.
    assert!(period("2025-05-05", "2025-05-05").is_ok());
    assert!(
        refusal(&with(
            privacy_consent(),
            "/provision/period",
            json!({"start": "2025-05-06", "end": "2025-05-05"})
        ))
        .starts_with("provision.period: end is not after start")
    );
    assert!(
        refusal(&with(
            privacy_consent(),
            "/provision/period/start",
            json!("2025-05-06T10:00:00")
        ))
        .starts_with("provision.period.start:")
    );
}

#[test]
fn revoked_consent_is_read_inactive_even_when_its_provisions_are_unreadable() {
    for status in ["inactive", "rejected", "entered-in-error"] {
        let read = read_consent(&with(privacy_consent(), "/status", json!(status)), 2)
            .expect("revocation");
        assert!(!read.active && !read.directive.active, "{status}");
        assert_eq!(read.directive.provisions.len(), 2);
    }
    let unreadable = with(privacy_consent(), "/status", json!("inactive"));
    let unreadable = with(unreadable, "/provision/code", json!([{"text": "x"}]));
    let read = read_consent(&unreadable, 3).expect("revocation still read");
    assert!(!read.active && read.directive.provisions.is_empty());
    let no_provision = without(
        with(privacy_consent(), "/status", json!("inactive")),
        "/provision",
    );
    assert!(read_consent(&no_provision, 3).is_ok());
}

#[test]
fn consent_not_in_force_or_without_status_is_refused() {
    for status in ["draft", "proposed"] {
        let message = refusal(&with(privacy_consent(), "/status", json!(status)));
        assert!(message.contains("not in force"), "{message}");
    }
    assert!(refusal(&with(privacy_consent(), "/status", json!("done"))).starts_with("status:"));
    assert_eq!(
        refusal(&without(privacy_consent(), "/status")),
        "status: required"
    );
}

#[test]
fn resource_header_is_checked() {
    let cases = [
        (
            with(privacy_consent(), "/resourceType", json!("Patient")),
            "resourceType:",
        ),
        (without(privacy_consent(), "/id"), "id: required"),
        (with(privacy_consent(), "/id", json!("no spaces")), "id:"),
        (
            with(
                privacy_consent(),
                "/scope/coding/0/code",
                json!("treatment"),
            ),
            "scope: expected patient-privacy",
        ),
        (
            without(privacy_consent(), "/scope"),
            "scope: expected a CodeableConcept",
        ),
        (
            without(privacy_consent(), "/category"),
            "category: required",
        ),
        (
            with(privacy_consent(), "/category", json!([])),
            "category: expected a non-empty array",
        ),
        (
            without(privacy_consent(), "/policyRule"),
            "policyRule: a policyRule or a policy",
        ),
        (
            with(privacy_consent(), "/patient/reference", json!("Group/g1")),
            "patient.reference: expected Patient/<id>",
        ),
        (
            without(privacy_consent(), "/provision"),
            "provision: required",
        ),
        (
            with(
                privacy_consent(),
                "/modifierExtension",
                json!([{"url": "x"}]),
            ),
            "modifierExtension: not supported",
        ),
    ];
    for (consent, expected) in cases {
        let message = refusal(&consent);
        assert!(
            message.starts_with(expected),
            "{message} (expected {expected})"
        );
    }
    assert!(refusal(&json!([])).starts_with("Consent:"));
    // A policy instead of a policyRule satisfies ppc-1.
    let mut with_policy = without(privacy_consent(), "/policyRule");
    with_policy["policy"] = json!([{"uri": "https://example.org/policy"}]);
    assert!(read_consent(&with_policy, 1).is_ok());
}

#[test]
fn provision_elements_that_would_widen_the_consent_are_refused() {
    let nested = "/provision/provision/0";
    let cases = [
        (
            format!("{nested}/type"),
            Value::Null,
            "provision.provision[0].type: required",
        ),
        (
            format!("{nested}/type"),
            json!("allow"),
            "provision.provision[0].type: `allow`",
        ),
        (
            format!("{nested}/code"),
            json!([{"coding": [{"system": "http://loinc.org", "code": "11488-4"}]}]),
            "provision.provision[0].code: not supported",
        ),
        (
            format!("{nested}/data"),
            json!([{"meaning": "instance", "reference": {"reference": "Observation/o1"}}]),
            "provision.provision[0].data: not supported",
        ),
        (
            format!("{nested}/dataPeriod"),
            json!({"start": "2020"}),
            "provision.provision[0].dataPeriod: not supported",
        ),
        (
            format!("{nested}/modifierExtension"),
            json!([{"url": "x"}]),
            "provision.provision[0].modifierExtension: not supported",
        ),
        (
            format!("{nested}/sensitivity"),
            json!("high"),
            "provision.provision[0].sensitivity: not an element",
        ),
        (
            format!("{nested}/action"),
            json!([{"coding": [{"system": ACTION_SYSTEM, "code": "correct"}]}]),
            "provision.provision[0].action[0]: `correct`",
        ),
        (
            format!("{nested}/actor/0/role/coding/0/code"),
            json!("AUT"),
            "provision.provision[0].actor[0].role: `AUT`: expected IRCP or CST from",
        ),
        (
            format!("{nested}/actor/0/role/coding/0/system"),
            json!("http://example.org/roles"),
            "provision.provision[0].actor[0].role: expected IRCP or CST from",
        ),
        (
            format!("{nested}/actor/0/reference/reference"),
            json!("Practitioner/dr-no"),
            "provision.provision[0].actor[0].reference.reference: expected Organization/<id>",
        ),
        (
            format!("{nested}/actor"),
            json!([]),
            "provision.provision[0].actor: expected a non-empty array",
        ),
        (
            format!("{nested}/securityLabel/0"),
            json!({"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}),
            "provision.provision[0].securityLabel[0]: labels from",
        ),
        (
            format!("{nested}/securityLabel/0"),
            json!({"code": "PSY"}),
            "provision.provision[0].securityLabel[0]: expected a Coding",
        ),
        (
            format!("{nested}/purpose"),
            json!([{"system": "http://example.org/why", "code": "TREAT"}]),
            "provision.provision[0].purpose[0]: expected a code from",
        ),
        (
            format!("{nested}/class"),
            json!([{"system": RESOURCE_TYPE_SYSTEM, "code": "Observaton"}]),
            "provision.provision[0].class[0]: `Observaton` is not a FHIR R4 resource type",
        ),
        (
            format!("{nested}/class"),
            json!([{"system": "urn:ietf:bcp:13", "code": "application/pdf"}]),
            "provision.provision[0].class[0]: classes from urn:ietf:bcp:13",
        ),
        (
            format!("{nested}/provision"),
            json!({"type": "deny"}),
            "provision.provision[0].provision: expected a non-empty array",
        ),
    ];
    for (pointer, value, expected) in cases {
        let message = refusal(&with(privacy_consent(), &pointer, value));
        assert!(
            message.starts_with(expected),
            "{message}\n(expected {expected})"
        );
    }
}

#[test]
fn unknown_purposes_and_categories_have_their_own_errors() {
    let purpose = with(
        privacy_consent(),
        "/provision/purpose",
        json!([{"system": Purpose::SYSTEM, "code": "HMARKT"}]),
    );
    assert_eq!(
        read_consent(&purpose, 1),
        Err(ConsentError::UnknownPurpose("HMARKT".into()))
    );
    let label = with(
        privacy_consent(),
        "/provision/provision/0/securityLabel/0/code",
        json!("BH"),
    );
    assert_eq!(
        read_consent(&label, 1),
        Err(ConsentError::UnknownCategory("BH".into()))
    );
}

#[test]
fn actor_with_both_roles_is_ambiguous() {
    let consent = with(
        privacy_consent(),
        "/provision/provision/0/actor/0/role/coding",
        json!([{"system": PARTICIPATION_SYSTEM, "code": "IRCP"},
               {"system": PARTICIPATION_SYSTEM, "code": "CST"}]),
    );
    assert!(refusal(&consent).starts_with("provision.provision[0].actor[0].role: several roles"));
}

#[test]
fn psychiatric_records_are_withheld_from_the_insurer_the_consent_names() {
    let directive = read_consent(&privacy_consent(), 1)
        .expect("read")
        .directive_for("clinic");
    let request = |requester| crate::Request {
        requester,
        role: "clinician",
        purpose: Purpose::Treat,
        at: instant("2025-12-31T23:00:00Z"),
        break_glass: false,
    };
    let policy = crate::NetworkPolicy::default();
    let decide = |requester| {
        crate::decide(
            std::slice::from_ref(&directive),
            &policy,
            &request(requester),
            "clinic",
            LabelSet::EMPTY,
        )
    };
    let psy = LabelSet::of([Sensitivity::Psy]);
    let insurer = decide("acme-insurance");
    assert!(insurer.permitted);
    assert!(insurer.grant.allows("Observation", LabelSet::EMPTY));
    assert!(!insurer.grant.allows("Condition", psy));
    assert!(
        insurer
            .decided_by
            .contains(&"deny clinic/c1@1#provision.provision[0]".to_owned())
    );
    assert!(decide("hospital").grant.allows("Condition", psy));
}
