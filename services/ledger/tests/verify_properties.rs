//! Whatever the chain and wherever the tampering, verification names the
//! first entry touched (in memory: the same verifier the store feeds).

use continuum_ledger::{
    Break, Broken, Checkpoint, Entry, Hash, Head, LedgerKey, LinkBreak, Verified, VerifyOptions,
    entry_hash, verify,
};
use proptest::prelude::*;

const CHAIN: &str = "locator";

fn chain_of(n: u64) -> Vec<Entry> {
    let mut prev = Hash::GENESIS;
    (1..=n)
        .map(|seq| {
            let body = format!(r#"{{"person_id":"p-{seq}","purpose":"TREAT"}}"#);
            let at = 1_790_000_000_000 + i64::try_from(seq).unwrap_or_default();
            let hash = entry_hash(CHAIN, seq, at, "disclosure.permit", &body, &prev);
            let entry = Entry {
                seq,
                recorded_at_ms: at,
                kind: "disclosure.permit".into(),
                body,
                prev_hash: prev,
                hash,
            };
            prev = hash;
            entry
        })
        .collect()
}

fn check(entries: Vec<Entry>) -> Result<Verified, Broken> {
    verify(CHAIN, entries, vec![], &VerifyOptions::default())
}

fn broken(at_seq: u64, what: Break) -> Result<Verified, Broken> {
    Err(Broken { at_seq, what })
}

/// Renumber entries to their positions (what an attacker hiding a deletion
/// or making room for an insertion does).
fn renumbered(mut entries: Vec<Entry>) -> Vec<Entry> {
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.seq = i as u64 + 1;
    }
    entries
}

/// A chain of 2..40 entries and a position in it.
fn chain_and_position() -> impl Strategy<Value = (u64, u64)> {
    (2u64..40).prop_flat_map(|n| (Just(n), 1..=n))
}

proptest! {
    #[test]
    fn an_untouched_chain_verifies(n in 0u64..60) {
        let entries = chain_of(n);
        let head = entries.last().map_or(Hash::GENESIS, |e| e.hash);
        let verified = check(entries);
        prop_assert_eq!(verified.map(|v| (v.count, v.head)), Ok((n, head)));
    }

    #[test]
    fn any_edited_field_is_found_at_its_entry((n, k) in chain_and_position(), field in 0..5u8, byte in 0usize..20) {
        let mut entries = chain_of(n);
        let entry = &mut entries[(k - 1) as usize];
        match field {
            0 => {
                let mut bytes = entry.body.clone().into_bytes();
                let i = byte % bytes.len();
                bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
                entry.body = String::from_utf8(bytes).unwrap_or_default();
            }
            1 => entry.recorded_at_ms += 1,
            2 => entry.kind = "disclosure.deny".into(),
            3 => entry.prev_hash.0[byte % 32] ^= 1,
            _ => entry.hash.0[byte % 32] ^= 1,
        }
        prop_assert_eq!(check(entries), broken(k, Break::Altered));
    }

    #[test]
    fn a_deleted_entry_is_found_at_its_seq((n, k) in chain_and_position(), hide in any::<bool>()) {
        prop_assume!(k < n); // deleting the last entry is a cut tail: see the checkpoint test
        let mut entries = chain_of(n);
        entries.remove((k - 1) as usize);
        let expected = if hide {
            entries = renumbered(entries);
            Break::ChainBroken(LinkBreak::Renumbered { written_as: k + 1 })
        } else {
            Break::SequenceGap { found: k + 1 }
        };
        prop_assert_eq!(check(entries), broken(k, expected));
    }

    #[test]
    fn an_inserted_entry_is_found_at_its_seq((n, k) in chain_and_position(), linked in any::<bool>()) {
        let mut entries = chain_of(n);
        // A forger who knows the format, linking the entry in or not.
        let prev = if k == 1 { Hash::GENESIS } else { entries[(k - 2) as usize].hash };
        let prev = if linked { prev } else { Hash([9; 32]) };
        let body = r#"{"forged":true}"#.to_owned();
        let hash = entry_hash(CHAIN, k, 0, "release", &body, &prev);
        let forged = Entry { seq: k, recorded_at_ms: 0, kind: "release".into(), body, prev_hash: prev, hash };
        entries.insert((k - 1) as usize, forged);
        prop_assert_eq!(check(renumbered(entries)), broken(k, Break::ChainBroken(LinkBreak::Inserted)));
    }

    #[test]
    fn swapped_neighbours_are_found_at_the_first((n, k) in chain_and_position()) {
        prop_assume!(k < n);
        let mut entries = chain_of(n);
        entries.swap((k - 1) as usize, k as usize);
        prop_assert_eq!(check(renumbered(entries)), broken(k, Break::ChainBroken(LinkBreak::Swapped)));
    }

    #[test]
    fn entries_read_out_of_order_are_named((n, k) in chain_and_position()) {
        prop_assume!(k < n);
        let mut entries = chain_of(n);
        entries.swap((k - 1) as usize, k as usize);
        prop_assert_eq!(check(entries), broken(k, Break::SequenceOutOfOrder { found: k + 1 }));
    }

    #[test]
    fn only_a_checkpoint_shows_a_cut_tail((n, k) in chain_and_position()) {
        let key = LedgerKey::generate().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let entries = chain_of(n);
        let head = Head { count: n, hash: entries[(n - 1) as usize].hash, recorded_at_ms: 0 };
        let signed = Checkpoint::sign(CHAIN, &head, 0, &key);
        let cut: Vec<Entry> = entries.into_iter().take((k - 1) as usize).collect();
        prop_assert_eq!(check(cut.clone()).map(|v| v.count), Ok(k - 1));
        let options = VerifyOptions { from: None, trusted_keys: vec![*key.public_key()] };
        prop_assert_eq!(
            verify(CHAIN, cut, vec![signed], &options),
            broken(k, Break::Truncated { signed_count: n })
        );
    }
}

#[test]
fn entries_of_one_chain_do_not_verify_as_another() {
    let entries = chain_of(3);
    let verdict = verify("north", entries, vec![], &VerifyOptions::default());
    assert_eq!(verdict.map_err(|b| b.at_seq), Err(1));
}

#[test]
fn a_duplicated_entry_is_named() {
    let mut entries = chain_of(5);
    entries.insert(3, entries[2].clone());
    assert_eq!(check(entries), broken(3, Break::SequenceDuplicate));
}

#[test]
fn the_report_reads_as_a_sentence() {
    let report = Broken {
        at_seq: 5,
        what: Break::ChainBroken(LinkBreak::Inserted),
    };
    assert_eq!(
        report.to_string(),
        "entry 5 was inserted: entry 6 follows entry 4"
    );
}
