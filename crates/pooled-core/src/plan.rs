//! The budget plan of a financial year: each partner's cost centres mapped to
//! pool lines, the annual budget the board allocates to each, and its monthly profile.
//!
//! Read from records (CSV or XLSX rows, streamed in by the caller) with the columns
//! `code, name, partner, pool, line, budget` and optionally `M1` to `M12` (a profile that
//! must sum to the budget; flat when absent).

use std::collections::HashMap;

use crate::agreement::{Agreement, PartnerIx};
use crate::calendar::FiscalMonth;
use crate::diagnostic::quote;
use crate::ledger::{BadRows, RowError, listed, parse_ledger_amount};
use crate::money::{Money, Tally};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostCentre {
    pub code: String,
    pub name: String,
    pub partner: PartnerIx,
    /// Indices into the agreement's pools and that pool's lines.
    pub pool: usize,
    pub line: usize,
    pub budget: Money,
    /// Budget by month, M1 to M12; sums exactly to `budget`.
    pub profile: [Money; 12],
}

/// A year's cost centres, valid against one agreement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    cost_centres: Vec<CostCentre>,
}

const COLUMNS: [&str; 6] = ["code", "name", "partner", "pool", "line", "budget"];

impl Plan {
    pub fn cost_centres(&self) -> &[CostCentre] {
        &self.cost_centres
    }

    pub fn cost_centre(&self, code: &str) -> Option<&CostCentre> {
        self.cost_centres.iter().find(|c| c.code == code)
    }

    /// Builds a plan from already-validated cost centres (as a store gives them back).
    pub fn from_cost_centres(cost_centres: Vec<CostCentre>) -> Plan {
        Plan { cost_centres }
    }

    /// Reads a plan: `header`, then numbered records (the header is row 1), or the rows
    /// the file reader could not read. On success, the plan and its warnings: lines whose
    /// cost centre budgets do not sum to the line's budget in the agreement. Otherwise
    /// the bad rows (the first ones, and how many more), in file order. The amounts of the
    /// plan may add up to at most [`crate::money::MAX_TOTAL_PENCE`].
    pub fn read(
        agreement: &Agreement,
        header: &[&str],
        records: impl IntoIterator<Item = Result<(u64, Vec<String>), RowError>>,
    ) -> Result<(Plan, Vec<String>), BadRows> {
        let find = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| find(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(RowError::new(
                1,
                1,
                missing[0],
                format!(
                    "the header lacks {}; a plan needs the columns {} (and optionally M1 to M12)",
                    listed(missing.iter().map(|m| quote(m))),
                    COLUMNS.join(", ")
                ),
            )
            .into());
        }
        let at = |name: &str| find(name).expect("checked above");
        let months: Vec<Option<usize>> = (1..=12).map(|m| find(&format!("M{m}"))).collect();
        let profiled = months.iter().any(Option::is_some);
        if profiled && months.iter().any(Option::is_none) {
            let m = months.iter().position(Option::is_none).unwrap_or(0) + 1;
            return Err(RowError::new(
                1,
                1,
                &format!("M{m}"),
                format!("a profile needs all of M1 to M12; M{m} is missing"),
            )
            .into());
        }
        let mut errors = BadRows::default();
        let mut plan = Plan::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut tally = Tally::default();
        for record in records {
            let (row, fields) = match record {
                Ok(record) => record,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let error = |column: usize, message: String| {
                RowError::new(row, column + 1, header.get(column).copied().unwrap_or(""), message)
            };
            match read_row(agreement, &fields, &at, &months, profiled, &error) {
                Ok(cc) => {
                    if let Some(first) = seen.insert(cc.code.clone(), row) {
                        errors.push(error(
                            at("code"),
                            format!("cost centre {} is listed twice (first on row {first})", quote(&cc.code)),
                        ));
                    }
                    // The profile's months count every pence of the budget, and more if
                    // they offset each other.
                    if let Some(Err(e)) = cc.profile.iter().map(|m| tally.add(*m)).find(Result::is_err) {
                        errors.push(error(at("budget"), e));
                    }
                    if errors.is_empty() {
                        plan.cost_centres.push(cc);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let warnings = plan.budget_mismatches(agreement);
        Ok((plan, warnings))
    }

    /// This plan taking over from the one before in `from`, the month a variation takes
    /// effect: each cost centre keeps its monthly budgets before `from` as `previous` (its
    /// profile in the plan before, by code) had them (nothing, for a cost centre it did
    /// not have), and the rest of its budget is spread
    /// over the months from `from` in proportion to its own profile for them (equally when
    /// those months are not all zero or more with some above zero). So each profile still
    /// sums to its budget, and the budget to date of a month before the variation is what
    /// it was.
    pub fn taking_over(mut self, previous: &dyn Fn(&str) -> Option<[Money; 12]>, from: FiscalMonth) -> Plan {
        let first = from.number() as usize - 1;
        for cc in &mut self.cost_centres {
            let mut profile = [Money::ZERO; 12];
            if let Some(old) = previous(&cc.code) {
                profile[..first].copy_from_slice(&old[..first]);
            }
            let rest = cc.budget - profile[..first].iter().sum();
            let weights: Option<Vec<u64>> = cc.profile[first..].iter().map(|m| u64::try_from(m.pence()).ok()).collect();
            match weights.and_then(|w| rest.split_by_weights(&w)) {
                Some(months) => profile[first..].copy_from_slice(&months),
                None => profile[first..].copy_from_slice(&rest.over_last_months(12 - first)[first..]),
            }
            cc.profile = profile;
        }
        self
    }

    /// Lines whose cost centres' budgets do not sum to the line's budget.
    pub fn budget_mismatches(&self, agreement: &Agreement) -> Vec<String> {
        let mut out = Vec::new();
        for (p, pool) in agreement.pools().iter().enumerate() {
            for (l, line) in pool.lines.iter().enumerate() {
                let allocated: Money =
                    self.cost_centres.iter().filter(|c| c.pool == p && c.line == l).map(|c| c.budget).sum();
                if allocated != line.budget() {
                    out.push(format!(
                        "line `{}` of pool `{}`: its cost centres' budgets sum to {allocated}, its budget is {}, a difference of {}",
                        line.id,
                        pool.id,
                        line.budget(),
                        allocated - line.budget()
                    ));
                }
            }
        }
        out
    }
}

fn read_row(
    agreement: &Agreement,
    fields: &[String],
    at: &dyn Fn(&str) -> usize,
    months: &[Option<usize>],
    profiled: bool,
    error: &dyn Fn(usize, String) -> RowError,
) -> Result<CostCentre, RowError> {
    let field = |column: usize| fields.get(column).map_or("", |f| f.trim());
    let code = field(at("code"));
    if code.is_empty() {
        return Err(error(at("code"), "no cost centre code".into()));
    }
    // The plan is the year's: a partner may be named by the body holding its place at
    // the year's end (a successor during the year) as well as by its own id.
    let partner = agreement
        .partner_on(field(at("partner")), agreement.financial_year().last_day())
        .map_err(|e| error(at("partner"), e))?;
    let pool_id = field(at("pool"));
    let pool = agreement.pools().iter().position(|p| p.id == pool_id).ok_or_else(|| {
        let known: Vec<&str> = agreement.pools().iter().map(|p| p.id.as_str()).collect();
        error(at("pool"), format!("unknown pool `{pool_id}` (pools are {})", known.join(", ")))
    })?;
    let line_id = field(at("line"));
    let line = agreement.pools()[pool]
        .line_ix(line_id)
        .ok_or_else(|| error(at("line"), format!("unknown line `{line_id}` in pool `{pool_id}`")))?;
    let budget = parse_ledger_amount(field(at("budget"))).map_err(|m| error(at("budget"), m))?;
    let profile = if profiled {
        let mut profile = [Money::ZERO; 12];
        for (m, column) in months.iter().enumerate() {
            let column = column.expect("all twelve are present");
            profile[m] = parse_ledger_amount(field(column)).map_err(|e| error(column, e))?;
        }
        let sum: Money = profile.iter().sum();
        if sum != budget {
            return Err(error(
                at("budget"),
                format!(
                    "the profile M1 to M12 sums to {sum}, not the budget {budget}, a difference of {}",
                    sum - budget
                ),
            ));
        }
        profile
    } else {
        budget.monthly()
    };
    Ok(CostCentre { code: code.to_string(), name: field(at("name")).to_string(), partner, pool, line, budget, profile })
}

#[cfg(test)]
mod tests;
