//! Writing one patient's chart: who they are, then a timeline of visits
//! until the record holds the number of entries drawn for its size.
//!
//! The entry count is drawn first and every visit spends from it, so sizes
//! are exact by construction. Room for problems that are not yet diagnosed
//! (sensitive ones above all) is reserved up front, so they are always
//! recorded, however the timeline unfolds.

use crate::RecordSize;
use crate::chance::{chance, pick, pick_weighted};
use crate::clinical::{ACUTE, AcuteDef, ChronicDef, Setting};
use crate::demographics::{self, Person};
use crate::ids::{Dice, HISTORY_STREAM, PERSON_STREAM, SITE_STREAM, mix, patient_dice};
use crate::problems::{Problem, problem_list};
use crate::providers::CareTeam;
use crate::record::Record;
use crate::time::{Moment, REFERENCE_DATE, Zone};
use crate::vaccines::VaccineHistory;
use crate::visits::{VisitKind, visit};
use chrono::{Days, NaiveDate, NaiveTime, TimeDelta};
use rand::Rng;
use serde_json::Value;

/// One patient in five is in the sensitive stratum; which residue of the
/// index it is depends on the seed.
fn in_sensitive_stratum(seed: u64, index: usize) -> bool {
    let phase = mix(seed, u64::MAX) % 5;
    (index as u64 % 5 + phase).is_multiple_of(5)
}

/// How many years of history each record size covers (less for children).
fn years_of_history(size: RecordSize) -> u64 {
    match size {
        RecordSize::Small => 3,
        RecordSize::Typical => 12,
        RecordSize::Large => 30,
    }
}

/// The rng stream of a record size's history at a site: every (site,
/// size) has its own, so no two records share a resource id.
fn history_stream(size: RecordSize, site: u32) -> u64 {
    HISTORY_STREAM
        + 3 * u64::from(site)
        + match size {
            RecordSize::Small => 0,
            RecordSize::Typical => 1,
            RecordSize::Large => 2,
        }
}

/// The patient, fixed for the whole history.
#[derive(Debug)]
pub(crate) struct Subject {
    pub person: Person,
    pub team: CareTeam,
    /// The Patient entry's fullUrl.
    pub patient: String,
}

impl Subject {
    /// Where visits happen: the organisation's time zone.
    pub(crate) fn zone(&self) -> Zone {
        self.team.organization.city.zone
    }
}

/// A long-term condition already recorded, and its Condition's fullUrl.
#[derive(Debug)]
pub(crate) struct Diagnosed {
    pub def: &'static ChronicDef,
    pub condition: String,
}

/// Everything that changes as the history is written.
#[derive(Debug)]
pub(crate) struct History {
    pub dice: Dice,
    pub record: Record,
    /// Problems not yet recorded, oldest onset first.
    pub pending: Vec<Problem>,
    pub diagnosed: Vec<Diagnosed>,
    pub vaccines: VaccineHistory,
    pub last_checkup: Option<NaiveDate>,
}

impl History {
    /// Room held back for pending problems: their resources plus one
    /// encounter to record them in.
    pub(crate) fn reserved(&self) -> usize {
        let cost: usize = self.pending.iter().map(Problem::cost).sum();
        cost + usize::from(!self.pending.is_empty())
    }
}

/// The whole record of patient `index` of dataset `seed` as kept at `site`
/// (0: where the person is first drawn).
///
/// The person — demographics, identifiers, problems — comes from the person
/// stream alone, so it is the same at every site. Another site draws its own
/// care team, Patient id and history from streams of its own.
pub(crate) fn write(seed: u64, index: usize, size: RecordSize, site: u32) -> Value {
    let mut person_dice = patient_dice(seed, index, PERSON_STREAM);
    let sensitive = in_sensitive_stratum(seed, index);
    let home_team = CareTeam::choose(&mut person_dice);
    let (person, mut patient_resource) =
        demographics::person(&mut person_dice, sensitive, &home_team);
    let mut problems = problem_list(&mut person_dice, &person, sensitive);
    let (team, mut id_dice) = if site == 0 {
        (home_team, person_dice)
    } else {
        let mut site_dice = patient_dice(seed, index, SITE_STREAM + u64::from(site));
        let team = CareTeam::choose(&mut site_dice);
        demographics::assign_care_team(&mut patient_resource, &team);
        (team, site_dice)
    };

    let mut dice = patient_dice(seed, index, history_stream(size, site));
    let target = dice.random_range(size.entries());
    let mut record = Record::new(target);
    let organization = &team.organization;
    record.add_conditional(
        &organization.uuid,
        organization.resource(),
        organization.search(),
    );
    let practitioner = &team.practitioner;
    record.add_conditional(
        &practitioner.uuid,
        practitioner.resource(),
        practitioner.search(),
    );
    // The patient's id comes from the person (or site) stream: the same at
    // every size.
    let patient = record.add(&mut id_dice, patient_resource);

    // Problems may take at most half of what is left, dropping the most
    // recent non-sensitive ones first; sensitive ones always fit.
    let allowance = record.room() / 2;
    while problems.iter().map(Problem::cost).sum::<usize>() + 1 > allowance {
        let Some(last) = problems.iter().rposition(|p| !p.is_sensitive()) else {
            break;
        };
        problems.remove(last);
    }

    let subject = Subject {
        person,
        team,
        patient,
    };
    let history = History {
        dice,
        record,
        pending: problems,
        diagnosed: Vec::new(),
        vaccines: VaccineHistory::new(),
        last_checkup: None,
    };
    live(&subject, history, years_of_history(size)).into_bundle()
}

/// Visits from the start of the history until the record is full.
fn live(subject: &Subject, mut history: History, years: u64) -> Record {
    let birth = subject.person.birth;
    let first_day = REFERENCE_DATE
        .checked_sub_days(Days::new(years * 365 + years / 4))
        .unwrap_or(birth)
        .max(birth);
    let last_day = REFERENCE_DATE - Days::new(7);
    let end = last_day.and_time(NaiveTime::MIN);
    let mut cursor = first_day.and_time(NaiveTime::MIN);

    // Average resources per visit so far, seeded with a typical visit, to
    // spread the remaining visits evenly over the remaining time.
    let (mut spent, mut visits) = (20usize, 2usize);
    while history.record.room() > 0 {
        let free = history.record.room().saturating_sub(history.reserved());
        let expected = (free as f64 / (spent as f64 / visits as f64)).max(1.0);
        let left = (end - cursor).num_minutes().max(0) as f64;
        let gap = (left / (expected + 1.0) * history.dice.random_range(0.5..1.5)) as i64;
        let next = cursor + TimeDelta::minutes(gap.max(30));
        let new_day = next.date() > cursor.date();

        let kind = choose_kind(subject, &mut history, next.date());
        let start = if new_day {
            let hours = match kind {
                VisitKind::Acute(def) if def.setting != Setting::Clinic => 7..22,
                _ => 8..17,
            };
            let hour = history.dice.random_range(hours);
            let minute = 15 * history.dice.random_range(0..4);
            next.date().and_hms_opt(hour, minute, 0).unwrap_or(next)
        } else {
            next
        };
        // The last chance to record pending problems: nothing else fits.
        let force = free == 0;
        let before = history.record.len();
        let end_of_visit = visit(
            subject,
            &mut history,
            kind,
            Moment::new(start, subject.zone()),
            force,
        );
        spent += history.record.len() - before;
        visits += 1;
        cursor = end_of_visit.local;
    }
    history.record
}

/// What the visit starting on `day` is for: a check-up when one is due,
/// otherwise a follow-up of long-term problems or an acute problem.
fn choose_kind(subject: &Subject, history: &mut History, day: NaiveDate) -> VisitKind {
    let person = &subject.person;
    let age = person.age_on(day);
    let checkup_every = if age < 2 { 60 } else { 330 };
    let checkup_due = history
        .last_checkup
        .is_none_or(|last| (day - last).num_days() >= checkup_every);
    let dice = &mut history.dice;
    if checkup_due && chance(dice, 0.85) {
        return VisitKind::Checkup;
    }
    let follow_up_weight = if history.diagnosed.is_empty() { 0 } else { 30 };
    let options = [
        (12, None),
        (follow_up_weight, Some(None)),
        (40, Some(Some(Setting::Clinic))),
        (7, Some(Some(Setting::Emergency))),
        (3, Some(Some(Setting::Inpatient))),
    ];
    match pick_weighted(dice, &options) {
        None => VisitKind::Checkup,
        Some(None) => VisitKind::FollowUp,
        Some(Some(setting)) => {
            let fits = |def: &&AcuteDef| {
                def.setting == setting && (def.ages.0..=def.ages.1).contains(&age)
            };
            let candidates: Vec<&'static AcuteDef> = ACUTE.iter().filter(fits).collect();
            if candidates.is_empty() {
                VisitKind::Checkup
            } else {
                VisitKind::Acute(pick(dice, &candidates))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_five_consecutive_patients_hold_one_sensitive_stratum_member() {
        for seed in [0, 1, 42, u64::MAX] {
            for start in [0, 3, 100] {
                let members = (start..start + 5)
                    .filter(|&i| in_sensitive_stratum(seed, i))
                    .count();
                assert_eq!(members, 1, "seed {seed}, from {start}");
            }
        }
    }
}
