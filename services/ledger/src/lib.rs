//! The audit ledger: an append-only, hash-chained record of every
//! disclosure decision, consent change, directory change and patient-index
//! link at the locator, and of every release at each node, that cannot be
//! altered undetected.
//!
//! This crate owns the ledger's format, its storage (tables created by
//! `continuum-migrations`), group-committed appends, signed checkpoints and
//! verification. It never decides anything: callers record decisions made
//! elsewhere, and must treat a failed append as a failed request (audit
//! fails closed). Entry bodies hold ids and categories, never a patient's
//! name, birth date or clinical content (the practitioner who asked is named
//! as their identity provider vouched for them), and never reach logs.
//!
//! # Chains
//!
//! A [`Chain`] is a sequence of entries numbered `seq` = 1, 2, 3, … without
//! gaps. The locator has one chain (`locator`, table `ledger_entries`);
//! each node tenant has one (chain id = tenant id, table `release_ledger`,
//! under row-level security on PostgreSQL). Checkpoints live in
//! `ledger_checkpoints` and `release_ledger_checkpoints`.
//!
//! # Entry hash (format `continuum.ledger.entry.v1`)
//!
//! Encodings: `u64(n)` is 8 bytes big-endian, `i64(n)` 8 bytes big-endian
//! two's complement, `str(s)` is `u64(byte length of s)` followed by the
//! bytes of `s` (UTF-8). An entry's `hash` is SHA-256 of
//!
//! ```text
//! str("continuum.ledger.entry.v1")
//! str(chain)            -- "locator", or the tenant id
//! u64(seq)
//! i64(recorded_at_ms)   -- milliseconds since 1970-01-01T00:00:00Z
//! str(kind)             -- e.g. "disclosure.permit" (see EntryKind)
//! str(body)             -- the stored body text, byte for byte
//! prev_hash             -- 32 bytes: the previous entry's hash; 32 zero bytes for seq 1
//! ```
//!
//! Every variable-length field carries its length, so no two different
//! entries encode alike; the chain id binds an entry to its chain (a
//! tenant's entries copied into another tenant's chain do not verify).
//!
//! # Body
//!
//! The body is the canonical JSON of a typed payload ([`payload`]): UTF-8,
//! no whitespace, object keys sorted by their UTF-8 bytes at every depth,
//! strings and numbers as `serde_json` writes them (see
//! [`to_canonical_json`]). Verification hashes the stored text as is and
//! never re-serializes it.
//!
//! # Checkpoints (format `continuum.ledger.checkpoint.v1`)
//!
//! A [`Checkpoint`] signs a chain's entry count and head hash with Ed25519
//! (RFC 8032, as `ring` implements it). The signed message is
//!
//! ```text
//! str("continuum.ledger.checkpoint.v1")
//! str(chain)
//! u64(count)            -- the number of entries = seq of the head
//! head_hash             -- 32 bytes; 32 zero bytes when count = 0
//! i64(signed_at_ms)
//! ```
//!
//! and the signature is the 64 bytes Ed25519 produces over it (no
//! pre-hashing). `key_id` is the hex of the first 8 bytes of SHA-256 of the
//! 32-byte public key.
//!
//! # Appending
//!
//! ```no_run
//! # use continuum_ledger::{Chain, Ledger, Now, SqliteSync, connect_writer};
//! # use continuum_ledger::payload::Release;
//! # use sea_orm::{DatabaseConnection, TransactionTrait};
//! # async fn example(url: &str, pool: DatabaseConnection, now: Now, release: Release)
//! #     -> Result<(), Box<dyn std::error::Error>> {
//! // One ledger per chain per process, on a connection of its own.
//! let db = connect_writer(url, SqliteSync::Full).await?;
//! let ledger = Ledger::open(db, Chain::Locator, now).await?;
//!
//! // Group-committed: returns once the entry is durable. On error, fail
//! // the request.
//! let appended = ledger.record(&release).await?;
//! assert!(appended.seq > 0);
//!
//! // In the caller's transaction: the entry commits with the caller's rows.
//! let tx = pool.begin().await?;
//! let mut chain = ledger.lock_in(&tx).await?; // before the first write of `tx`
//! chain.record(&tx, &release).await?;
//! // … the caller's own writes …
//! tx.commit().await?;
//! drop(chain); // only once `tx` has ended
//! # Ok(()) }
//! ```
//!
//! # What verification detects
//!
//! [`verify`] (entries in memory) and [`verify_stored`] (a chain in the
//! database) report the first entry where the chain fails, with the most
//! likely cause ([`Break`]):
//!
//! * an entry edited in place (any byte of any field): [`Break::Altered`]
//!   at that entry;
//! * an entry deleted: a [`Break::SequenceGap`] at it, or, if the rest was
//!   renumbered, a [`Break::ChainBroken`] at it;
//! * an entry inserted, or two swapped: [`Break::ChainBroken`] at the first
//!   of them ([`LinkBreak`] says which);
//! * entries stored twice or out of order (an exported file):
//!   [`Break::SequenceDuplicate`], [`Break::SequenceOutOfOrder`].
//!
//! Two things only a signed checkpoint can show, because the result is
//! itself a valid chain: the tail cut off ([`Break::Truncated`]), and a
//! chain rewritten from some entry on with every hash recomputed
//! ([`Break::CheckpointMismatch`], at the first checkpoint that no longer
//! matches). Entries after the last checkpoint are only as safe as the
//! database: sign checkpoints often and keep copies away from it.

#![forbid(unsafe_code)]

mod appender;
pub mod audit_event;
mod canonical;
mod chain;
mod checkpoint;
mod connect;
mod entry;
mod error;
mod hash;
mod key;
mod kind;
pub mod payload;
mod store;
mod verdict;
mod verify;
mod verify_stored;

pub use appender::{AppendStats, ChainLock, Ledger, Now};
pub use audit_event::{AuditEventError, AuditSource, to_audit_bundle, to_audit_event};
pub use canonical::to_canonical_json;
pub use chain::Chain;
pub use checkpoint::{CHECKPOINT_TAG, Checkpoint, CheckpointFault};
pub use connect::{SqliteSync, connect_writer};
pub use entry::{Appended, Entry, Head};
pub use error::LedgerError;
pub use hash::{ENTRY_TAG, Hash, entry_hash};
pub use key::{KEY_FILE, LedgerKey, PublicKey};
pub use kind::{EntryKind, UnknownKind};
pub use store::{read_entries, read_entries_at};
pub use verdict::{Break, Broken, LinkBreak, Verified};
pub use verify::{ChainVerifier, VerifyOptions, verify};
pub use verify_stored::verify_stored;
