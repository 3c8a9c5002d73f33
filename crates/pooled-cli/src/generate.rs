//! Synthetic data (issue 3, item 9): a cost-centre plan for an agreement, and ledger
//! extracts posting to its cost centres, deterministic from a seed, so that anyone can
//! reproduce the benchmarks and the worked example.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Subcommand;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{Mapping, Period};
use pooled_files::{GenOptions, Postings, Span, gen_ledger, gen_plan, write_plan_csv};

use crate::{Failure, Outcome, load_agreement};

#[derive(Subcommand)]
pub enum GenerateCommand {
    /// Write a cost-centre plan (CSV) for an agreement: budgets summing exactly to each
    /// partner's contribution to each line.
    GenPlan {
        agreement: PathBuf,
        /// Cost centres per partner per line.
        #[arg(long, default_value_t = 20)]
        per_partner: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Write a synthetic ledger extract (CSV) in an ERP's layout, posting to the cost
    /// centres `gen-plan` makes for the same agreement, --per-partner and --plan-seed.
    GenLedger {
        #[arg(long)]
        agreement: PathBuf,
        /// How many rows, sized with no regard to the budgets (as the import benchmarks
        /// use them).
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Instead of --rows: each cost centre's month nets to its budget for the month,
        /// a few lines over and a few under, each pool within about 2% of its budget, with
        /// credit notes and journals, as a real month reads. Give every month the same
        /// --seed, so that a line over budget stays over.
        #[arg(long, conflicts_with = "rows")]
        budgets: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The --seed the plan was made with by gen-plan: its budgets are what --budgets
        /// follows.
        #[arg(long, default_value_t = 1)]
        plan_seed: u64,
        /// Only this partner's cost centres (an extract comes from one partner's ERP).
        #[arg(long)]
        partner: Option<String>,
        /// One month's extract, e.g. 2016-05.
        #[arg(long, value_parser = Period::parse, conflicts_with = "through")]
        period: Option<Period>,
        /// Or the agreement's year from M1 to this month.
        #[arg(long, value_parser = FiscalMonth::parse)]
        through: Option<FiscalMonth>,
        /// The ERP layout: oracle, unit4 or sap.
        #[arg(long, default_value = "unit4")]
        preset: String,
        #[arg(long, default_value_t = 20)]
        per_partner: usize,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub fn run(command: GenerateCommand) -> Outcome {
    match command {
        GenerateCommand::GenPlan { agreement, per_partner, seed, output } => {
            let a = load_agreement(&agreement)?;
            let rows = gen_plan(&a, per_partner, seed);
            write_to(output, |w| write_plan_csv(w, &rows))
        }
        GenerateCommand::GenLedger {
            agreement,
            rows,
            budgets,
            seed,
            plan_seed,
            partner,
            period,
            through,
            preset,
            per_partner,
            output,
        } => {
            let a = load_agreement(&agreement)?;
            let mapping =
                Mapping::preset(&preset).ok_or_else(|| Failure::Usage(format!("unknown preset `{preset}`")))?;
            if let Some(p) = &partner
                && a.partner_ix(p).is_none()
            {
                return Err(Failure::Usage(format!("unknown partner `{p}` in {}", agreement.display())));
            }
            let plan: Vec<_> = gen_plan(&a, per_partner, plan_seed)
                .into_iter()
                .filter(|c| partner.as_ref().is_none_or(|p| *p == c.partner))
                .collect();
            let postings = if budgets {
                Postings::Budgets(plan)
            } else {
                Postings::Rows { rows, cost_centres: plan.into_iter().map(|c| c.code).collect() }
            };
            let year: FinancialYear = a.financial_year();
            let span = match period {
                Some(p) => Span::Period(p),
                None => Span::YearTo { year, through: through.unwrap_or(FiscalMonth::new(12).expect("M12")) },
            };
            let options = GenOptions { seed, ..GenOptions::new(mapping, span, postings) };
            write_to(output, |w| gen_ledger(&options, w))
        }
    }
}

/// Streams to a file, or to standard output; a summary line when writing a file.
fn write_to(output: Option<PathBuf>, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Outcome {
    match output {
        Some(path) => {
            let cannot = |e: std::io::Error| Failure::Input(vec![format!("{}: cannot write: {e}", path.display())]);
            let mut file = BufWriter::new(std::fs::File::create(&path).map_err(cannot)?);
            write(&mut file).and_then(|()| file.flush()).map_err(cannot)?;
            Ok(format!("{}: written\n", path.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = BufWriter::new(stdout.lock());
            write(&mut lock).and_then(|()| lock.flush()).map_err(|e| Failure::Input(vec![format!("stdout: {e}")]))?;
            Ok(String::new())
        }
    }
}
