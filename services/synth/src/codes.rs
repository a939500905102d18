//! Code systems and the value types every code table is written in, with
//! their FHIR JSON forms (Coding, CodeableConcept, Reference).

use crate::json::object;
use serde_json::Value;

pub(crate) const SNOMED: &str = "http://snomed.info/sct";
pub(crate) const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub(crate) const LOINC: &str = "http://loinc.org";
pub(crate) const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub(crate) const CVX: &str = "http://hl7.org/fhir/sid/cvx";
pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
pub(crate) const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
pub(crate) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
pub(crate) const OBSERVATION_CATEGORY: &str =
    "http://terminology.hl7.org/CodeSystem/observation-category";
pub(crate) const IETF_URI: &str = "urn:ietf:rfc:3986";

/// One code of one system, with its display. Every table is made of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code {
    pub system: &'static str,
    pub code: &'static str,
    pub display: &'static str,
}

pub(crate) const fn snomed(code: &'static str, display: &'static str) -> Code {
    Code {
        system: SNOMED,
        code,
        display,
    }
}

pub(crate) const fn loinc(code: &'static str, display: &'static str) -> Code {
    Code {
        system: LOINC,
        code,
        display,
    }
}

pub(crate) const fn rxnorm(code: &'static str, display: &'static str) -> Code {
    Code {
        system: RXNORM,
        code,
        display,
    }
}

pub(crate) const fn cvx(code: &'static str, display: &'static str) -> Code {
    Code {
        system: CVX,
        code,
        display,
    }
}

impl Code {
    /// The FHIR `Coding`.
    pub(crate) fn coding(&self) -> Value {
        object! {"system" => self.system, "code" => self.code, "display" => self.display}
    }

    /// A `CodeableConcept` of this one coding, with the display as text.
    pub(crate) fn concept(&self) -> Value {
        object! {"coding" => vec![self.coding()], "text" => self.display}
    }
}

/// A diagnosis as US EHRs code it: ICD-10-CM for billing and SNOMED CT for
/// the clinical meaning, both on the same Condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Diagnosis {
    pub icd10: &'static str,
    pub icd10_display: &'static str,
    pub snomed: &'static str,
    pub snomed_display: &'static str,
}

impl Diagnosis {
    /// The `CodeableConcept` with both codings.
    pub(crate) fn concept(&self) -> Value {
        object! {
            "coding" => vec![
                object! {"system" => ICD10_CM, "code" => self.icd10, "display" => self.icd10_display},
                object! {"system" => SNOMED, "code" => self.snomed, "display" => self.snomed_display},
            ],
            "text" => self.snomed_display,
        }
    }

    /// The SNOMED code as a plain `Code`, for reason codes and notes.
    pub(crate) fn snomed_code(&self) -> Code {
        snomed(self.snomed, self.snomed_display)
    }
}

/// A FHIR `Quantity` in UCUM, where the human unit and the code coincide
/// (as they do for every unit this crate emits).
pub(crate) fn quantity(value: f64, ucum: &str) -> Value {
    object! {"value" => value, "unit" => ucum, "system" => UCUM, "code" => ucum}
}

/// A `Reference` to a bundle entry or a conditional reference.
pub(crate) fn reference(target: &str) -> Value {
    object! {"reference" => target}
}

/// A `Reference` with a display.
pub(crate) fn reference_shown(target: &str, display: &str) -> Value {
    object! {"reference" => target, "display" => display}
}
