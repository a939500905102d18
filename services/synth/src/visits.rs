//! One visit: the Encounter, the problems it records, then what this kind
//! of visit does (measure, test, vaccinate, prescribe, image, plan) within
//! the room the record has left, and the note that sums it up.

use crate::chance::{chance, measure};
use crate::chart::{Diagnosed, History, Subject};
use crate::clinical::{AcuteDef, ChronicDef, Finding, HYPERTENSION, Monitoring, Setting, routine};
use crate::codes::{Code, snomed};
use crate::measures::{BASIC_METABOLIC, BLOOD_COUNT, LIPIDS, Measure, Panel, vital};
use crate::notes::{Note, document_reference};
use crate::problems::{Kind, Problem};
use crate::record::Budget;
use crate::resources::{self, Context, EncounterClass};
use crate::results::{Category, Found, diagnostic_report, imaging_study, observation};
use crate::time::Moment;
use crate::vitals;
use rand::Rng;
use serde_json::Value;

/// What a visit is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VisitKind {
    /// A routine check-up (well-child visit for children).
    Checkup,
    /// A follow-up of long-term conditions.
    FollowUp,
    /// An acute problem, in its setting.
    Acute(&'static AcuteDef),
}

/// Which vital signs a visit takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vitals {
    /// Growth and cardiovascular signs of a check-up.
    Full,
    /// Weight, pulse and pressure of a follow-up.
    Brief,
    /// Temperature and the signs of someone unwell.
    Unwell { fever: bool },
}

/// The visit being written.
struct Visit<'a> {
    subject: &'a Subject,
    history: &'a mut History,
    cx: Context<'a>,
    budget: Budget,
    note: Note,
    /// The acute problem of the visit, which shifts lab results.
    acute_problem: Option<&'static AcuteDef>,
    /// LOINC codes of panels already drawn, so none is drawn twice.
    panels: Vec<&'static str>,
}

/// Writes a visit starting at `start` and returns when it ended. With
/// `force`, every pending problem is recorded now: nothing else will fit.
pub(crate) fn visit(
    subject: &Subject,
    history: &mut History,
    kind: VisitKind,
    start: Moment,
    force: bool,
) -> Moment {
    let child = subject.person.age_on(start.date()) < 18;
    let dice = &mut history.dice;
    let (class, code, reason, minutes) = match kind {
        VisitKind::Checkup if child => {
            let code = snomed("410620009", "Well child visit");
            (EncounterClass::Ambulatory, code, None, dice.random_range(30..60))
        }
        VisitKind::Checkup => {
            let code = snomed("162673000", "General examination of patient");
            (EncounterClass::Ambulatory, code, None, dice.random_range(30..60))
        }
        VisitKind::FollowUp => {
            let code = snomed("390906007", "Follow-up encounter");
            (EncounterClass::Ambulatory, code, None, dice.random_range(20..40))
        }
        VisitKind::Acute(def) => {
            let reason = Some(def.diagnosis.snomed_code());
            match def.setting {
                Setting::Clinic => {
                    let code = snomed("185345009", "Encounter for symptom");
                    (EncounterClass::Ambulatory, code, reason, dice.random_range(20..60))
                }
                Setting::Emergency => {
                    let code = snomed("50849002", "Emergency room admission");
                    (EncounterClass::Emergency, code, reason, dice.random_range(120..360))
                }
                Setting::Inpatient => {
                    let code = snomed("32485007", "Hospital admission");
                    let days = dice.random_range(2..6);
                    (EncounterClass::Inpatient, code, reason, days * 1440 + dice.random_range(0..240))
                }
            }
        }
    };
    let end = start.plus_minutes(minutes);
    let encounter = resources::encounter(&subject.patient, &subject.team, class, &code, reason.as_ref(), start, end);
    let encounter = history.record.add(&mut history.dice, encounter);

    let cx = Context {
        patient: &subject.patient,
        encounter: &encounter,
        team: &subject.team,
        start,
        end,
    };
    let mut visit = Visit {
        subject,
        history,
        cx,
        budget: Budget::new(0),
        note: Note::default(),
        acute_problem: None,
        panels: Vec::new(),
    };
    visit.record_due_problems(force);
    let free = visit.history.record.room().saturating_sub(visit.history.reserved());
    visit.budget = Budget::new(free);
    let with_note = visit.budget.take(1);
    match kind {
        VisitKind::Checkup => visit.checkup(),
        VisitKind::FollowUp => visit.follow_up(),
        VisitKind::Acute(def) => visit.acute(def),
    }
    if with_note {
        let note = document_reference(&visit.cx, &subject.person, &code, &visit.note);
        visit.add(note);
    }
    end
}

impl Visit<'_> {
    fn add(&mut self, resource: Value) -> String {
        self.history.record.add(&mut self.history.dice, resource)
    }

    /// A time `minutes` into the visit.
    fn at(&self, minutes: i64) -> Moment {
        self.cx.start.plus_minutes(minutes).no_later_than(self.cx.end)
    }

    fn age(&self) -> u32 {
        self.subject.person.age_on(self.cx.start.date())
    }

    /// SNOMED codes of the conditions the patient has now.
    fn conditions(&self) -> Vec<&'static str> {
        let chronic = self.history.diagnosed.iter().map(|d| d.def.diagnosis.snomed);
        chronic.chain(self.acute_problem.map(|a| a.diagnosis.snomed)).collect()
    }

    fn has(&self, def: &ChronicDef) -> bool {
        self.history.diagnosed.iter().any(|d| std::ptr::eq(d.def, def))
    }

    /// Records the pending problems that have begun by now (all of them
    /// when forced). Their room was reserved, so no budget is checked.
    fn record_due_problems(&mut self, force: bool) {
        let today = self.cx.start.date();
        let due: Vec<Problem> = self
            .history
            .pending
            .extract_if(.., |p| force || p.onset <= today)
            .collect();
        for problem in due {
            let onset_day = problem.onset.min(today);
            let onset = Moment::new(onset_day.and_time(chrono::NaiveTime::MIN), self.cx.start.zone)
                .plus_minutes(9 * 60)
                .no_later_than(self.cx.start);
            match problem.kind {
                Kind::Chronic(def) => self.diagnose(def, onset),
                Kind::Allergy(def) => {
                    let allergy = resources::allergy(&self.cx, def, onset);
                    self.add(allergy);
                    self.note.allergies.push(def.code.display);
                }
            }
        }
    }

    fn diagnose(&mut self, def: &'static ChronicDef, onset: Moment) {
        let cx = self.cx;
        let condition = self.add(resources::condition(&cx, &def.diagnosis, true, onset, None));
        self.note.diagnoses.push(def.diagnosis.snomed_display);
        if let Some(medication) = &def.medication {
            self.add(resources::medication_request(&cx, medication, Some(&condition), true));
            self.note.medications.push(medication.display);
        }
        if let Some(plan) = def.care_plan {
            self.add(resources::care_plan(&cx, plan, &condition, None));
        }
        match &def.at_diagnosis {
            Some(Finding::Measured(test)) => self.test(test),
            Some(Finding::Coded { test, result }) => {
                let found = observation(&cx, Category::Laboratory, test, Found::Coded(result), self.at(30));
                self.add(found);
                self.note.tests.push(test.display);
            }
            None => {}
        }
        self.history.diagnosed.push(Diagnosed { def, condition });
    }

    fn checkup(&mut self) {
        let (age, today) = (self.age(), self.cx.start.date());
        self.vitals(Vitals::Full, 5);
        let birth = self.subject.person.birth;
        for vaccine in self.history.vaccines.give_due(birth, today, self.budget.left()) {
            self.budget.take(1);
            self.add(resources::immunization(&self.cx, &vaccine));
            self.note.immunizations.push(vaccine.display);
        }
        self.manage_long_term();
        let dice = &mut self.history.dice;
        let (lipids, chemistry, counts) = (
            age >= 20 && chance(dice, 0.3),
            age >= 40 && chance(dice, 0.3),
            age >= 18 && chance(dice, 0.25),
        );
        let screen = [(lipids, &LIPIDS), (chemistry, &BASIC_METABOLIC), (counts, &BLOOD_COUNT)];
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

    fn follow_up(&mut self) {
        self.vitals(Vitals::Brief, 5);
        self.manage_long_term();
    }

    /// Renews prescriptions and checks what long-term conditions need.
    fn manage_long_term(&mut self) {
        let mut any_medication = false;
        for i in 0..self.history.diagnosed.len() {
            let def = self.history.diagnosed[i].def;
            if let Some(medication) = &def.medication {
                any_medication = true;
                if self.budget.take(1) {
                    let reason = self.history.diagnosed[i].condition.clone();
                    let cx = self.cx;
                    self.add(resources::medication_request(&cx, medication, Some(&reason), true));
                    self.note.medications.push(medication.display);
                }
            }
            match &def.monitoring {
                Some(Monitoring::Test(test)) => {
                    if self.budget.take(1) {
                        self.test(test);
                    }
                }
                Some(Monitoring::Panel(panel)) => self.panel(panel),
                None => {}
            }
        }
        if any_medication {
            self.procedure(&routine::MEDICATION_RECONCILIATION, None, 15);
        }
    }

    fn acute(&mut self, def: &'static AcuteDef) {
        self.acute_problem = Some(def);
        self.note.complaint = Some(def.diagnosis.snomed_display);
        if !self.budget.take(1) {
            return;
        }
        let cx = self.cx;
        let dice = &mut self.history.dice;
        let onset = cx.start.plus_minutes(-dice.random_range(60..72 * 60));
        let abated = cx.start.plus_minutes(1440 * i64::from(dice.random_range(def.lasts.0..=def.lasts.1)));
        let condition = self.add(resources::condition(&cx, &def.diagnosis, false, onset, Some(abated)));
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
            self.add(resources::medication_request(&cx, medication, Some(&condition), false));
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
                self.vitals_at(Vitals::Unwell { fever: def.fever && day < 2 }, 3, 1440 * day);
            }
        }
    }

    fn procedure(&mut self, code: &Code, reason: Option<&str>, minutes: i64) {
        if self.budget.take(1) {
            let procedure = resources::procedure(&self.cx, code, reason, self.at(20), minutes);
            self.add(procedure);
            self.note.procedures.push(code.display);
        }
    }

    /// One laboratory test; its room must already be taken.
    fn test(&mut self, test: &'static Measure) {
        let (lo, hi) = test.range_for(&self.conditions());
        let value = measure(&mut self.history.dice, lo, hi, test.decimals);
        let found = Found::Quantity(value, test.ucum);
        let result = observation(&self.cx, Category::Laboratory, &test.code, found, self.at(25));
        self.add(result);
        self.note.tests.push(test.code.display);
    }

    /// A panel of tests and its report, if it fits whole and was not drawn
    /// already during this visit.
    fn panel(&mut self, panel: &'static Panel) {
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
            let url = self.add(observation(&self.cx, Category::Laboratory, &test.code, found, at));
            results.push((url, test.code.display));
        }
        let report = diagnostic_report(&self.cx, &panel.code, &results, at);
        self.add(report);
        self.note.tests.push(panel.code.display);
    }

    fn vitals(&mut self, which: Vitals, minutes: i64) {
        self.vitals_at(which, minutes, 0);
    }

    /// Takes vital signs `minutes` (plus `later`) into the visit, each as
    /// long as there is room.
    fn vitals_at(&mut self, which: Vitals, minutes: i64, later: i64) {
        let age = self.age();
        let at = self.cx.start.plus_minutes(later + minutes).no_later_than(self.cx.end);
        let hypertensive = self.has(&HYPERTENSION);
        let person = &self.subject.person;
        let dice = &mut self.history.dice;
        let body = vitals::body(dice, person, at.date());
        let pressure = vitals::blood_pressure(dice, age, hypertensive);
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
                signs.push((vital::HEART_RATE, quantity(vitals::heart_rate(dice, age), "/min")));
                if age >= 3 {
                    signs.push((vital::BLOOD_PRESSURE, bp));
                } else {
                    let rate = vitals::respiratory_rate(dice, age);
                    signs.push((vital::RESPIRATORY_RATE, quantity(rate, "/min")));
                }
            }
            Vitals::Brief => {
                signs.push((vital::WEIGHT, quantity(body.weight_kg, "kg")));
                signs.push((vital::HEART_RATE, quantity(vitals::heart_rate(dice, age), "/min")));
                signs.push((vital::BLOOD_PRESSURE, bp));
            }
            Vitals::Unwell { fever } => {
                let temperature = vitals::temperature(dice, fever);
                signs.push((vital::TEMPERATURE, quantity(temperature, "Cel")));
                signs.push((vital::HEART_RATE, quantity(vitals::heart_rate(dice, age), "/min")));
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
