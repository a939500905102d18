//! Small helpers over the patient's rng, so the generators read as
//! "pick one of these" and "30% of the time" instead of index arithmetic.

use crate::ids::Dice;
use rand::Rng;

/// One element of a non-empty table, by reference.
///
/// Every table in this crate is a non-empty constant; an empty one would be
/// a bug caught by the first test that generates a patient.
pub(crate) fn pick_ref<'a, T>(dice: &mut Dice, items: &'a [T]) -> &'a T {
    &items[dice.random_range(0..items.len())]
}

/// One element of a non-empty table of small values.
pub(crate) fn pick<T: Copy>(dice: &mut Dice, items: &[T]) -> T {
    *pick_ref(dice, items)
}

/// One element of a non-empty table, each with a relative weight, by
/// reference.
pub(crate) fn pick_weighted_ref<'a, T>(dice: &mut Dice, items: &'a [(u32, T)]) -> &'a T {
    let total: u32 = items.iter().map(|(w, _)| w).sum();
    let mut ticket = dice.random_range(0..total.max(1));
    for (weight, item) in items {
        if ticket < *weight {
            return item;
        }
        ticket -= weight;
    }
    &items[items.len() - 1].1
}

/// One element of a non-empty weighted table of small values.
pub(crate) fn pick_weighted<T: Copy>(dice: &mut Dice, items: &[(u32, T)]) -> T {
    *pick_weighted_ref(dice, items)
}

/// True with probability `p` (clamped to 0..=1).
pub(crate) fn chance(dice: &mut Dice, p: f64) -> bool {
    dice.random_bool(p.clamp(0.0, 1.0))
}

/// A uniform value in `lo..hi`, rounded to `decimals` places, so the JSON
/// shows clinical precision ("72.4") rather than binary noise.
pub(crate) fn measure(dice: &mut Dice, lo: f64, hi: f64, decimals: u8) -> f64 {
    let x = if hi > lo {
        dice.random_range(lo..hi)
    } else {
        lo
    };
    round(x, decimals)
}

/// A roughly normal value (mean, standard deviation), from the sum of
/// three uniforms: bounded tails suit body measurements better than a
/// true normal's rare absurd draws.
pub(crate) fn normalish(dice: &mut Dice, mean: f64, sd: f64) -> f64 {
    let sum: f64 = (0..3).map(|_| dice.random_range(-1.0..1.0)).sum();
    mean + sd * sum
}

/// `x` rounded to `decimals` places.
pub(crate) fn round(x: f64, decimals: u8) -> f64 {
    let scale = 10f64.powi(i32::from(decimals));
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PERSON_STREAM, patient_dice};

    #[test]
    fn weighted_picks_follow_their_weights() {
        let mut dice = patient_dice(1, 1, PERSON_STREAM);
        let table = [(9, 'a'), (1, 'b'), (0, 'c')];
        let a = (0..1000)
            .filter(|_| pick_weighted(&mut dice, &table) == 'a')
            .count();
        assert!((850..950).contains(&a), "{a}");
    }

    #[test]
    fn measures_are_rounded_and_in_range() {
        let mut dice = patient_dice(1, 2, PERSON_STREAM);
        for _ in 0..100 {
            let x = measure(&mut dice, 1.0, 2.0, 1);
            assert!((1.0..=2.0).contains(&x));
            assert_eq!(x, round(x, 1));
        }
    }
}
