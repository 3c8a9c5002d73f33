//! The human-readable form of each command's answer.

use pooled_app::Provisional;
use pooled_core::agreement::{Agreement, Board, BoardRule, Pool};
use pooled_core::bcf::conditions::{Condition, Judged};
use pooled_core::bcf::{BcfSpend, LedgerSpend};
use pooled_core::governance::{Meeting, MeetingCheck, filled_by_name};
use pooled_core::money::Money;
use pooled_core::payments::{
    DistrictInstalment, Instalment, TrackedInstalment, balances, pair_totals, why_no_instalments,
};
use pooled_core::risk_share::RiskShare;
use pooled_core::settlement::{Invoice, InvoicePartKind, PoolSettlement};
use pooled_core::termination::Notice;

use crate::table::Table;

fn partner_id(a: &Agreement, ix: usize) -> &str {
    &a.partners()[ix].id
}

/// Report amounts in pounds and pence, or in £'000 as the body of the 2016 report gives them.
#[derive(Clone, Copy)]
pub enum Units {
    Pounds,
    Thousands,
}

impl Units {
    fn format(self, m: Money) -> String {
        match self {
            Units::Pounds => m.to_report_string(),
            Units::Thousands => m.to_thousands_string(),
        }
    }

    fn header(self) -> &'static str {
        match self {
            Units::Pounds => "£",
            Units::Thousands => "£'000",
        }
    }

    /// `-` for nothing, as the source tables leave such cells blank.
    fn or_dash(self, m: Money) -> String {
        if m == Money::ZERO { "-".into() } else { self.format(m) }
    }
}

pub fn check_summary(a: &Agreement, warnings: usize) -> String {
    let lines: usize = a.pools().iter().map(|p| p.lines.len()).sum();
    format!(
        "{}: {} for {}: {} partners, {} pools, {} lines, total budget {}; {}\n",
        a.id(),
        a.name(),
        a.financial_year(),
        a.partners().len(),
        a.pools().len(),
        lines,
        a.total_budget(),
        match warnings {
            0 => "no problems found".to_string(),
            1 => "1 warning".to_string(),
            n => format!("{n} warnings"),
        }
    )
}

/// Each pool's table laid out as Schedule 3 of the 2016 agreement lays it out.
pub fn risk_share(a: &Agreement, tables: &[(&Pool, RiskShare)], units: Units) -> String {
    let mut out = String::new();
    for (pool, share) in tables {
        let partners: Vec<usize> = (0..a.partners().len()).collect();
        out.push_str(&format!(
            "{} ({}) risk share {}, {} ({})\n",
            pool.name,
            pool.id,
            a.financial_year(),
            share.basis.replace('-', " "),
            share.clause
        ));
        let headers: Vec<String> = std::iter::once(units.header().to_string())
            .chain(partners.iter().map(|p| format!(">{}", partner_id(a, *p))))
            .collect();
        let mut t = Table::new(&headers);
        let row = |label: String, cells: Vec<String>| std::iter::once(label).chain(cells).collect::<Vec<_>>();
        if share.basis == "fixed" {
            t.row(row("% risk share (agreed)".into(), share.shares.iter().map(|p| format!("{p}%")).collect()));
            out.push_str(&t.render());
            out.push('\n');
            continue;
        }
        t.row(row(
            format!("Contribution to {} pool", pool.id),
            share.partners.iter().map(|r| units.or_dash(r.contributions)).collect(),
        ));
        if share.partners.iter().any(|r| r.excluded != Money::ZERO) {
            let excluded: Vec<&str> = pool.lines.iter().filter(|l| !l.in_base).map(|l| l.name.as_str()).collect();
            t.row(row(
                format!("Exclude {}", excluded.join(", ")),
                share.partners.iter().map(|r| units.or_dash(r.excluded)).collect(),
            ));
        }
        if share.partners.iter().any(|r| r.income_added_back != Money::ZERO) {
            t.row(row(
                "Add back income".into(),
                share.partners.iter().map(|r| units.or_dash(r.income_added_back)).collect(),
            ));
        }
        t.row(row("Risk Shared Contributions".into(), share.partners.iter().map(|r| units.format(r.base)).collect()));
        t.row(row("% risk share".into(), share.shares.iter().map(|p| format!("{p}%")).collect()));
        out.push_str(&t.render());
        out.push('\n');
    }
    out
}

pub fn settlement(a: &Agreement, pools: &[PoolSettlement]) -> String {
    let mut out = String::new();
    for p in pools {
        let name = a.pool(&p.pool).map_or("", |pool| pool.name.as_str());
        out.push_str(&format!(
            "{name} ({}): budget {}, outturn {}, variance {}\n",
            p.pool,
            p.budget.to_report_string(),
            p.outturn.to_report_string(),
            p.variance.to_report_string()
        ));
        let mut t = Table::new(&["Partner", "Rule", "Line", "Clause", ">Amount £"]);
        for s in &p.partners {
            for part in &s.parts {
                t.row([
                    s.body.id.clone(),
                    part.rule.name().to_string(),
                    part.line.clone().unwrap_or_else(|| "(shared remainder)".into()),
                    part.clause.clone(),
                    part.amount.to_report_string(),
                ]);
            }
            t.row([s.body.id.clone(), "total".into(), String::new(), String::new(), s.total.to_report_string()]);
        }
        out.push_str(&t.render());
        out.push('\n');
    }
    out
}

fn instalment_cells(i: &Instalment) -> Vec<String> {
    let (month, due) = (i.month.to_string(), i.due.to_string());
    vec![i.pool.clone(), i.payer.id.clone(), i.payee.id.clone(), month, due, i.amount.to_report_string()]
}

const INSTALMENT_HEADERS: [&str; 6] = ["Pool", "From", "To", "Month", "Due", ">Amount £"];

/// The schedule of an agreement file, and why it is empty when it is.
pub fn schedule(a: &Agreement, schedule: &[Instalment]) -> String {
    let mut t = Table::new(&INSTALMENT_HEADERS);
    for i in schedule {
        t.row(instalment_cells(i));
    }
    t.render() + &no_instalments(a, schedule.is_empty())
}

/// A two-tier area's Disabled Facilities Grant paid on to its district councils; nothing
/// when the agreement has no districts.
pub fn districts(instalments: &[DistrictInstalment]) -> String {
    if instalments.is_empty() {
        return String::new();
    }
    let mut t = Table::new(&["District", "From", "Month", "Due", ">Amount £"]);
    for i in instalments {
        let (month, due) = (i.month.to_string(), i.due.to_string());
        t.row(vec![format!("{} {}", i.district, i.name), i.payer.id.clone(), month, due, i.amount.to_report_string()]);
    }
    format!("\nDisabled Facilities Grant paid on to the district councils:\n{}", t.render())
}

/// Why the agreement has no instalments, as a line, when `none` are scheduled.
fn no_instalments(a: &Agreement, none: bool) -> String {
    why_no_instalments(a).filter(|_| none).map_or(String::new(), |why| format!("{why}\n"))
}

/// The schedule with what is recorded against each instalment, then the totals between
/// each paying partner and partner paid, and the balance between each pair.
pub fn payments(a: &Agreement, tracked: &[TrackedInstalment]) -> String {
    let mut t =
        Table::new(&[&INSTALMENT_HEADERS[..], &["Raised", ">Invoiced £", ">Paid £", ">Outstanding £"]].concat());
    for TrackedInstalment { instalment, account } in tracked {
        let mut row = instalment_cells(instalment);
        row.push(account.raised_on().map_or("-".to_string(), |d| d.to_string()));
        row.extend([account.invoiced(), account.paid(), account.outstanding()].map(Money::to_report_string));
        t.row(row);
    }
    let mut out = t.render();
    out.push_str(&no_instalments(a, tracked.is_empty()));
    let totals = pair_totals(tracked);
    // A pair's totals and balance span the year, so a succeeded partner is named with its
    // successor, as the web names it.
    let listed = |ix: usize| a.partners()[ix].listed();
    let mut t = Table::new(&["From", "To", ">Scheduled £", ">Invoiced £", ">Paid £", ">Outstanding £"]);
    for p in &totals {
        let mut row = vec![listed(p.from), listed(p.to)];
        row.extend([p.scheduled, p.invoiced, p.paid, p.outstanding].map(Money::to_report_string));
        t.row(row);
    }
    out.push_str("\nBetween partners:\n");
    out.push_str(&t.render());
    for b in balances(&totals) {
        out.push_str(&match b.amount {
            Money::ZERO => format!("{} and {} are square\n", listed(b.owing), listed(b.owed)),
            owed => format!("{} owes {} {owed} invoiced and unpaid\n", listed(b.owing), listed(b.owed)),
        });
    }
    out
}

/// Why a settlement on the ledger is not yet final.
pub fn provisional(p: &Provisional) -> String {
    let held = match (p.first, p.last) {
        (Some(first), Some(last)) => format!(
            "the ledger holds {first} to {last} ({} of 12 months imported, {} closed)",
            p.months_imported, p.months_closed
        ),
        _ => format!("no ledger is imported, so every line's outturn is nil ({} of 12 months closed)", p.months_closed),
    };
    format!("Provisional: {held}. The settlement is final once all twelve months are imported and closed.")
}

/// The year-end invoices, one a line, each with the parts it nets off.
pub fn invoices(a: &Agreement, invoices: &[Invoice]) -> String {
    let mut out = String::from("Invoices to settle each pool, net of instalments invoiced and unpaid:\n");
    if invoices.is_empty() {
        out.push_str("  none\n");
    }
    let body = |p| a.body_at_year_end(p).id;
    for i in invoices {
        out.push_str(&format!("  {}: {} pays {} {}\n", i.pool, i.payer_body.id, i.payee_body.id, i.amount));
        if let [only] = &i.parts[..]
            && only.kind == InvoicePartKind::Settlement
        {
            continue;
        }
        for p in &i.parts {
            out.push_str(&format!("    {}: {} owes {} {}\n", p.kind.words(), body(p.payer), body(p.payee), p.amount));
        }
    }
    out
}

pub fn meeting(a: &Agreement, board: &Board, m: &Meeting, c: &MeetingCheck) -> String {
    let mut out = format!("{} meeting of {}\n", board.name, m.date);
    let seats: Vec<String> = a
        .partners()
        .iter()
        .zip(&c.seats_filled)
        .map(|(p, n)| format!("{} {n} of {}", p.id, board.quorum_per_partner))
        .collect();
    out.push_str(&format!(
        "Quorate: {} ({}; {})\n\n",
        if c.quorate { "yes" } else { "NO" },
        seats.join(", "),
        board.cite(BoardRule::Quorum)
    ));
    let mut t = Table::new(&["Seat", "Partner", "Filled by", "How"]);
    for s in &c.seats {
        let (by, how) = match &s.filled {
            Some((by, how)) => (by.clone(), filled_by_name(*how).to_string()),
            None => ("-".into(), "unfilled".into()),
        };
        t.row([s.member.clone(), partner_id(a, s.partner).to_string(), by, how]);
    }
    out.push_str(&t.render());
    if !c.not_counted.is_empty() {
        out.push_str("\nNot counted towards the quorum:\n");
        for n in &c.not_counted {
            out.push_str(&format!("  {}: {}\n", n.person, n.reason));
        }
    }
    let on_time = |v: Option<bool>| match v {
        Some(true) => "on time",
        Some(false) => "LATE",
        None => "not yet",
    };
    out.push_str(&format!(
        "\nAgenda and papers: due by {}, published {} ({}; {})\n",
        c.agenda.due,
        c.agenda.done.map_or("-".into(), |d| d.to_string()),
        on_time(c.agenda.on_time),
        board.cite(BoardRule::Papers)
    ));
    out.push_str(&format!(
        "Minutes: due by {}, circulated {} ({}; {})\n",
        c.minutes.due,
        c.minutes.done.map_or("-".into(), |d| d.to_string()),
        on_time(c.minutes.on_time),
        board.cite(BoardRule::Minutes)
    ));
    if !c.decisions.is_empty() {
        out.push('\n');
        let mut t = Table::new(&["Decision", "Subject", "Outcome", "Lead", "Clause"]);
        for (d, outcome) in m.decisions.iter().zip(&c.decisions) {
            t.row([
                d.id.clone(),
                d.subject.clone(),
                outcome.outcome.name().to_string(),
                outcome.lead.map_or("-".to_string(), |l| partner_id(a, l).to_string()),
                outcome.clause.clone(),
            ]);
        }
        out.push_str(&t.render());
    }
    out
}

pub fn notice(n: &Notice) -> String {
    format!("Notice given {} takes effect {} ({} months' notice)\n", n.given, n.effective, n.months)
}

/// `pooled variations`: each version, the day it takes effect, who approved it and what
/// it changed, one change a line.
pub fn variations(key: &pooled_store::AgreementYear, records: &[pooled_app::VersionRecord]) -> String {
    let mut out = format!("Agreement {key}: {} versions\n", records.len());
    for r in records {
        let stored = &r.version.stored;
        let effective = match (stored.approval.effective, stored.version) {
            (Some(day), _) => format!("takes effect on {day}"),
            (None, 1) => "the first version, from the start of the year".to_string(),
            (None, _) => "restates the year from its start".to_string(),
        };
        let approved = stored
            .approval
            .approved_by
            .as_deref()
            .map_or("approval not recorded".into(), |a| format!("approved by {a}"));
        out.push_str(&format!(
            "\nVersion {}, loaded {} by {}: {effective}; {approved}\n",
            stored.version, stored.loaded_at, stored.loaded_by
        ));
        let changes = r.diff.as_ref().map_or_else(Vec::new, pooled_core::variation::Diff::words);
        if r.diff.is_some() && changes.is_empty() {
            out.push_str("  (only comments or layout changed)\n");
        }
        for change in changes {
            out.push_str(&format!("  {change}\n"));
        }
    }
    out
}

/// The metrics and KPIs: each series' latest period with an actual, then the home support
/// measures' quarters.
pub fn metrics(m: &pooled_app::json::Metrics) -> String {
    if m.series.is_empty() {
        return format!("{} {} defines no metrics or KPIs (its [performance] table)\n", m.agreement, m.year.0);
    }
    let mut t = Table::new(&["Metric", "Measured", "Better", "Period", ">Plan", ">Actual", "Status"]);
    for s in &m.series {
        let (period, plan, actual, status) = match &s.latest {
            Some(l) => (l.period.as_str(), l.plan.as_deref(), l.actual.as_deref(), l.status.as_str()),
            None => ("-", None, None, "no actual entered"),
        };
        t.row([
            s.id.as_str(),
            s.period.as_str(),
            s.direction.as_str(),
            period,
            plan.unwrap_or("-"),
            actual.unwrap_or("-"),
            status,
        ]);
    }
    let mut out = t.render();
    for h in &m.home_support {
        out.push_str(&format!(
            "\n{}: baseline {} hours a week, growth aimed at {} hours, {} new hours a week\n",
            h.kpi, h.baseline_hours, h.growth_hours_aimed_at, h.new_hours_a_week
        ));
        let mut q = Table::new(&[
            "Quarter",
            ">Weeks",
            ">Avg new hours",
            "Status",
            "Latest",
            ">Growth",
            ">Progress %",
            ">Due %",
            "Status",
        ]);
        for r in &h.quarters {
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            q.row([
                r.quarter.clone(),
                r.weeks_reported.to_string(),
                shown(&r.average_new_hours),
                r.new_hours_status.clone(),
                shown(&r.latest_week),
                shown(&r.growth_hours),
                shown(&r.progress_percent),
                r.progress_due_percent.clone(),
                r.progress_status.clone(),
            ]);
        }
        out.push_str(&q.render());
    }
    out
}

/// Figures of a stream, scheme or type as table columns: the plan's budget, or with the
/// ledger also the actual to date and the forecast.
pub trait SpendColumns: Copy + Default + PartialEq {
    const HEADERS: &'static [&'static str];
    fn planned(self) -> Money;
    fn cells(self) -> Vec<String>;
}

impl SpendColumns for Money {
    const HEADERS: &'static [&'static str] = &[">Planned £"];
    fn planned(self) -> Money {
        self
    }
    fn cells(self) -> Vec<String> {
        vec![self.to_report_string()]
    }
}

impl SpendColumns for LedgerSpend {
    const HEADERS: &'static [&'static str] = &[">Planned £", ">Actual to date £", ">Forecast £"];
    fn planned(self) -> Money {
        self.planned
    }
    fn cells(self) -> Vec<String> {
        [self.planned, self.actual_to_date, self.forecast].map(Money::to_report_string).to_vec()
    }
}

/// `pooled bcf`: each stream with its allocation and what its lines take, then the
/// schemes by type, each total with what is outside the streams or the schemes.
pub fn bcf<T: SpendColumns + Judged>(a: &Agreement, spend: &BcfSpend<T>, conditions: &[Condition<T>]) -> String {
    let mut out = String::from("Funding streams\n");
    let headers =
        [&["Stream", "Kind", "From", ">Allocation £"][..], T::HEADERS, &[">Allocation less planned £"]].concat();
    let mut t = Table::new(&headers);
    for s in &spend.streams {
        let stream = &a.streams()[s.stream];
        let mut row = vec![
            format!("{} {}", stream.id, stream.name),
            stream.kind.words().to_string(),
            a.partners()[stream.from].id.clone(),
            stream.allocation.to_report_string(),
        ];
        row.extend(s.spend.cells());
        row.push((stream.allocation - s.spend.planned()).to_report_string());
        t.row(row);
    }
    let total_row = |t: &mut Table, label: &str, figures: T, padding: usize| {
        let mut row = vec![label.to_string()];
        row.extend(std::iter::repeat_n(String::new(), padding));
        row.extend(figures.cells());
        t.row(row);
    };
    if spend.streams.is_empty() || spend.without_stream != T::default() {
        total_row(&mut t, "(lines no stream funds)", spend.without_stream, 3);
    }
    total_row(&mut t, "Total", spend.total, 3);
    out.push_str(&t.render());

    out.push_str(&match a.bcf().scheme_types {
        Some(year) => format!("\nSchemes by type ({} planning template)\n", year.key()),
        None => "\nSchemes by type\n".to_string(),
    });
    let headers = [&["Type / scheme", ">Schemes"][..], T::HEADERS].concat();
    let mut t = Table::new(&headers);
    for of_type in &spend.types {
        let mut row = vec![of_type.scheme_type.clone(), of_type.schemes.to_string()];
        row.extend(of_type.spend.cells());
        t.row(row);
        for s in spend.schemes.iter().filter(|s| scheme_type(a, s.pool, s.line) == Some(&of_type.scheme_type)) {
            let line = &a.pools()[s.pool].lines[s.line];
            let id = line.scheme.as_ref().map_or("", |scheme| scheme.id.as_str());
            let mut row = vec![format!("  {id} {}", line.name), String::new()];
            row.extend(s.spend.cells());
            t.row(row);
        }
    }
    total_row(&mut t, "(lines that are not schemes)", spend.without_scheme, 1);
    total_row(&mut t, "Total", spend.total, 1);
    out.push_str(&t.render());
    out.push_str(&bcf_conditions(conditions));
    out
}

/// The fund's conditions, each with what it requires, its figures and whether it is met,
/// then each breach in a sentence naming its source, then the sources.
fn bcf_conditions<T: SpendColumns + Judged>(conditions: &[Condition<T>]) -> String {
    let mut out = String::from("\nConditions\n");
    let headers = [&["Condition", ">Required £"][..], T::HEADERS, &["Status"]].concat();
    let mut t = Table::new(&headers);
    for c in conditions {
        let mut row = vec![c.what.clone(), c.required_words().replace('£', "")];
        row.extend(c.figures.cells());
        row.push(if c.met() { "met".to_string() } else { "BREACHED".to_string() });
        t.row(row);
    }
    out.push_str(&t.render());
    for c in conditions {
        for breach in c.breach_words() {
            out.push_str(&format!("{breach}\n"));
        }
    }
    out.push_str("Sources:\n");
    for c in conditions {
        out.push_str(&format!("  {}: {}\n", c.what, c.source));
    }
    out
}

fn scheme_type(a: &Agreement, pool: usize, line: usize) -> Option<&String> {
    a.pools()[pool].lines[line].scheme.as_ref().map(|s| &s.scheme_type)
}
