//! What a node tells the locator about a patient: demographics and local
//! identifiers only, never clinical data.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
    Other,
    Unknown,
}

/// An identifier with the system that assigned it (FHIR `Identifier`):
/// an MRN (`system` = the organization's MRN namespace), a national id,
/// an insurance member id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A patient's demographics as registered, before any normalization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    /// Given names in order (first, middle …).
    pub given: Vec<String>,
    pub family: Option<String>,
    /// Name suffixes as typed (Jr, Sr, III …), if the source kept them apart.
    pub suffix: Vec<String>,
    /// `YYYY-MM-DD` (or a partial FHIR date as sent).
    pub birth_date: Option<String>,
    pub sex: Option<Sex>,
    pub address: Option<Address>,
    pub phones: Vec<String>,
    pub identifiers: Vec<Identifier>,
}
