//! The normalized, compact form of one registered record: what the
//! comparators and blocking keys read.
//!
//! The locator keeps every record of the network in memory (a million
//! persons and more), so the layout is deliberate: name parts are one boxed
//! string each (tokens separated by single spaces) rather than vectors of
//! strings, phones are numbers, identifier systems are 64-bit hashes, and
//! nothing is a per-record map.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::demographics::{Demographics, Sex};
use crate::nicknames;
use crate::normalize::{self, BirthDate, Generation, IdKind};

/// One normalized identifier. The system is kept as a hash: it is only ever
/// compared for equality (an MRN compares only within its own system).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedId {
    pub kind: IdKind,
    pub system: u64,
    pub value: Box<str>,
}

/// A record's demographics after normalization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizedRecord {
    /// Given name tokens, folded, space-separated, in order (first name
    /// first). Nicknames are kept as typed; comparison resolves them.
    pub given: Box<str>,
    /// Family name tokens, folded, space-separated, in order.
    pub family: Box<str>,
    pub generation: Option<Generation>,
    pub birth_date: Option<BirthDate>,
    /// Only male/female are evidence; other/unknown are stored as `None`.
    pub sex: Option<Sex>,
    /// Street lines, folded and abbreviated.
    pub street: Box<str>,
    pub postcode: Box<str>,
    pub phones: Box<[u64]>,
    pub identifiers: Box<[NormalizedId]>,
}

/// Hash of an identifier system (for [`NormalizedId::system`]).
pub fn system_hash(system: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    system.trim().hash(&mut hasher);
    hasher.finish()
}

impl NormalizedRecord {
    /// Normalizes registered demographics.
    pub fn from_demographics(d: &Demographics) -> Self {
        let mut generation = d
            .suffix
            .iter()
            .find_map(|s| Generation::from_token(normalize::fold(s).trim()));
        let mut given_tokens = Vec::new();
        for part in &d.given {
            let (tokens, g) = normalize::name_tokens(part);
            given_tokens.extend(tokens);
            generation = generation.or(g);
        }
        let (family_tokens, g) = d
            .family
            .as_deref()
            .map(normalize::name_tokens)
            .unwrap_or_default();
        generation = generation.or(g);

        let (street, postcode) = d.address.as_ref().map_or_else(Default::default, |a| {
            (
                normalize::address_line(&a.lines),
                a.postal_code
                    .as_deref()
                    .and_then(normalize::postcode)
                    .unwrap_or_default(),
            )
        });

        let mut phones: Vec<u64> = d
            .phones
            .iter()
            .filter_map(|p| normalize::phone(p))
            .collect();
        phones.sort_unstable();
        phones.dedup();

        let mut identifiers: Vec<NormalizedId> = d
            .identifiers
            .iter()
            .filter_map(|id| {
                Some(NormalizedId {
                    kind: IdKind::of_system(&id.system),
                    system: system_hash(&id.system),
                    value: normalize::identifier_value(&id.value)?.into_boxed_str(),
                })
            })
            .collect();
        identifiers.sort_by(|a, b| (a.system, &a.value).cmp(&(b.system, &b.value)));
        identifiers.dedup();

        Self {
            given: given_tokens.join(" ").into_boxed_str(),
            family: family_tokens.join(" ").into_boxed_str(),
            generation,
            birth_date: d.birth_date.as_deref().and_then(BirthDate::parse),
            sex: d.sex.filter(|s| matches!(s, Sex::Male | Sex::Female)),
            street: street.into_boxed_str(),
            postcode: postcode.into_boxed_str(),
            phones: phones.into_boxed_slice(),
            identifiers: identifiers.into_boxed_slice(),
        }
    }

    /// The first given name, as typed (folded).
    pub fn first_name(&self) -> Option<&str> {
        self.given.split(' ').next().filter(|s| !s.is_empty())
    }

    /// The first given name with a nickname resolved to its formal name.
    pub fn first_name_canonical(&self) -> Option<&str> {
        self.first_name().map(nicknames::canonical)
    }

    /// Heap bytes this record owns (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.given.len()
            + self.family.len()
            + self.street.len()
            + self.postcode.len()
            + self.phones.len() * size_of::<u64>()
            + self
                .identifiers
                .iter()
                .map(|id| size_of::<NormalizedId>() + id.value.len())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::{Address, Identifier};

    #[test]
    fn demographics_normalize_into_compact_fields() {
        let d = Demographics {
            given: vec!["Bob".into(), "J.".into()],
            family: Some("Smith-Jones Jr".into()),
            suffix: vec![],
            birth_date: Some("1970-05-06".into()),
            sex: Some(Sex::Unknown),
            address: Some(Address {
                lines: vec!["12 Elm Street".into()],
                city: Some("Boston".into()),
                postal_code: Some("02139-1234".into()),
                country: None,
            }),
            phones: vec!["(617) 555-0101".into(), "617-555-0101".into()],
            identifiers: vec![Identifier {
                system: "http://hl7.org/fhir/sid/us-ssn".into(),
                value: "123-45-6789".into(),
            }],
        };
        let r = NormalizedRecord::from_demographics(&d);
        assert_eq!(&*r.given, "bob j");
        assert_eq!(r.first_name_canonical(), Some("robert"));
        assert_eq!(&*r.family, "smith jones");
        assert_eq!(r.generation, Some(Generation::Junior));
        assert_eq!(r.sex, None);
        assert_eq!(&*r.street, "12 elm st");
        assert_eq!(&*r.postcode, "02139");
        assert_eq!(&*r.phones, &[6_175_550_101]);
        assert_eq!(r.identifiers.len(), 1);
        assert_eq!(r.identifiers[0].kind, IdKind::National);
        assert_eq!(&*r.identifiers[0].value, "123456789");
    }
}
