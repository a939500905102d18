//! The network's default policy, set by the operator, and the purposes of
//! use a request may name.

use std::fmt;
use std::str::FromStr;

use continuum_fhir::Sensitivity;
use serde::{Deserialize, Serialize};

use crate::{ConsentError, LabelSet};

/// Whether records are shared unless the patient objects, or only where the
/// patient agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    OptOut,
    OptIn,
}

/// The operator's consent policy for the whole network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    pub mode: Mode,
    /// Categories released only where a patient's permit names them.
    pub shielded: LabelSet,
    /// Roles allowed to break the glass.
    pub break_glass_roles: Vec<String>,
    /// How long a break-the-glass access stays open.
    pub break_glass_minutes: u32,
}

impl Default for NetworkPolicy {
    /// Opt-out, with substance-use records (42 CFR Part 2) shielded, and
    /// emergency access for the `emergency-access` role for an hour.
    fn default() -> Self {
        NetworkPolicy {
            mode: Mode::OptOut,
            shielded: LabelSet::of([Sensitivity::Eth]),
            break_glass_roles: vec!["emergency-access".into()],
            break_glass_minutes: 60,
        }
    }
}

impl NetworkPolicy {
    /// Whether practitioners in `role` may break the glass.
    pub fn may_break_glass(&self, role: &str) -> bool {
        self.break_glass_roles.iter().any(|r| r == role)
    }
}

/// A purpose of use (HL7 v3 ActReason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Treatment.
    Treat,
    /// Emergency treatment.
    Etreat,
    /// Payment.
    Hpaymt,
    /// Healthcare operations.
    Hoperat,
    /// Public health.
    Pubhlth,
    /// Research.
    Hresch,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Treat,
        Purpose::Etreat,
        Purpose::Hpaymt,
        Purpose::Hoperat,
        Purpose::Pubhlth,
        Purpose::Hresch,
    ];

    /// The code system of purposes of use.
    pub const SYSTEM: &'static str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    pub fn code(self) -> &'static str {
        match self {
            Purpose::Treat => "TREAT",
            Purpose::Etreat => "ETREAT",
            Purpose::Hpaymt => "HPAYMT",
            Purpose::Hoperat => "HOPERAT",
            Purpose::Pubhlth => "PUBHLTH",
            Purpose::Hresch => "HRESCH",
        }
    }
}

impl FromStr for Purpose {
    type Err = ConsentError;

    fn from_str(code: &str) -> Result<Purpose, ConsentError> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or_else(|| ConsentError::UnknownPurpose(code.to_owned()))
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
