//! Helpers shared by the integration tests: walking a bundle's entries,
//! references and codings.

#![allow(dead_code)] // each test file uses a different subset

use serde_json::Value;

/// The entries of a transaction bundle.
pub fn entries(bundle: &Value) -> &[Value] {
    bundle["entry"].as_array().map_or(&[], Vec::as_slice)
}

/// The resources of a bundle, in order.
pub fn resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    entries(bundle).iter().map(|e| &e["resource"])
}

/// The resources of one type.
pub fn of_type<'a>(bundle: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> {
    resources(bundle).filter(move |r| r["resourceType"] == kind)
}

/// Every `reference` string anywhere inside `value`.
pub fn references(value: &Value) -> Vec<&str> {
    let mut found = Vec::new();
    collect_references(value, &mut found);
    found
}

fn collect_references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("reference", Value::String(target)) => found.push(target),
                    _ => collect_references(field, found),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, found)),
        _ => {}
    }
}

/// `(system, code)` of every coding of a CodeableConcept.
pub fn codings(concept: &Value) -> Vec<(&str, &str)> {
    concept["coding"]
        .as_array()
        .map(|codings| {
            codings
                .iter()
                .filter_map(|c| Some((c["system"].as_str()?, c["code"].as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `concept` has the coding `system|code`.
pub fn has_coding(concept: &Value, system: &str, code: &str) -> bool {
    codings(concept).contains(&(system, code))
}
