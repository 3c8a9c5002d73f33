//! Who may change what: the one place that maps a role (and a partner finance officer's
//! partner, a budget holder's cost centres) to the writes it may make. Pages and the API
//! both ask here before they write; reading the figures is open to every signed-in role,
//! since the partners share the pooled budgets' figures (the pool manager reports to all
//! the board's members), except for what is named below.

use pooled_core::agreement::Agreement;
use pooled_core::metrics::Series;
use pooled_store::{AuditEntry, Role, User};

/// A change someone asks to make.
#[derive(Clone, Copy, Debug)]
pub enum Write<'a> {
    /// Import a partner's ledger extract for a period (or replace it).
    ImportLedger { partner: &'a str },
    /// Enter a forecast outturn for a cost centre of `partner`.
    SetForecast { partner: &'a str, cost_centre: &'a str },
    /// Record that a contribution instalment was paid, `from` one partner `to` another.
    RecordPayment { from: &'a str, to: &'a str },
    /// Load an agreement, or a variation of it (its terms, the day it takes effect and
    /// who approved it): the pool manager, who keeps the agreement, and administrators.
    LoadAgreement { agreement: &'a str },
    /// Record what a saving moved into a pool without an agreed delivery strategy will
    /// deliver or delivered. The pool manager's alone, who reports the pool's forecast
    /// and settles it at the year's end.
    RecordSaving,
    /// Enter the plans and actuals of a metric or KPI (`series`, its id); `partner` is the
    /// partner a KPI names as whose figures they are, none for the national metrics and
    /// the pool manager's KPIs.
    EnterMetrics { series: &'a str, partner: Option<&'a str> },
    /// Create or revoke one's own API tokens.
    OwnApiTokens,
    /// Write what the area states in a return to NHS England: who completed it, the
    /// narrative, each condition's assurance statement. The pool manager's alone, who is
    /// responsible for the Better Care Fund plan's delivery (2022 report para 22(c), 27);
    /// everyone acting in the agreement reads them.
    ReturnStatements,
    /// Keep the board's records: its register, meetings, attendance, decisions and
    /// minutes. The pool manager's alone (who keeps the minutes); not even an administrator's, who
    /// would then see confidential items.
    BoardRecords,
}

/// Whether `user` may make `write`; if not, why not, in words for the page.
pub fn check(user: &User, write: Write<'_>) -> Result<(), String> {
    let own_partner = |p: &str| user.partner.as_deref() == Some(p);
    let allowed = match (user.role, write) {
        (_, Write::OwnApiTokens) => true,
        (Role::PoolManager, Write::BoardRecords) => true,
        (_, Write::BoardRecords) => false,
        (Role::Administrator | Role::PoolManager, Write::LoadAgreement { agreement }) => acts_in(user, agreement),
        (_, Write::LoadAgreement { .. }) => false,
        (Role::PoolManager, Write::RecordSaving) => true,
        (_, Write::RecordSaving) => false,
        (Role::PoolManager, Write::ReturnStatements) => true,
        (_, Write::ReturnStatements) => false,
        (Role::Administrator | Role::PoolManager, _) => true,
        (Role::PartnerFinance, Write::ImportLedger { partner }) => own_partner(partner),
        (Role::PartnerFinance, Write::SetForecast { partner, .. }) => own_partner(partner),
        (Role::PartnerFinance, Write::RecordPayment { from, to }) => own_partner(from) || own_partner(to),
        (Role::PartnerFinance, Write::EnterMetrics { partner, .. }) => partner.is_some_and(own_partner),
        (Role::BudgetHolder, Write::SetForecast { cost_centre, .. }) => {
            user.cost_centres.iter().any(|c| c == cost_centre)
        }
        (Role::BudgetHolder | Role::BoardMember | Role::Viewer, _) => false,
    };
    if allowed { Ok(()) } else { Err(refusal(user, write)) }
}

fn refusal(user: &User, write: Write<'_>) -> String {
    let what = match write {
        Write::ImportLedger { partner } => format!("import {partner}'s ledger"),
        Write::SetForecast { cost_centre, partner } => format!("enter forecasts for {cost_centre} ({partner})"),
        Write::RecordPayment { from, to } => format!("record payments from {from} to {to}"),
        Write::LoadAgreement { agreement } => format!("load or vary agreement {agreement}"),
        Write::EnterMetrics { series, .. } => format!("enter figures of {series}"),
        Write::OwnApiTokens => "manage API tokens".to_string(),
        Write::BoardRecords => "change the board's records".to_string(),
        Write::RecordSaving => "record what unagreed savings deliver".to_string(),
        Write::ReturnStatements => "write the returns' statements to NHS England".to_string(),
    };
    format!("{}, who cannot {what}.", signed_in_as(user))
}

/// Whether `user` may enter the figures of a series of `agreement`: the pool manager any;
/// a partner's finance officer those of a KPI naming their partner, by its own id or its
/// successor's (the ICB's officers enter the CCG's figures). The rule the pages and the
/// API give `pooled_app::metrics` ([`crate::actions::set_metrics`]), and the pages ask to
/// offer only the series one may enter.
pub fn enters_series(user: &User, agreement: &Agreement, series: &Series) -> Result<(), String> {
    let Some(partner) = series.partner.map(|ix| &agreement.partners()[ix]) else {
        return check(user, Write::EnterMetrics { series: &series.id, partner: None });
    };
    let as_successor = partner.succeeded_by.as_ref().map(|s| s.id.as_str());
    let first = check(user, Write::EnterMetrics { series: &series.id, partner: Some(&partner.id) });
    match (first, as_successor) {
        (Err(_), Some(id)) => check(user, Write::EnterMetrics { series: &series.id, partner: Some(id) }),
        (first, _) => first,
    }
}

/// `You are signed in as Ann (a finance officer of OCC)`: how every refusal begins.
fn signed_in_as(user: &User) -> String {
    let who = match (&user.partner, user.role) {
        (Some(p), Role::PartnerFinance) => format!("a finance officer of {p}"),
        (_, role) => format!("a {}", role_label(role).to_lowercase()),
    };
    format!("You are signed in as {} ({who})", user.display_name)
}

/// Whether `user` acts in the agreement with this id: one of the account's agreements, or
/// any when it names none (an installation with one agreement names none).
pub fn acts_in(user: &User, agreement: &str) -> bool {
    user.agreements.is_empty() || user.agreements.iter().any(|a| a == agreement)
}

/// Whether `user` may see the agreement with this id, its pages, downloads and API
/// answers, and act in it as their role allows: only if they act in it ([`acts_in`]).
pub fn sees(user: &User, agreement: &str) -> Result<(), String> {
    if acts_in(user, agreement) {
        Ok(())
    } else {
        Err(format!("{}, who does not act in the agreement {agreement}.", signed_in_as(user)))
    }
}

/// Only the board's members see its confidential items: board members, and the pool
/// manager, who sits on the board and keeps its minutes. Not an administrator, who runs
/// the system but does not sit on the board.
pub fn sees_confidential(user: &User) -> bool {
    matches!(user.role, Role::BoardMember | Role::PoolManager)
}

/// The audit log names who changed what; finance staff and the pool manager reconcile
/// with it, and the board's members hold the pool manager to account.
pub fn reads_audit_log(user: &User) -> bool {
    !matches!(user.role, Role::Viewer | Role::BudgetHolder)
}

/// Which of the log's entries `user` reads (on the page, its downloads and the API), once
/// [`reads_audit_log`]: those of the agreements they act in ([`acts_in`]); those of no
/// agreement (accounts, sign-ins, API tokens) administrators alone, who keep the accounts.
pub fn reads_audit_entry(user: &User, entry: &AuditEntry) -> bool {
    match entry.agreement() {
        Some(agreement) => acts_in(user, agreement),
        None => user.role == Role::Administrator,
    }
}

/// The role as a page names it.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Administrator => "Administrator",
        Role::PoolManager => "Pool manager",
        Role::PartnerFinance => "Partner finance officer",
        Role::BudgetHolder => "Budget holder",
        Role::BoardMember => "Board member",
        Role::Viewer => "Viewer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, partner: Option<&str>, cost_centres: &[&str]) -> User {
        User {
            id: 1,
            username: "ann".into(),
            display_name: "Ann".into(),
            role,
            partner: partner.map(str::to_string),
            cost_centres: cost_centres.iter().map(|c| c.to_string()).collect(),
            agreements: Vec::new(),
            password_hash: "x".into(),
            disabled: false,
        }
    }

    /// (role, partner, cost centres, write, allowed)
    type Case<'a> = (Role, Option<&'a str>, &'a [&'a str], Write<'a>, bool);

    #[test]
    fn the_role_matrix() {
        let occ_forecast = Write::SetForecast { partner: "OCC", cost_centre: "OCC-OP01-001" };
        let occg_forecast = Write::SetForecast { partner: "OCCG", cost_centre: "OCCG-OP01-001" };
        let occ_import = Write::ImportLedger { partner: "OCC" };
        let payment = Write::RecordPayment { from: "OCCG", to: "OCC" };
        let vary = Write::LoadAgreement { agreement: "oxon-s75" };
        let national = Write::EnterMetrics { series: "emergency-admissions-65", partner: None };
        let occ_kpi = Write::EnterMetrics { series: "home-support.new-hours", partner: Some("OCC") };
        let cases: &[Case] = &[
            (Role::Administrator, None, &[], occg_forecast, true),
            (Role::PoolManager, None, &[], occ_import, true),
            (Role::PoolManager, None, &[], payment, true),
            (Role::PartnerFinance, Some("OCC"), &[], occ_forecast, true),
            (Role::PartnerFinance, Some("OCC"), &[], occg_forecast, false),
            (Role::PartnerFinance, Some("OCC"), &[], occ_import, true),
            (Role::PartnerFinance, Some("OCCG"), &[], occ_import, false),
            (Role::PartnerFinance, Some("OCC"), &[], payment, true),
            (Role::PartnerFinance, Some("OCCG"), &[], payment, true),
            (Role::PartnerFinance, Some("HESC"), &[], payment, false),
            (Role::BudgetHolder, None, &["OCC-OP01-001"], occ_forecast, true),
            (Role::BudgetHolder, None, &["OCC-OP01-002"], occ_forecast, false),
            (Role::BudgetHolder, None, &["OCC-OP01-001"], occ_import, false),
            (Role::BoardMember, None, &[], occ_forecast, false),
            (Role::Viewer, None, &[], occ_forecast, false),
            (Role::Viewer, None, &[], occ_import, false),
            (Role::Viewer, None, &[], payment, false),
            (Role::Viewer, None, &[], Write::OwnApiTokens, true),
            (Role::PoolManager, None, &[], Write::BoardRecords, true),
            (Role::Administrator, None, &[], Write::BoardRecords, false),
            (Role::BoardMember, None, &[], Write::BoardRecords, false),
            (Role::PartnerFinance, Some("OCC"), &[], Write::BoardRecords, false),
            (Role::PoolManager, None, &[], vary, true),
            (Role::Administrator, None, &[], vary, true),
            (Role::PartnerFinance, Some("OCC"), &[], vary, false),
            (Role::BoardMember, None, &[], vary, false),
            (Role::Viewer, None, &[], vary, false),
            (Role::PoolManager, None, &[], Write::RecordSaving, true),
            (Role::Administrator, None, &[], Write::RecordSaving, false),
            (Role::PartnerFinance, Some("OCC"), &[], Write::RecordSaving, false),
            (Role::BudgetHolder, None, &["OCC-OP01-001"], Write::RecordSaving, false),
            (Role::BoardMember, None, &[], Write::RecordSaving, false),
            (Role::Viewer, None, &[], Write::RecordSaving, false),
            (Role::PoolManager, None, &[], national, true),
            (Role::PoolManager, None, &[], occ_kpi, true),
            (Role::PartnerFinance, Some("OCC"), &[], occ_kpi, true),
            (Role::PartnerFinance, Some("OCCG"), &[], occ_kpi, false),
            (Role::PartnerFinance, Some("OCC"), &[], national, false),
            (Role::BudgetHolder, None, &["OCC-OP01-001"], occ_kpi, false),
            (Role::BoardMember, None, &[], national, false),
            (Role::Viewer, None, &[], occ_kpi, false),
            (Role::PoolManager, None, &[], Write::ReturnStatements, true),
            (Role::Administrator, None, &[], Write::ReturnStatements, false),
            (Role::PartnerFinance, Some("OCC"), &[], Write::ReturnStatements, false),
            (Role::BudgetHolder, None, &["OCC-OP01-001"], Write::ReturnStatements, false),
            (Role::BoardMember, None, &[], Write::ReturnStatements, false),
            (Role::Viewer, None, &[], Write::ReturnStatements, false),
        ];
        for (role, partner, cost_centres, write, allowed) in cases {
            let got = check(&user(*role, *partner, cost_centres), *write);
            assert_eq!(got.is_ok(), *allowed, "{role} {partner:?} {cost_centres:?} {write:?}: {got:?}");
        }
        let refused = check(&user(Role::PartnerFinance, Some("OCC"), &[]), occg_forecast).unwrap_err();
        assert_eq!(
            refused,
            "You are signed in as Ann (a finance officer of OCC), who cannot enter forecasts for OCCG-OP01-001 (OCCG)."
        );
    }

    #[test]
    fn an_account_acts_in_its_agreements_or_in_every_one() {
        let mut icb = user(Role::PartnerFinance, Some("BOB-ICB"), &[]);
        assert!(acts_in(&icb, "oxon-s75") && acts_in(&icb, "bucks-bcf"), "none named: every agreement");
        icb.agreements = vec!["oxon-s75".into(), "bucks-bcf".into()];
        assert!(acts_in(&icb, "oxon-s75") && acts_in(&icb, "bucks-bcf"));
        assert!(!acts_in(&icb, "berks-bcf"));
        assert_eq!(sees(&icb, "bucks-bcf"), Ok(()));
        assert_eq!(
            sees(&icb, "berks-bcf").unwrap_err(),
            "You are signed in as Ann (a finance officer of BOB-ICB), who does not act in the agreement berks-bcf."
        );
        // A pool manager varies only the agreements the account acts in.
        let mut manager = user(Role::PoolManager, None, &[]);
        manager.agreements = vec!["oxon-s75".into()];
        assert!(check(&manager, Write::LoadAgreement { agreement: "oxon-s75" }).is_ok());
        assert_eq!(
            check(&manager, Write::LoadAgreement { agreement: "bucks-bcf" }).unwrap_err(),
            "You are signed in as Ann (a pool manager), who cannot load or vary agreement bucks-bcf."
        );
    }

    #[test]
    fn only_the_boards_members_see_confidential_items() {
        for role in Role::ALL {
            let partner = (role == Role::PartnerFinance).then_some("OCC");
            let expected = matches!(role, Role::BoardMember | Role::PoolManager);
            assert_eq!(sees_confidential(&user(role, partner, &[])), expected, "{role}");
        }
    }
}
