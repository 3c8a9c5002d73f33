//! XLSX: report workbooks written and read back; ledger workbooks with date and number
//! cells read as a ledger importer would.

use std::io::Read;
use std::path::{Path, PathBuf};

use pooled_core::calendar::Date;
use pooled_core::ledger::{DateFormat, Mapping, RowReader};
use pooled_core::money::Money;
use pooled_core::percent::Percent;
use pooled_files::{
    Cell, Column, ColumnKind, ReadOptions, Record, Sheet, TableReader, TotalsRow, Workbook, format_number,
    read_xlsx_cells, read_xlsx_formulas, read_xlsx_sheet_names, write_xlsx, write_xlsx_file,
};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-files-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A part of the xlsx package (it is a zip of XML files), as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

fn column(header: &str, kind: ColumnKind) -> Column {
    Column { header: header.into(), kind, width: None }
}

fn money(pence: i64) -> Cell {
    Cell::Money(Money::from_pence(pence))
}

fn report() -> Workbook {
    let text = |s: &str| Cell::Text(s.into());
    Workbook {
        sheets: vec![
            Sheet {
                name: "Older People".into(),
                title: Some("Older People Pooled Fund: M6 2016-17".into()),
                columns: vec![
                    Column { width: Some(30.0), ..column("Line", ColumnKind::Text) },
                    column("Budget", ColumnKind::Money),
                    column("Variance", ColumnKind::Money),
                    column("Share", ColumnKind::Percent),
                    column("Postings", ColumnKind::Integer),
                    column("Updated", ColumnKind::Date),
                ],
                rows: vec![
                    vec![
                        text("Older People"),
                        money(14_890_371_100),
                        money(-123_456),
                        Cell::Percent(Percent::from_units(5024, 2).unwrap()),
                        Cell::Integer(1200),
                        Cell::Date(Date::new(2016, 9, 30).unwrap()),
                    ],
                    vec![
                        text("Home Support, \"growth\""),
                        money(210_000_000),
                        money(10),
                        Cell::Percent(Percent::from_units(4976, 2).unwrap()),
                        Cell::Integer(34),
                        Cell::Empty,
                    ],
                    // 0.1 + 0.2 pounds: exact in pence, and must read back as 0.30.
                    vec![text("Equipment"), money(10), money(20), Cell::Empty, Cell::Integer(-4), Cell::Empty],
                ],
                totals: Some(TotalsRow::new("Total")),
            },
            Sheet {
                name: "Empty".into(),
                title: None,
                columns: vec![column("Line", ColumnKind::Text), column("Budget", ColumnKind::Money)],
                rows: vec![],
                totals: Some(TotalsRow::new("Total")),
            },
        ],
    }
}

#[test]
fn a_written_report_reads_back() {
    let dir = scratch("report");
    let path = dir.join("report.xlsx");
    write_xlsx_file(&path, &report()).unwrap();

    assert_eq!(read_xlsx_sheet_names(&path).unwrap(), ["Older People", "Empty"]);
    let cells = read_xlsx_cells(&path, "Older People").unwrap();
    let want: Vec<Vec<&str>> = vec![
        vec!["Older People Pooled Fund: M6 2016-17", "", "", "", "", ""],
        vec!["Line", "Budget", "Variance", "Share", "Postings", "Updated"],
        vec!["Older People", "148903711", "-1234.56", "0.5024", "1200", "2016-09-30"],
        vec!["Home Support, \"growth\"", "2100000", "0.10", "0.4976", "34", ""],
        vec!["Equipment", "0.10", "0.20", "", "-4", ""],
        // The totals' stored values: exact sums of the pence.
        vec!["Total", "151003711.10", "-1234.26", "", "1230", ""],
    ];
    assert_eq!(cells, want);

    let formulas = read_xlsx_formulas(&path, "Older People").unwrap();
    assert_eq!(formulas[5][1..=4], ["SUBTOTAL(9,B3:B5)", "SUBTOTAL(9,C3:C5)", "", "SUBTOTAL(9,E3:E5)"]);
    assert!(formulas[..5].iter().flatten().all(String::is_empty));

    let sheet = part(&path, "xl/worksheets/sheet1.xml");
    // Rows 1-2 (title and header) frozen, the filter on the header and rows.
    assert!(sheet.contains(r#"<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>"#), "{sheet}");
    assert!(sheet.contains(r#"<autoFilter ref="A2:F5"/>"#), "{sheet}");
    assert!(sheet.contains(r#"<col min="1" max="1" width="30.7109375" customWidth="1"/>"#), "{sheet}");
    let styles = part(&path, "xl/styles.xml");
    for format in ["#,##0.00;[Red](#,##0.00)", "0.00%", "#,##0", "dd/mm/yyyy"] {
        assert!(styles.contains(&format!("formatCode=\"{format}\"")), "{format} in {styles}");
    }

    // A sheet with no rows: header frozen at row 1, totals a plain zero.
    assert_eq!(read_xlsx_cells(&path, "Empty").unwrap(), [["Line", "Budget"], ["Total", "0"]]);
    assert!(read_xlsx_formulas(&path, "Empty").unwrap().iter().flatten().all(String::is_empty));
    assert!(part(&path, "xl/worksheets/sheet2.xml").contains(r#"<pane ySplit="1""#));
}

#[test]
fn stated_totals_are_checked_by_the_workbook() {
    let dir = scratch("checked");
    let path = dir.join("checked.xlsx");
    let sheet = |stated: Vec<Cell>| Sheet {
        totals: Some(TotalsRow { label: "Total".into(), stated }),
        ..report().sheets[0].clone()
    };
    // The budget as the use case states it; the variance stated a penny out.
    let stated = vec![Cell::Empty, money(15_100_371_110), money(-123_427), Cell::Empty, Cell::Integer(1230)];
    let checked = Workbook { sheets: vec![Sheet { name: "Checked".into(), ..sheet(stated) }] };
    write_xlsx_file(&path, &checked).unwrap();
    let cells = read_xlsx_cells(&path, "Checked").unwrap();
    assert_eq!(cells[5][..5], ["Total", "151003711.10", "-1234.26", "", "1230"]);
    assert_eq!(cells[6][..5], ["Figure in pooled", "151003711.10", "-1234.27", "", "1230"]);
    assert_eq!(cells[7][..5], ["Check", "agrees", "DIFFERS", "", "agrees"]);
    let formulas = read_xlsx_formulas(&path, "Checked").unwrap();
    assert_eq!(formulas[7][1], r#"IF(ROUND(B6-B7,2)=0,"agrees","DIFFERS")"#);
    assert_eq!(formulas[7][3], "", "nothing stated, nothing checked");
}

#[test]
fn the_writer_form_gives_the_same_workbook() {
    let dir = scratch("writer-form");
    let mut bytes = Vec::new();
    write_xlsx(&mut bytes, &report()).unwrap();
    let path = dir.join("from-bytes.xlsx");
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(read_xlsx_cells(&path, "Older People").unwrap()[2][2], "-1234.56");
}

#[test]
fn an_invalid_workbook_is_refused_with_the_sheet_named() {
    let cases = [
        (Sheet { name: "Bad/Name".into(), ..report().sheets[1].clone() }, "sheet `Bad/Name`"),
        (
            Sheet { rows: vec![vec![Cell::Date(Date::new(1850, 1, 1).unwrap())]], ..report().sheets[1].clone() },
            "sheet `Empty`",
        ),
    ];
    for (sheet, want) in cases {
        let err = write_xlsx(Vec::new(), &Workbook { sheets: vec![sheet] }).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with(want), "{err}");
    }
}

/// A ledger as someone might save it from Excel: real date cells in several display
/// formats, number cells, a cost centre typed as a number, a gap, blank rows.
fn ledger_workbook(path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format};
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "Extract of 1 June 2016").unwrap();
    let ws = book.add_worksheet();
    ws.set_name("Ledger").unwrap();
    for (c, h) in ["Cost Centre", "Voucher Date", "Account", "Description", "Voucher No", "Amount"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let uk = Format::new().set_num_format("dd/mm/yyyy");
    let long = Format::new().set_num_format("d mmmm yyyy");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let date = |y, m, d| ExcelDateTime::from_ymd(y, m, d).unwrap();
    // Row 2: ordinary.
    ws.write_string(1, 0, "OCC-OP01-001").unwrap();
    ws.write_date_with_format(1, 1, date(2016, 5, 3), &uk).unwrap();
    ws.write_number(1, 2, 5201.0).unwrap();
    ws.write_string(1, 3, "Home care - Allied, \"HF\"").unwrap();
    ws.write_number(1, 4, 5_100_001_234.0).unwrap();
    ws.write_number(1, 5, 1234.5).unwrap();
    // Row 3: a computed amount with float noise, a long date format, a numeric cost centre.
    ws.write_number(2, 0, 10450.0).unwrap();
    ws.write_date_with_format(2, 1, date(2016, 5, 31), &long).unwrap();
    ws.write_number(2, 2, 9101.0).unwrap();
    ws.write_number(2, 5, -(0.1 + 0.2)).unwrap();
    // Row 4 blank; row 5: a date with a time, no description (a gap), a whole amount.
    ws.write_string(4, 0, "OCCG-MH01-002").unwrap();
    ws.write_datetime_with_format(4, 1, date(2016, 5, 16).and_hms(14, 30, 0).unwrap(), &stamp).unwrap();
    ws.write_number(4, 2, 5101.0).unwrap();
    ws.write_number(4, 4, 7.0).unwrap();
    ws.write_number(4, 5, 250.0).unwrap();
    // Trailing rows with only empty strings count as blank.
    ws.write_string(7, 0, "").unwrap();
    book.save(path).unwrap();
}

fn records(reader: TableReader) -> Vec<(u64, Vec<String>)> {
    reader.map(|r| r.unwrap()).map(|Record { row, fields }| (row, fields)).collect()
}

#[test]
fn a_ledger_workbook_reads_as_text_the_core_parses() {
    let dir = scratch("ledger");
    let path = dir.join("ledger.xlsx");
    ledger_workbook(&path);
    let s = |v: &[&str]| v.iter().map(|f| f.to_string()).collect::<Vec<_>>();

    // Table: (dates option, the three date cells as text).
    let cases = [
        (DateFormat::Iso, ["2016-05-03", "2016-05-31", "2016-05-16 14:30:00"]),
        (DateFormat::DayMonthYear, ["03/05/2016", "31/05/2016", "16/05/2016 14:30:00"]),
        (DateFormat::DayMonName, ["03-MAY-2016", "31-MAY-2016", "16-MAY-2016 14:30:00"]),
        (DateFormat::Compact, ["20160503", "20160531", "20160516 14:30:00"]),
    ];
    for (dates, [d1, d2, d3]) in cases {
        let options = ReadOptions { sheet: Some("Ledger".into()), dates, sha256: true };
        let reader = TableReader::open_with(&path, &options).unwrap();
        // A workbook is read out of order: its hash is taken apart.
        assert!(!reader.takes_sha256());
        assert_eq!(reader.header(), ["Cost Centre", "Voucher Date", "Account", "Description", "Voucher No", "Amount"]);
        assert_eq!(
            records(reader),
            [
                (2, s(&["OCC-OP01-001", d1, "5201", "Home care - Allied, \"HF\"", "5100001234", "1234.50"])),
                (3, s(&["10450", d2, "9101", "", "", "-0.30"])),
                (5, s(&["OCCG-MH01-002", d3, "5101", "", "7", "250"])),
            ]
        );
    }

    // Under a mapping whose dates are ISO, the rows read as ledger rows; the one with a
    // time of day is refused for its date, with its row and column.
    let mapping = Mapping { date_format: DateFormat::Iso, ..Mapping::preset("unit4").unwrap() };
    let reader =
        TableReader::open_with(&path, &ReadOptions { sheet: Some("Ledger".into()), ..Default::default() }).unwrap();
    let header: Vec<&str> = reader.header().iter().map(String::as_str).collect();
    let rows = RowReader::new(&mapping, &header).unwrap();
    let read: Vec<Result<(u64, String, String, i64), String>> = records(reader)
        .into_iter()
        .map(|(row, fields)| {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            rows.read(row, &fields)
                .map(|r| (r.row, r.cost_centre, r.date.to_string(), r.amount.pence()))
                .map_err(|e| e.render("ledger.xlsx"))
        })
        .collect();
    assert_eq!(read, [
        Ok((2, "OCC-OP01-001".into(), "2016-05-03".into(), 123_450)),
        Ok((3, "10450".into(), "2016-05-31".into(), -30)),
        Err("ledger.xlsx:5:2: error: Voucher Date: invalid date `2016-05-16 14:30:00`: expected YYYY-MM-DD, e.g. 2016-09-15".into()),
    ]);
}

#[test]
fn the_first_sheet_by_default_and_a_missing_sheet_named() {
    let dir = scratch("sheets");
    let path = dir.join("ledger.xlsx");
    ledger_workbook(&path);
    let reader = TableReader::open(&path).unwrap();
    assert_eq!(reader.header(), ["Extract of 1 June 2016"]);
    assert!(reader.bytes_read() > 0 && reader.bytes_read() <= reader.total_bytes());
    assert_eq!(records(reader), []);

    let err =
        TableReader::open_with(&path, &ReadOptions { sheet: Some("GL".into()), ..Default::default() }).err().unwrap();
    assert_eq!(err.to_string(), format!("{}: error: no sheet `GL` (sheets are `Notes`, `Ledger`)", path.display()));
}

#[test]
fn a_large_sheet_streams_in_order_and_can_be_abandoned() {
    let dir = scratch("large");
    let path = dir.join("large.xlsx");
    let rows: Vec<Vec<Cell>> = (0..5000).map(|i| vec![Cell::Text(format!("C{i}")), money(i * 101)]).collect();
    let book = Workbook {
        sheets: vec![Sheet {
            name: "Ledger".into(),
            title: None,
            columns: vec![column("Cost Centre", ColumnKind::Text), column("Amount", ColumnKind::Money)],
            rows,
            totals: None,
        }],
    };
    write_xlsx_file(&path, &book).unwrap();
    let mut reader = TableReader::open(&path).unwrap();
    let mut record = Record::default();
    let mut n = 0;
    while reader.read_into(&mut record).unwrap() {
        assert_eq!(record.row, n + 2);
        assert_eq!(record.fields[0], format!("C{n}"));
        n += 1;
    }
    assert_eq!(n, 5000);
    assert_eq!(record.fields, ["C4999", "5048.99"]);
    assert!(reader.bytes_read() <= reader.total_bytes());

    // Dropping a reader part-way stops its thread (the next send fails) rather than hang.
    let mut reader = TableReader::open(&path).unwrap();
    assert_eq!(reader.next().unwrap().unwrap().fields, ["C0", "0"]);
    drop(reader);
}

/// The rule for number cells: 15 significant digits as Excel shows them, whole numbers
/// plain, one or two decimals as pence, more kept rather than rounded.
#[test]
fn numbers_format_without_float_artefacts() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "0"),
        (1234.0, "1234"),
        (10450.0, "10450"),
        (1234.5, "1234.50"),
        (0.1 + 0.2, "0.30"),
        (-1234.56, "-1234.56"),
        (2.675 * 100.0, "267.50"),
        (1.005, "1.005"),
        (0.125, "0.125"),
        (1.0 / 3.0, "0.333333333333333"),
        (99_999_999.99, "99999999.99"),
        (1e20, "100000000000000000000"),
        (0.000123, "0.000123"),
        (5_100_001_234.0, "5100001234"),
        (-0.07, "-0.07"),
    ];
    for (x, want) in cases {
        assert_eq!(format_number(*x), *want, "{x:?}");
    }
}
