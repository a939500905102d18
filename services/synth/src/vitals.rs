//! Plausible vital-sign values for a person on a given day: children grow
//! toward their adult height, and heart and breathing rates fall with age.

use crate::chance::{measure, normalish, round};
use crate::demographics::Person;
use crate::ids::Dice;
use chrono::NaiveDate;

/// Fraction of adult height reached at each age (years), interpolated
/// between points: a rough average of CDC growth charts.
const GROWTH: &[(f64, f64)] = &[
    (0.0, 0.29),
    (1.0, 0.44),
    (2.0, 0.51),
    (4.0, 0.60),
    (6.0, 0.68),
    (8.0, 0.75),
    (10.0, 0.81),
    (12.0, 0.87),
    (14.0, 0.94),
    (16.0, 0.98),
    (18.0, 1.0),
];

fn growth_fraction(age_years: f64) -> f64 {
    let mut previous = GROWTH[0];
    for &(age, fraction) in GROWTH {
        if age_years <= age {
            let (a0, f0) = previous;
            if age <= a0 {
                return fraction;
            }
            return f0 + (fraction - f0) * (age_years - a0) / (age - a0);
        }
        previous = (age, fraction);
    }
    1.0
}

/// Height, weight and BMI on one day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Body {
    pub height_cm: f64,
    pub weight_kg: f64,
    pub bmi: f64,
}

pub(crate) fn body(dice: &mut Dice, person: &Person, day: NaiveDate) -> Body {
    let age_years = (day - person.birth).num_days() as f64 / 365.25;
    let height_cm = person.adult_height_cm * growth_fraction(age_years);
    // Children's BMI sits in a narrow band; adults keep their own, give or take.
    let bmi = if age_years < 18.0 {
        normalish(dice, 16.5, 0.8)
    } else {
        person.adult_bmi + normalish(dice, 0.0, 0.6)
    };
    let metres = height_cm / 100.0;
    let weight_kg = bmi * metres * metres;
    Body {
        height_cm: round(height_cm, 1),
        weight_kg: round(weight_kg, 1),
        // Reported BMI is computed from the rounded measurements, as an EHR does.
        bmi: round(
            round(weight_kg, 1) / (round(height_cm, 1) / 100.0).powi(2),
            1,
        ),
    }
}

pub(crate) fn heart_rate(dice: &mut Dice, age: u32) -> f64 {
    match age {
        0 => measure(dice, 110.0, 150.0, 0),
        1..=5 => measure(dice, 90.0, 130.0, 0),
        6..=12 => measure(dice, 70.0, 110.0, 0),
        _ => measure(dice, 58.0, 95.0, 0),
    }
}

pub(crate) fn respiratory_rate(dice: &mut Dice, age: u32) -> f64 {
    match age {
        0..=1 => measure(dice, 30.0, 50.0, 0),
        2..=12 => measure(dice, 18.0, 30.0, 0),
        _ => measure(dice, 12.0, 20.0, 0),
    }
}

/// Systolic and diastolic pressure in mm[Hg].
pub(crate) fn blood_pressure(dice: &mut Dice, age: u32, hypertensive: bool) -> (f64, f64) {
    let (systolic, diastolic) = match age {
        0..=12 => ((90.0, 112.0), (55.0, 72.0)),
        13..=17 => ((100.0, 120.0), (60.0, 78.0)),
        _ if hypertensive => ((132.0, 165.0), (82.0, 102.0)),
        _ => ((105.0, 130.0), (65.0, 84.0)),
    };
    (
        measure(dice, systolic.0, systolic.1, 0),
        measure(dice, diastolic.0, diastolic.1, 0),
    )
}

/// Body temperature in Cel.
pub(crate) fn temperature(dice: &mut Dice, fever: bool) -> f64 {
    if fever {
        measure(dice, 38.0, 39.6, 1)
    } else {
        measure(dice, 36.4, 37.3, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_monotonic_and_complete_at_eighteen() {
        let mut last = 0.0;
        for tenth in 0..250 {
            let f = growth_fraction(f64::from(tenth) / 10.0);
            assert!(f >= last, "{tenth}");
            last = f;
        }
        assert_eq!(growth_fraction(0.0), 0.29);
        assert_eq!(growth_fraction(30.0), 1.0);
        assert!((growth_fraction(1.5) - 0.475).abs() < 1e-9);
    }
}
