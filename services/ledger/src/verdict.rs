//! What verification concludes: a chain that holds, or the first entry
//! where it does not and the most likely reason.

use std::fmt;

use crate::checkpoint::CheckpointFault;
use crate::hash::Hash;

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub chain: String,
    /// The trusted checkpoint's count verification started from (0: from
    /// the first entry).
    pub from: u64,
    /// The number of entries in the chain, which is the last entry's `seq`.
    pub count: u64,
    pub head: Hash,
    /// How many signed checkpoints were checked along the way (the
    /// trusted start not included).
    pub checkpoints: usize,
}

/// The first entry where the chain fails to verify. `at_seq` is exact:
/// every entry before it verified. `what` is the most likely explanation of
/// the evidence; where two tamperings leave the same evidence it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub at_seq: u64,
    pub what: Break,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's stored fields no longer hash to its stored hash: it was
    /// edited in place (content, time, kind, link or hash).
    Altered,
    /// The entry does not name the previous entry's hash.
    ChainBroken(LinkBreak),
    /// Entry `at_seq` is missing; the next stored entry is `found`.
    SequenceGap { found: u64 },
    /// Entry `at_seq` is stored twice.
    SequenceDuplicate,
    /// Entry `found` is stored where entry `at_seq` belongs, and `at_seq`
    /// comes after it.
    SequenceOutOfOrder { found: u64 },
    /// Entries from `at_seq` on are missing: a signed checkpoint counts
    /// `signed_count` entries. Only a checkpoint can show this: a chain cut
    /// short is otherwise a valid, shorter chain.
    Truncated { signed_count: u64 },
    /// A checkpoint (of `count` entries) cannot be trusted.
    CheckpointSignature {
        count: u64,
        key_id: String,
        fault: CheckpointFault,
    },
    /// The chain is internally consistent but its head after `count`
    /// entries is not the signed one: entries after `last_matching` up to
    /// `count` were rewritten with recomputed hashes. Which one was changed
    /// first cannot be known; `at_seq` is `count`.
    CheckpointMismatch { count: u64, last_matching: u64 },
    /// A stored row cannot be read as an entry (a hash of the wrong length,
    /// a negative number, text that is not UTF-8).
    Unreadable { reason: String },
}

/// How a broken link most likely came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkBreak {
    /// The entry at `at_seq` does not belong: the entry after it follows
    /// the entry before it.
    Inserted,
    /// The entries at `at_seq` and `at_seq + 1` are in each other's place.
    Swapped,
    /// The entry stored at `at_seq` was written as entry `written_as`:
    /// entries before it were deleted (`written_as > at_seq`) or inserted,
    /// and the rest renumbered; or it was moved.
    Renumbered { written_as: u64 },
    /// The entry is intact but follows an entry that is not there: entries
    /// before it were deleted and the rest renumbered and re-hashed, or the
    /// previous entry was rewritten with a recomputed hash.
    Unexplained,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.at_seq;
        match &self.what {
            Break::Altered => write!(
                f,
                "entry {s} was altered: its stored fields no longer match its hash"
            ),
            Break::ChainBroken(LinkBreak::Inserted) => write!(
                f,
                "entry {s} was inserted: entry {} follows entry {}",
                s + 1,
                s.saturating_sub(1)
            ),
            Break::ChainBroken(LinkBreak::Swapped) => {
                write!(f, "entries {s} and {} were swapped", s + 1)
            }
            Break::ChainBroken(LinkBreak::Renumbered { written_as }) => write!(
                f,
                "the chain is broken at entry {s}: the entry stored there was written as entry \
                 {written_as} (entries were deleted or inserted before it and the rest renumbered, \
                 or it was moved)"
            ),
            Break::ChainBroken(LinkBreak::Unexplained) => write!(
                f,
                "the chain is broken at entry {s}: it does not follow entry {} (entries were \
                 deleted before it and the rest re-hashed, or entry {} was rewritten)",
                s.saturating_sub(1),
                s.saturating_sub(1)
            ),
            Break::SequenceGap { found } => {
                write!(f, "entry {s} is missing: the next stored entry is {found}")
            }
            Break::SequenceDuplicate => write!(f, "entry {s} is stored twice"),
            Break::SequenceOutOfOrder { found } => write!(
                f,
                "entries are out of order: entry {found} is stored where entry {s} belongs"
            ),
            Break::Truncated { signed_count } => write!(
                f,
                "entries from {s} on are missing: a signed checkpoint counts {signed_count} entries"
            ),
            Break::CheckpointSignature {
                count,
                key_id,
                fault,
            } => {
                let why = match fault {
                    CheckpointFault::UntrustedKey => "is signed by a key that is not trusted",
                    CheckpointFault::BadSignature => "has an invalid signature",
                    CheckpointFault::OtherChain => "belongs to another chain",
                };
                write!(f, "the checkpoint of {count} entries (key {key_id}) {why}")
            }
            Break::CheckpointMismatch {
                count,
                last_matching,
            } => write!(
                f,
                "entries {} to {count} were rewritten: the head after {count} entries is not the \
                 signed one",
                last_matching + 1
            ),
            Break::Unreadable { reason } => write!(f, "entry {s} is unreadable: {reason}"),
        }
    }
}

impl std::error::Error for Broken {}
