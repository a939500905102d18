//! Patient matching for Continuum's master patient index.
//!
//! A wrong link shows one patient's record to another patient's clinician,
//! so this crate is built precision first: strong evidence links, doubt goes
//! to an operator's review queue, and every decision says which fields
//! agreed and how much each weighed. Pure computation: no I/O, no clock.
//!
//! The pipeline, one module per step:
//! [`normalize`] (and [`nicknames`]) turn typed demographics into a compact
//! [`NormalizedRecord`]; [`blocking`] picks the candidates worth comparing;
//! [`score`] (and [`names`], with the name spellings' [`frequency`] in the
//! index) compares fields into Fellegi–Sunter levels weighed by
//! [`weights`] (re-estimable with [`em`]); [`rules`] holds the identifier
//! rule and the guards that never let twins, parent and child, or a shared
//! mistyped identifier link automatically; [`decision`] turns scores into a
//! band with an explanation. [`MatchIndex`] is an in-memory store built on
//! that; a database-backed store calls [`Matcher::assess`] with candidates
//! it fetched by [`blocking::keys`]. [`testset`] generates labelled data for
//! the quality harness (`mpi-quality`).

#![forbid(unsafe_code)]

pub mod blocking;
pub mod decision;
pub mod demographics;
pub mod em;
pub mod error;
mod fhir;
pub mod frequency;
pub mod index;
pub mod names;
pub mod nicknames;
pub mod normalize;
pub mod record;
pub mod rules;
pub mod score;
pub mod testset;
pub mod weights;

pub use decision::{Assessment, Band, Candidate, Matcher, PersonId};
pub use demographics::{Address, Demographics, Identifier, Sex};
pub use error::ConfigError;
pub use frequency::NameCounts;
pub use index::{Decision, IndexStats, MatchIndex, RecordKey};
pub use record::NormalizedRecord;
pub use rules::Guard;
pub use score::{Explanation, FieldScore};
pub use weights::{Field, Level, MatchConfig, Weights};
