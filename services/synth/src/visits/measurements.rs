//! Measuring during a visit: vital signs, single tests and panels with
//! their reports, each taken only when the record has room for it.

use super::Visit;
use crate::chance::measure;
use crate::clinical::HYPERTENSION;
use crate::codes::Code;
use crate::measures::{Measure, Panel, vital};
use crate::results::{Category, Found, diagnostic_report, observation};
use crate::vitals;
use rand::Rng;

/// Which vital signs a visit takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Vitals {
    /// Growth and cardiovascular signs of a check-up.
    Full,
    /// Weight, pulse and pressure of a follow-up.
    Brief,
    /// Temperature and the signs of someone unwell.
    Unwell { fever: bool },
}

impl Visit<'_> {
    pub(super) fn test_if_room(&mut self, test: &'static Measure) {
        if self.budget.take(1) {
            self.test(test);
        }
    }

    /// One laboratory test, in room already taken or reserved.
    pub(super) fn test(&mut self, test: &'static Measure) {
        let (lo, hi) = test.range_for(&self.conditions());
        let value = measure(&mut self.history.dice, lo, hi, test.decimals);
        let found = Found::Quantity(value, test.ucum);
        let result = observation(
            &self.cx,
            Category::Laboratory,
            &test.code,
            found,
            self.at(25),
        );
        self.add(result);
        self.note.tests.push(test.code.display);
    }

    /// A panel of tests and its report, if it fits whole and was not drawn
    /// already during this visit.
    pub(super) fn panel(&mut self, panel: &'static Panel) {
        if self.panels.contains(&panel.code.code) || !self.budget.take(panel.members.len() + 1) {
            return;
        }
        self.panels.push(panel.code.code);
        let conditions = self.conditions();
        let at = self.at(25);
        let mut results = Vec::with_capacity(panel.members.len());
        for test in panel.members {
            let (lo, hi) = test.range_for(&conditions);
            let value = measure(&mut self.history.dice, lo, hi, test.decimals);
            let found = Found::Quantity(value, test.ucum);
            let url = self.add(observation(
                &self.cx,
                Category::Laboratory,
                &test.code,
                found,
                at,
            ));
            results.push((url, test.code.display));
        }
        let report = diagnostic_report(&self.cx, &panel.code, &results, at);
        self.add(report);
        self.note.tests.push(panel.code.display);
    }

    /// Takes vital signs `minutes` into the visit, each as long as there is
    /// room.
    pub(super) fn vitals(&mut self, which: Vitals, minutes: i64) {
        let age = self.age();
        let at = self.at(minutes);
        let hypertensive = self.has(&HYPERTENSION);
        let person = &self.subject.person;
        let dice = &mut self.history.dice;
        let body = vitals::body(dice, person, at.date());
        let pressure = vitals::blood_pressure(dice, age, hypertensive);
        let pulse = vitals::heart_rate(dice, age);
        let mut signs: Vec<(Code, Found<'_>)> = Vec::with_capacity(6);
        let quantity = |value, unit| Found::Quantity(value, unit);
        let parts = [
            (vital::SYSTOLIC, pressure.0, "mm[Hg]"),
            (vital::DIASTOLIC, pressure.1, "mm[Hg]"),
        ];
        let bp = Found::Components(&parts);
        match which {
            Vitals::Full => {
                signs.push((vital::HEIGHT, quantity(body.height_cm, "cm")));
                signs.push((vital::WEIGHT, quantity(body.weight_kg, "kg")));
                if age >= 2 {
                    signs.push((vital::BMI, quantity(body.bmi, "kg/m2")));
                }
                signs.push((vital::HEART_RATE, quantity(pulse, "/min")));
                if age >= 3 {
                    signs.push((vital::BLOOD_PRESSURE, bp));
                } else {
                    let rate = vitals::respiratory_rate(dice, age);
                    signs.push((vital::RESPIRATORY_RATE, quantity(rate, "/min")));
                }
            }
            Vitals::Brief => {
                signs.push((vital::WEIGHT, quantity(body.weight_kg, "kg")));
                signs.push((vital::HEART_RATE, quantity(pulse, "/min")));
                signs.push((vital::BLOOD_PRESSURE, bp));
            }
            Vitals::Unwell { fever } => {
                let temperature = vitals::temperature(dice, fever);
                signs.push((vital::TEMPERATURE, quantity(temperature, "Cel")));
                signs.push((vital::HEART_RATE, quantity(pulse, "/min")));
                let rate = vitals::respiratory_rate(dice, age);
                signs.push((vital::RESPIRATORY_RATE, quantity(rate, "/min")));
                if age >= 3 {
                    signs.push((vital::BLOOD_PRESSURE, bp));
                    let pain = f64::from(dice.random_range(1..=8u8));
                    signs.push((vital::PAIN, quantity(pain, "{score}")));
                }
            }
        }
        for (code, found) in signs {
            if self.budget.take(1) {
                let sign = observation(&self.cx, Category::VitalSigns, &code, found, at);
                self.history.record.add(&mut self.history.dice, sign);
            }
        }
    }
}
