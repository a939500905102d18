//! The typed bodies of entries: what an audit record needs and nothing more.
//!
//! People are named by ids (network person id, practitioner id, operator
//! id), never by name or birth date; records by `Type/id` and their
//! sensitivity categories, never by content. A payload's JSON field names
//! are part of the stored format: rename with `#[serde(rename)]`, never by
//! renaming the field alone.

use serde::{Deserialize, Serialize};

use crate::kind::EntryKind;

/// A payload that knows which kind of entry records it.
pub trait Record: Serialize {
    fn kind(&self) -> EntryKind;
}

/// Who asked: the organization, and the practitioner its identity provider
/// vouched for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub tenant: String,
    /// The subject at the organization's identity provider.
    pub practitioner_id: String,
    pub role: String,
    /// The practitioner's name, as the provider gave it. (A member of the
    /// workforce acting in that role; patients are never named.)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// A professional identifier (e.g. the NPI), when the provider gives one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub professional_id: String,
}

/// The decision for one holding organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Permit,
    Deny,
    BreakGlass,
}

/// What one holding organization was asked and released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDecision {
    pub tenant: String,
    pub decision: Decision,
    /// The rules and directive provisions that decided it.
    pub decided_by: Vec<String>,
    /// `complete`, `timed_out`, `unavailable` or `not_asked`.
    pub outcome: String,
    /// `Type/id` of each released resource.
    pub released: Vec<String>,
    /// Sensitivity labels among what was released.
    pub categories: Vec<String>,
}

/// One disclosure decision of the locator's broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub disclosure_id: String,
    /// The network person whose records were asked for.
    pub person_id: String,
    pub requester: Requester,
    /// Purpose of use (`TREAT`, `ETREAT`, …).
    pub purpose: String,
    /// The stated reason when the glass was broken.
    pub break_glass_reason: Option<String>,
    pub sources: Vec<SourceDecision>,
}

impl Record for Disclosure {
    /// Break-the-glass when the glass was broken, permit when any source
    /// released, deny otherwise.
    fn kind(&self) -> EntryKind {
        let decided = |d| self.sources.iter().any(|s| s.decision == d);
        if self.break_glass_reason.is_some() || decided(Decision::BreakGlass) {
            EntryKind::DisclosureBreakGlass
        } else if decided(Decision::Permit) {
            EntryKind::DisclosurePermit
        } else {
            EntryKind::DisclosureDeny
        }
    }
}

/// A patient's consent directive, recorded or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    /// `<tenant>/<Consent id>`.
    pub directive_id: String,
    pub version: u64,
    /// The network person, when the patient is linked.
    pub person_id: Option<String>,
    /// `active` or `inactive`.
    pub status: String,
    /// Who recorded it: a practitioner or operator id.
    pub actor: String,
}

impl Record for ConsentChange {
    fn kind(&self) -> EntryKind {
        EntryKind::ConsentChange
    }
}

/// The network's consent policy, as changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentPolicyChange {
    /// `opt-out` or `opt-in`.
    pub mode: String,
    pub shielded: Vec<String>,
    pub break_glass_roles: Vec<String>,
    pub break_glass_minutes: u32,
    pub actor: String,
}

impl Record for ConsentPolicyChange {
    fn kind(&self) -> EntryKind {
        EntryKind::ConsentPolicy
    }
}

/// A change to the network directory, or a refusal by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChange {
    /// `organization.create`, `organization.suspended`, `node.create`,
    /// `node.enroll`, `node.renew`, `node.revoked`, `node.enroll.refused`, …
    pub action: String,
    /// The organization changed; empty when the change is a node's.
    /// (Entries written before `tenants` existed name a node here.)
    pub organization: String,
    pub node: Option<String>,
    /// For `node.create` and a `node.update` that sets them: every
    /// organization the node hosts after the change. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<String>,
    /// Serial number of the certificate the change issued, in hex.
    pub certificate_serial: Option<String>,
    pub actor: String,
}

impl Record for DirectoryChange {
    fn kind(&self) -> EntryKind {
        EntryKind::DirectoryChange
    }
}

/// The master patient index linked or unlinked a local patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpiLinkChange {
    /// From the feed: `registered`, `updated`, `merged`, `deactivated`;
    /// from operators: `linked`, `unlinked`, `review.rejected`.
    pub action: String,
    pub person_id: String,
    pub tenant: String,
    pub local_id: String,
    /// `matcher` (the patient index, on a node's feed) or `operator`.
    pub method: String,
    /// The match score, in thousandths, for probabilistic links.
    pub score_milli: Option<i64>,
    /// The operator id for operator decisions.
    pub actor: Option<String>,
}

impl Record for MpiLinkChange {
    fn kind(&self) -> EntryKind {
        EntryKind::MpiLink
    }
}

/// An operator's review of a break-the-glass access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassReview {
    pub access_id: String,
    pub reviewer: String,
    /// `justified` or `unjustified`.
    pub outcome: String,
}

impl Record for BreakGlassReview {
    fn kind(&self) -> EntryKind {
        EntryKind::BreakGlassReview
    }
}

/// What a node released of one of its tenants' records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// The locator's disclosure id: joins the node's entry to the locator's.
    pub disclosure_id: String,
    /// The patient's local ids at this tenant.
    pub patient_ids: Vec<String>,
    pub requester: Requester,
    pub purpose: String,
    pub break_glass: bool,
    /// The reason the requester stated for breaking the glass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
    /// `Type/id/_history/n` of each released version.
    pub released: Vec<String>,
    pub categories: Vec<String>,
}

impl Record for Release {
    fn kind(&self) -> EntryKind {
        EntryKind::Release
    }
}

/// What one of a node's tenants received of a patient's records from other
/// organizations, through the locator: the recipient's side of a
/// disclosure, in the receiving tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The locator's disclosure id: joins this entry to the locator's and
    /// to each source's `release`.
    pub disclosure_id: String,
    /// The patient's local id at the receiving tenant.
    pub patient_id: String,
    /// The tenant's own practitioner who asked.
    pub requester: Requester,
    pub purpose: String,
    pub break_glass: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
    /// The organizations the records came from.
    pub sources: Vec<String>,
    /// `Type/id` of each resource received, as its source identifies it.
    pub received: Vec<String>,
    /// Sensitivity labels among what was received.
    pub categories: Vec<String>,
}

impl Record for Receipt {
    fn kind(&self) -> EntryKind {
        EntryKind::Receipt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disclosure(decisions: &[Decision], reason: Option<&str>) -> Disclosure {
        Disclosure {
            disclosure_id: "d-1".into(),
            person_id: "p-1".into(),
            requester: Requester {
                tenant: "hospital".into(),
                practitioner_id: "pr-1".into(),
                role: "physician".into(),
                name: String::new(),
                professional_id: String::new(),
            },
            purpose: "TREAT".into(),
            break_glass_reason: reason.map(str::to_owned),
            sources: decisions
                .iter()
                .map(|&decision| SourceDecision {
                    tenant: "clinic".into(),
                    decision,
                    decided_by: vec![],
                    outcome: "complete".into(),
                    released: vec![],
                    categories: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn a_disclosure_is_recorded_under_the_strongest_decision() {
        use Decision::*;
        assert_eq!(
            disclosure(&[Deny, Permit], None).kind(),
            EntryKind::DisclosurePermit
        );
        assert_eq!(disclosure(&[Deny], None).kind(), EntryKind::DisclosureDeny);
        assert_eq!(disclosure(&[], None).kind(), EntryKind::DisclosureDeny);
        assert_eq!(
            disclosure(&[Permit], Some("unconscious")).kind(),
            EntryKind::DisclosureBreakGlass
        );
        assert_eq!(
            disclosure(&[BreakGlass], None).kind(),
            EntryKind::DisclosureBreakGlass
        );
    }
}
