//! When the board's paperwork is due and where each item stands on a
//! given day, counted in working days of the board's calendar (England and Wales bank
//! holidays, so Easter, Christmas and one-off days such as the June 2022 Jubilee move the
//! dates).

use crate::agreement::Board;
use crate::calendar::{Calendar, Date, FinancialYear, FiscalMonth};

/// The latest day the agenda and each paper can go to members: `agenda_working_days`
/// working days before the meeting, the meeting day not counted.
pub fn agenda_due(board: &Board, meeting: Date) -> Date {
    board.calendar.step_back_working_days(meeting, board.agenda_working_days).unwrap_or(meeting)
}

/// The day the minutes must reach members by: `minutes_within_days` calendar days after
/// the meeting.
pub fn minutes_due(board: &Board, meeting: Date) -> Date {
    meeting.add_days(i64::from(board.minutes_within_days)).unwrap_or(meeting)
}

/// The day the monthly finance and performance report for `month` must be circulated
/// by, meeting or not: the last working day of the next calendar month, the
/// first in which the month's ledger is complete. The schedule names no day; this is the
/// one a finance officer would hold the pool manager to.
pub fn monthly_report_due(calendar: Calendar, year: FinancialYear, month: FiscalMonth) -> Date {
    let next_month_end =
        year.month_end(month).add_days(1).and_then(|d| d.add_months_clamped(1)).and_then(|d| d.add_days(-1));
    let end = next_month_end.unwrap_or(year.month_end(month));
    if calendar.is_working_day(end) { end } else { calendar.step_back_working_days(end, 1).unwrap_or(end) }
}

/// How many of `meetings` fall in each quarter of the financial year (Q1 is April to
/// June): the board meets quarterly, so a quarter with none is flagged.
pub fn meetings_per_quarter(year: FinancialYear, meetings: impl IntoIterator<Item = Date>) -> [usize; 4] {
    let mut held = [0; 4];
    for date in meetings.into_iter().filter(|d| year.contains(*d)) {
        held[(FiscalMonth::containing(date).number() as usize - 1) / 3] += 1;
    }
    held
}

/// Where something due stands on `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Done on the day, on time or late by so many working days.
    Done { on: Date, working_days_late: u32 },
    /// Not done, and the due day has passed by so many working days.
    Overdue { working_days: u32 },
    /// Not done, and due in so many working days (0: due today).
    Due { working_days_left: u32 },
}

impl Standing {
    pub fn of(calendar: Calendar, due: Date, done: Option<Date>, today: Date) -> Standing {
        let working_days_after = |day: Date| match due.add_days(1) {
            Some(next) if day > due => calendar.working_days_between(next, day),
            _ => 0,
        };
        match done {
            Some(on) => Standing::Done { on, working_days_late: working_days_after(on) },
            None if today > due => Standing::Overdue { working_days: working_days_after(today) },
            None => Standing::Due {
                working_days_left: match today.add_days(1) {
                    Some(next) if due > today => calendar.working_days_between(next, due),
                    _ => 0,
                },
            },
        }
    }

    pub fn is_late(self) -> bool {
        matches!(self, Standing::Overdue { .. } | Standing::Done { working_days_late: 1.., .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse_iso(text).expect("date")
    }

    fn board() -> Board {
        Board {
            name: "Joint Management Group".into(),
            quorum_per_partner: 3,
            agenda_working_days: 5,
            minutes_within_days: 14,
            calendar: Calendar::EnglandAndWales,
            members: Vec::new(),
            clauses: Default::default(),
        }
    }

    /// (meeting, latest day for the agenda and papers): five working days back, around
    /// Easter 2017, Christmas and New Year 2016-17, the June 2022 Jubilee and an ordinary
    /// week.
    #[test]
    fn agenda_and_papers_are_due_five_working_days_before() {
        for (meeting, due) in [
            ("2016-09-15", "2016-09-08"), // ordinary: Thursday to Thursday
            ("2017-04-25", "2017-04-18"), // Easter Monday 17 April is not a working day
            ("2017-04-20", "2017-04-11"), // Good Friday 14 and Easter Monday 17 April
            ("2017-01-05", "2016-12-28"), // Boxing Day, the 27th for Christmas, 2 January
            ("2022-06-08", "2022-05-30"), // the Jubilee, 2 and 3 June 2022 (the late May holiday moved to the 2nd)
            ("2022-06-06", "2022-05-26"), // 1 June, 31, 30 and 27 May count; the Jubilee days do not
        ] {
            assert_eq!(agenda_due(&board(), day(meeting)), day(due), "meeting on {meeting}");
        }
    }

    #[test]
    fn minutes_are_due_fourteen_calendar_days_after() {
        for (meeting, due) in [("2016-09-15", "2016-09-29"), ("2016-12-15", "2016-12-29"), ("2022-05-26", "2022-06-09")]
        {
            assert_eq!(minutes_due(&board(), day(meeting)), day(due), "meeting on {meeting}");
        }
    }

    /// (report month, due): the last working day of the next month.
    #[test]
    fn the_monthly_report_is_due_by_the_end_of_the_next_month() {
        let fy = |y| FinancialYear::parse(y).expect("year");
        let m = |n| FiscalMonth::new(n).expect("month");
        for (year, month, due) in [
            ("2016-17", 1, "2016-05-31"),  // April's report by Tuesday 31 May
            ("2016-17", 7, "2016-11-30"),  // October's by Wednesday 30 November
            ("2016-17", 8, "2016-12-30"),  // November's by Friday 30 December (the 31st is a Saturday)
            ("2016-17", 11, "2017-03-31"), // February's by Friday 31 March
            ("2016-17", 12, "2017-04-28"), // March's by Friday 28 April
            ("2022-23", 1, "2022-05-31"),  // April 2022's by Tuesday 31 May
            ("2022-23", 5, "2022-09-30"),  // August 2022's by Friday 30 September
            ("2021-22", 11, "2022-03-31"), // February 2022's by Thursday 31 March
            ("2016-17", 4, "2016-08-31"),  // July's by Wednesday 31 August
            ("2020-21", 7, "2020-11-30"),  // October 2020's by Monday 30 November
            ("2019-20", 11, "2020-03-31"), // February 2020's
            ("2022-23", 6, "2022-10-31"),  // September 2022's by Monday 31 October
        ] {
            assert_eq!(monthly_report_due(Calendar::EnglandAndWales, fy(year), m(month)), day(due), "{year} M{month}");
        }
        // When the next month ends at a weekend, the Friday before: June 2016's report,
        // with 31 July 2016 a Sunday, is due by Friday 29 July.
        assert_eq!(monthly_report_due(Calendar::EnglandAndWales, fy("2016-17"), m(3)), day("2016-07-29"));
    }

    #[test]
    fn meetings_are_counted_by_quarter() {
        let year = FinancialYear::parse("2016-17").expect("year");
        let dates = ["2016-04-01", "2016-09-15", "2016-09-30", "2017-03-31", "2017-04-01"].map(day);
        assert_eq!(meetings_per_quarter(year, dates), [1, 2, 0, 1], "2017-04-01 is the next year's");
    }

    /// (due, done, today, standing)
    #[test]
    fn standing_counts_working_days() {
        let cal = Calendar::EnglandAndWales;
        let cases: &[(&str, Option<&str>, &str, Standing)] = &[
            (
                "2016-09-08",
                Some("2016-09-07"),
                "2016-09-20",
                Standing::Done { on: day("2016-09-07"), working_days_late: 0 },
            ),
            (
                "2016-09-08",
                Some("2016-09-08"),
                "2016-09-20",
                Standing::Done { on: day("2016-09-08"), working_days_late: 0 },
            ),
            (
                "2016-09-08",
                Some("2016-09-12"),
                "2016-09-20",
                Standing::Done { on: day("2016-09-12"), working_days_late: 2 },
            ),
            // Minutes of 15 December 2016 due the 29th, still not out on 5 January 2017:
            // the 30th, 3rd, 4th and 5th (the 2nd is New Year's substitute holiday).
            ("2016-12-29", None, "2017-01-05", Standing::Overdue { working_days: 4 }),
            // Due across Easter 2017: on the Thursday before, Good Friday and Easter Monday
            // do not count; Tuesday the 18th is 1 working day away.
            ("2017-04-18", None, "2017-04-13", Standing::Due { working_days_left: 1 }),
            ("2017-04-18", None, "2017-04-18", Standing::Due { working_days_left: 0 }),
            // Papers due 30 May 2022, sent on 6 June: the 31st, 1st and 6th (the Jubilee
            // days and the weekend do not count).
            (
                "2022-05-30",
                Some("2022-06-06"),
                "2022-06-06",
                Standing::Done { on: day("2022-06-06"), working_days_late: 3 },
            ),
        ];
        for (due, done, today, expected) in cases {
            let got = Standing::of(cal, day(due), done.map(day), day(today));
            assert_eq!(got, *expected, "due {due}, done {done:?}, on {today}");
            assert_eq!(
                got.is_late(),
                matches!(expected, Standing::Overdue { .. } | Standing::Done { working_days_late: 1.., .. })
            );
        }
    }
}
