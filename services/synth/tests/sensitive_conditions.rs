//! Sensitive conditions appear for one patient in five, coded as the rest
//! of Continuum expects, with the medications and tests that go with them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{codings, has_coding, of_type};
use continuum_synth::{RecordSize, Sensitivity, patient_bundle, sensitivity_of};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const ICD10: &str = "http://hl7.org/fhir/sid/icd-10-cm";
const SNOMED: &str = "http://snomed.info/sct";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const LOINC: &str = "http://loinc.org";

/// The sensitivities of a bundle's Conditions.
fn sensitive_conditions(bundle: &Value) -> BTreeSet<Sensitivity> {
    of_type(bundle, "Condition")
        .flat_map(|c| codings(&c["code"]))
        .filter_map(|(system, code)| sensitivity_of(system, code))
        .collect()
}

fn has_medication(bundle: &Value, rxnorm: &str) -> bool {
    of_type(bundle, "MedicationRequest")
        .any(|m| has_coding(&m["medicationCodeableConcept"], RXNORM, rxnorm))
}

fn observations<'a>(bundle: &'a Value, loinc: &'a str) -> impl Iterator<Item = &'a Value> {
    of_type(bundle, "Observation").filter(move |o| has_coding(&o["code"], LOINC, loinc))
}

fn has_condition(bundle: &Value, icd10: &str, snomed: &str) -> bool {
    of_type(bundle, "Condition")
        .any(|c| has_coding(&c["code"], ICD10, icd10) && has_coding(&c["code"], SNOMED, snomed))
}

#[test]
fn one_patient_in_five_has_a_sensitive_condition() {
    for seed in [1, 2] {
        let with = (0..200)
            .filter(|&i| {
                !sensitive_conditions(&patient_bundle(seed, i, RecordSize::Small)).is_empty()
            })
            .count();
        // The stratum is exact: one in every five consecutive patients.
        assert_eq!(with, 40, "seed {seed}");
    }
}

#[test]
fn sensitive_conditions_survive_every_record_size() {
    for index in 0..25 {
        let small = sensitive_conditions(&patient_bundle(3, index, RecordSize::Small));
        let typical = sensitive_conditions(&patient_bundle(3, index, RecordSize::Typical));
        let large = sensitive_conditions(&patient_bundle(3, index, RecordSize::Large));
        assert_eq!(small, typical, "patient {index}");
        assert_eq!(typical, large, "patient {index}");
    }
}

#[test]
fn each_sensitive_condition_comes_with_its_agreed_codes() {
    let mut seen: BTreeMap<Sensitivity, usize> = BTreeMap::new();
    for index in 0..500 {
        let bundle = patient_bundle(21, index, RecordSize::Small);
        for sensitivity in sensitive_conditions(&bundle) {
            *seen.entry(sensitivity).or_default() += 1;
        }
        if has_condition(&bundle, "F11.20", "75544000") {
            assert!(
                has_medication(&bundle, "1010600"),
                "patient {index}: opioid dependence untreated"
            );
        }
        if has_condition(&bundle, "Z30.011", "408969000") {
            assert!(
                has_medication(&bundle, "1000126"),
                "patient {index}: no contraceptive"
            );
        }
        if has_condition(&bundle, "B20", "86406008") {
            let load = observations(&bundle, "25836-8")
                .next()
                .expect("a viral load");
            assert_eq!(load["valueQuantity"]["code"], "{copies}/mL");
            assert_eq!(load["category"][0]["coding"][0]["code"], "laboratory");
        }
        if has_condition(&bundle, "Z15.01", "412734009") {
            let test = observations(&bundle, "21636-6")
                .next()
                .expect("a BRCA1 test");
            assert!(test["valueCodeableConcept"].is_object());
        }
        for medication in ["1010600", "1000126"] {
            if has_medication(&bundle, medication) {
                assert!(
                    !sensitive_conditions(&bundle).is_empty(),
                    "patient {index}: {medication} without reason"
                );
            }
        }
    }
    assert_eq!(
        seen.len(),
        Sensitivity::ALL.len(),
        "every kind appears: {seen:?}"
    );
    for (sensitivity, count) in seen {
        assert!(count >= 3, "{sensitivity:?} appears {count} times");
    }
}

#[test]
fn the_agreed_condition_codes_are_used_exactly() {
    let pairs = [
        ("F10.20", "66590003"),
        ("F11.20", "75544000"),
        ("F32.9", "35489007"),
        ("F41.1", "21897009"),
        ("B20", "86406008"),
        ("Z15.01", "412734009"),
        ("T74.11XA", "95930005"),
        ("Z30.011", "408969000"),
    ];
    let mut found = BTreeSet::new();
    for index in 0..500 {
        let bundle = patient_bundle(22, index, RecordSize::Small);
        for (icd10, snomed) in pairs {
            if has_condition(&bundle, icd10, snomed) {
                found.insert(icd10);
            }
        }
    }
    let all: BTreeSet<_> = pairs.iter().map(|(icd10, _)| *icd10).collect();
    assert_eq!(found, all);
}
