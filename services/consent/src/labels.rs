//! Sets of sensitivity categories, as a bit mask: the decision runs on
//! every fetch for every holding organization, so set operations are one
//! instruction.

use std::fmt;
use std::str::FromStr;

use continuum_fhir::Sensitivity;
use serde::{Deserialize, Serialize};

use crate::ConsentError;

/// A set of HL7 v3 ActCode sensitivity categories.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelSet(u8);

impl LabelSet {
    pub const EMPTY: LabelSet = LabelSet(0);

    fn bit(label: Sensitivity) -> u8 {
        let index = Sensitivity::ALL
            .iter()
            .position(|l| *l == label)
            .unwrap_or_default();
        1 << index
    }

    pub fn of(labels: impl IntoIterator<Item = Sensitivity>) -> LabelSet {
        labels.into_iter().fold(LabelSet::EMPTY, LabelSet::with)
    }

    /// Parse ActCode codes (`ETH`, `PSY`, …).
    pub fn parse<S: AsRef<str>>(
        codes: impl IntoIterator<Item = S>,
    ) -> Result<LabelSet, ConsentError> {
        codes.into_iter().try_fold(LabelSet::EMPTY, |set, code| {
            let code = code.as_ref();
            Sensitivity::from_code(code)
                .map(|label| set.with(label))
                .ok_or_else(|| ConsentError::UnknownCategory(code.to_owned()))
        })
    }

    /// The sensitivity labels among a FHIR resource's `meta.security`.
    pub fn of_resource(resource: &serde_json::Value) -> LabelSet {
        let security = resource["meta"]["security"].as_array();
        LabelSet::of(security.into_iter().flatten().filter_map(|coding| {
            (coding["system"] == Sensitivity::SYSTEM)
                .then(|| coding["code"].as_str().and_then(Sensitivity::from_code))
                .flatten()
        }))
    }

    #[must_use]
    pub fn with(self, label: Sensitivity) -> LabelSet {
        LabelSet(self.0 | Self::bit(label))
    }

    pub fn contains(self, label: Sensitivity) -> bool {
        self.0 & Self::bit(label) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn intersects(self, other: LabelSet) -> bool {
        self.0 & other.0 != 0
    }

    #[must_use]
    pub fn union(self, other: LabelSet) -> LabelSet {
        LabelSet(self.0 | other.0)
    }

    #[must_use]
    pub fn intersection(self, other: LabelSet) -> LabelSet {
        LabelSet(self.0 & other.0)
    }

    pub fn is_subset(self, other: LabelSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Sensitivity> {
        Sensitivity::ALL
            .into_iter()
            .filter(move |l| self.contains(*l))
    }

    /// ActCode codes, in label order.
    pub fn codes(self) -> Vec<String> {
        self.iter().map(|l| l.code().to_owned()).collect()
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Sensitivity::code))
            .finish()
    }
}

/// Comma-separated codes (`ETH,PSY`; empty for none): how labels are stored.
impl fmt::Display for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.codes().join(","))
    }
}

/// The inverse of `Display`.
impl FromStr for LabelSet {
    type Err = ConsentError;

    fn from_str(text: &str) -> Result<LabelSet, ConsentError> {
        LabelSet::parse(text.split(',').filter(|c| !c.is_empty()))
    }
}
