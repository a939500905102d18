//! The oracle of the property tests: a plain model of directives, network
//! policy and request (strings, sets and lists; no bit masks, nothing of
//! the crate), and THE RULES of the crate documentation read literally
//! over it, for one item at a time.

use std::collections::BTreeSet;

/// Sensitivity categories by ActCode code.
pub type Labels = BTreeSet<&'static str>;

/// A provision; empty lists mean any.
#[derive(Debug, Clone)]
pub struct RawProvision {
    pub deny: bool,
    /// Times are indexes on one time line (a larger index is later).
    pub start: Option<usize>,
    pub end: Option<usize>,
    pub recipients: Vec<&'static str>,
    pub custodians: Vec<&'static str>,
    pub purposes: Vec<&'static str>,
    pub types: Vec<&'static str>,
    pub labels: Labels,
}

/// A directive version.
#[derive(Debug, Clone)]
pub struct RawDirective {
    pub active: bool,
    pub provisions: Vec<RawProvision>,
}

/// The network policy.
#[derive(Debug, Clone)]
pub struct RawPolicy {
    pub opt_out: bool,
    pub shielded: Labels,
    pub break_glass_roles: Vec<&'static str>,
}

/// A request; `at` is on the provisions' time line.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub requester: &'static str,
    pub role: &'static str,
    pub purpose: &'static str,
    pub at: usize,
    pub break_glass: bool,
}

/// Whether a provision applies to the request at `holding`.
pub fn applies(p: &RawProvision, request: &RawRequest, holding: &str) -> bool {
    let at = request.at;
    // The start is inclusive, the end exclusive.
    let after_start = match p.start {
        None => true,
        Some(start) => start <= at,
    };
    let before_end = match p.end {
        None => true,
        Some(end) => at < end,
    };
    let recipient_ok = p.recipients.is_empty() || p.recipients.contains(&request.requester);
    let custodian_ok = p.custodians.is_empty() || p.custodians.contains(&holding);
    let purpose_ok = p.purposes.is_empty() || p.purposes.contains(&request.purpose);
    after_start && before_end && recipient_ok && custodian_ok && purpose_ok
}

/// Whether the request breaks the glass.
pub fn breaks_glass(policy: &RawPolicy, request: &RawRequest) -> bool {
    request.break_glass
        && request.purpose == "ETREAT"
        && policy.break_glass_roles.contains(&request.role)
}

/// Whether an item of `resource_type` with `item_labels`, held at
/// `holding` (whose records carry `holding_labels`), is released.
pub fn oracle_allows(
    directives: &[RawDirective],
    policy: &RawPolicy,
    request: &RawRequest,
    holding: &str,
    holding_labels: &Labels,
    resource_type: &str,
    item_labels: &Labels,
) -> bool {
    let carries = |label: &str| item_labels.contains(label) || holding_labels.contains(label);
    let mut applicable: Vec<&RawProvision> = Vec::new();
    for directive in directives {
        if !directive.active {
            continue;
        }
        for provision in &directive.provisions {
            if applies(provision, request, holding) {
                applicable.push(provision);
            }
        }
    }
    let covers_type = |p: &RawProvision| p.types.is_empty() || p.types.contains(&resource_type);
    let covers = |p: &RawProvision| {
        let mut shares_a_label = p.labels.is_empty();
        for label in &p.labels {
            if carries(label) {
                shares_a_label = true;
            }
        }
        covers_type(p) && shares_a_label
    };
    // Deny wins.
    for p in &applicable {
        if p.deny && covers(p) {
            return false;
        }
    }
    let glass = breaks_glass(policy, request);
    let mut released = policy.opt_out || glass;
    for p in &applicable {
        if !p.deny && covers(p) {
            released = true;
        }
    }
    if !released {
        return false;
    }
    for label in &policy.shielded {
        if !carries(label) || glass {
            continue;
        }
        let mut named = false;
        for p in &applicable {
            if !p.deny && covers_type(p) && p.labels.contains(label) {
                named = true;
            }
        }
        if !named {
            return false;
        }
    }
    true
}

/// Whether some applicable deny covers the item (for break-glass).
pub fn oracle_denied(
    directives: &[RawDirective],
    request: &RawRequest,
    holding: &str,
    holding_labels: &Labels,
    resource_type: &str,
    item_labels: &Labels,
) -> bool {
    directives.iter().filter(|d| d.active).any(|d| {
        d.provisions.iter().any(|p| {
            p.deny
                && applies(p, request, holding)
                && (p.types.is_empty() || p.types.contains(&resource_type))
                && (p.labels.is_empty()
                    || p.labels
                        .iter()
                        .any(|l| item_labels.contains(l) || holding_labels.contains(l)))
        })
    })
}
