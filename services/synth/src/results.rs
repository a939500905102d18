//! FHIR JSON for results: Observation (vital signs and laboratory),
//! DiagnosticReport grouping a panel's observations, and ImagingStudy.

use crate::clinical::Imaging;
use crate::codes::{
    Code, DICOM, IETF_URI, OBSERVATION_CATEGORY, quantity, reference, reference_shown,
};
use crate::ids::{Dice, dicom_uid};
use crate::json::object;
use crate::resources::Context;
use crate::time::Moment;
use rand::Rng;
use serde_json::Value;

/// The observation-category of an Observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    VitalSigns,
    Laboratory,
}

impl Category {
    fn concept(self) -> Value {
        let (code, display) = match self {
            Category::VitalSigns => ("vital-signs", "Vital signs"),
            Category::Laboratory => ("laboratory", "Laboratory"),
        };
        let coding =
            object! {"system" => OBSERVATION_CATEGORY, "code" => code, "display" => display};
        Value::from(vec![object! {"coding" => vec![coding]}])
    }
}

/// What an Observation found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found<'a> {
    /// A number in a UCUM unit.
    Quantity(f64, &'a str),
    /// A coded result.
    Coded(&'a Code),
    /// Parts measured together (the two pressures of a blood pressure),
    /// each with its code, value and UCUM unit.
    Components(&'a [(Code, f64, &'a str)]),
}

/// A final Observation taken at `at`.
pub(crate) fn observation(
    cx: &Context<'_>,
    category: Category,
    code: &Code,
    found: Found<'_>,
    at: Moment,
) -> Value {
    let mut observation = object! {
        "resourceType" => "Observation",
        "status" => "final",
        "category" => category.concept(),
        "code" => code.concept(),
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "effectiveDateTime" => at.text(),
        "issued" => at.text(),
    };
    match found {
        Found::Quantity(value, unit) => observation["valueQuantity"] = quantity(value, unit),
        Found::Coded(result) => observation["valueCodeableConcept"] = result.concept(),
        Found::Components(parts) => {
            let components: Vec<Value> = parts
                .iter()
                .map(|(code, value, unit)| {
                    object! {"code" => code.concept(), "valueQuantity" => quantity(*value, unit)}
                })
                .collect();
            observation["component"] = Value::from(components);
        }
    }
    observation
}

/// A laboratory report of a panel, pointing at its observations
/// (`(fullUrl, display)` pairs).
pub(crate) fn diagnostic_report(
    cx: &Context<'_>,
    panel: &Code,
    results: &[(String, &str)],
    at: Moment,
) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|(url, display)| reference_shown(url, display))
        .collect();
    let category = object! {
        "system" => "http://terminology.hl7.org/CodeSystem/v2-0074",
        "code" => "LAB",
        "display" => "Laboratory",
    };
    object! {
        "resourceType" => "DiagnosticReport",
        "status" => "final",
        "category" => vec![object! {"coding" => vec![category]}],
        "code" => panel.concept(),
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "effectiveDateTime" => at.text(),
        "issued" => at.text(),
        "performer" => vec![cx.team.organization.reference()],
        "result" => results,
    }
}

/// A computed-radiography study of one series of one to three images.
pub(crate) fn imaging_study(
    cx: &Context<'_>,
    dice: &mut Dice,
    imaging: &Imaging,
    at: Moment,
) -> Value {
    let study = dicom_uid(dice);
    let series = format!("{study}.1");
    let count = dice.random_range(1..=3u32);
    let instances: Vec<Value> = (1..=count)
        .map(|n| {
            object! {
                "uid" => format!("{series}.{n}"),
                "sopClass" => object! {
                    "system" => IETF_URI,
                    "code" => "urn:oid:1.2.840.10008.5.1.4.1.1.1",
                    "display" => "Computed Radiography Image Storage",
                },
                "number" => n,
                "title" => format!("{} - image {n}", imaging.body_site.display),
            }
        })
        .collect();
    let modality = object! {"system" => DICOM, "code" => "CR", "display" => "Computed Radiography"};
    object! {
        "resourceType" => "ImagingStudy",
        "identifier" => vec![object! {
            "use" => "official",
            "system" => IETF_URI,
            "value" => format!("urn:oid:{study}"),
        }],
        "status" => "available",
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "started" => at.text(),
        "numberOfSeries" => 1,
        "numberOfInstances" => count,
        "procedureCode" => vec![imaging.procedure.concept()],
        "series" => vec![object! {
            "uid" => series,
            "number" => 1,
            "modality" => modality,
            "numberOfInstances" => count,
            "bodySite" => imaging.body_site.coding(),
            "started" => at.text(),
            "instance" => instances,
        }],
    }
}
