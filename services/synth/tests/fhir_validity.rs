//! Every emitted resource is valid FHIR R4, as the `fhirkit` validator
//! reads it: structure, cardinalities, primitive formats, choice types.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use continuum_synth::{RecordSize, patient_bundle};
use fhirkit::Severity;
use fhirkit::r4::{Bundle, Resource};

/// Error-level issues of one JSON document, as printable lines.
fn errors<T: fhirkit::FhirJson>(text: &str) -> Vec<String> {
    let (value, issues) = fhirkit::from_json::<T>(text).expect("generated text is JSON");
    let mut errors: Vec<String> = issues
        .iter()
        .filter(|issue| issue.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    if value.is_none() {
        errors.push("not readable at all".to_owned());
    }
    errors
}

#[test]
fn every_resource_of_thirty_patients_of_every_size_validates() {
    let (mut checked, mut failures) = (0, Vec::new());
    for size in RecordSize::ALL {
        for index in 0..30 {
            let bundle = patient_bundle(7, index, size);
            for resource in common::resources(&bundle) {
                checked += 1;
                let problems = errors::<Resource>(&resource.to_string());
                if !problems.is_empty() {
                    failures.push(format!(
                        "{size} patient {index}, {} {}:\n    {}",
                        resource["resourceType"],
                        resource["id"],
                        problems.join("\n    ")
                    ));
                }
            }
        }
    }
    assert!(checked > 20_000, "only {checked} resources checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} resources have errors; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn whole_transaction_bundles_validate() {
    for size in RecordSize::ALL {
        for index in 0..3 {
            let text = patient_bundle(11, index, size).to_string();
            let problems = errors::<Bundle>(&text);
            assert!(
                problems.is_empty(),
                "{size} patient {index}:\n{}",
                problems.join("\n")
            );
        }
    }
}

/// The validator is strict enough for the tests above to mean something:
/// a generated resource with a broken element is rejected.
#[test]
fn the_validator_rejects_a_damaged_resource() {
    let bundle = patient_bundle(7, 0, RecordSize::Small);
    let mut observation = common::of_type(&bundle, "Observation")
        .next()
        .expect("records have observations")
        .clone();
    assert!(errors::<Resource>(&observation.to_string()).is_empty());
    observation["effectiveDateTime"] = "2019-03-04T09:30:00".into(); // no time zone
    observation["status"] = serde_json::Value::Null;
    assert_eq!(errors::<Resource>(&observation.to_string()).len(), 2);
}
