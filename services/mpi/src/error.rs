//! Errors of the matching crate. Matching itself cannot fail (missing or
//! unparsable data is simply no evidence); what can be wrong is the
//! configuration an operator supplies.

use crate::weights::Field;

/// An invalid [`crate::MatchConfig`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "review_threshold ({review}) must be below auto_link_threshold ({auto_link}): \
         otherwise nothing can reach the review queue"
    )]
    ThresholdOrder { review: f64, auto_link: f64 },
    #[error("name_similarity ({0}) must be between 0 and 1 (Jaro-Winkler similarity)")]
    NameSimilarity(f64),
    #[error("max_block_size must be at least 1")]
    BlockSize,
    #[error(
        "m/u probabilities of field {0:?} must each be within 0..=1 and sum to at most 1 \
         over the agreement levels"
    )]
    Probabilities(Field),
}
