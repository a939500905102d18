//! Dates and times: the fixed reference date everything counts back from,
//! US time zones with daylight saving, and FHIR date/dateTime/instant text.
//!
//! Clinical times are generated as local wall-clock times (a 09:30 visit)
//! and carry the offset in force at that place and date, as a real EHR
//! export does; the offset is what makes them valid FHIR dateTimes.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Weekday};

/// The day synthetic histories end: ages, onsets and statuses are relative
/// to it, never to the clock, so output does not drift with time.
pub(crate) const REFERENCE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 1) {
    Some(date) => date,
    None => panic!("2026-01-01 is a valid date"),
};

/// The fixed date synthetic histories end on (2026-01-01).
pub fn reference_date() -> NaiveDate {
    REFERENCE_DATE
}

/// A US time zone, enough to give each place its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Eastern,
    Central,
    Mountain,
    /// Arizona keeps Mountain Standard Time all year.
    Arizona,
    Pacific,
    Alaska,
    /// Hawaii has no daylight saving.
    Hawaii,
}

impl Zone {
    fn standard_hours(self) -> i32 {
        match self {
            Zone::Eastern => -5,
            Zone::Central => -6,
            Zone::Mountain | Zone::Arizona => -7,
            Zone::Pacific => -8,
            Zone::Alaska => -9,
            Zone::Hawaii => -10,
        }
    }

    /// The UTC offset in hours on `date`. Daylight saving runs from the
    /// second Sunday of March to the first Sunday of November (US rules
    /// since 2007). The switch happens at 02:00, but here a whole switch day
    /// takes the new offset: visits are daytime, and the rare night-time
    /// one is still a valid time, an hour off.
    pub(crate) fn offset_hours(self, date: NaiveDate) -> i32 {
        let observes_dst = !matches!(self, Zone::Arizona | Zone::Hawaii);
        let year = date.year();
        let start = NaiveDate::from_weekday_of_month_opt(year, 3, Weekday::Sun, 2);
        let end = NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Sun, 1);
        let in_dst = matches!((start, end), (Some(s), Some(e)) if date >= s && date < e);
        self.standard_hours() + i32::from(observes_dst && in_dst)
    }
}

/// A local wall-clock time at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moment {
    pub local: NaiveDateTime,
    pub zone: Zone,
}

impl Moment {
    pub(crate) fn new(local: NaiveDateTime, zone: Zone) -> Moment {
        Moment { local, zone }
    }

    /// The same place, `minutes` later (wall-clock arithmetic).
    pub(crate) fn plus_minutes(self, minutes: i64) -> Moment {
        Moment::new(self.local + TimeDelta::minutes(minutes), self.zone)
    }

    /// This moment, or `limit` if that is earlier (same place assumed: a
    /// patient's visits all happen in one time zone).
    pub(crate) fn no_later_than(self, limit: Moment) -> Moment {
        if limit.local < self.local {
            limit
        } else {
            self
        }
    }

    pub(crate) fn date(self) -> NaiveDate {
        self.local.date()
    }

    /// FHIR `date`: `2019-03-04`.
    pub(crate) fn date_text(self) -> String {
        date_text(self.local.date())
    }

    /// FHIR `dateTime` (also a valid `instant`): `2019-03-04T09:30:00-05:00`.
    ///
    /// Written digit by digit: records hold hundreds of thousands of these,
    /// and the formatting machinery was a visible share of generation time.
    pub(crate) fn text(self) -> String {
        let date = self.local.date();
        let offset = self.zone.offset_hours(date);
        let mut s = String::with_capacity(25);
        push_date(&mut s, date);
        s.push('T');
        push_two(&mut s, self.local.hour());
        s.push(':');
        push_two(&mut s, self.local.minute());
        s.push(':');
        push_two(&mut s, self.local.second());
        s.push(if offset < 0 { '-' } else { '+' });
        push_two(&mut s, offset.unsigned_abs());
        s.push_str(":00");
        s
    }
}

/// FHIR `date` text for a calendar date.
pub(crate) fn date_text(date: NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, date);
    s
}

fn push_date(s: &mut String, date: NaiveDate) {
    // Years are 4 digits: every generated date is between 1900 and 2026.
    let year = u32::try_from(date.year()).unwrap_or(0);
    push_two(s, year / 100 % 100);
    push_two(s, year % 100);
    s.push('-');
    push_two(s, date.month());
    s.push('-');
    push_two(s, date.day());
}

/// Two decimal digits of `n` (which is below 100).
fn push_two(s: &mut String, n: u32) {
    s.push(char::from(b'0' + (n / 10 % 10) as u8));
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// Whole years from `birth` to `on`.
pub(crate) fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, zone: Zone) -> Moment {
        let local = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("test dates are valid");
        Moment::new(local, zone)
    }

    #[test]
    fn offsets_follow_us_daylight_saving() {
        assert_eq!(
            at(2019, 3, 4, 9, 30, Zone::Eastern).text(),
            "2019-03-04T09:30:00-05:00"
        );
        // 2019's DST began on 10 March and ended on 3 November.
        assert_eq!(
            at(2019, 3, 10, 12, 0, Zone::Eastern).text(),
            "2019-03-10T12:00:00-04:00"
        );
        assert_eq!(
            at(2019, 11, 2, 12, 0, Zone::Pacific).text(),
            "2019-11-02T12:00:00-07:00"
        );
        assert_eq!(
            at(2019, 11, 3, 12, 0, Zone::Pacific).text(),
            "2019-11-03T12:00:00-08:00"
        );
        assert_eq!(
            at(2019, 7, 1, 8, 5, Zone::Arizona).text(),
            "2019-07-01T08:05:00-07:00"
        );
        assert_eq!(
            at(2019, 7, 1, 8, 5, Zone::Hawaii).text(),
            "2019-07-01T08:05:00-10:00"
        );
    }

    #[test]
    fn dates_have_four_digit_years_and_padded_fields() {
        let date = NaiveDate::from_ymd_opt(1931, 1, 5).expect("valid");
        assert_eq!(date_text(date), "1931-01-05");
        assert_eq!(date_text(REFERENCE_DATE), "2026-01-01");
    }

    #[test]
    fn ages_count_whole_years() {
        let birth = NaiveDate::from_ymd_opt(2000, 6, 15).expect("valid");
        assert_eq!(age_on(birth, REFERENCE_DATE), 25);
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2001, 6, 15).expect("valid")),
            1
        );
        assert_eq!(age_on(REFERENCE_DATE, birth), 0);
    }
}
