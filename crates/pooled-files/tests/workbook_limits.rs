//! Workbooks made by hand, part by part, as an attacker or a broken tool might make them:
//! each limit on what a workbook may unpack to refuses it, with the file named, before
//! calamine reads it. The big parts are made as they are written, never held whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use pooled_files::{
    Cell, Column, ColumnKind, MAX_SHARED_STRINGS, MAX_WHOLE_PARTS_BYTES, Sheet, TableReader, Workbook, read_xlsx_cells,
    write_xlsx_file,
};
use zip::write::SimpleFileOptions;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-files-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A part's text: `head`, then `unit` `times` over, then `tail`.
struct Part {
    name: String,
    head: String,
    unit: String,
    times: usize,
    tail: String,
}

fn part(name: &str, text: &str) -> Part {
    Part { name: name.into(), head: text.into(), unit: String::new(), times: 0, tail: String::new() }
}

fn repeated(name: &str, head: &str, unit: &str, times: usize, tail: &str) -> Part {
    Part { name: name.into(), head: head.into(), unit: unit.into(), times, tail: tail.into() }
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

fn package_rels(workbook: &str) -> Part {
    part(
        "_rels/.rels",
        &format!(
            "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"{RELS}/officeDocument\" Target=\"{workbook}\"/></Relationships>"
        ),
    )
}

/// The parts of a one-sheet workbook whose A1 is the shared string `amount` and A2 is 12,
/// with the workbook part at `dir`/workbook.xml.
fn parts_in(dir: &str) -> Vec<Part> {
    vec![
        package_rels(&format!("{dir}/workbook.xml")),
        part(
            &format!("{dir}/workbook.xml"),
            &format!(
                "<workbook xmlns=\"{MAIN}\" xmlns:r=\"{RELS}\"><sheets><sheet name=\"Ledger\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        part(
            &format!("{dir}/_rels/workbook.xml.rels"),
            &format!(
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{RELS}/worksheet\" Target=\"sheet1.xml\"/></Relationships>"
            ),
        ),
        part(
            &format!("{dir}/sheet1.xml"),
            &format!(
                "<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>\
                 <row r=\"2\"><c r=\"A2\"><v>12</v></c></row></sheetData></worksheet>"
            ),
        ),
        part(
            &format!("{dir}/sharedStrings.xml"),
            &format!("<sst xmlns=\"{MAIN}\" count=\"1\" uniqueCount=\"1\"><si><t>amount</t></si></sst>"),
        ),
    ]
}

/// The workbook of [`parts_in`] `xl`, each part `replace`d by one of the same name.
fn workbook(path: &Path, replace: Vec<Part>) {
    let mut parts = parts_in("xl");
    for new in replace {
        match parts.iter_mut().find(|p| p.name == new.name) {
            Some(old) => *old = new,
            None => parts.push(new),
        }
    }
    write_parts(path, &parts);
}

fn write_parts(path: &Path, parts: &[Part]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    for p in parts {
        zip.start_file(p.name.as_str(), options).unwrap();
        zip.write_all(p.head.as_bytes()).unwrap();
        // Units in blocks of about 64 KB, so a part of gigabytes costs 64 KB to write.
        let per_block = (65_536 / p.unit.len().max(1)).max(1);
        let block = p.unit.repeat(per_block);
        let mut left = p.times;
        while left >= per_block {
            zip.write_all(block.as_bytes()).unwrap();
            left -= per_block;
        }
        zip.write_all(p.unit.repeat(left).as_bytes()).unwrap();
        zip.write_all(p.tail.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// The error opening the workbook, with its path as `FILE`.
fn refusal(path: &Path) -> String {
    match TableReader::open(path) {
        Ok(reader) => panic!("{} opened, with header {:?}", path.display(), reader.header()),
        Err(e) => e.to_string().replace(&*path.to_string_lossy(), "FILE"),
    }
}

const CSV_INSTEAD: &str = "save the sheet as CSV UTF-8 and import that";

#[test]
fn a_handmade_workbook_within_the_limits_reads() {
    let dir = scratch("handmade");
    let path = dir.join("ok.xlsx");
    workbook(&path, vec![]);
    let reader = TableReader::open(&path).unwrap();
    assert_eq!(reader.header(), ["amount"]);
    assert_eq!(reader.map(|r| r.unwrap().fields).collect::<Vec<_>>(), [["12"]]);
}

#[test]
fn a_zip_bomb_of_shared_strings_is_refused_by_what_it_declares_and_what_it_unpacks_to() {
    let dir = scratch("bomb");
    // 135,000 texts of 1,000 characters: 137 MB of shared strings, a few hundred KB zipped.
    let texts = 135_000;
    let bomb = || {
        repeated(
            "xl/sharedStrings.xml",
            &format!("<sst xmlns=\"{MAIN}\" uniqueCount=\"{texts}\"><si><t>amount</t></si>"),
            &format!("<si><t>{}</t></si>", "x".repeat(1000)),
            texts,
            "</sst>",
        )
    };
    let path = dir.join("bomb.xlsx");
    workbook(&path, vec![bomb()]);
    assert!(std::fs::metadata(&path).unwrap().len() < 4 << 20, "the bomb is small");
    let expected = format!(
        "FILE: error: the parts of the workbook read whole (shared strings, styles) declare that they unpack to more than 134,217,728 bytes, the most pooled reads from a workbook: {CSV_INSTEAD}"
    );
    assert_eq!(refusal(&path), expected);
    assert_eq!(MAX_WHOLE_PARTS_BYTES, 134_217_728);

    // The same bomb declaring a thousand bytes: refused as it unpacks past what it said.
    let lying = dir.join("lying.xlsx");
    std::fs::write(&lying, declare_sizes(&std::fs::read(&path).unwrap(), "xl/sharedStrings.xml", 1000)).unwrap();
    let refused = refusal(&lying);
    assert!(
        refused.starts_with("FILE: error: not a readable .xlsx workbook: part `xl/sharedStrings.xml`: "),
        "{refused}"
    );

    // The same bomb beside a workbook part named like a sheet: still a part read whole.
    let disguised = dir.join("disguised.xlsx");
    let mut parts = parts_in("xl/worksheets");
    parts[4] = Part { name: "xl/worksheets/sharedStrings.xml".into(), ..bomb() };
    parts[1].name = "xl/worksheets/sheet9.xml".into();
    parts[0] = package_rels("xl/worksheets/sheet9.xml");
    parts[2].name = "xl/worksheets/_rels/sheet9.xml.rels".into();
    write_parts(&disguised, &parts);
    assert_eq!(refusal(&disguised), expected);
}

/// `zip` with the uncompressed size of part `name` set to `size` in its local header and
/// in the central directory: a zip that lies about what it unpacks to.
fn declare_sizes(zip: &[u8], name: &str, size: u32) -> Vec<u8> {
    let mut out = zip.to_vec();
    let u16_at = |b: &[u8], i: usize| usize::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
    let end = zip.windows(4).rposition(|w| w == [0x50, 0x4b, 0x05, 0x06]).unwrap();
    let mut at = u32_at(zip, end + 16);
    while zip[at..at + 4] == [0x50, 0x4b, 0x01, 0x02] {
        let (name_len, extra_len, comment_len) = (u16_at(zip, at + 28), u16_at(zip, at + 30), u16_at(zip, at + 32));
        if &zip[at + 46..at + 46 + name_len] == name.as_bytes() {
            // Zip64 entries keep sizes in an extra field; this test writes small ones only.
            out[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
            let local = u32_at(zip, at + 42);
            out[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

#[test]
fn each_limit_on_what_calamine_holds_refuses_the_workbook() {
    let dir = scratch("limits");
    let sst = |unique: &str| format!("<sst xmlns=\"{MAIN}\"{unique}><si><t>amount</t></si>");
    let sheet = |cells: &str| {
        format!(
            "<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row><row r=\"2\">{cells}</row></sheetData></worksheet>"
        )
    };
    let cases = [
        (
            "many shared strings",
            // Two million and more empty texts: 10 MB of XML, each a string in memory.
            repeated("xl/sharedStrings.xml", &sst(""), "<si/>", MAX_SHARED_STRINGS as usize, "</sst>"),
            format!(
                "FILE: error: the workbook has more than 2,097,152 shared strings, the most pooled reads from a workbook: {CSV_INSTEAD}"
            ),
        ),
        (
            "a count of shared strings to reserve room for",
            part("xl/sharedStrings.xml", &format!("{}</sst>", sst(" uniqueCount=\"1000000000000\""))),
            format!(
                "FILE: error: the workbook's shared strings say they are 1,000,000,000,000, which is more than 2,097,152 shared strings, the most pooled reads from a workbook: {CSV_INSTEAD}"
            ),
        ),
        (
            "many cell formats",
            repeated(
                "xl/styles.xml",
                &format!("<styleSheet xmlns=\"{MAIN}\"><cellXfs>"),
                "<xf numFmtId=\"0\"/>",
                16_385,
                "</cellXfs></styleSheet>",
            ),
            format!(
                "FILE: error: the workbook has more than 16,384 cell formats, the most pooled reads from a workbook: {CSV_INSTEAD}"
            ),
        ),
        (
            "a font name copied into every style",
            part(
                "xl/styles.xml",
                &format!(
                    "<styleSheet xmlns=\"{MAIN}\"><fonts><font><name val=\"{}\"/></font></fonts></styleSheet>",
                    "F".repeat(5000)
                ),
            ),
            format!(
                "FILE: error: part `xl/styles.xml` of the workbook has a piece of XML (a tag, a text or a comment) of more than 4,096 bytes: {CSV_INSTEAD}"
            ),
        ),
        (
            "a cell of two megabytes in runs of a hundred kilobytes",
            part(
                "xl/sheet1.xml",
                &sheet(&format!(
                    "<c r=\"A2\" t=\"inlineStr\"><is>{}</is></c>",
                    format!("<r><t>{}</t></r>", "y".repeat(100_000)).repeat(20)
                )),
            ),
            format!(
                "FILE: error: part `xl/sheet1.xml` of the workbook has a cell of more than 1,048,576 bytes: {CSV_INSTEAD}"
            ),
        ),
        (
            "a text of two megabytes",
            part("xl/sharedStrings.xml", &format!("{}<si><t>{}</t></si></sst>", sst(""), "z".repeat(2 << 20))),
            format!(
                "FILE: error: part `xl/sharedStrings.xml` of the workbook has a piece of XML (a tag, a text or a comment) of more than 1,048,576 bytes: {CSV_INSTEAD}"
            ),
        ),
        (
            "a comment of two megabytes, tags and all",
            part("xl/sheet1.xml", &format!("<!--{}-->{}", "<a>".repeat(700_000), sheet(""))),
            format!(
                "FILE: error: part `xl/sheet1.xml` of the workbook has a piece of XML (a tag, a text or a comment) of more than 1,048,576 bytes: {CSV_INSTEAD}"
            ),
        ),
        (
            "a document type, whose entities expand",
            part("xl/sharedStrings.xml", &format!("<!DOCTYPE sst [<!ENTITY a \"aaaa\">]>{}</sst>", sst(""))),
            format!(
                "FILE: error: part `xl/sharedStrings.xml` of the workbook has a document type declaration, which a workbook never has: {CSV_INSTEAD}"
            ),
        ),
    ];
    for (what, replaced, expected) in cases {
        let path = dir.join("limit.xlsx");
        workbook(&path, vec![replaced]);
        assert_eq!(refusal(&path), expected, "{what}");
    }
    // Every way into a workbook is checked, not only the importer's.
    let path = dir.join("limit.xlsx");
    assert!(read_xlsx_cells(&path, "Ledger").unwrap_err().to_string().contains("document type"));
}

#[test]
fn text_too_long_for_a_cell_is_cut_and_says_so() {
    let dir = scratch("long-text");
    let path = dir.join("long.xlsx");
    let long = "é".repeat(40_000);
    let sheet = Sheet {
        name: "Notes".into(),
        title: Some("t".repeat(40_000)),
        columns: vec![Column { header: "h".repeat(33_000), kind: ColumnKind::Text, width: None }],
        rows: vec![vec![Cell::Text(long.clone())], vec![Cell::Text("short".into())]],
        totals: None,
    };
    write_xlsx_file(&path, &Workbook { sheets: vec![sheet] }).unwrap();
    let cells = read_xlsx_cells(&path, "Notes").unwrap();
    let note = "… [cut: 40,000 characters]";
    assert!(cells[2][0].ends_with(note), "{}", &cells[2][0][cells[2][0].len() - 40..]);
    assert_eq!(cells[2][0].chars().count(), 32_767);
    assert_eq!(cells[2][0].trim_end_matches(note), "é".repeat(32_767 - note.chars().count()));
    assert!(cells[0][0].ends_with(note));
    assert!(cells[1][0].ends_with("… [cut: 33,000 characters]"));
    assert_eq!(cells[3][0], "short");
}

/// Pieces of the XML of a sheet and its shared strings, good and broken.
const FRAGMENTS: &[&str] = &[
    "<c r=\"A2\">",
    "<c r=\"B2\" t=\"s\">",
    "<c t=\"inlineStr\">",
    "</c>",
    "<c/>",
    "<v>1</v>",
    "<v>0</v>",
    "<v>",
    "</v>",
    "<is><t>x</t></is>",
    "<row r=\"3\">",
    "</row>",
    "<si>",
    "</si>",
    "<si/>",
    "<t>",
    "</t>",
    "amount",
    "&amp;",
    "&#x10FFFF;",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?pi?>",
    "<!DOCTYPE",
    "\"",
    "'",
    "<",
    ">",
    "/>",
    "<x:c r=\"ZZZZ9\">",
    "<sst uniqueCount=\"",
    "99999999999999999999",
    "\">",
    "<xf/>",
    " ",
    "\u{feff}",
    "<sheetData>",
    "</sheetData>",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a workbook's sheet and shared strings hold, opening and reading it ends
    /// without a panic.
    #[test]
    fn any_sheet_and_shared_strings_read_without_panic(
        sheet in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..40),
        strings in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..20),
    ) {
        let dir = scratch(&format!("prop-{}", std::thread::current().name().unwrap_or("main").replace(':', "-")));
        let path = dir.join("prop.xlsx");
        workbook(
            &path,
            vec![
                part("xl/sheet1.xml", &format!("<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>{}</sheetData></worksheet>", sheet.concat())),
                part("xl/sharedStrings.xml", &format!("<sst xmlns=\"{MAIN}\"><si><t>amount</t></si>{}</sst>", strings.concat())),
            ],
        );
        if let Ok(reader) = TableReader::open(&path) {
            for record in reader {
                let _ = record;
            }
        }
    }
}
