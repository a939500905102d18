//! Where every random draw and identifier comes from.
//!
//! A patient's streams are seeded from `mix(seed, index)` alone, so any
//! patient can be generated on its own, in any order, on any thread. Uuids,
//! NPIs and DICOM uids are drawn from those streams, never from the OS.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator every draw in this crate uses.
pub(crate) type Dice = ChaCha8Rng;

/// The ChaCha stream that decides who the patient is (name, birth,
/// address, problems). Kept apart from the clinical stream so the same
/// person appears at every record size.
pub(crate) const PERSON_STREAM: u64 = 0;
/// The first ChaCha stream for the record's history; each record size
/// has its own (`HISTORY_STREAM + n`), so records of different sizes share
/// no resource ids.
pub(crate) const HISTORY_STREAM: u64 = 1;
/// The ChaCha stream of site `n` (`SITE_STREAM + n`, n ≥ 1): the care team
/// and Patient id another organization gives the same person. Far above
/// the history streams (`HISTORY_STREAM + 3 × site + size`).
pub(crate) const SITE_STREAM: u64 = 1 << 40;

/// The seed of the fixed organisation and practitioner pools: shared by
/// every dataset so conditional creates deduplicate across seeds.
const POOL_SEED: u64 = 0x636f_6e74_696e_7575; // "continuu"

/// SplitMix64's finaliser: a cheap bijective scramble with good avalanche,
/// so that neighbouring seeds and indices give unrelated ChaCha keys.
fn scramble(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One 64-bit seed from a dataset seed and a patient index.
pub(crate) fn mix(seed: u64, index: u64) -> u64 {
    scramble(scramble(seed) ^ index.wrapping_mul(0xd6e8_feb8_6659_fd93))
}

/// The rng of patient `index` in dataset `seed`, on one of its streams.
pub(crate) fn patient_dice(seed: u64, index: usize, stream: u64) -> Dice {
    let mut dice = Dice::seed_from_u64(mix(seed, index as u64));
    dice.set_stream(stream);
    dice
}

/// The rng of entry `index` of a fixed pool (organisations, practitioners).
pub(crate) fn pool_dice(pool: u64, index: usize) -> Dice {
    Dice::seed_from_u64(mix(POOL_SEED ^ pool, index as u64))
}

/// A version-4 uuid drawn from `dice`, as lowercase hyphenated text.
pub(crate) fn uuid(dice: &mut Dice) -> String {
    let id = uuid::Builder::from_random_bytes(dice.random()).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut buf).to_owned()
}

/// `n` random decimal digits (leading zeros allowed).
pub(crate) fn digits(dice: &mut Dice, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + dice.random_range(0..10u8)))
        .collect()
}

/// A 10-digit NPI for the 9-digit `base`, with the Luhn check digit NPIs
/// really carry (computed over the `80840` health-industry prefix), so
/// validators that check NPIs accept them.
pub(crate) fn npi(base: u32) -> String {
    let body = format!("{:09}", base % 1_000_000_000);
    let payload = format!("80840{body}");
    // Luhn: double every second digit from the right of the payload, as
    // the check digit will be appended to its right.
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A DICOM uid under the `1.2.840.99999999` example root Synthea uses;
/// two random numbers keep studies of different patients apart.
pub(crate) fn dicom_uid(dice: &mut Dice) -> String {
    format!(
        "1.2.840.99999999.{}.{}",
        dice.random_range(1..u32::MAX),
        dice.random_range(1..u64::from(u32::MAX))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luhn_ok(npi: &str) -> bool {
        let full = format!("80840{npi}");
        let sum: u32 = full
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let x = d * 2;
                    x / 10 + x % 10
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    #[test]
    fn npis_have_ten_digits_and_a_valid_check_digit() {
        // The CMS example NPI.
        assert_eq!(npi(123_456_789), "1234567893");
        for base in [0, 1, 987_654_321, 555_555_555] {
            let n = npi(base);
            assert_eq!(n.len(), 10);
            assert!(luhn_ok(&n), "{n}");
        }
    }

    #[test]
    fn uuids_are_version_4_and_reproducible() {
        let a = uuid(&mut patient_dice(7, 3, HISTORY_STREAM));
        let b = uuid(&mut patient_dice(7, 3, HISTORY_STREAM));
        assert_eq!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_ne!(a, uuid(&mut patient_dice(7, 4, HISTORY_STREAM)));
        assert_ne!(a, uuid(&mut patient_dice(7, 3, PERSON_STREAM)));
    }

    #[test]
    fn mixing_separates_neighbours() {
        assert_ne!(mix(1, 0), mix(0, 1));
        assert_ne!(mix(1, 2), mix(1, 3));
    }
}
