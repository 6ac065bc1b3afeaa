//! The flags: [`Args`].

use clap::{Parser, ValueEnum};

use crate::scenarios::Scenario;

/// Shown at the end of `--help`.
const EXAMPLES: &str = "\
Examples:
  provbench --concurrency 32
  provbench --scenarios health,get --duration 10 --output json
  provbench --scenarios health,verify --duration 1 --rounds 8
  provbench --scenarios register,register-batch --duration 5
  provbench --target http://127.0.0.1:50051 --scenarios health,get   # token in PROVENANCE_TOKEN

The report goes to standard output, progress to standard error. Measure with a release build
(`cargo run --release -p provbench -- ...`): a debug build's figures say little.";

/// Load generator for provenance-registry: calls/s and latency per scenario.
///
/// provbench measures how many calls per second the registry answers, and how long they take (p50,
/// p99, max), under a fixed number of concurrent callers over HTTP/2, scenario by scenario (see
/// `--scenarios`); every answer is checked. By default it starts the real server in-process on a
/// free loopback port, with a fresh data directory (SQLite, or PostgreSQL with `--database-url`)
/// and an organisation of its own; `--target` measures a running server instead. Certificate
/// issuance and verification are judged against goals relative to the health check.
#[derive(Debug, Parser)]
#[command(name = "provbench", version, about, after_help = EXAMPLES)]
pub struct Args {
    /// URL of a running server, e.g. `http://127.0.0.1:50051`. Without it, the server is started
    /// in-process on a free loopback port with a temporary data directory.
    #[arg(long)]
    pub target: Option<String>,
    /// Registrar or admin token of an organisation on `--target`.
    #[arg(long, env = "PROVENANCE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Allow a `--target` that does not resolve to loopback addresses only.
    #[arg(long)]
    pub allow_remote: bool,
    /// Concurrent callers per scenario.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Callers of the `lineage` scenario; default: the smaller of `--concurrency` and 4, since each
    /// walk is heavy.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub lineage_concurrency: Option<u32>,
    /// Callers of the `evaluate` scenario's second run (the first is sequential); default: the
    /// smaller of `--concurrency` and 4 (the server's read pool). 1 skips the second run.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub evaluate_concurrency: Option<u32>,
    /// Callers of the `register-batch` scenario; default: the smaller of `--concurrency` and 4.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch_concurrency: Option<u32>,
    /// Registrations per `RegisterDatasets` call of the `register-batch` scenario, 1 to 1000.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// Callers sharing one HTTP/2 connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub callers_per_connection: u32,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// Times the whole list of scenarios is run, each for `--duration` seconds a round; a scenario's
    /// figures add up over the rounds. Alternating short rounds of `health` and `verify` measures
    /// both under the same machine conditions, which a shared or virtual machine changes from one
    /// second to the next. Only for `health`, `register`, `register-batch`, `get`, `issue` and
    /// `verify`, the scenarios without a graph to build.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,
    /// Datasets in the lineage graph.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub lineage_nodes: u64,
    /// Events the `log` scenario fills the log to before measuring proofs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub log_leaves: u64,
    /// Certificates in the list the `status-list` scenario builds.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(8..=100_000_000))]
    pub status_list_size: u64,
    /// Datasets in each of the two `evaluate` graphs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub evaluate_nodes: u64,
    /// Seed of the random choices (graph shapes, ids picked); default: drawn from the clock.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Database of the in-process server: default SQLite in its temporary data directory; a
    /// `postgres://` URL of an empty database (e.g. made with `createdb`) benchmarks PostgreSQL.
    /// No effect with `--target`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the in-process server's data directory instead of removing it at the end (its path is
    /// printed); no effect with `--target`.
    #[arg(long)]
    pub keep_data: bool,
    /// Scenarios to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "health,register,get,lineage,issue,verify"
    )]
    pub scenarios: Vec<Scenario>,
    /// Report format: `text`, a table and its notes, or `json`, one JSON object (as provctl's
    /// `--output json`). Progress goes to standard error either way.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// The former spelling of `--output json`, kept for scripts.
    #[arg(long, hide = true, conflicts_with = "output")]
    pub json: bool,
}

impl Args {
    /// Whether the report is one JSON object (`--output json`, or `--json`).
    pub fn json_report(&self) -> bool {
        self.json || self.output == OutputFormat::Json
    }
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table and its notes, for people.
    Text,
    /// One JSON object, for programs.
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("provbench").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn the_report_format_is_chosen_as_provctl_chooses_it() -> Result<(), clap::Error> {
        assert!(!parse(&[])?.json_report());
        assert!(parse(&["--output", "json"])?.json_report());
        assert!(!parse(&["--output", "text"])?.json_report());
        // The old flag still works, hidden, and cannot contradict the new one.
        assert!(parse(&["--json"])?.json_report());
        assert!(parse(&["--json", "--output", "text"]).is_err());
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains("--output"), "{help}");
        assert!(!help.contains("--json"), "{help}");
        Ok(())
    }

    /// `--help` is provbench's own, with each scenario described.
    #[test]
    fn help_describes_provbench_and_its_scenarios() {
        let help = Args::command().render_long_help().to_string();
        assert!(
            help.starts_with("Load generator for provenance-registry"),
            "{help}"
        );
        assert!(
            help.contains("provbench measures how many calls per second"),
            "{help}"
        );
        assert!(help.contains("Examples:"), "{help}");
        for scenario in Scenario::value_variants() {
            let name = scenario.name();
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(&format!("- {name}:"))),
                "{name} undescribed in {help}"
            );
        }
    }
}
