//! Ledger entries as FHIR R4 (4.0.1) `AuditEvent`s, shaped after IHE BALP
//! (Basic Audit Log Patterns), for an organization's SIEM or audit
//! repository.
//!
//! An event carries what an audit record needs and nothing more: people by
//! id (network person id, practitioner id scoped to its organization,
//! operator id), records by `Type/id` and sensitivity category. It never
//! carries a break-the-glass reason (free text, which may describe the
//! patient's condition), the consent rules that decided, or any holding
//! organization that consent denied: like the broker's answer, the audit
//! trail does not reveal where a patient has records they shielded.
//!
//! # Mapping
//!
//! | kind | `type` | `subtype` | `action` | `outcome` |
//! |---|---|---|---|---|
//! | `disclosure.permit` | DCM 110106 Export | ISO 21089 `disclose` | `R` | `0`; `4` if some permitted organization did not answer, `8` if none did |
//! | `disclosure.break-glass` | DCM 110106 Export | ISO 21089 `disclose` | `R` | as permit |
//! | `disclosure.deny` | DCM 110106 Export | ISO 21089 `disclose` | `R` | `4` (access denied) |
//! | `release` | DCM 110106 Export | ISO 21089 `disclose` | `R` | `0` |
//! | `receipt` | DCM 110107 Import | ISO 21089 `disclose` | `C` | `0` |
//! | `consent.change` | DCM 110110 Patient Record | ISO 21089 `originate` (version 1) or `amend` | `C` or `U` | `0` |
//! | `consent.policy` | DCM 110113 Security Alert | DCM 110129 Security Configuration | `U` | `0` |
//! | `directory.change` | DCM 110113 Security Alert | DCM 110129 (a certificate issued) or 110128 Network Configuration | `C` (`*.create`, `node.enroll`, `node.renew`) or `U` | `0` |
//! | `mpi.link` | DCM 110110 Patient Record | ISO 21089 `link` (registered, linked), `unlink`, `amend` (updated), `merge`, `deprecate` (deactivated); none for a rejected review | `U` | `0` |
//! | `break-glass.review` | DCM 110113 Security Alert | — | `E` | `0` |
//!
//! Every event also has the subtype `urn:continuum:ledger-kind#<kind>`.
//!
//! Disclosures (the locator's `disclosure.*`, a node's `release`) follow
//! BALP's "privacy disclosure at the source": every ledger entry is
//! recorded where the records left, so each is an Export. Agents: the
//! practitioner (`IRCP` information recipient, `requestor`, role,
//! `purposeOfUse`), the requesting organization (DCM 110152 Destination
//! Role ID), the recording system (DCM 110153 Source Role ID, the same as
//! `source.observer`) and each holding organization that consent
//! permitted (SNOMED CT 159541003, BALP's custodian). Entities: the patient
//! (`audit-entity-type` 1, `object-role` 1), the disclosure (by id; its
//! `securityLabel`s are the categories of what was released), and each
//! released resource (`what.reference` = `Type/id`, `object-role` 4). Break
//! the glass adds the purpose of use `BTG` (v3 ActReason) to the stated one
//! (`ETREAT`), on the event and on the practitioner: HL7 defines `BTG` as a
//! purpose of use, in ActReason, not a security label of ActCode.
//!
//! A node's `receipt` is the other end, BALP's "privacy disclosure at the
//! recipient": an Import recorded by the requesting tenant, with the
//! practitioner, the tenant as Destination Role ID, the recording system
//! (DCM 110150 Application), each organization the records came from as
//! DCM 110153 Source Role ID, the tenant's patient, the disclosure and
//! each received resource. Its `disclosure` identifier is the same as at
//! the locator and at every source.
//!
//! Every event carries its ledger position: `id` is `<chain>-<seq>` (or,
//! if that is not a valid FHIR id, the entry hash in hex), and an entity
//! `urn:continuum:ledger:<chain>` | `<seq>` has the details `ledger-chain`,
//! `ledger-seq`, `ledger-hash` and `ledger-prev-hash` (hex), so a SIEM can
//! check the event against the chain ([`crate::verify_stored`]).
//!
//! # Identifier systems
//!
//! | who or what | system |
//! |---|---|
//! | network person | `urn:continuum:person` |
//! | organization (tenant) | `urn:continuum:organization` |
//! | practitioner, local patient, consent of tenant `t` | `urn:continuum:organization:t:practitioner`, `…:patient`, `…:consent` |
//! | operator or other actor | `urn:continuum:actor` |
//! | node | `urn:continuum:node` |
//! | disclosure, break-the-glass access | `urn:continuum:disclosure`, `urn:continuum:break-glass-access` |
//! | certificate (hex serial) | `urn:continuum:certificate-serial` |

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::entry::Entry;
use crate::kind::EntryKind;
use crate::payload::{
    BreakGlassReview, ConsentChange, ConsentPolicyChange, Decision, DirectoryChange, Disclosure,
    MpiLinkChange, Receipt, Record, Release, Requester,
};

const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const LIFECYCLE: &str = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const SNOMED: &str = "http://snomed.info/sct";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
const RESOURCE_TYPES: &str = "http://hl7.org/fhir/resource-types";

pub const PERSON_SYSTEM: &str = "urn:continuum:person";
pub const ORGANIZATION_SYSTEM: &str = "urn:continuum:organization";
pub const ACTOR_SYSTEM: &str = "urn:continuum:actor";
pub const NODE_SYSTEM: &str = "urn:continuum:node";
pub const DISCLOSURE_SYSTEM: &str = "urn:continuum:disclosure";
pub const BREAK_GLASS_ACCESS_SYSTEM: &str = "urn:continuum:break-glass-access";
pub const CERTIFICATE_SYSTEM: &str = "urn:continuum:certificate-serial";
pub const KIND_SYSTEM: &str = "urn:continuum:ledger-kind";
pub const ROLE_SYSTEM: &str = "urn:continuum:role";

/// The system that recorded the entries: `source` of every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSource {
    /// The recording system: the locator's URL, or the node's id
    /// (`source.observer`, and the Source Role ID agent of disclosures).
    pub observer: String,
    /// The Continuum network's name (`source.site`).
    pub network: String,
}

/// An entry this version cannot turn into an `AuditEvent`. Messages name
/// the entry by position and never quote its body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditEventError {
    #[error("ledger entry {seq} is of kind {kind:?}, which this version cannot export; upgrade it")]
    UnknownKind { seq: u64, kind: String },
    #[error(
        "ledger entry {seq} ({kind}) does not hold a {kind} payload ({problem} at column {column}); \
         verify the chain"
    )]
    Body {
        seq: u64,
        kind: EntryKind,
        problem: &'static str,
        column: usize,
    },
    #[error(
        "ledger entry {seq} was recorded at {recorded_at_ms} ms since 1970, outside the years \
         1 to 9999 a FHIR instant can hold"
    )]
    Time { seq: u64, recorded_at_ms: i64 },
}

/// The `AuditEvent` of one entry of `chain` (`locator`, or the tenant id
/// of a node's release ledger: the organization whose records a `release`
/// entry disclosed).
pub fn to_audit_event(
    entry: &Entry,
    chain: &str,
    source: &AuditSource,
) -> Result<Value, AuditEventError> {
    let kind = entry.kind().map_err(|e| AuditEventError::UnknownKind {
        seq: entry.seq,
        kind: e.0,
    })?;
    let event = match kind {
        EntryKind::DisclosurePermit
        | EntryKind::DisclosureDeny
        | EntryKind::DisclosureBreakGlass => disclosure(&body(entry, kind)?, kind, source),
        EntryKind::Release => release(&body(entry, kind)?, chain, source),
        EntryKind::Receipt => receipt(&body(entry, kind)?, chain, source),
        EntryKind::ConsentChange => consent_change(&body(entry, kind)?, source),
        EntryKind::ConsentPolicy => consent_policy(&body(entry, kind)?, source),
        EntryKind::DirectoryChange => directory_change(&body(entry, kind)?, source),
        EntryKind::MpiLink => mpi_link(&body(entry, kind)?, source),
        EntryKind::BreakGlassReview => break_glass_review(&body(entry, kind)?, source),
    };
    let recorded = recorded(entry)?;
    Ok(event.finish(entry, kind, chain, recorded, source))
}

/// A `collection` Bundle of the entries' events, in the order given. One
/// entry that cannot be exported fails the whole export: an audit export
/// with a silent gap would mislead.
pub fn to_audit_bundle<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    chain: &str,
    source: &AuditSource,
) -> Result<Value, AuditEventError> {
    let entries = entries
        .into_iter()
        .map(|entry| {
            Ok(json!({
                "fullUrl": format!("urn:uuid:{}", uuid_of(entry)),
                "resource": to_audit_event(entry, chain, source)?,
            }))
        })
        .collect::<Result<Vec<_>, AuditEventError>>()?;
    Ok(prune(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    })))
}

/// The parts of an event that differ by kind.
struct Event {
    kind_type: Value,
    subtypes: Vec<Value>,
    action: &'static str,
    outcome: &'static str,
    outcome_desc: Option<String>,
    purposes: Vec<Value>,
    agents: Vec<Value>,
    entities: Vec<Value>,
}

impl Event {
    fn new(kind_type: Value, action: &'static str) -> Event {
        Event {
            kind_type,
            subtypes: Vec::new(),
            action,
            outcome: "0",
            outcome_desc: None,
            purposes: Vec::new(),
            agents: Vec::new(),
            entities: Vec::new(),
        }
    }

    fn finish(
        mut self,
        entry: &Entry,
        kind: EntryKind,
        chain: &str,
        recorded: String,
        source: &AuditSource,
    ) -> Value {
        self.subtypes.push(coding(KIND_SYSTEM, kind.code(), ""));
        self.entities.push(ledger_entity(entry, chain));
        prune(json!({
            "resourceType": "AuditEvent",
            "id": event_id(entry, chain),
            "type": self.kind_type,
            "subtype": self.subtypes,
            "action": self.action,
            "recorded": recorded,
            "outcome": self.outcome,
            "outcomeDesc": self.outcome_desc,
            "purposeOfEvent": self.purposes,
            "agent": self.agents,
            "source": {
                "site": source.network,
                "observer": observer(source),
                "type": [coding(SOURCE_TYPE, "4", "Application Server")],
            },
            "entity": self.entities,
        }))
    }
}

// ----------------------------------------------------------------- kinds

/// A disclosure decision of the locator's broker.
fn disclosure(d: &Disclosure, kind: EntryKind, source: &AuditSource) -> Event {
    let break_glass =
        kind == EntryKind::DisclosureBreakGlass || d.kind() == EntryKind::DisclosureBreakGlass;
    // Denied organizations were not asked, and are not named.
    let asked: Vec<_> = d
        .sources
        .iter()
        .filter(|s| s.decision != Decision::Deny)
        .collect();
    let answered = asked.iter().filter(|s| s.outcome == "complete").count();
    let mut event = export_event();
    if kind == EntryKind::DisclosureDeny || asked.is_empty() {
        event.outcome = "4";
        event.outcome_desc = Some("no holding organization was permitted".to_owned());
    } else if answered < asked.len() {
        event.outcome = if answered == 0 { "8" } else { "4" };
        event.outcome_desc = Some(format!(
            "{} of {} permitted holding organizations did not answer",
            asked.len() - answered,
            asked.len()
        ));
    }
    event.purposes = purposes(&d.purpose, break_glass);
    event.agents = vec![
        practitioner(&d.requester, &event.purposes),
        organization_agent(&d.requester.tenant, recipient_type()),
        source_agent(source),
    ];
    let custodians: BTreeSet<&str> = asked.iter().map(|s| s.tenant.as_str()).collect();
    event.agents.extend(
        custodians
            .into_iter()
            .map(|tenant| organization_agent(tenant, custodian_type())),
    );
    event.entities.push(person_entity(&d.person_id));
    let categories = asked.iter().flat_map(|s| &s.categories);
    event
        .entities
        .push(disclosure_entity(&d.disclosure_id, categories));
    for decision in &asked {
        event.entities.extend(decision.released.iter().map(|r| {
            let mut entity = resource_entity(r);
            entity["detail"] = json!([detail("custodian", &decision.tenant)]);
            entity
        }));
    }
    event
}

/// What a node released of its tenant's (the chain's) records.
fn release(r: &Release, chain: &str, source: &AuditSource) -> Event {
    let mut event = export_event();
    event.purposes = purposes(&r.purpose, r.break_glass);
    event.agents = vec![
        practitioner(&r.requester, &event.purposes),
        organization_agent(&r.requester.tenant, recipient_type()),
        source_agent(source),
        organization_agent(chain, custodian_type()),
    ];
    let patients = r.patient_ids.iter().map(|id| {
        let what = scoped_reference("Patient", chain, "patient", id);
        patient_entity(what)
    });
    event.entities.extend(patients);
    event
        .entities
        .push(disclosure_entity(&r.disclosure_id, &r.categories));
    event.entities.extend(
        r.released
            .iter()
            .map(|reference| resource_entity(reference)),
    );
    event
}

/// What a node's tenant (the chain) received: BALP's privacy disclosure at
/// the recipient, an Import whose source agents are the organizations the
/// records came from and whose destination is the tenant.
fn receipt(r: &Receipt, chain: &str, source: &AuditSource) -> Event {
    let mut event = Event::new(coding(DICOM, "110107", "Import"), "C");
    event.subtypes.push(coding(
        LIFECYCLE,
        "disclose",
        "Disclose Record Lifecycle Event",
    ));
    event.purposes = purposes(&r.purpose, r.break_glass);
    event.agents = vec![
        practitioner(&r.requester, &event.purposes),
        organization_agent(chain, recipient_type()),
        application_agent(source, false),
    ];
    event.agents.extend(
        r.sources
            .iter()
            .map(|tenant| organization_agent(tenant, sender_type())),
    );
    let what = scoped_reference("Patient", chain, "patient", &r.patient_id);
    event.entities.push(patient_entity(what));
    event
        .entities
        .push(disclosure_entity(&r.disclosure_id, &r.categories));
    event.entities.extend(
        r.received
            .iter()
            .map(|reference| resource_entity(reference)),
    );
    event
}

fn consent_change(c: &ConsentChange, source: &AuditSource) -> Event {
    let (action, lifecycle) = if c.version <= 1 {
        (
            "C",
            coding(
                LIFECYCLE,
                "originate",
                "Originate/Retain Record Lifecycle Event",
            ),
        )
    } else {
        (
            "U",
            coding(LIFECYCLE, "amend", "Amend (Update) Record Lifecycle Event"),
        )
    };
    let mut event = Event::new(coding(DICOM, "110110", "Patient Record"), action);
    event.subtypes.push(lifecycle);
    event.agents = vec![actor_agent(&c.actor), application_agent(source, false)];
    let what = match c.directive_id.split_once('/') {
        Some((tenant, id)) => scoped_reference("Consent", tenant, "consent", id),
        None => {
            json!({"type": "Consent", "identifier": identifier("urn:continuum:consent", &c.directive_id)})
        }
    };
    event.entities.push(json!({
        "what": what,
        "type": coding(RESOURCE_TYPES, "Consent", ""),
        "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
        "detail": [detail("version", &c.version.to_string()), detail("status", &c.status)],
    }));
    if let Some(person) = &c.person_id {
        event.entities.push(person_entity(person));
    }
    event
}

fn consent_policy(p: &ConsentPolicyChange, source: &AuditSource) -> Event {
    let mut event = Event::new(security_alert(), "U");
    event
        .subtypes
        .push(coding(DICOM, "110129", "Security Configuration"));
    event.agents = vec![actor_agent(&p.actor), application_agent(source, false)];
    event.entities.push(json!({
        "what": {"identifier": identifier("urn:continuum:network-policy", &source.network)},
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "role": coding(OBJECT_ROLE, "13", "Security Resource"),
        "detail": [
            detail("mode", &p.mode),
            detail("shielded", &p.shielded.join(",")),
            detail("break-glass-roles", &p.break_glass_roles.join(",")),
            detail("break-glass-minutes", &p.break_glass_minutes.to_string()),
        ],
    }));
    event
}

fn directory_change(d: &DirectoryChange, source: &AuditSource) -> Event {
    let creates = [".create", ".enroll", ".renew"]
        .iter()
        .any(|suffix| d.action.ends_with(suffix));
    let mut event = Event::new(security_alert(), if creates { "C" } else { "U" });
    event.subtypes.push(if d.certificate_serial.is_some() {
        coding(DICOM, "110129", "Security Configuration")
    } else {
        coding(DICOM, "110128", "Network Configuration")
    });
    event
        .subtypes
        .push(coding("urn:continuum:directory-action", &d.action, ""));
    event.agents = vec![actor_agent(&d.actor), application_agent(source, false)];
    // The first entries of a node change (before `tenants`) named the node
    // in `organization`.
    let legacy_node = d.node.is_none()
        && d.action.starts_with("node.")
        && !d.action.ends_with(".refused")
        && !d.organization.is_empty();
    let node = if legacy_node {
        Some(&d.organization)
    } else {
        d.node.as_ref()
    };
    let organizations = std::iter::once(&d.organization)
        .filter(|_| !legacy_node)
        .chain(&d.tenants)
        .filter(|id| !id.is_empty());
    for organization in organizations {
        event.entities.push(json!({
            "what": {"type": "Organization", "identifier": identifier(ORGANIZATION_SYSTEM, organization)},
            "type": coding(RESOURCE_TYPES, "Organization", ""),
            "role": coding(OBJECT_ROLE, "5", "Master file"),
        }));
    }
    if let Some(node) = node {
        event.entities.push(json!({
            "what": {"type": "Device", "identifier": identifier(NODE_SYSTEM, node)},
            "type": coding(RESOURCE_TYPES, "Device", ""),
            "role": coding(OBJECT_ROLE, "5", "Master file"),
        }));
    }
    if let Some(serial) = &d.certificate_serial {
        event.entities.push(json!({
            "what": {"identifier": identifier(CERTIFICATE_SYSTEM, serial)},
            "type": coding(ENTITY_TYPE, "2", "System Object"),
            "role": coding(OBJECT_ROLE, "13", "Security Resource"),
        }));
    }
    event
}

/// The ISO 21089 lifecycle event of a patient-index action, as the
/// locator records them (`link`/`unlink` are the payload's first names).
fn mpi_lifecycle(action: &str) -> Option<(&'static str, &'static str)> {
    match action {
        "registered" | "linked" | "link" => Some(("link", "Link Record Lifecycle Event")),
        "unlinked" | "unlink" => Some(("unlink", "Unlink Record Lifecycle Event")),
        "updated" => Some(("amend", "Amend (Update) Record Lifecycle Event")),
        "merged" => Some(("merge", "Merge Record Lifecycle Event")),
        "deactivated" => Some(("deprecate", "Deprecate Record Lifecycle Event")),
        // `review.rejected`: a candidate link refused, nothing changed.
        _ => None,
    }
}

fn mpi_link(m: &MpiLinkChange, source: &AuditSource) -> Event {
    let mut event = Event::new(coding(DICOM, "110110", "Patient Record"), "U");
    if let Some((code, display)) = mpi_lifecycle(&m.action) {
        event.subtypes.push(coding(LIFECYCLE, code, display));
    }
    event.agents = match &m.actor {
        Some(actor) => vec![actor_agent(actor), application_agent(source, false)],
        None => vec![application_agent(source, true)],
    };
    let mut person = person_entity(&m.person_id);
    let mut details = vec![detail("match-method", &m.method)];
    if let Some(score) = m.score_milli {
        details.push(detail("match-score-milli", &score.to_string()));
    }
    person["detail"] = Value::Array(details);
    event.entities.push(person);
    let local = scoped_reference("Patient", &m.tenant, "patient", &m.local_id);
    event.entities.push(patient_entity(local));
    event
}

fn break_glass_review(r: &BreakGlassReview, source: &AuditSource) -> Event {
    let mut event = Event::new(security_alert(), "E");
    if matches!(r.outcome.as_str(), "justified" | "unjustified") {
        event.outcome_desc = Some(format!("break-the-glass access judged {}", r.outcome));
    }
    event.agents = vec![actor_agent(&r.reviewer), application_agent(source, false)];
    event.entities.push(json!({
        "what": {"identifier": identifier(BREAK_GLASS_ACCESS_SYSTEM, &r.access_id)},
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "role": coding(OBJECT_ROLE, "13", "Security Resource"),
        "detail": [detail("review-outcome", &r.outcome)],
    }));
    event
}

// ---------------------------------------------------------------- pieces

fn export_event() -> Event {
    let mut event = Event::new(coding(DICOM, "110106", "Export"), "R");
    event.subtypes.push(coding(
        LIFECYCLE,
        "disclose",
        "Disclose Record Lifecycle Event",
    ));
    event
}

fn security_alert() -> Value {
    coding(DICOM, "110113", "Security Alert")
}

/// The stated purpose of use, and `BTG` when the glass was broken.
fn purposes(purpose: &str, break_glass: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if !purpose.is_empty() {
        out.push(concept(ACT_REASON, purpose, purpose_display(purpose)));
    }
    if break_glass && purpose != "BTG" {
        out.push(concept(ACT_REASON, "BTG", "break the glass"));
    }
    out
}

fn purpose_display(code: &str) -> &'static str {
    match code {
        "TREAT" => "treatment",
        "ETREAT" => "Emergency Treatment",
        "HPAYMT" => "healthcare payment",
        "HOPERAT" => "healthcare operations",
        "PUBHLTH" => "public health",
        "HRESCH" => "healthcare research",
        "BTG" => "break the glass",
        _ => "",
    }
}

/// The user who asked (BALP's user agent): the subject their
/// organization's identity provider vouched for, with their name and
/// professional identifier (e.g. the NPI) when the entry has them.
fn practitioner(requester: &Requester, purposes: &[Value]) -> Value {
    let roles: Vec<Value> = Some(requester.role.as_str())
        .filter(|role| !role.is_empty())
        .map(|role| concept(ROLE_SYSTEM, role, ""))
        .into_iter()
        .collect();
    let mut who = scoped_reference(
        "Practitioner",
        &requester.tenant,
        "practitioner",
        &requester.practitioner_id,
    );
    if !requester.name.is_empty() {
        who["display"] = json!(requester.name);
    }
    let mut agent = json!({
        "type": concept(PARTICIPATION, "IRCP", "information recipient"),
        "role": roles,
        "who": who,
        "requestor": true,
        "purposeOfUse": purposes,
    });
    if !requester.professional_id.is_empty() {
        agent["altId"] = json!(requester.professional_id);
    }
    agent
}

fn recipient_type() -> Value {
    concept(DICOM, "110152", "Destination Role ID")
}

/// An organization records came from, at the recipient (BALP: Source Role ID).
fn sender_type() -> Value {
    concept(DICOM, "110153", "Source Role ID")
}

fn custodian_type() -> Value {
    concept(SNOMED, "159541003", "Record keeping/library clerk")
}

fn organization_agent(tenant: &str, agent_type: Value) -> Value {
    json!({
        "type": agent_type,
        "who": {"type": "Organization", "identifier": identifier(ORGANIZATION_SYSTEM, tenant)},
        "requestor": false,
    })
}

/// The recording system as the disclosing party (BALP: who = observer).
fn source_agent(source: &AuditSource) -> Value {
    let mut agent = json!({
        "type": concept(DICOM, "110153", "Source Role ID"),
        "who": observer(source),
        "requestor": false,
    });
    if source.observer.contains("://") {
        agent["network"] = json!({"address": source.observer, "type": "5"});
    }
    agent
}

/// The recording system as the application that did the work.
fn application_agent(source: &AuditSource, requestor: bool) -> Value {
    json!({
        "type": concept(DICOM, "110150", "Application"),
        "who": observer(source),
        "requestor": requestor,
    })
}

/// An operator, or a practitioner: the payload does not say which.
fn actor_agent(actor: &str) -> Value {
    json!({"who": {"identifier": identifier(ACTOR_SYSTEM, actor)}, "requestor": true})
}

fn observer(source: &AuditSource) -> Value {
    json!({"type": "Device", "display": source.observer})
}

fn person_entity(person_id: &str) -> Value {
    patient_entity(json!({"type": "Patient", "identifier": identifier(PERSON_SYSTEM, person_id)}))
}

fn patient_entity(what: Value) -> Value {
    json!({
        "what": what,
        "type": coding(ENTITY_TYPE, "1", "Person"),
        "role": coding(OBJECT_ROLE, "1", "Patient"),
    })
}

/// The disclosure as a whole: its id joins the locator's event to the
/// nodes', its labels are the categories of what was released.
fn disclosure_entity<'a>(id: &str, categories: impl IntoIterator<Item = &'a String>) -> Value {
    let labels: BTreeSet<&str> = categories.into_iter().map(String::as_str).collect();
    json!({
        "what": {"identifier": identifier(DISCLOSURE_SYSTEM, id)},
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "securityLabel": labels.into_iter().map(security_label).collect::<Vec<_>>(),
    })
}

/// A category as stored: a confidentiality code, or an ActCode sensitivity.
fn security_label(code: &str) -> Value {
    let system = match code {
        "U" | "L" | "M" | "N" | "R" | "V" => CONFIDENTIALITY,
        _ => ACT_CODE,
    };
    coding(system, code, "")
}

/// A released resource, `Type/id` or `Type/id/_history/n`.
fn resource_entity(reference: &str) -> Value {
    let resource_type = reference
        .split('/')
        .next()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric()));
    json!({
        "what": {"reference": reference},
        "type": resource_type.map(|t| coding(RESOURCE_TYPES, t, "")),
        "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
    })
}

fn ledger_entity(entry: &Entry, chain: &str) -> Value {
    let seq = entry.seq.to_string();
    json!({
        "what": {"identifier": identifier(&format!("urn:continuum:ledger:{chain}"), &seq)},
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "detail": [
            detail("ledger-chain", chain),
            detail("ledger-seq", &seq),
            detail("ledger-hash", &entry.hash.to_hex()),
            detail("ledger-prev-hash", &entry.prev_hash.to_hex()),
        ],
    })
}

/// A reference by an identifier that `tenant` assigns.
fn scoped_reference(resource_type: &str, tenant: &str, what: &str, value: &str) -> Value {
    let system = format!("{ORGANIZATION_SYSTEM}:{tenant}:{what}");
    json!({"type": resource_type, "identifier": identifier(&system, value)})
}

fn identifier(system: &str, value: &str) -> Value {
    json!({"system": system, "value": value})
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [coding(system, code, display)]})
}

fn detail(kind: &str, value: &str) -> Value {
    json!({"type": kind, "valueString": value})
}

// ------------------------------------------------------------- plumbing

fn body<T: DeserializeOwned>(entry: &Entry, kind: EntryKind) -> Result<T, AuditEventError> {
    serde_json::from_str(&entry.body).map_err(|e| {
        // serde's message may quote the body: keep only where and what.
        let problem = match e.classify() {
            serde_json::error::Category::Data => "a field is missing or of the wrong type",
            serde_json::error::Category::Eof => "it ends early",
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                "it is not JSON"
            }
        };
        AuditEventError::Body {
            seq: entry.seq,
            kind,
            problem,
            column: e.column(),
        }
    })
}

/// `recorded`: an RFC 3339 instant in UTC with milliseconds.
fn recorded(entry: &Entry) -> Result<String, AuditEventError> {
    use chrono::{Datelike, SecondsFormat};
    entry
        .recorded_at()
        .filter(|at| (1..=9999).contains(&at.year()))
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .ok_or(AuditEventError::Time {
            seq: entry.seq,
            recorded_at_ms: entry.recorded_at_ms,
        })
}

/// `<chain>-<seq>`, or the entry hash when that is no FHIR id (more than
/// 64 characters, or characters other than letters, digits, `-` and `.`).
fn event_id(entry: &Entry, chain: &str) -> String {
    let id = format!("{chain}-{}", entry.seq);
    let valid = id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if valid { id } else { entry.hash.to_hex() }
}

/// A UUID (RFC 9562 version 8) made of the entry hash: the same entry
/// always gets the same `fullUrl`, and entries of different chains differ.
fn uuid_of(entry: &Entry) -> String {
    let mut bytes: [u8; 16] = [0; 16];
    bytes.copy_from_slice(&entry.hash.0[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Drop what FHIR forbids in JSON: nulls, empty strings, arrays and objects.
fn prune(value: Value) -> Value {
    fn keep(value: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(items) => !items.is_empty(),
            Value::Object(map) => !map.is_empty(),
            _ => true,
        }
    }
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(prune).filter(keep).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| keep(v))
                .collect(),
        ),
        other => other,
    }
}
