//! Blocking keys: which existing records an incoming one is compared with.
//!
//! Comparing against every person would make registration cost grow with
//! the network. Instead each record gets a handful of keys, and candidates
//! are the records sharing any key. The keys overlap on purpose, so that a
//! typo or a change in one field still leaves another key in common:
//!
//! - family name sound (Double Metaphone) + birth year, per family name part
//!   (a double name may later be typed with one part);
//! - first name sound (nickname resolved) + full birth date (survives a
//!   married name);
//! - birth date + postcode;
//! - first name sound + family name sound (survives a birth date typo);
//! - house number + postcode, the household (survives a mistyped name and
//!   birth date of someone who has not moved);
//! - each identifier (system and value);
//! - each phone number.
//!
//! Keys are 64-bit hashes so that an index (in memory or a database column)
//! stores numbers, not PHI.

use std::hash::{DefaultHasher, Hash, Hasher};

use rphonetic::{DoubleMetaphone, Encoder};

use crate::record::NormalizedRecord;

/// A blocking key (a hash of a tagged key value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockKey(pub u64);

fn key(parts: impl Hash) -> BlockKey {
    // `DefaultHasher::new()` uses fixed keys: the same value gives the same
    // key in every process, which a persisted index relies on.
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    BlockKey(hasher.finish())
}

/// The sound of a name token (Double Metaphone primary code).
fn sound(encoder: &DoubleMetaphone, token: &str) -> Option<String> {
    let code = encoder.encode(token);
    (!code.is_empty()).then_some(code)
}

/// The house number a street line starts with ("12b elm st" → "12b").
fn house_number(street: &str) -> Option<&str> {
    street
        .split(' ')
        .next()
        .filter(|t| t.bytes().next().is_some_and(|b| b.is_ascii_digit()))
}

/// The blocking keys of a record, sorted and without duplicates.
pub fn keys(record: &NormalizedRecord) -> Vec<BlockKey> {
    let encoder = DoubleMetaphone::default();
    let mut out = Vec::with_capacity(8);
    let given = record
        .first_name_canonical()
        .and_then(|g| sound(&encoder, g));
    let family: Vec<String> = record
        .family
        .split(' ')
        .filter(|t| t.len() > 1)
        .take(2)
        .filter_map(|t| sound(&encoder, t))
        .collect();
    if let Some(date) = record.birth_date {
        for f in &family {
            out.push(key(("family+year", f, date.year)));
        }
        if let Some(g) = &given {
            out.push(key(("given+date", g, date.key())));
        }
        if !record.postcode.is_empty() {
            out.push(key(("date+postcode", date.key(), &*record.postcode)));
        }
    }
    if let (Some(g), Some(f)) = (&given, family.first()) {
        out.push(key(("given+family", g, f)));
    }
    if let Some(number) = house_number(&record.street)
        && !record.postcode.is_empty()
    {
        out.push(key(("house+postcode", number, &*record.postcode)));
    }
    for id in record.identifiers.iter() {
        out.push(key(("identifier", id.system, &*id.value)));
    }
    for phone in record.phones.iter() {
        out.push(key(("phone", phone)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::Demographics;

    fn record(given: &str, family: &str, birth: &str) -> NormalizedRecord {
        NormalizedRecord::from_demographics(&Demographics {
            given: vec![given.into()],
            family: Some(family.into()),
            birth_date: Some(birth.into()),
            ..Demographics::default()
        })
    }

    fn shares_a_key(a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
        let kb = keys(b);
        keys(a).iter().any(|k| kb.contains(k))
    }

    #[test]
    fn typo_nickname_and_married_name_still_share_a_key() {
        let original = record("Katherine", "Smith", "1984-06-02");
        assert!(shares_a_key(
            &original,
            &record("Katherine", "Smyth", "1984-06-02")
        ));
        assert!(shares_a_key(
            &original,
            &record("Kathy", "Smith", "1984-02-06")
        ));
        assert!(shares_a_key(
            &original,
            &record("Katherine", "Johnson", "1984-06-02")
        ));
        assert!(shares_a_key(
            &original,
            &record("Katherine", "Smith", "1948-06-02")
        ));
    }

    #[test]
    fn a_household_shares_a_key_whatever_the_names_and_dates() {
        let at = |given: &str, family: &str, birth: &str, street: &str| {
            NormalizedRecord::from_demographics(&Demographics {
                given: vec![given.into()],
                family: Some(family.into()),
                birth_date: Some(birth.into()),
                address: Some(crate::demographics::Address {
                    lines: vec![street.into()],
                    postal_code: Some("02139".into()),
                    ..Default::default()
                }),
                ..Demographics::default()
            })
        };
        let a = at("Hao", "Fisher", "1985-11-10", "1308 Beacon Drive Apt 10");
        assert!(shares_a_key(
            &a,
            &at("Hdao", "Fishre", "1981-11-10", "1308 Beacon Dr")
        ));
        assert!(!shares_a_key(
            &a,
            &at("Hdao", "Fishre", "1981-11-10", "13 Beacon Dr")
        ));
        assert_eq!(house_number("elm st"), None);
    }

    #[test]
    fn strangers_share_no_key() {
        let a = record("Katherine", "Smith", "1984-06-02");
        assert!(!shares_a_key(&a, &record("Omar", "Haddad", "1950-11-30")));
    }
}
