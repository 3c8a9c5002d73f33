//! CSV reading and writing: quoting, BOM, line endings, blank rows, row numbers, errors.

use std::path::PathBuf;

use pooled_core::calendar::Date;
use pooled_core::money::Money;
use pooled_core::percent::Percent;
use pooled_files::{
    Cell, FileError, MAX_ROW_BYTES, ReadOptions, Record, TableReader, file_sha256, write_csv, write_csv_file,
};

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-files-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_all(path: &std::path::Path) -> (Vec<String>, Vec<Result<Record, FileError>>) {
    let reader = TableReader::open(path).unwrap();
    let header = reader.header().to_vec();
    (header, reader.collect())
}

/// Each record as `ok ROW [FIELDS]` or its error, with the path as `FILE`.
fn shown(path: &std::path::Path) -> Vec<String> {
    let (_, got) = read_all(path);
    got.iter()
        .map(|r| match r {
            Ok(r) => format!("ok {} {:?}", r.row, r.fields),
            Err(e) => e.to_string().replace(&*path.to_string_lossy(), "FILE"),
        })
        .collect()
}

fn rec(row: u64, fields: &[&str]) -> Result<Record, FileError> {
    Ok(Record { row, fields: fields.iter().map(|f| f.to_string()).collect() })
}

#[test]
fn reads_awkward_files() {
    let dir = scratch("awkward");
    // (what the case is, the file's bytes, the header, the records)
    type Case = (&'static str, &'static [u8], &'static [&'static str], Vec<Result<Record, FileError>>);
    let cases: &[Case] = &[
        ("plain", b"a,b\n1,2\n3,4\n", &["a", "b"], vec![rec(2, &["1", "2"]), rec(3, &["3", "4"])]),
        (
            "byte-order mark",
            b"\xEF\xBB\xBFCost Centre,Amount\nC1,9.99\n",
            &["Cost Centre", "Amount"],
            vec![rec(2, &["C1", "9.99"])],
        ),
        ("CRLF", b"a,b\r\n1,2\r\n3,4\r\n", &["a", "b"], vec![rec(2, &["1", "2"]), rec(3, &["3", "4"])]),
        ("no final newline", b"a,b\n1,2", &["a", "b"], vec![rec(2, &["1", "2"])]),
        ("blank trailing lines", b"a,b\n1,2\n\n\r\n\n", &["a", "b"], vec![rec(2, &["1", "2"])]),
        ("Excel's blank rows of commas", b"a,b\n1,2\n,\n , \n", &["a", "b"], vec![rec(2, &["1", "2"])]),
        (
            "a blank line between rows keeps line numbers",
            b"a,b\n1,2\n\n3,4\n",
            &["a", "b"],
            vec![rec(2, &["1", "2"]), rec(4, &["3", "4"])],
        ),
        (
            "quoted commas, quotes and newlines",
            b"a,b\n\"Smith, J\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,y\n",
            &["a", "b"],
            vec![rec(2, &["Smith, J", "say \"hi\""]), rec(3, &["two\nlines", "x"]), rec(5, &["last", "y"])],
        ),
        ("quoted CRLF kept inside a field", b"a\r\n\"x\r\ny\"\r\n", &["a"], vec![rec(2, &["x\r\ny"])]),
        (
            "header names trimmed, trailing empty columns dropped",
            b" a , b ,,\n1,2,,\n",
            &["a", "b"],
            vec![rec(2, &["1", "2"])],
        ),
        ("blank lines before the header", b"\n\na,b\n1,2\n", &["a", "b"], vec![rec(4, &["1", "2"])]),
        ("UTF-8 text", "a,b\n\"£1,234.56\",café\n".as_bytes(), &["a", "b"], vec![rec(2, &["£1,234.56", "café"])]),
    ];
    for (name, bytes, header, records) in cases {
        let path = dir.join("t.csv");
        std::fs::write(&path, bytes).unwrap();
        let (got_header, got) = read_all(&path);
        assert_eq!(got_header, *header, "{name}");
        assert_eq!(&got, records, "{name}");
    }
}

#[test]
fn round_trips_through_the_writer() {
    let dir = scratch("round-trip");
    let header = ["Cost Centre", "Description, with comma", "Amount"];
    let texts = [
        ("C1", "plain", 100),
        ("C2", "Smith, J", -250),
        ("C3", "\"quoted\" and \"\"doubled\"\"", 300),
        ("C4", "two\nlines", 400),
        ("C5", "crlf\r\ninside", 500),
        ("C6", "  spaces kept  ", 600),
        ("C7", "", 700),
        ("C8", "£ café ü", 800),
        ("C9", ",", 900),
    ];
    let text = |s: &str| if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) };
    let rows: Vec<Vec<Cell>> =
        texts.iter().map(|(cc, d, pence)| vec![text(cc), text(d), Cell::Money(Money::from_pence(*pence))]).collect();
    let path = dir.join("out.csv");
    write_csv_file(&path, &header, &rows).unwrap();
    let (got_header, got) = read_all(&path);
    assert_eq!(got_header, header);
    let got: Vec<Vec<String>> = got.into_iter().map(|r| r.unwrap().fields).collect();
    let expected: Vec<Vec<String>> = texts
        .iter()
        .map(|(cc, d, pence)| vec![cc.to_string(), d.to_string(), Money::from_pence(*pence).to_plain_string()])
        .collect();
    assert_eq!(got, expected);

    // The writer form gives the same bytes as the file form.
    let mut bytes = Vec::new();
    write_csv(&mut bytes, &header, &rows).unwrap();
    assert_eq!(bytes, std::fs::read(&path).unwrap());
}

#[test]
fn bad_rows_name_file_row_and_column_and_reading_goes_on() {
    let dir = scratch("bad-rows");
    let path = dir.join("bad.csv");
    std::fs::write(&path, b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n1,\xA3,3\n1,2,3,\n7,8,9\n").unwrap();
    assert_eq!(
        shown(&path),
        [
            "ok 2 [\"1\", \"2\", \"3\"]",
            // At the first missing field, and at the first extra one.
            "FILE:3:3: error: this row has 2 fields but the header has 3 (a missing field or an unclosed quote?)",
            "FILE:4:4: error: this row has 4 fields but the header has 3 (an unquoted comma?)",
            "FILE:5:2: error: not UTF-8 text: save the file as \"CSV UTF-8\"",
            // A trailing empty field (a stray comma) is not an error.
            "ok 6 [\"1\", \"2\", \"3\"]",
            "ok 7 [\"7\", \"8\", \"9\"]",
        ]
    );
}

#[test]
fn files_that_cannot_be_read_say_why() {
    let dir = scratch("unreadable");
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, b"\n\n").unwrap();
    let ods = dir.join("ledger.ods");
    std::fs::write(&ods, b"x").unwrap();
    let not_xlsx = dir.join("fake.xlsx");
    std::fs::write(&not_xlsx, b"a,b\n1,2\n").unwrap();
    let cases = [
        (empty.clone(), "the file is empty: expected a header row"),
        (ods.clone(), "cannot read a file with `.ods`: expected .csv or .xlsx"),
        (dir.join("missing.csv"), "cannot open:"),
        (not_xlsx.clone(), "not a readable .xlsx workbook"),
    ];
    for (path, want) in cases {
        let err = TableReader::open(&path).err().unwrap();
        assert_eq!(err.path, path);
        assert!(err.to_string().starts_with(&format!("{}: error: {want}", path.display())), "{err}");
    }
}

#[test]
fn the_hash_taken_while_reading_is_the_files() {
    let dir = scratch("sha256");
    let hashing = ReadOptions { sha256: true, ..ReadOptions::default() };
    // (contents, whether the file is read to its end) -> the hash is the file's own.
    let check = |name: &str, contents: &[u8], options: &ReadOptions, expected: bool| {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        let mut reader = TableReader::open_with(&path, options).unwrap();
        assert_eq!(reader.takes_sha256(), options.sha256, "{name}");
        assert_eq!(reader.sha256(), None, "{name}: not before the end");
        while reader.next().is_some() {}
        let whole = file_sha256(&path).unwrap();
        assert_eq!(reader.sha256().as_deref() == Some(whole.as_str()), expected, "{name}");
    };
    check("plain.csv", b"a,b\n1,2\n3,4\n", &hashing, true);
    check("bom.csv", b"\xEF\xBB\xBFa,b\r\n1,2\r\n", &hashing, true);
    check("unterminated.csv", b"a,b\n1,2", &hashing, true);
    check("header-only.csv", b"a,b\n", &hashing, true);
    check("bad-rows.csv", b"a,b\n1\n\xff,2\n\n", &hashing, true);
    check("not-asked.csv", b"a,b\n1,2\n", &ReadOptions::default(), false);
    assert_eq!(
        file_sha256(&dir.join("plain.csv")).unwrap(),
        // sha256sum of the same bytes.
        "b9485148546419a0f6a85e8d708c923557c15d7f3c7d078ef1fa7f7c0f57d5a5"
    );
}

#[test]
fn progress_reaches_the_file_size() {
    let dir = scratch("progress");
    let path = dir.join("p.csv");
    let rows: Vec<[Cell; 2]> =
        (0..5000).map(|i| [Cell::Text(format!("C{i}")), Cell::Money(Money::from_pence(i * 100 + i % 100))]).collect();
    write_csv_file(&path, &["cc", "amount"], &rows).unwrap();
    let mut reader = TableReader::open(&path).unwrap();
    let total = reader.total_bytes();
    assert_eq!(total, std::fs::metadata(&path).unwrap().len());
    let mut record = Record::default();
    let mut last = reader.bytes_read();
    let mut count = 0;
    while reader.read_into(&mut record).unwrap() {
        assert!(reader.bytes_read() >= last);
        last = reader.bytes_read();
        count += 1;
    }
    assert_eq!(count, 5000);
    assert_eq!(record.fields, ["C4999", "4999.99"]);
    assert_eq!(reader.bytes_read(), total);
}

#[test]
fn a_bad_row_of_the_reader_is_a_bad_row_like_the_others() {
    let dir = scratch("row-errors");
    let path = dir.join("bad.csv");
    std::fs::write(&path, b"a,b,c\n1,2\n").unwrap();
    let reader = TableReader::open(&path).unwrap();
    let header = reader.header().to_vec();
    let error = reader.into_iter().next().unwrap().unwrap_err();
    assert_eq!(
        error.row_error(&header).unwrap().render("bad.csv"),
        "bad.csv:2:3: error: c: this row has 2 fields but the header has 3 (a missing field or an unclosed quote?)"
    );
    // A problem with the whole file is no row's.
    let whole = TableReader::open(dir.join("missing.csv")).err().unwrap();
    assert_eq!(whole.row_error(&header), None);
}

#[test]
fn a_huge_line_is_refused_after_a_megabyte_not_read_whole() {
    let dir = scratch("huge-line");
    // A header, a good row, then 5 MB with no line end (a quote left open reads the same).
    let path = dir.join("huge.csv");
    let mut bytes = b"a,b\n1,2\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 5 << 20));
    bytes.extend(b"\n3,4\n");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        shown(&path),
        [
            "ok 2 [\"1\", \"2\"]".to_string(),
            format!(
                "FILE:3:1: error: this row is longer than {} bytes, the most a row may hold (no line ends, or a quote left open?)",
                "1,048,576"
            ),
        ]
    );
    assert_eq!(MAX_ROW_BYTES, 1_048_576);
    // A huge header is refused the same way, before it becomes a message.
    let header = dir.join("header.csv");
    std::fs::write(&header, "h".repeat(3 << 20)).unwrap();
    let error = TableReader::open(&header).err().unwrap();
    assert_eq!((error.row, error.column), (Some(1), Some(1)));
    assert!(error.message.starts_with("this row is longer than 1,048,576 bytes"), "{error}");
}

#[test]
fn exports_cannot_carry_formulas_and_keep_numbers_numbers() {
    let text = |s: &str| Cell::Text(s.to_string());
    let rows = vec![
        vec![text("=HYPERLINK(\"http://evil.example\",\"Click\")"), Cell::Money(Money::from_pence(-123_456))],
        vec![text("+44 1865 000000"), Cell::Integer(-7)],
        vec![text("-2+3"), Cell::Percent(Percent::from_units(5024, 2).unwrap())],
        vec![text("@SUM(A1:A2)"), Cell::Date(Date::new(2016, 5, 31).unwrap())],
        vec![text("\tcmd"), Cell::Empty],
        vec![text("\rcmd"), text("plain; with a semicolon")],
    ];
    let mut bytes = Vec::new();
    write_csv(&mut bytes, &["=Header", "Amount"], &rows).unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "\"'=Header\",\"Amount\"\n\
         \"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\",-1234.56\n\
         \"'+44 1865 000000\",-7\n\
         \"'-2+3\",50.24\n\
         \"'@SUM(A1:A2)\",\"2016-05-31\"\n\
         \"'\tcmd\",\"\"\n\
         \"'\rcmd\",\"plain; with a semicolon\"\n"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Whatever the bytes, reading ends without a panic, and every problem with a row
    /// names its row and column.
    #[test]
    fn any_bytes_read_without_panic(bytes in proptest::collection::vec(
        proptest::prop_oneof![
            proptest::sample::select(b"a,\"\n\r \xEF\xBB\xBF\xA3x".to_vec()),
            proptest::prelude::any::<u8>(),
        ],
        0..400,
    )) {
        let dir = std::env::temp_dir().join(format!("pooled-files-{}-prop", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.csv", bytes.iter().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))));
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(reader) = TableReader::open(&path) {
            let header = reader.header().to_vec();
            for record in reader {
                if let Err(e) = record {
                    let row = e.row_error(&header);
                    proptest::prop_assert!(row.is_some(), "{e}");
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }
}
