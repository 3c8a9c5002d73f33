use super::*;

fn check_amount(text: &str, expected: Result<i64, &str>) {
    assert_eq!(parse_ledger_amount(text).map(Money::pence), expected.map_err(String::from), "{text:?}");
}

#[test]
fn amounts_as_erps_write_them() {
    check_amount("1234.56", Ok(123_456));
    check_amount("1,234.56", Ok(123_456));
    check_amount("-1234.56", Ok(-123_456));
    check_amount("(1,234.56)", Ok(-123_456));
    check_amount("1234.56-", Ok(-123_456));
    check_amount("£12", Ok(1200));
    check_amount("", Ok(0));
    check_amount("  ", Ok(0));
    check_amount(
        "12.345",
        Err("invalid amount `12.345`: more than two decimal places (amounts are exact to the penny)"),
    );
    check_amount("(-5)", Err("invalid amount `(-5)`: negative twice"));
    check_amount(
        "abc",
        Err("invalid amount `abc`: expected only digits, commas, one decimal point and an optional leading `-` or `£`"),
    );
}

fn check_date(text: &str, format: DateFormat, expected: Result<&str, &str>) {
    assert_eq!(
        parse_date(text, format).map(|d| d.to_string()),
        expected.map(String::from).map_err(String::from),
        "{text:?}"
    );
}

#[test]
fn dates_in_each_format() {
    use DateFormat::*;
    check_date("2016-05-31", Iso, Ok("2016-05-31"));
    check_date("31/05/2016", DayMonthYear, Ok("2016-05-31"));
    check_date("1/5/2016", DayMonthYear, Ok("2016-05-01"));
    check_date("31-MAY-2016", DayMonName, Ok("2016-05-31"));
    check_date("29-feb-16", DayMonName, Ok("2016-02-29"));
    check_date("20160531", Compact, Ok("2016-05-31"));
    check_date("31/05/16", DayMonthYear, Err("invalid date `31/05/16`: expected dd/mm/yyyy, e.g. 31/05/2016"));
    check_date("31/02/2016", DayMonthYear, Err("invalid date `31/02/2016`: no such day"));
    check_date("31-XYZ-2016", DayMonName, Err("invalid date `31-XYZ-2016`: expected dd-mon-yyyy, e.g. 31-MAY-2016"));
    check_date("2016053", Compact, Err("invalid date `2016053`: expected yyyymmdd, e.g. 20160531"));
    check_date("2016é531", Compact, Err("invalid date `2016é531`: expected yyyymmdd, e.g. 20160531"));
}

#[test]
fn periods_are_calendar_months_of_a_financial_year() {
    let p = Period::parse("2016-05").unwrap();
    assert_eq!(
        (p.year.to_string(), p.month.to_string(), p.to_string()),
        ("2016-17".into(), "M2".into(), "2016-05".into())
    );
    let march = Period::parse("2017-03").unwrap();
    assert_eq!((march.year.to_string(), march.month.to_string()), ("2016-17".into(), "M12".into()));
    assert_eq!(march.last_day().to_string(), "2017-03-31");
    assert_eq!(
        Period::parse("2016-5"),
        Err("invalid period `2016-5`: expected a calendar month such as 2016-05".into())
    );
    assert_eq!(
        Period::parse("2016-13"),
        Err("invalid period `2016-13`: expected a calendar month such as 2016-05".into())
    );
}

fn read(mapping: &str, header: &[&str], row: &[&str]) -> Result<LedgerRow, String> {
    let mapping = Mapping::preset(mapping).unwrap();
    let reader = RowReader::new(&mapping, header).map_err(|e| e.render("x.csv"))?;
    reader.read(7, row).map_err(|e| e.render("x.csv"))
}

#[test]
fn rows_under_each_preset() {
    let oracle =
        ["JE_NUMBER", "ACCOUNTING_DATE", "COST_CENTRE", "ACCOUNT", "ENTERED_DR", "ENTERED_CR", "LINE_DESCRIPTION"];
    let row = read("oracle", &oracle, &["J1", "31-MAY-2016", "OP123", "5001", "", "250.10", "Refund"]).unwrap();
    assert_eq!(
        (
            row.row,
            row.cost_centre.as_str(),
            row.date.to_string(),
            row.amount.pence(),
            row.subjective.as_str(),
            row.reference.as_str()
        ),
        (7, "OP123", "2016-05-31".to_string(), -25_010, "5001", "J1")
    );
    let unit4 = ["Voucher No", "Voucher Date", "Cost Centre", "Account", "Amount", "Description"];
    let row = read("unit4", &unit4, &["V9", "01/05/2016", "LD1", "4100", "(12.00)", "Journal"]).unwrap();
    assert_eq!(row.amount.pence(), -1200);
    let sap = ["Document Number", "Posting Date", "Cost Center", "G/L Account", "Amount in LC", "Text"];
    let row = read("sap", &sap, &["4900001", "20160502", "MH7", "510000", "99.99-", "Credit"]).unwrap();
    assert_eq!(row.amount.pence(), -9999);
}

#[test]
fn row_errors_name_row_and_column() {
    let unit4 = ["Voucher No", "Voucher Date", "Cost Centre", "Account", "Amount", "Description"];
    assert_eq!(
        read("unit4", &unit4, &["V9", "2016-05-01", "LD1", "4100", "1", "x"]),
        Err("x.csv:7:2: error: Voucher Date: invalid date `2016-05-01`: expected dd/mm/yyyy, e.g. 31/05/2016".into())
    );
    assert_eq!(
        read("unit4", &unit4, &["V9", "01/05/2016", "LD1", "4100", "1.001", "x"]),
        Err("x.csv:7:5: error: Amount: invalid amount `1.001`: more than two decimal places (amounts are exact to the penny)".into())
    );
    assert_eq!(
        read("unit4", &unit4, &["V9", "01/05/2016", " ", "4100", "1", "x"]),
        Err("x.csv:7:3: error: Cost Centre: no cost centre".into())
    );
    assert_eq!(
        read("unit4", &unit4[..4], &["V9"]),
        Err("x.csv:1:1: error: Amount: the header has no column `Amount` that mapping `unit4` needs (columns are `Voucher No`, `Voucher Date`, `Cost Centre`, `Account`)".into())
    );
}

#[test]
fn mappings_round_trip_through_toml() {
    for preset in Mapping::presets() {
        assert_eq!(Mapping::parse(&preset.to_toml()), Ok(preset.clone()), "{}", preset.name);
    }
    let err = Mapping::parse("[mapping]\nname = \"x\"\ncost_centre = \"a\"\ndate = \"b\"\ndate_format = \"yyyy-mm-dd\"\namount = \"c\"\ndebit = \"d\"\n").unwrap_err();
    assert_eq!(err.message, "a mapping needs either `amount` (one signed column) or both `debit` and `credit`");
    let err = Mapping::parse(
        "[mapping]\nname = \"x\"\ncost_centre = \"a\"\ndate = \"b\"\ndate_format = \"mm/dd/yyyy\"\namount = \"c\"\n",
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "unknown variant `mm/dd/yyyy`, expected one of `yyyy-mm-dd`, `dd/mm/yyyy`, `dd-mon-yyyy`, `yyyymmdd`"
    );
}

#[test]
fn a_huge_header_makes_a_short_message() {
    // A 100,000-column header of 1,000-character names, without the mapping's columns.
    let name = "N".repeat(1000);
    let header: Vec<&str> = std::iter::repeat_n(name.as_str(), 100_000).collect();
    let error = RowReader::new(&Mapping::preset("unit4").unwrap(), &header).unwrap_err();
    let quoted = format!("`{}…` (1,000 characters)", "N".repeat(80));
    let rendered = error.render("x.csv");
    // Twenty columns quoted, the count of the rest, and the whole cut to 1,000 characters.
    let start = format!(
        "x.csv:1:1: error: Cost Centre: the header has no column `Cost Centre` that mapping `unit4` needs (columns are {quoted}, {quoted}, "
    );
    assert!(rendered.starts_with(&start), "{rendered}");
    assert!(rendered.ends_with(" characters]"), "{rendered}");
    assert!(error.render("x.csv").len() < 2_000, "{}", error.render("x.csv").len());
    // A huge cell quoted in a row's error is cut too, and so is its column's name.
    let long_name = "H".repeat(5000);
    let amount = "9".repeat(1_000_000);
    let header = ["Voucher No", "Voucher Date", "Cost Centre", "Account", &long_name, "Description"];
    let mut mapping = Mapping::preset("unit4").unwrap();
    mapping.amount = AmountColumns::Signed(long_name.clone());
    let reader = RowReader::new(&mapping, &header).unwrap();
    let error = reader.read(9, &["V1", "01/05/2016", "C1", "4100", &amount, "x"]).unwrap_err();
    assert_eq!(
        error.render("x.csv"),
        format!(
            "x.csv:9:5: error: {}…: invalid amount `{}…` (1,000,000 characters): too large",
            "H".repeat(80),
            "9".repeat(80)
        )
    );
}

#[test]
fn bad_rows_keep_the_first_fifty_and_count_the_rest() {
    let mut bad = BadRows::default();
    for row in 2..3_000_002 {
        bad.push(RowError::new(row, 3, "Amount", "invalid amount `x`"));
    }
    assert_eq!(bad.first().len(), BadRows::KEPT);
    assert_eq!(bad.first()[49].row, 51);
    assert_eq!(bad.more(), 2_999_950);
    let lines = bad.render("x.csv");
    assert_eq!(lines.len(), 51);
    assert_eq!(lines[0], "x.csv:2:3: error: Amount: invalid amount `x`");
    assert_eq!(lines[50], "x.csv: and 2,999,950 more bad rows");
}
