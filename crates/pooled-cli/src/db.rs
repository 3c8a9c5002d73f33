//! Commands on the system of record (issue 3): they open the store (`--database`, a SQLite
//! file by default or `postgres://...`) and call the use cases of `pooled-app`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use pooled_app::{Anchored, AppError, ForecastEntry, ImportRequest, PaymentRecord, SavingEntry};
use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::ledger::{Mapping, Period};
use pooled_core::metrics::{Figure, FigureKind, MetricPeriod};
use pooled_core::money::Money;
use pooled_core::savings::SavingFigure;
use pooled_store::{AgreementYear, Approval, AuditHead, ImportOutcome, LoadOutcome, MetricEntry, Store};

use crate::report;
use crate::{Failure, Outcome};

/// Where the store is and who is acting: on every database command.
#[derive(Args, Clone)]
pub struct Db {
    /// The database: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "POOLED_DATABASE", default_value = "pooled.sqlite", global = true)]
    pub database: String,
    /// Who is making the change, for the audit log.
    #[arg(long = "as", env = "USER", default_value = "cli", global = true)]
    pub actor: String,
    /// Whether --database was given on the command line (not by POOLED_DATABASE or the
    /// default): set by `main` from the parsed arguments.
    #[arg(skip)]
    pub database_given: bool,
}

/// Which agreement a database command acts on: on every command that reads or changes an
/// agreement's records.
#[derive(Args, Clone)]
pub struct Which {
    /// The agreement's id (`[agreement] id` of its file); needed only when the year (or the
    /// database, for a mapping) holds more than one agreement.
    // Its own id: `settle` and `payments` also take an agreement file.
    #[arg(long = "agreement", id = "agreement_id", value_name = "ID")]
    pub agreement: Option<String>,
}

impl Which {
    /// The agreement of `year` this names, or the year's only one.
    pub fn resolve(&self, store: &dyn Store, year: FinancialYear) -> Result<AgreementYear, Failure> {
        pooled_app::resolve(store, year, self.agreement.as_deref()).map_err(app)
    }
}

/// Which return of which agreement's year: on the returns' commands.
#[derive(Args)]
pub struct ReturnOf {
    #[arg(long, value_parser = FinancialYear::parse)]
    year: FinancialYear,
    #[command(flatten)]
    which: Which,
    /// plan, Q1, Q2, Q3 or year-end.
    #[arg(long = "return", value_parser = ReturnKind::parse)]
    kind: ReturnKind,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Store an agreement file under its id and financial year: a new id is a new agreement,
    /// a changed file with the same id and year a variation.
    Load {
        agreement: PathBuf,
        /// The day a variation takes effect: needed once instalments are invoiced or paid,
        /// ledgers imported or forecasts entered; within the agreement's financial year.
        #[arg(long, value_parser = Date::parse_iso, requires = "approved_by")]
        effective: Option<Date>,
        /// Who approved the variation, e.g. the board's decision (`JMG 2016-09-15, item 4`).
        #[arg(long)]
        approved_by: Option<String>,
    },
    /// Every version of an agreement's year: the day it takes effect, who approved it and
    /// what it changed (contributions, lines, virements, the risk share before and after).
    Variations {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        json: bool,
    },
    /// Every agreement in the database: id, name, years, partners.
    Agreements {
        #[arg(long)]
        json: bool,
    },
    /// Write a year's stored agreement back as TOML (the current version unless --version).
    ExportAgreement {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Load the year's cost centres and budgets (CSV or XLSX: code,name,partner,pool,line,budget[,M1..M12]).
    LoadPlan {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        file: PathBuf,
    },
    /// Save how a partner's ledger extracts are laid out for an agreement: a preset (oracle,
    /// unit4, sap) or a mapping file.
    SaveMapping {
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        which: Which,
        #[arg(long, conflicts_with = "file")]
        preset: Option<String>,
        file: Option<PathBuf>,
    },
    /// Import a partner's ledger extract (CSV or XLSX) for one month: all of it or none.
    Import {
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        which: Which,
        /// The calendar month, e.g. 2016-05.
        #[arg(long, value_parser = Period::parse)]
        period: Period,
        /// Read with this preset instead of the partner's saved mapping.
        #[arg(long)]
        preset: Option<String>,
        file: PathBuf,
    },
    /// Every metric and KPI of an agreement's year (its [performance]): the latest period
    /// with an actual, its plan, actual and status; the home support measure's quarters.
    Metrics {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        /// Every period of every series, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Enter figures of the agreement's metrics and KPIs: one, or a file of them.
    Metric {
        #[command(subcommand)]
        action: MetricCommand,
    },
    /// Write a return to NHS England as a workbook laid out like the Better Care Fund's
    /// templates (Cover, Income, Expenditure, Metrics, National conditions): the year's
    /// plan, a quarter's return (at M3, M6, M9) or the end-of-year return (at M12).
    BcfReturn {
        #[command(flatten)]
        of: ReturnOf,
        /// The .xlsx file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Record what the area writes into a return: who completed it, the contact, the
    /// narrative, or a condition's assurance statement. An empty text clears it.
    BcfStatement {
        #[command(flatten)]
        of: ReturnOf,
        /// completed-by, contact, narrative or condition:KEY.
        #[arg(value_parser = StatementField::parse)]
        field: StatementField,
        /// The text (at most 10,000 characters); `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Close a month of an agreement: no import or forecast can change it afterwards.
    ClosePeriod {
        #[arg(value_parser = Period::parse)]
        period: Period,
        #[command(flatten)]
        which: Which,
    },
    /// Enter a budget holder's forecast outturn for the year, for a cost centre, in a month.
    Forecast {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        #[arg(long, value_parser = FiscalMonth::parse)]
        month: FiscalMonth,
        #[arg(long)]
        cost_centre: String,
        #[arg(long, value_parser = Money::parse, allow_hyphen_values = true)]
        outturn: Money,
        /// Enter it although it is below the cost centre's actual to date (refunds or
        /// credits still to come); the report marks it.
        #[arg(long)]
        confirm_below_actual: bool,
    },
    /// Record what a saving moved into a pool without an agreed delivery strategy will
    /// deliver (a forecast made in a month) or delivered (at the year's end).
    #[command(group = clap::ArgGroup::new("figure").required(true).args(["forecast", "delivered"]))]
    Saving {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        /// The saving's id in the agreement.
        #[arg(long)]
        id: String,
        /// The forecast of its delivery for the year, made in --month.
        #[arg(long, value_parser = Money::parse, allow_hyphen_values = true, requires = "month")]
        forecast: Option<Money>,
        /// The month the forecast is made in.
        #[arg(long, value_parser = FiscalMonth::parse, requires = "forecast")]
        month: Option<FiscalMonth>,
        /// What it delivered in the year.
        #[arg(long, value_parser = Money::parse, allow_hyphen_values = true)]
        delivered: Option<Money>,
        /// Print the saving with everything recorded of it, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The monthly finance report: budget, actual, forecast and variance of every line.
    Report {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        #[arg(long, value_parser = FiscalMonth::parse)]
        month: FiscalMonth,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Where to write csv, json or xlsx (standard output if absent; required for xlsx).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Record an instalment's invoice, a payment on it, or both.
    RecordPayment {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        pool: String,
        /// The paying partner.
        #[arg(long)]
        from: String,
        /// The partner paid: needed only when the paying partner pays more than one in the pool.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_parser = FiscalMonth::parse)]
        month: FiscalMonth,
        /// The day the instalment was raised (invoiced).
        #[arg(long, value_parser = Date::parse_iso, required_unless_present = "paid")]
        raised: Option<Date>,
        /// The day a payment was received.
        #[arg(long, value_parser = Date::parse_iso)]
        paid: Option<Date>,
        /// The amount invoiced (default: the instalment) or paid (default: the balance outstanding).
        #[arg(long, value_parser = Money::parse, allow_hyphen_values = true)]
        amount: Option<Money>,
    },
    /// The audit log: list it, print its head, or verify it.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Every entry: sequence number, time (UTC), who, action, subject.
    Log,
    /// The log's head, SEQ:HASH (its latest entry's number and hash): publish it, and
    /// `verify --head` proves later that the log up to it is unchanged.
    Head,
    /// Check the hash chain, the head kept with it, every import's rows and record, and
    /// that no ledger row lies outside an import; exit 1 naming the first problem.
    Verify {
        /// A head published earlier (as `pooled audit head` and every report print it):
        /// the log must be unchanged up to it. Give it again for each head.
        #[arg(long = "head", value_name = "SEQ:HASH", value_parser = AuditHead::parse)]
        heads: Vec<AuditHead>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Xlsx,
}

pub fn store_error(e: pooled_store::StoreError) -> Failure {
    Failure::Input(vec![e.to_string()])
}

#[derive(Subcommand)]
pub enum MetricCommand {
    /// Enter the plan or the actual of a metric or KPI for a period.
    Set {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        /// The metric's or KPI's id (a home support measure's: ID.new-hours, ID.total-hours).
        metric: String,
        /// W1-W52, M1-M12, Q1-Q4 or year, as the metric is measured.
        #[arg(value_parser = MetricPeriod::parse)]
        period: MetricPeriod,
        /// plan or actual.
        #[arg(value_parser = FigureKind::parse)]
        kind: FigureKind,
        /// A number (85.5, 20,400) or "not available".
        #[arg(value_parser = Figure::parse, allow_hyphen_values = true)]
        value: Figure,
    },
    /// Import figures from a CSV or XLSX file (columns metric, period, kind, value): all
    /// of them or none.
    Import {
        #[arg(long, value_parser = FinancialYear::parse)]
        year: FinancialYear,
        #[command(flatten)]
        which: Which,
        file: PathBuf,
    },
}

pub fn app(e: AppError) -> Failure {
    match e {
        AppError::Input(lines) | AppError::Incomplete(lines) => Failure::Input(lines),
        AppError::Forbidden(what) | AppError::NotFound(what) => Failure::Input(vec![what]),
        AppError::Store(e) => store_error(e),
    }
}

pub fn open(db: &Db) -> Result<Box<dyn Store + Send>, Failure> {
    pooled_store::open(&db.database).map_err(|e| Failure::Input(vec![format!("{}: {e}", db.database)]))
}

pub fn run(db: &Db, command: DbCommand) -> Outcome {
    let mut store = open(db)?;
    let store = store.as_mut();
    let actor = db.actor.as_str();
    match command {
        DbCommand::Load { agreement, effective, approved_by } => {
            let text = crate::read(&agreement)?;
            let file = agreement.display().to_string();
            let approval = Approval { effective, approved_by };
            let loaded = pooled_app::load_agreement(store, &file, &text, &approval, actor, |_| Ok(())).map_err(app)?;
            crate::warn_lines(&loaded.warnings);
            Ok(match loaded.outcome {
                LoadOutcome::Loaded { version } => format!("{file}: loaded as version {version}\n"),
                LoadOutcome::Unchanged { version } => format!("{file}: unchanged (version {version})\n"),
                LoadOutcome::Varied { version } => {
                    format!("{file}: variation recorded as version {version}:\n{}\n", loaded.changes)
                }
            })
        }
        DbCommand::Variations { year, which, json } => {
            let key = which.resolve(store, year)?;
            let records = pooled_app::variations(store, &key).map_err(app)?;
            Ok(if json {
                crate::json::pretty(&pooled_app::json::variations(&key, &records))
            } else {
                crate::text::variations(&key, &records)
            })
        }
        DbCommand::Agreements { json } => {
            let listed = pooled_app::agreements(store).map_err(app)?;
            Ok(if json {
                crate::json::pretty(&pooled_app::json::agreements(&listed))
            } else {
                agreements_table(&listed)
            })
        }
        DbCommand::ExportAgreement { year, which, version } => {
            let key = which.resolve(store, year)?;
            let versions = store.agreement_versions(&key).map_err(store_error)?;
            let chosen = match version {
                Some(n) => versions.into_iter().find(|v| v.version == n),
                None => versions.into_iter().last(),
            };
            chosen
                .map(|v| v.text)
                .ok_or_else(|| Failure::Input(vec![format!("no such version of the agreement {key}")]))
        }
        DbCommand::LoadPlan { year, which, file } => {
            let key = which.resolve(store, year)?;
            let warnings = pooled_app::load_plan(store, &key, &file, actor).map_err(app)?;
            crate::warn_lines(&warnings);
            let count = store.plan(&key).map_err(store_error)?.len();
            Ok(format!("{}: {count} cost centres loaded for {key}\n", file.display()))
        }
        DbCommand::SaveMapping { partner, which, preset, file } => {
            let mapping = match (preset, file) {
                (Some(name), _) => preset_mapping(&name)?,
                (None, Some(path)) => {
                    let text = crate::read(&path)?;
                    Mapping::parse(&text)
                        .map_err(|d| Failure::Input(vec![d.render(&path.display().to_string(), &text)]))?
                }
                (None, None) => return Err(Failure::Usage("give --preset NAME or a mapping file".into())),
            };
            let agreement = pooled_app::resolve_id(store, which.agreement.as_deref()).map_err(app)?;
            store.save_mapping(&agreement, &partner, &mapping, actor).map_err(store_error)?;
            Ok(format!("mapping `{}` saved for {partner} in {agreement}\n", mapping.name))
        }
        DbCommand::Import { partner, which, period, preset, file } => {
            let key = which.resolve(store, period.year)?;
            let agreement = key.agreement.as_str();
            let mapping = match preset {
                Some(name) => preset_mapping(&name)?,
                None => store.mapping(agreement, &partner).map_err(store_error)?.ok_or_else(|| {
                    Failure::Input(vec![format!(
                        "no mapping saved for {partner} in {agreement}: run `pooled save-mapping --agreement {agreement} --partner {partner} --preset oracle|unit4|sap` or pass --preset"
                    )])
                })?,
            };
            let request = ImportRequest { agreement, partner: &partner, period, path: &file, mapping, actor };
            let mut bar = ProgressBar::new(&file);
            let outcome = pooled_app::import_ledger(store, &request, &mut |done, total| bar.show(done, total));
            bar.finish();
            let name = file.display();
            Ok(match outcome.map_err(app)? {
                ImportOutcome::Imported { rows, total, .. } => {
                    format!("{name}: imported {rows} rows for {partner} {period}, net {total}\n")
                }
                ImportOutcome::Unchanged { .. } => {
                    format!("{name}: the same file was already imported: nothing changed\n")
                }
                ImportOutcome::Replaced { rows, total, replaced_rows, .. } => format!(
                    "{name}: replaced the earlier extract for {partner} {period} ({replaced_rows} rows) with {rows} rows, net {total}\n"
                ),
            })
        }
        DbCommand::ClosePeriod { period, which } => {
            let key = which.resolve(store, period.year)?;
            store.close_period(&key.agreement, period, actor).map_err(store_error)?;
            Ok(format!("period {period} of {} is closed\n", key.agreement))
        }
        DbCommand::BcfReturn { of: ReturnOf { year, which, kind }, out } => {
            let key = which.resolve(store, year)?;
            let r = pooled_app::bcf_return::bcf_return(store, &key, kind).map_err(app)?;
            let book = pooled_app::bcf_return::return_workbook(&r);
            pooled_files::write_xlsx_file(&out, &book).map_err(|e| Failure::Input(vec![e.to_string()]))?;
            Ok(format!("{}: the {} of {key}\n{}\n", out.display(), kind.words(), pooled_app::head_line(&r.head)))
        }
        // Whoever can open the database may write a statement: no access rule here.
        DbCommand::BcfStatement { of: ReturnOf { year, which, kind }, field, text } => {
            let key = which.resolve(store, year)?;
            let text = if text == "-" { statement_from_stdin()? } else { text };
            pooled_app::bcf_return::set_statement(store, &key, kind, &field, &text, actor, || Ok(())).map_err(app)?;
            Ok(format!("{} of the {} of {key} recorded\n", field.key(), kind.words()))
        }
        DbCommand::Metrics { year, which, json } => {
            let key = which.resolve(store, year)?;
            let agreement = pooled_app::agreement(store, &key).map_err(app)?;
            let stored = store.metrics(&key).map_err(store_error)?;
            let states = pooled_app::metrics::series_states(&agreement, &stored);
            let listed = pooled_app::json::metrics(&agreement, &states);
            Ok(if json { crate::json::pretty(&listed) } else { crate::text::metrics(&listed) })
        }
        // Whoever can open the database may enter any figure: no access rule here.
        DbCommand::Metric { action: MetricCommand::Set { year, which, metric, period, kind, value } } => {
            let key = which.resolve(store, year)?;
            let agreement = pooled_app::agreement(store, &key).map_err(app)?;
            let entry = MetricEntry { series: metric.clone(), period, kind, figure: value };
            pooled_app::metrics::set_metrics(store, &agreement, &[entry], actor, |_| Ok(())).map_err(app)?;
            Ok(format!("{metric} {period} {} of {key}: {value}\n", kind.key()))
        }
        DbCommand::Metric { action: MetricCommand::Import { year, which, file } } => {
            let key = which.resolve(store, year)?;
            let agreement = pooled_app::agreement(store, &key).map_err(app)?;
            let imported =
                pooled_app::metrics::import_metrics(store, &agreement, &file, actor, |_| Ok(())).map_err(app)?;
            Ok(format!("{}: {} figures recorded for {key}\n", file.display(), imported.figures))
        }
        DbCommand::Forecast { year, which, month, cost_centre, outturn, confirm_below_actual } => {
            let key = which.resolve(store, year)?;
            // Whoever can open the database may enter any forecast: no access rule here.
            let entry =
                ForecastEntry { agreement: &key, month, cost_centre: &cost_centre, outturn, confirm_below_actual };
            pooled_app::set_forecast(store, &entry, actor, |_| Ok(())).map_err(app)?;
            Ok(format!("forecast outturn for {cost_centre} in {key} {month}: {outturn}\n"))
        }
        DbCommand::Saving { year, which, id, forecast, month, delivered, json } => {
            let (figure, amount) = match (forecast, month, delivered) {
                (Some(amount), Some(month), None) => (SavingFigure::Forecast(month), amount),
                (None, None, Some(amount)) => (SavingFigure::Delivered, amount),
                _ => unreachable!("clap takes --forecast with --month, or --delivered"),
            };
            let key = which.resolve(store, year)?;
            let agreement = pooled_app::agreement(store, &key).map_err(app)?;
            let entry = SavingEntry { saving: id.clone(), figure, amount };
            // Whoever can open the database may record any saving: no access rule here.
            pooled_app::record_saving(store, &agreement, &entry, actor, || Ok(())).map_err(app)?;
            if json {
                let stored = store.saving_records(&key).map_err(store_error)?;
                let states = pooled_app::saving_states(&agreement, &stored);
                let state = states.iter().find(|s| s.saving.id == id).expect("a saving just recorded");
                return Ok(crate::json::pretty(&pooled_app::json::saving(&agreement, state)));
            }
            Ok(match figure {
                SavingFigure::Forecast(month) => {
                    format!("saving {id} of {key}: forecast delivery {amount}, made in {month}\n")
                }
                SavingFigure::Delivered => format!("saving {id} of {key}: delivered {amount}\n"),
            })
        }
        DbCommand::Report { year, which, month, format, output } => {
            let key = which.resolve(store, year)?;
            let read = pooled_app::anchored(store, |store| pooled_app::report(store, &key, month));
            let Anchored { value: report, head } = read.map_err(app)?;
            report::write(&report, &head, format, output.as_deref())
        }
        DbCommand::RecordPayment { year, which, pool, from, to, month, raised, paid, amount } => {
            let key = which.resolve(store, year)?;
            let agreement = pooled_app::agreement(store, &key).map_err(app)?;
            let record = PaymentRecord { pool, from, to, month, raised_on: raised, paid_on: paid, amount };
            // Whoever can open the database may record any instalment: no access rule here.
            let t = pooled_app::record_payment(store, &agreement, record, actor, |_, _| Ok(())).map_err(app)?;
            let (i, account) = (&t.instalment, &t.account);
            Ok(format!(
                "recorded {} {} from {} to {}: invoiced {}, paid {}, outstanding {}\n",
                i.pool,
                i.month,
                i.payer.id,
                i.payee.id,
                account.invoiced(),
                account.paid(),
                account.outstanding()
            ))
        }
        DbCommand::Audit { action: AuditCommand::Log } => Ok(store
            .audit_log()
            .map_err(store_error)?
            .iter()
            .map(|e| format!("{} {} {} {} {}\n", e.seq, e.at, e.actor, e.action, e.subject))
            .collect()),
        DbCommand::Audit { action: AuditCommand::Head } => {
            Ok(format!("{}\n", store.audit_head().map_err(store_error)?))
        }
        DbCommand::Audit { action: AuditCommand::Verify { heads } } => verify(store, &heads),
    }
}

/// `pooled audit verify [--head SEQ:HASH]...`: what was checked, or the first problem.
fn verify(store: &dyn Store, heads: &[AuditHead]) -> Outcome {
    let checked =
        pooled_app::anchored(store, |store| Ok((store.verify_audit_against(heads)?, store.audit_log()?.len())));
    let Anchored { value: (problem, entries), head } = checked.map_err(app)?;
    if let Some(problem) = problem {
        return Err(Failure::Input(vec![format!(
            "the audit log does not check out at entry {}: {}",
            problem.seq, problem.reason
        )]));
    }
    let mut out = format!("audit log intact: {entries} entries verified, head {head}\n");
    for published in heads {
        out.push_str(&format!("unchanged up to the published head {published}\n"));
    }
    Ok(out)
}

/// `pooled agreements`: a line per agreement.
fn agreements_table(listed: &[pooled_app::AgreementListing]) -> String {
    if listed.is_empty() {
        return "no agreements loaded: run `pooled load FILE`\n".to_string();
    }
    let mut table = crate::table::Table::new(&["Agreement", "Name", "Years", "Partners"]);
    for a in listed {
        let years: Vec<String> = a.years.iter().map(ToString::to_string).collect();
        table.row([a.id.clone(), a.name.clone(), years.join(" "), a.partners.join(" ")]);
    }
    table.render()
}

/// `pooled settle --year`: the settlement on the ledger outturn, with the invoices.
pub fn settle(db: &Db, year: FinancialYear, which: &Which, waived: &[String], json: bool) -> Outcome {
    let store = open(db)?;
    let key = which.resolve(store.as_ref(), year)?;
    let read = pooled_app::anchored(store.as_ref(), |store| pooled_app::year_end(store, &key, waived));
    let Anchored { value: end, head } = read.map_err(app)?;
    let a = &end.agreement;
    if json {
        return Ok(crate::json::pretty(&pooled_app::json::year_end(&end, &head)));
    }
    let mut out = match &end.provisional {
        Some(p) => {
            format!("Provisional settlement of {key} on the ledger outturn\n{}\n\n", crate::text::provisional(p))
        }
        None => format!("Year-end settlement of {key} on the ledger outturn\n\n"),
    };
    out.push_str(&crate::text::settlement(a, &end.settlements));
    out.push_str(&crate::text::invoices(a, &end.invoices));
    out.push_str(&format!("\n{}\n", pooled_app::head_line(&head)));
    Ok(out)
}

/// `pooled payments --year`: the schedule with what is invoiced, paid and outstanding.
pub fn payments(db: &Db, year: FinancialYear, which: &Which, json: bool) -> Outcome {
    let store = open(db)?;
    let key = which.resolve(store.as_ref(), year)?;
    let a = pooled_app::agreement(store.as_ref(), &key).map_err(app)?;
    let tracked = pooled_app::payments(store.as_ref(), &a).map_err(app)?;
    let districts = pooled_core::payments::to_districts(&a);
    Ok(if json {
        crate::json::pretty(&pooled_app::json::payments(&tracked, &districts))
    } else {
        crate::text::payments(&a, &tracked) + &crate::text::districts(&districts)
    })
}

/// `pooled bcf --year --month`: spend per stream, scheme and type from the ledger, with
/// the audit log's head as of its figures.
pub fn bcf(db: &Db, year: FinancialYear, month: FiscalMonth, which: &Which, json: bool) -> Outcome {
    let store = open(db)?;
    let key = which.resolve(store.as_ref(), year)?;
    let read = pooled_app::anchored(store.as_ref(), |store| pooled_app::bcf(store, &key, month));
    let Anchored { value: spending, head } = read.map_err(app)?;
    if json {
        return Ok(crate::json::pretty(&pooled_app::json::bcf_ledger(&spending, &head)));
    }
    let mut out = format!("Funding streams and schemes of {key} at {month}, from the ledger\n\n");
    out.push_str(&crate::text::bcf(&spending.agreement, &spending.spend, &spending.conditions));
    out.push_str(&format!("\n{}\n", pooled_app::head_line(&head)));
    Ok(out)
}

/// A statement piped in: read up to a little past the most a statement may hold (four
/// bytes a character), so that an endless input is refused rather than held.
fn statement_from_stdin() -> Result<String, Failure> {
    use std::io::Read;
    let limit = 4 * pooled_core::bcf::returns::MAX_STATEMENT_CHARS as u64 + 1;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Input(vec![format!("standard input: {e}")]))?;
    String::from_utf8(bytes).map_err(|_| Failure::Input(vec!["standard input: the statement is not UTF-8 text".into()]))
}

fn preset_mapping(name: &str) -> Result<Mapping, Failure> {
    Mapping::preset(name).ok_or_else(|| {
        let names: Vec<String> = Mapping::presets().into_iter().map(|m| m.name).collect();
        Failure::Usage(format!("unknown preset `{name}` (presets are {})", names.join(", ")))
    })
}

/// A progress bar on standard error, only when it is a terminal.
struct ProgressBar {
    label: String,
    active: bool,
    last_percent: Option<u64>,
}

impl ProgressBar {
    fn new(file: &Path) -> ProgressBar {
        ProgressBar { label: file.display().to_string(), active: std::io::stderr().is_terminal(), last_percent: None }
    }

    fn show(&mut self, done: u64, total: u64) {
        if !self.active || total == 0 {
            return;
        }
        let percent = done.min(total) * 100 / total;
        if self.last_percent == Some(percent) {
            return;
        }
        self.last_percent = Some(percent);
        let filled = (percent / 5) as usize;
        eprint!("\r{} [{}{}] {percent:>3}%", self.label, "#".repeat(filled), " ".repeat(20 - filled));
    }

    fn finish(&self) {
        if self.active && self.last_percent.is_some() {
            eprintln!();
        }
    }
}
