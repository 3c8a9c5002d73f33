//! Variations that keep history (docs/rules.md): loading an agreement, a changed file of
//! the same agreement and year being a new version that takes effect on a day and is
//! approved by someone; the versions of an agreement's year with what each changed; the
//! year's instalments across them; the month the budgets in reports change from.

use pooled_core::agreement::Agreement;
use pooled_core::calendar::FiscalMonth;
use pooled_core::payments::{Instalment, schedule_across};
use pooled_core::variation::{Diff, Version};
use pooled_store::{AgreementVersion, AgreementYear, Approval, LoadOutcome, PaymentEntry, Store, in_transaction};

use crate::{AppError, Result, agreement_year, input, plan};

/// The result of loading an agreement file.
pub struct Loaded {
    /// The agreement's id and year, as its file gives them.
    pub key: AgreementYear,
    pub outcome: LoadOutcome,
    /// For a variation, what changed, one change a line (as [`Diff::words`] says it).
    pub changes: String,
    /// The file's warnings, rendered, then the stored plan's lines that no longer add up
    /// to the agreement's budgets.
    pub warnings: Vec<String>,
}

/// Loads an agreement file into the store under its id and financial year: a new id (or
/// year) is a new agreement; a changed file with the same id and year is a variation,
/// recorded as a new version with what changed, the day it takes effect and who approved
/// it (`approval`). `allowed` is the caller's rule on who may load the agreement, given
/// its id and year as the file says them (an `Err` says why not: [`AppError::Forbidden`]
/// for someone who may not, [`AppError::Input`] for a file the caller did not expect). Refused, with nothing changed: an effective day outside the
/// agreement's year, before the current version's, or given for a first version; a
/// variation without one once instalments are invoiced or paid, ledgers imported or
/// forecasts entered; a variation after which a partner's instalments cannot add up to
/// its new contribution. Warns when the stored cost-centre plan no longer adds up to the
/// lines' budgets.
pub fn load_agreement(
    store: &mut dyn Store,
    file: &str,
    text: &str,
    approval: &Approval,
    actor: &str,
    allowed: impl FnOnce(&AgreementYear) -> Result<()>,
) -> Result<Loaded> {
    let (agreement, warnings) = Agreement::parse(text).map_err(|e| input(file, &e, text))?;
    let mut warnings: Vec<String> = warnings.iter().map(|w| w.render(file, text)).collect();
    let key = agreement_year(&agreement);
    allowed(&key)?;
    let refused = |why: String| AppError::Input(vec![format!("{file}: {why}")]);
    if let Some(day) = approval.effective.filter(|day| !key.year.contains(*day)) {
        let year = key.year;
        return Err(refused(format!(
            "the variation cannot take effect on {day}, outside the agreement's financial year {year} ({} to {})",
            year.first_day(),
            year.last_day()
        )));
    }
    if let (Some(day), None) = (approval.effective, &approval.approved_by) {
        return Err(refused(format!(
            "the variation takes effect on {day}: say who approved it (`--approved-by TEXT`, a board decision, say)"
        )));
    }
    in_transaction(store, |store| {
        let versions = versions_of(store, &key)?;
        let Some(current) = versions.last() else {
            if let Some(day) = approval.effective {
                return Err(refused(format!(
                    "agreement {key} is not loaded yet: its first version takes effect from the start of the year, not {day}; load it without an effective day"
                )));
            }
            let outcome = store.load_agreement(&key, text, "", approval, actor)?;
            return Ok(Loaded { key: key.clone(), outcome, changes: String::new(), warnings });
        };
        if current.stored.text == text {
            let outcome = store.load_agreement(&key, text, "", approval, actor)?;
            return Ok(Loaded { key: key.clone(), outcome, changes: String::new(), warnings });
        }
        let entries = store.payment_entries(&key)?;
        match (approval.effective, current.stored.approval.effective) {
            (None, _) => {
                let happened = what_happened(store, &key, &entries)?;
                if !happened.is_empty() {
                    return Err(refused(format!(
                        "agreement {key} already has {}: a variation must say the day it takes effect (`--effective DATE`, with who approved it, `--approved-by TEXT`), so that what happened before it stays as it was",
                        happened.join(", ")
                    )));
                }
            }
            (Some(day), Some(earlier)) if day < earlier => {
                return Err(refused(format!(
                    "the variation cannot take effect on {day}, before the current version {} took effect on {earlier}: versions take effect in the order they are loaded",
                    current.stored.version
                )));
            }
            _ => {}
        }
        // The year's instalments must still add up to each partner's new contribution.
        let mut all: Vec<Version> = versions.iter().map(LoadedVersion::version).collect();
        all.push(Version { agreement: &agreement, effective: approval.effective });
        let recorded: Vec<usize> =
            (versions.iter().map(|v| v.recorded())).chain(std::iter::once(entries.len())).collect();
        schedule_across(&all, &fixed_by(&entries, &recorded)).map_err(|e| refused(e.to_string()))?;
        let changes = Diff::between(&current.agreement, &agreement).words().join("\n");
        let outcome = store.load_agreement(&key, text, &changes, approval, actor)?;
        warnings.extend(plan_mismatches(store, &agreement)?);
        Ok(Loaded { key: key.clone(), outcome, changes, warnings })
    })
}

/// What has happened under an agreement's year that a variation must not rewrite, in
/// words: `instalments invoiced or paid (6 entries), ledger imports (2)`.
fn what_happened(store: &dyn Store, key: &AgreementYear, entries: &[PaymentEntry]) -> Result<Vec<String>> {
    let counted = [
        ("instalments invoiced or paid", entries.len(), "entries"),
        ("ledger imports", store.imports(key)?.len(), ""),
        ("forecasts", store.forecasts(key)?.len(), ""),
    ];
    Ok(counted
        .into_iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(what, n, unit)| if unit.is_empty() { format!("{what} ({n})") } else { format!("{what} ({n} {unit})") })
        .collect())
}

/// The stored plan's lines that no longer add up to `agreement`'s budgets, as warnings;
/// none when no plan is stored.
fn plan_mismatches(store: &dyn Store, agreement: &Agreement) -> Result<Vec<String>> {
    let key = agreement_year(agreement);
    if store.plan(&key)?.is_empty() {
        return Ok(Vec::new());
    }
    let problems = match plan(store, agreement) {
        Ok(plan) => plan.budget_mismatches(agreement),
        Err(AppError::Input(problems)) => problems,
        Err(e) => return Err(e),
    };
    Ok(problems
        .into_iter()
        .map(|p| format!("warning: the stored cost-centre plan of {key} no longer adds up to the agreement: {p}; load the plan again"))
        .collect())
}

/// A stored version of an agreement's year, parsed.
pub struct LoadedVersion {
    pub stored: AgreementVersion,
    pub agreement: Agreement,
}

impl LoadedVersion {
    fn version(&self) -> Version<'_> {
        Version { agreement: &self.agreement, effective: self.stored.approval.effective }
    }

    /// How many of the year's payment entries came before this version.
    fn recorded(&self) -> usize {
        usize::try_from(self.stored.payments_recorded).unwrap_or(usize::MAX)
    }
}

/// Every version of an agreement's year, oldest first, parsed.
fn versions_of(store: &dyn Store, key: &AgreementYear) -> Result<Vec<LoadedVersion>> {
    store
        .agreement_versions(key)?
        .into_iter()
        .map(|stored| {
            let (agreement, _) = Agreement::parse(&stored.text)
                .map_err(|e| input(&format!("stored agreement {key} v{}", stored.version), &e, &stored.text))?;
            Ok(LoadedVersion { stored, agreement })
        })
        .collect()
}

/// A version of an agreement's year with what it changed from the one before.
pub struct VersionRecord {
    pub version: LoadedVersion,
    /// `None` for the first version.
    pub diff: Option<Diff>,
}

/// Every version of an agreement's year, oldest first, each with its effective day,
/// approval and what it changed.
pub fn variations(store: &dyn Store, key: &AgreementYear) -> Result<Vec<VersionRecord>> {
    let versions = versions_of(store, key)?;
    let diffs: Vec<Option<Diff>> = std::iter::once(None)
        .chain(versions.windows(2).map(|pair| Some(Diff::between(&pair[0].agreement, &pair[1].agreement))))
        .collect();
    Ok(versions.into_iter().zip(diffs).map(|(version, diff)| VersionRecord { version, diff }).collect())
}

/// Whether an instalment (pool, paying partner's id, month) is fixed at the variation
/// that `recorded[v]` entries came before: anything was recorded against it by then.
fn fixed_by<'a>(
    entries: &'a [PaymentEntry],
    recorded: &'a [usize],
) -> impl Fn(usize, &str, &str, FiscalMonth) -> bool + 'a {
    move |version, pool, from, month| {
        let before = recorded.get(version).copied().unwrap_or(entries.len()).min(entries.len());
        entries[..before].iter().any(|e| e.pool == pool && e.from == from && e.month == month)
    }
}

/// The year's instalments across the versions of its agreement: each variation keeps what
/// was invoiced, paid or due before it and re-profiles the rest (docs/rules.md, variations).
pub fn year_schedule(store: &dyn Store, key: &AgreementYear, entries: &[PaymentEntry]) -> Result<Vec<Instalment>> {
    let versions = versions_of(store, key)?;
    let all: Vec<Version> = versions.iter().map(LoadedVersion::version).collect();
    let recorded: Vec<usize> = versions.iter().map(LoadedVersion::recorded).collect();
    schedule_across(&all, &fixed_by(entries, &recorded))
        .map_err(|e| AppError::Input(vec![format!("the instalments of agreement {key}: {e}")]))
}

/// The month from which the current version's budgets are in force in reports.
pub fn budgets_from(current: &Agreement, stored: &AgreementVersion) -> FiscalMonth {
    Version { agreement: current, effective: stored.approval.effective }.budgets_from()
}
