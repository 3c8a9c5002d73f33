//! What time it is, and what day. "Today" is the date in England (Europe/London), where the
//! agreements' deadlines fall: between midnight and 1 a.m. in summer, UTC still says
//! yesterday. The time zone rules are compiled in (jiff's bundled copy of the IANA
//! database), so a server without the system's time zone files still knows them.
//! Tests give a fixed clock.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use pooled_core::calendar::Date;

/// Where the day is counted.
pub const TIME_ZONE: &str = "Europe/London";

static ENGLAND: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get(TIME_ZONE).expect("Europe/London is in the bundled time zone database"));

/// The clock the use cases and pages read: the system's, or one fixed at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(at) => at,
        }
    }

    /// The date in England now.
    pub fn today(self) -> Date {
        date_in_england(self.now())
    }
}

/// The date in England at `at`.
pub fn date_in_england(at: Timestamp) -> Date {
    let day = at.to_zoned(ENGLAND.clone()).date();
    Date::new(i32::from(day.year()), u32::from(day.month().unsigned_abs()), u32::from(day.day().unsigned_abs()))
        .expect("a clock's date is a year between 1 and 9999")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(utc: &str, expected: &str) {
        let at: Timestamp = utc.parse().expect("a timestamp");
        assert_eq!(Clock::Fixed(at).today().to_string(), expected, "{utc}");
    }

    #[test]
    fn today_is_the_date_in_england() {
        // 00:30 BST on 16 June is 23:30 UTC on the 15th: already the 16th in England.
        check("2016-06-15T23:30:00Z", "2016-06-16");
        check("2016-06-15T22:59:59Z", "2016-06-15");
        // In winter England keeps UTC.
        check("2016-12-15T23:30:00Z", "2016-12-15");
        check("2017-01-01T00:00:00Z", "2017-01-01");
        // The clocks go forward at 01:00 UTC on 27 March 2016, back at 01:00 UTC on 30 October.
        check("2016-03-26T23:30:00Z", "2016-03-26");
        check("2016-03-27T23:30:00Z", "2016-03-28");
        check("2016-10-29T23:30:00Z", "2016-10-30");
        check("2016-10-30T23:30:00Z", "2016-10-30");
        // The financial year turns at midnight in England, an hour before UTC's.
        check("2016-03-31T23:00:00Z", "2016-04-01");
    }
}
