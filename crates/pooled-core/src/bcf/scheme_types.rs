//! The national lists of Better Care Fund scheme types and sub-types, one per planning
//! template year, bundled as data (`scheme_types/*.toml`, each citing its source and
//! saying how far it is confirmed).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::diagnostic::quote;

/// A planning template year whose list of scheme types pooled bundles (`[bcf]
/// scheme_types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemeTypeYear {
    Y2022To23,
    Y2023To25,
    Y2025To26,
}

impl SchemeTypeYear {
    pub const ALL: [SchemeTypeYear; 3] =
        [SchemeTypeYear::Y2022To23, SchemeTypeYear::Y2023To25, SchemeTypeYear::Y2025To26];

    /// As the file writes it: `2023-25`.
    pub fn key(self) -> &'static str {
        match self {
            SchemeTypeYear::Y2022To23 => "2022-23",
            SchemeTypeYear::Y2023To25 => "2023-25",
            SchemeTypeYear::Y2025To26 => "2025-26",
        }
    }

    pub fn from_key(key: &str) -> Option<SchemeTypeYear> {
        SchemeTypeYear::ALL.into_iter().find(|y| y.key() == key)
    }

    /// The year's list of scheme types.
    pub fn list(self) -> &'static SchemeTypeList {
        static LISTS: OnceLock<[SchemeTypeList; 3]> = OnceLock::new();
        let lists = LISTS.get_or_init(|| {
            SchemeTypeYear::ALL.map(|year| {
                let text = match year {
                    SchemeTypeYear::Y2022To23 => include_str!("scheme_types/2022-23.toml"),
                    SchemeTypeYear::Y2023To25 => include_str!("scheme_types/2023-25.toml"),
                    SchemeTypeYear::Y2025To26 => include_str!("scheme_types/2025-26.toml"),
                };
                // Bundled data, read by a test on every build: a bad file is a bug.
                let list: SchemeTypeList = toml::from_str(text).expect("a bundled list of scheme types reads");
                assert_eq!(list.year, year.key(), "the bundled list's year is its file's");
                list
            })
        });
        &lists[SchemeTypeYear::ALL.iter().position(|y| *y == self).expect("every year has a list")]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeTypeList {
    year: String,
    #[serde(rename = "type")]
    types: Vec<SchemeType>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeType {
    pub name: String,
    /// Empty where the type has none.
    pub sub_types: Vec<String>,
}

impl SchemeTypeList {
    pub fn year(&self) -> &str {
        &self.year
    }

    pub fn types(&self) -> &[SchemeType] {
        &self.types
    }

    /// The type `name` names, ignoring case and surrounding spaces (plans write the list's
    /// names in either case); otherwise what to say, naming the list's year and the
    /// nearest type.
    pub fn find(&self, name: &str) -> Result<&SchemeType, String> {
        let names: Vec<&str> = self.types.iter().map(|t| t.name.as_str()).collect();
        match same_ignoring_case(&names, name) {
            Some(ix) => Ok(&self.types[ix]),
            None => Err(format!(
                "{} is not a scheme type of the {} planning template: the nearest is \"{}\"",
                quote(name),
                self.year,
                nearest(&names, name)
            )),
        }
    }
}

impl SchemeType {
    /// The sub-type `name` names, as [`SchemeTypeList::find`] finds a type.
    pub fn sub_type(&self, year: &str, name: &str) -> Result<&str, String> {
        let names: Vec<&str> = self.sub_types.iter().map(String::as_str).collect();
        if names.is_empty() {
            return Err(format!(
                "{}: the scheme type \"{}\" has no sub-types in the {year} planning template: leave `sub_type` out",
                quote(name),
                self.name
            ));
        }
        match same_ignoring_case(&names, name) {
            Some(ix) => Ok(names[ix]),
            None => Err(format!(
                "{} is not a sub-type of \"{}\" in the {year} planning template: the nearest is \"{}\"",
                quote(name),
                self.name,
                nearest(&names, name)
            )),
        }
    }
}

fn same_ignoring_case(names: &[&str], name: &str) -> Option<usize> {
    let name = name.trim().to_lowercase();
    names.iter().position(|n| n.to_lowercase() == name)
}

/// The name closest to `name` (ignoring case): among the names that contain it or that
/// it contains, if any (a name shortened or lengthened), otherwise among all, the one
/// nearest by edit distance; ties to the first listed. Only the first [`COMPARED_CHARS`]
/// characters of `name` count, so a long input costs no more than a name.
fn nearest<'n>(names: &[&'n str], name: &str) -> &'n str {
    let given: String = name.trim().to_lowercase().chars().take(COMPARED_CHARS).collect();
    let chars: Vec<char> = given.chars().collect();
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let overlapping: Vec<usize> =
        (0..names.len()).filter(|&i| lower[i].contains(&given) || given.contains(&lower[i])).collect();
    let candidates: Vec<usize> = if overlapping.is_empty() { (0..names.len()).collect() } else { overlapping };
    candidates
        .into_iter()
        .min_by_key(|&i| edit_distance(&lower[i].chars().collect::<Vec<_>>(), &chars))
        .map_or("", |i| names[i])
}

/// Longer than any name in the lists.
const COMPARED_CHARS: usize = 200;

/// Levenshtein distance: insertions, deletions and substitutions of one character.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}
