//! Running a test set through [`MatchIndex`] and measuring the result
//! against the truth: pairwise precision and recall of auto-links, where
//! true matches that were not linked ended up (review or missed), and which
//! hard-negative scenario each false link came from.

use std::collections::{HashMap, HashSet};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Scenario, TestSet};
use crate::blocking::{self, BlockKey};
use crate::decision::{Band, PersonId};
use crate::index::MatchIndex;
use crate::record::NormalizedRecord;
use crate::score::{self, Comparison};
use crate::weights::MatchConfig;

/// What one registration decided, kept compactly for evaluation.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    /// Position of the record in the test set.
    pub(super) record: usize,
    pub(super) person: PersonId,
    pub(super) band: Band,
    pub(super) score: f64,
    pub(super) candidates: Vec<PersonId>,
}

/// An index after registering a whole test set, with each decision.
#[derive(Debug)]
pub struct Registrations {
    pub index: MatchIndex,
    /// In registration order.
    pub(super) outcomes: Vec<Outcome>,
}

/// Registers every record of `set`, in an order shuffled by `order_seed`.
pub fn register_all(set: &TestSet, config: MatchConfig, order_seed: u64) -> Registrations {
    let mut order: Vec<usize> = (0..set.records.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(order_seed));
    let mut index = MatchIndex::new(config);
    let outcomes = order
        .into_iter()
        .map(|i| {
            let r = &set.records[i];
            let d = index.register(r.key.clone(), &r.demographics);
            Outcome {
                record: i,
                person: d.person,
                band: d.band,
                score: d.score,
                candidates: d.candidates.into_iter().map(|(p, _)| p).collect(),
            }
        })
        .collect();
    Registrations { index, outcomes }
}

/// Quality of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityReport {
    pub persons: usize,
    pub records: usize,
    /// Pairs of records placed in one person / truly one person / both.
    pub linked_pairs: u64,
    pub true_pairs: u64,
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Records whose true person already had a registered record.
    pub matchable: u64,
    /// … of which auto-linked to their person.
    pub matchable_linked: u64,
    /// … routed to review with their person among the candidates.
    pub matchable_in_review: u64,
    /// … neither (a new person, or review without their person).
    pub matchable_missed: u64,
    /// Auto-links into a person holding another true person's record, by
    /// the relation between the two.
    pub false_links: HashMap<Scenario, u64>,
    pub review_decisions: u64,
    /// Review decisions whose candidates did not include a true match
    /// (operator work with nothing to find).
    pub review_without_match: u64,
    pub comparisons_per_registration: f64,
    pub oversized_blocks_skipped: u64,
    pub estimated_bytes_per_record: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Measures registrations of `set` against its truth.
pub fn evaluate(set: &TestSet, run: &Registrations) -> QualityReport {
    let mut report = QualityReport {
        persons: set.persons,
        records: set.records.len(),
        ..QualityReport::default()
    };

    // Replay decisions in registration order.
    let mut persons_of_truth: HashMap<u32, Vec<PersonId>> = HashMap::new();
    let mut truths_of_person: HashMap<PersonId, Vec<u32>> = HashMap::new();
    for o in &run.outcomes {
        let truth = set.records[o.record].truth;
        let prior = persons_of_truth.get(&truth).cloned().unwrap_or_default();
        let mut correct_link = false;
        if o.band == Band::AutoLink {
            let strangers: Vec<u32> = truths_of_person
                .get(&o.person)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&t| t != truth)
                .collect();
            match strangers.first() {
                Some(&other) => {
                    *report
                        .false_links
                        .entry(set.relation(truth, other))
                        .or_default() += 1
                }
                None => correct_link = true,
            }
        }
        let true_person_listed = o.candidates.iter().any(|c| prior.contains(c));
        if o.band == Band::Review {
            report.review_decisions += 1;
            if !true_person_listed {
                report.review_without_match += 1;
            }
        }
        if !prior.is_empty() {
            report.matchable += 1;
            if correct_link {
                report.matchable_linked += 1;
            } else if o.band == Band::Review && true_person_listed {
                report.matchable_in_review += 1;
            } else {
                report.matchable_missed += 1;
            }
        }
        truths_of_person.entry(o.person).or_default().push(truth);
        let persons = persons_of_truth.entry(truth).or_default();
        if !persons.contains(&o.person) {
            persons.push(o.person);
        }
    }

    // Pairwise counts over the final grouping.
    let mut cells: HashMap<(PersonId, u32), u64> = HashMap::new();
    let mut by_person: HashMap<PersonId, u64> = HashMap::new();
    let mut by_truth: HashMap<u32, u64> = HashMap::new();
    for r in &set.records {
        let Some(person) = run.index.person_of(&r.key) else {
            continue;
        };
        *cells.entry((person, r.truth)).or_default() += 1;
        *by_person.entry(person).or_default() += 1;
        *by_truth.entry(r.truth).or_default() += 1;
    }
    report.correct_pairs = cells.values().map(|&n| pairs(n)).sum();
    report.linked_pairs = by_person.values().map(|&n| pairs(n)).sum();
    report.true_pairs = by_truth.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    report.precision = ratio(report.correct_pairs, report.linked_pairs);
    report.recall = ratio(report.correct_pairs, report.true_pairs);
    report.f1 = if report.precision + report.recall > 0.0 {
        2.0 * report.precision * report.recall / (report.precision + report.recall)
    } else {
        0.0
    };

    let stats = run.index.stats();
    report.comparisons_per_registration = ratio(stats.comparisons, run.outcomes.len() as u64);
    report.oversized_blocks_skipped = stats.oversized_blocks_skipped;
    report.estimated_bytes_per_record =
        run.index.estimated_bytes() as f64 / run.index.len().max(1) as f64;
    report
}

/// Comparisons of all distinct record pairs that share a blocking key (in
/// blocks within the cap): the unlabeled input EM estimates `m`/`u` from.
pub fn candidate_pair_comparisons(set: &TestSet, config: &MatchConfig) -> Vec<Comparison> {
    let records: Vec<NormalizedRecord> = set
        .records
        .iter()
        .map(|r| NormalizedRecord::from_demographics(&r.demographics))
        .collect();
    let mut blocks: HashMap<BlockKey, Vec<u32>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        for k in blocking::keys(r) {
            blocks.entry(k).or_default().push(i as u32);
        }
    }
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    let mut out = Vec::new();
    for block in blocks.values() {
        if block.len() > config.max_block_size {
            continue;
        }
        for (n, &a) in block.iter().enumerate() {
            for &b in &block[n + 1..] {
                if seen.insert((a.min(b), a.max(b))) {
                    out.push(score::compare(
                        &records[a as usize],
                        &records[b as usize],
                        config.name_similarity,
                    ));
                }
            }
        }
    }
    out
}
