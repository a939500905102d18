//! Merging what several organizations returned: every resource is tagged
//! with its source, and the same clinical fact reported by two
//! organizations (a lab result, an immunization) appears once, naming both.

use std::collections::HashMap;

use continuum_fhir::compartment::clinical_date;
use serde_json::Value;

/// One resource of the merged answer.
#[derive(Debug, Clone)]
pub struct Merged {
    pub resource: Value,
    /// Tenant ids that returned it, in the order their answers were merged.
    pub sources: Vec<String>,
}

/// `meta.source` of a resource from `tenant`.
fn source_uri(tenant: &str) -> String {
    format!("urn:continuum:organization:{tenant}")
}

/// Merge the answers in the order given (the caller sorts sources, so the
/// answer does not depend on which node answered first).
pub fn merge(answers: Vec<(String, Vec<Value>)>) -> Vec<Merged> {
    let mut merged: Vec<Merged> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (tenant, resources) in answers {
        for mut resource in resources {
            let key = fingerprint(&resource);
            if let Some(&index) = key.as_ref().and_then(|k| seen.get(k)) {
                let first = &mut merged[index];
                if !first.sources.contains(&tenant) {
                    first.sources.push(tenant.clone());
                }
                carry_security(&resource, &mut first.resource);
                continue;
            }
            if let Some(key) = key {
                seen.insert(key, merged.len());
            }
            set_source(&mut resource, &tenant);
            merged.push(Merged {
                resource,
                sources: vec![tenant.clone()],
            });
        }
    }
    merged
}

/// What makes two organizations' copies the same fact: for the kinds of
/// resource that are reported, not authored, at each organization, the
/// type, the code, the clinical date and the value. Other resources (a
/// patient, an encounter, a note) are each organization's own.
fn fingerprint(resource: &Value) -> Option<String> {
    let kind = resource["resourceType"].as_str()?;
    let code_element = match kind {
        "Observation" | "DiagnosticReport" | "Condition" | "Procedure" | "AllergyIntolerance" => {
            "code"
        }
        "Immunization" => "vaccineCode",
        _ => return None,
    };
    let coding = resource[code_element]["coding"].as_array()?.first()?;
    let code = format!(
        "{}|{}",
        coding["system"].as_str()?,
        coding["code"].as_str()?
    );
    let date = clinical_date(resource)?;
    let value = [
        &resource["valueQuantity"]["value"],
        &resource["valueQuantity"]["unit"],
        &resource["valueCodeableConcept"]["coding"][0]["code"],
        &resource["valueString"],
    ]
    .map(|v| {
        if v.is_null() {
            String::new()
        } else {
            v.to_string()
        }
    })
    .join("|");
    Some(format!("{kind}\u{1f}{code}\u{1f}{date}\u{1f}{value}"))
}

fn set_source(resource: &mut Value, tenant: &str) {
    if let Some(object) = resource.as_object_mut() {
        let meta = object
            .entry("meta")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("source".into(), Value::String(source_uri(tenant)));
        }
    }
}

/// A merged resource carries every security label any copy carried: the
/// most protective labelling wins.
fn carry_security(copy: &Value, into: &mut Value) {
    for coding in copy["meta"]["security"].as_array().into_iter().flatten() {
        if let (Some(system), Some(code)) = (coding["system"].as_str(), coding["code"].as_str()) {
            let display = coding["display"].as_str().unwrap_or_default();
            continuum_fhir::labels::add_security_coding(into, system, code, display);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn immunization(id: &str, date: &str) -> Value {
        json!({
            "resourceType": "Immunization", "id": id, "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
            "occurrenceDateTime": date
        })
    }

    #[test]
    fn the_same_immunization_from_two_sources_appears_once_naming_both() {
        let merged = merge(vec![
            ("clinic".into(), vec![immunization("a", "2024-10-01")]),
            (
                "hospital".into(),
                vec![
                    immunization("b", "2024-10-01"),
                    immunization("c", "2023-10-01"),
                ],
            ),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].sources, ["clinic", "hospital"]);
        assert_eq!(
            merged[0].resource["meta"]["source"],
            "urn:continuum:organization:clinic"
        );
        assert_eq!(merged[1].sources, ["hospital"]);
    }

    #[test]
    fn patients_and_encounters_are_never_merged() {
        let patient = json!({"resourceType": "Patient", "id": "p"});
        let merged = merge(vec![
            ("clinic".into(), vec![patient.clone()]),
            ("hospital".into(), vec![patient]),
        ]);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn a_merged_resource_keeps_every_copys_security_labels() {
        let mut labelled = immunization("b", "2024-10-01");
        labelled["meta"] = json!({"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}]});
        let merged = merge(vec![
            ("clinic".into(), vec![immunization("a", "2024-10-01")]),
            ("program".into(), vec![labelled]),
        ]);
        assert_eq!(merged[0].resource["meta"]["security"][0]["code"], "ETH");
    }
}
