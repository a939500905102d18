//! Deterministic rules on top of the probabilistic score: what a strong
//! identifier may decide on its own, and the guards that forbid an
//! automatic link whatever the score says.
//!
//! Scores add evidence up; some combinations are not "a bit less likely"
//! but a different person: a twin shares everything except the first name,
//! a father and son share the name and address but not the birth date, and
//! a mistyped SSN makes two strangers share an identifier. Each guard names
//! one such pattern, so an operator reading the review queue sees why.

use serde::{Deserialize, Serialize};

use crate::score::{Comparison, FirstNames};
use crate::weights::{Field, Level};

/// A reason a pair of records must not be linked automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Birth date (allowing a typo) and family name agree, first names or
    /// sexes do not: twins. Routed to a new person when the first names clearly
    /// differ and no identifier agrees; otherwise to review.
    Siblings,
    /// First names differ beyond a typo, a nickname or an initial: a
    /// relative at the same address, or another person.
    FirstNameConflict,
    /// Both records carry generational suffixes and they differ (Jr/Sr).
    Generation,
    /// One record carries a generational suffix, so a namesake father or
    /// son exists, and the birth date that tells them apart is missing:
    /// name and address cannot say which of the two the other record is.
    NamesakeWithoutBirthDate,
    /// Birth dates clearly differ (not a typo, not a transposition):
    /// parent and child with one name, or a mistyped identifier.
    BirthDateConflict,
    /// Both carry a national id of the same system and they clearly differ.
    NationalIdConflict,
    /// An identifier agrees but first name and birth date do not: an
    /// identifier typed wrongly once, shared by two people.
    IdentifierWithoutDemographics,
}

impl Guard {
    /// Whether this guard keeps the pair out of the review queue too (the
    /// evidence says "different people", not "unsure").
    pub fn excludes_review(self, comparison: &Comparison) -> bool {
        self == Guard::Siblings
            && comparison.first_names == FirstNames::Different
            && !identifier_agrees(comparison)
    }

    /// Whether the guard doubts only the first name or sex of a look-alike:
    /// the person may still be the patient, typed with a name a letter off
    /// or the wrong sex. The others say the records disagree on who the
    /// person is (birth, generation, identifiers).
    pub fn doubts_only_names(self) -> bool {
        matches!(self, Guard::Siblings | Guard::FirstNameConflict)
    }
}

fn identifier_agrees(c: &Comparison) -> bool {
    c.level(Field::NationalId) == Level::Exact || c.level(Field::Mrn) == Level::Exact
}

/// The guards a comparison triggers (empty when auto-linking is allowed).
pub fn guards(c: &Comparison) -> Vec<Guard> {
    let mut out = Vec::new();
    let birth = c.level(Field::BirthDate);
    let names_differ = matches!(c.first_names, FirstNames::Similar | FirstNames::Different);
    let birth_fits = matches!(birth, Level::Exact | Level::Close | Level::Partial);
    let family_fits = matches!(
        c.level(Field::Family),
        Level::Exact | Level::Close | Level::Partial
    );
    let sexes_differ = c.level(Field::Sex) == Level::Disagree;
    if (names_differ || sexes_differ) && birth_fits && family_fits {
        out.push(Guard::Siblings);
    } else if names_differ {
        out.push(Guard::FirstNameConflict);
    }
    if c.generation_conflict {
        out.push(Guard::Generation);
    }
    if c.one_sided_generation && birth == Level::Missing {
        out.push(Guard::NamesakeWithoutBirthDate);
    }
    if birth == Level::Disagree {
        out.push(Guard::BirthDateConflict);
    }
    if c.level(Field::NationalId) == Level::Disagree {
        out.push(Guard::NationalIdConflict);
    }
    let strong_id = identifier_agrees(c) || c.level(Field::Insurance) == Level::Exact;
    if strong_id && c.first_names == FirstNames::Different && birth == Level::Disagree {
        out.push(Guard::IdentifierWithoutDemographics);
    }
    out
}

/// The deterministic identifier rule: the same national id or the same MRN
/// of one system, with the first name and the birth date agreeing at least
/// as a typo would, links even when other fields (a married name, an old
/// address) pull the score below the threshold. Guards still apply.
pub fn identifier_rule(c: &Comparison) -> bool {
    identifier_agrees(c)
        && matches!(c.level(Field::Given), Level::Exact | Level::Close)
        && matches!(
            c.level(Field::BirthDate),
            Level::Exact | Level::Close | Level::Partial
        )
}
