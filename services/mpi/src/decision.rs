//! From scored candidates to a decision: auto-link, review, or new person.
//!
//! [`Matcher`] knows nothing about where candidates come from: the
//! in-memory [`crate::MatchIndex`] feeds it from its blocks, the locator can
//! feed it rows fetched by blocking key from its database. Either way the
//! same thresholds, guards and explanations apply.

use serde::{Deserialize, Serialize};

use crate::frequency::NameCounts;
use crate::record::NormalizedRecord;
use crate::rules::{self, Guard};
use crate::score::{self, Comparison, Explanation};
use crate::weights::MatchConfig;

/// How far (in bits) the best linkable person must lead the next one for
/// an automatic link when two persons qualify.
const AMBIGUITY_MARGIN: f64 = 8.0;

/// A network person: the set of records judged to be one patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PersonId(pub u64);

/// The outcome band of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Linked to an existing person without human review.
    AutoLink,
    /// Possibly an existing person: an operator decides. Meanwhile the
    /// record stands as its own person.
    Review,
    /// No plausible existing person.
    NewPerson,
}

/// One existing record offered for comparison, with the person it belongs
/// to.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub person: PersonId,
    pub record: &'a NormalizedRecord,
}

/// What the matcher concluded about an incoming record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub band: Band,
    /// The person to link to (auto-link) or most likely person (review);
    /// `None` for a new person.
    pub person: Option<PersonId>,
    /// Total weight against `person` (or the best candidate considered).
    pub score: f64,
    /// Per-field reasoning against the best record of that person.
    pub explanation: Explanation,
    /// Persons scoring at least the review threshold, best first.
    pub candidates: Vec<(PersonId, f64)>,
}

/// Best evidence for one candidate person.
#[derive(Debug)]
struct PersonEvidence {
    person: PersonId,
    score: f64,
    best: Comparison,
    /// Union of guards over all of the person's records: a person whose
    /// any record contradicts the incoming one is not linked automatically.
    guards: Vec<Guard>,
    excludes_review: bool,
    identifier_rule: bool,
}

impl PersonEvidence {
    fn may_auto_link(&self, config: &MatchConfig) -> bool {
        self.guards.is_empty() && (self.score >= config.auto_link_threshold || self.identifier_rule)
    }

    /// Whether this person may be the patient: linkable, or scoring as
    /// high with guards that only doubt the first name (a twin's name a
    /// letter off may be this patient's, typed wrongly).
    fn is_plausible(&self, config: &MatchConfig) -> bool {
        self.may_auto_link(config)
            || (self.score >= config.auto_link_threshold
                && !self.excludes_review
                && self.guards.iter().all(|g| g.doubts_only_names()))
    }
}

/// Scores candidates and decides (stateless apart from its configuration).
#[derive(Debug, Clone)]
pub struct Matcher {
    config: MatchConfig,
}

impl Matcher {
    /// A matcher with the given configuration (see
    /// [`MatchConfig::validate`]).
    pub fn new(config: MatchConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    /// Compares an incoming record with candidate records and decides,
    /// without name frequencies (any spelling may be a typo of a similar
    /// one; see [`Matcher::assess_with_counts`]).
    pub fn assess<'a>(
        &self,
        incoming: &NormalizedRecord,
        candidates: impl IntoIterator<Item = Candidate<'a>>,
    ) -> Assessment {
        self.assess_with_counts(incoming, candidates, &NameCounts::default())
    }

    /// Compares an incoming record with candidate records and decides;
    /// `counts` are the name spellings of the records the candidates come
    /// from, which tell a misspelling from another name.
    pub fn assess_with_counts<'a>(
        &self,
        incoming: &NormalizedRecord,
        candidates: impl IntoIterator<Item = Candidate<'a>>,
        counts: &NameCounts,
    ) -> Assessment {
        let weights = &self.config.weights;
        let mut people: Vec<PersonEvidence> = Vec::new();
        for candidate in candidates {
            let cmp = score::compare_with_counts(
                incoming,
                candidate.record,
                self.config.name_similarity,
                counts,
            );
            let total = cmp.score(weights);
            let guards = rules::guards(&cmp);
            let excludes_review = guards.iter().any(|g| g.excludes_review(&cmp));
            let rule = rules::identifier_rule(&cmp);
            match people.iter_mut().find(|p| p.person == candidate.person) {
                Some(p) => {
                    if total > p.score {
                        p.score = total;
                        p.best = cmp;
                    }
                    for g in guards {
                        if !p.guards.contains(&g) {
                            p.guards.push(g);
                        }
                    }
                    p.excludes_review |= excludes_review;
                    p.identifier_rule |= rule;
                }
                None => people.push(PersonEvidence {
                    person: candidate.person,
                    score: total,
                    best: cmp,
                    guards,
                    excludes_review,
                    identifier_rule: rule,
                }),
            }
        }
        // Best first; ties by id so that decisions are reproducible.
        people.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.person.cmp(&b.person)));

        let candidates: Vec<(PersonId, f64)> = people
            .iter()
            .filter(|p| p.score >= self.config.review_threshold)
            .map(|p| (p.person, p.score))
            .collect();

        // Another person strong enough to be the patient too: the index may
        // hold a duplicate person, or a look-alike (a twin whose name is a
        // letter off) the record may belong to. Link only when the best is
        // far ahead; otherwise an operator must look.
        let best = people.iter().find(|p| p.may_auto_link(&self.config));
        let (band, chosen) = match best {
            Some(best) => {
                let rivalled = people.iter().any(|p| {
                    p.person != best.person
                        && p.is_plausible(&self.config)
                        && best.score - p.score < AMBIGUITY_MARGIN
                });
                let band = if rivalled {
                    Band::Review
                } else {
                    Band::AutoLink
                };
                (band, Some(best))
            }
            None => match people
                .iter()
                .find(|p| p.score >= self.config.review_threshold && !p.excludes_review)
            {
                Some(p) => (Band::Review, Some(p)),
                None => (Band::NewPerson, None),
            },
        };

        let explained = chosen.or(people.first());
        let explanation = explained.map_or_else(Explanation::default, |p| {
            let mut e = Explanation::of(&p.best, weights, p.guards.clone());
            e.identifier_rule = band == Band::AutoLink && p.score < self.config.auto_link_threshold;
            e
        });
        Assessment {
            band,
            person: chosen.map(|p| p.person),
            score: explained.map_or(0.0, |p| p.score),
            explanation,
            candidates,
        }
    }
}
