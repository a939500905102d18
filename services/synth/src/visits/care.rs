//! What each kind of visit does: check-ups, follow-ups of long-term
//! conditions, and acute problems in clinic, emergency room or hospital.

use super::Visit;
use super::measurements::Vitals;
use crate::chance::chance;
use crate::clinical::{AcuteDef, Monitoring, Setting, routine};
use crate::measures::{BASIC_METABOLIC, BLOOD_COUNT, LIPIDS};
use crate::resources;
use crate::results::imaging_study;
use rand::Rng;

impl Visit<'_> {
    pub(super) fn checkup(&mut self) {
        let (age, today) = (self.age(), self.cx.start.date());
        self.vitals(Vitals::Full, 5);
        let birth = self.subject.person.birth;
        let room = self.budget.left();
        for vaccine in self.history.vaccines.give_due(birth, today, room) {
            if self.budget.take(1) {
                self.add(resources::immunization(&self.cx, &vaccine));
                self.note.immunizations.push(vaccine.display);
            }
        }
        self.manage_long_term();
        let dice = &mut self.history.dice;
        let (lipids, chemistry, counts) = (
            age >= 20 && chance(dice, 0.3),
            age >= 40 && chance(dice, 0.3),
            age >= 18 && chance(dice, 0.25),
        );
        let screen = [
            (lipids, &LIPIDS),
            (chemistry, &BASIC_METABOLIC),
            (counts, &BLOOD_COUNT),
        ];
        for (wanted, panel) in screen {
            if wanted {
                self.panel(panel);
            }
        }
        if age >= 12 && chance(&mut self.history.dice, 0.7) {
            self.procedure(&routine::DEPRESSION_SCREENING, None, 10);
        }
        if (50..=75).contains(&age) && chance(&mut self.history.dice, 0.08) {
            self.procedure(&routine::COLONOSCOPY, None, 45);
        }
        self.history.last_checkup = Some(today);
    }

    pub(super) fn follow_up(&mut self) {
        self.vitals(Vitals::Brief, 5);
        self.manage_long_term();
    }

    /// Renews prescriptions and checks what long-term conditions need.
    fn manage_long_term(&mut self) {
        let mut any_medication = false;
        for i in 0..self.established {
            let def = self.history.diagnosed[i].def;
            if let Some(medication) = &def.medication {
                any_medication = true;
                if self.budget.take(1) {
                    let reason = self.history.diagnosed[i].condition.clone();
                    let cx = self.cx;
                    self.add(resources::medication_request(
                        &cx,
                        medication,
                        Some(&reason),
                        true,
                    ));
                    self.note.medications.push(medication.display);
                }
            }
            match &def.monitoring {
                Some(Monitoring::Test(test)) => self.test_if_room(test),
                Some(Monitoring::Panel(panel)) => self.panel(panel),
                None => {}
            }
        }
        if any_medication {
            self.procedure(&routine::MEDICATION_RECONCILIATION, None, 15);
        }
    }

    pub(super) fn acute(&mut self, def: &'static AcuteDef) {
        self.acute_problem = Some(def);
        self.note.complaint = Some(def.diagnosis.snomed_display);
        if !self.budget.take(1) {
            return;
        }
        let cx = self.cx;
        let dice = &mut self.history.dice;
        let onset = cx.start.plus_minutes(-dice.random_range(60..72 * 60));
        let abated = cx
            .start
            .plus_minutes(1440 * i64::from(dice.random_range(def.lasts.0..=def.lasts.1)));
        let condition = self.add(resources::condition(
            &cx,
            &def.diagnosis,
            false,
            onset,
            Some(abated),
        ));
        self.note.diagnoses.push(def.diagnosis.snomed_display);

        self.vitals(Vitals::Unwell { fever: def.fever }, 5);
        if def.labs {
            self.panel(&BLOOD_COUNT);
            self.panel(&BASIC_METABOLIC);
        }
        if let Some(imaging) = &def.imaging
            && self.budget.take(2)
        {
            let at = self.at(30);
            let study = imaging_study(&cx, &mut self.history.dice, imaging, at);
            self.add(study);
            let procedure = resources::procedure(&cx, &imaging.procedure, Some(&condition), at, 20);
            self.add(procedure);
            self.note.procedures.push(imaging.procedure.display);
        }
        if let Some(code) = &def.procedure {
            self.procedure(code, Some(&condition), 60);
        }
        if let Some(medication) = &def.medication
            && self.budget.take(1)
        {
            self.add(resources::medication_request(
                &cx,
                medication,
                Some(&condition),
                false,
            ));
            self.note.medications.push(medication.display);
        }
        if let Some(plan) = def.care_plan
            && self.budget.take(1)
        {
            self.add(resources::care_plan(&cx, plan, &condition, Some(abated)));
        }
        // A stay in hospital is watched day by day.
        if def.setting == Setting::Inpatient {
            let days = (cx.end.local - cx.start.local).num_days();
            for day in 1..=days {
                let fever = def.fever && day < 2;
                self.vitals(Vitals::Unwell { fever }, 1440 * day + 3);
            }
        }
    }
}
