//! How often each name spelling occurs among an index's records: what tells
//! a misspelling from another name.
//!
//! Two spellings a typing error apart ("Brian" / "Bryan", "Larry" /
//! "Harry", "Hansen" / "Hanson") are evidence of one person only if one of
//! them can be the typo. A typo makes a spelling that is rare in the index;
//! two spellings that are both common are two names, and a stranger is far
//! likelier to carry the other one than a desk is to mistype one into the
//! other (Fellegi–Sunter with value frequencies: the likelihood ratio of a
//! typo-level agreement is about the rate of that particular typo over the
//! frequency of the rarer spelling, below 1 once that spelling is common).
//!
//! The counts are kept incrementally from the records themselves (the
//! index's own data, never a reference list), so they follow the population
//! the index serves. Spellings are kept as 64-bit hashes: the counts hold no
//! names.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::record::NormalizedRecord;

/// A spelling counts as an established name once it is this common among
/// the records: a given typo is rarer than that (a typo hits one record in
/// about twenty, and then one of a hundred-odd edits of the name), while
/// a name in its own right is more common than that.
const ESTABLISHED_SHARE: f64 = 1e-4;

/// …and seen at least this often, so that a small index, where every
/// spelling is seen once or twice, keeps treating typo-level agreement as a
/// typo.
const ESTABLISHED_MIN_COUNT: u32 = 5;

/// Below this many records a spelling's count says little (a name one in a
/// few hundred may not have been seen five times yet), so no spelling is
/// judged rare: comparisons fall back to treating similar spellings as
/// possible typos of each other, and nothing more.
const RARITY_MIN_RECORDS: u64 = 5_000;

/// Counts of first given names and family names, as typed (folded).
#[derive(Debug, Clone, Default)]
pub struct NameCounts {
    given: HashMap<u64, u32>,
    family: HashMap<u64, u32>,
    records: u64,
}

fn spelling(name: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    name.hash(&mut hasher);
    hasher.finish()
}

fn increment(counts: &mut HashMap<u64, u32>, name: &str) {
    if !name.is_empty() {
        *counts.entry(spelling(name)).or_default() += 1;
    }
}

fn decrement(counts: &mut HashMap<u64, u32>, name: &str) {
    if name.is_empty() {
        return;
    }
    let key = spelling(name);
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

impl NameCounts {
    /// Counts a record that joins the index.
    pub fn add(&mut self, record: &NormalizedRecord) {
        increment(&mut self.given, record.first_name().unwrap_or_default());
        increment(&mut self.family, &record.family);
        self.records += 1;
    }

    /// Uncounts a record that leaves the index (or is replaced by an
    /// update). It must have been added.
    pub fn remove(&mut self, record: &NormalizedRecord) {
        decrement(&mut self.given, record.first_name().unwrap_or_default());
        decrement(&mut self.family, &record.family);
        self.records = self.records.saturating_sub(1);
    }

    /// Whether a first given name spelling is an established name.
    pub fn given_is_established(&self, name: &str) -> bool {
        self.established(&self.given, name)
    }

    /// Whether a first given name spelling is rare in an index large enough
    /// to tell: likely a typo, not a name in its own right.
    pub fn given_is_rare(&self, name: &str) -> bool {
        self.records >= RARITY_MIN_RECORDS && !self.given_is_established(name)
    }

    /// Whether a family name spelling is an established name.
    pub fn family_is_established(&self, name: &str) -> bool {
        self.established(&self.family, name)
    }

    fn established(&self, counts: &HashMap<u64, u32>, name: &str) -> bool {
        let count = counts.get(&spelling(name)).copied().unwrap_or(0);
        count >= ESTABLISHED_MIN_COUNT
            && f64::from(count) >= ESTABLISHED_SHARE * self.records as f64
    }

    /// Heap bytes held (for memory accounting), approximately.
    pub fn heap_bytes(&self) -> usize {
        // A hashbrown slot: key, value and a control byte.
        (self.given.capacity() + self.family.capacity()) * (size_of::<(u64, u32)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::Demographics;

    fn record(given: &str, family: &str) -> NormalizedRecord {
        NormalizedRecord::from_demographics(&Demographics {
            given: vec![given.into()],
            family: Some(family.into()),
            ..Demographics::default()
        })
    }

    #[test]
    fn a_spelling_is_established_when_seen_often_enough() {
        let mut counts = NameCounts::default();
        for _ in 0..ESTABLISHED_MIN_COUNT {
            counts.add(&record("Brian", "Hansen"));
        }
        counts.add(&record("Bryan", "Hanson"));
        assert!(counts.given_is_established("brian"));
        assert!(counts.family_is_established("hansen"));
        assert!(!counts.given_is_established("bryan"));
        assert!(!counts.family_is_established("hanson"));
        assert!(
            !counts.given_is_established("hansen"),
            "names count per part"
        );

        counts.remove(&record("Brian", "Hansen"));
        assert!(!counts.given_is_established("brian"));
    }

    #[test]
    fn the_share_grows_with_the_index() {
        let mut counts = NameCounts::default();
        for _ in 0..10 {
            counts.add(&record("Brian", "Hansen"));
        }
        assert!(counts.given_is_established("brian"));
        // 10 of 200,010 records is below one in ten thousand.
        counts.records += 200_000;
        assert!(!counts.given_is_established("brian"));
    }

    #[test]
    fn rarity_needs_a_large_enough_index() {
        let mut counts = NameCounts::default();
        counts.add(&record("Bety", "Dang"));
        assert!(!counts.given_is_rare("bety"), "a small index cannot tell");
        counts.records += RARITY_MIN_RECORDS;
        assert!(counts.given_is_rare("bety"));
        for _ in 0..ESTABLISHED_MIN_COUNT {
            counts.add(&record("Betty", "Dang"));
        }
        assert!(!counts.given_is_rare("betty"));
    }
}
