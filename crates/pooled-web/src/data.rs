//! The application's state (the store pool and the parsed agreements) and what a page
//! loads from the store: a year's agreement, plan, actuals and forecasts, from which a
//! page builds the report for any month. A year's figures, and each month's report, are
//! kept until the records change ([`Store::last_change`] moves on; sign-ins, sign-outs
//! and other account changes do not move it), so a busy server reads them once per
//! change rather than once per request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use pooled_app::AgreementListing;
use pooled_app::clock::Clock;
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::payments::TrackedInstalment;
use pooled_core::plan::Plan;
use pooled_core::report::{Actuals, Consolidated, Forecasts, MonthlyReport, consolidated, monthly_report};
use pooled_core::savings::SavingRecords;
use pooled_store::{AgreementYear, AuditHead, SavingRecord, Store, StoreError, User};

use crate::access;

use crate::error::WebError;
use crate::imports::Jobs;
use crate::stores::{Opener, StorePool};
use tokio::sync::Semaphore;

/// The largest upload unless the server is told otherwise (`pooled serve --max-upload-mb`).
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 200 << 20;

/// Everything the handlers share.
pub struct Web {
    pub(crate) stores: Arc<StorePool>,
    pub(crate) backend: &'static str,
    /// Whether cookies are marked `Secure` (sent over HTTPS only); on unless the server
    /// is told it is reached over plain HTTP.
    pub(crate) secure_cookies: bool,
    /// Ledger imports started from the browser or the API, and where their uploads wait.
    pub(crate) imports: Jobs,
    pub(crate) upload_dir: PathBuf,
    /// The largest ledger extract an upload may bring, in bytes.
    pub(crate) max_upload_bytes: usize,
    /// How long a page, form or API call may take before it is given up.
    pub(crate) request_timeout: std::time::Duration,
    /// What day it is (in England): the system's clock unless told otherwise.
    pub(crate) clock: Clock,
    /// Parsed agreements by (agreement and year, version). A version's text never changes
    /// (a variation is a new version), so an entry never goes stale; parsing and
    /// validating the TOML is then paid once per version rather than on every request.
    agreements: Mutex<HashMap<(AgreementYear, u32), Arc<Agreement>>>,
    /// Bounds the Argon2id checks running at once (19 MiB and tens of milliseconds each),
    /// so a flood of sign-in attempts cannot take every thread or all the memory.
    password_checks: Semaphore,
    /// Each agreement's year's figures with the store's [`Store::last_change`] they were
    /// read after.
    years: Mutex<HashMap<AgreementYear, (i64, Arc<YearData>)>>,
}

impl Web {
    /// Opens the store at `location` (as `pooled_store::open` takes it) to check it is
    /// there, with room for up to `stores` open at once.
    /// Its uploads wait in [`crate::default_upload_dir`] unless told otherwise.
    pub fn open(location: &str, stores: usize) -> Result<Web, StoreError> {
        let path = location.to_string();
        let web = Web::with_opener(Box::new(move || pooled_store::open(&path)), stores)?;
        let upload_dir = crate::default_upload_dir(location, web.backend);
        Ok(Web { upload_dir, ..web })
    }

    /// As [`Web::open`], with stores opened by `open` (a PostgreSQL schema of a test's
    /// own); uploads wait in `pooled-uploads` in the working directory unless told otherwise.
    pub fn with_opener(open: Opener, stores: usize) -> Result<Web, StoreError> {
        let first = open()?;
        let backend = first.backend();
        Ok(Web {
            stores: Arc::new(StorePool::new(open, first, stores)),
            backend,
            secure_cookies: true,
            imports: Jobs::default(),
            upload_dir: PathBuf::from("pooled-uploads"),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            request_timeout: crate::edge::REQUEST_TIMEOUT,
            clock: Clock::System,
            agreements: Mutex::default(),
            years: Mutex::default(),
            password_checks: Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        })
    }

    /// Runs a password check on a blocking thread, at most one per core at once; `None`
    /// when the server is stopping.
    pub(crate) async fn check_password<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.password_checks.acquire().await.ok()?;
        tokio::task::spawn_blocking(check).await.ok()
    }

    /// Marks cookies `Secure` or not; see [`Web::secure_cookies`].
    pub fn with_secure_cookies(mut self, secure: bool) -> Web {
        self.secure_cookies = secure;
        self
    }

    /// Refuses uploads of more than `bytes`.
    pub fn with_max_upload(mut self, bytes: usize) -> Web {
        self.max_upload_bytes = bytes;
        self
    }

    /// Gives up a page, form or API call after `limit` (a minute unless told).
    pub fn with_request_timeout(mut self, limit: std::time::Duration) -> Web {
        self.request_timeout = limit;
        self
    }

    /// Reads the time and the day from `clock` (a fixed one, for tests).
    pub fn with_clock(mut self, clock: Clock) -> Web {
        self.clock = clock;
        self
    }

    /// Keeps uploads in `dir` while they are imported: makes it, and clears what a server
    /// stopped in mid-import left there.
    pub fn with_upload_dir(mut self, dir: &Path) -> std::io::Result<Web> {
        crate::imports::prepare_upload_dir(dir)?;
        self.upload_dir = std::path::absolute(dir)?;
        Ok(self)
    }

    /// An agreement's year and its instalments with what is recorded against each.
    pub(crate) fn payments(
        &self,
        store: &dyn Store,
        scope: &AgreementYear,
    ) -> Result<(Arc<Agreement>, Vec<TrackedInstalment>), WebError> {
        let agreement = self.agreement(store, scope)?;
        let tracked = pooled_app::payments(store, &agreement)?;
        Ok((agreement, tracked))
    }

    /// An agreement's year and what is recorded of its unagreed savings.
    pub(crate) fn savings(
        &self,
        store: &dyn Store,
        scope: &AgreementYear,
    ) -> Result<(Arc<Agreement>, Vec<SavingRecord>), WebError> {
        Ok((self.agreement(store, scope)?, store.saving_records(scope)?))
    }

    /// An agreement's current version for a year, parsed at most once per version.
    pub(crate) fn agreement(&self, store: &dyn Store, scope: &AgreementYear) -> Result<Arc<Agreement>, WebError> {
        let stored = store.agreement(scope)?.ok_or_else(|| no_agreement(store, scope))?;
        let key = (scope.clone(), stored.version);
        if let Some(a) = self.agreements.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(Arc::clone(a));
        }
        let (agreement, _) = Agreement::parse(&stored.text).map_err(|errors| {
            let file = format!("stored agreement {scope} v{}", stored.version);
            WebError::Data(errors.iter().map(|d| d.render(&file, &stored.text)).collect())
        })?;
        let agreement = Arc::new(agreement);
        self.agreements.lock().unwrap_or_else(|e| e.into_inner()).insert(key, Arc::clone(&agreement));
        Ok(agreement)
    }

    /// An agreement's figures for the year, read again only when the store has changed
    /// since they were. Blocking: call inside [`StorePool::run`].
    pub(crate) fn year(&self, store: &dyn Store, scope: &AgreementYear) -> Result<Arc<YearData>, WebError> {
        let stamp = store.last_change()?;
        let cached = self.years.lock().unwrap_or_else(|e| e.into_inner()).get(scope).cloned();
        if let Some((at, data)) = cached
            && at == stamp
        {
            return Ok(data);
        }
        // The stamp, the figures and the audit log's head as of one moment: the head
        // printed with them is the one they can be checked against, however many entries
        // (sign-ins) come after it while they stay cached.
        let read = pooled_app::anchored(store, |store| {
            let stamp = store.last_change()?;
            let agreement = self.agreement(store, scope)?;
            let version = store.agreement(scope)?.ok_or_else(|| no_agreement(store, scope))?;
            let budgets_from = pooled_app::budgets_from(&agreement, &version);
            let plan = pooled_app::plan(store, &agreement)?;
            Ok::<_, WebError>((stamp, agreement, budgets_from, plan, pooled_app::ledger_figures(store, scope)?))
        })?;
        let (stamp, agreement, budgets_from, plan, figures) = read.value;
        let pooled_app::LedgerFigures { actuals, forecasts, savings, rows, latest } = figures;
        let reports = Default::default();
        let scope = scope.clone();
        let data = Arc::new(YearData {
            scope: scope.clone(),
            agreement,
            budgets_from,
            plan,
            actuals,
            forecasts,
            savings,
            rows,
            latest,
            head: read.head,
            reports,
        });
        self.years.lock().unwrap_or_else(|e| e.into_inner()).insert(scope, (stamp, Arc::clone(&data)));
        Ok(data)
    }
}

/// The years with an agreement loaded, oldest first.
pub fn loaded_years(store: &dyn Store) -> Result<Vec<FinancialYear>, StoreError> {
    let mut years: Vec<FinancialYear> = store.agreements()?.into_iter().map(|s| s.agreement.year).collect();
    years.sort();
    years.dedup();
    Ok(years)
}

/// The figures of `year` of every agreement `user` acts in that is loaded for it and
/// names `body` as a partner or a partner's successor, by id: what the body's
/// consolidated view is made from. Only those agreements' figures are read (an ICB's
/// five places, not every agreement an administrator acts in). Blocking: call inside
/// [`StorePool::run`].
pub fn years_naming(
    web: &Web,
    store: &dyn Store,
    user: &User,
    body: &str,
    year: FinancialYear,
) -> Result<Vec<Arc<YearData>>, WebError> {
    let mut years = Vec::new();
    for listed in visible_agreements(store, user)?.into_iter().filter(|a| a.years.contains(&year)) {
        let scope = AgreementYear::new(listed.id, year);
        if web.agreement(store, &scope)?.partners().iter().any(|p| p.is_or_succeeded_by(body)) {
            years.push(web.year(store, &scope)?);
        }
    }
    Ok(years)
}

/// The consolidated view of the body `partner` across `years` (one year of several
/// agreements) at `month`, or the latest month with actuals in any of them; with the
/// audit log's head as of the figures (the latest of theirs: each is current, so every
/// change behind any of them is at or before it).
pub fn consolidated_view(
    partner: &str,
    year: FinancialYear,
    years: &[Arc<YearData>],
    month: Option<FiscalMonth>,
) -> Result<(Consolidated, AuditHead), WebError> {
    let month =
        month.or_else(|| years.iter().filter_map(|d| d.latest).max()).unwrap_or(FiscalMonth::new(1).expect("M1"));
    let reports: Vec<Arc<MonthlyReport>> = years.iter().map(|d| d.report(month)).collect();
    let pairs: Vec<(&Agreement, &MonthlyReport)> =
        years.iter().zip(&reports).map(|(d, r)| (d.agreement.as_ref(), r.as_ref())).collect();
    let none = || {
        WebError::NotFound(format!(
            "{partner} holds no partner's place at {month} of {year} in any agreement you act in: a successor takes its \
             predecessor's place from its date, and the predecessor's before it."
        ))
    };
    let view = consolidated(partner, &pairs).ok_or_else(none)?;
    let head = years.iter().map(|d| &d.head).max_by_key(|h| h.seq).cloned().unwrap_or_else(AuditHead::empty);
    Ok((view, head))
}

/// The agreements `user` acts in, each with its years, by id.
pub fn visible_agreements(store: &dyn Store, user: &User) -> Result<Vec<AgreementListing>, WebError> {
    let mut listed = pooled_app::agreements(store)?;
    listed.retain(|a| access::acts_in(user, &a.id));
    Ok(listed)
}

/// No agreement `scope.agreement` is loaded for `scope.year`: where it is loaded for other
/// years, says which, with a link to each.
pub fn no_agreement(store: &dyn Store, scope: &AgreementYear) -> WebError {
    let loaded: Vec<AgreementYear> = match store.agreements() {
        Ok(all) => all.into_iter().map(|s| s.agreement).filter(|a| a.agreement == scope.agreement).collect(),
        Err(e) => return e.into(),
    };
    if loaded.is_empty() {
        return WebError::NotFound(format!("No agreement {} is loaded for {}.", scope.agreement, scope.year));
    }
    let years: Vec<String> = loaded.iter().map(|a| a.year.to_string()).collect();
    WebError::NotLoadedForYear {
        what: format!("{} is loaded for {}, not {}.", scope.agreement, years.join(", "), scope.year),
        loaded: loaded
            .iter()
            .map(|a| (crate::scope::agreement_href(a), format!("{} {}", a.agreement, a.year)))
            .collect(),
    }
}

pub struct YearData {
    /// The agreement's id and year, which its pages' addresses name.
    pub scope: AgreementYear,
    pub agreement: Arc<Agreement>,
    /// The month its current version's budgets are in force from in reports.
    pub budgets_from: FiscalMonth,
    pub plan: Plan,
    pub actuals: Actuals,
    pub forecasts: Forecasts,
    /// What is recorded of the unagreed savings.
    pub savings: SavingRecords,
    /// Ledger rows per cost centre per month, M1 to M12.
    pub rows: HashMap<String, [u64; 12]>,
    /// The latest month with any ledger rows imported.
    pub latest: Option<FiscalMonth>,
    /// The audit log's head as of these figures, which every page and download of them
    /// prints.
    pub head: AuditHead,
    /// Each month's report, made when first asked for.
    reports: [OnceLock<Arc<MonthlyReport>>; 12],
}

impl YearData {
    /// The monthly report, flagged for action plans as the agreement says.
    pub fn report(&self, month: FiscalMonth) -> Arc<MonthlyReport> {
        let slot = &self.reports[month.number() as usize - 1];
        Arc::clone(slot.get_or_init(|| {
            let (agreement, plan, savings) = (&self.agreement, &self.plan, &self.savings);
            Arc::new(monthly_report(agreement, plan, &self.actuals, &self.forecasts, savings, month, self.budgets_from))
        }))
    }

    /// The month asked for, or else the latest with actuals (M1 before any import).
    pub fn month_or_latest(&self, asked: Option<FiscalMonth>) -> FiscalMonth {
        asked.or(self.latest).unwrap_or(FiscalMonth::new(1).expect("M1"))
    }
}

/// The `year` of a path or query.
pub fn parse_year(text: &str) -> Result<FinancialYear, WebError> {
    FinancialYear::parse(text).map_err(|e| WebError::NotFound(format!("There is no page for that year: {e}.")))
}

/// The optional `month` of a query; an empty one (a form's blank choice) is none.
pub fn parse_month(text: Option<&str>) -> Result<Option<FiscalMonth>, WebError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(m) => FiscalMonth::parse(m).map(Some).map_err(WebError::BadRequest),
    }
}
