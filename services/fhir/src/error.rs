use thiserror::Error;

/// Why a document is not a FHIR R4 resource Continuum can store.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FhirError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("a FHIR resource must be a JSON object with a `resourceType`")]
    NotAResource,
    #[error("`{0}` is not a FHIR R4 resource type")]
    UnknownResourceType(String),
    /// Every structural problem, each naming the element's path
    /// (`Observation.valueQuantity.value: …`).
    #[error("invalid FHIR R4: {}", .0.join("; "))]
    Invalid(Vec<String>),
}
