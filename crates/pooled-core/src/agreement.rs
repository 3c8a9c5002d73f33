//! A section 75 agreement for one financial year, as validated from its file
//! (docs/agreement-file.md).
//!
//! An [`Agreement`] can only be had from [`Agreement::parse`], so every partner, line and
//! rule reference in it is known to be valid: references are indices, not strings.

mod parse;

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::bcf::{Bcf, Scheme, Stream, StreamFunding};
use crate::calendar::{Calendar, Date, FinancialYear};
use crate::diagnostic::Diagnostic;
use crate::file_format::out_of_range;
use crate::metrics::Performance;
use crate::money::Money;
use crate::percent::Percent;

/// Index of a partner in [`Agreement::partners`]; amounts per partner are vectors in that
/// order.
pub type PartnerIx = usize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    id: String,
    name: String,
    financial_year: FinancialYear,
    start: Date,
    end: Option<Date>,
    declared_total: Option<Money>,
    partners: Vec<Partner>,
    streams: Vec<Stream>,
    pools: Vec<Pool>,
    payments: Option<Payments>,
    termination: Option<Termination>,
    board: Option<Board>,
    reporting: Reporting,
    performance: Performance,
    bcf: Bcf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerKind {
    LocalAuthority,
    NhsCommissioner,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub kind: PartnerKind,
    pub succeeded_by: Option<Successor>,
}

/// A body that takes over a partner's place (the CCG by the ICB on 2022-07-01); what
/// happened before `from` stays attributed to the original partner.
///
/// The partner's index, and its original id, stay the key of everything recorded against
/// it (payments, plans, boards, stored records): the successor stands in the partner's
/// place, it is not a new partner. Only the names shown change, from `from` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Successor {
    pub id: String,
    pub name: String,
    pub from: Date,
}

/// The body holding a partner's place on a day: the partner itself, or its successor from
/// the succession date on ([`Agreement::body_on`]). What results name: an instalment's
/// payer, a settlement's partner, a report's heading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    pub id: String,
    pub name: String,
}

impl Partner {
    /// The body holding this partner's place on `day`.
    pub fn body_on(&self, day: Date) -> Body {
        match &self.succeeded_by {
            Some(s) if day >= s.from => Body { id: s.id.clone(), name: s.name.clone() },
            _ => Body { id: self.id.clone(), name: self.name.clone() },
        }
    }

    /// Whether `id` names this partner or its successor (on any day).
    pub fn is_or_succeeded_by(&self, id: &str) -> bool {
        self.id == id || self.succeeded_by.as_ref().is_some_and(|s| s.id == id)
    }

    /// The partner as a list of partners names it: `OCCG`, or `OCCG (BOB-ICB from 2022-07-01)`.
    pub fn listed(&self) -> String {
        match &self.succeeded_by {
            Some(s) => format!("{} ({} from {})", self.id, s.id, s.from),
            None => self.id.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// Risk shared between the partners.
    Pooled,
    /// Reported together; each line's variance stays with its lead commissioner.
    Aligned,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RiskShareBasis {
    /// Proportional to each partner's risk-share base (gross contributions), published
    /// at `decimals`.
    GrossContributions { decimals: u8 },
    /// Agreed percentages, one per partner, summing to 100.
    Fixed { shares: Vec<Percent> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub host: PartnerIx,
    pub kind: PoolKind,
    /// `None` for aligned pools, which share no risk.
    pub risk_share: Option<RiskShareBasis>,
    /// Income targets added back to the risk-share base, one per partner.
    pub income: Vec<Money>,
    pub declared_total: Option<Money>,
    /// The clause the risk share is agreed under, cited in settlements.
    pub risk_share_clause: Option<String>,
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
    pub savings: Vec<Saving>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Funding {
    /// Each partner's contribution, one per partner (zero where it gives nothing).
    Contributions(Vec<Money>),
    /// A budget with no partner split given by the source (the 2022 report).
    Budget(Money),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    Shared,
    /// The whole variance goes to one partner.
    BorneBy(PartnerIx),
    /// The line's lead commissioner carries its variance (always so in aligned pools).
    Lead,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub name: String,
    pub segment: Option<String>,
    pub lead: Option<PartnerIx>,
    /// The partner that holds and spends the line's money: the others pay it their
    /// contributions. `held_by` in the file; by default the pool's host in a pooled pool,
    /// the line's lead (or its only contributor) in an aligned one.
    pub held_by: PartnerIx,
    pub funding: Funding,
    pub risk: Risk,
    /// Whether the line's contributions count in the risk-share base.
    pub in_base: bool,
    pub clause: Option<String>,
    /// What the line takes from each stream, in the streams' order, summing to its
    /// budget; empty when no stream funds it (an agreement without streams, or an aligned
    /// line that does not say).
    pub funded_by: Vec<StreamFunding>,
    /// The BCF plan's scheme the line is, if it is one.
    pub scheme: Option<Scheme>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub clause: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// An underspend on `line` is recouped by `to`, up to `cap` (home support clawback).
    UnderspendClawback { line: usize, to: PartnerIx, cap: Money },
}

/// A saving a partner moved into the pool; without an agreed delivery strategy, that
/// partner funds any shortfall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saving {
    pub id: String,
    pub by: PartnerIx,
    pub line: usize,
    pub amount: Money,
    pub strategy_agreed: bool,
    pub clause: Option<String>,
}

/// Monthly payments, some partners paying months in advance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payments {
    /// Months in advance, one per partner.
    pub in_advance_months: Vec<u32>,
}

/// When a forecast variance needs an action plan (`[reporting]`). Any forecast over- or
/// underspend of a pooled fund does; a line's, only from the agreement's materiality
/// threshold, and without one, never.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reporting {
    pub line_threshold: Option<LineThreshold>,
}

/// A line's forecast variance needs an action plan when its size reaches the amount or
/// the percentage of the line's budget (whichever the agreement gives; at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineThreshold {
    pub amount: Option<Money>,
    pub percent: Option<Percent>,
    /// The clause the threshold is agreed under, cited beside each line flagged.
    pub clause: Option<String>,
}

impl LineThreshold {
    /// Whether a line's forecast variance reaches the threshold: a variance of zero never
    /// does; a percentage of a zero budget is reached by any other.
    pub fn reached(&self, variance: Money, budget: Money) -> bool {
        if variance == Money::ZERO {
            return false;
        }
        let size = i128::from(variance.pence()).abs();
        let by_amount = self.amount.is_some_and(|a| size >= i128::from(a.pence()));
        let by_percent = self.percent.is_some_and(|p| {
            // size / budget >= units / (100 * 10^decimals), cross-multiplied exactly.
            size * i128::from(crate::percent::hundred(p.decimals()))
                >= i128::from(p.units()) * i128::from(budget.pence()).abs()
        });
        by_amount || by_percent
    }

    /// The threshold in words: `£250,000.00 or 2% of its budget`.
    pub fn words(&self) -> String {
        let amount = self.amount.map(|a| a.to_string());
        let percent = self.percent.map(|p| format!("{p}% of its budget"));
        [amount, percent].into_iter().flatten().collect::<Vec<_>>().join(" or ")
    }

    /// What to cite beside a line flagged: the threshold's clause, or the rule in words.
    pub fn cite(&self) -> &str {
        self.clause.as_deref().unwrap_or("materiality threshold")
    }
}

/// Notice of termination, in months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termination {
    pub notice_months: u32,
    pub no_contribution_agreement_months: u32,
}

/// The joint board and its standing rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    pub name: String,
    pub quorum_per_partner: u32,
    pub agenda_working_days: u32,
    pub minutes_within_days: u32,
    pub calendar: Calendar,
    pub members: Vec<Member>,
    /// The clause of the agreement behind each rule, as `[board] clauses` gives them.
    pub clauses: BTreeMap<BoardRule, String>,
}

impl Board {
    /// The clause of the agreement behind `rule`, if the agreement file gives one.
    pub fn clause(&self, rule: BoardRule) -> Option<&str> {
        self.clauses.get(&rule).map(String::as_str)
    }

    /// What to cite beside a result of `rule`: its clause, or the rule in words.
    pub fn cite(&self, rule: BoardRule) -> &str {
        self.clause(rule).unwrap_or(rule.words())
    }
}

/// A rule of the board that pooled applies. Each result names it by the clause the
/// agreement file gives (`[board] clauses`), or where it gives none, in words; so no
/// agreement's clause numbers are written into the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BoardRule {
    /// Voting members count towards the quorum; non-voting members attend.
    Members,
    /// Each voting member's deputy, nominated in writing.
    Deputies,
    /// An alternative deputy, confirmed in writing and agreed by the other partner.
    AlternativeDeputies,
    /// So many voting members or deputies from each partner.
    Quorum,
    /// Seats and their holders changed by written notification.
    Changes,
    /// The board replaced by another body.
    Replacement,
    /// Representatives invited to meetings, who are not members.
    Guests,
    /// Urgent decisions outside meetings, ratified at the next meeting.
    UrgentDecisions,
    /// An action plan for any forecast over- or underspend.
    ActionPlans,
    /// How often the board meets (quarterly).
    Meetings,
    /// The agenda and papers so many working days before a meeting.
    Papers,
    /// The monthly finance and performance report, meeting or not.
    MonthlyReports,
    /// Decisions only at quorate meetings, by the voting seats, unanimous.
    Decisions,
    /// The lead commissioner's discretion when partners disagree on a service element.
    LeadDiscretion,
    /// Minutes to members within so many days.
    Minutes,
    /// Views of those attending, recorded in the minutes.
    Views,
    /// Confidential items.
    Confidentiality,
}

impl BoardRule {
    pub const ALL: [BoardRule; 17] = [
        BoardRule::Members,
        BoardRule::Deputies,
        BoardRule::AlternativeDeputies,
        BoardRule::Quorum,
        BoardRule::Changes,
        BoardRule::Replacement,
        BoardRule::Guests,
        BoardRule::UrgentDecisions,
        BoardRule::ActionPlans,
        BoardRule::Meetings,
        BoardRule::Papers,
        BoardRule::MonthlyReports,
        BoardRule::Decisions,
        BoardRule::LeadDiscretion,
        BoardRule::Minutes,
        BoardRule::Views,
        BoardRule::Confidentiality,
    ];

    /// Its key in `[board] clauses`.
    pub fn key(self) -> &'static str {
        match self {
            BoardRule::Members => "members",
            BoardRule::Deputies => "deputies",
            BoardRule::AlternativeDeputies => "alternative_deputies",
            BoardRule::Quorum => "quorum",
            BoardRule::Changes => "changes",
            BoardRule::Replacement => "replacement",
            BoardRule::Guests => "guests",
            BoardRule::UrgentDecisions => "urgent_decisions",
            BoardRule::ActionPlans => "action_plans",
            BoardRule::Meetings => "meetings",
            BoardRule::Papers => "papers",
            BoardRule::MonthlyReports => "monthly_reports",
            BoardRule::Decisions => "decisions",
            BoardRule::LeadDiscretion => "lead_discretion",
            BoardRule::Minutes => "minutes",
            BoardRule::Views => "views",
            BoardRule::Confidentiality => "confidentiality",
        }
    }

    /// The rule in words, cited where the agreement gives no clause for it.
    pub fn words(self) -> &'static str {
        match self {
            BoardRule::Members => "voting and non-voting members",
            BoardRule::Deputies => "deputies nominated in writing",
            BoardRule::AlternativeDeputies => "alternative deputies",
            BoardRule::Quorum => "quorum",
            BoardRule::Changes => "changes by written notification",
            BoardRule::Replacement => "replacement of the board",
            BoardRule::Guests => "invited representatives",
            BoardRule::UrgentDecisions => "urgent decisions",
            BoardRule::ActionPlans => "action plans",
            BoardRule::Meetings => "quarterly meetings",
            BoardRule::Papers => "agenda and papers",
            BoardRule::MonthlyReports => "monthly reports",
            BoardRule::Decisions => "decision making",
            BoardRule::LeadDiscretion => "lead commissioner's discretion",
            BoardRule::Minutes => "minutes",
            BoardRule::Views => "views in the minutes",
            BoardRule::Confidentiality => "confidentiality",
        }
    }

    pub fn from_key(key: &str) -> Option<BoardRule> {
        BoardRule::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// One of the board's numbered terms, as the files name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardTerm {
    QuorumPerPartner,
    AgendaWorkingDays,
    MinutesWithinDays,
}

impl Board {
    /// Voting members per partner for a quorum: at least one; more than fifty is a typo.
    pub const QUORUM_PER_PARTNER: RangeInclusive<u32> = 1..=50;
    /// Working days before a meeting that its agenda and papers go out: up to six weeks.
    pub const AGENDA_WORKING_DAYS: RangeInclusive<u32> = 1..=30;
    /// Days after a meeting within which its minutes go out: up to a quarter.
    pub const MINUTES_WITHIN_DAYS: RangeInclusive<u32> = 1..=90;

    /// Each of a board's numbers outside the range pooled accepts (an agenda due four
    /// billion working days ahead, in 1621 by the calendar's arithmetic, is a typo), with
    /// what to say: the one check for the agreement's board and the bodies that replace it.
    pub fn terms_out_of_range(
        quorum_per_partner: u32,
        agenda_working_days: u32,
        minutes_within_days: u32,
    ) -> Vec<(BoardTerm, String)> {
        [
            (
                BoardTerm::QuorumPerPartner,
                "`quorum_per_partner`",
                quorum_per_partner,
                Board::QUORUM_PER_PARTNER,
                "voting members per partner",
            ),
            (
                BoardTerm::AgendaWorkingDays,
                "`agenda_working_days`",
                agenda_working_days,
                Board::AGENDA_WORKING_DAYS,
                "working days",
            ),
            (
                BoardTerm::MinutesWithinDays,
                "`minutes_within_days`",
                minutes_within_days,
                Board::MINUTES_WITHIN_DAYS,
                "days",
            ),
        ]
        .into_iter()
        .filter_map(|(term, what, value, range, unit)| Some((term, out_of_range(what, value, range, unit)?)))
        .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub role: String,
    pub name: Option<String>,
    pub partner: PartnerIx,
    pub voting: bool,
    pub chair: bool,
    /// The person nominated in writing as this member's deputy.
    pub deputy: Option<String>,
}

impl Agreement {
    /// Reads and validates an agreement file. On success, the warnings (such as declared
    /// totals that differ from the sums); otherwise every problem found.
    pub fn parse(text: &str) -> Result<(Agreement, Vec<Diagnostic>), Vec<Diagnostic>> {
        parse::parse(text)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn financial_year(&self) -> FinancialYear {
        self.financial_year
    }
    pub fn start(&self) -> Date {
        self.start
    }
    pub fn end(&self) -> Option<Date> {
        self.end
    }
    pub fn declared_total(&self) -> Option<Money> {
        self.declared_total
    }
    pub fn partners(&self) -> &[Partner] {
        &self.partners
    }
    /// The funding streams, in the file's order; none when the agreement declares none.
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }
    pub fn bcf(&self) -> &Bcf {
        &self.bcf
    }
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }
    pub fn payments(&self) -> Option<&Payments> {
        self.payments.as_ref()
    }
    pub fn termination(&self) -> Option<Termination> {
        self.termination
    }
    pub fn board(&self) -> Option<&Board> {
        self.board.as_ref()
    }
    pub fn reporting(&self) -> &Reporting {
        &self.reporting
    }

    /// The metrics and KPIs it reports (`[performance]`); empty when it has none.
    pub fn performance(&self) -> &Performance {
        &self.performance
    }

    /// The partner whose original id is `id`: the stable key, as the agreement file and
    /// stored records name partners.
    pub fn partner_ix(&self, id: &str) -> Option<PartnerIx> {
        self.partners.iter().position(|p| p.id == id)
    }

    /// The partner an id names in a file about `day`: a partner's own id (on any day, so
    /// that history keeps its names), or its successor's from the succession date on.
    /// Otherwise what to say: the id is unknown (listing the partners), or the successor
    /// did not yet hold the place on that day (naming the date).
    pub fn partner_on(&self, id: &str, day: Date) -> Result<PartnerIx, String> {
        if let Some(ix) = self.partner_ix(id) {
            return Ok(ix);
        }
        let succeeded = self
            .partners
            .iter()
            .enumerate()
            .find_map(|(ix, p)| p.succeeded_by.as_ref().filter(|s| s.id == id).map(|s| (ix, p, s)));
        match succeeded {
            Some((ix, _, s)) if day >= s.from => Ok(ix),
            Some((_, p, s)) => {
                Err(format!("`{id}` holds {}'s place only from {}: on {day} it is `{}`", p.id, s.from, p.id))
            }
            None => Err(format!("unknown partner `{id}` (partners are {})", self.partners_listed())),
        }
    }

    /// The partners as lists in messages name them, successors with their dates.
    pub fn partners_listed(&self) -> String {
        self.partners.iter().map(Partner::listed).collect::<Vec<_>>().join(", ")
    }

    /// The body holding `partner`'s place on `day` (its successor from the succession date).
    pub fn body_on(&self, partner: PartnerIx, day: Date) -> Body {
        self.partners[partner].body_on(day)
    }

    /// The body holding `partner`'s place on the last day of the financial year: the one
    /// the year-end settlement and its invoices name.
    pub fn body_at_year_end(&self, partner: PartnerIx) -> Body {
        self.body_on(partner, self.financial_year.last_day())
    }

    pub fn pool(&self, id: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.id == id)
    }

    /// What to cite beside a result of a board rule outside a meeting (an action plan
    /// in the monthly report): the board's clause, or the rule in words.
    pub fn cite(&self, rule: BoardRule) -> &str {
        self.clause(rule).unwrap_or(rule.words())
    }

    /// The board's clause behind `rule`, if the agreement file gives one.
    pub fn clause(&self, rule: BoardRule) -> Option<&str> {
        self.board.as_ref().and_then(|b| b.clause(rule))
    }

    /// The sum of every line's budget in every pool.
    pub fn total_budget(&self) -> Money {
        self.pools.iter().map(Pool::total_budget).sum()
    }
}

impl Pool {
    pub fn line_ix(&self, id: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.id == id)
    }

    pub fn total_budget(&self) -> Money {
        self.lines.iter().map(Line::budget).sum()
    }

    /// Each partner's total contribution to the pool (zero where it gives nothing).
    pub fn contributions(&self, partners: usize) -> Vec<Money> {
        let mut totals = vec![Money::ZERO; partners];
        for line in &self.lines {
            if let Funding::Contributions(by_partner) = &line.funding {
                for (total, c) in totals.iter_mut().zip(by_partner) {
                    *total += *c;
                }
            }
        }
        totals
    }
}

impl Line {
    pub fn budget(&self) -> Money {
        match &self.funding {
            Funding::Contributions(by_partner) => by_partner.iter().sum(),
            Funding::Budget(b) => *b,
        }
    }
}

/// One term of an agreement as text, keyed by ids, so two versions compare term by term.
struct Fact {
    key: String,
    value: String,
}

/// The terms that changed from `old` to `new` other than lines' names and funding (which a
/// [`crate::variation::Diff`] sets out for itself), one a line in the agreement's order:
/// `pool OP / line bcf / risk: shared, in base true -> borne by OCCG, in base false`.
pub(crate) fn changed_terms(old: &Agreement, new: &Agreement) -> Vec<String> {
    let (old, new) = (old.facts(), new.facts());
    let mut changes = Vec::new();
    for Fact { key, value: before } in &old {
        match new.iter().find(|f| f.key == *key) {
            None => changes.push(format!("{key}: {before} -> (removed)")),
            Some(Fact { value: after, .. }) if after != before => changes.push(format!("{key}: {before} -> {after}")),
            Some(_) => {}
        }
    }
    for Fact { key, value: after } in &new {
        if !old.iter().any(|f| f.key == *key) {
            changes.push(format!("{key}: (added) -> {after}"));
        }
    }
    changes
}

impl Agreement {
    /// The agreement as facts (what, value), ids rather than indices, so that two versions
    /// can be compared fact by fact.
    fn facts(&self) -> Vec<Fact> {
        let term = |key: String, value: String| Fact { key, value };
        let partner = |ix: PartnerIx| self.partners.get(ix).map_or("?", |p| p.id.as_str());
        let mut f: Vec<Fact> = vec![
            term("agreement id".into(), self.id.clone()),
            term("agreement name".into(), self.name.clone()),
            term("financial year".into(), self.financial_year.to_string()),
            term("start".into(), self.start.to_string()),
            term("end".into(), self.end.map_or("open-ended".into(), |d| d.to_string())),
            term("declared total".into(), self.declared_total.map_or("none".into(), |m| m.to_string())),
        ];
        for p in &self.partners {
            f.push(term(format!("partner {}", p.id), format!("{} ({:?})", p.name, p.kind)));
            if let Some(s) = &p.succeeded_by {
                f.push(term(
                    format!("partner {} succeeded by", p.id),
                    format!("{} ({}) from {}", s.id, s.name, s.from),
                ));
            }
        }
        for stream in &self.streams {
            f.push(term(
                format!("stream {}", stream.id),
                format!(
                    "{} ({}) from {}, allocation {}",
                    stream.name,
                    stream.kind.key(),
                    partner(stream.from),
                    stream.allocation
                ),
            ));
        }
        if let Some(year) = self.bcf.scheme_types {
            f.push(term("scheme types".into(), year.key().to_string()));
        }
        let stream = |ix: usize| self.streams.get(ix).map_or("?", |s| s.id.as_str());
        for pool in &self.pools {
            let at = format!("pool {}", pool.id);
            f.push(term(at.clone(), format!("{} ({:?}), host {}", pool.name, pool.kind, partner(pool.host))));
            let share = match &pool.risk_share {
                None => "none".to_string(),
                Some(RiskShareBasis::GrossContributions { decimals }) => {
                    format!("gross contributions, {decimals} decimals")
                }
                Some(RiskShareBasis::Fixed { shares }) => {
                    let s: Vec<String> =
                        shares.iter().enumerate().map(|(i, p)| format!("{} {p}%", partner(i))).collect();
                    format!("fixed {}", s.join(", "))
                }
            };
            f.push(term(format!("{at} / risk share"), share));
            for (ix, income) in pool.income.iter().enumerate().filter(|(_, m)| **m != Money::ZERO) {
                f.push(term(format!("{at} / income {}", partner(ix)), income.to_string()));
            }
            for line in &pool.lines {
                let at = format!("{at} / line {}", line.id);
                let risk = match line.risk {
                    Risk::Shared => "shared".to_string(),
                    Risk::Lead => "lead".to_string(),
                    Risk::BorneBy(p) => format!("borne by {}", partner(p)),
                };
                f.push(term(format!("{at} / risk"), format!("{risk}, in base {}", line.in_base)));
                f.push(term(format!("{at} / held by"), partner(line.held_by).to_string()));
                if !line.funded_by.is_empty() {
                    let funded: Vec<String> =
                        line.funded_by.iter().map(|s| format!("{} {}", stream(s.stream), s.amount)).collect();
                    f.push(term(format!("{at} / funded by"), funded.join(", ")));
                }
                if let Some(scheme) = &line.scheme {
                    f.push(term(format!("{at} / scheme"), scheme.describe()));
                }
            }
            for rule in &pool.rules {
                let RuleKind::UnderspendClawback { line, to, cap } = rule.kind;
                let line = pool.lines.get(line).map_or("?", |l| l.id.as_str());
                f.push(term(
                    format!("{at} / rule {}", rule.id),
                    format!("clawback on {line} to {} capped at {cap}", partner(to)),
                ));
            }
            for s in &pool.savings {
                let line = pool.lines.get(s.line).map_or("?", |l| l.id.as_str());
                f.push(term(
                    format!("{at} / saving {}", s.id),
                    format!("{} by {} on {line}, strategy agreed {}", s.amount, partner(s.by), s.strategy_agreed),
                ));
            }
        }
        if let Some(p) = &self.payments {
            for (ix, months) in p.in_advance_months.iter().enumerate().filter(|(_, m)| **m > 0) {
                f.push(term(format!("payments in advance {}", partner(ix)), format!("{months} months")));
            }
        }
        if let Some(t) = &self.termination {
            f.push(term(
                "notice".into(),
                format!(
                    "{} months, {} without a contribution agreement",
                    t.notice_months, t.no_contribution_agreement_months
                ),
            ));
        }
        if let Some(t) = &self.reporting.line_threshold {
            f.push(term("action plans for a line from".into(), t.words()));
        }
        if let Some(b) = &self.board {
            f.push(term("board".into(), format!("{}, quorum {} per partner", b.name, b.quorum_per_partner)));
            for (rule, clause) in &b.clauses {
                f.push(term(format!("board clause {}", rule.key()), clause.clone()));
            }
            for m in &b.members {
                let deputy = m.deputy.as_deref().map_or(String::new(), |d| format!(", deputy {d}"));
                let vote = if m.voting { "voting" } else { "non-voting" };
                f.push(term(
                    format!("board member {}", m.id),
                    format!("{} ({}, {vote}{deputy})", m.role, partner(m.partner)),
                ));
            }
        }
        f
    }
}

#[cfg(test)]
pub(crate) mod tests;
