//! What one holding organization may release for one request: the
//! decision compiled to clauses that each resource is checked against, by
//! the locator and again by the holding node.

use continuum_fhir::Sensitivity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Effect, LabelSet};

/// An applicable provision, reduced to what it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    pub effect: Effect,
    /// Every type when empty.
    pub resource_types: Vec<String>,
    /// Every resource when empty; otherwise resources carrying one of these.
    pub labels: LabelSet,
    /// The provision it came from ([`crate::ProvisionRef`] as text).
    pub origin: String,
}

impl Clause {
    fn covers_type(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty() || self.resource_types.iter().any(|t| t == resource_type)
    }

    fn covers(&self, resource_type: &str, labels: LabelSet) -> bool {
        self.covers_type(resource_type)
            && (self.labels.is_empty() || self.labels.intersects(labels))
    }
}

/// The consent decision for one holding organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Labels every record of the holding organization carries.
    pub tenant_labels: LabelSet,
    /// Items no provision covers are released (opt-out network, or break-glass).
    pub open_by_default: bool,
    /// Categories that need a permit naming them (unless break-glass).
    pub shielded: LabelSet,
    pub break_glass: bool,
    pub clauses: Vec<Clause>,
}

impl Grant {
    /// Nothing may be released.
    pub fn nothing() -> Grant {
        Grant::default()
    }

    /// Whether a resource of `resource_type` carrying `labels` (its own;
    /// the organization's are added here) may be released.
    pub fn allows(&self, resource_type: &str, labels: LabelSet) -> bool {
        let labels = labels.union(self.tenant_labels);
        let covering = |effect: Effect| {
            self.clauses
                .iter()
                .filter(move |c| c.effect == effect && c.covers(resource_type, labels))
        };
        if covering(Effect::Deny).next().is_some() {
            return false;
        }
        if !(self.open_by_default || covering(Effect::Permit).next().is_some()) {
            return false;
        }
        let shielded = labels.intersection(self.shielded);
        self.break_glass
            || shielded.iter().all(|label| {
                self.clauses.iter().any(|c| {
                    c.effect == Effect::Permit
                        && c.covers_type(resource_type)
                        && c.labels.contains(label)
                })
            })
    }

    /// Whether a FHIR resource may be released: its type, and the labels of
    /// its codes and its `meta.security` (so a resource a node failed to
    /// label is still judged by what it says).
    pub fn allows_resource(&self, resource: &Value) -> bool {
        let Some(resource_type) = resource["resourceType"].as_str() else {
            return false;
        };
        let labels = LabelSet::of(continuum_fhir::labels::sensitivity_of(resource));
        self.allows(resource_type, labels)
    }

    /// Whether anything at all may be released. Clauses tell types apart
    /// only by naming them, and a released item with several labels implies
    /// one released with a single one of them, so checking each named type
    /// plus one unnamed type, with no or one extra label, is exhaustive.
    pub fn allows_anything(&self) -> bool {
        const UNNAMED: &str = "\u{0}unnamed";
        let named = self.clauses.iter().flat_map(|c| c.resource_types.iter());
        let singles = Sensitivity::ALL.map(|l| LabelSet::EMPTY.with(l));
        std::iter::once(UNNAMED)
            .chain(named.map(String::as_str))
            .any(|t| self.allows(t, LabelSet::EMPTY) || singles.iter().any(|l| self.allows(t, *l)))
    }
}
