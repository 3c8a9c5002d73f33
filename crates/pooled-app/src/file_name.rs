//! The rule on the names extracts are recorded and saved under, for the command line and
//! the server alike.

/// The longest name an extract is recorded under, in bytes: what the common file systems
/// allow for one name.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The name an extract is recorded (and, on the server, saved) under, from the name its
/// sender gave it (a browser's or a script's, perhaps with folders in front): its last
/// part, each character other than a letter, digit, `.`, `_` or `-` made `_`, and no
/// leading dots. Refused, saying why, when nothing is left or it is too long.
pub fn extract_file_name(given: &str) -> Result<String, String> {
    let base = given.rsplit(['/', '\\']).next().unwrap_or("");
    let safe: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        Err("the file has no name: give the extract's own, like occ-2016-07.csv".into())
    } else if safe.len() > MAX_FILE_NAME_BYTES {
        Err(format!(
            "the file name is {} characters long; at most {MAX_FILE_NAME_BYTES} are accepted: rename the file",
            base.chars().count()
        ))
    } else {
        Ok(safe.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(given: &str, expected: Result<&str, &str>) {
        assert_eq!(extract_file_name(given).as_deref().map_err(String::as_str), expected, "{given}");
    }

    #[test]
    fn names_are_kept_to_their_last_part_and_safe_characters() {
        check("occ-2016-07.csv", Ok("occ-2016-07.csv"));
        check("C:\\Users\\ann\\May ledger.xlsx", Ok("May_ledger.xlsx"));
        check("../../etc/passwd", Ok("passwd"));
        check("ledger é.csv", Ok("ledger__.csv"));
        check("..", Err("the file has no name: give the extract's own, like occ-2016-07.csv"));
        check("", Err("the file has no name: give the extract's own, like occ-2016-07.csv"));
        check(&"a".repeat(255), Ok(&"a".repeat(255)));
        check(
            &format!("{}.csv", "x".repeat(4996)),
            Err("the file name is 5000 characters long; at most 255 are accepted: rename the file"),
        );
    }
}
