//! A patient's consent directive, as the decision reads it: a FHIR R4
//! Consent flattened into provisions (see [`crate::fhir`] for the reading).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{LabelSet, Purpose};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    Permit,
    Deny,
}

/// When a provision holds: from `start` (inclusive) to `end` (exclusive);
/// open where absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| s <= at) && self.end.is_none_or(|e| at < e)
    }
}

/// One rule of a directive. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provision {
    pub effect: Effect,
    pub period: Period,
    /// Organizations (tenant ids) receiving the records.
    pub recipients: Vec<String>,
    /// Organizations (tenant ids) holding the records.
    pub custodians: Vec<String>,
    pub purposes: Vec<Purpose>,
    /// Resource types covered.
    pub resource_types: Vec<String>,
    /// Sensitivity categories covered.
    pub labels: LabelSet,
    /// Where in the Consent it came from (`provision`, `provision.provision[0]`, …).
    pub path: String,
}

impl Provision {
    /// Whether the provision holds for this request and holding organization.
    pub fn applies(
        &self,
        at: DateTime<Utc>,
        requester: &str,
        holding: &str,
        purpose: Purpose,
    ) -> bool {
        self.period.contains(at)
            && (self.recipients.is_empty() || self.recipients.iter().any(|r| r == requester))
            && (self.custodians.is_empty() || self.custodians.iter().any(|c| c == holding))
            && (self.purposes.is_empty() || self.purposes.contains(&purpose))
    }
}

/// One version of a patient's directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    /// `<tenant>/<Consent id>`.
    pub id: String,
    pub version: u64,
    /// False once revoked (`status` other than `active`).
    pub active: bool,
    pub provisions: Vec<Provision>,
}

/// Names one provision of one directive version, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProvisionRef {
    pub directive: String,
    pub version: u64,
    pub path: String,
}

impl fmt::Display for ProvisionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.directive, self.version, self.path)
    }
}
