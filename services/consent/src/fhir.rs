//! Reading a FHIR R4 Consent (scope patient-privacy) into a [`Directive`].
//!
//! The reading is strict on purpose: a consent read wider than it was
//! written releases records the patient withheld, so every element that
//! would narrow what a provision covers and that the decision cannot
//! evaluate (`code`, `data`, `dataPeriod`, actions other than access and
//! disclosure, labels of other code systems, modifier extensions) is
//! refused with the element's path, never ignored.
//!
//! How a Consent becomes provisions:
//! * `provision` and each nested `provision[]`, at any depth, become one
//!   [`Provision`] each, parents before their children, with `path`
//!   `provision`, `provision.provision[0]`, `provision.provision[0].provision[1]`, ….
//!   Every provision names its own `type` (`permit` or `deny`).
//! * A nested provision inherits each constraint from its parent when it
//!   states none of its own: the period, the recipients (`actor` role
//!   IRCP), the custodians (`actor` role CST), the purposes, the resource
//!   types (`class`) and the labels (`securityLabel`), each separately;
//!   where it states one, its own replaces the parent's.
//! * `period.start` is inclusive and `period.end` exclusive. A date without
//!   a time (`2025`, `2025-03`, `2025-03-14`) means the first instant of that
//!   year, month or day in UTC; as an end it means the first instant of the
//!   *next* one, so the whole last day is included.
//! * A revoked Consent (`inactive`, `rejected`, `entered-in-error`) is read
//!   with `active = false` so that it replaces the version in force; its
//!   provisions never count, so one that cannot be read is dropped rather
//!   than refusing the revocation.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use continuum_fhir::{is_id, is_resource_type};
use serde_json::{Map, Value};

use crate::{ConsentError, Directive, Effect, LabelSet, Period, Provision, Purpose};

/// `Consent.scope` of a privacy consent.
pub const SCOPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
pub const SCOPE_PATIENT_PRIVACY: &str = "patient-privacy";
/// `provision.actor.role`: IRCP (information recipient), CST (custodian).
pub const PARTICIPATION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// `provision.action`: only `access` and `disclose` are about release.
pub const ACTION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
/// `provision.class`: FHIR resource type names.
pub const RESOURCE_TYPE_SYSTEM: &str = "http://hl7.org/fhir/resource-types";

/// A Consent as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadConsent {
    /// The Consent's logical id (at the tenant that holds it).
    pub consent_id: String,
    /// The patient's id at that tenant, from `patient.reference` = `Patient/<id>`.
    pub patient_local_id: String,
    /// `status` is `active`; false for a revoked Consent.
    pub active: bool,
    /// The directive, with the version given and `id` set to the bare
    /// Consent id: the reader does not know the tenant, so name it with
    /// [`ReadConsent::directive_for`].
    pub directive: Directive,
}

impl ReadConsent {
    /// The directive, named network-wide as `<tenant>/<Consent id>`.
    pub fn directive_for(self, tenant: &str) -> Directive {
        Directive {
            id: format!("{tenant}/{}", self.consent_id),
            ..self.directive
        }
    }
}

/// Read one version of a patient-privacy Consent (FHIR R4 JSON).
pub fn read_consent(consent: &Value, version: u64) -> Result<ReadConsent, ConsentError> {
    let Some(object) = consent.as_object() else {
        return Err(invalid("Consent", "expected a JSON object"));
    };
    if consent["resourceType"] != "Consent" {
        return Err(invalid("resourceType", "expected Consent"));
    }
    let consent_id = match consent["id"].as_str() {
        Some(id) if is_id(id) => id.to_owned(),
        Some(id) => return Err(invalid("id", format!("`{id}` is not a valid FHIR id"))),
        None => return Err(invalid("id", "required")),
    };
    if object.contains_key("modifierExtension") {
        return Err(unsupported("modifierExtension"));
    }
    let active = match consent["status"].as_str() {
        Some("active") => true,
        Some("inactive" | "rejected" | "entered-in-error") => false,
        Some(status @ ("draft" | "proposed")) => {
            return Err(invalid(
                "status",
                format!("`{status}`: the consent is not in force yet"),
            ));
        }
        Some(other) => {
            return Err(invalid(
                "status",
                format!(
                    "unknown status `{other}`; expected active, inactive, rejected or entered-in-error"
                ),
            ));
        }
        None => return Err(invalid("status", "required")),
    };
    let scope = codings(&consent["scope"], "scope")?;
    if !scope
        .iter()
        .any(|(system, code)| *system == SCOPE_SYSTEM && *code == SCOPE_PATIENT_PRIVACY)
    {
        return Err(invalid(
            "scope",
            format!("expected {SCOPE_PATIENT_PRIVACY} from {SCOPE_SYSTEM}"),
        ));
    }
    if non_empty_array(consent, "category", "category")?.is_none() {
        return Err(invalid("category", "required (at least one)"));
    }
    let has_policy = non_empty_array(consent, "policy", "policy")?.is_some();
    if !has_policy && !consent["policyRule"].is_object() {
        return Err(invalid(
            "policyRule",
            "a policyRule or a policy is required (ppc-1)",
        ));
    }
    let patient_local_id = local_reference(&consent["patient"], "patient", "Patient")?;

    let mut provisions = Vec::new();
    let read = match consent.get("provision") {
        Some(root) => read_provision(root, "provision".to_owned(), None, &mut provisions),
        None => Err(invalid("provision", "required")),
    };
    match read {
        Ok(()) => {}
        // A revoked Consent's provisions never count: dropping them cannot
        // widen anything, and refusing would keep the old version in force.
        Err(_) if !active => provisions.clear(),
        Err(error) => return Err(error),
    }
    Ok(ReadConsent {
        directive: Directive {
            id: consent_id.clone(),
            version,
            active,
            provisions,
        },
        consent_id,
        patient_local_id,
        active,
    })
}

/// Read `value` (at `path`) and its nested provisions into `out`.
fn read_provision(
    value: &Value,
    path: String,
    parent: Option<&Provision>,
    out: &mut Vec<Provision>,
) -> Result<(), ConsentError> {
    let Some(object) = value.as_object() else {
        return Err(invalid(&path, "expected an object"));
    };
    check_elements(object, &path)?;
    let effect = match value["type"].as_str() {
        Some("permit") => Effect::Permit,
        Some("deny") => Effect::Deny,
        Some(other) => {
            return Err(invalid(
                &format!("{path}.type"),
                format!("`{other}`: expected permit or deny"),
            ));
        }
        None => {
            return Err(invalid(
                &format!("{path}.type"),
                "required on every provision (permit or deny)",
            ));
        }
    };
    let period = match value.get("period") {
        Some(period) => Some(read_period(period, &format!("{path}.period"))?),
        None => None,
    };
    let (recipients, custodians) = read_actors(value, &path)?;
    check_actions(value, &path)?;
    let purposes = read_purposes(value, &path)?;
    let labels = read_labels(value, &path)?;
    let resource_types = read_classes(value, &path)?;

    let inherit = |own: Vec<String>, theirs: fn(&Provision) -> &Vec<String>| match parent {
        Some(parent) if own.is_empty() => theirs(parent).clone(),
        _ => own,
    };
    let provision = Provision {
        effect,
        period: period.or(parent.map(|p| p.period)).unwrap_or_default(),
        recipients: inherit(recipients, |p| &p.recipients),
        custodians: inherit(custodians, |p| &p.custodians),
        purposes: match parent {
            Some(parent) if purposes.is_empty() => parent.purposes.clone(),
            _ => purposes,
        },
        resource_types: inherit(resource_types, |p| &p.resource_types),
        labels: match parent {
            Some(parent) if labels.is_empty() => parent.labels,
            _ => labels,
        },
        path,
    };
    let children = non_empty_array(value, "provision", &format!("{}.provision", provision.path))?;
    let Some(children) = children else {
        out.push(provision);
        return Ok(());
    };
    out.push(provision.clone());
    for (i, child) in children.iter().enumerate() {
        let child_path = format!("{}.provision[{i}]", provision.path);
        read_provision(child, child_path, Some(&provision), out)?;
    }
    Ok(())
}

/// Refuse provision elements the decision cannot honour.
fn check_elements(object: &Map<String, Value>, path: &str) -> Result<(), ConsentError> {
    for key in object.keys() {
        match key.as_str() {
            "id" | "extension" | "type" | "period" | "actor" | "action" | "securityLabel"
            | "purpose" | "class" | "provision" => {}
            // Extensions of primitive values (`_type`) carry no meaning here.
            key if key.starts_with('_') => {}
            "code" | "data" | "dataPeriod" | "modifierExtension" => {
                return Err(unsupported(&format!("{path}.{key}")));
            }
            other => {
                return Err(invalid(
                    &format!("{path}.{other}"),
                    "not an element of Consent.provision",
                ));
            }
        }
    }
    Ok(())
}

fn read_period(value: &Value, path: &str) -> Result<Period, ConsentError> {
    let Some(object) = value.as_object() else {
        return Err(invalid(path, "expected a Period"));
    };
    if object.contains_key("modifierExtension") {
        return Err(unsupported(&format!("{path}.modifierExtension")));
    }
    let bound = |name: &str, end: bool| -> Result<Option<DateTime<Utc>>, ConsentError> {
        let Some(text) = value.get(name) else {
            return Ok(None);
        };
        text.as_str()
            .and_then(|text| instant(text, end))
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    &format!("{path}.{name}"),
                    format!("{text} is not a FHIR dateTime with a time zone, or a date"),
                )
            })
    };
    let period = Period {
        start: bound("start", false)?,
        end: bound("end", true)?,
    };
    if let (Some(start), Some(end)) = (period.start, period.end)
        && end <= start
    {
        return Err(invalid(path, "end is not after start: the period is empty"));
    }
    Ok(period)
}

/// A FHIR `dateTime` as an instant. Dates (`YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`) are the start of that period in UTC, or as an `end` the
/// start of the next one; a time needs its zone.
fn instant(text: &str, end: bool) -> Option<DateTime<Utc>> {
    if text.contains('T') {
        let (date, _) = text.split_once('T')?;
        return (date.len() == 10)
            .then(|| DateTime::parse_from_rfc3339(text).ok())
            .flatten()
            .map(|t| t.with_timezone(&Utc));
    }
    let shape_ok = text.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    if !shape_ok {
        return None;
    }
    let year: i32 = text.get(..4)?.parse().ok()?;
    let (first, next) = match text.len() {
        4 => (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        ),
        7 => {
            let month: u32 = text[5..7].parse().ok()?;
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            (first, first.checked_add_months(chrono::Months::new(1))?)
        }
        10 => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            (day, day.succ_opt()?)
        }
        _ => return None,
    };
    let day = if end { next } else { first };
    Some(day.and_time(NaiveTime::MIN).and_utc())
}

/// `actor[]`: (recipients, custodians), as tenant ids.
fn read_actors(value: &Value, path: &str) -> Result<(Vec<String>, Vec<String>), ConsentError> {
    let mut recipients = Vec::new();
    let mut custodians = Vec::new();
    let actors = non_empty_array(value, "actor", &format!("{path}.actor"))?;
    for (i, actor) in actors.into_iter().flatten().enumerate() {
        let at = format!("{path}.actor[{i}]");
        if !actor.is_object() {
            return Err(invalid(&at, "expected an object"));
        }
        let role_path = format!("{at}.role");
        let roles: Vec<&str> = codings(&actor["role"], &role_path)?
            .into_iter()
            .filter(|(system, _)| *system == PARTICIPATION_SYSTEM)
            .map(|(_, code)| code)
            .collect();
        let expected = format!("expected IRCP or CST from {PARTICIPATION_SYSTEM}");
        let into = match roles.as_slice() {
            ["IRCP"] => &mut recipients,
            ["CST"] => &mut custodians,
            [] => return Err(invalid(&role_path, expected)),
            [other] => return Err(invalid(&role_path, format!("`{other}`: {expected}"))),
            _ => return Err(invalid(&role_path, format!("several roles: {expected}"))),
        };
        let reference = &actor["reference"];
        if !reference.is_object() {
            return Err(invalid(&format!("{at}.reference"), "required"));
        }
        into.push(local_reference(
            reference,
            &format!("{at}.reference"),
            "Organization",
        )?);
    }
    Ok((recipients, custodians))
}

/// `action[]`: absent, or only access and disclose.
fn check_actions(value: &Value, path: &str) -> Result<(), ConsentError> {
    let actions = non_empty_array(value, "action", &format!("{path}.action"))?;
    for (i, action) in actions.into_iter().flatten().enumerate() {
        let at = format!("{path}.action[{i}]");
        for (system, code) in codings(action, &at)? {
            if system != ACTION_SYSTEM || !matches!(code, "access" | "disclose") {
                return Err(invalid(
                    &at,
                    format!(
                        "`{code}` from {system} is not supported; only access and disclose \
                         from {ACTION_SYSTEM} are about releasing records"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn read_purposes(value: &Value, path: &str) -> Result<Vec<Purpose>, ConsentError> {
    let mut purposes = Vec::new();
    let list = non_empty_array(value, "purpose", &format!("{path}.purpose"))?;
    for (i, coding) in list.into_iter().flatten().enumerate() {
        let at = format!("{path}.purpose[{i}]");
        let (system, code) = coding_of(coding, &at)?;
        if system != Purpose::SYSTEM {
            return Err(invalid(
                &at,
                format!("expected a code from {}", Purpose::SYSTEM),
            ));
        }
        let purpose: Purpose = code.parse()?;
        if !purposes.contains(&purpose) {
            purposes.push(purpose);
        }
    }
    Ok(purposes)
}

fn read_labels(value: &Value, path: &str) -> Result<LabelSet, ConsentError> {
    let mut labels = LabelSet::EMPTY;
    let list = non_empty_array(value, "securityLabel", &format!("{path}.securityLabel"))?;
    for (i, coding) in list.into_iter().flatten().enumerate() {
        let at = format!("{path}.securityLabel[{i}]");
        let (system, code) = coding_of(coding, &at)?;
        if system != continuum_fhir::Sensitivity::SYSTEM {
            return Err(invalid(
                &at,
                format!(
                    "labels from {system} are not supported; expected a sensitivity category from {}",
                    continuum_fhir::Sensitivity::SYSTEM
                ),
            ));
        }
        labels = labels.union(LabelSet::parse([code])?);
    }
    Ok(labels)
}

fn read_classes(value: &Value, path: &str) -> Result<Vec<String>, ConsentError> {
    let mut types: Vec<String> = Vec::new();
    let list = non_empty_array(value, "class", &format!("{path}.class"))?;
    for (i, coding) in list.into_iter().flatten().enumerate() {
        let at = format!("{path}.class[{i}]");
        let (system, code) = coding_of(coding, &at)?;
        if system != RESOURCE_TYPE_SYSTEM {
            return Err(invalid(
                &at,
                format!("classes from {system} are not supported; expected {RESOURCE_TYPE_SYSTEM}"),
            ));
        }
        if !is_resource_type(code) {
            return Err(invalid(
                &at,
                format!("`{code}` is not a FHIR R4 resource type"),
            ));
        }
        if !types.iter().any(|t| t == code) {
            types.push(code.to_owned());
        }
    }
    Ok(types)
}

/// `value[name]`: absent, or a non-empty array (FHIR JSON has no empty arrays).
fn non_empty_array<'v>(
    value: &'v Value,
    name: &str,
    path: &str,
) -> Result<Option<&'v Vec<Value>>, ConsentError> {
    match value.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => Ok(Some(items)),
        Some(_) => Err(invalid(path, "expected a non-empty array")),
    }
}

/// The (system, code) of a Coding.
fn coding_of<'v>(coding: &'v Value, path: &str) -> Result<(&'v str, &'v str), ConsentError> {
    match (coding["system"].as_str(), coding["code"].as_str()) {
        (Some(system), Some(code)) => Ok((system, code)),
        _ => Err(invalid(path, "expected a Coding with a system and a code")),
    }
}

/// The (system, code) of each Coding of a CodeableConcept (at least one).
fn codings<'v>(concept: &'v Value, path: &str) -> Result<Vec<(&'v str, &'v str)>, ConsentError> {
    match &concept["coding"] {
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, coding)| coding_of(coding, &format!("{path}.coding[{i}]")))
            .collect(),
        _ => Err(invalid(path, "expected a CodeableConcept with a coding")),
    }
}

/// The id of a local reference `<kind>/<id>` (`value` is a Reference).
fn local_reference(value: &Value, path: &str, kind: &str) -> Result<String, ConsentError> {
    let reference = value["reference"].as_str();
    match reference.and_then(|r| r.strip_prefix(kind)?.strip_prefix('/')) {
        Some(id) if is_id(id) => Ok(id.to_owned()),
        _ => Err(invalid(
            &format!("{path}.reference"),
            format!("expected {kind}/<id>"),
        )),
    }
}

fn invalid(path: &str, message: impl std::fmt::Display) -> ConsentError {
    ConsentError::InvalidDirective(format!("{path}: {message}"))
}

fn unsupported(path: &str) -> ConsentError {
    invalid(
        path,
        "not supported: the decision cannot evaluate it, and ignoring it would read the \
         consent wider than written",
    )
}

#[cfg(test)]
mod tests;
