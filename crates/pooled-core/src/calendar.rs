//! Civil dates, financial years and months, and working days.
//!
//! Dates are proleptic Gregorian, years 0001 to 9999, with the arithmetic written here
//! (days from civil and back) so the crate needs no date library. Bank holidays come from the
//! official list bundled in `calendar/england-and-wales.txt` for the years it covers, and
//! from the current rules for every other year.

use std::borrow::Cow;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::diagnostic::quote;

#[cfg(test)]
mod tests;

/// A calendar date between 0001-01-01 and 9999-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived ordering is chronological.
    year: i32,
    month: u8,
    day: u8,
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

impl Date {
    pub const MIN: Date = Date { year: MIN_YEAR, month: 1, day: 1 };
    pub const MAX: Date = Date { year: MAX_YEAR, month: 12, day: 31 };

    /// The date, if it exists and its year is 1 to 9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || day == 0 {
            return None;
        }
        if day > Date::days_in_month(year, month) {
            return None;
        }
        // Both fit a u8: month is 1..=12 and day 1..=31 after the checks above.
        Some(Date { year, month: u8::try_from(month).ok()?, day: u8::try_from(day).ok()? })
    }

    /// Parses `YYYY-MM-DD` (surrounding whitespace ignored). The error says what is wrong.
    pub fn parse_iso(text: &str) -> Result<Date, String> {
        let bad = |why: &str| Err(format!("invalid date {}: {why}", quote(text)));
        let b = text.trim().as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit());
        if !shape_ok {
            return bad("expected YYYY-MM-DD, e.g. 2016-09-15");
        }
        let year = digits(&b[0..4]);
        let month = digits(&b[5..7]);
        let day = digits(&b[8..10]);
        // i32::try_from cannot fail for four digits; the fallback only keeps this panic-free.
        let year = i32::try_from(year).unwrap_or(0);
        if year < MIN_YEAR {
            return bad("years run from 0001 to 9999");
        }
        if !(1..=12).contains(&month) {
            return bad("months run from 01 to 12");
        }
        if day == 0 {
            return bad("days start at 01");
        }
        let dim = Date::days_in_month(year, month);
        if day > dim {
            let name = MONTH_NAMES[month as usize - 1];
            return bad(&format!("{name} {year} has {dim} days"));
        }
        Date::new(year, month, day).ok_or_else(|| format!("invalid date {}", quote(text)))
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    pub fn weekday(self) -> Weekday {
        weekday_of_days(self.days())
    }

    /// The date `n` days later (earlier when negative); `None` outside years 1 to 9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        self.days().checked_add(n).and_then(Date::from_days)
    }

    /// Days from `earlier` to `self`: negative when `earlier` is in fact later.
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days() - earlier.days()
    }

    /// Adds calendar months, keeping the day but clamping it to the end of the target month
    /// (2016-08-31 + 6 = 2017-02-28), as notice periods are read.
    pub fn add_months_clamped(self, months: i32) -> Option<Date> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        // rem_euclid(12) is 0..=11, so the month is 1..=12.
        let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        let day = self.day().min(Date::days_in_month(year, month));
        Date::new(year, month, day)
    }

    pub fn first_of_month(self) -> Date {
        Date { day: 1, ..self }
    }

    /// Gregorian leap years: every fourth year, except centuries not divisible by 400.
    pub fn is_leap_year(year: i32) -> bool {
        year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
    }

    /// Days in the month, or 0 when `month` is not 1 to 12.
    pub fn days_in_month(year: i32, month: u32) -> u32 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if Date::is_leap_year(year) => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// Days since 1970-01-01 (Hinnant's days-from-civil): years start on 1 March so that
    /// the leap day is the last day of the shifted year, and eras are 400-year cycles.
    fn days(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let shifted_month = (month + 9) % 12; // March = 0
        let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The inverse of [`Date::days`]; `None` outside the supported years.
    fn from_days(days: i64) -> Option<Date> {
        if !(Date::MIN.days()..=Date::MAX.days()).contains(&days) {
            return None;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
    }
}

/// The value of a run of ASCII digits already checked by the caller.
fn digits(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse_iso(s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }

    pub fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
            Weekday::Sunday => "Sunday",
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Day 4 (1970-01-05) was a Monday; every count of weeks is anchored there.
const A_MONDAY: i64 = 4;

fn weekday_of_days(days: i64) -> Weekday {
    match (days - A_MONDAY).rem_euclid(7) {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

/// Monday-to-Friday days before day `days`, counted from the anchor Monday: the difference
/// of two values is the number of weekdays between them, in constant time.
fn weekdays_before(days: i64) -> i64 {
    let since = days - A_MONDAY;
    5 * since.div_euclid(7) + since.rem_euclid(7).min(5)
}

/// A financial year, 1 April to 31 March, written `2016-17`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear {
    /// The calendar year of its 1 April, 1 to 9998 so that every day of it is a [`Date`].
    start: i32,
}

const FY_YEARS: RangeInclusive<i32> = MIN_YEAR..=MAX_YEAR - 1;

impl FinancialYear {
    /// The year starting on 1 April of `year`, for 1 to 9998.
    pub fn starting(year: i32) -> Option<FinancialYear> {
        FY_YEARS.contains(&year).then_some(FinancialYear { start: year })
    }

    /// Parses `2016-17` (and `1999-00`); the second part must be the year after the first.
    pub fn parse(text: &str) -> Result<FinancialYear, String> {
        let bad = |why: String| Err(format!("invalid financial year {}: {why}", quote(text)));
        let b = text.trim().as_bytes();
        let shape_ok = b.len() == 7 && b[4] == b'-' && [0, 1, 2, 3, 5, 6].iter().all(|&i| b[i].is_ascii_digit());
        if !shape_ok {
            return bad("expected YYYY-YY, e.g. 2016-17".to_string());
        }
        // Four digits always fit an i32; the fallback only keeps this panic-free.
        let start = i32::try_from(digits(&b[0..4])).unwrap_or(0);
        let end = digits(&b[5..7]);
        let Some(year) = FinancialYear::starting(start) else {
            return bad("financial years run from 0001-02 to 9998-99".to_string());
        };
        if i64::from(end) != i64::from(start + 1) % 100 {
            return bad(format!(
                "a financial year runs from 1 April to 31 March, \
                 so the one starting in {start} is written {year}"
            ));
        }
        Ok(year)
    }

    /// The financial year the date falls in. Dates in the partial years at the edges of the
    /// supported range (before 0001-04-01 or after 9999-03-31) give the nearest whole year.
    pub fn containing(date: Date) -> FinancialYear {
        let start = if date.month() >= 4 { date.year() } else { date.year() - 1 };
        FinancialYear { start: start.clamp(*FY_YEARS.start(), *FY_YEARS.end()) }
    }

    pub fn start_year(self) -> i32 {
        self.start
    }

    /// 1 April.
    pub fn first_day(self) -> Date {
        Date { year: self.start, month: 4, day: 1 }
    }

    /// 31 March of the next calendar year.
    pub fn last_day(self) -> Date {
        Date { year: self.start + 1, month: 3, day: 31 }
    }

    pub fn contains(self, date: Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The first day of the month: M1 is 1 April, M12 is 1 March of the next calendar year.
    pub fn month_start(self, month: FiscalMonth) -> Date {
        let (year, calendar_month) = self.calendar_month(month);
        Date { year, month: calendar_month, day: 1 }
    }

    /// The last day of the month: M11 is 28 or 29 February.
    pub fn month_end(self, month: FiscalMonth) -> Date {
        let (year, calendar_month) = self.calendar_month(month);
        let last = Date::days_in_month(year, u32::from(calendar_month));
        Date {
            year,
            month: calendar_month,
            // days_in_month is 28..=31 for a valid month.
            day: u8::try_from(last).unwrap_or(28),
        }
    }

    fn calendar_month(self, month: FiscalMonth) -> (i32, u8) {
        // M1..M9 are April..December of the start year, M10..M12 January..March after it.
        if month.0 <= 9 { (self.start, month.0 + 3) } else { (self.start + 1, month.0 - 9) }
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.start, (self.start + 1) % 100)
    }
}

impl FromStr for FinancialYear {
    type Err = String;
    fn from_str(s: &str) -> Result<FinancialYear, String> {
        FinancialYear::parse(s)
    }
}

/// A month of the financial year: M1 (April) to M12 (March).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalMonth(u8);

impl FiscalMonth {
    pub fn new(n: u32) -> Option<FiscalMonth> {
        u8::try_from(n).ok().filter(|n| (1..=12).contains(n)).map(FiscalMonth)
    }

    pub fn number(self) -> u32 {
        u32::from(self.0)
    }

    /// Parses `M6` or `m6` (`M06` is accepted too).
    pub fn parse(text: &str) -> Result<FiscalMonth, String> {
        let s = text.trim();
        s.strip_prefix(['M', 'm'])
            .filter(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| FiscalMonth::new(digits(n.as_bytes())))
            .ok_or_else(|| format!("invalid month {}: expected M1 (April) to M12 (March)", quote(text)))
    }

    /// M1 to M12 in order.
    pub fn all() -> impl Iterator<Item = FiscalMonth> {
        (1..=12).map(FiscalMonth)
    }

    /// The month of its financial year that the date falls in.
    pub fn containing(date: Date) -> FiscalMonth {
        // April (4) is M1; January (1) is M10.
        FiscalMonth((date.month + 8) % 12 + 1)
    }
}

impl fmt::Display for FiscalMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "M{}", self.0)
    }
}

impl FromStr for FiscalMonth {
    type Err = String;
    fn from_str(s: &str) -> Result<FiscalMonth, String> {
        FiscalMonth::parse(s)
    }
}

/// The bank holiday calendar that decides working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Calendar {
    EnglandAndWales,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankHoliday {
    pub date: Date,
    pub name: String,
}

/// A bank holiday without allocation, for the counting paths.
pub(crate) type Holiday = (Date, &'static str);

impl Calendar {
    const ALL: [Calendar; 1] = [Calendar::EnglandAndWales];

    pub fn parse(text: &str) -> Result<Calendar, String> {
        Calendar::ALL.into_iter().find(|c| c.name() == text.trim()).ok_or_else(|| {
            let known: Vec<&str> = Calendar::ALL.iter().map(|c| c.name()).collect();
            format!("unknown calendar {}: known calendars are {}", quote(text), known.join(", "))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Calendar::EnglandAndWales => "england-and-wales",
        }
    }

    /// The bank holidays of a calendar year, sorted by date: the official list where it is
    /// bundled, otherwise the rules. Empty outside years 1 to 9999.
    pub fn bank_holidays(self, year: i32) -> Vec<BankHoliday> {
        self.holidays(year).iter().map(|&(date, name)| BankHoliday { date, name: name.to_string() }).collect()
    }

    pub fn is_bank_holiday(self, date: Date) -> bool {
        self.holidays(date.year()).iter().any(|h| h.0 == date)
    }

    /// Monday to Friday and not a bank holiday.
    pub fn is_working_day(self, date: Date) -> bool {
        !date.weekday().is_weekend() && !self.is_bank_holiday(date)
    }

    /// Working days from `from` to `to`, both included; 0 when `from` is after `to`.
    /// Weekdays are counted in constant time and only the holidays of each year are looked
    /// at, so even 0001-01-01 to 9999-12-31 is quick.
    pub fn working_days_between(self, from: Date, to: Date) -> u32 {
        if from > to {
            return 0;
        }
        let weekdays = weekdays_before(to.days() + 1) - weekdays_before(from.days());
        let mut holidays = 0;
        for year in from.year()..=to.year() {
            holidays +=
                self.holidays(year).iter().filter(|(d, _)| from <= *d && *d <= to && !d.weekday().is_weekend()).count();
        }
        // At most about 2.6 million working days fit in the supported range.
        let count = weekdays - i64::try_from(holidays).unwrap_or(0);
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The date `n` working days before `from`, `from` itself not counted (the latest agenda
    /// date for a meeting): from Thursday 2016-09-15, 5 gives 2016-09-08. With
    /// `n` = 0 it is `from`. `None` when that would be before 0001-01-01.
    pub fn step_back_working_days(self, from: Date, n: u32) -> Option<Date> {
        if n == 0 {
            return Some(from);
        }
        let end = from.add_days(-1)?;
        let count_back_to = |days: i64| Date::from_days(days).map_or(0, |d| self.working_days_between(d, end));
        // Any 2n + 30 consecutive days hold at least n working days (5 in 7 are weekdays and
        // no year has more than 10 holidays), which bounds the search.
        let mut low = (end.days() - 2 * i64::from(n) - 30).max(Date::MIN.days());
        if count_back_to(low) < n {
            return None;
        }
        // The answer is the latest day from which at least n working days remain up to
        // `end`; the count only falls as the day moves later, so bisect.
        let mut high = end.days();
        while low < high {
            let mid = low + (high - low + 1) / 2;
            if count_back_to(mid) >= n {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        Date::from_days(low)
    }

    /// The holidays the rules give for a year, ignoring the official list: what a year past
    /// the list gets, and what the tests compare the list against.
    pub(crate) fn holidays_by_rule(self, year: i32) -> Vec<Holiday> {
        match self {
            Calendar::EnglandAndWales => england_and_wales_rules(year),
        }
    }

    /// The official list where it is bundled, else the rules; borrowed when bundled so the
    /// counting paths allocate little.
    fn holidays(self, year: i32) -> Cow<'static, [Holiday]> {
        let official = match self {
            Calendar::EnglandAndWales => official_england_and_wales(),
        };
        if official.years.contains(&year) {
            let from = official.list.partition_point(|h| h.0.year() < year);
            let to = official.list.partition_point(|h| h.0.year() <= year);
            Cow::Borrowed(&official.list[from..to])
        } else {
            Cow::Owned(self.holidays_by_rule(year))
        }
    }
}

impl fmt::Display for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Calendar {
    type Err = String;
    fn from_str(s: &str) -> Result<Calendar, String> {
        Calendar::parse(s)
    }
}

/// A bundled official list: the years it covers completely, and its holidays by date.
struct OfficialList {
    years: RangeInclusive<i32>,
    list: Vec<Holiday>,
}

const ENGLAND_AND_WALES: &str = include_str!("calendar/england-and-wales.txt");

fn official_england_and_wales() -> &'static OfficialList {
    static LIST: OnceLock<OfficialList> = OnceLock::new();
    LIST.get_or_init(|| {
        // The file is part of the source and checked by the tests, so a bad line is a bug.
        parse_official_list(ENGLAND_AND_WALES).unwrap_or_else(|e| panic!("calendar/england-and-wales.txt: {e}"))
    })
}

/// Reads `YYYY-MM-DD name` lines; `#` comments and blank lines are skipped. The dates must
/// be strictly increasing and every year from the first to the last must have a holiday,
/// since the list replaces the rules for all of those years.
fn parse_official_list(text: &'static str) -> Result<OfficialList, String> {
    let mut list: Vec<Holiday> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |why: String| format!("line {}: {why}", index + 1);
        let (date, name) = line.split_once(' ').ok_or_else(|| at("expected `YYYY-MM-DD name`".to_string()))?;
        let date = Date::parse_iso(date).map_err(at)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(at("the holiday has no name".to_string()));
        }
        if list.last().is_some_and(|last| last.0 >= date) {
            return Err(at(format!("{date} is not after the line before")));
        }
        list.push((date, name));
    }
    let (Some(first), Some(last)) = (list.first(), list.last()) else {
        return Err("no holidays listed".to_string());
    };
    let years = first.0.year()..=last.0.year();
    if let Some(missing) = years.clone().find(|y| !list.iter().any(|h| h.0.year() == *y)) {
        return Err(format!("no holidays listed for {missing}"));
    }
    Ok(OfficialList { years, list })
}

/// The current England and Wales rules applied to any year (not the historical ones: the
/// early May holiday, for one, only dates from 1978). Empty outside years 1 to 9999.
fn england_and_wales_rules(year: i32) -> Vec<Holiday> {
    let mut out = Vec::with_capacity(8);
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return out;
    }
    // Every date built here exists in a year 1..=9999, so the fallbacks are never taken.
    let date = |month, day| Date::new(year, month, day).unwrap_or(Date::MIN);
    let day_after = |d: Date, n| d.add_days(n).unwrap_or(d);

    let new_year = date(1, 1);
    match new_year.weekday() {
        Weekday::Saturday => out.push((date(1, 3), "New Year's Day (substitute day)")),
        Weekday::Sunday => out.push((date(1, 2), "New Year's Day (substitute day)")),
        _ => out.push((new_year, "New Year's Day")),
    }

    let easter = easter_sunday(year);
    out.push((day_after(easter, -2), "Good Friday"));
    out.push((day_after(easter, 1), "Easter Monday"));

    out.push((first_monday_from(date(5, 1)), "Early May bank holiday"));
    out.push((first_monday_from(date(5, 25)), "Spring bank holiday"));
    out.push((first_monday_from(date(8, 25)), "Summer bank holiday"));

    // Christmas and Boxing Day at a weekend move to the next weekdays not already taken.
    match date(12, 25).weekday() {
        Weekday::Friday => {
            out.push((date(12, 25), "Christmas Day"));
            out.push((date(12, 28), "Boxing Day (substitute day)"));
        }
        Weekday::Saturday => {
            out.push((date(12, 27), "Christmas Day (substitute day)"));
            out.push((date(12, 28), "Boxing Day (substitute day)"));
        }
        Weekday::Sunday => {
            out.push((date(12, 26), "Boxing Day"));
            out.push((date(12, 27), "Christmas Day (substitute day)"));
        }
        _ => {
            out.push((date(12, 25), "Christmas Day"));
            out.push((date(12, 26), "Boxing Day"));
        }
    }
    out
}

/// The first Monday on or after `date`; the last Monday of May is the first on or after
/// 25 May.
fn first_monday_from(date: Date) -> Date {
    let days = date.days();
    let ahead = (A_MONDAY - days).rem_euclid(7);
    Date::from_days(days + ahead).unwrap_or(date)
}

/// Gregorian Easter Sunday by the anonymous (Meeus/Jones/Butcher) computus, in integers.
fn easter_sunday(year: i32) -> Date {
    let y = year;
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // Always 22 March to 25 April of a positive year.
    Date::new(year, u32::try_from(month).unwrap_or(3), u32::try_from(day).unwrap_or(22)).unwrap_or(Date::MIN)
}
