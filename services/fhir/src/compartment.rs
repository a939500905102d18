//! Which patient a resource belongs to, and the clinical date it is filed
//! under: what a patient's record listing and export are built on.

use serde_json::Value;

use crate::references::Target;

/// Elements that name the patient a resource is about, in the order they are
/// consulted (FHIR's Patient compartment, for the resource types a chart holds).
const PATIENT_ELEMENTS: &[&str] = &["subject", "patient", "beneficiary", "individual"];

/// Elements that carry a resource's clinical date, in order of preference.
const DATE_ELEMENTS: &[&[&str]] = &[
    &["effectiveDateTime"],
    &["effectivePeriod", "start"],
    &["effectiveInstant"],
    &["onsetDateTime"],
    &["onsetPeriod", "start"],
    &["performedDateTime"],
    &["performedPeriod", "start"],
    &["occurrenceDateTime"],
    &["period", "start"],
    &["authoredOn"],
    &["started"],
    &["recordedDate"],
    &["issued"],
    &["date"],
    &["created"],
];

/// The id of the patient whose compartment holds `resource`: its own id for a
/// Patient, else the local `Patient/<id>` it refers to as its subject.
pub fn patient_id(resource: &Value) -> Option<&str> {
    if resource.get("resourceType").and_then(Value::as_str) == Some("Patient") {
        return resource.get("id").and_then(Value::as_str);
    }
    PATIENT_ELEMENTS.iter().find_map(|element| {
        let reference = resource.get(*element)?.get("reference")?.as_str()?;
        match Target::parse(reference) {
            Target::Local {
                resource_type: "Patient",
                id,
            } => Some(id),
            _ => None,
        }
    })
}

/// The date (YYYY-MM-DD, or a shorter partial date) a resource is filed under.
pub fn clinical_date(resource: &Value) -> Option<&str> {
    DATE_ELEMENTS.iter().find_map(|path| {
        let value = path
            .iter()
            .try_fold(resource, |v, key| v.get(*key))?
            .as_str()?;
        Some(value.get(..10).unwrap_or(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patient_is_its_own_compartment() {
        assert_eq!(
            patient_id(&json!({"resourceType": "Patient", "id": "p1"})),
            Some("p1")
        );
    }

    #[test]
    fn subject_or_patient_names_the_compartment() {
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}});
        let allergy =
            json!({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p2"}});
        let group = json!({"resourceType": "Observation", "subject": {"reference": "Group/g"}});
        assert_eq!(patient_id(&obs), Some("p1"));
        assert_eq!(patient_id(&allergy), Some("p2"));
        assert_eq!(patient_id(&group), None);
    }

    #[test]
    fn clinical_date_prefers_the_effective_date() {
        let obs =
            json!({"effectiveDateTime": "2020-05-06T10:00:00Z", "issued": "2020-05-07T00:00:00Z"});
        let enc = json!({"period": {"start": "2019-01-02T08:00:00-05:00"}});
        let partial = json!({"onsetDateTime": "2011"});
        assert_eq!(clinical_date(&obs), Some("2020-05-06"));
        assert_eq!(clinical_date(&enc), Some("2019-01-02"));
        assert_eq!(clinical_date(&partial), Some("2011"));
        assert_eq!(clinical_date(&json!({})), None);
    }
}
