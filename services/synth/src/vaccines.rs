//! A simplified US immunization schedule (CVX codes) and the doses a
//! patient has had, so check-ups give the vaccines that are due.

use crate::codes::{Code, cvx};
use chrono::{Datelike, NaiveDate};

/// One vaccine: who gets it, how many doses, how far apart.
#[derive(Debug)]
struct Vaccine {
    code: Code,
    /// Age window in months.
    from_months: u32,
    to_months: u32,
    doses: u32,
    gap_months: u32,
    /// First year it was given at all.
    since_year: i32,
}

const fn vaccine(code: Code, ages: (u32, u32), doses: u32, gap_months: u32) -> Vaccine {
    Vaccine {
        code,
        from_months: ages.0,
        to_months: ages.1,
        doses,
        gap_months,
        since_year: 1990,
    }
}

const YEAR: u32 = 12;
const LIFE: u32 = 120 * YEAR;

#[rustfmt::skip] // a table
static SCHEDULE: &[Vaccine] = &[
    vaccine(cvx("08", "Hep B, adolescent or pediatric"), (0, 18), 3, 1),
    vaccine(cvx("119", "rotavirus, monovalent"), (2, 8), 2, 2),
    vaccine(cvx("20", "DTaP"), (2, 6 * YEAR), 5, 2),
    vaccine(cvx("49", "Hib (PRP-OMP)"), (2, 15), 3, 2),
    vaccine(cvx("133", "Pneumococcal conjugate PCV 13"), (2, 15), 4, 2),
    vaccine(cvx("10", "IPV"), (2, 6 * YEAR), 4, 2),
    vaccine(cvx("03", "MMR"), (12, 6 * YEAR), 2, 3 * YEAR),
    vaccine(cvx("21", "varicella"), (12, 6 * YEAR), 2, 3 * YEAR),
    vaccine(cvx("83", "Hep A, ped/adol, 2 dose"), (12, 24), 2, 6),
    vaccine(cvx("115", "Tdap"), (11 * YEAR, 13 * YEAR), 1, 0),
    vaccine(cvx("62", "HPV, quadrivalent"), (11 * YEAR, 18 * YEAR), 2, 6),
    vaccine(cvx("114", "meningococcal MCV4P"), (11 * YEAR, 18 * YEAR), 2, 4 * YEAR),
    vaccine(cvx("113", "Td (adult) preservative free"), (19 * YEAR, LIFE), 99, 10 * YEAR),
    vaccine(cvx("187", "zoster vaccine recombinant"), (50 * YEAR, LIFE), 2, 2),
    vaccine(cvx("33", "pneumococcal polysaccharide vaccine, 23 valent"), (65 * YEAR, LIFE), 1, 0),
    vaccine(cvx("140", "Influenza, seasonal, injectable, preservative free"), (6, LIFE), 999, 11),
    Vaccine {
        since_year: 2021,
        ..vaccine(
            cvx("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose"),
            (12 * YEAR, LIFE), 3, 6,
        )
    },
];

/// Whole months from `birth` to `on`.
fn months_between(birth: NaiveDate, on: NaiveDate) -> u32 {
    let months = (on.year() - birth.year()) * 12 + on.month() as i32
        - birth.month() as i32
        - i32::from(on.day() < birth.day());
    u32::try_from(months).unwrap_or(0)
}

/// Doses given so far, per vaccine of the schedule.
#[derive(Debug)]
pub(crate) struct VaccineHistory {
    given: Vec<(u32, Option<NaiveDate>)>,
}

impl VaccineHistory {
    pub(crate) fn new() -> VaccineHistory {
        VaccineHistory {
            given: vec![(0, None); SCHEDULE.len()],
        }
    }

    /// The vaccines due on `on` for someone born on `birth`, at most
    /// `limit` of them, recorded as given on that date.
    pub(crate) fn give_due(&mut self, birth: NaiveDate, on: NaiveDate, limit: usize) -> Vec<Code> {
        let age = months_between(birth, on);
        let mut due = Vec::new();
        for (vaccine, (doses, last)) in SCHEDULE.iter().zip(&mut self.given) {
            if due.len() == limit {
                break;
            }
            let in_window = (vaccine.from_months..=vaccine.to_months).contains(&age);
            let spaced = last.is_none_or(|last| months_between(last, on) >= vaccine.gap_months);
            if in_window && spaced && *doses < vaccine.doses && on.year() >= vaccine.since_year {
                *doses += 1;
                *last = Some(on);
                due.push(vaccine.code);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn infants_get_their_series_and_not_twice_too_soon() {
        let birth = date(2020, 1, 10);
        let mut history = VaccineHistory::new();
        let first: Vec<_> = history
            .give_due(birth, date(2020, 3, 15), 10)
            .iter()
            .map(|c| c.code)
            .collect();
        assert!(first.contains(&"20") && first.contains(&"08"));
        assert!(!first.contains(&"140"), "flu shots start at six months");
        assert!(history.give_due(birth, date(2020, 4, 1), 10).is_empty());
    }

    #[test]
    fn adults_get_yearly_flu_shots() {
        let birth = date(1970, 5, 5);
        let mut history = VaccineHistory::new();
        let codes = |v: Vec<Code>| v.iter().map(|c| c.code).collect::<Vec<_>>();
        assert!(codes(history.give_due(birth, date(2019, 10, 1), 10)).contains(&"140"));
        assert!(!codes(history.give_due(birth, date(2020, 2, 1), 10)).contains(&"140"));
        assert!(codes(history.give_due(birth, date(2020, 10, 1), 10)).contains(&"140"));
        assert_eq!(months_between(birth, date(1971, 5, 4)), 11);
    }
}
