//! Civil dates, financial years and months, and working days.
//!
//! A [`Date`] is the domain's day: a `jiff::civil::Date` limited to years 0001 to 9999, whose
//! arithmetic (days, months clamped to the month's end, weekdays) is jiff's. Financial years,
//! fiscal months and working days are the domain's own, built on it. Bank holidays come from
//! the official list bundled in `calendar/england-and-wales.txt` for the years it covers, and
//! from the current rules for every other year.

use std::borrow::Cow;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::OnceLock;

use jiff::civil;
use jiff::{SignedDuration, Span};

use crate::diagnostic::quote;

#[cfg(test)]
mod tests;

/// A calendar date between 0001-01-01 and 9999-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(civil::Date);

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

/// Day 0 of [`Date::days`].
const UNIX_EPOCH: civil::Date = civil::Date::constant(1970, 1, 1);

impl Date {
    pub const MIN: Date = Date(civil::Date::constant(1, 1, 1));
    pub const MAX: Date = Date(civil::Date::constant(9999, 12, 31));

    /// The date, if it exists and its year is 1 to 9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        let date = civil::Date::new(year.try_into().ok()?, month.try_into().ok()?, day.try_into().ok()?).ok()?;
        Some(Date(date))
    }

    /// The domain's date for a jiff date (a clock's, say); `None` outside years 1 to 9999.
    pub fn from_civil(date: civil::Date) -> Option<Date> {
        (Date::MIN.0..=Date::MAX.0).contains(&date).then_some(Date(date))
    }

    /// Parses `YYYY-MM-DD` (surrounding whitespace ignored). The error says what is wrong,
    /// in words a person filling in a form can act on.
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
        i32::from(self.0.year())
    }

    pub fn month(self) -> u32 {
        u32::from(self.0.month().unsigned_abs())
    }

    pub fn day(self) -> u32 {
        u32::from(self.0.day().unsigned_abs())
    }

    /// The jiff date, for arithmetic and formats this type does not offer.
    pub fn civil(self) -> civil::Date {
        self.0
    }

    pub fn weekday(self) -> Weekday {
        match self.0.weekday() {
            civil::Weekday::Monday => Weekday::Monday,
            civil::Weekday::Tuesday => Weekday::Tuesday,
            civil::Weekday::Wednesday => Weekday::Wednesday,
            civil::Weekday::Thursday => Weekday::Thursday,
            civil::Weekday::Friday => Weekday::Friday,
            civil::Weekday::Saturday => Weekday::Saturday,
            civil::Weekday::Sunday => Weekday::Sunday,
        }
    }

    /// The date `n` days later (earlier when negative); `None` outside years 1 to 9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        let span = Span::new().try_days(n).ok()?;
        self.0.checked_add(span).ok().and_then(Date::from_civil)
    }

    /// Days from `earlier` to `self`: negative when `earlier` is in fact later.
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days() - earlier.days()
    }

    /// Adds calendar months, keeping the day but clamping it to the end of the target month
    /// (2016-08-31 + 6 = 2017-02-28), as notice periods are read.
    pub fn add_months_clamped(self, months: i32) -> Option<Date> {
        let span = Span::new().try_months(months).ok()?;
        self.0.checked_add(span).ok().and_then(Date::from_civil)
    }

    pub fn first_of_month(self) -> Date {
        Date(self.0.first_of_month())
    }

    /// Gregorian leap years: every fourth year, except centuries not divisible by 400.
    /// `false` outside the years jiff knows (-9999 to 9999).
    pub fn is_leap_year(year: i32) -> bool {
        i16::try_from(year).ok().and_then(|y| civil::Date::new(y, 1, 1).ok()).is_some_and(|d| d.in_leap_year())
    }

    /// Days in the month, or 0 when `month` is not 1 to 12 or the year is not 1 to 9999.
    pub fn days_in_month(year: i32, month: u32) -> u32 {
        Date::new(year, month, 1).map_or(0, |d| u32::from(d.0.days_in_month().unsigned_abs()))
    }

    /// Days since 1970-01-01, for counting weekdays in constant time.
    fn days(self) -> i64 {
        self.0.duration_since(UNIX_EPOCH).as_hours() / 24
    }

    /// The inverse of [`Date::days`]; `None` outside the supported years.
    fn from_days(days: i64) -> Option<Date> {
        let hours = days.checked_mul(24)?;
        UNIX_EPOCH.checked_add(SignedDuration::from_hours(hours)).ok().and_then(Date::from_civil)
    }
}

/// The value of a run of ASCII digits already checked by the caller.
fn digits(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
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
        self.day(self.start, 4, 1)
    }

    /// 31 March of the next calendar year.
    pub fn last_day(self) -> Date {
        self.day(self.start + 1, 3, 31)
    }

    pub fn contains(self, date: Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The first day of the month: M1 is 1 April, M12 is 1 March of the next calendar year.
    pub fn month_start(self, month: FiscalMonth) -> Date {
        let (year, calendar_month) = self.calendar_month(month);
        self.day(year, calendar_month, 1)
    }

    /// The last day of the month: M11 is 28 or 29 February.
    pub fn month_end(self, month: FiscalMonth) -> Date {
        let (year, calendar_month) = self.calendar_month(month);
        self.day(year, calendar_month, Date::days_in_month(year, calendar_month))
    }

    fn calendar_month(self, month: FiscalMonth) -> (i32, u32) {
        // M1..M9 are April..December of the start year, M10..M12 January..March after it.
        let n = u32::from(month.0);
        if n <= 9 { (self.start, n + 3) } else { (self.start + 1, n - 9) }
    }

    /// A day of the year: every day from 1 April of `start` (1 to 9998) to 31 March after
    /// it is a [`Date`], so this cannot fail for the days the methods above ask for.
    fn day(self, year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).expect("every day of a financial year is a Date")
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
        // month() is 1..=12, so this is 1..=12 and fits a u8.
        FiscalMonth(u8::try_from((date.month() + 8) % 12 + 1).expect("a month is 1 to 12"))
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
