//! FHIR JSON for the care resources of an encounter: the Encounter itself,
//! Condition, MedicationRequest, AllergyIntolerance, Immunization,
//! Procedure and CarePlan. Results and notes are in `results.rs` and
//! `notes.rs`.

use crate::clinical::{AllergyDef, CarePlanDef};
use crate::codes::{ACT_CODE, Code, Diagnosis, reference, snomed};
use crate::json::object;
use crate::providers::CareTeam;
use crate::time::{Moment, REFERENCE_DATE};
use serde_json::Value;

/// Where a resource is recorded: the patient, the encounter and its team.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub patient: &'a str,
    pub encounter: &'a str,
    pub team: &'a CareTeam,
    pub start: Moment,
    pub end: Moment,
}

/// The HL7 v3 ActCode class of an encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncounterClass {
    Ambulatory,
    Emergency,
    Inpatient,
}

impl EncounterClass {
    fn coding(self) -> Value {
        let (code, display) = match self {
            EncounterClass::Ambulatory => ("AMB", "ambulatory"),
            EncounterClass::Emergency => ("EMER", "emergency"),
            EncounterClass::Inpatient => ("IMP", "inpatient encounter"),
        };
        object! {"system" => ACT_CODE, "code" => code, "display" => display}
    }
}

/// A coding of a terminology.hl7.org code system, by its name there.
fn hl7_coding(code_system: &str, code: &str, display: &str) -> Value {
    object! {
        "system" => format!("http://terminology.hl7.org/CodeSystem/{code_system}"),
        "code" => code,
        "display" => display,
    }
}

/// A `CodeableConcept` of one terminology.hl7.org coding.
fn hl7_concept(code_system: &str, code: &str, display: &str) -> Value {
    object! {"coding" => vec![hl7_coding(code_system, code, display)]}
}

fn period(start: Moment, end: Moment) -> Value {
    object! {"start" => start.text(), "end" => end.text()}
}

/// A finished encounter with the patient's care team.
pub(crate) fn encounter(
    patient: &str,
    team: &CareTeam,
    class: EncounterClass,
    kind: &Code,
    reason: Option<&Code>,
    start: Moment,
    end: Moment,
) -> Value {
    let performer = object! {
        "coding" => vec![hl7_coding("v3-ParticipationType", "PPRF", "primary performer")],
        "text" => "primary performer",
    };
    let mut encounter = object! {
        "resourceType" => "Encounter",
        "status" => "finished",
        "class" => class.coding(),
        "type" => vec![kind.concept()],
        "subject" => reference(patient),
        "participant" => vec![object! {
            "type" => vec![performer],
            "period" => period(start, end),
            "individual" => team.practitioner.reference(),
        }],
        "period" => period(start, end),
        "serviceProvider" => team.organization.reference(),
    };
    if let Some(reason) = reason {
        encounter["reasonCode"] = Value::from(vec![reason.concept()]);
    }
    encounter
}

/// A diagnosis. Long-term ones go on the problem list and stay active;
/// acute ones are encounter diagnoses, resolved once `abated` has passed.
pub(crate) fn condition(
    cx: &Context<'_>,
    diagnosis: &Diagnosis,
    long_term: bool,
    onset: Moment,
    abated: Option<Moment>,
) -> Value {
    let abated = abated.filter(|at| at.date() < REFERENCE_DATE);
    let (status, status_display) = if abated.is_some() {
        ("resolved", "Resolved")
    } else {
        ("active", "Active")
    };
    let (category, category_display) = if long_term {
        ("problem-list-item", "Problem List Item")
    } else {
        ("encounter-diagnosis", "Encounter Diagnosis")
    };
    let mut condition = object! {
        "resourceType" => "Condition",
        "clinicalStatus" => hl7_concept("condition-clinical", status, status_display),
        "verificationStatus" => hl7_concept("condition-ver-status", "confirmed", "Confirmed"),
        "category" => vec![hl7_concept("condition-category", category, category_display)],
        "code" => diagnosis.concept(),
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "onsetDateTime" => onset.text(),
        "recordedDate" => cx.start.text(),
    };
    if let Some(at) = abated {
        condition["abatementDateTime"] = Value::from(at.text());
    }
    condition
}

/// A prescription. It is `active` while recent (a long-term one for a
/// year, an acute one for a month) and `completed` after that.
pub(crate) fn medication_request(
    cx: &Context<'_>,
    medication: &Code,
    reason: Option<&str>,
    long_term: bool,
) -> Value {
    let current_days = if long_term { 365 } else { 30 };
    let age_days = (REFERENCE_DATE - cx.start.date()).num_days();
    let status = if age_days <= current_days {
        "active"
    } else {
        "completed"
    };
    let mut request = object! {
        "resourceType" => "MedicationRequest",
        "status" => status,
        "intent" => "order",
        "medicationCodeableConcept" => medication.concept(),
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "authoredOn" => cx.start.text(),
        "requester" => cx.team.practitioner.reference(),
        "dosageInstruction" => vec![dosage(medication, long_term)],
    };
    if let Some(reason) = reason {
        request["reasonReference"] = Value::from(vec![reference(reason)]);
    }
    request
}

/// How a medication is taken, from its dose form.
fn dosage(medication: &Code, long_term: bool) -> Value {
    let form = medication.display;
    let (text, per_day, as_needed) = if form.contains("Inhaler") {
        ("Inhale 2 puffs every 4 hours as needed", 6, true)
    } else if form.contains("Sublingual") {
        ("Dissolve 1 film under the tongue once daily", 1, false)
    } else if form.contains("Capsule") {
        ("Take 1 capsule by mouth three times daily", 3, false)
    } else if long_term {
        ("Take 1 tablet by mouth once daily", 1, false)
    } else {
        ("Take 1 tablet by mouth every 6 hours as needed", 4, true)
    };
    object! {
        "sequence" => 1,
        "text" => text,
        "timing" => object! {
            "repeat" => object! {"frequency" => per_day, "period" => 1, "periodUnit" => "d"},
        },
        "asNeededBoolean" => as_needed,
        "doseAndRate" => vec![object! {
            "type" => hl7_concept("dose-rate-type", "ordered", "Ordered"),
            "doseQuantity" => object! {"value" => 1},
        }],
    }
}

/// An allergy, as recorded at the visit where it first came up.
pub(crate) fn allergy(cx: &Context<'_>, def: &AllergyDef, onset: Moment) -> Value {
    // Anaphylaxis makes an allergy critical; the other reactions do not.
    let (criticality, severity) = if def.reaction.code == "39579001" {
        ("high", "severe")
    } else {
        ("low", "mild")
    };
    object! {
        "resourceType" => "AllergyIntolerance",
        "clinicalStatus" => hl7_concept("allergyintolerance-clinical", "active", "Active"),
        "verificationStatus" => hl7_concept("allergyintolerance-verification", "confirmed", "Confirmed"),
        "type" => "allergy",
        "category" => vec![def.category],
        "criticality" => criticality,
        "code" => def.code.concept(),
        "patient" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "onsetDateTime" => onset.text(),
        "recordedDate" => cx.start.text(),
        "reaction" => vec![object! {
            "manifestation" => vec![def.reaction.concept()],
            "severity" => severity,
        }],
    }
}

/// A vaccine given at the visit.
pub(crate) fn immunization(cx: &Context<'_>, vaccine: &Code) -> Value {
    object! {
        "resourceType" => "Immunization",
        "status" => "completed",
        "vaccineCode" => vaccine.concept(),
        "patient" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "occurrenceDateTime" => cx.start.text(),
        "primarySource" => true,
    }
}

/// A procedure done during the visit, taking `minutes`.
pub(crate) fn procedure(
    cx: &Context<'_>,
    code: &Code,
    reason: Option<&str>,
    start: Moment,
    minutes: i64,
) -> Value {
    let mut procedure = object! {
        "resourceType" => "Procedure",
        "status" => "completed",
        "code" => code.concept(),
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "performedPeriod" => period(start, start.plus_minutes(minutes)),
    };
    if let Some(reason) = reason {
        procedure["reasonReference"] = Value::from(vec![reference(reason)]);
    }
    procedure
}

/// A care plan for `condition`, active until `until` (open-ended when
/// `None` or still in the future at the reference date).
pub(crate) fn care_plan(
    cx: &Context<'_>,
    def: &CarePlanDef,
    condition: &str,
    until: Option<Moment>,
) -> Value {
    let ended = until.filter(|at| at.date() < REFERENCE_DATE);
    let (status, activity_status, period) = match ended {
        Some(end) => ("completed", "completed", period(cx.start, end)),
        None => (
            "active",
            "in-progress",
            object! {"start" => cx.start.text()},
        ),
    };
    let activities: Vec<Value> = def
        .activities
        .iter()
        .map(|activity| {
            object! {"detail" => object! {
                "code" => activity.concept(),
                "status" => activity_status,
                "location" => object! {"display" => cx.team.organization.name},
            }}
        })
        .collect();
    object! {
        "resourceType" => "CarePlan",
        "status" => status,
        "intent" => "plan",
        "category" => vec![snomed("734163000", "Care plan").concept(), def.category.concept()],
        "subject" => reference(cx.patient),
        "encounter" => reference(cx.encounter),
        "period" => period,
        "addresses" => vec![reference(condition)],
        "activity" => activities,
    }
}
