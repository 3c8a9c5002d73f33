//! `[performance]`: the national metrics the agreement reports and its own KPIs, among
//! them the home support measure (`kind = "home-support"`).

use super::*;
use crate::metrics::{Decimal, Direction, Frequency, HomeSupport, Kpi, Performance, national};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerformance {
    national: Option<Spanned<String>>,
    #[serde(default)]
    kpi: Vec<Spanned<RawKpi>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKpi {
    id: Id,
    name: String,
    kind: Option<Spanned<String>>,
    unit: Option<String>,
    direction: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
    baseline: Option<Spanned<toml::Value>>,
    target: Option<Spanned<toml::Value>>,
    partner: Option<Id>,
    clause: Option<String>,
    // The home support measure's terms.
    growth_percent: Option<Spanned<toml::Value>>,
    new_hours_a_week: Option<Spanned<toml::Value>>,
    budget: Option<Spanned<RawBudgetLine>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudgetLine {
    pool: String,
    line: String,
}

const HOME_SUPPORT: &str = "home-support";

impl Validator<'_> {
    pub(super) fn performance(&mut self, raw: RawPerformance, pools: &[Pool]) -> Performance {
        let national = raw.national.and_then(|n| {
            let found = national::set(n.get_ref());
            if found.is_none() {
                self.d.error(
                    n.span(),
                    format!("unknown national metrics `{}` (pooled has {})", n.get_ref(), national::ids().join(", ")),
                );
            }
            found
        });
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        if let Some(set) = national {
            // A KPI's id may not be a national metric's: figures are entered by id.
            for m in &set.metrics {
                seen.insert(m.id.clone(), 0..0);
            }
        }
        let mut kpis = Vec::new();
        for k in raw.kpi {
            let span = k.span();
            let k = k.into_inner();
            if seen.get(k.id.get_ref()).is_some_and(|s| s.is_empty()) {
                self.d.error(k.id.span(), format!("KPI id `{}` is a national metric's", k.id.get_ref()));
            } else {
                self.unique(&mut seen, &k.id, "KPI");
            }
            if let Some(kpi) = self.kpi(k, span, pools) {
                kpis.push(kpi);
            }
        }
        Performance { national, kpis }
    }

    fn kpi(&mut self, k: RawKpi, span: Range<usize>, pools: &[Pool]) -> Option<Kpi> {
        let home_support = match &k.kind {
            None => false,
            Some(kind) if kind.get_ref() == HOME_SUPPORT => true,
            Some(kind) => {
                self.d.error(
                    kind.span(),
                    format!("unknown KPI kind `{}`: leave it out, or `{HOME_SUPPORT}`", kind.get_ref()),
                );
                return None;
            }
        };
        let partner = k.partner.as_ref().and_then(|p| self.partner(p));
        let baseline = self.figure(k.baseline.as_ref());
        let direction = k.direction.as_ref().and_then(|d| self.parsed(d, Direction::parse));
        let frequency = k.period.as_ref().and_then(|p| self.parsed(p, Frequency::parse));
        let id = k.id.get_ref().clone();
        if home_support {
            return self.home_support(k, span, pools, baseline, partner, id);
        }
        for (given, key) in [
            (k.growth_percent.is_some(), "growth_percent"),
            (k.new_hours_a_week.is_some(), "new_hours_a_week"),
            (k.budget.is_some(), "budget"),
        ] {
            if given {
                self.d
                    .error(span.clone(), format!("KPI `{id}`: `{key}` is a term of a `kind = \"{HOME_SUPPORT}\"` KPI"));
            }
        }
        let target = self.figure(k.target.as_ref());
        let missing: Vec<&str> =
            [(k.unit.is_none(), "unit"), (k.direction.is_none(), "direction"), (k.period.is_none(), "period")]
                .into_iter()
                .filter_map(|(missing, key)| missing.then_some(key))
                .collect();
        if !missing.is_empty() {
            self.d.error(span, format!("KPI `{id}` needs {}", missing.join(", ")));
        }
        Some(Kpi {
            id,
            name: k.name,
            unit: k.unit.unwrap_or_default(),
            direction: direction?,
            frequency: frequency?,
            baseline,
            target,
            partner,
            clause: k.clause,
            home_support: None,
        })
    }

    /// A home support measure: weekly, higher is better, in hours a week; its target
    /// comes from its terms.
    fn home_support(
        &mut self,
        k: RawKpi,
        span: Range<usize>,
        pools: &[Pool],
        baseline: Option<Decimal>,
        partner: Option<PartnerIx>,
        id: String,
    ) -> Option<Kpi> {
        for (given, key) in [
            (k.unit.is_some(), "unit"),
            (k.direction.is_some(), "direction"),
            (k.target.is_some(), "target"),
            (k.period.as_ref().is_some_and(|p| p.get_ref() != "week"), "period"),
        ] {
            if given {
                self.d.error(
                    span.clone(),
                    format!("KPI `{id}`: a home support measure is weekly hours a week, higher is better, its target its terms: leave `{key}` out"),
                );
            }
        }
        let growth_percent = self.figure(k.growth_percent.as_ref());
        let new_hours_a_week = self.figure(k.new_hours_a_week.as_ref());
        let budget_line = k.budget.and_then(|b| {
            let b_span = b.span();
            let b = b.into_inner();
            let known = pools.iter().any(|p| p.id == b.pool && p.lines.iter().any(|l| l.id == b.line));
            if !known {
                self.d
                    .error(b_span, format!("KPI `{id}`: the budget names no line `{}` of a pool `{}`", b.line, b.pool));
            }
            known.then_some((b.pool, b.line))
        });
        let (Some(baseline_hours), Some(growth_percent), Some(new_hours_a_week)) =
            (baseline, growth_percent, new_hours_a_week)
        else {
            self.d.error(
                span,
                format!("KPI `{id}`: a home support measure needs baseline, growth_percent and new_hours_a_week"),
            );
            return None;
        };
        Some(Kpi {
            id,
            name: k.name,
            unit: "hours a week".into(),
            direction: Direction::Higher,
            frequency: Frequency::Week,
            baseline: Some(baseline_hours),
            target: None,
            partner,
            clause: k.clause,
            home_support: Some(HomeSupport { baseline_hours, growth_percent, new_hours_a_week, budget_line }),
        })
    }

    /// A figure of the file: an integer, or a string such as `"20,400"` or `"85.5"`.
    fn figure(&mut self, value: Option<&Spanned<toml::Value>>) -> Option<Decimal> {
        let value = value?;
        let parsed = match value.get_ref() {
            toml::Value::Integer(n) => Decimal::from_whole(*n).ok_or_else(|| format!("{n} is out of range")),
            toml::Value::String(s) => Decimal::parse(s),
            toml::Value::Float(_) => Err("write a figure with decimals as a string, like \"85.5\"".into()),
            _ => Err("expected a number, or a string such as \"20,400\"".into()),
        };
        parsed.map_err(|e| self.d.error(value.span(), e)).ok()
    }

    fn parsed<T>(&mut self, text: &Spanned<String>, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        parse(text.get_ref()).map_err(|e| self.d.error(text.span(), e)).ok()
    }
}
