//! The outturn file (docs/agreement-file.md): every line's net outturn, savings delivered,
//! and rules waived by recorded decision.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use crate::agreement::Agreement;
use crate::diagnostic::{Diagnostic, Diagnostics, line_col};
use crate::file_format::{Amount, Spanned, from_toml, non_negative};
use crate::money::{Money, Tally};

/// Net outturn (actual or forecast) for every line of an agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outturn {
    /// `[pool][line]`, in the agreement's order.
    lines: Vec<Vec<Money>>,
    waived: BTreeSet<String>,
    delivered: BTreeMap<String, Money>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutturn {
    #[serde(default)]
    waive: Vec<Spanned<String>>,
    #[serde(default)]
    line: Vec<Spanned<RawLine>>,
    #[serde(default)]
    saving: Vec<Spanned<RawSaving>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    pool: Spanned<String>,
    line: Spanned<String>,
    outturn: Spanned<Amount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSaving {
    id: Spanned<String>,
    delivered: Spanned<Amount>,
}

impl Outturn {
    /// Every line at exactly its budget: a starting point for what-if and forecasts.
    pub fn on_budget(agreement: &Agreement) -> Outturn {
        Outturn {
            lines: agreement.pools().iter().map(|p| p.lines.iter().map(|l| l.budget()).collect()).collect(),
            waived: BTreeSet::new(),
            delivered: BTreeMap::new(),
        }
    }

    /// Sets one line's outturn; `false` when the agreement has no such pool or line.
    pub fn set_line(&mut self, agreement: &Agreement, pool: &str, line: &str, outturn: Money) -> bool {
        let Some(p) = agreement.pools().iter().position(|p| p.id == pool) else { return false };
        let Some(l) = agreement.pools()[p].line_ix(line) else { return false };
        self.lines[p][l] = outturn;
        true
    }

    pub fn waive(&mut self, rule: &str) {
        self.waived.insert(rule.to_string());
    }

    pub fn set_delivered(&mut self, saving: &str, delivered: Money) {
        self.delivered.insert(saving.to_string(), delivered);
    }

    pub fn pool_lines(&self, pool: usize) -> &[Money] {
        &self.lines[pool]
    }

    pub fn is_waived(&self, rule: &str) -> bool {
        self.waived.contains(rule)
    }

    /// What was delivered of a saving; `None` when not given (taken as delivered in full).
    pub fn delivered(&self, saving: &str) -> Option<Money> {
        self.delivered.get(saving).copied()
    }

    /// Reads an outturn file against its agreement: every line must be given exactly once
    /// (a missing one is an error at the end of the file, where it would be added), and
    /// the amounts may add up to at most [`crate::money::MAX_TOTAL_PENCE`].
    pub fn parse(text: &str, agreement: &Agreement) -> Result<(Outturn, Vec<Diagnostic>), Vec<Diagnostic>> {
        let raw: RawOutturn = from_toml(text).map_err(|d| vec![d])?;
        let mut d = Diagnostics::default();
        let mut tally = Tally::default();
        let end = text.len()..text.len();
        let mut outturn = Outturn::on_budget(agreement);
        let mut given: HashMap<(usize, usize), usize> = HashMap::new();
        for entry in &raw.line {
            let entry = entry.get_ref();
            let Some(p) = agreement.pools().iter().position(|p| p.id == *entry.pool.get_ref()) else {
                let known: Vec<&str> = agreement.pools().iter().map(|p| p.id.as_str()).collect();
                d.error(
                    entry.pool.span(),
                    format!("unknown pool `{}` (pools are {})", entry.pool.get_ref(), known.join(", ")),
                );
                continue;
            };
            let pool = &agreement.pools()[p];
            let Some(l) = pool.line_ix(entry.line.get_ref()) else {
                d.error(entry.line.span(), format!("unknown line `{}` in pool `{}`", entry.line.get_ref(), pool.id));
                continue;
            };
            if let Some(first) = given.insert((p, l), entry.line.span().start) {
                let (first_line, _) = line_col(text, first);
                d.error(
                    entry.line.span(),
                    format!(
                        "line `{}` of pool `{}` is given twice (first on line {first_line})",
                        pool.lines[l].id, pool.id
                    ),
                );
            }
            let amount = entry.outturn.get_ref().0;
            if let Err(e) = tally.add(amount) {
                d.error(entry.outturn.span(), e);
            }
            outturn.lines[p][l] = amount;
        }
        for (p, pool) in agreement.pools().iter().enumerate() {
            for (l, line) in pool.lines.iter().enumerate() {
                if !given.contains_key(&(p, l)) {
                    d.error(
                        end.clone(),
                        format!("no outturn for line `{}` of pool `{}`: every line needs one", line.id, pool.id),
                    );
                }
            }
        }
        for rule in &raw.waive {
            let known = agreement.pools().iter().flat_map(|p| &p.rules).any(|r| r.id == *rule.get_ref());
            if known {
                outturn.waive(rule.get_ref());
            } else {
                d.error(rule.span(), format!("unknown rule `{}` in `waive`", rule.get_ref()));
            }
        }
        let savings: Vec<_> = agreement.pools().iter().flat_map(|p| &p.savings).collect();
        for entry in &raw.saving {
            let entry = entry.get_ref();
            match savings.iter().find(|s| s.id == *entry.id.get_ref()) {
                None => d.error(entry.id.span(), format!("unknown saving `{}`", entry.id.get_ref())),
                Some(s) => {
                    if s.strategy_agreed {
                        d.warning(
                            entry.id.span(),
                            format!("saving `{}` has an agreed delivery strategy, so its delivery does not change the settlement", s.id),
                        );
                    }
                    match non_negative(&entry.delivered, "a delivered saving") {
                        Ok(m) => {
                            if let Err(e) = tally.add(m) {
                                d.error(entry.delivered.span(), e);
                            }
                            outturn.set_delivered(&s.id, m);
                        }
                        Err(e) => d.error(e.span, e.message),
                    }
                }
            }
        }
        for s in savings.iter().filter(|s| !s.strategy_agreed) {
            if !raw.saving.iter().any(|e| *e.get_ref().id.get_ref() == s.id) {
                d.error(
                    end.clone(),
                    format!("no `delivered` for saving `{}`, which has no agreed strategy: its shortfall falls to the partner that moved it into the pool", s.id),
                );
            }
        }
        d.finish(outturn)
    }
}
