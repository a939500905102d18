//! One visit: the Encounter, the problems it records, what this kind of
//! visit does within the room the record has left (`care.rs`: vaccinate,
//! prescribe, image, plan), the measurements and tests it takes
//! (`measurements.rs`), and the note that sums it up.

mod care;
mod measurements;

use crate::chart::{Diagnosed, History, Subject};
use crate::clinical::{AcuteDef, ChronicDef, Finding, Setting};
use crate::codes::{Code, snomed};
use crate::ids::Dice;
use crate::notes::{Note, document_reference};
use crate::problems::{Kind, Problem};
use crate::record::Budget;
use crate::resources::{self, Context, EncounterClass};
use crate::results::{Category, Found, observation};
use crate::time::Moment;
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
    /// How many long-term conditions were known before this visit: those
    /// diagnosed during it were just prescribed for and need no renewal.
    established: usize,
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
    let (class, code, reason, minutes) = encounter_of(kind, child, &mut history.dice);
    let end = start.plus_minutes(minutes);
    let encounter = resources::encounter(
        &subject.patient,
        &subject.team,
        class,
        &code,
        reason.as_ref(),
        start,
        end,
    );
    let encounter = history.record.add(&mut history.dice, encounter);

    let cx = Context {
        patient: &subject.patient,
        encounter: &encounter,
        team: &subject.team,
        start,
        end,
    };
    let established = history.diagnosed.len();
    let mut visit = Visit {
        subject,
        history,
        cx,
        budget: Budget::new(0),
        note: Note::default(),
        acute_problem: None,
        panels: Vec::new(),
        established,
    };
    visit.record_due_problems(force);
    let free = visit
        .history
        .record
        .room()
        .saturating_sub(visit.history.reserved());
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

/// The class, type, reason and length in minutes of a visit's encounter.
fn encounter_of(
    kind: VisitKind,
    child: bool,
    dice: &mut Dice,
) -> (EncounterClass, Code, Option<Code>, i64) {
    use EncounterClass::{Ambulatory, Emergency, Inpatient};
    match kind {
        VisitKind::Checkup if child => {
            let code = snomed("410620009", "Well child visit");
            (Ambulatory, code, None, dice.random_range(30..60))
        }
        VisitKind::Checkup => {
            let code = snomed("162673000", "General examination of patient");
            (Ambulatory, code, None, dice.random_range(30..60))
        }
        VisitKind::FollowUp => {
            let code = snomed("390906007", "Follow-up encounter");
            (Ambulatory, code, None, dice.random_range(20..40))
        }
        VisitKind::Acute(def) => {
            let reason = Some(def.diagnosis.snomed_code());
            match def.setting {
                Setting::Clinic => {
                    let code = snomed("185345009", "Encounter for symptom");
                    (Ambulatory, code, reason, dice.random_range(20..60))
                }
                Setting::Emergency => {
                    let code = snomed("50849002", "Emergency room admission");
                    (Emergency, code, reason, dice.random_range(120..360))
                }
                Setting::Inpatient => {
                    let code = snomed("32485007", "Hospital admission");
                    let days = dice.random_range(2..6);
                    (
                        Inpatient,
                        code,
                        reason,
                        days * 1440 + dice.random_range(0..240),
                    )
                }
            }
        }
    }
}

impl Visit<'_> {
    fn add(&mut self, resource: Value) -> String {
        self.history.record.add(&mut self.history.dice, resource)
    }

    /// A time `minutes` into the visit.
    fn at(&self, minutes: i64) -> Moment {
        self.cx
            .start
            .plus_minutes(minutes)
            .no_later_than(self.cx.end)
    }

    fn age(&self) -> u32 {
        self.subject.person.age_on(self.cx.start.date())
    }

    /// SNOMED codes of the conditions the patient has now.
    fn conditions(&self) -> Vec<&'static str> {
        let chronic = self
            .history
            .diagnosed
            .iter()
            .map(|d| d.def.diagnosis.snomed);
        chronic
            .chain(self.acute_problem.map(|a| a.diagnosis.snomed))
            .collect()
    }

    fn has(&self, def: &ChronicDef) -> bool {
        self.history
            .diagnosed
            .iter()
            .any(|d| std::ptr::eq(d.def, def))
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
            let onset = Moment::new(
                onset_day.and_time(chrono::NaiveTime::MIN),
                self.cx.start.zone,
            )
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
            self.add(resources::medication_request(
                &cx,
                medication,
                Some(&condition),
                true,
            ));
            self.note.medications.push(medication.display);
        }
        if let Some(plan) = def.care_plan {
            self.add(resources::care_plan(&cx, plan, &condition, None));
        }
        match &def.at_diagnosis {
            Some(Finding::Measured(test)) => self.test(test),
            Some(Finding::Coded { test, result }) => {
                let found = observation(
                    &cx,
                    Category::Laboratory,
                    test,
                    Found::Coded(result),
                    self.at(30),
                );
                self.add(found);
                self.note.tests.push(test.display);
            }
            None => {}
        }
        self.history.diagnosed.push(Diagnosed { def, condition });
    }

    fn procedure(&mut self, code: &Code, reason: Option<&str>, minutes: i64) {
        if self.budget.take(1) {
            let procedure = resources::procedure(&self.cx, code, reason, self.at(20), minutes);
            self.add(procedure);
            self.note.procedures.push(code.display);
        }
    }
}
