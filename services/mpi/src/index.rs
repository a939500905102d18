//! An in-memory master patient index: records grouped into persons, a
//! blocking index over them, and registration through [`Matcher`].
//!
//! This is the store the quality harness measures and a locator can keep in
//! memory; the matching itself lives in [`crate::decision`], so a database
//! backed store reuses it by fetching candidates by [`crate::blocking`] key.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::blocking::{self, BlockKey};
use crate::decision::{Assessment, Band, Candidate, Matcher, PersonId};
use crate::demographics::Demographics;
use crate::frequency::NameCounts;
use crate::record::NormalizedRecord;
use crate::score::Explanation;
use crate::weights::MatchConfig;

/// A node's patient: the tenant that registered it and its local id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    pub tenant: String,
    pub local_id: String,
}

impl RecordKey {
    pub fn new(tenant: impl Into<String>, local_id: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            local_id: local_id.into(),
        }
    }
}

/// The result of a registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The person the record now belongs to: the linked person for an
    /// auto-link, otherwise a person of its own.
    pub person: PersonId,
    pub band: Band,
    /// Total weight against the best candidate person (0 without one).
    pub score: f64,
    pub explanation: Explanation,
    /// Persons scoring at least the review threshold, best first (for the
    /// review queue).
    pub candidates: Vec<(PersonId, f64)>,
    /// Whether the record key was already registered (an update).
    pub updated: bool,
}

#[derive(Debug)]
struct StoredRecord {
    key: RecordKey,
    person: PersonId,
    record: NormalizedRecord,
}

/// Counters about candidate retrieval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Blocks not scanned because they exceeded the block cap.
    pub oversized_blocks_skipped: u64,
    /// Candidate records compared, over all registrations.
    pub comparisons: u64,
}

/// Records grouped into persons, with a blocking index.
#[derive(Debug)]
pub struct MatchIndex {
    matcher: Matcher,
    records: Vec<StoredRecord>,
    by_key: HashMap<RecordKey, u32>,
    /// Record positions per person; an emptied person keeps its slot so
    /// that ids stay stable.
    persons: Vec<Vec<u32>>,
    blocks: HashMap<BlockKey, Vec<u32>>,
    /// Name spellings of the records held (what tells a typo from another
    /// name).
    names: NameCounts,
    stats: IndexStats,
}

impl MatchIndex {
    pub fn new(config: MatchConfig) -> Self {
        Self {
            matcher: Matcher::new(config),
            records: Vec::new(),
            by_key: HashMap::new(),
            persons: Vec::new(),
            blocks: HashMap::new(),
            names: NameCounts::default(),
            stats: IndexStats::default(),
        }
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Registers a record and decides which person it belongs to.
    /// Registering a known key again is an update: the record is taken out
    /// of its person and matched afresh; if it stays on its own it keeps
    /// its person id.
    pub fn register(&mut self, key: RecordKey, demographics: &Demographics) -> Decision {
        let record = NormalizedRecord::from_demographics(demographics);
        let existing = self.by_key.get(&key).copied();
        let previous_person = existing.map(|pos| self.detach(pos));

        let candidates = self.candidate_positions(&record);
        let assessment = self.assess(&record, &candidates);

        let person = match (assessment.band, assessment.person) {
            (Band::AutoLink, Some(person)) => person,
            _ => match previous_person {
                Some(p) if self.persons[p.0 as usize].is_empty() => p,
                _ => {
                    self.persons.push(Vec::new());
                    PersonId(self.persons.len() as u64 - 1)
                }
            },
        };

        let keys = blocking::keys(&record);
        self.names.add(&record);
        let pos = match existing {
            Some(pos) => {
                self.records[pos as usize] = StoredRecord {
                    key,
                    person,
                    record,
                };
                pos
            }
            None => {
                let pos = u32::try_from(self.records.len())
                    .unwrap_or_else(|_| panic!("more than u32::MAX records in one index"));
                self.by_key.insert(key.clone(), pos);
                self.records.push(StoredRecord {
                    key,
                    person,
                    record,
                });
                pos
            }
        };
        for k in keys {
            self.blocks.entry(k).or_default().push(pos);
        }
        self.persons[person.0 as usize].push(pos);

        Decision {
            person,
            band: assessment.band,
            score: assessment.score,
            explanation: assessment.explanation,
            candidates: assessment.candidates,
            updated: existing.is_some(),
        }
    }

    /// Puts a record under `person` without deciding anything: loading an
    /// index from where decisions were stored. Person ids are dense: ids
    /// below `person` that were never used stay empty.
    pub fn place(&mut self, key: RecordKey, demographics: &Demographics, person: PersonId) {
        let record = NormalizedRecord::from_demographics(demographics);
        let existing = self.by_key.get(&key).copied();
        if let Some(pos) = existing {
            self.detach(pos);
        }
        let slot = person.0 as usize;
        if self.persons.len() <= slot {
            self.persons.resize_with(slot + 1, Vec::new);
        }
        let keys = blocking::keys(&record);
        self.names.add(&record);
        let stored = StoredRecord {
            key: key.clone(),
            person,
            record,
        };
        let pos = match existing {
            Some(pos) => {
                self.records[pos as usize] = stored;
                pos
            }
            None => {
                let pos = u32::try_from(self.records.len())
                    .unwrap_or_else(|_| panic!("more than u32::MAX records in one index"));
                self.by_key.insert(key, pos);
                self.records.push(stored);
                pos
            }
        };
        for k in keys {
            self.blocks.entry(k).or_default().push(pos);
        }
        self.persons[slot].push(pos);
    }

    /// Moves a registered record to `person`, or to a new person of its own
    /// (`None`): an operator's link or unlink. Returns the record's person,
    /// or `None` for an unknown record.
    pub fn reassign(&mut self, key: &RecordKey, person: Option<PersonId>) -> Option<PersonId> {
        let pos = *self.by_key.get(key)?;
        let old = self.records[pos as usize].person;
        self.persons[old.0 as usize].retain(|&p| p != pos);
        let new = match person {
            Some(person) => {
                let slot = person.0 as usize;
                if self.persons.len() <= slot {
                    self.persons.resize_with(slot + 1, Vec::new);
                }
                person
            }
            None => {
                self.persons.push(Vec::new());
                PersonId(self.persons.len() as u64 - 1)
            }
        };
        self.records[pos as usize].person = new;
        self.persons[new.0 as usize].push(pos);
        Some(new)
    }

    /// How many person ids exist (including emptied ones): the next new
    /// person gets this id.
    pub fn person_slots(&self) -> usize {
        self.persons.len()
    }

    /// Takes a record out of its blocks and its person (before an update);
    /// returns the person it belonged to.
    fn detach(&mut self, pos: u32) -> PersonId {
        let stored = &self.records[pos as usize];
        let (keys, person) = (blocking::keys(&stored.record), stored.person);
        self.names.remove(&stored.record);
        for k in keys {
            if let Some(block) = self.blocks.get_mut(&k) {
                block.retain(|&p| p != pos);
                if block.is_empty() {
                    self.blocks.remove(&k);
                }
            }
        }
        self.persons[person.0 as usize].retain(|&p| p != pos);
        person
    }

    /// Positions of records sharing a key with `record`, skipping blocks
    /// over the cap (counted in the stats).
    fn candidate_positions(&mut self, record: &NormalizedRecord) -> Vec<u32> {
        let (positions, skipped) = self.positions_sharing_keys(record);
        self.stats.oversized_blocks_skipped += skipped;
        self.stats.comparisons += positions.len() as u64;
        positions
    }

    /// Positions of records sharing a key with `record`, and how many
    /// blocks were skipped for being over the cap.
    fn positions_sharing_keys(&self, record: &NormalizedRecord) -> (Vec<u32>, u64) {
        let cap = self.matcher.config().max_block_size;
        let (mut positions, mut skipped) = (Vec::new(), 0);
        for k in blocking::keys(record) {
            let Some(block) = self.blocks.get(&k) else {
                continue;
            };
            if block.len() > cap {
                skipped += 1;
                continue;
            }
            positions.extend_from_slice(block);
        }
        positions.sort_unstable();
        positions.dedup();
        (positions, skipped)
    }

    /// How a record with `demographics` would be decided, without
    /// registering it (a search by demographics).
    pub fn search(&self, demographics: &Demographics) -> Assessment {
        let record = NormalizedRecord::from_demographics(demographics);
        let (positions, _) = self.positions_sharing_keys(&record);
        self.assess(&record, &positions)
    }

    /// How a record with `demographics` compares with one registered record
    /// alone (`None` for an unknown key): why two records were or were not
    /// linked, for an operator or the quality harness.
    pub fn compare_with(&self, demographics: &Demographics, key: &RecordKey) -> Option<Assessment> {
        let pos = *self.by_key.get(key)?;
        let record = NormalizedRecord::from_demographics(demographics);
        Some(self.assess(&record, &[pos]))
    }

    fn assess(&self, record: &NormalizedRecord, positions: &[u32]) -> Assessment {
        self.matcher.assess_with_counts(
            record,
            positions.iter().map(|&pos| {
                let stored = &self.records[pos as usize];
                Candidate {
                    person: stored.person,
                    record: &stored.record,
                }
            }),
            &self.names,
        )
    }

    /// The person a record belongs to.
    pub fn person_of(&self, key: &RecordKey) -> Option<PersonId> {
        self.by_key
            .get(key)
            .map(|&pos| self.records[pos as usize].person)
    }

    /// The records of a person.
    pub fn records_of(&self, person: PersonId) -> impl Iterator<Item = &RecordKey> {
        self.persons
            .get(person.0 as usize)
            .into_iter()
            .flatten()
            .map(|&pos| &self.records[pos as usize].key)
    }

    /// Persons with at least one record.
    pub fn persons(&self) -> impl Iterator<Item = PersonId> + '_ {
        self.persons
            .iter()
            .enumerate()
            .filter(|(_, records)| !records.is_empty())
            .map(|(i, _)| PersonId(i as u64))
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Estimated heap and inline bytes held (records, keys, person lists,
    /// blocks, name counts), for capacity planning.
    pub fn estimated_bytes(&self) -> usize {
        let records: usize = self
            .records
            .iter()
            .map(|r| {
                size_of::<StoredRecord>()
                    + r.record.heap_bytes()
                    + r.key.tenant.len()
                    + r.key.local_id.len()
            })
            .sum();
        let by_key = self.by_key.capacity() * (size_of::<RecordKey>() + 4 + 8)
            + self
                .by_key
                .keys()
                .map(|k| k.tenant.len() + k.local_id.len())
                .sum::<usize>();
        let persons = self.persons.capacity() * size_of::<Vec<u32>>()
            + self.persons.iter().map(|p| p.capacity() * 4).sum::<usize>();
        let blocks = self.blocks.capacity() * (size_of::<BlockKey>() + size_of::<Vec<u32>>() + 8)
            + self
                .blocks
                .values()
                .map(|b| b.capacity() * 4)
                .sum::<usize>();
        records + by_key + persons + blocks + self.names.heap_bytes()
    }
}
