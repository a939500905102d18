//! The patient's problem list: long-term conditions, sensitive conditions
//! and allergies, each with the date it began. Encounters record each
//! problem at the first visit after its onset.

use crate::chance::{chance, pick_ref};
use crate::clinical::{
    ALLERGIES, ASTHMA, AllergyDef, ChronicDef, DIABETES, HYPERLIPIDEMIA, HYPERTENSION, OBESITY,
    OSTEOARTHRITIS, PREDIABETES,
};
use crate::demographics::Person;
use crate::ids::Dice;
use crate::sensitive;
use crate::time::REFERENCE_DATE;
use chrono::{Days, Months, NaiveDate};
use rand::Rng;

/// What a problem is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Chronic(&'static ChronicDef),
    Allergy(&'static AllergyDef),
}

/// One entry of the problem list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem {
    pub kind: Kind,
    pub onset: NaiveDate,
}

impl Problem {
    /// Resources it takes to record the problem when diagnosed.
    pub(crate) fn cost(&self) -> usize {
        match self.kind {
            Kind::Chronic(def) => def.diagnosis_cost(),
            Kind::Allergy(_) => 1,
        }
    }

    pub(crate) fn is_sensitive(&self) -> bool {
        matches!(self.kind, Kind::Chronic(def) if def.sensitivity.is_some())
    }
}

/// How likely a long-term condition is by the reference date: it can
/// begin from `from_age`, and its prevalence grows with age.
struct Risk {
    def: &'static ChronicDef,
    from_age: u32,
    base: f64,
    per_year: f64,
    max: f64,
}

impl Risk {
    fn chance_at(&self, age: u32) -> f64 {
        if age < self.from_age {
            return 0.0;
        }
        (self.base + self.per_year * f64::from(age - self.from_age)).min(self.max)
    }
}

#[rustfmt::skip] // a table
static RISKS: &[Risk] = &[
    Risk { def: &HYPERTENSION, from_age: 30, base: 0.08, per_year: 0.012, max: 0.6 },
    Risk { def: &HYPERLIPIDEMIA, from_age: 30, base: 0.05, per_year: 0.010, max: 0.45 },
    Risk { def: &OSTEOARTHRITIS, from_age: 50, base: 0.05, per_year: 0.010, max: 0.35 },
    Risk { def: &ASTHMA, from_age: 2, base: 0.08, per_year: 0.0, max: 0.08 },
];

/// The whole problem list of a person, oldest first.
pub(crate) fn problem_list(dice: &mut Dice, person: &Person, sensitive: bool) -> Vec<Problem> {
    let age = person.age();
    let mut problems = Vec::new();
    let problem = |dice: &mut Dice, kind: Kind, earliest_age: u32, latest_age: u32| Problem {
        kind,
        onset: onset(dice, person, earliest_age, latest_age),
    };

    for risk in RISKS {
        if chance(dice, risk.chance_at(age)) {
            // Asthma usually starts in childhood; the rest at any age since eligible.
            let latest = if std::ptr::eq(risk.def, &ASTHMA) {
                age.min(25)
            } else {
                age
            };
            problems.push(problem(
                dice,
                Kind::Chronic(risk.def),
                risk.from_age,
                latest,
            ));
        }
    }
    // Blood sugar: diabetes, or on the way to it.
    if age >= 35 && chance(dice, (0.05 + 0.006 * f64::from(age - 35)).min(0.25)) {
        problems.push(problem(dice, Kind::Chronic(&DIABETES), 35, age));
    } else if age >= 25 && chance(dice, 0.15) {
        problems.push(problem(dice, Kind::Chronic(&PREDIABETES), 25, age));
    }
    if age >= 18 && person.adult_bmi >= 30.0 && chance(dice, 0.8) {
        problems.push(problem(dice, Kind::Chronic(&OBESITY), 18, age));
    }
    if sensitive {
        for def in sensitive::draw(dice, person) {
            problems.push(problem(
                dice,
                Kind::Chronic(def),
                16.max(age.saturating_sub(10)),
                age,
            ));
        }
    }
    let allergies = match dice.random_range(0..100u8) {
        0..8 => 2,
        8..33 => 1,
        _ => 0,
    };
    for _ in 0..allergies {
        let allergy = pick_ref(dice, ALLERGIES);
        let known = problems
            .iter()
            .any(|p| matches!(p.kind, Kind::Allergy(a) if std::ptr::eq(a, allergy)));
        if !known {
            problems.push(problem(dice, Kind::Allergy(allergy), 0, age.min(30)));
        }
    }
    problems.sort_by_key(|p| p.onset);
    problems
}

/// A date between the person's `earliest_age` and `latest_age` birthdays
/// (inclusive of that last year), never after the reference date.
fn onset(dice: &mut Dice, person: &Person, earliest_age: u32, latest_age: u32) -> NaiveDate {
    let years = dice.random_range(earliest_age..=latest_age.max(earliest_age));
    let birthday = person
        .birth
        .checked_add_months(Months::new(12 * years))
        .unwrap_or(person.birth);
    let onset = birthday
        .checked_add_days(Days::new(dice.random_range(0..365)))
        .unwrap_or(birthday);
    let latest = REFERENCE_DATE - Days::new(30);
    onset.min(latest).max(person.birth)
}
