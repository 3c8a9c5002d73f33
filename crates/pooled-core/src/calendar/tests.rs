use super::*;
use proptest::prelude::*;

fn date(s: &str) -> Date {
    Date::parse_iso(s).unwrap_or_else(|e| panic!("{e}"))
}

const EW: Calendar = Calendar::EnglandAndWales;

fn listing(holidays: &[BankHoliday]) -> String {
    holidays.iter().map(|h| format!("{} {}", h.date, h.name)).collect::<Vec<_>>().join("\n")
}

// ---------------------------------------------------------------- dates

#[test]
fn new_accepts_only_real_dates_in_range() {
    fn check(input: (i32, u32, u32), expected: Option<&str>) {
        let got = Date::new(input.0, input.1, input.2).map(|d| d.to_string());
        assert_eq!(got.as_deref(), expected, "{input:?}");
    }
    check((2016, 9, 15), Some("2016-09-15"));
    check((2016, 2, 29), Some("2016-02-29"));
    check((2000, 2, 29), Some("2000-02-29"));
    check((2015, 2, 29), None);
    check((1900, 2, 29), None);
    check((2016, 4, 31), None);
    check((2016, 13, 1), None);
    check((2016, 0, 1), None);
    check((2016, 1, 0), None);
    check((2016, 1, 32), None);
    check((2016, 1, 256 + 1), None);
    check((1, 1, 1), Some("0001-01-01"));
    check((9999, 12, 31), Some("9999-12-31"));
    check((0, 12, 31), None);
    check((10000, 1, 1), None);
    check((-1, 1, 1), None);
}

#[test]
fn accessors_and_first_of_month() {
    let d = date("2016-09-15");
    assert_eq!((d.year(), d.month(), d.day()), (2016, 9, 15));
    assert_eq!(d.first_of_month(), date("2016-09-01"));
    assert_eq!(date("2016-02-29").first_of_month(), date("2016-02-01"));
}

#[test]
fn leap_years_and_month_lengths() {
    fn check(input: (i32, u32), expected: u32) {
        assert_eq!(Date::days_in_month(input.0, input.1), expected, "{input:?}");
    }
    check((2016, 2), 29);
    check((2017, 2), 28);
    check((1900, 2), 28);
    check((2000, 2), 29);
    check((2100, 2), 28);
    check((2016, 1), 31);
    check((2016, 4), 30);
    check((2016, 12), 31);
    check((2016, 0), 0);
    check((2016, 13), 0);
    assert!(Date::is_leap_year(2024) && Date::is_leap_year(2400) && Date::is_leap_year(0));
    assert!(!Date::is_leap_year(2023) && !Date::is_leap_year(2200) && !Date::is_leap_year(-1));
}

#[test]
fn weekdays() {
    fn check(input: &str, expected: Weekday) {
        assert_eq!(date(input).weekday(), expected, "{input}");
    }
    check("2016-09-15", Weekday::Thursday);
    check("1970-01-01", Weekday::Thursday);
    check("1970-01-05", Weekday::Monday);
    check("2000-02-29", Weekday::Tuesday);
    check("2022-06-03", Weekday::Friday);
    check("2022-09-19", Weekday::Monday);
    check("2021-12-25", Weekday::Saturday);
    check("2016-12-25", Weekday::Sunday);
    check("0001-01-01", Weekday::Monday);
    check("9999-12-31", Weekday::Friday);
    assert_eq!(Weekday::Wednesday.to_string(), "Wednesday");
    assert!(Weekday::Sunday.is_weekend() && !Weekday::Friday.is_weekend());
}

#[test]
fn day_arithmetic() {
    fn check(input: (&str, i64), expected: Option<&str>) {
        let got = date(input.0).add_days(input.1).map(|d| d.to_string());
        assert_eq!(got.as_deref(), expected, "{input:?}");
    }
    check(("2016-02-28", 1), Some("2016-02-29"));
    check(("2016-02-29", 1), Some("2016-03-01"));
    check(("2015-02-28", 1), Some("2015-03-01"));
    check(("2016-12-31", 1), Some("2017-01-01"));
    check(("2017-01-01", -1), Some("2016-12-31"));
    check(("2016-09-15", 0), Some("2016-09-15"));
    check(("2016-09-15", 366), Some("2017-09-16"));
    check(("0001-01-01", -1), None);
    check(("9999-12-31", 1), None);
    check(("0001-01-01", 3_652_058), Some("9999-12-31"));
    check(("2016-09-15", i64::MAX), None);
    check(("2016-09-15", i64::MIN), None);

    assert_eq!(date("1970-01-01").days_since(date("0001-01-01")), 719_162);
    assert_eq!(Date::MAX.days_since(Date::MIN), 3_652_058);
    assert_eq!(date("2016-03-01").days_since(date("2016-02-01")), 29);
    assert_eq!(date("2016-02-01").days_since(date("2016-03-01")), -29);
    assert_eq!(date("1970-01-01").days(), 0);
}

#[test]
fn calendar_months_clamp_to_the_month_end() {
    fn check(input: (&str, i32), expected: Option<&str>) {
        let got = date(input.0).add_months_clamped(input.1).map(|d| d.to_string());
        assert_eq!(got.as_deref(), expected, "{input:?}");
    }
    check(("2016-08-31", 6), Some("2017-02-28"));
    check(("2019-08-31", 6), Some("2020-02-29"));
    check(("2023-08-31", 6), Some("2024-02-29"));
    check(("2024-02-29", 12), Some("2025-02-28"));
    check(("2024-02-29", 48), Some("2028-02-29"));
    check(("2016-01-31", 1), Some("2016-02-29"));
    check(("2016-01-31", 3), Some("2016-04-30"));
    check(("2016-09-15", 0), Some("2016-09-15"));
    check(("2016-09-15", 4), Some("2017-01-15"));
    check(("2016-03-31", -1), Some("2016-02-29"));
    check(("2017-03-31", -13), Some("2016-02-29"));
    check(("2016-05-31", -1), Some("2016-04-30"));
    check(("2016-01-15", -1), Some("2015-12-15"));
    check(("2016-01-15", -12), Some("2015-01-15"));
    check(("2016-12-31", -120), Some("2006-12-31"));
    check(("9999-12-31", 1), None);
    check(("9999-11-30", 1), Some("9999-12-30"));
    check(("0001-01-31", -1), None);
    check(("2016-09-15", i32::MAX), None);
    check(("2016-09-15", i32::MIN), None);
}

#[test]
fn dates_parse_and_display() {
    fn check(input: &str, expected: Result<&str, &str>) {
        let got = Date::parse_iso(input).map(|d| d.to_string());
        assert_eq!(got.as_ref().map(String::as_str).map_err(String::as_str), expected, "{input}");
    }
    check("2016-09-15", Ok("2016-09-15"));
    check(" 2016-09-15\n", Ok("2016-09-15"));
    check("2016-02-29", Ok("2016-02-29"));
    check("0001-01-01", Ok("0001-01-01"));
    check("9999-12-31", Ok("9999-12-31"));
    check("2016-02-30", Err("invalid date `2016-02-30`: February 2016 has 29 days"));
    check("2015-02-29", Err("invalid date `2015-02-29`: February 2015 has 28 days"));
    check("2016-04-31", Err("invalid date `2016-04-31`: April 2016 has 30 days"));
    check("2016-13-01", Err("invalid date `2016-13-01`: months run from 01 to 12"));
    check("2016-00-01", Err("invalid date `2016-00-01`: months run from 01 to 12"));
    check("2016-01-00", Err("invalid date `2016-01-00`: days start at 01"));
    check("0000-01-01", Err("invalid date `0000-01-01`: years run from 0001 to 9999"));
    let shape = |s: &str| format!("invalid date `{s}`: expected YYYY-MM-DD, e.g. 2016-09-15");
    for input in [
        "",
        "2016-9-15",
        "16-09-15",
        "2016/09/15",
        "15/09/2016",
        "2016-09-15T00:00",
        "20160915",
        "+2016-09-15",
        "2016-09-1x",
        "２016-09-15",
        "2016-09-15 x",
    ] {
        check(input, Err(&shape(input)));
    }
    assert_eq!("2016-09-15".parse::<Date>(), Ok(date("2016-09-15")));
    assert_eq!("2016-02-30".parse::<Date>(), Err("invalid date `2016-02-30`: February 2016 has 29 days".to_string()));
}

#[test]
fn dates_order_chronologically() {
    let mut dates =
        [date("2017-01-01"), date("2016-12-31"), date("2016-02-01"), date("2016-01-31"), date("0999-12-31")];
    dates.sort();
    let shown: Vec<String> = dates.iter().map(Date::to_string).collect();
    assert_eq!(shown, ["0999-12-31", "2016-01-31", "2016-02-01", "2016-12-31", "2017-01-01"]);
}

// ---------------------------------------------------------------- financial years and months

#[test]
fn financial_years_parse() {
    fn check(input: &str, expected: Result<&str, &str>) {
        let got = FinancialYear::parse(input).map(|y| y.to_string());
        assert_eq!(got.as_ref().map(String::as_str).map_err(String::as_str), expected, "{input}");
    }
    check("2016-17", Ok("2016-17"));
    check("1999-00", Ok("1999-00"));
    check("2099-00", Ok("2099-00"));
    check("0001-02", Ok("0001-02"));
    check("9998-99", Ok("9998-99"));
    check(" 2022-23 ", Ok("2022-23"));
    check(
        "2016-18",
        Err("invalid financial year `2016-18`: a financial year runs from 1 April to 31 March, \
             so the one starting in 2016 is written 2016-17"),
    );
    check(
        "1999-99",
        Err("invalid financial year `1999-99`: a financial year runs from 1 April to 31 March, \
             so the one starting in 1999 is written 1999-00"),
    );
    check("2016/17", Err("invalid financial year `2016/17`: expected YYYY-YY, e.g. 2016-17"));
    check("16-17", Err("invalid financial year `16-17`: expected YYYY-YY, e.g. 2016-17"));
    check("2016-2017", Err("invalid financial year `2016-2017`: expected YYYY-YY, e.g. 2016-17"));
    check("", Err("invalid financial year ``: expected YYYY-YY, e.g. 2016-17"));
    check("0000-01", Err("invalid financial year `0000-01`: financial years run from 0001-02 to 9998-99"));
    check("9999-00", Err("invalid financial year `9999-00`: financial years run from 0001-02 to 9998-99"));
    assert_eq!("2016-17".parse::<FinancialYear>(), Ok(FinancialYear::starting(2016).unwrap_or_else(|| unreachable!())));
}

#[test]
fn financial_year_bounds_and_months() {
    fn fy(s: &str) -> FinancialYear {
        FinancialYear::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn check(input: (&str, u32), expected: (&str, &str)) {
        let month = FiscalMonth::new(input.1).unwrap_or_else(|| panic!("{input:?}"));
        let got = (fy(input.0).month_start(month).to_string(), fy(input.0).month_end(month).to_string());
        assert_eq!((got.0.as_str(), got.1.as_str()), expected, "{input:?}");
    }
    check(("2016-17", 1), ("2016-04-01", "2016-04-30"));
    check(("2016-17", 6), ("2016-09-01", "2016-09-30"));
    check(("2016-17", 9), ("2016-12-01", "2016-12-31"));
    check(("2016-17", 10), ("2017-01-01", "2017-01-31"));
    check(("2016-17", 11), ("2017-02-01", "2017-02-28"));
    check(("2019-20", 11), ("2020-02-01", "2020-02-29"));
    check(("2016-17", 12), ("2017-03-01", "2017-03-31"));

    let y = fy("2016-17");
    assert_eq!(y.start_year(), 2016);
    assert_eq!(y.first_day(), date("2016-04-01"));
    assert_eq!(y.last_day(), date("2017-03-31"));
    assert!(y.contains(date("2017-03-31")) && !y.contains(date("2017-04-01")));
    assert_eq!(FinancialYear::starting(0), None);
    assert_eq!(FinancialYear::starting(9999), None);
    assert_eq!(FinancialYear::starting(9998).map(|y| y.last_day()), Some(date("9999-03-31")));
}

#[test]
fn financial_year_containing_a_date() {
    fn check(input: &str, expected: (&str, &str)) {
        let d = date(input);
        let got = (FinancialYear::containing(d).to_string(), FiscalMonth::containing(d).to_string());
        assert_eq!((got.0.as_str(), got.1.as_str()), expected, "{input}");
    }
    check("2016-04-01", ("2016-17", "M1"));
    check("2016-09-15", ("2016-17", "M6"));
    check("2016-12-31", ("2016-17", "M9"));
    check("2017-01-01", ("2016-17", "M10"));
    check("2017-03-31", ("2016-17", "M12"));
    check("2016-03-31", ("2015-16", "M12"));
    check("2000-01-15", ("1999-00", "M10"));
    // The partial years at the edges of the date range saturate to the nearest whole year.
    check("0001-01-01", ("0001-02", "M10"));
    check("9999-12-31", ("9998-99", "M9"));
}

#[test]
fn fiscal_months_parse() {
    fn check(input: &str, expected: Result<&str, &str>) {
        let got = FiscalMonth::parse(input).map(|m| m.to_string());
        assert_eq!(got.as_ref().map(String::as_str).map_err(String::as_str), expected, "{input}");
    }
    check("M6", Ok("M6"));
    check("m6", Ok("M6"));
    check("M1", Ok("M1"));
    check("M12", Ok("M12"));
    check("M06", Ok("M6"));
    for bad in ["M0", "M13", "M00", "6", "M", "", "M 6", "Month6", "M-1", "M123", "MM6", "M٦"] {
        let expected = format!("invalid month `{bad}`: expected M1 (April) to M12 (March)");
        check(bad, Err(&expected));
    }
    assert_eq!("m12".parse::<FiscalMonth>().map(FiscalMonth::number), Ok(12));
}

#[test]
fn fiscal_month_numbers() {
    fn check(input: u32, expected: Option<u32>) {
        assert_eq!(FiscalMonth::new(input).map(FiscalMonth::number), expected, "{input}");
    }
    check(0, None);
    check(1, Some(1));
    check(12, Some(12));
    check(13, None);
    check(256 + 1, None);
    let all: Vec<String> = FiscalMonth::all().map(|m| m.to_string()).collect();
    assert_eq!(all, ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12"]);
}

// ---------------------------------------------------------------- calendars

#[test]
fn calendar_names() {
    fn check(input: &str, expected: Result<Calendar, &str>) {
        assert_eq!(Calendar::parse(input), expected.map_err(str::to_string), "{input}");
    }
    check("england-and-wales", Ok(EW));
    check("scotland", Err("unknown calendar `scotland`: known calendars are england-and-wales"));
    check("England and Wales", Err("unknown calendar `England and Wales`: known calendars are england-and-wales"));
    assert_eq!(EW.name(), "england-and-wales");
    assert_eq!(EW.to_string(), "england-and-wales");
    assert_eq!("england-and-wales".parse::<Calendar>(), Ok(EW));
}

/// GOV.UK's England and Wales list, typed in from the brief independently of the data file.
const OFFICIAL: [(i32, &str); 16] = [
    (2012, "01-02 04-06 04-09 05-07 06-04 06-05 08-27 12-25 12-26"),
    (2013, "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26"),
    (2014, "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26"),
    (2015, "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28"),
    (2016, "01-01 03-25 03-28 05-02 05-30 08-29 12-26 12-27"),
    (2017, "01-02 04-14 04-17 05-01 05-29 08-28 12-25 12-26"),
    (2018, "01-01 03-30 04-02 05-07 05-28 08-27 12-25 12-26"),
    (2019, "01-01 04-19 04-22 05-06 05-27 08-26 12-25 12-26"),
    (2020, "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28"),
    (2021, "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28"),
    (2022, "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27"),
    (2023, "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26"),
    (2024, "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26"),
    (2025, "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26"),
    (2026, "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28"),
    (2027, "01-01 03-26 03-29 05-03 05-31 08-30 12-27 12-28"),
];

fn month_days(holidays: &[BankHoliday], year: i32) -> String {
    holidays
        .iter()
        .map(|h| {
            assert_eq!(h.date.year(), year);
            format!("{:02}-{:02}", h.date.month(), h.date.day())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn bank_holidays_match_the_official_list() {
    fn check(input: i32, expected: &str) {
        assert_eq!(month_days(&EW.bank_holidays(input), input), expected, "{input}");
    }
    for (year, dates) in OFFICIAL {
        check(year, dates);
    }
}

#[test]
fn bundled_list_covers_exactly_2012_to_2027() {
    assert_eq!(official_england_and_wales().years, 2012..=2027);
}

#[test]
fn official_names_of_substitute_and_one_off_days() {
    fn check(input: i32, expected: &str) {
        assert_eq!(listing(&EW.bank_holidays(input)), expected, "{input}");
    }
    check(
        2012,
        "2012-01-02 New Year's Day (substitute day)
2012-04-06 Good Friday
2012-04-09 Easter Monday
2012-05-07 Early May bank holiday
2012-06-04 Spring bank holiday
2012-06-05 Queen's Diamond Jubilee
2012-08-27 Summer bank holiday
2012-12-25 Christmas Day
2012-12-26 Boxing Day",
    );
    check(
        2020,
        "2020-01-01 New Year's Day
2020-04-10 Good Friday
2020-04-13 Easter Monday
2020-05-08 Early May bank holiday (VE day)
2020-05-25 Spring bank holiday
2020-08-31 Summer bank holiday
2020-12-25 Christmas Day
2020-12-28 Boxing Day (substitute day)",
    );
    check(
        2021,
        "2021-01-01 New Year's Day
2021-04-02 Good Friday
2021-04-05 Easter Monday
2021-05-03 Early May bank holiday
2021-05-31 Spring bank holiday
2021-08-30 Summer bank holiday
2021-12-27 Christmas Day (substitute day)
2021-12-28 Boxing Day (substitute day)",
    );
    check(
        2022,
        "2022-01-03 New Year's Day (substitute day)
2022-04-15 Good Friday
2022-04-18 Easter Monday
2022-05-02 Early May bank holiday
2022-06-02 Spring bank holiday
2022-06-03 Platinum Jubilee bank holiday
2022-08-29 Summer bank holiday
2022-09-19 Bank Holiday for the State Funeral of Queen Elizabeth II
2022-12-26 Boxing Day
2022-12-27 Christmas Day (substitute day)",
    );
    check(
        2023,
        "2023-01-02 New Year's Day (substitute day)
2023-04-07 Good Friday
2023-04-10 Easter Monday
2023-05-01 Early May bank holiday
2023-05-08 Bank holiday for the coronation of King Charles III
2023-05-29 Spring bank holiday
2023-08-28 Summer bank holiday
2023-12-25 Christmas Day
2023-12-26 Boxing Day",
    );
}

#[test]
fn rules_reproduce_the_official_list_except_the_one_off_days() {
    // `+` is only in the official list, `-` only in what the rules give.
    let mut differences = Vec::new();
    for (year, _) in OFFICIAL {
        let official = EW.bank_holidays(year);
        let rules: Vec<BankHoliday> = EW
            .holidays_by_rule(year)
            .into_iter()
            .map(|(date, name)| BankHoliday { date, name: name.to_string() })
            .collect();
        for h in &official {
            if !rules.contains(h) {
                differences.push(format!("+{} {}", h.date, h.name));
            }
        }
        for h in &rules {
            if !official.contains(h) {
                differences.push(format!("-{} {}", h.date, h.name));
            }
        }
    }
    assert_eq!(
        differences,
        [
            "+2012-06-04 Spring bank holiday",
            "+2012-06-05 Queen's Diamond Jubilee",
            "-2012-05-28 Spring bank holiday",
            "+2020-05-08 Early May bank holiday (VE day)",
            "-2020-05-04 Early May bank holiday",
            "+2022-06-02 Spring bank holiday",
            "+2022-06-03 Platinum Jubilee bank holiday",
            "+2022-09-19 Bank Holiday for the State Funeral of Queen Elizabeth II",
            "-2022-05-30 Spring bank holiday",
            "+2023-05-08 Bank holiday for the coronation of King Charles III",
        ]
    );
}

#[test]
fn rules_for_years_past_the_list() {
    fn check(input: i32, expected: &str) {
        assert_eq!(listing(&EW.bank_holidays(input)), expected, "{input}");
    }
    // New Year's Day on a Saturday.
    check(
        2028,
        "2028-01-03 New Year's Day (substitute day)
2028-04-14 Good Friday
2028-04-17 Easter Monday
2028-05-01 Early May bank holiday
2028-05-29 Spring bank holiday
2028-08-28 Summer bank holiday
2028-12-25 Christmas Day
2028-12-26 Boxing Day",
    );
    // Christmas on a Saturday; 1 May on a Saturday.
    check(
        2032,
        "2032-01-01 New Year's Day
2032-03-26 Good Friday
2032-03-29 Easter Monday
2032-05-03 Early May bank holiday
2032-05-31 Spring bank holiday
2032-08-30 Summer bank holiday
2032-12-27 Christmas Day (substitute day)
2032-12-28 Boxing Day (substitute day)",
    );
    // Christmas on a Sunday, New Year's Day on a Saturday.
    check(
        2033,
        "2033-01-03 New Year's Day (substitute day)
2033-04-15 Good Friday
2033-04-18 Easter Monday
2033-05-02 Early May bank holiday
2033-05-30 Spring bank holiday
2033-08-29 Summer bank holiday
2033-12-26 Boxing Day
2033-12-27 Christmas Day (substitute day)",
    );
    // Christmas on a Friday (Boxing Day on a Saturday); 25 May on a Monday.
    check(
        2037,
        "2037-01-01 New Year's Day
2037-04-03 Good Friday
2037-04-06 Easter Monday
2037-05-04 Early May bank holiday
2037-05-25 Spring bank holiday
2037-08-31 Summer bank holiday
2037-12-25 Christmas Day
2037-12-28 Boxing Day (substitute day)",
    );
    // Before the list, the rules too (so 2011 lacks the one-off royal wedding holiday).
    check(
        2011,
        "2011-01-03 New Year's Day (substitute day)
2011-04-22 Good Friday
2011-04-25 Easter Monday
2011-05-02 Early May bank holiday
2011-05-30 Spring bank holiday
2011-08-29 Summer bank holiday
2011-12-26 Boxing Day
2011-12-27 Christmas Day (substitute day)",
    );
    assert!(EW.bank_holidays(0).is_empty());
    assert!(EW.bank_holidays(10_000).is_empty());
}

#[test]
fn easter_computus() {
    fn check(input: i32, expected: &str) {
        assert_eq!(easter_sunday(input).to_string(), expected, "{input}");
    }
    check(2016, "2016-03-27");
    check(2022, "2022-04-17");
    check(2038, "2038-04-25"); // the latest possible
    check(2285, "2285-03-22"); // the earliest possible
    check(1818, "1818-03-22");
    check(1943, "1943-04-25");
    check(2000, "2000-04-23");
    check(2100, "2100-03-28");
}

#[test]
fn rule_holidays_are_sorted_weekdays_of_their_year_for_every_year() {
    for year in 1..=9999 {
        let holidays = EW.holidays_by_rule(year);
        assert_eq!(holidays.len(), 8, "{year}");
        assert!(holidays.windows(2).all(|w| w[0].0 < w[1].0), "{year}: {holidays:?}");
        assert!(holidays.iter().all(|h| h.0.year() == year && !h.0.weekday().is_weekend()), "{year}: {holidays:?}");
    }
}

#[test]
fn bank_holiday_and_working_day_tests() {
    fn check(input: &str, expected: (bool, bool)) {
        let d = date(input);
        assert_eq!((EW.is_bank_holiday(d), EW.is_working_day(d)), expected, "{input}");
    }
    check("2016-03-25", (true, false)); // Good Friday
    check("2016-03-24", (false, true));
    check("2016-12-25", (false, false)); // Christmas on a Sunday: the holiday moves
    check("2016-12-27", (true, false));
    check("2022-05-30", (false, true)); // the spring holiday moved to 2 June
    check("2022-06-02", (true, false));
    check("2022-09-19", (true, false));
    check("2022-09-17", (false, false)); // a Saturday
    check("2032-12-28", (true, false));
    check("2032-12-29", (false, true));
}

#[test]
fn working_days_between_holidays() {
    fn check(input: (&str, &str), expected: u32) {
        assert_eq!(EW.working_days_between(date(input.0), date(input.1)), expected, "{input:?}");
    }
    check(("2016-09-15", "2016-09-15"), 1);
    check(("2016-09-17", "2016-09-18"), 0); // a weekend
    check(("2016-09-16", "2016-09-15"), 0); // reversed
    check(("2016-09-08", "2016-09-14"), 5);
    // Easter 2016: Good Friday 25 March, Easter Monday 28 March.
    check(("2016-03-23", "2016-03-31"), 5);
    check(("2016-03-21", "2016-04-01"), 8);
    // Easter 2022: 15 and 18 April.
    check(("2022-04-01", "2022-04-30"), 19);
    // Christmas 2016: 26 and 27 December, then 2 January.
    check(("2016-12-19", "2017-01-06"), 12);
    // Christmas 2021: 27 and 28 December, then 3 January.
    check(("2021-12-20", "2022-01-07"), 12);
    // Platinum Jubilee: 2 and 3 June, and 30 May a working day.
    check(("2022-05-30", "2022-06-10"), 8);
    // State Funeral, 19 September 2022.
    check(("2022-09-12", "2022-09-23"), 9);
    // Whole years: 2022 has 260 weekdays and 10 holidays; 2016 has 261 and 8.
    check(("2022-01-01", "2022-12-31"), 250);
    check(("2016-01-01", "2016-12-31"), 253);
}

#[test]
fn agenda_deadlines_step_back_over_holidays() {
    fn check(input: (&str, u32), expected: Option<&str>) {
        let got = EW.step_back_working_days(date(input.0), input.1).map(|d| d.to_string());
        assert_eq!(got.as_deref(), expected, "{input:?}");
    }
    check(("2016-09-15", 5), Some("2016-09-08"));
    check(("2016-09-15", 1), Some("2016-09-14"));
    check(("2016-09-15", 0), Some("2016-09-15"));
    check(("2016-09-18", 1), Some("2016-09-16")); // from a Sunday
    check(("2016-09-19", 1), Some("2016-09-16")); // from a Monday
    check(("2016-04-01", 5), Some("2016-03-23")); // Easter 2016
    check(("2022-04-20", 5), Some("2022-04-11")); // Easter 2022
    check(("2017-01-04", 5), Some("2016-12-23")); // Christmas 2016
    check(("2022-01-05", 5), Some("2021-12-24")); // Christmas 2021
    check(("2022-06-07", 5), Some("2022-05-27")); // Platinum Jubilee
    check(("2022-09-21", 5), Some("2022-09-13")); // State Funeral
    check(("2023-01-03", 250), Some("2022-01-04")); // all of 2022's working days
    check(("0001-01-01", 1), None);
    // 1 January 0001, a Monday, is New Year's Day by the rules: nothing earlier exists.
    check(("0001-01-08", 4), Some("0001-01-02"));
    check(("0001-01-08", 5), None);
    check(("9999-12-31", u32::MAX), None);
}

#[test]
fn working_days_over_the_whole_range_add_up_year_by_year() {
    let total = EW.working_days_between(Date::MIN, Date::MAX);
    let mut by_year = 0;
    for year in 1..=9999 {
        let first = Date::new(year, 1, 1).unwrap_or_else(|| unreachable!());
        let last = Date::new(year, 12, 31).unwrap_or_else(|| unreachable!());
        let weekdays = (0..=last.days_since(first))
            .filter_map(|n| first.add_days(n))
            .filter(|d| !d.weekday().is_weekend())
            .count();
        let count = EW.working_days_between(first, last);
        assert_eq!(count as usize, weekdays - EW.bank_holidays(year).len(), "{year}");
        by_year += count;
    }
    assert_eq!(total, by_year);
    // 9999-12-31 is a working Friday, and stepping back never counts the day it starts from.
    assert_eq!(
        EW.step_back_working_days(Date::MAX, total - 1),
        Some(date("0001-01-02")),
        "1 January 0001 is New Year's Day by the rules"
    );
    assert_eq!(EW.step_back_working_days(Date::MAX, total), None);
}

#[test]
fn official_list_format_errors() {
    fn check(input: &'static str, expected: Result<(), &str>) {
        let got = parse_official_list(input).map(|_| ());
        assert_eq!(got, expected.map_err(str::to_string), "{input}");
    }
    check("# a comment\n\n2020-01-01 New Year's Day\n", Ok(()));
    check("# nothing\n", Err("no holidays listed"));
    check("2020-01-01\n", Err("line 1: expected `YYYY-MM-DD name`"));
    check("2020-01-01 \n", Err("line 1: expected `YYYY-MM-DD name`"));
    check("2020-02-30 A day\n", Err("line 1: invalid date `2020-02-30`: February 2020 has 29 days"));
    check("2020-01-02 B\n2020-01-01 A\n", Err("line 2: 2020-01-01 is not after the line before"));
    check("2020-01-01 A\n2022-01-01 B\n", Err("no holidays listed for 2021"));
}

// ---------------------------------------------------------------- properties

fn any_date() -> impl Strategy<Value = Date> {
    (Date::MIN.days()..=Date::MAX.days()).prop_map(|d| Date::from_days(d).unwrap_or_else(|| unreachable!()))
}

fn date_between(first: &str, last: &str) -> impl Strategy<Value = Date> {
    (date(first).days()..=date(last).days()).prop_map(|d| Date::from_days(d).unwrap_or_else(|| unreachable!()))
}

fn naive_working_days(from: Date, to: Date) -> u32 {
    let mut count = 0;
    let mut day = from;
    while day <= to {
        if EW.is_working_day(day) {
            count += 1;
        }
        match day.add_days(1) {
            Some(next) => day = next,
            None => break,
        }
    }
    count
}

proptest! {
    #[test]
    fn add_days_and_days_since_round_trip(d in any_date(), n in -4_000_000i64..4_000_000) {
        match d.add_days(n) {
            Some(e) => {
                prop_assert_eq!(e.days_since(d), n);
                prop_assert_eq!(e.add_days(-n), Some(d));
                prop_assert_eq!(n.signum(), (e.cmp(&d) as i64).signum());
            }
            None => {
                let target = d.days() + n;
                prop_assert!(target < Date::MIN.days() || target > Date::MAX.days());
            }
        }
    }

    #[test]
    fn days_from_civil_round_trips(d in any_date()) {
        prop_assert_eq!(Date::from_days(d.days()), Some(d));
        prop_assert_eq!(Date::new(d.year(), d.month(), d.day()), Some(d));
        prop_assert_eq!(Date::parse_iso(&d.to_string()), Ok(d));
        // The next day is one day later in the civil calendar too.
        if let Some(next) = d.add_days(1) {
            let expected = if d.day() < Date::days_in_month(d.year(), d.month()) {
                Date::new(d.year(), d.month(), d.day() + 1)
            } else if d.month() < 12 {
                Date::new(d.year(), d.month() + 1, 1)
            } else {
                Date::new(d.year() + 1, 1, 1)
            };
            prop_assert_eq!(Some(next), expected);
        }
    }

    #[test]
    fn add_months_keeps_the_day_or_clamps(d in any_date(), months in -200_000i32..200_000) {
        let index = i64::from(d.year()) * 12 + i64::from(d.month()) - 1 + i64::from(months);
        match d.add_months_clamped(months) {
            Some(e) => {
                prop_assert_eq!(i64::from(e.year()) * 12 + i64::from(e.month()) - 1, index);
                prop_assert_eq!(e.day(), d.day().min(Date::days_in_month(e.year(), e.month())));
            }
            None => prop_assert!(!(12..=9999 * 12 + 11).contains(&index)),
        }
    }

    #[test]
    fn working_days_between_equals_the_naive_count(
        from in date_between("1990-01-01", "2060-12-31"),
        len in 0i64..=1096,
    ) {
        let to = from.add_days(len).unwrap_or(from);
        prop_assert_eq!(EW.working_days_between(from, to), naive_working_days(from, to));
        prop_assert_eq!(EW.working_days_between(to, from), u32::from(from == to && EW.is_working_day(from)));
    }

    #[test]
    fn stepping_back_then_counting_gives_n(
        from in date_between("1990-01-01", "2060-12-31"),
        n in 0u32..400,
    ) {
        let back = EW.step_back_working_days(from, n);
        prop_assert!(back.is_some());
        let back = back.unwrap_or(from);
        if n == 0 {
            prop_assert_eq!(back, from);
        } else {
            let end = from.add_days(-1).unwrap_or(from);
            prop_assert!(EW.is_working_day(back));
            prop_assert_eq!(EW.working_days_between(back, end), n);
        }
    }

    #[test]
    fn stepping_back_matches_stepping_day_by_day(
        from in date_between("2010-01-01", "2030-12-31"),
        n in 1u32..15,
    ) {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.add_days(-1).unwrap_or(Date::MIN);
            if EW.is_working_day(day) {
                left -= 1;
            }
        }
        prop_assert_eq!(EW.step_back_working_days(from, n), Some(day));
    }

    #[test]
    fn parse_iso_never_panics(s in ".{0,20}") {
        if let Ok(d) = Date::parse_iso(&s) {
            prop_assert_eq!(d.to_string(), s.trim());
        }
    }

    #[test]
    fn parse_iso_never_panics_on_near_misses(s in "[0-9]{0,5}-?[0-9]{0,3}-?[0-9]{0,3}") {
        match Date::parse_iso(&s) {
            Ok(d) => prop_assert_eq!(d.to_string(), s),
            Err(e) => {
                let prefix = format!("invalid date `{s}`: ");
                prop_assert!(e.starts_with(&prefix));
            }
        }
    }

    #[test]
    fn financial_year_and_month_parse_never_panic(s in ".{0,10}") {
        let _ = FinancialYear::parse(&s);
        let _ = FiscalMonth::parse(&s);
        prop_assert!(Calendar::parse(&s).is_ok() == (s.trim() == "england-and-wales"));
    }

    #[test]
    fn every_date_is_in_its_financial_year_and_month(d in date_between("0001-04-01", "9999-03-31")) {
        let year = FinancialYear::containing(d);
        let month = FiscalMonth::containing(d);
        prop_assert!(year.contains(d));
        prop_assert!(year.month_start(month) <= d && d <= year.month_end(month));
        prop_assert_eq!(FinancialYear::parse(&year.to_string()), Ok(year));
    }
}
