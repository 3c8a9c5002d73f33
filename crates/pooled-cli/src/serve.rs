//! `pooled serve` (the web application on the database) and `pooled demo` (a fresh SQLite
//! file with both Oxfordshire agreements, Buckinghamshire's of 2022-23 and Oxfordshire's
//! Better Care Fund of 2021-22, a plan for each, six months of ledger following it, some
//! forecasts and payments, the BCF's metrics for the quarters those months cover, then the
//! web application on it).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use pooled_app::{ImportRequest, PaymentRecord, SavingEntry};
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{Calendar, Date, FinancialYear, FiscalMonth};
use pooled_core::governance::Meeting;
use pooled_core::ledger::{Mapping, Period};
use pooled_core::money::Money;
use pooled_core::payments::schedule;
use pooled_core::report::Level;
use pooled_core::savings::SavingFigure;
use pooled_files::{GenOptions, PlanRow, Postings, Span, gen_ledger, gen_plan, write_plan_csv};
use pooled_store::{NewUser, Role, Store, StoredCostCentre};
use pooled_web::Settings;

use crate::db::{Db, app, store_error};
use crate::{Failure, Outcome};

#[derive(Subcommand)]
pub enum ServeCommand {
    /// Serve the web application on the database (--database) until Ctrl-C or SIGTERM.
    Serve {
        /// Where to listen: host:port (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        address: String,
        /// Send cookies without the Secure flag, for a server reached over plain HTTP
        /// (a trial on one machine). Behind HTTPS, leave it off.
        #[arg(long)]
        insecure_cookies: bool,
        /// The largest ledger extract a browser or script may upload, in MB (1 MB =
        /// 1,048,576 bytes); a larger one is refused before anything is written.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
        max_upload_mb: u64,
        /// Where uploaded extracts wait while they are imported (only the server's user may
        /// read them). Default: beside a SQLite database (FILE-uploads), or ./pooled-uploads
        /// for PostgreSQL. Leftovers of a server stopped mid-import are removed at start.
        #[arg(long)]
        upload_dir: Option<PathBuf>,
    },
    /// Create a fresh demonstration database (both Oxfordshire agreements and an
    /// illustrative Buckinghamshire one for 2022-23, six months of ledger near the
    /// budgets, some forecasts and payments, an account for each role) and serve it on
    /// plain HTTP.
    /// Uses demo.sqlite unless --database is given.
    Demo {
        /// Where to listen: a loopback host:port (port 0 picks a free one), as the demo's
        /// accounts share a printed password.
        #[arg(long, default_value = "127.0.0.1:8080")]
        address: String,
    },
}

/// An agreement of the demo, built in so that `pooled demo` works from any directory.
struct DemoAgreement {
    file: &'static str,
    text: &'static str,
    /// Each partner's ERP, whose layout its extracts take.
    layouts: &'static [(&'static str, &'static str)],
    /// The example's plan (file, text), or none for one that `gen-plan` makes.
    plan: Option<(&'static str, &'static str)>,
    /// The example's metrics file (file, text): plans for the year and actuals for the
    /// quarters the ledger's six months cover, imported as `pooled metric import` does.
    metrics: Option<(&'static str, &'static str)>,
}

/// Both Oxfordshire agreements, the Buckinghamshire one for the same year as the second,
/// whose NHS partner is succeeded by the same ICB, and Oxfordshire's Better Care Fund of
/// 2021-22 with its funding streams, schemes and metrics.
const AGREEMENTS: [DemoAgreement; 4] = [
    DemoAgreement {
        file: "examples/oxfordshire-2016-17.toml",
        text: include_str!("../../../examples/oxfordshire-2016-17.toml"),
        layouts: &[("OCC", "unit4"), ("OCCG", "oracle")],
        plan: None,
        metrics: None,
    },
    DemoAgreement {
        file: "examples/oxfordshire-2022-23.toml",
        text: include_str!("../../../examples/oxfordshire-2022-23.toml"),
        layouts: &[("OCC", "unit4"), ("OCCG", "oracle")],
        plan: None,
        metrics: None,
    },
    DemoAgreement {
        file: "examples/buckinghamshire-2022-23.toml",
        text: include_str!("../../../examples/buckinghamshire-2022-23.toml"),
        layouts: &[("BC", "sap"), ("BCCG", "oracle")],
        plan: Some((
            "examples/buckinghamshire-2022-23-plan.csv",
            include_str!("../../../examples/buckinghamshire-2022-23-plan.csv"),
        )),
        metrics: None,
    },
    DemoAgreement {
        file: "examples/oxfordshire-bcf-2021-22.toml",
        text: include_str!("../../../examples/oxfordshire-bcf-2021-22.toml"),
        layouts: &[("OCC", "unit4"), ("OCCG", "oracle")],
        plan: Some((
            "examples/oxfordshire-bcf-2021-22-plan.csv",
            include_str!("../../../examples/oxfordshire-bcf-2021-22-plan.csv"),
        )),
        metrics: Some((
            "examples/oxfordshire-bcf-2021-22-metrics.csv",
            include_str!("../../../examples/oxfordshire-bcf-2021-22-metrics.csv"),
        )),
    },
];

/// Two meetings of the 2016-17 board, from the examples: a quorate one and an inquorate one.
const MEETINGS: [(&str, &str); 2] = [
    ("examples/oxfordshire-2016-17-meeting.toml", include_str!("../../../examples/oxfordshire-2016-17-meeting.toml")),
    (
        "examples/oxfordshire-2016-17-meeting-inquorate.toml",
        include_str!("../../../examples/oxfordshire-2016-17-meeting-inquorate.toml"),
    ),
];

/// Who the demo's changes are recorded as in the audit log; also how `pooled demo` knows
/// a file it may replace.
const ACTOR: &str = "pooled demo";

/// The demo's accounts all have this password; it is printed, so it guards nothing.
const DEMO_PASSWORD: &str = "pooled-demo-2026";

struct DemoAccount {
    username: &'static str,
    display_name: &'static str,
    role: Role,
    partner: Option<&'static str>,
    /// The agreements the account acts in; none for every one.
    agreements: &'static [&'static str],
}

impl DemoAccount {
    fn describe(&self) -> String {
        let role = match (self.role, self.partner) {
            (Role::PartnerFinance, Some(p)) => format!("partner finance, {p}"),
            (Role::BudgetHolder, _) => "budget holder, the first OCC cost centre of each line".into(),
            (role, _) => role.name().replace('-', " "),
        };
        match self.agreements {
            [] => role,
            agreements => format!("{role}; in {}", agreements.join(" and ")),
        }
    }
}

/// Oxfordshire's agreements, and the two of 2022-23 in which the ICB takes the CCGs' place.
const OXFORDSHIRE: &[&str] = &["oxon-s75", "oxon-s75-2022"];
const ICB_PLACES: &[&str] = &["oxon-s75-2022", "bucks-bcf-2022"];

/// One account per role: administrator, pool manager, each partner's finance officer (the
/// ICB's acting in both places' agreements), budget holder, board member, viewer.
const DEMO_ACCOUNTS: [DemoAccount; 9] = [
    DemoAccount {
        username: "admin",
        display_name: "Sam Patel",
        role: Role::Administrator,
        partner: None,
        agreements: &[],
    },
    DemoAccount {
        username: "manager",
        display_name: "Jo Hughes",
        role: Role::PoolManager,
        partner: None,
        agreements: &[],
    },
    DemoAccount {
        username: "occ-finance",
        display_name: "Priya Shah",
        role: Role::PartnerFinance,
        partner: Some("OCC"),
        agreements: OXFORDSHIRE,
    },
    DemoAccount {
        username: "occg-finance",
        display_name: "Tom Evans",
        role: Role::PartnerFinance,
        partner: Some("OCCG"),
        agreements: OXFORDSHIRE,
    },
    DemoAccount {
        username: "bc-finance",
        display_name: "Aisha Khan",
        role: Role::PartnerFinance,
        partner: Some("BC"),
        agreements: &["bucks-bcf-2022"],
    },
    DemoAccount {
        username: "icb-finance",
        display_name: "David Okafor",
        role: Role::PartnerFinance,
        partner: Some("BOB-ICB"),
        agreements: ICB_PLACES,
    },
    DemoAccount {
        username: "budget-holder",
        display_name: "Rachel Green",
        role: Role::BudgetHolder,
        partner: None,
        agreements: OXFORDSHIRE,
    },
    DemoAccount {
        username: "board",
        display_name: "Cllr Mark Lewis",
        role: Role::BoardMember,
        partner: None,
        agreements: &[],
    },
    DemoAccount { username: "viewer", display_name: "Chris Wood", role: Role::Viewer, partner: None, agreements: &[] },
];

/// Cost centres per partner per line, as `pooled gen-plan` makes by default.
const PER_PARTNER: usize = 20;

pub fn run(db: &Db, command: ServeCommand) -> Outcome {
    match command {
        ServeCommand::Serve { address, insecure_cookies, max_upload_mb, upload_dir } => {
            let max_upload_bytes = usize::try_from(max_upload_mb << 20).map_err(|_| {
                Failure::Usage(format!("--max-upload-mb {max_upload_mb} is more than this computer can address"))
            })?;
            let settings = Settings {
                address,
                database: db.database.clone(),
                secure_cookies: !insecure_cookies,
                max_upload_bytes,
                upload_dir,
            };
            serve(&settings, None)
        }
        ServeCommand::Demo { address } => {
            refuse_beyond_this_machine(&address)?;
            let database = if db.database_given { db.database.clone() } else { "demo.sqlite".to_string() };
            create_demo(Path::new(&database))?;
            // The demo is served on plain HTTP, where a browser may drop Secure cookies.
            let settings = Settings {
                address,
                database: database.clone(),
                secure_cookies: false,
                max_upload_bytes: pooled_web::DEFAULT_MAX_UPLOAD_BYTES,
                upload_dir: None,
            };
            serve(&settings, Some(&database))
        }
    }
}

/// The demo's accounts share a password printed for all to see, and its cookies are not
/// Secure: it is served to this machine only.
fn refuse_beyond_this_machine(address: &str) -> Result<(), Failure> {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host).trim_matches(['[', ']']);
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "the demo serves accounts whose password it prints: give it a loopback --address \
             (127.0.0.1:8080, [::1]:8080), not {address}; use `pooled serve` with your own accounts otherwise"
        )))
    }
}

fn serve(settings: &Settings, demo: Option<&str>) -> Outcome {
    start_logging();
    let database = &settings.database;
    pooled_web::run(settings, |bound| {
        let serving = match demo {
            Some(file) => {
                let logins: String = DEMO_ACCOUNTS
                    .iter()
                    .map(|a| format!("  {:<14} {} ({})\n", a.username, a.display_name, a.describe()))
                    .collect();
                format!(
                    "pooled demo: serving {file} at http://{bound}/\nSign in as any of these, each with the password \
                     {DEMO_PASSWORD}:\n{logins}"
                )
            }
            None => format!("pooled: serving {database} at http://{bound}/\n"),
        };
        // Written, not println!ed: a server whose standard output was closed (a script
        // that read the address and went) must keep serving, not panic.
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "{serving}Press Ctrl-C to stop.").and_then(|()| stdout.flush());
    })
    .map_err(|e| Failure::Input(vec![format!("pooled serve: {e}")]))?;
    Ok(String::new())
}

/// The server's log: one line per event on standard error, its fields as `key=value`
/// (each request's line carries its method, path, status, latency and id). Errors, the
/// requests and start and stop are logged; more detail is not.
fn start_logging() {
    tracing_subscriber::fmt()
        .compact()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .init();
}

/// Builds the demo database at `path`, replacing an earlier demo's file but never any
/// other database.
fn create_demo(path: &Path) -> Result<(), Failure> {
    let location = path.display().to_string();
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Err(Failure::Usage("the demo builds a fresh SQLite file: give --database FILE.sqlite".into()));
    }
    if path.exists() {
        let existing = pooled_store::open(&location).map_err(|e| Failure::Input(vec![format!("{location}: {e}")]))?;
        let log = existing.audit_log().map_err(store_error)?;
        if log.iter().any(|e| e.actor != ACTOR) {
            return Err(Failure::Input(vec![format!(
                "{location} holds changes not made by `pooled demo`: it will not be replaced; choose another --database"
            )]));
        }
        drop(existing);
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{location}{suffix}"));
            if file.exists() {
                std::fs::remove_file(&file)
                    .map_err(|e| Failure::Input(vec![format!("{}: cannot remove: {e}", file.display())]))?;
            }
        }
    }
    eprintln!("pooled demo: creating {location}");
    let mut store = pooled_store::open(&location).map_err(|e| Failure::Input(vec![format!("{location}: {e}")]))?;
    let store = store.as_mut();
    let work = TempDir::new()?;
    let mut budget_holder = Vec::new();
    for demo in &AGREEMENTS {
        let file = demo.file;
        pooled_app::load_agreement(store, file, demo.text, &Default::default(), ACTOR, |_| Ok(())).map_err(app)?;
        let (agreement, _) =
            Agreement::parse(demo.text).map_err(|_| Failure::Input(vec![format!("{file}: invalid")]))?;
        let key = pooled_app::agreement_year(&agreement);
        for (partner, layout) in demo.layouts {
            store.save_mapping(&key.agreement, partner, &preset(layout)?, ACTOR).map_err(store_error)?;
        }
        let plan_file = work.0.join(format!("plan-{}-{}.csv", key.agreement, key.year));
        match demo.plan {
            Some(example) => copy_example(example, &plan_file)?,
            None => write_file(&plan_file, |w| write_plan_csv(w, &gen_plan(&agreement, PER_PARTNER, 1)))?,
        }
        pooled_app::load_plan(store, &key, &plan_file, ACTOR).map_err(app)?;
        if let Some(example) = demo.metrics {
            let metrics_file = work.0.join(format!("metrics-{}-{}.csv", key.agreement, key.year));
            copy_example(example, &metrics_file)?;
            pooled_app::metrics::import_metrics(store, &agreement, &metrics_file, ACTOR, |_| Ok(())).map_err(app)?;
        }
        // The plan as stored, with its monthly profile, is what the ledger follows.
        let plan: Vec<PlanRow> = store.plan(&key).map_err(store_error)?.into_iter().map(plan_row).collect();
        import_months(store, &agreement, &plan, &work.0)?;
        enter_forecasts(store, &agreement, &plan)?;
        forecast_savings(store, &agreement)?;
        record_payments(store, &agreement)?;
        budget_holder.extend(first_cost_centres(&agreement, &plan, "OCC"));
    }
    create_accounts(store, &budget_holder)?;
    record_meetings(store)?;
    eprintln!("pooled demo: {location} is ready");
    Ok(())
}

/// The example meetings, stored as the board page records them.
fn record_meetings(store: &mut dyn Store) -> Result<(), Failure> {
    let year = FinancialYear::parse("2016-17").map_err(Failure::Usage)?;
    let key = pooled_app::resolve(store, year, Some("oxon-s75")).map_err(app)?;
    let records = pooled_app::board::records(store, &key).map_err(app)?;
    for (file, text) in MEETINGS {
        let (meeting, _) = Meeting::parse_with_register(text, &records.agreement, &records.register)
            .map_err(|_| Failure::Input(vec![format!("{file}: invalid")]))?;
        pooled_app::board::save_meeting(store, &records.agreement, None, &meeting, ACTOR).map_err(app)?;
    }
    Ok(())
}

fn create_accounts(store: &mut dyn Store, budget_holder: &[String]) -> Result<(), Failure> {
    // One hash for all: they share the password, and Argon2id is slow on purpose.
    let hash = pooled_app::password::hash(DEMO_PASSWORD).map_err(|e| Failure::Input(vec![e]))?;
    for account in &DEMO_ACCOUNTS {
        let user = NewUser {
            username: account.username.into(),
            display_name: account.display_name.into(),
            role: account.role,
            partner: account.partner.map(str::to_string),
            cost_centres: if account.role == Role::BudgetHolder { budget_holder.to_vec() } else { Vec::new() },
            agreements: account.agreements.iter().map(|a| a.to_string()).collect(),
            password_hash: hash.clone(),
            disabled: false,
        };
        store.create_user(&user, ACTOR).map_err(store_error)?;
    }
    Ok(())
}

fn plan_row(c: StoredCostCentre) -> PlanRow {
    PlanRow {
        code: c.code,
        name: c.name,
        partner: c.partner,
        pool: c.pool,
        line: c.line,
        budget: c.budget,
        profile: c.profile,
    }
}

/// The first cost centre of `partner` on each line: the demo budget holder's.
fn first_cost_centres(agreement: &Agreement, plan: &[PlanRow], partner: &str) -> Vec<String> {
    let lines = agreement.pools().iter().flat_map(|p| p.lines.iter().map(move |l| (&p.id, &l.id)));
    lines
        .filter_map(|(pool, line)| {
            plan.iter().find(|c| c.partner == partner && &c.pool == pool && &c.line == line).map(|c| c.code.clone())
        })
        .collect()
}

fn preset(name: &str) -> Result<Mapping, Failure> {
    Mapping::preset(name).ok_or_else(|| Failure::Usage(format!("no preset `{name}`")))
}

/// M1 to M6 of ledger for each partner: one extract a month, as its ERP writes it, each
/// cost centre posting its budget for the month give or take the generator's variances
/// (one seed for the year, so a line running over budget keeps running over).
fn import_months(store: &mut dyn Store, agreement: &Agreement, plan: &[PlanRow], dir: &Path) -> Result<(), Failure> {
    let year = agreement.financial_year();
    for partner in agreement.partners() {
        let cost_centres: Vec<PlanRow> = plan.iter().filter(|c| c.partner == partner.id).cloned().collect();
        if cost_centres.is_empty() {
            continue;
        }
        let mapping = store.mapping(agreement.id(), &partner.id).map_err(store_error)?.unwrap_or(preset("unit4")?);
        let first = Span::Period(Period { year, month: FiscalMonth::new(1).expect("M1") });
        let mut options = GenOptions::new(mapping.clone(), first, Postings::Budgets(cost_centres));
        for month in FiscalMonth::all().take(6) {
            let period = Period { year, month };
            options.span = Span::Period(period);
            let file = dir.join(format!("{}-{}-{period}.csv", agreement.id(), partner.id));
            write_file(&file, |w| gen_ledger(&options, w))?;
            let request = ImportRequest {
                agreement: agreement.id(),
                partner: &partner.id,
                period,
                path: &file,
                mapping: mapping.clone(),
                actor: ACTOR,
            };
            pooled_app::import_ledger(store, &request, &mut |_, _| {}).map_err(app)?;
        }
    }
    Ok(())
}

/// At M6 the budget holder of each line's first cost centre enters a forecast, some over
/// and some under budget, so that the demo's report has entered forecasts, action plans
/// and (on the home support line) the clawback of an underspend. The budget holders of
/// services whose spending is seasonal (a profile that is not flat) forecast what they
/// have spent and the rest of their profile, as a run rate would not.
fn enter_forecasts(store: &mut dyn Store, agreement: &Agreement, plan: &[PlanRow]) -> Result<(), Failure> {
    const PERCENT_OF_BUDGET: [i64; 5] = [112, 90, 104, 97, 106];
    let m6 = FiscalMonth::new(6).expect("M6");
    let key = pooled_app::agreement_year(agreement);
    let mut entered = Vec::new();
    for pool in agreement.pools() {
        for line in &pool.lines {
            // gen_plan gives every funded line cost centres; a line without any is skipped.
            let Some(first) = plan.iter().find(|c| c.pool == pool.id && c.line == line.id) else { continue };
            let percent = PERCENT_OF_BUDGET[entered.len() % PERCENT_OF_BUDGET.len()];
            let outturn = Money::from_pence(first.budget.pence() / 100 * percent);
            store.set_forecast(&key, m6, &first.code, outturn, false, ACTOR).map_err(store_error)?;
            entered.push(first.code.as_str());
        }
    }
    let report = pooled_app::report(store, &key, m6).map_err(app)?;
    let spent: Vec<(String, Money)> = (report.pools.iter().flat_map(|p| p.flat_rows()))
        .filter(|r| r.level == Level::CostCentre)
        .map(|r| (r.cost_centre, r.figures.actual_to_date))
        .collect();
    let seasonal = plan.iter().filter(|c| c.profile != c.budget.monthly() && !entered.contains(&c.code.as_str()));
    for cost_centre in seasonal {
        let Some((_, to_date)) = spent.iter().find(|(code, _)| *code == cost_centre.code) else { continue };
        let outturn = *to_date + cost_centre.profile[6..].iter().copied().sum::<Money>();
        store.set_forecast(&key, m6, &cost_centre.code, outturn, false, ACTOR).map_err(store_error)?;
    }
    Ok(())
}

/// The instalments of M1 to M6, each invoiced ten working days before it is due and paid
/// by the working day it is due, by the body paying then (the ICB from July 2022), but
/// for the last, half paid so far: the payments page has a balance outstanding.
fn record_payments(store: &mut dyn Store, agreement: &Agreement) -> Result<(), Failure> {
    let m6 = FiscalMonth::new(6).expect("M6");
    for instalment in schedule(agreement).into_iter().filter(|i| i.month <= m6) {
        let record = |raised_on, paid_on, amount| PaymentRecord {
            pool: instalment.pool.clone(),
            from: instalment.payer.id.clone(),
            to: Some(agreement.partners()[instalment.to].id.clone()),
            month: instalment.month,
            raised_on,
            paid_on,
            amount,
        };
        let working_days_before = |day: Date, n| Calendar::EnglandAndWales.step_back_working_days(day, n);
        let raised = working_days_before(instalment.due, 10);
        let paid_on = instalment.due.add_days(1).and_then(|after| working_days_before(after, 1));
        let paid = (instalment.month == m6).then(|| Money::from_pence(instalment.amount.pence() / 2));
        for entry in [record(raised, None, None), record(None, paid_on, paid)] {
            pooled_app::record_payment(store, agreement, entry, ACTOR, |_, _| Ok(())).map_err(app)?;
        }
    }
    Ok(())
}

/// At M6 the pool manager forecasts each unagreed saving to deliver two thirds of its
/// amount, so that the demo's report shows a forecast shortfall on the partner that moved
/// it (what it delivered is left for the settlement page to record).
fn forecast_savings(store: &mut dyn Store, agreement: &Agreement) -> Result<(), Failure> {
    let m6 = FiscalMonth::new(6).expect("M6");
    for saving in agreement.pools().iter().flat_map(|p| &p.savings).filter(|s| !s.strategy_agreed) {
        let entry = SavingEntry {
            saving: saving.id.clone(),
            figure: SavingFigure::Forecast(m6),
            amount: Money::from_pence(saving.amount.pence() / 3 * 2),
        };
        pooled_app::record_saving(store, agreement, &entry, ACTOR, || Ok(())).map_err(app)?;
    }
    Ok(())
}

/// Writes an example file built into the binary, (file, text), to `path`, for the
/// importers that read files.
fn copy_example((name, text): (&str, &str), path: &Path) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::Input(vec![format!("{name}: cannot copy to {}: {e}", path.display())]))
}

fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Failure> {
    let cannot = |e: std::io::Error| Failure::Input(vec![format!("{}: cannot write: {e}", path.display())]);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(cannot)?);
    write(&mut file).and_then(|()| file.flush()).map_err(cannot)
}

/// A directory for the generated files, removed when the demo is built.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, Failure> {
        let dir = std::env::temp_dir().join(format!("pooled-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| Failure::Input(vec![format!("{}: {e}", dir.display())]))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
