//! The flags: [`Args`].

use clap::Parser;

use crate::scenarios::Scenario;

/// Load generator for provenance-registry: calls/s and latency per scenario.
#[derive(Debug, Parser)]
#[command(name = "provbench", version, about)]
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
    /// Callers sharing one HTTP/2 connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub callers_per_connection: u32,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// Times the whole list of scenarios is run, each for `--duration` seconds a round; a scenario's
    /// figures add up over the rounds. Alternating short rounds of `health` and `verify` measures
    /// both under the same machine conditions, which a shared or virtual machine changes from one
    /// second to the next. Only for `health`, `register`, `get`, `issue` and `verify`, the
    /// scenarios without a graph to build.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,
    /// Datasets in the lineage graph.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub lineage_nodes: u64,
    /// Events the `log` scenario fills the log to before measuring proofs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub log_leaves: u64,
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
    /// Print one JSON object instead of a table (progress still goes to standard error).
    #[arg(long)]
    pub json: bool,
}
