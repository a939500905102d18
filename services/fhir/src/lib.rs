//! Clinical data of Continuum: FHIR R4 resources as JSON, their validation,
//! their references, the patient compartment, search values and security labels.
//!
//! This crate knows FHIR and nothing else: it does no I/O, keeps no state and
//! never logs (resources are PHI). Structural validation is delegated to the
//! `fhirkit` model crate, generated from the official R4 specification, so
//! that the rules are the specification's, not ours; everything else works on
//! `serde_json::Value` (with arbitrary-precision numbers), so a resource is
//! stored with its values as sent — decimals keep their precision — and only
//! the order of object keys may change.

#![forbid(unsafe_code)]

pub mod compartment;
mod error;
pub mod labels;
pub mod path;
pub mod references;
pub mod search;
mod validate;

pub use error::FhirError;
pub use labels::{Sensitivity, apply_labels, sensitivity_of};
pub use validate::{
    is_id, is_resource_type, parse_json, parse_resource, resource_type_of, validate_parsed,
    validate_text,
};
