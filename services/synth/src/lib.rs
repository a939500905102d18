//! Deterministic synthetic patients for Continuum, as FHIR R4 transaction
//! Bundles shaped like Synthea's output. The crate owns the whole recipe of a
//! synthetic record — demographics, the care organisation and practitioner,
//! years of encounters with their conditions, medications, results, imaging,
//! care plans and notes — and the code tables behind them, including the
//! sensitive conditions that security labelling and consent must find.
//!
//! It must never do I/O, read the clock or draw OS randomness: a patient is a
//! pure function of `(seed, index, size)`, every date is counted back from
//! the fixed [`reference_date`], and every uuid comes from the patient's own
//! ChaCha stream. That is what lets `continuum synth`, `continuum up`, tests
//! and benchmarks regenerate byte-identical data anywhere, in parallel or
//! streamed, without storing it.

#![forbid(unsafe_code)]

mod chance;
mod chart;
mod clinical;
mod codes;
mod demographics;
mod ids;
mod json;
mod measures;
mod names;
mod notes;
mod places;
mod problems;
mod providers;
mod record;
mod resources;
mod results;
mod sensitive;
mod time;
mod vaccines;
mod visits;
mod vitals;

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

pub use sensitive::{Sensitivity, sensitivity_of};
pub use time::reference_date;

/// What to generate: how many patients, from which seed, how large each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SynthOptions {
    /// Number of patients; patient `i` is `patient_bundle(seed, i, size)`.
    pub patients: usize,
    /// The dataset's seed. The same seed always gives the same bundles.
    pub seed: u64,
    /// How long each patient's record is.
    pub size: RecordSize,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            patients: 10,
            seed: 1,
            size: RecordSize::Typical,
        }
    }
}

/// How many resources one patient's record holds (the bundle's entries,
/// organisation and practitioner included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordSize {
    /// About 20-60 resources: a few recent visits. Fast fixtures.
    Small,
    /// About 100-250 resources: around a decade of care.
    #[default]
    Typical,
    /// About 450-550 resources, like a Synthea record: used by benchmarks.
    Large,
}

impl RecordSize {
    /// Every size, smallest first.
    pub const ALL: [RecordSize; 3] = [RecordSize::Small, RecordSize::Typical, RecordSize::Large];

    /// The range the number of bundle entries is drawn from.
    pub fn entries(self) -> RangeInclusive<usize> {
        match self {
            RecordSize::Small => 20..=60,
            RecordSize::Typical => 100..=250,
            RecordSize::Large => 450..=550,
        }
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordSize::Small => "small",
            RecordSize::Typical => "typical",
            RecordSize::Large => "large",
        }
    }
}

impl fmt::Display for RecordSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record size name that is not `small`, `typical` or `large`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRecordSizeError(String);

impl fmt::Display for ParseRecordSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown record size {:?}: expected small, typical or large",
            self.0
        )
    }
}

impl std::error::Error for ParseRecordSizeError {}

impl FromStr for RecordSize {
    type Err = ParseRecordSizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordSize::ALL
            .into_iter()
            .find(|size| size.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseRecordSizeError(s.to_string()))
    }
}

/// One patient's whole record as a transaction Bundle. Depends only on
/// (seed, index, size): patients can be generated in parallel or streamed.
///
/// The same `(seed, index)` is the same person (name, birth date, address,
/// sensitive conditions) at every size; only the length of the history
/// changes.
pub fn patient_bundle(seed: u64, index: usize, size: RecordSize) -> serde_json::Value {
    chart::write(seed, index, size, 0)
}

/// The same person's record as another organization keeps it: patient
/// `index` of dataset `seed`, registered at `site` (site 0 is
/// [`patient_bundle`]).
///
/// The Patient's demographics and identifiers are identical at every site,
/// so the network's patient index links the registrations; the Patient's
/// id, its general practitioner and managing organization, and the whole
/// history of visits are the site's own. Deterministic in
/// (seed, index, size, site).
pub fn patient_bundle_at(
    seed: u64,
    index: usize,
    size: RecordSize,
    site: u32,
) -> serde_json::Value {
    chart::write(seed, index, size, site)
}

/// All bundles of the options, in order.
pub fn bundles(options: &SynthOptions) -> impl Iterator<Item = serde_json::Value> + '_ {
    (0..options.patients).map(|index| patient_bundle(options.seed, index, options.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_round_trip_through_their_names() {
        for size in RecordSize::ALL {
            assert_eq!(size.to_string().parse::<RecordSize>(), Ok(size));
        }
        assert_eq!(" Large ".parse::<RecordSize>(), Ok(RecordSize::Large));
        let err = "huge".parse::<RecordSize>().expect_err("not a size");
        assert!(err.to_string().contains("small, typical or large"));
    }

    fn patient(bundle: &serde_json::Value) -> &serde_json::Value {
        bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| &entry["resource"])
            .find(|resource| resource["resourceType"] == "Patient")
            .expect("a Patient entry")
    }

    #[test]
    fn one_person_registered_at_two_sites_has_one_identity_and_two_charts() {
        let size = RecordSize::Small;
        assert_eq!(patient_bundle_at(5, 2, size, 0), patient_bundle(5, 2, size));
        let home = patient_bundle(5, 2, size);
        let away = patient_bundle_at(5, 2, size, 1);
        assert_eq!(away, patient_bundle_at(5, 2, size, 1), "deterministic");
        let (a, b) = (patient(&home), patient(&away));
        for field in [
            "identifier",
            "name",
            "telecom",
            "gender",
            "birthDate",
            "address",
        ] {
            assert_eq!(a[field], b[field], "{field}");
        }
        assert_ne!(a["id"], b["id"]);
        let ids = |bundle: &serde_json::Value| -> std::collections::HashSet<String> {
            bundle["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["request"]["ifNoneExist"].is_null())
                .map(|e| e["resource"]["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert!(
            ids(&home).is_disjoint(&ids(&away)),
            "the charts share no ids"
        );
        assert_ne!(
            patient(&patient_bundle_at(5, 2, size, 2))["id"],
            b["id"],
            "each site its own id"
        );
    }

    #[test]
    fn default_options_are_ten_typical_patients_of_seed_one() {
        let o = SynthOptions::default();
        assert_eq!((o.patients, o.seed, o.size), (10, 1, RecordSize::Typical));
    }
}
