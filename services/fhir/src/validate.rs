//! Structural validation against the FHIR R4 specification: datatypes,
//! required elements, cardinality, choice types, id and date formats, unknown
//! elements. Delegated to `fhirkit`, whose models are generated from the
//! official R4 package; coded values are not checked against value sets.

use fhirkit::Severity;
use fhirkit::r4::{RESOURCE_TYPES, Resource};
use serde_json::Value;

use crate::FhirError;

mod strict {
    //! What the specification requires beyond the shape `fhirkit` checks:
    //! resource ids of the `id` datatype (`[A-Za-z0-9\-.]{1,64}`), and dates
    //! that exist on the calendar (`1980-02-30` has the shape of a date but
    //! is none, and independent validators refuse it).

    use chrono::{DateTime, NaiveDate};
    use serde_json::Value;

    /// Add a message per problem, with the element's path, to `errors`.
    pub fn check(value: &Value, errors: &mut Vec<String>) {
        crate::path::walk(value, &mut |path, _, value| {
            match value {
                Value::Object(map) => {
                    if map.contains_key("resourceType")
                        && let Some(id) = map.get("id").and_then(Value::as_str)
                        && !super::is_id(id)
                    {
                        errors.push(format!(
                            "{path}.id: `{id}` is not a valid id ([A-Za-z0-9-.], 1-64)"
                        ));
                    }
                }
                Value::String(text) if looks_like_a_day(text) && !is_real_day(text) => {
                    errors.push(format!("{path}: `{text}` is not a date on the calendar"));
                }
                _ => {}
            }
            true
        });
    }

    /// `YYYY-MM-DD`, alone or starting a date-time.
    fn looks_like_a_day(text: &str) -> bool {
        let bytes = text.as_bytes();
        bytes.len() >= 10
            && (bytes.len() == 10 || bytes[10] == b'T')
            && bytes[..10].iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
    }

    fn is_real_day(text: &str) -> bool {
        if text.len() == 10 {
            return NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok();
        }
        NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").is_ok()
            && (DateTime::parse_from_rfc3339(text).is_ok() || !text.contains(':'))
    }
}

/// At most this many problems are reported for one document; past that the
/// sender has a systematic problem and more lines do not help.
const MAX_REPORTED_ISSUES: usize = 20;

/// Whether `id` is a FHIR `id` (`[A-Za-z0-9\-\.]{1,64}`).
pub fn is_id(id: &str) -> bool {
    fhirkit::primitive::is_id(id)
}

/// Whether `name` is one of the 146 resource types of FHIR R4.
pub fn is_resource_type(name: &str) -> bool {
    RESOURCE_TYPES.binary_search(&name).is_ok()
}

/// Check that `text` is one valid FHIR R4 resource (a Bundle is checked with
/// every resource inside it), and return it parsed.
pub fn validate_text(text: &str) -> Result<Value, FhirError> {
    let value = parse_json(text)?;
    validate_parsed(text, &value)?;
    Ok(value)
}

/// [`validate_text`] for a caller that has parsed `text` into `value` already.
pub fn validate_parsed(text: &str, value: &Value) -> Result<(), FhirError> {
    let (_, issues) =
        fhirkit::from_json::<Resource>(text).map_err(|e| FhirError::Json(e.to_string()))?;
    let mut errors: Vec<String> = issues
        .iter()
        .filter(|issue| issue.severity == Severity::Error)
        .take(MAX_REPORTED_ISSUES)
        .map(|issue| format!("{}: {}", issue.path, issue.message))
        .collect();
    if errors.is_empty() {
        strict::check(value, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FhirError::Invalid(errors))
    }
}

/// Parse and validate one resource, returning its JSON and its type.
pub fn parse_resource(text: &str) -> Result<(Value, String), FhirError> {
    let value = parse_json(text)?;
    let resource_type = resource_type_of(&value)?.to_owned();
    validate_parsed(text, &value)?;
    Ok((value, resource_type))
}

/// JSON text as a value, or why it is not JSON.
pub fn parse_json(text: &str) -> Result<Value, FhirError> {
    serde_json::from_str(text).map_err(|e| FhirError::Json(e.to_string()))
}

/// The `resourceType` of a JSON value, if it names an R4 resource type.
pub fn resource_type_of(value: &Value) -> Result<&str, FhirError> {
    let name = value
        .get("resourceType")
        .and_then(Value::as_str)
        .ok_or(FhirError::NotAResource)?;
    if is_resource_type(name) {
        Ok(name)
    } else {
        Err(FhirError::UnknownResourceType(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_valid_patient_parses() {
        let (value, ty) = parse_resource(
            r#"{"resourceType":"Patient","name":[{"family":"Nguyễn","given":["Thị"]}],"birthDate":"1970-02-01"}"#,
        )
        .unwrap();
        assert_eq!(ty, "Patient");
        assert_eq!(value["birthDate"], "1970-02-01");
    }

    #[test]
    fn malformed_json_is_refused() {
        assert!(matches!(
            parse_resource("{\"resourceType\":"),
            Err(FhirError::Json(_))
        ));
    }

    #[test]
    fn unknown_resource_type_is_named() {
        let err = parse_resource(r#"{"resourceType":"Pateint"}"#).unwrap_err();
        assert_eq!(err, FhirError::UnknownResourceType("Pateint".into()));
    }

    #[test]
    fn missing_resource_type_is_refused() {
        assert_eq!(
            parse_resource(r#"{"id":"x"}"#).unwrap_err(),
            FhirError::NotAResource
        );
    }

    #[test]
    fn invalid_date_names_the_element() {
        let err = parse_resource(r#"{"resourceType":"Patient","birthDate":"1970-13-45"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Patient.birthDate"), "{err}");
    }

    #[test]
    fn unknown_element_names_the_element() {
        let err = parse_resource(r#"{"resourceType":"Patient","favouriteColour":"blue"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Patient.favouriteColour"), "{err}");
    }

    #[test]
    fn missing_required_element_names_the_element() {
        let err = parse_resource(r#"{"resourceType":"Observation","code":{"text":"x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Observation.status"), "{err}");
    }

    #[test]
    fn wrong_cardinality_is_refused() {
        let err = parse_resource(r#"{"resourceType":"Patient","gender":["male"]}"#).unwrap_err();
        assert!(matches!(err, FhirError::Invalid(_)), "{err}");
    }

    #[test]
    fn a_date_that_is_not_on_the_calendar_is_refused() {
        let err = parse_resource(r#"{"resourceType":"Patient","birthDate":"1980-02-30"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Patient.birthDate: `1980-02-30` is not a date"),
            "{err}"
        );
        let err = parse_resource(
            r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2021-04-31T10:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("effectiveDateTime"), "{err}");
        assert!(parse_resource(r#"{"resourceType":"Patient","birthDate":"1980-02-29"}"#).is_ok());
    }

    #[test]
    fn bad_id_is_refused() {
        let err = parse_resource(r#"{"resourceType":"Patient","id":"has spaces!"}"#).unwrap_err();
        assert!(err.to_string().contains("Patient.id"), "{err}");
    }

    #[test]
    fn resources_inside_a_bundle_are_checked_with_their_path() {
        let err = validate_text(
            r#"{"resourceType":"Bundle","type":"transaction","entry":[
                {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
                {"resource":{"resourceType":"Observation","status":"final"},"request":{"method":"POST","url":"Observation"}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("entry[1]"), "{err}");
    }
}
