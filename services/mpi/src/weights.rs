//! Fellegi–Sunter parameters: for each compared field and each level of
//! agreement, the probability `m` of that level among true matches and `u`
//! among non-matches, and the log-likelihood weights derived from them.
//!
//! The defaults are configured by hand from what registration data looks
//! like (how often a true match's phone differs, how often two strangers
//! share a birth date within a block); [`crate::em`] can re-estimate them
//! from a data set. Thresholds live in [`MatchConfig`] next to them because
//! the two only make sense together.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// A compared field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Given,
    /// Middle names (given names after the first).
    Middle,
    Family,
    BirthDate,
    Sex,
    Street,
    Postcode,
    Phone,
    NationalId,
    Mrn,
    Insurance,
}

/// Number of compared fields.
pub const FIELD_COUNT: usize = 11;

impl Field {
    /// All fields, in the order explanations list them.
    pub const ALL: [Field; FIELD_COUNT] = [
        Field::Given,
        Field::Middle,
        Field::Family,
        Field::BirthDate,
        Field::Sex,
        Field::Street,
        Field::Postcode,
        Field::Phone,
        Field::NationalId,
        Field::Mrn,
        Field::Insurance,
    ];

    /// Position in [`Field::ALL`] and in weight tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How well a field agrees between two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Equal after normalization (nicknames count as equal).
    Exact,
    /// A typo apart: one edit, or Jaro–Winkler above the threshold.
    Close,
    /// Weaker agreement: an initial, a shared token of a double name, a
    /// transposed day and month, a year-only date.
    Partial,
    /// Present on both and different.
    Disagree,
    /// Absent on either side: no evidence, weight 0.
    Missing,
}

/// Number of levels that carry an `m`/`u` pair (all but `Missing`).
pub const LEVEL_COUNT: usize = 4;

impl Level {
    /// Position in a field's probability table (`None` for `Missing`).
    pub fn index(self) -> Option<usize> {
        match self {
            Level::Exact => Some(0),
            Level::Close => Some(1),
            Level::Partial => Some(2),
            Level::Disagree => Some(3),
            Level::Missing => None,
        }
    }
}

/// `m` and `u` for one field's agreement levels (exact, close, partial).
/// Disagreement takes the rest: `1 - Σm` and `1 - Σu`, which makes its
/// weight the classic `log2((1-m)/(1-u))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FieldProbabilities {
    pub m: [f64; 3],
    pub u: [f64; 3],
}

impl FieldProbabilities {
    const fn new(m: [f64; 3], u: [f64; 3]) -> Self {
        Self { m, u }
    }

    /// `m` of a level (disagreement included).
    pub fn m_of(&self, level_index: usize) -> f64 {
        match level_index {
            3 => 1.0 - self.m.iter().sum::<f64>(),
            i => self.m[i],
        }
    }

    /// `u` of a level (disagreement included).
    pub fn u_of(&self, level_index: usize) -> f64 {
        match level_index {
            3 => 1.0 - self.u.iter().sum::<f64>(),
            i => self.u[i],
        }
    }
}

/// Probabilities smaller than this are treated as this, so that a level
/// never seen in estimation gets a large but finite weight.
const FLOOR: f64 = 1e-7;

/// Per-field probabilities and the weights derived from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub fields: [FieldProbabilities; FIELD_COUNT],
}

impl Weights {
    /// The weight a field contributes at a level: `log2(m/u)`, 0 when the
    /// field is missing.
    pub fn weight(&self, field: Field, level: Level) -> f64 {
        let Some(i) = level.index() else {
            return 0.0;
        };
        let p = &self.fields[field.index()];
        (p.m_of(i).max(FLOOR) / p.u_of(i).max(FLOOR)).log2()
    }
}

impl Default for Weights {
    /// Hand-configured values. `u` approximates the chance of the level
    /// between two random different persons (a birth date is shared by
    /// about one pair in 30,000); the auto-link threshold then has to
    /// exceed the prior odds against a match, about log2 of the population.
    fn default() -> Self {
        use FieldProbabilities as P;
        let mut fields = [P::new([0.0; 3], [0.0; 3]); FIELD_COUNT];
        // Given: exact (nicknames included) / typo / initial or other token.
        fields[Field::Given.index()] = P::new([0.88, 0.06, 0.03], [0.007, 0.004, 0.03]);
        // Middle: full name equal / initial fits / -.
        fields[Field::Middle.index()] = P::new([0.6, 0.0, 0.3], [0.01, 0.0, 0.06]);
        // Family: marriage makes true disagreement common (5%).
        fields[Field::Family.index()] = P::new([0.86, 0.05, 0.03], [0.003, 0.002, 0.002]);
        // Birth date: exact / one-digit typo / transposed or year only. A
        // date has ~20 one-digit neighbours, hence the higher u of "close".
        fields[Field::BirthDate.index()] = P::new([0.95, 0.025, 0.02], [0.000_05, 0.001, 0.0005]);
        fields[Field::Sex.index()] = P::new([0.98, 0.0, 0.0], [0.5, 0.0, 0.0]);
        // Address: people move (m of disagreement 0.2).
        fields[Field::Street.index()] = P::new([0.72, 0.08, 0.0], [0.005, 0.001, 0.0]);
        fields[Field::Postcode.index()] = P::new([0.8, 0.0, 0.0], [0.03, 0.0, 0.0]);
        // Phone: households share numbers; numbers change.
        fields[Field::Phone.index()] = P::new([0.75, 0.0, 0.0], [0.002, 0.0, 0.0]);
        // National id: one digit typo counts as partial agreement.
        fields[Field::NationalId.index()] = P::new([0.96, 0.0, 0.03], [0.000_02, 0.0, 0.0005]);
        fields[Field::Mrn.index()] = P::new([0.95, 0.0, 0.0], [0.000_02, 0.0, 0.0]);
        fields[Field::Insurance.index()] = P::new([0.9, 0.0, 0.0], [0.0005, 0.0, 0.0]);
        Self { fields }
    }
}

/// Matching configuration: weights, thresholds and candidate limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchConfig {
    pub weights: Weights,
    /// Total weight at or above which a record links automatically (guards
    /// permitting).
    pub auto_link_threshold: f64,
    /// Total weight at or above which a record goes to the review queue.
    pub review_threshold: f64,
    /// Jaro–Winkler similarity at or above which two names are "close".
    pub name_similarity: f64,
    /// Blocks larger than this are not scanned (a placeholder value or a
    /// very common name would otherwise make registration cost grow with
    /// the index).
    pub max_block_size: usize,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            auto_link_threshold: 21.0,
            review_threshold: 10.0,
            name_similarity: 0.92,
            max_block_size: 500,
        }
    }
}

impl MatchConfig {
    /// Checks that thresholds are ordered and probabilities are valid.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // Written so that a NaN threshold fails too.
        let ordered = self.review_threshold < self.auto_link_threshold;
        if !ordered {
            return Err(ConfigError::ThresholdOrder {
                review: self.review_threshold,
                auto_link: self.auto_link_threshold,
            });
        }
        if !(0.0..=1.0).contains(&self.name_similarity) {
            return Err(ConfigError::NameSimilarity(self.name_similarity));
        }
        if self.max_block_size == 0 {
            return Err(ConfigError::BlockSize);
        }
        for field in Field::ALL {
            let p = &self.weights.fields[field.index()];
            let valid = |xs: &[f64; 3]| {
                xs.iter().all(|x| (0.0..=1.0).contains(x)) && xs.iter().sum::<f64>() <= 1.0
            };
            if !valid(&p.m) || !valid(&p.u) {
                return Err(ConfigError::Probabilities(field));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid_and_weights_have_the_right_sign() {
        let config = MatchConfig::default();
        assert!(config.validate().is_ok());
        for field in Field::ALL {
            assert!(
                config.weights.weight(field, Level::Exact) > 0.0,
                "{field:?}"
            );
            assert!(
                config.weights.weight(field, Level::Disagree) < 0.0,
                "{field:?}"
            );
            assert_eq!(config.weights.weight(field, Level::Missing), 0.0);
        }
    }

    #[test]
    fn inverted_thresholds_are_rejected() {
        let config = MatchConfig {
            review_threshold: 30.0,
            ..MatchConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::ThresholdOrder { .. })
        ));
    }
}
