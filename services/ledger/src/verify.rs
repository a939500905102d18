//! Verification of a chain, entry by entry in `seq` order, in constant
//! memory: the previous two hashes, one entry of lookahead once something
//! is wrong, and the checkpoints still ahead.

use std::collections::VecDeque;

use crate::checkpoint::Checkpoint;
use crate::entry::Entry;
use crate::hash::{Hash, entry_hash};
use crate::key::PublicKey;
use crate::verdict::{Break, Broken, LinkBreak, Verified};

/// How far a renumbered entry's original `seq` is searched for, each way.
/// Only a failed entry pays for the search.
const RENUMBER_SEARCH: u64 = 64;

/// What to trust when verifying.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Start from this checkpoint instead of the first entry: entries up to
    /// it are taken as signed, only the entry at its count is read (it must
    /// still hash to the signed head). Must be signed by a trusted key.
    pub from: Option<Checkpoint>,
    /// The keys checkpoints may be signed with. Without any, stored
    /// checkpoints are not checked, and neither a cut tail nor a chain
    /// rewritten with recomputed hashes can be detected.
    pub trusted_keys: Vec<PublicKey>,
}

/// Verify `entries` (in stored order) of `chain`, checking `checkpoints`
/// along the way.
pub fn verify(
    chain: &str,
    entries: impl IntoIterator<Item = Entry>,
    checkpoints: Vec<Checkpoint>,
    options: &VerifyOptions,
) -> Result<Verified, Broken> {
    let mut verifier = ChainVerifier::new(chain, checkpoints, options);
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish()
}

/// A streaming verifier: [`ChainVerifier::push`] each entry in stored
/// order, then [`ChainVerifier::finish`]. Once broken it stays broken.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: String,
    keys: Vec<PublicKey>,
    /// The trusted checkpoint's count (0 without one) and the head it signs.
    start: u64,
    anchor: Option<Hash>,
    last_seq: u64,
    last_hash: Hash,
    /// The hash of the entry before the last, when that entry was verified
    /// here: what the next entry names if the last one was inserted.
    before_last: Option<Hash>,
    /// The highest `seq` seen below a trusted start.
    seen_below_start: u64,
    pending: Option<Pending>,
    checkpoints: VecDeque<Checkpoint>,
    last_matching: u64,
    checked: usize,
    broken: Option<Broken>,
}

/// A failure whose explanation depends on the entry after it.
#[derive(Debug)]
enum Pending {
    /// `entry` does not name `prev` (the last verified entry's hash).
    Link { entry: Entry, prev: Hash },
    /// `entry` came where `expected` belonged.
    Gap { entry: Entry, expected: u64 },
}

impl ChainVerifier {
    pub fn new(chain: &str, checkpoints: Vec<Checkpoint>, options: &VerifyOptions) -> Self {
        let start = options.from.as_ref().map_or(0, |c| c.count);
        let mut ahead: Vec<Checkpoint> = if options.trusted_keys.is_empty() {
            Vec::new()
        } else {
            checkpoints
                .into_iter()
                .filter(|c| c.count > start)
                .collect()
        };
        ahead.sort_by_key(|c| c.count);
        let mut verifier = ChainVerifier {
            chain: chain.to_owned(),
            keys: options.trusted_keys.clone(),
            start,
            anchor: None,
            last_seq: 0,
            last_hash: Hash::GENESIS,
            before_last: None,
            seen_below_start: 0,
            pending: None,
            checkpoints: ahead.into(),
            last_matching: start,
            checked: 0,
            broken: None,
        };
        if let Some(from) = &options.from {
            if let Err(fault) = from.check(chain, &options.trusted_keys) {
                verifier.broken = Some(Broken {
                    at_seq: from.count,
                    what: Break::CheckpointSignature {
                        count: from.count,
                        key_id: from.key_id.clone(),
                        fault,
                    },
                });
            } else if from.count > 0 {
                verifier.anchor = Some(from.head_hash);
            }
        }
        verifier
    }

    /// Verify the next stored entry.
    pub fn push(&mut self, entry: Entry) -> Result<(), Broken> {
        if let Some(broken) = &self.broken {
            return Err(broken.clone());
        }
        if let Some(pending) = self.pending.take() {
            return Err(self.fail(self.explain(pending, Some(&entry))));
        }
        if let Some(anchor) = self.anchor {
            return self.push_at_anchor(entry, anchor);
        }
        let expected = self.last_seq + 1;
        if entry.seq != expected {
            return self.out_of_sequence(entry, expected);
        }
        if entry.prev_hash != self.last_hash {
            if self.before_last == Some(entry.prev_hash) {
                // The next entry names the one before the last: the last
                // (verified as well-formed) was slipped in between them.
                return Err(self.fail(Broken {
                    at_seq: self.last_seq,
                    what: Break::ChainBroken(LinkBreak::Inserted),
                }));
            }
            self.pending = Some(Pending::Link {
                entry,
                prev: self.last_hash,
            });
            return Ok(());
        }
        if entry.computed_hash(&self.chain) != entry.hash {
            return Err(self.fail(Broken {
                at_seq: entry.seq,
                what: Break::Altered,
            }));
        }
        self.advance(&entry, true)
    }

    /// Report a row that could not be read as an entry, in stored order
    /// (`seq` if at least that could be read).
    pub fn unreadable(&mut self, seq: Option<u64>, reason: String) -> Broken {
        if let Some(broken) = &self.broken {
            return broken.clone();
        }
        if let Some(pending) = self.pending.take() {
            return self.fail(self.explain(pending, None));
        }
        let at_seq = seq.unwrap_or(self.last_seq.max(self.start) + 1);
        self.fail(Broken {
            at_seq,
            what: Break::Unreadable { reason },
        })
    }

    /// The verdict once every entry was pushed.
    pub fn finish(mut self) -> Result<Verified, Broken> {
        if let Some(broken) = self.broken.take() {
            return Err(broken);
        }
        if let Some(pending) = self.pending.take() {
            return Err(self.explain(pending, None));
        }
        if self.anchor.is_some() {
            return Err(Broken {
                at_seq: self.seen_below_start + 1,
                what: Break::Truncated {
                    signed_count: self.start,
                },
            });
        }
        if let Some(beyond) = self.checkpoints.front() {
            // A signed checkpoint counts entries that are not there; unless
            // the checkpoint itself is forged, the tail was cut.
            let what = match beyond.check(&self.chain, &self.keys) {
                Err(fault) => Break::CheckpointSignature {
                    count: beyond.count,
                    key_id: beyond.key_id.clone(),
                    fault,
                },
                Ok(()) => Break::Truncated {
                    signed_count: beyond.count,
                },
            };
            let at_seq = match what {
                Break::Truncated { .. } => self.last_seq + 1,
                _ => beyond.count,
            };
            return Err(Broken { at_seq, what });
        }
        Ok(Verified {
            chain: self.chain,
            from: self.start,
            count: self.last_seq,
            head: self.last_hash,
            checkpoints: self.checked,
        })
    }

    /// The first entry read from a trusted start must be the signed one.
    fn push_at_anchor(&mut self, entry: Entry, anchor: Hash) -> Result<(), Broken> {
        if entry.seq < self.start {
            self.seen_below_start = self.seen_below_start.max(entry.seq);
            return Ok(());
        }
        if entry.seq > self.start {
            return Err(self.fail(Broken {
                at_seq: self.start,
                what: Break::SequenceGap { found: entry.seq },
            }));
        }
        if entry.computed_hash(&self.chain) != entry.hash {
            return Err(self.fail(Broken {
                at_seq: entry.seq,
                what: Break::Altered,
            }));
        }
        if entry.hash != anchor {
            return Err(self.fail(Broken {
                at_seq: entry.seq,
                what: Break::CheckpointMismatch {
                    count: self.start,
                    last_matching: 0,
                },
            }));
        }
        self.anchor = None;
        // The anchor was signed: it cannot have been slipped in.
        self.advance(&entry, false)
    }

    fn out_of_sequence(&mut self, entry: Entry, expected: u64) -> Result<(), Broken> {
        let broken = if entry.seq == self.last_seq && entry.seq > 0 {
            Broken {
                at_seq: entry.seq,
                what: Break::SequenceDuplicate,
            }
        } else if entry.seq < expected {
            Broken {
                at_seq: expected,
                what: Break::SequenceOutOfOrder { found: entry.seq },
            }
        } else {
            self.pending = Some(Pending::Gap { entry, expected });
            return Ok(());
        };
        Err(self.fail(broken))
    }

    fn advance(&mut self, entry: &Entry, may_be_inserted: bool) -> Result<(), Broken> {
        self.before_last = may_be_inserted.then_some(self.last_hash);
        self.last_seq = entry.seq;
        self.last_hash = entry.hash;
        while let Some(checkpoint) = self.checkpoints.front() {
            if checkpoint.count > self.last_seq {
                break;
            }
            let what = match checkpoint.check(&self.chain, &self.keys) {
                Err(fault) => Some(Break::CheckpointSignature {
                    count: checkpoint.count,
                    key_id: checkpoint.key_id.clone(),
                    fault,
                }),
                Ok(()) if checkpoint.head_hash != self.last_hash => {
                    Some(Break::CheckpointMismatch {
                        count: checkpoint.count,
                        last_matching: self.last_matching,
                    })
                }
                Ok(()) => None,
            };
            if let Some(what) = what {
                let at_seq = checkpoint.count;
                return Err(self.fail(Broken { at_seq, what }));
            }
            self.last_matching = checkpoint.count;
            self.checked += 1;
            self.checkpoints.pop_front();
        }
        Ok(())
    }

    /// The most likely story behind a failure, given the entry after it.
    fn explain(&self, pending: Pending, next: Option<&Entry>) -> Broken {
        match pending {
            Pending::Gap { entry, expected } => {
                let what = match next {
                    Some(next) if next.seq == expected => {
                        Break::SequenceOutOfOrder { found: entry.seq }
                    }
                    _ => Break::SequenceGap { found: entry.seq },
                };
                Broken {
                    at_seq: expected,
                    what,
                }
            }
            Pending::Link { entry, prev } => {
                let at_seq = entry.seq;
                let link = |what| Broken {
                    at_seq,
                    what: Break::ChainBroken(what),
                };
                if let Some(next) = next
                    && next.seq == at_seq + 1
                    && next.prev_hash == prev
                {
                    return link(if entry.prev_hash == next.hash {
                        LinkBreak::Swapped
                    } else {
                        LinkBreak::Inserted
                    });
                }
                if entry.computed_hash(&self.chain) == entry.hash {
                    return link(LinkBreak::Unexplained);
                }
                match self.written_as(&entry) {
                    Some(written_as) => link(LinkBreak::Renumbered { written_as }),
                    None => Broken {
                        at_seq,
                        what: Break::Altered,
                    },
                }
            }
        }
    }

    /// The `seq` an entry's hash was computed with, if it was renumbered by
    /// at most [`RENUMBER_SEARCH`].
    fn written_as(&self, entry: &Entry) -> Option<u64> {
        let hashes_as = |seq: u64| {
            seq > 0
                && entry_hash(
                    &self.chain,
                    seq,
                    entry.recorded_at_ms,
                    &entry.kind,
                    &entry.body,
                    &entry.prev_hash,
                ) == entry.hash
        };
        (1..=RENUMBER_SEARCH).find_map(|d| {
            let up = entry.seq.checked_add(d).filter(|&s| hashes_as(s));
            up.or_else(|| entry.seq.checked_sub(d).filter(|&s| hashes_as(s)))
        })
    }

    fn fail(&mut self, broken: Broken) -> Broken {
        self.broken = Some(broken.clone());
        broken
    }
}
