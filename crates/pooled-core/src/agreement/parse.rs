//! The agreement file, format 1: its raw TOML shape (unknown keys refused by serde) and the
//! validation that turns it into an [`Agreement`], collecting every problem with its span.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::{Range, RangeInclusive};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::*;
use crate::bcf::StreamIx;
use crate::bcf::conditions::{self, Rule as Condition};
use crate::bcf::{
    AreaOfSpend, Bcf, Commissioner, DfgToDistricts, District, Minimum, MinimumBasis, NewOrExisting, Outputs, Retained,
    Scheme, SchemeTypeYear, Stream, StreamFunding, StreamKind,
};
use crate::calendar::FiscalMonth;
use crate::diagnostic::{Diagnostics, line_col, quote};
use crate::file_format::{Amount, FileDate, Spanned, from_toml, non_negative, out_of_range};
use crate::money::Tally;
use crate::percent::{self, MAX_DECIMALS};

mod performance;

type Id = Spanned<String>;
type ByPartner<T> = BTreeMap<Id, Spanned<T>>;
type ByStream = BTreeMap<Id, Spanned<Amount>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Spanned<i64>,
    agreement: Spanned<RawAgreement>,
    #[serde(default)]
    partner: Vec<Spanned<RawPartner>>,
    #[serde(default)]
    stream: Vec<Spanned<RawStream>>,
    #[serde(default)]
    pool: Vec<Spanned<RawPool>>,
    payments: Option<Spanned<RawPayments>>,
    termination: Option<Spanned<RawTermination>>,
    board: Option<Spanned<RawBoard>>,
    reporting: Option<Spanned<RawReporting>>,
    performance: Option<Spanned<performance::RawPerformance>>,
    bcf: Option<Spanned<RawBcf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBcf {
    scheme_types: Option<Spanned<String>>,
    social_care: Option<Spanned<RawMinimum>>,
    out_of_hospital: Option<Spanned<RawMinimum>>,
    dfg: Option<Spanned<RawDfg>>,
    #[serde(default)]
    district: Vec<Spanned<RawDistrict>>,
}

/// `[bcf.social_care]`, `[bcf.out_of_hospital]`: `required`, or `previous_year` with `uplift`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMinimum {
    required: Option<Spanned<Amount>>,
    previous_year: Option<Spanned<Amount>>,
    uplift: Option<Spanned<String>>,
    clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDfg {
    line: Id,
    paid_in: Option<Vec<Spanned<String>>>,
    clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistrict {
    id: Id,
    name: String,
    dfg: Spanned<Amount>,
    agreed_retained: Option<Spanned<RawRetained>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetained {
    amount: Spanned<Amount>,
    clause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStream {
    id: Id,
    name: String,
    from: Id,
    kind: StreamKind,
    allocation: Spanned<Amount>,
    clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    id: Id,
    #[serde(rename = "type")]
    scheme_type: Spanned<String>,
    sub_type: Option<Spanned<String>>,
    area_of_spend: Spanned<String>,
    commissioner: Spanned<RawCommissioner>,
    nhs_share: Option<Spanned<String>>,
    provider: Option<String>,
    outputs: Option<RawOutputs>,
    new_or_existing: Option<NewOrExisting>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum RawCommissioner {
    LocalAuthority,
    Nhs,
    Joint,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutputs {
    amount: Spanned<String>,
    unit: String,
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
    funded_by: Option<Spanned<ByStream>>,
    scheme: Option<RawScheme>,
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
        streams: Vec::new(),
        scheme_ids: HashMap::new(),
        scheme_types: None,
        streams_from_known: true,
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
    /// The streams declared, for the lines' `funded_by`.
    streams: Vec<Stream>,
    // BCF plans number schemes across the whole fund.
    scheme_ids: HashMap<String, Range<usize>>,
    /// `[bcf] scheme_types`: the list the schemes' types come from.
    scheme_types: Option<SchemeTypeYear>,
    /// Whether every stream's partner is known, so that partners' funding can be checked.
    streams_from_known: bool,
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
        let raw_bcf = raw.bcf.map(Spanned::into_inner);
        let mut bcf = Bcf { scheme_types: self.scheme_types(raw_bcf.as_ref()), ..Bcf::default() };
        let allocations = self.streams(raw.stream);
        let pools = self.pools(raw.pool);
        self.check_allocations(&allocations, &pools);
        // Where each condition is set, for a warning when the plan already breaches it.
        let mut condition_spans = Vec::new();
        if let Some(raw_bcf) = raw_bcf {
            condition_spans = self.bcf_conditions(raw_bcf, &pools, &mut bcf);
        }
        let mut agreement = Agreement {
            id: a.id,
            name: a.name,
            financial_year,
            start,
            end,
            declared_total: None,
            partners,
            streams: std::mem::take(&mut self.streams),
            pools,
            payments: raw.payments.map(|p| self.payments(p.into_inner())),
            termination: raw.termination.map(|t| self.termination(t.into_inner())),
            board: raw.board.map(|b| self.board(b.into_inner())),
            reporting: raw.reporting.map(|r| self.reporting(r.into_inner())).unwrap_or_default(),
            performance: Performance::default(),
            bcf,
        };
        if let Some(p) = raw.performance {
            agreement.performance = self.performance(p.into_inner(), &agreement.pools);
        }
        if let Some(declared) = a.declared_total {
            agreement.declared_total = self.declared(&declared, "a declared total");
            self.check_declared(&declared, agreement.total_budget(), "the agreement's pools");
        }
        if !self.d.has_errors() {
            self.plan_breaches(&agreement, &condition_spans);
        }
        agreement
    }

    /// A plan that already breaches a condition: a warning at the table setting it. A
    /// stream's allocation is not repeated here: [`Validator::check_allocations`] warns of
    /// any difference from what its lines take.
    fn plan_breaches(&mut self, agreement: &Agreement, spans: &[(Condition, Range<usize>)]) {
        for condition in conditions::for_plan(agreement) {
            let Some((_, span)) = spans.iter().find(|(rule, _)| *rule == condition.rule) else { continue };
            for breach in condition.breach_words() {
                self.d.warning(span.clone(), format!("the plan breaches a Better Care Fund condition. {breach}"));
            }
        }
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
            pool.declared_total = self.declared(&declared, "a declared total");
            self.check_declared(&declared, pool.total_budget(), &format!("the lines of pool `{}`", pool.id));
        }
        pool
    }

    fn line(&mut self, mut l: RawLine, pool_kind: PoolKind, host: PartnerIx) -> Line {
        let id = l.id.get_ref().clone();
        let (raw_funded_by, raw_scheme) = (l.funded_by.take(), l.scheme.take());
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
        let funded_by = self.funded_by(raw_funded_by, &l.id, &funding, pool_kind);
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
            funded_by,
            scheme: raw_scheme.map(|s| self.scheme(s)),
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

    /// `[bcf] scheme_types`: the list of scheme types, by its planning template year.
    fn scheme_types(&mut self, b: Option<&RawBcf>) -> Option<SchemeTypeYear> {
        let scheme_types = b.and_then(|b| b.scheme_types.as_ref()).and_then(|year| {
            let found = SchemeTypeYear::from_key(year.get_ref().trim());
            if found.is_none() {
                let years: Vec<&str> = SchemeTypeYear::ALL.iter().map(|y| y.key()).collect();
                self.d.error(
                    year.span(),
                    format!(
                        "pooled has no list of scheme types for {}: the planning template years it bundles are {}",
                        quote(year.get_ref()),
                        years.join(", ")
                    ),
                );
            }
            found
        });
        self.scheme_types = scheme_types;
        scheme_types
    }

    /// `[bcf]`'s conditions: the minimums and the districts' grant, once the pools are
    /// known. Returns where each is set.
    fn bcf_conditions(&mut self, b: RawBcf, pools: &[Pool], bcf: &mut Bcf) -> Vec<(Condition, Range<usize>)> {
        let mut spans = Vec::new();
        for (raw, rule) in [(b.social_care, Condition::SocialCare), (b.out_of_hospital, Condition::OutOfHospital)] {
            let Some(raw) = raw else { continue };
            spans.push((rule, raw.span()));
            let minimum = self.minimum(raw);
            match rule {
                Condition::SocialCare => bcf.social_care = minimum,
                _ => bcf.out_of_hospital = minimum,
            }
        }
        match (b.dfg, b.district.is_empty()) {
            (Some(dfg), _) => {
                spans.push((Condition::DfgToDistricts, dfg.span()));
                bcf.dfg = self.dfg(dfg, b.district, pools);
            }
            (None, false) => self.d.error(
                b.district[0].span(),
                "district councils need [bcf.dfg]: the line paying the Disabled Facilities Grant on to them, e.g. line = \"dfg-districts\"",
            ),
            (None, true) => {}
        }
        spans
    }

    /// A minimum: `required`, or `previous_year` and `uplift` (a percentage), never both.
    fn minimum(&mut self, raw: Spanned<RawMinimum>) -> Option<Minimum> {
        let span = raw.span();
        let m = raw.into_inner();
        let basis = match (&m.required, &m.previous_year, &m.uplift) {
            (Some(required), None, None) => (self.declared(required, "a required figure")?, MinimumBasis::Given),
            (None, Some(previous), Some(uplift)) => {
                let previous_year = self.declared(previous, "the previous year's figure")?;
                let uplift_percent = Percent::parse_as_written(uplift.get_ref())
                    .map_err(|e| self.d.error(uplift.span(), format!("{e} (the uplift, e.g. uplift = \"5.66\")")))
                    .ok()?;
                let Some(required) = crate::bcf::uplifted(previous_year, uplift_percent) else {
                    self.d
                        .error(previous.span(), "the previous year's figure with its uplift is more than pooled holds");
                    return None;
                };
                (required, MinimumBasis::Uplift { previous_year, uplift: uplift_percent })
            }
            _ => {
                self.d.error(
                    span,
                    "a minimum gives either `required` (the figure) or `previous_year` with `uplift` (a percentage), e.g. previous_year = \"11,651,150\" and uplift = \"5.66\"",
                );
                return None;
            }
        };
        Some(Minimum { required: basis.0, basis: basis.1, clause: m.clause })
    }

    /// `[bcf.dfg]` with `[[bcf.district]]`: a line of the agreement funded by a Disabled
    /// Facilities Grant stream that is a scheme, months to pay in, and districts with
    /// unique ids, each keeping no more than its grant. The districts' grants are stated
    /// against the grant's streams' allocations: a difference is a warning.
    fn dfg(
        &mut self,
        raw: Spanned<RawDfg>,
        districts: Vec<Spanned<RawDistrict>>,
        pools: &[Pool],
    ) -> Option<DfgToDistricts> {
        let span = raw.span();
        let dfg = raw.into_inner();
        let mut seen = HashMap::new();
        let mut parsed = Vec::new();
        for d in districts {
            let d = d.into_inner();
            self.unique(&mut seen, &d.id, "district");
            let grant = self.amount(&d.dfg, "a district's grant").unwrap_or_default();
            let agreed_retained = d.agreed_retained.and_then(|r| {
                let r_span = r.span();
                let r = r.into_inner();
                let amount = self.amount(&r.amount, "an amount retained")?;
                if amount > grant {
                    self.d.error(r_span, format!("district `{}` cannot agree to the council keeping {amount}, more than its grant of {grant}", d.id.get_ref()));
                }
                Some(Retained { amount, clause: r.clause })
            });
            parsed.push(District { id: d.id.into_inner(), name: d.name, dfg: grant, agreed_retained });
        }
        if parsed.is_empty() {
            self.d.error(span.clone(), "[bcf.dfg] needs the district councils the grant goes to: add [[bcf.district]] tables with id, name and dfg");
        }
        let paid_in = match dfg.paid_in {
            None => FiscalMonth::all().collect(),
            Some(months) => {
                let mut paid_in: Vec<FiscalMonth> = Vec::new();
                for m in &months {
                    match FiscalMonth::parse(m.get_ref()) {
                        Ok(month) if paid_in.contains(&month) => {
                            self.d.error(m.span(), format!("{month} is listed twice"))
                        }
                        Ok(month) => paid_in.push(month),
                        Err(e) => self.d.error(m.span(), e),
                    }
                }
                if months.is_empty() {
                    self.d.error(span.clone(), "`paid_in` lists at least one month, e.g. paid_in = [\"M1\", \"M7\"]");
                }
                paid_in.sort();
                paid_in
            }
        };
        let found: Vec<(usize, usize)> = (pools.iter().enumerate())
            .flat_map(|(p, pool)| pool.lines.iter().enumerate().map(move |(l, line)| (p, l, line)))
            .filter(|(_, _, line)| line.id == *dfg.line.get_ref())
            .map(|(p, l, _)| (p, l))
            .collect();
        let &[(pool, line)] = found.as_slice() else {
            let why = if found.is_empty() { "no line has that id" } else { "more than one pool has a line of that id" };
            self.d.error(
                dfg.line.span(),
                format!("line `{}` cannot pay the Disabled Facilities Grant on: {why}", dfg.line.get_ref()),
            );
            return None;
        };
        let the_line = &pools[pool].lines[line];
        let dfg_streams: Vec<StreamIx> = (self.streams.iter().enumerate())
            .filter(|(_, s)| s.kind == StreamKind::DisabledFacilitiesGrant)
            .map(|(ix, _)| ix)
            .collect();
        if the_line.scheme.is_none() || !the_line.funded_by.iter().any(|f| dfg_streams.contains(&f.stream)) {
            self.d.error(
                dfg.line.span(),
                format!("line `{}` pays the Disabled Facilities Grant on, so it is a scheme ([pool.line.scheme]) funded by a stream of kind \"disabled-facilities-grant\"", the_line.id),
            );
            return None;
        }
        let granted: Money = parsed.iter().map(|d| d.dfg).sum();
        let allocated: Money = dfg_streams.iter().map(|ix| self.streams[*ix].allocation).sum();
        if granted != allocated {
            self.d.warning(
                span,
                format!("the districts' grants sum to {granted}, but the Disabled Facilities Grant streams' allocations to {allocated} (a difference of {}): in a two-tier area the grant is the districts'", granted - allocated),
            );
        }
        Some(DfgToDistricts { pool, line, paid_in, clause: dfg.clause, districts: parsed })
    }

    /// `[[stream]]`: each with a unique id, from a partner (or its successor), with an
    /// allocation that is not negative. The allocations, in the streams' order, for
    /// [`Validator::check_allocations`].
    fn streams(&mut self, raw: Vec<Spanned<RawStream>>) -> Vec<Spanned<Amount>> {
        let mut seen = HashMap::new();
        let mut allocations = Vec::new();
        for s in raw {
            let s = s.into_inner();
            self.unique(&mut seen, &s.id, "stream");
            let from = self.partner_or_successor(&s.from);
            self.streams_from_known &= from.is_some();
            let from = from.unwrap_or(0);
            let allocation = self.declared(&s.allocation, "an allocation").unwrap_or_default();
            self.streams.push(Stream {
                id: s.id.into_inner(),
                name: s.name,
                from,
                kind: s.kind,
                allocation,
                clause: s.clause,
            });
            allocations.push(s.allocation);
        }
        allocations
    }

    /// A stream's allocation is stated, the lines it funds are what pooled plans with: a
    /// difference is a warning, as for a declared total.
    fn check_allocations(&mut self, allocations: &[Spanned<Amount>], pools: &[Pool]) {
        let funded = pools.iter().flat_map(|p| &p.lines).flat_map(|l| &l.funded_by);
        let mut sums = vec![Money::ZERO; allocations.len()];
        for f in funded {
            sums[f.stream] += f.amount;
        }
        for (ix, (allocation, sum)) in allocations.iter().zip(sums).enumerate() {
            let of = format!("the lines stream `{}` funds", self.streams[ix].id);
            self.check_stated(allocation, sum, "allocation", &of);
        }
    }

    /// A line's `funded_by`: known streams, amounts that sum to the line's total, and for
    /// each partner, its streams' amounts equal to its contribution to the line. Every
    /// line of a pooled fund says it when the agreement has streams; an aligned line may.
    fn funded_by(
        &mut self,
        raw: Option<Spanned<ByStream>>,
        line: &Id,
        funding: &Funding,
        pool_kind: PoolKind,
    ) -> Vec<StreamFunding> {
        let Some(raw) = raw else {
            if !self.streams.is_empty() && pool_kind == PoolKind::Pooled {
                self.d.error(
                    line.span(),
                    format!(
                        "line `{}` of a pooled fund needs `funded_by`: the agreement declares funding streams ({}), so each line of a pooled fund says what it takes from which, e.g. funded_by = {{ {} = \"...\" }}",
                        line.get_ref(),
                        self.stream_ids(),
                        self.streams[0].id
                    ),
                );
            }
            return Vec::new();
        };
        let span = raw.span();
        let mut funded_by = Vec::new();
        let mut all_known = true;
        for (id, amount) in raw.into_inner() {
            let amount = self.amount(&amount, "a stream's funding");
            let Some(stream) = self.streams.iter().position(|s| s.id == *id.get_ref()) else {
                let streams = if self.streams.is_empty() {
                    "the agreement declares none: add [[stream]] tables".to_string()
                } else {
                    format!("streams are {}", self.stream_ids())
                };
                self.d.error(id.span(), format!("unknown stream `{}` ({streams})", id.get_ref()));
                all_known = false;
                continue;
            };
            if let Some(amount) = amount {
                funded_by.push(StreamFunding { stream, amount });
            }
        }
        // The streams' order, so that an equal remainder in a split goes to the one
        // declared first.
        funded_by.sort_by_key(|f| f.stream);
        let funded: Money = funded_by.iter().map(|f| f.amount).sum();
        let line = line.get_ref();
        let total = match funding {
            Funding::Contributions(by_partner) => by_partner.iter().sum(),
            Funding::Budget(budget) => *budget,
        };
        if !all_known {
            // The unknown stream is the error; the sums without it would only repeat it.
        } else if funded != total {
            self.d.error(
                span,
                format!(
                    "the streams funding line `{line}` sum to {funded}, not its total {total} (a difference of {}): they must fund it exactly",
                    funded - total
                ),
            );
        } else if let (Funding::Contributions(by_partner), true) = (funding, self.streams_from_known) {
            for (partner, contribution) in by_partner.iter().enumerate() {
                let from_partner: Money =
                    funded_by.iter().filter(|f| self.streams[f.stream].from == partner).map(|f| f.amount).sum();
                if from_partner != *contribution {
                    let id = self.partner_ids.get(partner).map_or("?", String::as_str);
                    self.d.error(
                        span.clone(),
                        format!(
                            "the streams from {id} fund {from_partner} of line `{line}`, but {id} contributes {contribution} to it (a difference of {}): a partner's streams fund exactly its contribution",
                            from_partner - *contribution
                        ),
                    );
                }
            }
        }
        funded_by
    }

    fn stream_ids(&self) -> String {
        self.streams.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// `[pool.line.scheme]`: a unique id, a type (and sub-type) of the `[bcf]` year's list,
    /// an area of spend, a commissioner (joint with the NHS's share).
    fn scheme(&mut self, s: RawScheme) -> Scheme {
        let mut ids = std::mem::take(&mut self.scheme_ids);
        self.unique(&mut ids, &s.id, "scheme");
        self.scheme_ids = ids;
        let (scheme_type, sub_type) = self.scheme_type(&s);
        let area_of_spend = AreaOfSpend::from_key(s.area_of_spend.get_ref()).unwrap_or_else(|| {
            let areas: Vec<String> = AreaOfSpend::ALL.iter().map(|a| format!("\"{}\"", a.key())).collect();
            self.d.error(
                s.area_of_spend.span(),
                format!(
                    "unknown area of spend {} (the template's are {})",
                    quote(s.area_of_spend.get_ref()),
                    areas.join(", ")
                ),
            );
            AreaOfSpend::Other
        });
        let commissioner = match (*s.commissioner.get_ref(), &s.nhs_share) {
            (RawCommissioner::Joint, Some(share)) => match Percent::parse_as_written(share.get_ref()) {
                Ok(nhs_share) => Commissioner::Joint { nhs_share },
                Err(e) => {
                    self.d.error(share.span(), e);
                    Commissioner::Nhs
                }
            },
            (RawCommissioner::Joint, None) => {
                self.d.error(
                    s.commissioner.span(),
                    "a jointly commissioned scheme gives the NHS's share: nhs_share = \"60\" (a percentage)",
                );
                Commissioner::Nhs
            }
            (_, Some(share)) => {
                self.d.error(
                    share.span(),
                    "`nhs_share` is only for a jointly commissioned scheme (commissioner = \"joint\")",
                );
                Commissioner::Nhs
            }
            (RawCommissioner::LocalAuthority, None) => Commissioner::LocalAuthority,
            (RawCommissioner::Nhs, None) => Commissioner::Nhs,
        };
        let outputs = s.outputs.map(|o| {
            let amount = o.amount.get_ref().trim().to_string();
            if !is_quantity(&amount) {
                self.d.error(
                    o.amount.span(),
                    format!("outputs amount {} is not a number such as \"1,200\" or \"12.5\"", quote(&amount)),
                );
            }
            Outputs { amount, unit: o.unit }
        });
        Scheme {
            id: s.id.into_inner(),
            scheme_type,
            sub_type,
            area_of_spend,
            commissioner,
            provider: s.provider,
            outputs,
            new_or_existing: s.new_or_existing,
        }
    }

    /// The scheme's type and sub-type as the `[bcf]` year's list spells them.
    fn scheme_type(&mut self, s: &RawScheme) -> (String, Option<String>) {
        let as_given = (s.scheme_type.get_ref().clone(), s.sub_type.as_ref().map(|t| t.get_ref().clone()));
        let Some(year) = self.scheme_types else {
            let years: Vec<&str> = SchemeTypeYear::ALL.iter().map(|y| y.key()).collect();
            self.d.error(
                s.id.span(),
                format!(
                    "scheme `{}` needs the list its type comes from: add [bcf] scheme_types = \"{}\" (the planning template years pooled bundles are {})",
                    s.id.get_ref(),
                    years[years.len() - 1],
                    years.join(", ")
                ),
            );
            return as_given;
        };
        let list = year.list();
        let scheme_type = match list.find(s.scheme_type.get_ref()) {
            Ok(t) => t,
            Err(e) => {
                self.d.error(s.scheme_type.span(), e);
                return as_given;
            }
        };
        let sub_type = s.sub_type.as_ref().and_then(|sub| match scheme_type.sub_type(list.year(), sub.get_ref()) {
            Ok(found) => Some(found.to_string()),
            Err(e) => {
                self.d.error(sub.span(), e);
                None
            }
        });
        (scheme_type.name.clone(), sub_type)
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
            match Percent::parse_as_written(p.get_ref()) {
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

    /// A partner named by its own id or by its successor's (a stream's `from`): the
    /// partner either way.
    fn partner_or_successor(&mut self, id: &Id) -> Option<PartnerIx> {
        match self.successor_ids.iter().find(|(s, _)| s == id.get_ref()) {
            Some((_, ix)) => Some(*ix),
            None => self.partner(id),
        }
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

    /// A stated figure (a declared total, an allocation): checked against the sum, never
    /// added to it.
    fn declared(&mut self, amount: &Spanned<Amount>, what: &str) -> Option<Money> {
        non_negative(amount, what).map_err(|d| self.d.error(d.span, d.message)).ok()
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
        self.check_stated(declared, computed, "declared total", of);
    }

    /// A stated figure (`what`: "declared total", "allocation") against the sum of `of`:
    /// a difference is a warning giving both and the difference; the sum is used.
    fn check_stated(&mut self, stated: &Spanned<Amount>, computed: Money, what: &str, of: &str) {
        let stated_money = stated.get_ref().0;
        if stated_money != computed {
            self.d.warning(
                stated.span(),
                format!(
                    "{what} {stated_money} differs from the sum of {of}, {computed}, by {}: the sum is used",
                    stated_money - computed
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

/// A count or quantity as a plan writes one: digits, with thousands commas and decimals.
fn is_quantity(text: &str) -> bool {
    let digits = text.replace(',', "");
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && fraction.is_empty())
}
