//! Diagnostics for tuning the matcher (the harness's `--show-misses` and
//! `--show-false-links`): for a true match that was not auto-linked, or an
//! auto-link into another true person, the per-field levels, weights and
//! guards of the pair, and whether the pair shared a blocking key at all.
//!
//! Pairs are re-assessed against the final index, one stored record at a
//! time, so a score can differ slightly from the one at registration time
//! where weights depend on what the index held then.

use std::collections::HashMap;

use super::TestSet;
use super::evaluate::{Outcome, Registrations};
use crate::blocking;
use crate::decision::{Assessment, Band, PersonId};
use crate::record::NormalizedRecord;

/// One registration and the earlier record that explains its outcome.
#[derive(Debug, Clone)]
pub struct PairDiagnosis {
    /// The registered record (position in the test set).
    pub record: usize,
    /// The earlier record it is judged against: the best-scoring record of
    /// its true person (a miss) or of the stranger it was linked to (a
    /// false link).
    pub other: usize,
    /// What the registration decided, and its score.
    pub band: Band,
    pub score: f64,
    /// Whether the two records share a blocking key (if not, they were
    /// never compared).
    pub shares_block: bool,
    /// The pair on its own.
    pub pair: Assessment,
}

/// True matches that were not auto-linked to their true person: each
/// registration whose true person already had records and which was not
/// linked to them alone, judged against the true person's records.
pub fn misses(set: &TestSet, run: &Registrations) -> Vec<PairDiagnosis> {
    diagnose(set, run, |set, o, earlier| {
        let truth = set.records[o.record].truth;
        let linked_right = o.band == Band::AutoLink
            && !earlier.person.is_empty()
            && earlier
                .person
                .iter()
                .all(|&e| set.records[e].truth == truth);
        if linked_right {
            Vec::new()
        } else {
            earlier.truth.to_vec()
        }
    })
}

/// Auto-links into a person that held another true person's record,
/// judged against that person's records of others.
pub fn false_links(set: &TestSet, run: &Registrations) -> Vec<PairDiagnosis> {
    diagnose(set, run, |set, o, earlier| {
        if o.band != Band::AutoLink {
            return Vec::new();
        }
        let truth = set.records[o.record].truth;
        earlier
            .person
            .iter()
            .copied()
            .filter(|&e| set.records[e].truth != truth)
            .collect()
    })
}

/// Records registered before one outcome (positions in the test set).
struct Earlier<'a> {
    /// Of the registration's true person.
    truth: &'a [usize],
    /// Of the person it was placed in.
    person: &'a [usize],
}

/// Picks the earlier records to judge one outcome against (none: nothing
/// to report).
type Selector = fn(&TestSet, &Outcome, Earlier<'_>) -> Vec<usize>;

/// Replays the registrations in order, judging each against the earlier
/// records `select` picks, and keeping the best-scoring pair.
fn diagnose(set: &TestSet, run: &Registrations, select: Selector) -> Vec<PairDiagnosis> {
    let mut by_truth: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_person: HashMap<PersonId, Vec<usize>> = HashMap::new();
    let mut out = Vec::new();
    for o in &run.outcomes {
        let r = &set.records[o.record];
        let earlier = Earlier {
            truth: by_truth.get(&r.truth).map_or(&[], Vec::as_slice),
            person: by_person.get(&o.person).map_or(&[], Vec::as_slice),
        };
        let best = select(set, o, earlier)
            .into_iter()
            .filter_map(|e| {
                let pair = run
                    .index
                    .compare_with(&r.demographics, &set.records[e].key)?;
                Some((e, pair))
            })
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
        if let Some((other, pair)) = best {
            let keys = blocking::keys(&NormalizedRecord::from_demographics(&r.demographics));
            let other_keys = blocking::keys(&NormalizedRecord::from_demographics(
                &set.records[other].demographics,
            ));
            out.push(PairDiagnosis {
                record: o.record,
                other,
                band: o.band,
                score: o.score,
                shares_block: keys.iter().any(|k| other_keys.contains(k)),
                pair,
            });
        }
        by_truth.entry(r.truth).or_default().push(o.record);
        by_person.entry(o.person).or_default().push(o.record);
    }
    out
}

/// A one-line rendering of a normalized record (generated data only: real
/// records must never be printed).
pub fn describe(record: &NormalizedRecord) -> String {
    let date = record.birth_date.map_or_else(
        || "-".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    );
    format!(
        "{} / {}{} / {date} / {:?} / {} {} / phones {} / ids {}",
        record.given,
        record.family,
        record
            .generation
            .map_or_else(String::new, |g| format!(" ({g:?})")),
        record.sex,
        record.street,
        record.postcode,
        record.phones.len(),
        record.identifiers.len()
    )
}
