//! Field comparators and the Fellegi–Sunter score: each field of two
//! normalized records gets a [`Level`], each level a weight, and the score
//! is their sum (the name comparators are in [`crate::names`]). The
//! comparison is kept apart from the weights so that the EM estimator can
//! re-weigh the same comparisons.

use serde::{Deserialize, Serialize};
use strsim::{jaro_winkler, osa_distance};

use crate::frequency::NameCounts;
use crate::names;
use crate::normalize::IdKind;
use crate::record::NormalizedRecord;
use crate::rules::Guard;
use crate::weights::{FIELD_COUNT, Field, Level, Weights};

/// The levels of every field for one pair of records, plus the facts the
/// guards need that are not a field level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison {
    pub levels: [Level; FIELD_COUNT],
    /// Both records carry a generational suffix and they differ (Jr/Sr).
    pub generation_conflict: bool,
    /// Exactly one record carries a generational suffix: a namesake
    /// relative exists, and the other record may be either of them.
    pub one_sided_generation: bool,
    /// How the two first names relate (the guards need more than the level:
    /// "Jose" vs "Gary Jose" is a partial agreement of given names, but
    /// two different first names).
    pub first_names: FirstNames,
}

/// How two first names relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstNames {
    /// Equal, or nicknames of one name.
    Same,
    /// A typing error apart.
    Typo,
    /// One is an initial that fits the other.
    Initial,
    /// Different but alike (Jaro–Winkler ≥ 0.8): a mangled spelling or two
    /// names of a family ("Daniel"/"Danielle").
    Similar,
    /// Clearly different names.
    Different,
    /// Missing on either side.
    Unknown,
}

impl Comparison {
    /// The level of one field.
    pub fn level(&self, field: Field) -> Level {
        self.levels[field.index()]
    }

    /// The total weight (same order of summation as [`Explanation`]).
    pub fn score(&self, weights: &Weights) -> f64 {
        Field::ALL
            .iter()
            .map(|&f| weights.weight(f, self.level(f)))
            .sum()
    }
}

/// One field's part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FieldScore {
    pub field: Field,
    pub level: Level,
    pub weight: f64,
}

/// Why a decision came out as it did: per field the level and the weight
/// it added, the guards that fired, and the total. It names fields and
/// levels only, never values, so it can be logged and shown without PHI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub fields: Vec<FieldScore>,
    pub guards: Vec<Guard>,
    /// Whether a deterministic identifier rule linked despite a total below
    /// the auto-link threshold.
    pub identifier_rule: bool,
    pub total: f64,
}

impl Explanation {
    /// The explanation of one comparison under `weights`.
    pub fn of(comparison: &Comparison, weights: &Weights, guards: Vec<Guard>) -> Self {
        let fields: Vec<FieldScore> = Field::ALL
            .iter()
            .map(|&field| {
                let level = comparison.level(field);
                FieldScore {
                    field,
                    level,
                    weight: weights.weight(field, level),
                }
            })
            .collect();
        let total = fields.iter().map(|f| f.weight).sum();
        Self {
            fields,
            guards,
            identifier_rule: false,
            total,
        }
    }
}

/// Compares two normalized records field by field, without name
/// frequencies: every spelling a typo apart from another may be its typo.
pub fn compare(a: &NormalizedRecord, b: &NormalizedRecord, name_similarity: f64) -> Comparison {
    compare_with_counts(a, b, name_similarity, &NameCounts::default())
}

/// Compares two normalized records field by field, telling misspellings
/// from other names by how often each spelling occurs (`counts`, the
/// records of the index the candidate comes from).
pub fn compare_with_counts(
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    name_similarity: f64,
    counts: &NameCounts,
) -> Comparison {
    let mut levels = [Level::Missing; FIELD_COUNT];
    let (given_level, first_names) = names::given(&a.given, &b.given, name_similarity, counts);
    levels[Field::Given.index()] = given_level;
    levels[Field::Middle.index()] = names::middle(&a.given, &b.given);
    levels[Field::Family.index()] = names::family(&a.family, &b.family, name_similarity, counts);
    levels[Field::BirthDate.index()] = birth_date(a, b);
    levels[Field::Sex.index()] = match (a.sex, b.sex) {
        (Some(x), Some(y)) if x == y => Level::Exact,
        (Some(_), Some(_)) => Level::Disagree,
        _ => Level::Missing,
    };
    levels[Field::Street.index()] = street(&a.street, &b.street, name_similarity);
    levels[Field::Postcode.index()] = exact(&a.postcode, &b.postcode);
    levels[Field::Phone.index()] = if a.phones.is_empty() || b.phones.is_empty() {
        Level::Missing
    } else if a.phones.iter().any(|p| b.phones.contains(p)) {
        Level::Exact
    } else {
        Level::Disagree
    };
    levels[Field::NationalId.index()] = identifiers(a, b, IdKind::National);
    levels[Field::Mrn.index()] = identifiers(a, b, IdKind::Mrn);
    levels[Field::Insurance.index()] = identifiers(a, b, IdKind::Insurance);
    Comparison {
        levels,
        generation_conflict: matches!((a.generation, b.generation), (Some(x), Some(y)) if x != y),
        one_sided_generation: a.generation.is_some() != b.generation.is_some(),
        first_names,
    }
}

/// One typing error apart (insertion, deletion, substitution or swap of
/// adjacent characters), or two in a long string. Below three characters
/// one edit makes another value ("Al"/"Ed"), so short ones must be equal.
pub(crate) fn typo(a: &str, b: &str) -> bool {
    let shorter = a.len().min(b.len());
    let edits = if shorter >= 6 { 2 } else { 1 };
    // Lengths further apart than the edits allowed cannot be a typo; this
    // spares the distance (which allocates) for most pairs of names.
    let lengths_fit = || a.chars().count().abs_diff(b.chars().count()) <= edits;
    shorter >= 3 && lengths_fit() && osa_distance(a, b) <= edits
}

/// Birth dates: equal → exact; one digit wrong, two adjacent digits
/// swapped, or only the month different → close; day and month
/// transposed, or only the year known on one side and equal → partial.
///
/// A month picked from the wrong line of a list or typed wrongly changes
/// both of its digits but leaves year and day, so it is a typo, not a
/// conflict; a parent or child has another year and keeps the
/// [`crate::Guard::BirthDateConflict`].
fn birth_date(a: &NormalizedRecord, b: &NormalizedRecord) -> Level {
    let (Some(x), Some(y)) = (a.birth_date, b.birth_date) else {
        return Level::Missing;
    };
    if !x.is_full() || !y.is_full() {
        let months_fit = x.month == y.month || x.month == 0 || y.month == 0;
        return if x.year == y.year && months_fit {
            Level::Partial
        } else {
            Level::Disagree
        };
    }
    if x == y {
        return Level::Exact;
    }
    if x.year == y.year && x.month == y.day && x.day == y.month {
        return Level::Partial;
    }
    let (dx, dy) = (x.digits(), y.digits());
    let differing: Vec<usize> = (0..8).filter(|&i| dx[i] != dy[i]).collect();
    let adjacent_swap = matches!(differing.as_slice(), [i, j]
        if *j == i + 1 && dx[*i] == dy[*j] && dx[*j] == dy[*i]);
    let only_month = x.year == y.year && x.day == y.day;
    if differing.len() == 1 || adjacent_swap || only_month {
        Level::Close
    } else {
        Level::Disagree
    }
}

/// Street lines: equal → exact; a typo apart, or the same house number and
/// a similar street → close.
fn street(a: &str, b: &str, threshold: f64) -> Level {
    if a.is_empty() || b.is_empty() {
        return Level::Missing;
    }
    if a == b {
        return Level::Exact;
    }
    let same_number_similar_street = match (a.split_once(' '), b.split_once(' ')) {
        (Some((na, ra)), Some((nb, rb))) => na == nb && jaro_winkler(ra, rb) >= threshold,
        _ => false,
    };
    if typo(a, b) || same_number_similar_street {
        Level::Close
    } else {
        Level::Disagree
    }
}

fn exact(a: &str, b: &str) -> Level {
    if a.is_empty() || b.is_empty() {
        Level::Missing
    } else if a == b {
        Level::Exact
    } else {
        Level::Disagree
    }
}

/// Identifiers of one kind, compared only within the same assigning system:
/// equal → exact; for national ids a single typo → partial; otherwise
/// disagree; no shared system → missing.
fn identifiers(a: &NormalizedRecord, b: &NormalizedRecord, kind: IdKind) -> Level {
    let mut level = Level::Missing;
    for x in a.identifiers.iter().filter(|id| id.kind == kind) {
        for y in b.identifiers.iter().filter(|id| id.system == x.system) {
            if x.value == y.value {
                return Level::Exact;
            }
            let typo = kind == IdKind::National && osa_distance(&x.value, &y.value) <= 1;
            level = match (level, typo) {
                (Level::Partial, _) | (_, true) => Level::Partial,
                _ => Level::Disagree,
            };
        }
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::{Demographics, Identifier};

    fn record(given: &str, family: &str, birth: &str) -> NormalizedRecord {
        NormalizedRecord::from_demographics(&Demographics {
            given: vec![given.into()],
            family: Some(family.into()),
            birth_date: Some(birth.into()),
            ..Demographics::default()
        })
    }

    #[test]
    fn transposed_day_and_month_is_partial_and_digit_typo_close() {
        let a = record("ann", "lee", "1980-03-07");
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1980-07-03")),
            Level::Partial
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1980-03-08")),
            Level::Close
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1908-03-07")),
            Level::Close
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1980")),
            Level::Partial
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1980-11-07")),
            Level::Close,
            "only the month differs"
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1955-11-21")),
            Level::Disagree
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1955-03-07")),
            Level::Disagree,
            "another year is another generation"
        );
        assert_eq!(
            birth_date(&a, &record("ann", "lee", "1980-11-27")),
            Level::Disagree
        );
    }

    #[test]
    fn explanation_weights_sum_to_the_score() {
        let weights = Weights::default();
        let mut a = record("robert", "smith", "1970-01-02");
        let mut b = record("bob", "smyth", "1970-02-01");
        let ssn = |v: &str| {
            NormalizedRecord::from_demographics(&Demographics {
                identifiers: vec![Identifier {
                    system: "http://hl7.org/fhir/sid/us-ssn".into(),
                    value: v.into(),
                }],
                ..Demographics::default()
            })
            .identifiers
        };
        a.identifiers = ssn("123456789");
        b.identifiers = ssn("123456780");
        let cmp = compare(&a, &b, 0.92);
        assert_eq!(cmp.level(Field::NationalId), Level::Partial);
        let explanation = Explanation::of(&cmp, &weights, Vec::new());
        let sum: f64 = explanation.fields.iter().map(|f| f.weight).sum();
        assert_eq!(explanation.total, sum);
        assert_eq!(explanation.total, cmp.score(&weights));
        assert_eq!(explanation.fields.len(), FIELD_COUNT);
    }
}
