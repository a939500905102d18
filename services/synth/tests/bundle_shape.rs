//! The bundles have the shape the importer and the rest of Continuum rely
//! on: sizes, entries, identities, references, times and codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{codings, entries, has_coding, of_type, references, resources};
use continuum_synth::{RecordSize, patient_bundle, reference_date};
use serde_json::Value;
use std::collections::HashSet;

const ORGANIZATION_SYSTEM: &str = "https://continuum.example/synth/organization";
const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
const UCUM: &str = "http://unitsofmeasure.org";

#[test]
fn record_sizes_stay_in_their_ranges() {
    for size in RecordSize::ALL {
        let counts: Vec<usize> = (0..40)
            .map(|i| entries(&patient_bundle(5, i, size)).len())
            .collect();
        for (index, count) in counts.iter().enumerate() {
            assert!(
                size.entries().contains(count),
                "{size} patient {index}: {count}"
            );
        }
        let distinct: HashSet<_> = counts.iter().collect();
        assert!(distinct.len() > 10, "{size} sizes vary: {counts:?}");
    }
    for index in 0..20 {
        let count = entries(&patient_bundle(77, index, RecordSize::Large)).len();
        assert!(
            (450..=550).contains(&count),
            "large patient {index}: {count}"
        );
    }
}

#[test]
fn bundles_are_transactions_of_posts_with_matching_ids() {
    let id_pattern = |id: &str| {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    for index in 0..20 {
        let bundle = patient_bundle(8, index, RecordSize::Typical);
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "transaction");
        for entry in entries(&bundle) {
            let resource = &entry["resource"];
            let id = resource["id"].as_str().expect("every resource has an id");
            assert!(id_pattern(id), "{id}");
            assert_eq!(entry["fullUrl"], format!("urn:uuid:{id}"));
            assert_eq!(entry["request"]["method"], "POST");
            assert_eq!(entry["request"]["url"], resource["resourceType"]);
        }
    }
}

#[test]
fn care_providers_come_first_as_conditional_creates() {
    for index in 0..20 {
        let bundle = patient_bundle(4, index, RecordSize::Small);
        let [organization, practitioner, patient] = &entries(&bundle)[..3] else {
            panic!("too few entries");
        };
        assert_eq!(organization["resource"]["resourceType"], "Organization");
        let org_id = organization["resource"]["identifier"][0]["value"]
            .as_str()
            .unwrap();
        assert_eq!(
            organization["resource"]["identifier"][0]["system"],
            ORGANIZATION_SYSTEM
        );
        assert_eq!(
            organization["request"]["ifNoneExist"],
            format!("identifier={ORGANIZATION_SYSTEM}|{org_id}")
        );
        assert_eq!(practitioner["resource"]["resourceType"], "Practitioner");
        let npi = practitioner["resource"]["identifier"][0]["value"]
            .as_str()
            .unwrap();
        assert!(
            npi.len() == 10 && npi.bytes().all(|b| b.is_ascii_digit()),
            "{npi}"
        );
        assert_eq!(
            practitioner["request"]["ifNoneExist"],
            format!("identifier={NPI}|{npi}")
        );
        assert_eq!(patient["resource"]["resourceType"], "Patient");
        assert!(patient["request"].get("ifNoneExist").is_none());
    }
}

#[test]
fn every_reference_resolves_within_its_bundle() {
    for size in RecordSize::ALL {
        for index in 0..10 {
            let bundle = patient_bundle(6, index, size);
            let full_urls: HashSet<&str> = entries(&bundle)
                .iter()
                .filter_map(|e| e["fullUrl"].as_str())
                .collect();
            // Conditional references must match a conditional create here.
            let conditional: HashSet<String> = entries(&bundle)
                .iter()
                .filter_map(|e| {
                    let search = e["request"]["ifNoneExist"].as_str()?;
                    Some(format!("{}?{search}", e["request"]["url"].as_str()?))
                })
                .collect();
            let mut count = 0;
            for target in references(&bundle) {
                count += 1;
                if target.starts_with("urn:uuid:") {
                    assert!(
                        full_urls.contains(target),
                        "{size} {index}: dangling {target}"
                    );
                } else {
                    assert!(
                        conditional.contains(target),
                        "{size} {index}: unresolvable {target}"
                    );
                }
            }
            assert!(
                count > entries(&bundle).len(),
                "{size} {index}: {count} references"
            );
        }
    }
}

#[test]
fn encounters_use_conditional_references_to_their_providers() {
    let bundle = patient_bundle(2, 1, RecordSize::Typical);
    for encounter in of_type(&bundle, "Encounter") {
        let provider = encounter["serviceProvider"]["reference"].as_str().unwrap();
        assert!(provider.starts_with(&format!("Organization?identifier={ORGANIZATION_SYSTEM}|")));
        let individual = encounter["participant"][0]["individual"]["reference"]
            .as_str()
            .unwrap();
        assert!(individual.starts_with(&format!("Practitioner?identifier={NPI}|")));
        let class = encounter["class"]["code"].as_str().unwrap();
        assert!(["AMB", "EMER", "IMP"].contains(&class), "{class}");
        assert_eq!(encounter["status"], "finished");
    }
}

#[test]
fn ids_are_unique_across_a_dataset_except_shared_providers() {
    let mut seen = HashSet::new();
    for index in 0..200 {
        let bundle = patient_bundle(1, index, RecordSize::Small);
        let mut in_bundle = HashSet::new();
        for resource in resources(&bundle) {
            let id = resource["id"].as_str().unwrap().to_owned();
            assert!(
                in_bundle.insert(id.clone()),
                "patient {index}: duplicate {id}"
            );
            let shared = matches!(
                resource["resourceType"].as_str(),
                Some("Organization" | "Practitioner")
            );
            if !shared {
                assert!(seen.insert(id.clone()), "patient {index}: {id} seen before");
            }
        }
    }
}

/// Every string field whose name says it holds a date or time.
fn times(value: &Value, key: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => fields.iter().for_each(|(k, v)| times(v, k, found)),
        Value::Array(items) => items.iter().for_each(|v| times(v, key, found)),
        Value::String(s) => {
            let timed = key.ends_with("DateTime")
                || [
                    "start",
                    "end",
                    "issued",
                    "authoredOn",
                    "recordedDate",
                    "date",
                    "started",
                    "birthDate",
                ]
                .contains(&key);
            if timed {
                found.push(s.clone());
            }
        }
        _ => {}
    }
}

#[test]
fn times_carry_an_offset_and_precede_the_reference_date() {
    let limit = reference_date().format("%Y-%m-%d").to_string();
    for index in 0..15 {
        let bundle = patient_bundle(12, index, RecordSize::Large);
        let mut found = Vec::new();
        times(&bundle, "", &mut found);
        assert!(found.len() > 500);
        for text in found {
            assert!(text[..10] < *limit, "{text} is not before {limit}");
            if text.len() > 10 {
                let zone = &text[19..];
                let offset_ok = zone.len() == 6
                    && (zone.starts_with('-') || zone.starts_with('+'))
                    && &zone[3..4] == ":";
                assert!(offset_ok && &text[10..11] == "T", "{text}");
            }
        }
    }
}

#[test]
fn encounters_follow_each_other_without_overlapping() {
    for index in 0..15 {
        let bundle = patient_bundle(13, index, RecordSize::Large);
        let periods: Vec<(String, String)> = of_type(&bundle, "Encounter")
            .map(|e| {
                let at = |k: &str| e["period"][k].as_str().unwrap()[..19].to_owned();
                (at("start"), at("end"))
            })
            .collect();
        assert!(periods.len() >= 3, "patient {index}");
        for (start, end) in &periods {
            assert!(start < end);
        }
        for pair in periods.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "patient {index}: {pair:?}");
        }
    }
}

#[test]
fn conditions_are_coded_in_icd10_cm_and_snomed() {
    let bundle = patient_bundle(14, 0, RecordSize::Large);
    let conditions: Vec<_> = of_type(&bundle, "Condition").collect();
    assert!(!conditions.is_empty());
    for condition in conditions {
        let systems: Vec<&str> = codings(&condition["code"])
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(
            systems,
            [
                "http://hl7.org/fhir/sid/icd-10-cm",
                "http://snomed.info/sct"
            ]
        );
        assert!(
            condition["onsetDateTime"].as_str().unwrap()
                <= condition["recordedDate"].as_str().unwrap()
        );
    }
}

#[test]
fn quantities_are_ucum_with_matching_units() {
    let bundle = patient_bundle(15, 0, RecordSize::Large);
    let mut quantities = 0;
    for observation in of_type(&bundle, "Observation") {
        assert_eq!(observation["status"], "final");
        let parts = observation["component"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for quantity in std::iter::once(&observation["valueQuantity"])
            .chain(parts.iter().map(|c| &c["valueQuantity"]))
            .filter(|q| !q.is_null())
        {
            quantities += 1;
            assert_eq!(quantity["system"], UCUM);
            assert_eq!(quantity["unit"], quantity["code"]);
            assert!(quantity["value"].as_f64().unwrap() >= 0.0);
        }
    }
    assert!(quantities > 100);
}

#[test]
fn vital_signs_are_plausible() {
    for index in 0..20 {
        let bundle = patient_bundle(16, index, RecordSize::Typical);
        for observation in of_type(&bundle, "Observation") {
            let value = observation["valueQuantity"]["value"].as_f64();
            let code = &observation["code"];
            let check = |loinc: &str, lo: f64, hi: f64| {
                if has_coding(code, "http://loinc.org", loinc) {
                    let v = value.unwrap();
                    assert!((lo..=hi).contains(&v), "{loinc} = {v}");
                }
            };
            check("8302-2", 40.0, 215.0); // body height, cm
            check("29463-7", 2.0, 250.0); // body weight, kg
            check("39156-5", 10.0, 50.0); // BMI
            check("8867-4", 40.0, 180.0); // heart rate
        }
    }
}

#[test]
fn typical_records_use_every_resource_type() {
    let mut kinds = HashSet::new();
    for index in 0..30 {
        let bundle = patient_bundle(17, index, RecordSize::Typical);
        kinds.extend(
            resources(&bundle).filter_map(|r| r["resourceType"].as_str().map(str::to_owned)),
        );
    }
    for kind in [
        "Organization",
        "Practitioner",
        "Patient",
        "Encounter",
        "Condition",
        "MedicationRequest",
        "AllergyIntolerance",
        "Immunization",
        "Observation",
        "DiagnosticReport",
        "ImagingStudy",
        "Procedure",
        "CarePlan",
        "DocumentReference",
    ] {
        assert!(kinds.contains(kind), "no {kind}");
    }
}

#[test]
fn patients_vary_in_age_gender_and_names() {
    let patients: Vec<Value> = (0..200)
        .map(|i| {
            of_type(&patient_bundle(18, i, RecordSize::Small), "Patient")
                .next()
                .cloned()
                .unwrap()
        })
        .collect();
    let genders: HashSet<_> = patients
        .iter()
        .map(|p| p["gender"].as_str().unwrap())
        .collect();
    assert!(genders.contains("male") && genders.contains("female"));
    let births: Vec<&str> = patients
        .iter()
        .map(|p| p["birthDate"].as_str().unwrap())
        .collect();
    assert!(births.iter().any(|b| *b < "1940") && births.iter().any(|b| *b > "2020"));
    let names: Vec<String> = patients.iter().map(|p| p["name"].to_string()).collect();
    assert!(
        names.iter().any(|n| !n.is_ascii()),
        "some names have diacritics"
    );
    assert!(names.iter().any(|n| n.contains("Jr.") || n.contains("Sr.")));
    let hyphenated = patients
        .iter()
        .any(|p| p["name"][0]["family"].as_str().unwrap().contains('-'));
    assert!(hyphenated);
    for patient in &patients {
        let ssn = patient["identifier"][1]["value"].as_str().unwrap();
        assert!(ssn.starts_with("999-") && ssn.len() == 11, "{ssn}");
        assert_eq!(patient["identifier"][0]["type"]["coding"][0]["code"], "MR");
        assert_eq!(patient["address"][0]["country"], "US");
    }
}
