//! One ledger entry as stored, and the head of a chain.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::hash::{Hash, entry_hash};
use crate::kind::{EntryKind, UnknownKind};

/// An entry as stored: the fields its hash covers, and the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the first entry of a chain, then one more for each.
    pub seq: u64,
    /// Milliseconds since the Unix epoch, UTC.
    pub recorded_at_ms: i64,
    /// An [`EntryKind`] code (kept as text: a newer writer may know more).
    pub kind: String,
    /// Canonical JSON of the payload, hashed exactly as stored.
    pub body: String,
    /// The previous entry's hash; [`Hash::GENESIS`] for entry 1.
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl Entry {
    /// The entry following `head`, with its hash.
    pub(crate) fn next(
        chain: &str,
        head: &Head,
        recorded_at_ms: i64,
        kind: EntryKind,
        body: String,
    ) -> Entry {
        let seq = head.count + 1;
        // A clock stepping back (or another replica's clock being ahead)
        // must not make the ledger's time run backwards.
        let recorded_at_ms = recorded_at_ms.max(head.recorded_at_ms);
        let kind = kind.code().to_owned();
        let hash = entry_hash(chain, seq, recorded_at_ms, &kind, &body, &head.hash);
        Entry {
            seq,
            recorded_at_ms,
            kind,
            body,
            prev_hash: head.hash,
            hash,
        }
    }

    /// The hash of this entry's fields as they are now.
    pub fn computed_hash(&self, chain: &str) -> Hash {
        entry_hash(
            chain,
            self.seq,
            self.recorded_at_ms,
            &self.kind,
            &self.body,
            &self.prev_hash,
        )
    }

    pub fn kind(&self) -> Result<EntryKind, UnknownKind> {
        self.kind.parse()
    }

    pub fn recorded_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.recorded_at_ms)
    }
}

/// The body holds person and resource ids: it stays out of logs.
impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("seq", &self.seq)
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("kind", &self.kind)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("prev_hash", &self.prev_hash)
            .field("hash", &self.hash)
            .finish()
    }
}

/// The last entry of a chain: what the next entry follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The number of entries, which is the last entry's `seq`.
    pub count: u64,
    /// The last entry's hash; [`Hash::GENESIS`] when the chain is empty.
    pub hash: Hash,
    pub recorded_at_ms: i64,
}

impl Head {
    pub const EMPTY: Head = Head {
        count: 0,
        hash: Hash::GENESIS,
        recorded_at_ms: i64::MIN,
    };

    pub(crate) fn after(entry: &Entry) -> Head {
        Head {
            count: entry.seq,
            hash: entry.hash,
            recorded_at_ms: entry.recorded_at_ms,
        }
    }
}

/// A committed append: where the entry landed in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: Hash,
    pub recorded_at_ms: i64,
}

impl From<&Entry> for Appended {
    fn from(entry: &Entry) -> Self {
        Appended {
            seq: entry.seq,
            hash: entry.hash,
            recorded_at_ms: entry.recorded_at_ms,
        }
    }
}
