//! `pooled`: the command line (docs/cli.md). Thin: it reads files, calls the core, and prints
//! a table or the JSON contract. Exit 0 on success, 1 on invalid input, 2 on usage.

mod db;
mod generate;
mod json;
mod report;
mod serve;
mod table;
mod text;
mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{Calendar, Date, FinancialYear, FiscalMonth};
use pooled_core::diagnostic::{self, Diagnostic};
use pooled_core::governance::{Meeting, check_meeting};
use pooled_core::settlement::{Outturn, settle};
use pooled_core::termination::{NoticeReason, notice};
use pooled_core::{payments, risk_share};

#[derive(Parser)]
#[command(name = "pooled", version, about = "The system of record for section 75 pooled budgets")]
struct Cli {
    #[command(flatten)]
    db: db::Db,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate an agreement file: errors, and warnings such as declared totals that differ.
    Check { agreement: PathBuf },
    /// Each pool's risk-share table: contributions, exclusions, income added back, base, share.
    RiskShare {
        agreement: PathBuf,
        #[arg(long)]
        json: bool,
        /// Show amounts in £'000, as the body of the 2016 report does.
        #[arg(long)]
        thousands: bool,
    },
    /// Year-end settlement of every pool, part by part: on an outturn file, or with --year on the
    /// ledger in the database, with the invoices between partners.
    Settle {
        #[arg(required_unless_present = "year", conflicts_with = "year")]
        agreement: Option<PathBuf>,
        #[arg(required_unless_present = "year")]
        outturn: Option<PathBuf>,
        #[arg(long, value_parser = FinancialYear::parse)]
        year: Option<FinancialYear>,
        #[command(flatten)]
        which: db::Which,
        /// Rules waived by recorded decision (a clawback's id), with --year.
        #[arg(long, requires = "year")]
        waive: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Monthly instalments from each partner to each pool's host: from an agreement
    /// file, or with --year from the database with what is invoiced, paid and outstanding.
    Payments {
        #[arg(required_unless_present = "year", conflicts_with = "year")]
        agreement: Option<PathBuf>,
        #[arg(long, value_parser = FinancialYear::parse)]
        year: Option<FinancialYear>,
        #[command(flatten)]
        which: db::Which,
        #[arg(long)]
        json: bool,
    },
    /// Funding streams and schemes: each stream's allocation and what its lines take, and
    /// the schemes by type; from an agreement file (the plan), or with --year and --month
    /// from the ledger in the database (planned, actual to date and forecast).
    Bcf {
        #[arg(required_unless_present = "year", conflicts_with = "year")]
        agreement: Option<PathBuf>,
        #[arg(long, value_parser = FinancialYear::parse, requires = "month")]
        year: Option<FinancialYear>,
        #[command(flatten)]
        which: db::Which,
        #[arg(long, value_parser = FiscalMonth::parse, requires = "year")]
        month: Option<FiscalMonth>,
        #[arg(long)]
        json: bool,
    },
    /// Check a board meeting: quorum, seats, decisions, agenda and minutes deadlines.
    Meeting {
        agreement: PathBuf,
        meeting: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// When notice of termination given on a date takes effect.
    Notice {
        agreement: PathBuf,
        #[arg(long, value_parser = parse_date)]
        given: Date,
        #[arg(long, value_enum, default_value = "standard")]
        reason: Reason,
        /// Months of notice; only with --reason default, and shorter than the standard.
        #[arg(long)]
        months: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Working days from one date to another, both included.
    WorkingDays {
        #[arg(long, value_parser = parse_calendar, default_value = "england-and-wales")]
        calendar: Calendar,
        #[arg(long, value_parser = parse_date)]
        from: Date,
        #[arg(long, value_parser = parse_date)]
        to: Date,
    },
    #[command(flatten)]
    Db(db::DbCommand),
    #[command(flatten)]
    Generate(generate::GenerateCommand),
    #[command(flatten)]
    Serve(serve::ServeCommand),
    /// The web application's accounts: add, list, password, disable, enable.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// API tokens for scripts that call the web application's JSON API.
    Token {
        #[command(subcommand)]
        command: users::TokenCommand,
    },
    /// A year's bank holidays, one a line: ISO date, then the name.
    BankHolidays {
        #[arg(long, value_parser = parse_calendar, default_value = "england-and-wales")]
        calendar: Calendar,
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=9999))]
        year: i32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Reason {
    Standard,
    NoContributionAgreement,
    Default,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse_iso(s)
}

fn parse_calendar(s: &str) -> Result<Calendar, String> {
    Calendar::parse(s)
}

/// What went wrong, and so which exit code: 1 for bad input, 2 for bad usage.
enum Failure {
    Input(Vec<String>),
    Usage(String),
}

type Outcome = Result<String, Failure>;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // `pooled demo` replaces its database: only one named on the command line, never
    // POOLED_DATABASE's or the default.
    cli.db.database_given = matches.value_source("database") == Some(ValueSource::CommandLine);
    match run(&cli.db, cli.command) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure::Input(lines)) => {
            for line in lines {
                eprintln!("{line}");
            }
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(db: &db::Db, command: Command) -> Outcome {
    match command {
        Command::Db(command) => db::run(db, command),
        Command::Generate(command) => generate::run(command),
        Command::Serve(command) => serve::run(db, command),
        Command::User { command } => users::run_user(db, command),
        Command::Token { command } => users::run_token(db, command),
        Command::Check { agreement } => {
            let text = read(&agreement)?;
            match Agreement::parse(&text) {
                Ok((a, warnings)) => {
                    let mut out = render_all(&agreement, &text, &warnings).join("\n");
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(&text::check_summary(&a, warnings.len()));
                    Ok(out)
                }
                Err(errors) => Err(Failure::Input(render_all(&agreement, &text, &errors))),
            }
        }
        Command::RiskShare { agreement, json, thousands } => {
            let a = load_agreement(&agreement)?;
            let tables: Vec<_> = a.pools().iter().filter_map(|p| Some((p, risk_share::risk_share(&a, p)?))).collect();
            Ok(if json {
                json::pretty(&pooled_app::json::risk_share(&a, &tables))
            } else {
                text::risk_share(&a, &tables, if thousands { text::Units::Thousands } else { text::Units::Pounds })
            })
        }
        Command::Settle { year: Some(year), which, waive, json, .. } => db::settle(db, year, &which, &waive, json),
        Command::Settle { agreement: Some(agreement), outturn: Some(outturn), json, .. } => {
            let a = load_agreement(&agreement)?;
            let o = load(&outturn, |text| Outturn::parse(text, &a))?;
            let settled = settle(&a, &o);
            Ok(if json {
                json::pretty(&pooled_app::json::settlement(&settled))
            } else {
                text::settlement(&a, &settled)
            })
        }
        Command::Settle { .. } => unreachable!("clap requires the files or --year"),
        Command::Payments { year: Some(year), which, json, .. } => db::payments(db, year, &which, json),
        Command::Payments { agreement: Some(agreement), json, .. } => {
            let a = load_agreement(&agreement)?;
            let (schedule, districts) = (payments::schedule(&a), payments::to_districts(&a));
            Ok(if json {
                json::pretty(&pooled_app::json::schedule(&schedule, &districts))
            } else {
                text::schedule(&a, &schedule) + &text::districts(&districts)
            })
        }
        Command::Payments { .. } => unreachable!("clap requires the file or --year"),
        Command::Bcf { year: Some(year), month: Some(month), which, json, .. } => {
            db::bcf(db, year, month, &which, json)
        }
        Command::Bcf { agreement: Some(agreement), json, .. } => {
            let a = load_agreement(&agreement)?;
            let plan = pooled_core::bcf::planned(&a);
            Ok(if json {
                json::pretty(&pooled_app::json::bcf_plan(&a, &plan))
            } else {
                text::bcf(&a, &plan, &pooled_core::bcf::conditions::conditions(&a, &plan))
            })
        }
        Command::Bcf { .. } => unreachable!("clap requires the file, or --year with --month"),
        Command::Meeting { agreement, meeting, json } => {
            let a = load_agreement(&agreement)?;
            let m = load(&meeting, |text| Meeting::parse(text, &a))?;
            let board = a.board().expect("Meeting::parse checked the board");
            let checked = check_meeting(&a, board, &m);
            Ok(if json { json::meeting(&a, &checked) } else { text::meeting(&a, board, &m, &checked) })
        }
        Command::Notice { agreement, given, reason, months, json } => {
            let source = read(&agreement)?;
            let a = parsed(&agreement, &source, Agreement::parse)?;
            let reason = match (reason, months) {
                (Reason::Default, Some(months)) => NoticeReason::Default { months },
                (Reason::Default, None) => return Err(Failure::Usage("--reason default needs --months N".into())),
                (_, Some(_)) => return Err(Failure::Usage("--months goes only with --reason default".into())),
                (Reason::Standard, None) => NoticeReason::Standard,
                (Reason::NoContributionAgreement, None) => NoticeReason::NoContributionAgreement,
            };
            let terms = a.termination().ok_or_else(|| {
                // Where the table would go: at the end of the file.
                let missing = Diagnostic::error(
                    source.len()..source.len(),
                    "the agreement has no [termination] table: add one with notice_months and no_contribution_agreement_months",
                );
                Failure::Input(vec![missing.render(&agreement.display().to_string(), &source)])
            })?;
            let n = notice(terms, given, reason).map_err(Failure::Usage)?;
            Ok(if json { json::notice(&n) } else { text::notice(&n) })
        }
        Command::WorkingDays { calendar, from, to } => Ok(format!("{}\n", calendar.working_days_between(from, to))),
        Command::BankHolidays { calendar, year } => {
            Ok(calendar.bank_holidays(year).iter().map(|h| format!("{} {}\n", h.date, h.name)).collect())
        }
    }
}

fn warn_lines(lines: &[String]) {
    for line in lines {
        eprintln!("{line}");
    }
}

/// A text file (agreement, outturn, meeting, register), which must be UTF-8: otherwise
/// an error at the line and column of its first byte that is not.
fn read(path: &Path) -> Result<String, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Input(vec![format!("{}: cannot read: {e}", path.display())]))?;
    diagnostic::utf8_text(&path.display().to_string(), &bytes).map(str::to_string).map_err(|e| Failure::Input(vec![e]))
}

/// Reads and parses a file; its warnings go to standard error, its errors make a Failure.
fn load<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<(T, Vec<Diagnostic>), Vec<Diagnostic>>,
) -> Result<T, Failure> {
    parsed(path, &read(path)?, parse)
}

/// [`load`] of a file already read.
fn parsed<T>(
    path: &Path,
    text: &str,
    parse: impl FnOnce(&str) -> Result<(T, Vec<Diagnostic>), Vec<Diagnostic>>,
) -> Result<T, Failure> {
    let (value, warnings) = parse(text).map_err(|e| Failure::Input(render_all(path, text, &e)))?;
    warn(path, text, &warnings);
    Ok(value)
}

fn load_agreement(path: &Path) -> Result<Agreement, Failure> {
    load(path, Agreement::parse)
}

fn render_all(path: &Path, text: &str, diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| d.render(&path.display().to_string(), text)).collect()
}

fn warn(path: &Path, text: &str, warnings: &[Diagnostic]) {
    for line in render_all(path, text, warnings) {
        eprintln!("{line}");
    }
}
