//! Unsupervised re-estimation of `m`/`u` by expectation–maximization.
//!
//! Hand-set probabilities drift from reality as populations and source
//! systems change. Given the comparisons of candidate pairs (pairs that
//! share a blocking key, a mix of matches and non-matches with no labels),
//! EM fits a two-class mixture under the usual Fellegi–Sunter assumption
//! that fields are independent within each class. It starts from the
//! configured weights, which anchors the "match" class to the one where
//! fields agree.

use crate::score::Comparison;
use crate::weights::{FIELD_COUNT, FieldProbabilities, LEVEL_COUNT, Weights};

/// Settings of one EM run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmSettings {
    pub max_iterations: usize,
    /// Stop when no probability moves more than this.
    pub tolerance: f64,
    /// Initial share of matches among the pairs.
    pub initial_match_share: f64,
    /// Pseudo-count added to every level, so unseen levels keep a small,
    /// finite probability.
    pub pseudo_count: f64,
}

impl Default for EmSettings {
    fn default() -> Self {
        Self {
            max_iterations: 50,
            tolerance: 1e-5,
            initial_match_share: 0.1,
            pseudo_count: 0.5,
        }
    }
}

/// The estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EmEstimate {
    pub weights: Weights,
    /// Estimated share of true matches among the pairs.
    pub match_share: f64,
    pub iterations: usize,
    pub converged: bool,
}

type Table = [[f64; LEVEL_COUNT]; FIELD_COUNT];

fn table(weights: &Weights, m: bool) -> Table {
    let mut t = [[0.0; LEVEL_COUNT]; FIELD_COUNT];
    for (f, row) in t.iter_mut().enumerate() {
        let p = &weights.fields[f];
        for (l, cell) in row.iter_mut().enumerate() {
            *cell = if m { p.m_of(l) } else { p.u_of(l) }.max(1e-9);
        }
    }
    t
}

/// Re-estimates `m`/`u` from unlabeled comparisons, starting at `initial`.
pub fn estimate(comparisons: &[Comparison], initial: &Weights, settings: EmSettings) -> EmEstimate {
    let mut m = table(initial, true);
    let mut u = table(initial, false);
    let mut share = settings.initial_match_share;
    let mut iterations = 0;
    let mut converged = false;
    if comparisons.is_empty() {
        return EmEstimate {
            weights: initial.clone(),
            match_share: share,
            iterations,
            converged,
        };
    }
    while iterations < settings.max_iterations && !converged {
        iterations += 1;
        let mut m_counts = [[settings.pseudo_count; LEVEL_COUNT]; FIELD_COUNT];
        let mut u_counts = [[settings.pseudo_count; LEVEL_COUNT]; FIELD_COUNT];
        let mut expected_matches = 0.0;
        for c in comparisons {
            // E-step in log space: ten small probabilities multiply to
            // numbers that are fine in f64, but log space costs nothing.
            let (mut log_m, mut log_u) = (share.ln(), (1.0 - share).ln());
            for (f, level) in c.levels.iter().enumerate() {
                if let Some(l) = level.index() {
                    log_m += m[f][l].ln();
                    log_u += u[f][l].ln();
                }
            }
            let g = 1.0 / (1.0 + (log_u - log_m).exp());
            expected_matches += g;
            for (f, level) in c.levels.iter().enumerate() {
                if let Some(l) = level.index() {
                    m_counts[f][l] += g;
                    u_counts[f][l] += 1.0 - g;
                }
            }
        }
        // M-step.
        let mut delta: f64 = 0.0;
        for f in 0..FIELD_COUNT {
            let (m_total, u_total): (f64, f64) =
                (m_counts[f].iter().sum(), u_counts[f].iter().sum());
            for l in 0..LEVEL_COUNT {
                let (new_m, new_u) = (m_counts[f][l] / m_total, u_counts[f][l] / u_total);
                delta = delta
                    .max((new_m - m[f][l]).abs())
                    .max((new_u - u[f][l]).abs());
                m[f][l] = new_m;
                u[f][l] = new_u;
            }
        }
        let new_share = (expected_matches / comparisons.len() as f64).clamp(1e-6, 1.0 - 1e-6);
        delta = delta.max((new_share - share).abs());
        share = new_share;
        converged = delta < settings.tolerance;
    }
    let mut weights = initial.clone();
    for (f, p) in weights.fields.iter_mut().enumerate() {
        *p = FieldProbabilities {
            m: [m[f][0], m[f][1], m[f][2]],
            u: [u[f][0], u[f][1], u[f][2]],
        };
    }
    EmEstimate {
        weights,
        match_share: share,
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::{Field, Level};

    fn pair(levels: [Level; 3]) -> Comparison {
        let mut all = [Level::Missing; FIELD_COUNT];
        all[Field::Given.index()] = levels[0];
        all[Field::Family.index()] = levels[1];
        all[Field::BirthDate.index()] = levels[2];
        Comparison {
            levels: all,
            generation_conflict: false,
            one_sided_generation: false,
            first_names: crate::score::FirstNames::Unknown,
        }
    }

    /// 200 matches agreeing on nearly everything and 800 non-matches
    /// agreeing on one field at most: EM must find roughly the 20% match
    /// share (the mixture cannot tell every odd match apart) and
    /// strong positive weights for agreement.
    #[test]
    fn em_converges_on_a_tiny_synthetic_set() {
        use Level::{Disagree as D, Exact as E};
        let mut pairs = Vec::new();
        for i in 0..200 {
            pairs.push(pair(if i % 10 == 0 { [E, D, E] } else { [E, E, E] }));
        }
        for i in 0..800 {
            pairs.push(pair(match i % 4 {
                0 => [E, D, D],
                1 => [D, E, D],
                2 => [D, D, E],
                _ => [D, D, D],
            }));
        }
        let estimate = estimate(&pairs, &Weights::default(), EmSettings::default());
        assert!(
            estimate.converged,
            "did not converge in {} iterations",
            estimate.iterations
        );
        assert!(
            (estimate.match_share - 0.2).abs() < 0.05,
            "share {}",
            estimate.match_share
        );
        let w = &estimate.weights;
        for field in [Field::Given, Field::Family, Field::BirthDate] {
            assert!(w.weight(field, Level::Exact) > 1.0, "{field:?}");
            assert!(w.weight(field, Level::Disagree) < -1.0, "{field:?}");
        }
        // Fields absent from every pair keep no evidence either way.
        assert_eq!(w.weight(Field::Phone, Level::Missing), 0.0);
    }
}
