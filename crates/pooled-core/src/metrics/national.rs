//! The national metrics of each framework year, bundled as data (`bcf-*.toml` beside this
//! file): each with its definition, numerator, denominator, rate base, direction of good,
//! period and source, and whether its definition has been checked against the source.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{Direction, Frequency};

/// The bundled sets: (id, TOML text).
const BUNDLED: [(&str, &str); 3] = [
    ("bcf-2021-22", include_str!("bcf-2021-22.toml")),
    ("bcf-2023-25", include_str!("bcf-2023-25.toml")),
    ("bcf-2025-26", include_str!("bcf-2025-26.toml")),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalSet {
    pub id: String,
    pub name: String,
    pub source: String,
    pub metrics: Vec<NationalMetric>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalMetric {
    pub id: String,
    pub name: String,
    pub definition: String,
    pub numerator: String,
    pub denominator: String,
    /// `per 100,000 population aged 65+`, `percentage`, `average days`.
    pub rate_base: String,
    pub direction: Direction,
    pub frequency: Frequency,
    pub source: String,
    /// Whether the definition was checked against the framework's technical guidance.
    pub confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    name: String,
    source: String,
    metric: Vec<RawMetric>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    id: String,
    name: String,
    definition: String,
    numerator: String,
    denominator: String,
    rate_base: String,
    direction: String,
    period: String,
    source: String,
    confirmed: bool,
}

fn parse(text: &str) -> Result<NationalSet, String> {
    let raw: RawSet = toml::from_str(text).map_err(|e| e.to_string())?;
    let metrics = raw
        .metric
        .into_iter()
        .map(|m| {
            Ok(NationalMetric {
                direction: Direction::parse(&m.direction)?,
                frequency: Frequency::parse(&m.period)?,
                id: m.id,
                name: m.name,
                definition: m.definition,
                numerator: m.numerator,
                denominator: m.denominator,
                rate_base: m.rate_base,
                source: m.source,
                confirmed: m.confirmed,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(NationalSet { id: raw.id, name: raw.name, source: raw.source, metrics })
}

/// Every bundled set, in order. The files are part of the program: one that does not
/// parse is a bug, caught by the tests.
pub fn sets() -> &'static [NationalSet] {
    static SETS: OnceLock<Vec<NationalSet>> = OnceLock::new();
    SETS.get_or_init(|| {
        BUNDLED
            .iter()
            .map(|(id, text)| {
                let set = parse(text).unwrap_or_else(|e| panic!("the bundled metrics {id}: {e}"));
                assert_eq!(set.id, *id, "the bundled metrics file's id");
                set
            })
            .collect()
    })
}

/// The bundled set with this id.
pub fn set(id: &str) -> Option<&'static NationalSet> {
    sets().iter().find(|s| s.id == id)
}

/// The ids of the bundled sets, for messages.
pub fn ids() -> Vec<&'static str> {
    BUNDLED.iter().map(|(id, _)| *id).collect()
}
