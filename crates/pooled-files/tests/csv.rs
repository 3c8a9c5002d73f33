//! CSV reading and writing: quoting, BOM, line endings, blank rows, row numbers, errors.

use std::path::PathBuf;

use pooled_files::{FileError, Record, TableReader, write_csv, write_csv_file};

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
    let rows: Vec<Vec<String>> = [
        ["C1", "plain", "1.00"],
        ["C2", "Smith, J", "-2.50"],
        ["C3", "\"quoted\" and \"\"doubled\"\"", "3"],
        ["C4", "two\nlines", "4"],
        ["C5", "crlf\r\ninside", "5"],
        ["C6", "  spaces kept  ", "6"],
        ["C7", "", "7"],
        ["C8", "£ café ü", "8"],
        ["C9", ",", "9"],
    ]
    .iter()
    .map(|r| r.iter().map(|f| f.to_string()).collect())
    .collect();
    let path = dir.join("out.csv");
    write_csv_file(&path, &header, &rows).unwrap();
    let (got_header, got) = read_all(&path);
    assert_eq!(got_header, header);
    let got: Vec<Vec<String>> = got.into_iter().map(|r| r.unwrap().fields).collect();
    assert_eq!(got, rows);

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
    let (_, got) = read_all(&path);
    let shown: Vec<String> = got
        .iter()
        .map(|r| match r {
            Ok(r) => format!("ok {} {:?}", r.row, r.fields),
            Err(e) => e.to_string().replace(&*path.to_string_lossy(), "FILE"),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "ok 2 [\"1\", \"2\", \"3\"]",
            "FILE:3: this row has 2 fields but the header has 3 (a missing field or an unclosed quote?)",
            "FILE:4: this row has 4 fields but the header has 3 (an unquoted comma?)",
            "FILE:5:2: not UTF-8 text: save the file as \"CSV UTF-8\"",
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
        assert!(err.to_string().starts_with(&format!("{}: {want}", path.display())), "{err}");
    }
}

#[test]
fn progress_reaches_the_file_size() {
    let dir = scratch("progress");
    let path = dir.join("p.csv");
    let rows: Vec<[String; 2]> = (0..5000).map(|i| [format!("C{i}"), format!("{i}.{:02}", i % 100)]).collect();
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
