//! Name comparators: first, middle and family names, with nicknames,
//! typos, and the name frequencies that tell a typo from another name.

use strsim::jaro_winkler;

use crate::frequency::NameCounts;
use crate::nicknames;
use crate::score::{FirstNames, typo};
use crate::weights::Level;

/// A typo apart, or alike by Jaro–Winkler (a longer name mangled).
fn similar(a: &str, b: &str, threshold: f64) -> bool {
    typo(a, b) || (a.len().min(b.len()) >= 4 && jaro_winkler(a, b) >= threshold)
}

/// Two spellings that can be one name typed wrongly: alike enough, and not
/// both established names in the index ("Brian" / "Bryan" are two names,
/// "Brian" / "Brain" a typo).
fn misspelled(a: &str, b: &str, threshold: f64, established: impl Fn(&str) -> bool) -> bool {
    similar(a, b, threshold) && !(established(a) && established(b))
}

/// One first name a typo away from a nickname or formal form of the other:
/// a desk typed "Bety" for Betty where another typed "Elizabeth". Only the
/// side compared as typed may be the typo, and only if the index knows it
/// as rare: "Larry" is a name, not Harry mistyped, so not Henry. A name has
/// several forms and short ones are a letter from many names, so without
/// frequencies (or in a small index) this is not assumed. Forms are taken
/// on one side at a time, so two formal names sharing a nickname
/// (Catherine and Kathleen, both Cathy) do not meet in it.
fn misspelled_other_form(a: &str, b: &str, counts: &NameCounts) -> bool {
    let typo_of_form = |typed: &str, other: &str| {
        nicknames::other_forms(other).any(|form| typo(typed, form)) && counts.given_is_rare(typed)
    };
    typo_of_form(a, b) || typo_of_form(b, a)
}

/// Given names. First names equal or nicknames → exact; misspelled, also
/// from another form of the other's name → close; an initial that fits, a
/// first name found among the other's middle names, or alike spellings that
/// are not a typo (two names of a family, "Daniel" / "Danielle"; two
/// established names a letter apart, "Brian" / "Bryan") → partial.
pub(crate) fn given(a: &str, b: &str, threshold: f64, counts: &NameCounts) -> (Level, FirstNames) {
    let (Some(fa), Some(fb)) = (
        a.split(' ').next().filter(|s| !s.is_empty()),
        b.split(' ').next().filter(|s| !s.is_empty()),
    ) else {
        return (Level::Missing, FirstNames::Unknown);
    };
    if nicknames::equivalent(fa, fb) {
        return (Level::Exact, FirstNames::Same);
    }
    if fa.len() == 1 || fb.len() == 1 {
        return if fa.as_bytes()[0] == fb.as_bytes()[0] {
            (Level::Partial, FirstNames::Initial)
        } else {
            (Level::Disagree, FirstNames::Different)
        };
    }
    let established = |name: &str| counts.given_is_established(name);
    if misspelled(fa, fb, threshold, established) || misspelled_other_form(fa, fb, counts) {
        return (Level::Close, FirstNames::Typo);
    }
    if jaro_winkler(fa, fb) >= 0.8 {
        return (Level::Partial, FirstNames::Similar);
    }
    let crossed = a
        .split(' ')
        .any(|x| x.len() > 1 && b.split(' ').any(|y| nicknames::equivalent(x, y)));
    if crossed {
        (Level::Partial, FirstNames::Different)
    } else {
        (Level::Disagree, FirstNames::Different)
    }
}

/// Middle names (given names after the first): the same full name (or
/// nickname) → exact; initials that fit → partial; both present and
/// different → disagree. Absent on either side is the common case (desks
/// rarely ask), so it is no evidence.
pub(crate) fn middle(a: &str, b: &str) -> Level {
    let (Some((_, ma)), Some((_, mb))) = (a.split_once(' '), b.split_once(' ')) else {
        return Level::Missing;
    };
    let mut level = Level::Disagree;
    for x in ma.split(' ') {
        for y in mb.split(' ') {
            if x.len() > 1 && y.len() > 1 && nicknames::equivalent(x, y) {
                return Level::Exact;
            }
            if x.as_bytes().first() == y.as_bytes().first() && (x.len() == 1 || y.len() == 1) {
                level = Level::Partial;
            }
        }
    }
    level
}

/// Family names: the whole name equal → exact; misspelled → close; one part
/// of a double name shared ("Garcia Lopez" / "Garcia") → partial. Two
/// established names a letter apart ("Hansen" / "Hanson") disagree.
pub(crate) fn family(a: &str, b: &str, threshold: f64, counts: &NameCounts) -> Level {
    if a.is_empty() || b.is_empty() {
        Level::Missing
    } else if a == b {
        Level::Exact
    } else if misspelled(a, b, threshold, |name| counts.family_is_established(name)) {
        Level::Close
    } else if a
        .split(' ')
        .any(|x| x.len() > 1 && b.split(' ').any(|y| x == y))
    {
        Level::Partial
    } else {
        Level::Disagree
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::Demographics;
    use crate::record::NormalizedRecord;

    /// Given names compared without name frequencies.
    fn given_(a: &str, b: &str, t: f64) -> (Level, FirstNames) {
        given(a, b, t, &NameCounts::default())
    }

    /// Counts of an index large enough to tell rare spellings, in which
    /// each of `names` is an established first and family name.
    fn established(names: &[&str]) -> NameCounts {
        let mut counts = NameCounts::default();
        let mut add = |name: &str| {
            counts.add(&NormalizedRecord::from_demographics(&Demographics {
                given: vec![name.into()],
                family: Some(name.into()),
                ..Demographics::default()
            }))
        };
        for name in names {
            (0..10).for_each(|_| add(name));
        }
        (0..5_000).for_each(|i| add(&format!("filler{i}")));
        counts
    }

    #[test]
    fn nickname_and_typo_and_initial_levels() {
        let t = 0.92;
        assert_eq!(given_("bob", "robert", t), (Level::Exact, FirstNames::Same));
        assert_eq!(
            given_("micheal", "michael", t),
            (Level::Close, FirstNames::Typo)
        );
        assert_eq!(
            given_("j", "james", t),
            (Level::Partial, FirstNames::Initial)
        );
        assert_eq!(
            given_("ann marie", "marie", t),
            (Level::Partial, FirstNames::Different)
        );
        assert_eq!(
            given_("john", "peter", t),
            (Level::Disagree, FirstNames::Different)
        );
        assert_eq!(
            given_("", "peter", t),
            (Level::Missing, FirstNames::Unknown)
        );
        assert_eq!(
            given_("catherine", "kathleen", t),
            (Level::Disagree, FirstNames::Different),
            "a shared nickname does not make two formal names one"
        );
        assert_eq!(
            family("garcia lopez", "lopez", t, &NameCounts::default()),
            Level::Partial
        );
    }

    #[test]
    fn a_rare_spelling_a_typo_from_another_form_of_the_name_is_close() {
        let t = 0.92;
        let counts = established(&["betty", "elizabeth", "ken", "kenneth"]);
        assert_eq!(
            given("bety", "elizabeth", t, &counts),
            (Level::Close, FirstNames::Typo),
            "Betty mistyped"
        );
        assert_eq!(
            given("ken", "kenenth", t, &counts),
            (Level::Close, FirstNames::Typo),
            "Kenneth mistyped"
        );
        assert_eq!(
            given_("bety", "elizabeth", t).1,
            FirstNames::Different,
            "without frequencies a rare spelling cannot be told from a name"
        );
    }

    #[test]
    fn two_established_names_a_letter_apart_are_not_a_typo() {
        let t = 0.92;
        let counts = established(&["brian", "bryan", "hansen", "hanson", "larry", "ray"]);
        assert_eq!(
            given("brian", "bryan", t, &counts),
            (Level::Partial, FirstNames::Similar)
        );
        assert_eq!(
            given("brian", "brain", t, &counts),
            (Level::Close, FirstNames::Typo),
            "a rare spelling can be the typo"
        );
        assert_eq!(family("hansen", "hanson", t, &counts), Level::Disagree);
        assert_eq!(family("hansen", "hamsen", t, &counts), Level::Close);
        assert_eq!(
            given("larry", "henry", t, &counts),
            (Level::Disagree, FirstNames::Different),
            "Larry is a name, not Harry (Henry) mistyped"
        );
        assert_eq!(
            given_("brian", "bryan", t),
            (Level::Close, FirstNames::Typo),
            "without frequencies a similar spelling may be a typo"
        );
        assert_eq!(
            given("rya", "raymond", t, &counts),
            (Level::Close, FirstNames::Typo),
            "Ray mistyped"
        );
    }
}
