//! The agreement file, format 1: its raw TOML shape (unknown keys refused by serde) and the
//! validation that turns it into an [`Agreement`], collecting every problem with its span.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::{Range, RangeInclusive};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::*;
use crate::diagnostic::{Diagnostics, line_col};
use crate::file_format::{Amount, FileDate, Spanned, from_toml, non_negative, out_of_range};
use crate::money::Tally;
use crate::percent::{self, MAX_DECIMALS};

mod performance;

type Id = Spanned<String>;
type ByPartner<T> = BTreeMap<Id, Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Spanned<i64>,
    agreement: Spanned<RawAgreement>,
    #[serde(default)]
    partner: Vec<Spanned<RawPartner>>,
    #[serde(default)]
    pool: Vec<Spanned<RawPool>>,
    payments: Option<Spanned<RawPayments>>,
    termination: Option<Spanned<RawTermination>>,
    board: Option<Spanned<RawBoard>>,
    reporting: Option<Spanned<RawReporting>>,
    performance: Option<Spanned<performance::RawPerformance>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReporting {
    line_threshold: Option<Spanned<RawLineThreshold>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLineThreshold {
    amount: Option<Spanned<Amount>>,
    percent: Option<Spanned<String>>,
    clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    id: String,
    name: String,
    financial_year: Spanned<String>,
    start: Spanned<FileDate>,
    end: Option<Spanned<FileDate>>,
    declared_total: Option<Spanned<Amount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    id: Id,
    name: String,
    kind: RawPartnerKind,
    succeeded_by: Option<Spanned<RawSuccessor>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum RawPartnerKind {
    LocalAuthority,
    NhsCommissioner,
    Other,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuccessor {
    id: Id,
    name: String,
    from: Spanned<FileDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    id: Id,
    name: String,
    host: Id,
    kind: RawPoolKind,
    risk_share: Option<Spanned<RawRiskShare>>,
    #[serde(default)]
    income: ByPartner<Amount>,
    declared_total: Option<Spanned<Amount>>,
    #[serde(default)]
    line: Vec<Spanned<RawLine>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    saving: Vec<Spanned<RawSaving>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum RawPoolKind {
    Pooled,
    Aligned,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRiskShare {
    basis: RawBasis,
    decimals: Option<Spanned<u8>>,
    shares: Option<ByPartner<String>>,
    clause: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum RawBasis {
    GrossContributions,
    Fixed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    id: Id,
    name: String,
    segment: Option<String>,
    lead: Option<Id>,
    held_by: Option<Id>,
    contributions: Option<Spanned<ByPartner<Amount>>>,
    budget: Option<Spanned<Amount>>,
    risk: Option<Spanned<RawRisk>>,
    in_base: Option<bool>,
    clause: Option<String>,
}

/// `risk = "shared"`, `risk = "lead"` or `risk = { borne_by = "OCCG" }`.
enum RawRisk {
    Shared,
    Lead,
    BorneBy(Id),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Id,
    kind: RawRuleKind,
    line: Id,
    to: Id,
    cap: Spanned<Amount>,
    clause: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum RawRuleKind {
    UnderspendClawback,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSaving {
    id: Id,
    by: Id,
    line: Id,
    amount: Spanned<Amount>,
    strategy_agreed: bool,
    clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayments {
    frequency: RawFrequency,
    #[serde(default)]
    in_advance_months: ByPartner<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawFrequency {
    Monthly,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTermination {
    notice_months: Spanned<u32>,
    no_contribution_agreement_months: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    name: String,
    quorum_per_partner: Spanned<u32>,
    decisions: RawDecisions,
    agenda_working_days: Spanned<u32>,
    minutes_within_days: Spanned<u32>,
    calendar: Spanned<String>,
    #[serde(default)]
    member: Vec<Spanned<RawMember>>,
    #[serde(default)]
    clauses: BTreeMap<Id, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawDecisions {
    Unanimous,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    id: Id,
    role: String,
    name: Option<String>,
    partner: Id,
    voting: bool,
    #[serde(default)]
    chair: bool,
    deputy: Option<String>,
}

pub(super) fn parse(text: &str) -> Result<(Agreement, Vec<Diagnostic>), Vec<Diagnostic>> {
    let raw: RawFile = from_toml(text).map_err(|d| vec![d])?;
    let mut v = Validator {
        text,
        d: Diagnostics::default(),
        partner_ids: Vec::new(),
        successor_ids: Vec::new(),
        rule_ids: HashMap::new(),
        saving_ids: HashMap::new(),
        tally: Tally::default(),
    };
    let agreement = v.agreement(raw);
    v.d.finish(agreement)
}

struct Validator<'t> {
    text: &'t str,
    d: Diagnostics,
    partner_ids: Vec<String>,
    /// Each successor's id, with the partner it succeeds.
    successor_ids: Vec<(String, PartnerIx)>,
    // Outturn files name rules and savings without their pool, so ids are agreement-wide.
    rule_ids: HashMap<String, Range<usize>>,
    saving_ids: HashMap<String, Range<usize>>,
    /// Every amount of the file, so that their sums cannot overflow.
    tally: Tally,
}

impl Validator<'_> {
    fn agreement(&mut self, raw: RawFile) -> Agreement {
        if *raw.format.get_ref() != 1 {
            self.d.error(
                raw.format.span(),
                format!("unsupported format {}: this version of pooled reads format 1", raw.format.get_ref()),
            );
        }
        let agreement_span = raw.agreement.span();
        let a = raw.agreement.into_inner();
        let start = a.start.get_ref().0;
        let parsed_year = FinancialYear::parse(a.financial_year.get_ref());
        if let Err(e) = &parsed_year {
            self.d.error(a.financial_year.span(), e.clone());
        }
        let financial_year = parsed_year.unwrap_or_else(|_| FinancialYear::containing(start));
        let end = a.end.as_ref().map(|e| e.get_ref().0);
        if let (Some(end), Some(end_span)) = (end, a.end.as_ref().map(Spanned::span))
            && end < start
        {
            self.d.error(end_span, format!("the agreement ends ({end}) before it starts ({start})"));
        }
        if financial_year.last_day() < start || end.is_some_and(|e| financial_year.first_day() > e) {
            self.d.warning(
                a.financial_year.span(),
                format!("financial year {financial_year} falls outside the agreement's term"),
            );
        }

        let partners = self.partners(raw.partner, agreement_span.clone(), start, end);
        let pools = self.pools(raw.pool);
        let mut agreement = Agreement {
            id: a.id,
            name: a.name,
            financial_year,
            start,
            end,
            declared_total: None,
            partners,
            pools,
            payments: raw.payments.map(|p| self.payments(p.into_inner())),
            termination: raw.termination.map(|t| self.termination(t.into_inner())),
            board: raw.board.map(|b| self.board(b.into_inner())),
            reporting: raw.reporting.map(|r| self.reporting(r.into_inner())).unwrap_or_default(),
            performance: Performance::default(),
        };
        if let Some(p) = raw.performance {
            agreement.performance = self.performance(p.into_inner(), &agreement.pools);
        }
        if let Some(declared) = a.declared_total {
            agreement.declared_total = self.declared(&declared);
            self.check_declared(&declared, agreement.total_budget(), "the agreement's pools");
        }
        agreement
    }

    fn partners(
        &mut self,
        raw: Vec<Spanned<RawPartner>>,
        agreement_span: Range<usize>,
        start: Date,
        end: Option<Date>,
    ) -> Vec<Partner> {
        let mut seen = HashMap::new();
        let mut partners = Vec::new();
        let mut successors = Vec::new();
        for p in raw {
            let p = p.into_inner();
            if self.unique(&mut seen, &p.id, "partner") {
                self.partner_ids.push(p.id.get_ref().clone());
            }
            let succeeded_by = p.succeeded_by.map(|s| {
                let s = s.into_inner();
                self.succession(&p.id, &s, start, end);
                successors.push((s.id.clone(), partners.len()));
                Successor { id: s.id.into_inner(), name: s.name, from: s.from.get_ref().0 }
            });
            partners.push(Partner {
                id: p.id.into_inner(),
                name: p.name,
                kind: match p.kind {
                    RawPartnerKind::LocalAuthority => PartnerKind::LocalAuthority,
                    RawPartnerKind::NhsCommissioner => PartnerKind::NhsCommissioner,
                    RawPartnerKind::Other => PartnerKind::Other,
                },
                succeeded_by,
            });
        }
        // A successor's id names the partner it succeeds in files from its date on, so it
        // must name no other partner and no other successor.
        let mut successor_seen: HashMap<String, Range<usize>> = HashMap::new();
        for (id, ix) in successors {
            if let Some(other) = self.partner_ids.iter().position(|p| p == id.get_ref()) {
                self.d.error(
                    id.span(),
                    format!(
                        "the successor `{}` of {} has the id of partner {}: a successor needs an id of its own",
                        id.get_ref(),
                        self.partner_ids.get(ix).map_or("?", String::as_str),
                        self.partner_ids[other]
                    ),
                );
            } else if self.unique(&mut successor_seen, &id, "successor") {
                self.successor_ids.push((id.into_inner(), ix));
            }
        }
        if partners.len() < 2 {
            self.d.error(agreement_span, "an agreement needs at least two partners ([[partner]] tables)");
        }
        partners
    }

    /// A successor takes a partner's place during the agreement: after its start, and
    /// before its end when it has one.
    fn succession(&mut self, partner: &Id, s: &RawSuccessor, start: Date, end: Option<Date>) {
        let from = s.from.get_ref().0;
        let partner = partner.get_ref();
        if from <= start {
            self.d.error(
                s.from.span(),
                format!(
                    "{} is succeeded by {} from {from}, which is not after the agreement's start ({start}): from its start, make the successor the partner",
                    partner,
                    s.id.get_ref()
                ),
            );
        } else if let Some(end) = end.filter(|e| from >= *e) {
            self.d.error(
                s.from.span(),
                format!(
                    "{} is succeeded by {} from {from}, which is not before the agreement's end ({end})",
                    partner,
                    s.id.get_ref()
                ),
            );
        }
    }

    fn pools(&mut self, raw: Vec<Spanned<RawPool>>) -> Vec<Pool> {
        let mut seen = HashMap::new();
        let mut pools = Vec::new();
        for p in raw {
            let span = p.span();
            let p = p.into_inner();
            self.unique(&mut seen, &p.id, "pool");
            pools.push(self.pool(p, span));
        }
        pools
    }

    fn pool(&mut self, p: RawPool, span: Range<usize>) -> Pool {
        let host = self.partner(&p.host).unwrap_or(0);
        let kind = match p.kind {
            RawPoolKind::Pooled => PoolKind::Pooled,
            RawPoolKind::Aligned => PoolKind::Aligned,
        };
        let income = self.by_partner(&p.income, |v, amount| v.amount(amount, "income"));
        let mut seen = HashMap::new();
        let mut lines = Vec::new();
        for l in p.line {
            let l = l.into_inner();
            self.unique(&mut seen, &l.id, "line");
            lines.push(self.line(l, kind, host));
        }
        if lines.is_empty() {
            self.d.error(span.clone(), format!("pool `{}` has no lines ([[pool.line]] tables)", p.id.get_ref()));
        }
        let mut pool = Pool {
            id: p.id.get_ref().clone(),
            name: p.name,
            host,
            kind,
            risk_share: None,
            income,
            declared_total: None,
            risk_share_clause: p.risk_share.as_ref().and_then(|r| r.get_ref().clause.clone()),
            lines,
            rules: Vec::new(),
            savings: Vec::new(),
        };
        pool.risk_share = self.risk_share(&pool, p.risk_share, span);
        pool.rules = p.rule.into_iter().map(|r| self.rule(&pool, r.into_inner())).collect();
        pool.savings = p.saving.into_iter().map(|s| self.saving(&pool, s.into_inner())).collect();
        if let Some(declared) = p.declared_total {
            pool.declared_total = self.declared(&declared);
            self.check_declared(&declared, pool.total_budget(), &format!("the lines of pool `{}`", pool.id));
        }
        pool
    }

    fn line(&mut self, l: RawLine, pool_kind: PoolKind, host: PartnerIx) -> Line {
        let id = l.id.get_ref().clone();
        let funding = match (&l.contributions, &l.budget) {
            (Some(c), None) => {
                Funding::Contributions(self.by_partner(c.get_ref(), |v, a| v.amount(a, "a contribution")))
            }
            (None, Some(b)) => Funding::Budget(self.amount(b, "a budget").unwrap_or_default()),
            (Some(c), Some(_)) => {
                self.d.error(c.span(), format!("line `{id}` gives both `contributions` and `budget`: give one"));
                Funding::Contributions(vec![Money::ZERO; self.partner_ids.len()])
            }
            (None, None) => {
                self.d.error(l.id.span(), format!("line `{id}` needs `contributions` or a `budget`"));
                Funding::Budget(Money::ZERO)
            }
        };
        let lead = l.lead.as_ref().and_then(|lead| self.partner(lead));
        let risk = match (l.risk.as_ref().map(|r| (r.get_ref(), r.span())), pool_kind) {
            (None, PoolKind::Pooled) | (Some((RawRisk::Shared, _)), PoolKind::Pooled) => Risk::Shared,
            (Some((RawRisk::Shared, span)), PoolKind::Aligned) => {
                self.d.error(
                    span,
                    format!("line `{id}` is in an aligned pool, which shares no risk: use \"lead\" or borne_by"),
                );
                Risk::Lead
            }
            (None, PoolKind::Aligned) | (Some((RawRisk::Lead, _)), _) => Risk::Lead,
            (Some((RawRisk::BorneBy(partner), _)), _) => Risk::BorneBy(self.partner(partner).unwrap_or(0)),
        };
        if risk == Risk::Lead && l.lead.is_none() {
            self.d.error(
                l.id.span(),
                format!("line `{id}` leaves its variance to the lead commissioner, but names no `lead`"),
            );
        }
        // A line left to a lead that names none is an error above; not twice.
        let held_by = match (lead, risk) {
            (None, Risk::Lead) => host,
            _ => self.held_by(&l, &id, &funding, lead, pool_kind, host),
        };
        Line {
            id,
            name: l.name,
            segment: l.segment,
            lead,
            held_by,
            funding,
            risk,
            in_base: l.in_base.unwrap_or(risk == Risk::Shared),
            clause: l.clause,
        }
    }

    /// Who holds and spends a line's money: `held_by`, or by default the host of a pooled
    /// pool, and in an aligned pool the line's lead, or its only contributor. An aligned
    /// line with several contributors and no lead must say.
    fn held_by(
        &mut self,
        l: &RawLine,
        id: &str,
        funding: &Funding,
        lead: Option<PartnerIx>,
        pool_kind: PoolKind,
        host: PartnerIx,
    ) -> PartnerIx {
        if let Some(held_by) = &l.held_by {
            return self.partner(held_by).unwrap_or(host);
        }
        if pool_kind == PoolKind::Pooled {
            return host;
        }
        if let Some(lead) = lead {
            return lead;
        }
        let Funding::Contributions(by_partner) = funding else { return host };
        let contributors: Vec<PartnerIx> =
            by_partner.iter().enumerate().filter(|(_, c)| **c != Money::ZERO).map(|(p, _)| p).collect();
        match contributors[..] {
            [only] => only,
            [] => host,
            _ => {
                self.d.error(
                    l.id.span(),
                    format!(
                        "line `{id}` is in an aligned pool, has several contributors and no `lead`: say which partner holds its money with `held_by`"
                    ),
                );
                host
            }
        }
    }

    fn risk_share(
        &mut self,
        pool: &Pool,
        raw: Option<Spanned<RawRiskShare>>,
        pool_span: Range<usize>,
    ) -> Option<RiskShareBasis> {
        let span = raw.as_ref().map_or(pool_span, Spanned::span);
        if pool.kind == PoolKind::Aligned {
            if raw.is_some() {
                self.d.error(span, format!("pool `{}` is aligned, so it has no risk share", pool.id));
            }
            return None;
        }
        let raw = raw.map(Spanned::into_inner).unwrap_or(RawRiskShare {
            basis: RawBasis::GrossContributions,
            decimals: None,
            shares: None,
            clause: None,
        });
        let decimals = match raw.decimals {
            Some(d) if *d.get_ref() > MAX_DECIMALS => {
                self.d.error(d.span(), format!("risk shares are published to at most {MAX_DECIMALS} decimals"));
                2
            }
            Some(d) => *d.get_ref(),
            None => 2,
        };
        let has_shared = pool.lines.iter().any(|l| l.risk == Risk::Shared);
        match (raw.basis, raw.shares) {
            (RawBasis::GrossContributions, Some(shares)) => {
                let first = shares.keys().next().map_or(span.clone(), Spanned::span);
                self.d.error(first, "`shares` are only for a fixed risk share (basis = \"fixed\")");
                None
            }
            (RawBasis::GrossContributions, None) => {
                if let Some(line) = pool.lines.iter().find(|l| l.in_base && matches!(l.funding, Funding::Budget(_))) {
                    self.d.error(
                        span,
                        format!(
                            "line `{}` gives a budget without partner contributions, so pool `{}` needs a fixed risk share",
                            line.id, pool.id
                        ),
                    );
                    return None;
                }
                let bases = crate::risk_share::bases(pool, self.partner_ids.len().max(1));
                if has_shared && bases.iter().all(|b| b.base == Money::ZERO) {
                    self.d.error(
                        span,
                        format!("pool `{}` has no risk-share base: every partner's base is zero", pool.id),
                    );
                }
                Some(RiskShareBasis::GrossContributions { decimals })
            }
            (RawBasis::Fixed, None) => {
                self.d.error(span, "a fixed risk share needs `shares`, e.g. { OCC = \"51\", OCCG = \"49\" }");
                None
            }
            (RawBasis::Fixed, Some(shares)) => {
                if !has_shared {
                    self.d
                        .error(span.clone(), format!("pool `{}` has a fixed risk share but no shared lines", pool.id));
                }
                let mut all_parsed = true;
                let zero = Percent::from_units(0, decimals).expect("zero is a percentage");
                let shares = self.by_partner(&shares, |v, share| {
                    let parsed = Percent::parse(share.get_ref(), decimals);
                    all_parsed &= parsed.is_ok();
                    Some(parsed.map_err(|e| v.d.error(share.span(), e)).unwrap_or(zero))
                });
                let shares: Vec<Percent> =
                    shares.into_iter().map(|p| if p.decimals() == decimals { p } else { zero }).collect();
                let sum: u64 = shares.iter().map(|p| p.units()).sum();
                if all_parsed && sum != percent::hundred(decimals) {
                    self.d.error(
                        span,
                        format!(
                            "risk shares of pool `{}` sum to {}, not 100",
                            pool.id,
                            percent::format_units(sum, decimals)
                        ),
                    );
                }
                Some(RiskShareBasis::Fixed { shares })
            }
        }
    }

    fn rule(&mut self, pool: &Pool, r: RawRule) -> Rule {
        let mut ids = std::mem::take(&mut self.rule_ids);
        self.unique(&mut ids, &r.id, "rule");
        self.rule_ids = ids;
        let line = self.line_ref(pool, &r.line).unwrap_or(0);
        let to = self.partner(&r.to).unwrap_or(0);
        let cap = self.amount(&r.cap, "a cap").unwrap_or_default();
        if let Some(l) = pool.lines.get(line).filter(|l| l.risk != Risk::Shared) {
            self.d.error(
                r.line.span(),
                format!(
                    "clawback `{}` is on line `{}`, which is not shared ({})",
                    r.id.get_ref(),
                    l.id,
                    self.risk_name(l.risk)
                ),
            );
        }
        match r.kind {
            RawRuleKind::UnderspendClawback => {
                Rule { id: r.id.into_inner(), kind: RuleKind::UnderspendClawback { line, to, cap }, clause: r.clause }
            }
        }
    }

    fn saving(&mut self, pool: &Pool, s: RawSaving) -> Saving {
        let mut ids = std::mem::take(&mut self.saving_ids);
        self.unique(&mut ids, &s.id, "saving");
        self.saving_ids = ids;
        let line = self.line_ref(pool, &s.line).unwrap_or(0);
        if let Some(l) = pool.lines.get(line).filter(|l| l.risk != Risk::Shared) {
            self.d.error(
                s.line.span(),
                format!(
                    "saving `{}` is on line `{}`, which is not shared ({})",
                    s.id.get_ref(),
                    l.id,
                    self.risk_name(l.risk)
                ),
            );
        }
        Saving {
            by: self.partner(&s.by).unwrap_or(0),
            line,
            amount: self.amount(&s.amount, "a saving").unwrap_or_default(),
            strategy_agreed: s.strategy_agreed,
            clause: s.clause,
            id: s.id.into_inner(),
        }
    }

    fn risk_name(&self, risk: Risk) -> String {
        match risk {
            Risk::Shared => "shared".into(),
            Risk::Lead => "its lead commissioner bears it".into(),
            Risk::BorneBy(p) => format!("its risk is borne by {}", self.partner_ids.get(p).map_or("?", String::as_str)),
        }
    }

    fn payments(&mut self, p: RawPayments) -> Payments {
        let RawFrequency::Monthly = p.frequency;
        let in_advance_months = self
            .by_partner(&p.in_advance_months, |v, months| v.in_range(months, "`in_advance_months`", 0..=11, "months"));
        Payments { in_advance_months }
    }

    /// `[reporting]`: a line threshold of a positive amount, a percentage above 0 and at
    /// most 100, or both; neither is an error rather than a threshold that flags nothing.
    fn reporting(&mut self, r: RawReporting) -> Reporting {
        let Some(raw) = r.line_threshold else { return Reporting::default() };
        let span = raw.span();
        let t = raw.into_inner();
        if t.amount.is_none() && t.percent.is_none() {
            self.d.error(
                span,
                "`line_threshold` needs an `amount`, a `percent` or both, e.g. { amount = \"250000\", percent = \"2\" }: without one, leave it out and only pools are flagged",
            );
        }
        let amount = t.amount.as_ref().and_then(|a| {
            let money = non_negative(a, "a line threshold").map_err(|d| self.d.error(d.span, d.message)).ok()?;
            if money == Money::ZERO {
                self.d.error(
                    a.span(),
                    "a line threshold of £0.00 would flag every line with any variance: give a positive amount, or leave `amount` out",
                );
                return None;
            }
            Some(money)
        });
        let percent = t.percent.as_ref().and_then(|p| {
            let text = p.get_ref().trim();
            // At the places given, so that "2" shows as 2% and "2.5" as 2.5%.
            let places = text.trim_end_matches('%').split_once('.').map_or(0, |(_, f)| f.len());
            let decimals = u8::try_from(places).unwrap_or(u8::MAX).min(MAX_DECIMALS);
            match Percent::parse(text, decimals) {
                Err(e) => {
                    self.d.error(p.span(), e);
                    None
                }
                Ok(percent) if percent.units() == 0 => {
                    self.d.error(
                        p.span(),
                        "a line threshold of 0% would flag every line with any variance: give a percentage above 0, or leave `percent` out",
                    );
                    None
                }
                Ok(percent) => Some(percent),
            }
        });
        let clause = t.clause.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        Reporting {
            line_threshold: (amount.is_some() || percent.is_some()).then_some(LineThreshold {
                amount,
                percent,
                clause,
            }),
        }
    }

    fn termination(&mut self, t: RawTermination) -> Termination {
        self.in_range(&t.notice_months, "`notice_months`", 1..=120, "months");
        self.in_range(&t.no_contribution_agreement_months, "`no_contribution_agreement_months`", 1..=120, "months");
        Termination {
            notice_months: *t.notice_months.get_ref(),
            no_contribution_agreement_months: *t.no_contribution_agreement_months.get_ref(),
        }
    }

    fn board(&mut self, b: RawBoard) -> Board {
        let RawDecisions::Unanimous = b.decisions;
        let calendar = Calendar::parse(b.calendar.get_ref()).unwrap_or_else(|e| {
            self.d.error(b.calendar.span(), e);
            Calendar::EnglandAndWales
        });
        let mut seen = HashMap::new();
        let mut members = Vec::new();
        for m in b.member {
            let m = m.into_inner();
            self.unique(&mut seen, &m.id, "board member");
            members.push(Member {
                partner: self.partner(&m.partner).unwrap_or(0),
                id: m.id.into_inner(),
                role: m.role,
                name: m.name,
                voting: m.voting,
                chair: m.chair,
                deputy: m.deputy,
            });
        }
        let quorum = *b.quorum_per_partner.get_ref();
        for (key, problem) in
            Board::terms_out_of_range(quorum, *b.agenda_working_days.get_ref(), *b.minutes_within_days.get_ref())
        {
            let span = match key {
                BoardTerm::QuorumPerPartner => b.quorum_per_partner.span(),
                BoardTerm::AgendaWorkingDays => b.agenda_working_days.span(),
                BoardTerm::MinutesWithinDays => b.minutes_within_days.span(),
            };
            self.d.error(span, problem);
        }
        for (ix, partner) in self.partner_ids.clone().iter().enumerate() {
            let voting = members.iter().filter(|m| m.voting && m.partner == ix).count();
            if (voting as u64) < u64::from(quorum) {
                self.d.warning(
                    b.quorum_per_partner.span(),
                    format!("{partner} has {voting} voting members, fewer than the quorum of {quorum}: no meeting can be quorate"),
                );
            }
        }
        Board {
            name: b.name,
            quorum_per_partner: quorum,
            agenda_working_days: *b.agenda_working_days.get_ref(),
            minutes_within_days: *b.minutes_within_days.get_ref(),
            calendar,
            members,
            clauses: self.board_clauses(b.clauses),
        }
    }

    /// `[board] clauses`: a known rule's key to a clause that is not blank.
    fn board_clauses(&mut self, raw: BTreeMap<Id, Spanned<String>>) -> BTreeMap<BoardRule, String> {
        let mut clauses = BTreeMap::new();
        for (key, clause) in raw {
            let Some(rule) = BoardRule::from_key(key.get_ref()) else {
                let keys: Vec<&str> = BoardRule::ALL.iter().map(|r| r.key()).collect();
                self.d.error(
                    key.span(),
                    format!("unknown board clause `{}` (the rules are {})", key.get_ref(), keys.join(", ")),
                );
                continue;
            };
            let text = clause.get_ref().trim();
            if text.is_empty() {
                self.d.error(
                    clause.span(),
                    format!("the clause for `{}` is blank: give it, or leave the key out", rule.key()),
                );
                continue;
            }
            clauses.insert(rule, text.to_string());
        }
        clauses
    }

    // ---- small helpers ----

    /// Records `id` as seen; an error (pointing back at the first) when it was seen before.
    fn unique(&mut self, seen: &mut HashMap<String, Range<usize>>, id: &Id, what: &str) -> bool {
        if let Some(first) = seen.get(id.get_ref()) {
            let (line, _) = line_col(self.text, first.start);
            self.d.error(id.span(), format!("duplicate {what} id `{}` (first defined on line {line})", id.get_ref()));
            return false;
        }
        seen.insert(id.get_ref().clone(), id.span());
        true
    }

    /// A partner named in the agreement file: by its own id, the stable key, even where
    /// a successor takes its place.
    fn partner(&mut self, id: &Id) -> Option<PartnerIx> {
        let found = self.partner_ids.iter().position(|p| p == id.get_ref());
        if found.is_none() {
            let message = match self.successor_ids.iter().find(|(s, _)| s == id.get_ref()) {
                Some((_, ix)) => {
                    let partner = self.partner_ids.get(*ix).map_or("?", String::as_str);
                    format!(
                        "`{}` is the successor of {partner}: the agreement file names the partner by its own id, `{partner}`",
                        id.get_ref()
                    )
                }
                None => format!("unknown partner `{}` (partners are {})", id.get_ref(), self.partner_ids.join(", ")),
            };
            self.d.error(id.span(), message);
        }
        found
    }

    fn line_ref(&mut self, pool: &Pool, id: &Id) -> Option<usize> {
        let found = pool.line_ix(id.get_ref());
        if found.is_none() {
            self.d.error(id.span(), format!("unknown line `{}` in pool `{}`", id.get_ref(), pool.id));
        }
        found
    }

    /// One value per partner, in partner order, from a `{ PARTNER = value }` table.
    fn by_partner<R, T: Default + Clone>(
        &mut self,
        table: &ByPartner<R>,
        mut value: impl FnMut(&mut Self, &Spanned<R>) -> Option<T>,
    ) -> Vec<T> {
        let mut out = vec![T::default(); self.partner_ids.len()];
        for (id, raw) in table {
            if let (Some(ix), Some(v)) = (self.partner(id), value(self, raw)) {
                out[ix] = v;
            }
        }
        out
    }

    /// An amount that counts towards the agreement's figures: not negative, and within
    /// what the file's amounts may add up to.
    fn amount(&mut self, amount: &Spanned<Amount>, what: &str) -> Option<Money> {
        let money = non_negative(amount, what).map_err(|d| self.d.error(d.span, d.message)).ok()?;
        if let Err(e) = self.tally.add(money) {
            self.d.error(amount.span(), e);
        }
        Some(money)
    }

    /// A declared total: checked against the sum, never added to it.
    fn declared(&mut self, amount: &Spanned<Amount>) -> Option<Money> {
        non_negative(amount, "a declared total").map_err(|d| self.d.error(d.span, d.message)).ok()
    }

    /// A whole number of the file in `range`, or an error at it.
    fn in_range(&mut self, value: &Spanned<u32>, what: &str, range: RangeInclusive<u32>, unit: &str) -> Option<u32> {
        match out_of_range(what, *value.get_ref(), range, unit) {
            Some(problem) => {
                self.d.error(value.span(), problem);
                None
            }
            None => Some(*value.get_ref()),
        }
    }

    /// Stated totals are checked, never trusted: published tables have slips.
    fn check_declared(&mut self, declared: &Spanned<Amount>, computed: Money, of: &str) {
        let declared_money = declared.get_ref().0;
        if declared_money != computed {
            self.d.warning(
                declared.span(),
                format!(
                    "declared total {declared_money} differs from the sum of {of}, {computed}, by {}: the sum is used",
                    declared_money - computed
                ),
            );
        }
    }
}

impl<'de> Deserialize<'de> for RawRisk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawRisk, D::Error> {
        struct RiskVisitor;
        impl<'de> Visitor<'de> for RiskVisitor {
            type Value = RawRisk;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"shared\", \"lead\" or { borne_by = \"PARTNER\" }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawRisk, E> {
                match s {
                    "shared" => Ok(RawRisk::Shared),
                    "lead" => Ok(RawRisk::Lead),
                    other => Err(E::custom(format!(
                        "unknown risk `{other}`, expected \"shared\", \"lead\" or {{ borne_by = \"PARTNER\" }}"
                    ))),
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RawRisk, M::Error> {
                let mut borne_by = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "borne_by" {
                        return Err(de::Error::unknown_field(&key, &["borne_by"]));
                    }
                    borne_by = Some(map.next_value::<Id>()?);
                }
                borne_by.map(RawRisk::BorneBy).ok_or_else(|| de::Error::missing_field("borne_by"))
            }
        }
        deserializer.deserialize_any(RiskVisitor)
    }
}
