//! A labelled test set for the quality harness: generated persons, their
//! registrations at several organizations, and the truth of which
//! registrations are one person.
//!
//! The matcher must be judged on data whose truth is known but which looks
//! like what nodes send: typos, nicknames, transposed dates, missing
//! fields, moves, married names, and the look-alikes that must stay apart.
//! The generator is seeded (ChaCha8), so a run is reproducible and a
//! regression shows as a changed number, not as noise.

pub mod diagnose;
mod evaluate;
mod generate;
mod pools;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::demographics::Demographics;
use crate::index::RecordKey;

pub use evaluate::{
    QualityReport, Registrations, candidate_pair_comparisons, evaluate, register_all,
};
pub use generate::generate;

/// A relation between two different true persons that makes them easy to
/// confuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Same birth date, family name and home; different first names.
    Twins,
    /// Father and son with the same name (Sr/Jr), different birth dates.
    ParentChild,
    /// One person's SSN typed into another person's registration.
    SharedIdentifier,
    /// No generated relation: a chance resemblance.
    Other,
}

/// One generated registration.
#[derive(Debug, Clone)]
pub struct TestRecord {
    pub key: RecordKey,
    /// The true person (index into the generated persons).
    pub truth: u32,
    pub demographics: Demographics,
}

/// Generated registrations with their truth.
#[derive(Debug, Clone)]
pub struct TestSet {
    /// Number of true persons.
    pub persons: usize,
    pub records: Vec<TestRecord>,
    /// Hard-negative relations between true persons, keyed by
    /// `(smaller id, larger id)`.
    pub relations: HashMap<(u32, u32), Scenario>,
}

impl TestSet {
    /// The relation between two true persons ([`Scenario::Other`] if none).
    pub fn relation(&self, a: u32, b: u32) -> Scenario {
        self.relations
            .get(&(a.min(b), a.max(b)))
            .copied()
            .unwrap_or(Scenario::Other)
    }
}
