//! The decision: directives + network policy + request → a [`Grant`] per
//! holding organization, with what decided it.

use chrono::{DateTime, Utc};

use crate::{Clause, Directive, Grant, LabelSet, Mode, NetworkPolicy, ProvisionRef, Purpose};

/// One fetch, as consent sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The requesting organization (tenant id).
    pub requester: &'a str,
    /// The practitioner's Continuum role.
    pub role: &'a str,
    pub purpose: Purpose,
    pub at: DateTime<Utc>,
    /// The requester holds an open break-the-glass access. It counts only
    /// for purpose ETREAT and a role the policy allows to break the glass.
    pub break_glass: bool,
}

impl Request<'_> {
    /// Whether this request breaks the glass under `policy`.
    pub fn breaks_glass(&self, policy: &NetworkPolicy) -> bool {
        self.break_glass && self.purpose == Purpose::Etreat && policy.may_break_glass(self.role)
    }
}

/// The decision for one holding organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub grant: Grant,
    /// Whether anything may be released; a denied organization is not asked
    /// and not named to the requester.
    pub permitted: bool,
    /// The policy rules and provisions that decided it, for the audit record.
    pub decided_by: Vec<String>,
}

/// Decide what `holding` (whose records all carry `holding_labels`) may
/// release for `request`, given the patient's directives (every version;
/// only active ones count) and the network policy.
pub fn decide(
    directives: &[Directive],
    policy: &NetworkPolicy,
    request: &Request<'_>,
    holding: &str,
    holding_labels: LabelSet,
) -> Decision {
    let break_glass = request.breaks_glass(policy);
    let clauses: Vec<Clause> = directives
        .iter()
        .filter(|d| d.active)
        .flat_map(|d| d.provisions.iter().map(move |p| (d, p)))
        .filter(|(_, p)| p.applies(request.at, request.requester, holding, request.purpose))
        .map(|(d, p)| Clause {
            effect: p.effect,
            resource_types: p.resource_types.clone(),
            labels: p.labels,
            origin: ProvisionRef {
                directive: d.id.clone(),
                version: d.version,
                path: p.path.clone(),
            }
            .to_string(),
        })
        .collect();
    let grant = Grant {
        tenant_labels: holding_labels,
        open_by_default: policy.mode == Mode::OptOut || break_glass,
        shielded: policy.shielded,
        break_glass,
        clauses,
    };
    let permitted = grant.allows_anything();
    let mut decided_by = vec![match policy.mode {
        Mode::OptOut => "network policy: opt-out".to_owned(),
        Mode::OptIn => "network policy: opt-in".to_owned(),
    }];
    let shielded_here = holding_labels.intersection(policy.shielded);
    if !policy.shielded.is_empty() {
        decided_by.push(format!("network policy: shielded {}", policy.shielded));
    }
    if !shielded_here.is_empty() {
        decided_by.push(format!("holding organization labelled {holding_labels}"));
    }
    if break_glass {
        decided_by.push("break-the-glass".to_owned());
    }
    decided_by.extend(grant.clauses.iter().map(|c| {
        let effect = match c.effect {
            crate::Effect::Permit => "permit",
            crate::Effect::Deny => "deny",
        };
        format!("{effect} {}", c.origin)
    }));
    Decision {
        grant,
        permitted,
        decided_by,
    }
}
