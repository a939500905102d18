//! Turning a resource into a stored version: its id and `meta`, its
//! security labels, and what it is indexed and filed under.

use continuum_fhir::{apply_labels, compartment};
use serde_json::{Map, Value};

use crate::store::{NewVersion, StoredRow};

/// Which version of which resource is being written, and when.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub resource_type: &'a str,
    pub id: &'a str,
    pub version_id: u64,
    pub last_updated: &'a str,
}

/// Add the resource's sensitivity labels to its `meta.security`; returns
/// them as stored (comma-separated codes).
pub fn label(resource: &mut Value) -> String {
    let labels = apply_labels(resource);
    labels
        .iter()
        .map(|l| l.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// Make a labelled, indexed resource the version `stamp` says.
pub fn stamp(
    mut resource: Value,
    stamp: &Stamp<'_>,
    labels: String,
    tokens: Vec<(&'static str, String)>,
    supersedes: Option<StoredRow>,
) -> NewVersion {
    set_identity(&mut resource, stamp.id);
    set_stamp(&mut resource, stamp.version_id, stamp.last_updated);
    NewVersion {
        resource_type: stamp.resource_type.to_owned(),
        id: stamp.id.to_owned(),
        version_id: stamp.version_id,
        last_updated: stamp.last_updated.to_owned(),
        patient_id: compartment::patient_id(&resource).map(str::to_owned),
        clinical_date: compartment::clinical_date(&resource).map(str::to_owned),
        labels,
        content: resource.to_string(),
        tokens,
        supersedes,
    }
}

/// Whether `candidate` (labelled, with `id` set) says the same as the stored
/// version: everything but the version stamp is compared.
pub fn is_unchanged(stored: &StoredRow, candidate: &Value) -> bool {
    let Ok(mut stored) = serde_json::from_str::<Value>(&stored.content) else {
        return false;
    };
    let mut candidate = candidate.clone();
    strip_stamp(&mut stored);
    strip_stamp(&mut candidate);
    stored == candidate
}

/// Prepare an incoming (already labelled) resource for comparison with a
/// stored one: give it the stored one's id.
pub fn comparable(mut resource: Value, id: &str) -> Value {
    set_identity(&mut resource, id);
    resource
}

fn set_identity(resource: &mut Value, id: &str) {
    if let Value::Object(map) = resource {
        map.insert("id".into(), Value::String(id.to_owned()));
    }
}

/// Set `meta.versionId` and `meta.lastUpdated`, keeping the rest of `meta`
/// (profiles, tags, security labels). Resources are always JSON objects by
/// the time they are stamped: validation refuses anything else.
fn set_stamp(resource: &mut Value, version_id: u64, last_updated: &str) {
    let Value::Object(map) = resource else { return };
    let meta = map
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert("versionId".into(), Value::String(version_id.to_string()));
        meta.insert("lastUpdated".into(), Value::String(last_updated.to_owned()));
    }
}

fn strip_stamp(resource: &mut Value) {
    if let Some(Value::Object(meta)) = resource.get_mut("meta") {
        meta.remove("versionId");
        meta.remove("lastUpdated");
        if meta.is_empty()
            && let Value::Object(map) = resource
        {
            map.remove("meta");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stamped(mut resource: Value, resource_type: &str, id: &str, version_id: u64) -> NewVersion {
        let labels = label(&mut resource);
        let at = Stamp {
            resource_type,
            id,
            version_id,
            last_updated: "2026-01-01T00:00:00.000Z",
        };
        stamp(resource, &at, labels, Vec::new(), None)
    }

    #[test]
    fn a_version_carries_id_stamp_labels_and_filing() {
        let obs = json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "25836-8"}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2021-02-03T04:05:06Z"});
        let v = stamped(obs, "Observation", "o1", 2);
        let content: Value = serde_json::from_str(&v.content).unwrap_or_default();
        assert_eq!(content["id"], "o1");
        assert_eq!(content["meta"]["versionId"], "2");
        assert_eq!(content["meta"]["security"][0]["code"], "HIV");
        assert_eq!(v.labels, "HIV");
        assert_eq!(v.patient_id.as_deref(), Some("p1"));
        assert_eq!(v.clinical_date.as_deref(), Some("2021-02-03"));
    }

    #[test]
    fn decimals_keep_their_precision() {
        let obs: Value = serde_json::from_str(
            r#"{"resourceType": "Observation", "valueQuantity": {"value": 5.10, "unit": "mmol/L"}}"#,
        )
        .unwrap_or_default();
        let v = stamped(obs, "Observation", "o1", 1);
        assert!(v.content.contains(r#""value":5.10"#), "{}", v.content);
    }

    #[test]
    fn only_the_stamp_is_ignored_when_comparing() {
        let mut patient = json!({"resourceType": "Patient", "gender": "female"});
        label(&mut patient);
        let v = stamped(patient.clone(), "Patient", "p", 1);
        let stored = StoredRow {
            resource_type: v.resource_type,
            id: v.id,
            version_id: 1,
            last_updated: v.last_updated,
            content: v.content,
        };
        assert!(is_unchanged(&stored, &comparable(patient, "p")));
        let changed = json!({"resourceType": "Patient", "gender": "male"});
        assert!(!is_unchanged(&stored, &comparable(changed, "p")));
    }
}
