//! The import's checker on a stream of millions of bad rows made up as it is read.

use super::*;

/// Rows 2 to `last` of a unit4 extract, each without a cost centre; every tenth too
/// short, as the file reader reports a row with a field missing.
struct BadStream {
    next: u64,
    last: u64,
}

impl Records for BadStream {
    fn read_into(&mut self, record: &mut Record) -> Result<bool, FileError> {
        let row = self.next;
        if row > self.last {
            return Ok(false);
        }
        self.next += 1;
        if row.is_multiple_of(10) {
            return Err(FileError {
                path: "x.csv".into(),
                row: Some(row),
                column: Some(6),
                message: "this row has 5 fields but the header has 6 (a missing field or an unclosed quote?)".into(),
            });
        }
        record.row = row;
        record.fields = ["V1", "01/05/2016", "", "4100", "12.34", "a description"].map(String::from).to_vec();
        Ok(true)
    }

    fn bytes_read(&self) -> u64 {
        self.next
    }

    fn sha256(&self) -> Option<String> {
        None
    }
}

#[test]
fn millions_of_bad_rows_keep_fifty_and_a_count() {
    let header: Vec<String> =
        ["Voucher No", "Voucher Date", "Cost Centre", "Account", "Amount", "Description"].map(String::from).to_vec();
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let period = Period::parse("2016-05").unwrap();
    let checker = RowChecker {
        reader: RowReader::new(&Mapping::preset("unit4").unwrap(), &refs).unwrap(),
        cost_centres: HashMap::from([("CC1".to_string(), 0)]),
        partner: 0,
        partner_ids: vec!["OCC".into()],
        period,
        first_day: period.first_day(),
        last_day: period.last_day(),
        cost_centre_column: 2,
        date_column: 1,
        header,
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel(4);
    let (recycle, recycled) = std::sync::mpsc::sync_channel(4);
    let rows = 2_000_000;
    let checked = checker.check_all(BadStream { next: 2, last: rows + 1 }, &sender, &recycle, &recycled);
    drop(sender);
    let Checked::Refused { bad, unreadable: None } = checked else { panic!("the stream was accepted") };
    assert_eq!(bad.first().len(), BadRows::KEPT);
    assert_eq!(bad.more(), rows - BadRows::KEPT as u64);
    let lines = bad.render("x.csv");
    assert_eq!(
        lines[..2],
        ["x.csv:2:3: error: Cost Centre: no cost centre", "x.csv:3:3: error: Cost Centre: no cost centre",]
    );
    // The reader's own bad rows are among them, with their column and "error:".
    assert_eq!(
        lines[8],
        "x.csv:10:6: error: Description: this row has 5 fields but the header has 6 (a missing field or an unclosed quote?)"
    );
    assert_eq!(lines[50], "x.csv: and 1,999,950 more bad rows");
    // Nothing was handed over to be written: the import was aborted at the first bad row.
    assert!(matches!(receiver.iter().collect::<Vec<_>>()[..], [Batch::Abort]));
}
