//! `provbench`: a load generator for provenance-registry. It measures, over gRPC and under a fixed
//! number of concurrent callers, how many calls per second the registry answers and how long they
//! take (p50, p99, max), for eight scenarios:
//!
//! - `health`: `grpc.health.v1.Health/Check`, which touches neither tokens nor the database. It is
//!   the floor of the RPC stack, and every other figure is also given as a ratio of it.
//! - `register`: `DatasetService.RegisterDataset` with unique names, each acknowledged call durably
//!   committed (SQLite `synchronous=FULL`, group commit).
//! - `get`: `DatasetService.GetDataset` on random registered ids.
//! - `lineage`: builds a layered graph of `--lineage-nodes` datasets through the API, then walks it
//!   upstream from its last layer with `GetLineage` (pages of 1000); one call is one full walk.
//! - `evaluate` (not in the default list: it builds 2 x `--evaluate-nodes` datasets, about a
//!   minute here): `PolicyService.EvaluateDataset` under the built-in DeepSeek-R1 policy, on the
//!   last registered dataset (a leaf) of two graphs registered through the API, each in waves of
//!   256 so that every parent exists before its children:
//!   - `evaluate-random`: each dataset names 1 to 3 parents drawn uniformly from every dataset of
//!     the earlier waves. Its upstream closure is small (a few hundred datasets typically): most
//!     random paths reach the roots within a few steps.
//!   - `evaluate-deep`: each dataset names 1 to 3 parents among the 8 datasets that precede it by
//!     one wave (indices `i-263..=i-256`), a narrow band sliding down the whole graph, so that the
//!     leaf's closure holds most of the graph (about three quarters of it).
//!
//!   A few datasets of the first wave (the roots) declare a `MODEL_GENERATED` source naming
//!   `deepseek-ai/DeepSeek-R1`, so that evaluation has offenders to find shortest paths to. After
//!   3 warm-up calls, each leaf is evaluated sequentially for `--duration` seconds, then with
//!   `--evaluate-concurrency` callers. The report gives build times, the `closure_size`, verdict
//!   and `offender_count` the server answered (every answer must match the first), and whether the
//!   sequential evaluations met the goal of under 1 s each (their maximum).
//! - `issue`: `CertificateService.IssueCertificate` under the built-in DeepSeek-R1 policy, cycling
//!   over a few hundred certifiable datasets (each may be certified many times). They are set up
//!   once, before the first of `issue` and `verify` that runs, through the API: 200 roots with a
//!   web-crawl source and 100 datasets deriving from one root each (chains of 2), every one then
//!   attested by its owner (`RecordAttestation`, manual review), so that each lineage is CLEAN.
//!   Every answer must be a valid, clean certificate of the dataset asked for. Goal (the issue's):
//!   at least 1,000 issuances per second, without errors.
//! - `verify`: `CertificateService.VerifyCertificate`, without an access token (verifiers need
//!   none), cycling over 2048 distinct tokens (those `issue` kept, topped up by issuing the rest
//!   first), each caller starting at its own place in the cycle. Every answer must say `valid:
//!   true` for the certificate id asked about. Goal: at least 0.4 x the calls/s of `health` in
//!   the same run (0.5 x as a stretch); not judged when `health` did not run.
//!
//! - `log` (not in the default list): fills the transparency log to `--log-leaves` events through
//!   `RegisterDataset` (one event each), reporting the append rate of the first and the last chunk
//!   of 20,000 (appends must not slow as the log grows), then measures `GetInclusionProof` (random
//!   leaf) and `GetConsistencyProof` (random older size) against the whole tree, alternately, each
//!   answer verified with the `transparency-log` crate.
//!
//! By default it starts the real server in-process on a free loopback port with a fresh data
//! directory (removed at the end) and bootstraps an organisation; the server then shares the
//! process, and the machine's cores, with the load generator. `--target URL` measures a running
//! server instead, with a registrar or admin token in `--token` or `PROVENANCE_TOKEN`.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --bin provbench -- --concurrency 32
//! cargo run --release --bin provbench -- --scenarios health,get --duration 10 --json
//! cargo run --release --bin provbench -- --scenarios health,evaluate --duration 5
//! cargo run --release --bin provbench -- --scenarios health,issue,verify --duration 5
//! cargo run --release --bin provbench -- --scenarios health,verify --duration 1 --rounds 8
//! cargo run --release --bin provbench -- --scenarios evaluate --evaluate-nodes 20000 --keep-data
//! cargo run --release --bin provbench -- --scenarios log --log-leaves 1000000 --duration 10
//! ```
//!
//! `--keep-data` leaves the in-process server's data directory in place (its path is printed), so
//! that its `registry.db` can be examined afterwards, e.g. with the `sqlite3` command-line shell.
//! `--seed` makes the random choices, and so the graphs' shapes, reproducible.
//! `--rounds N` runs the list N times and adds each scenario's rounds up, so that alternating short
//! rounds of `health` and `verify` compare them under the same machine conditions.

/// The allocator of the `provenance-registry` binary, so that the in-process server is measured
/// as it is deployed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use pb::attestation_service_client::AttestationServiceClient;
use pb::certificate_service_client::CertificateServiceClient;
use pb::dataset_service_client::DatasetServiceClient;
use pb::event_service_client::EventServiceClient;
use pb::lineage_service_client::LineageServiceClient;
use pb::policy_service_client::PolicyServiceClient;
use pb::transparency_log_service_client::TransparencyLogServiceClient;
use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Longest a single call may take; keeps every loop bounded even if the server stops answering.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Datasets per layer of the lineage graph.
const LINEAGE_WIDTH: usize = 100;
/// Page size of the lineage walks (the API's maximum).
const LINEAGE_PAGE: i32 = 1000;
/// Datasets registered for `get` when `register` did not run first.
const GET_SEED: usize = 1000;
/// How long the in-process server gets to finish its calls and stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Datasets per registration wave of the evaluation graphs. A constant, not a function of the
/// concurrency, so that the graphs' shapes depend on `--seed` and `--evaluate-nodes` alone.
const EVALUATE_WAVE: usize = 256;
/// How many of the datasets one wave back the deep variant picks its parents from.
const EVALUATE_DEEP_WINDOW: usize = 8;
/// Roots of each evaluation graph that declare a restricted model's output.
const EVALUATE_OFFENDERS: usize = 8;
/// Evaluations before the measured ones: the first fills SQLite's page cache.
const EVALUATE_WARMUP: usize = 3;
/// The goal per evaluation (the issue's): under one second on SQLite.
const EVALUATE_GOAL: Duration = Duration::from_secs(1);
/// The built-in policy evaluated; its version is left empty (only one is loaded).
const EVALUATE_POLICY: &str = "deepseek-r1-anti-distillation";
/// The model named by the restricted sources, as Hugging Face spells it.
const RESTRICTED_MODEL: &str = "deepseek-ai/DeepSeek-R1";
/// Certifiable roots of `issue` and `verify`: one web-crawl source each, no parent dataset.
const CERTIFY_ROOTS: usize = 200;
/// Certifiable datasets deriving from one root each (a chain of 2): issuing for them also reads a
/// closure of two, as a real lineage would.
const CERTIFY_CHILDREN: usize = 100;
/// Distinct tokens `verify` cycles through: more than a small cache of recent tokens would hold,
/// so that each verification does the whole work, yet few enough to issue in seconds when `issue`
/// did not run first.
const VERIFY_TOKENS: usize = 2048;
/// The issuance goal (the issue's): at least this many certificates per second on SQLite.
const ISSUE_GOAL_PER_S: f64 = 1000.0;
/// The verification goal: at least this fraction of `health`'s calls/s in the same run.
const VERIFY_GOAL_RATIO: f64 = 0.4;
/// The verification stretch goal, as the same fraction.
const VERIFY_STRETCH_RATIO: f64 = 0.5;
/// How long `watch` lets its streams catch up with the log before it measures.
const WATCH_SETTLE: Duration = Duration::from_secs(2);

/// Load generator for provenance-registry: calls/s and latency per scenario.
#[derive(Debug, Parser)]
#[command(name = "provbench", version, about)]
struct Args {
    /// URL of a running server, e.g. `http://127.0.0.1:50051`. Without it, the server is started
    /// in-process on a free loopback port with a temporary data directory.
    #[arg(long)]
    target: Option<String>,
    /// Registrar or admin token of an organisation on `--target`.
    #[arg(long, env = "PROVENANCE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Allow a `--target` that does not resolve to loopback addresses only.
    #[arg(long)]
    allow_remote: bool,
    /// Concurrent callers per scenario.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Callers of the `lineage` scenario; default: the smaller of `--concurrency` and 4, since each
    /// walk is heavy.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    lineage_concurrency: Option<u32>,
    /// Callers of the `evaluate` scenario's second run (the first is sequential); default: the
    /// smaller of `--concurrency` and 4 (the server's read pool). 1 skips the second run.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    evaluate_concurrency: Option<u32>,
    /// Callers sharing one HTTP/2 connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    callers_per_connection: u32,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration: u64,
    /// Times the whole list of scenarios is run, each for `--duration` seconds a round; a scenario's
    /// figures add up over the rounds. Alternating short rounds of `health` and `verify` measures
    /// both under the same machine conditions, which a shared or virtual machine changes from one
    /// second to the next. Only for `health`, `register`, `get`, `issue` and `verify`, the
    /// scenarios without a graph to build.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds: u32,
    /// Datasets in the lineage graph.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    lineage_nodes: u64,
    /// Events the `log` scenario fills the log to before measuring proofs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    log_leaves: u64,
    /// Datasets in each of the two `evaluate` graphs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    evaluate_nodes: u64,
    /// Seed of the random choices (graph shapes, ids picked); default: drawn from the clock.
    #[arg(long)]
    seed: Option<u64>,
    /// Database of the in-process server: default SQLite in its temporary data directory; a
    /// `postgres://` URL of an empty database (e.g. made with `createdb`) benchmarks PostgreSQL.
    /// No effect with `--target`.
    #[arg(long)]
    database_url: Option<String>,
    /// Keep the in-process server's data directory instead of removing it at the end (its path is
    /// printed); no effect with `--target`.
    #[arg(long)]
    keep_data: bool,
    /// Scenarios to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "health,register,get,lineage,issue,verify"
    )]
    scenarios: Vec<Scenario>,
    /// Print one JSON object instead of a table (progress still goes to standard error).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Health,
    Register,
    Get,
    Lineage,
    Evaluate,
    Issue,
    Verify,
    Log,
    Watch,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::Register => "register",
            Scenario::Get => "get",
            Scenario::Lineage => "lineage",
            Scenario::Evaluate => "evaluate",
            Scenario::Issue => "issue",
            Scenario::Verify => "verify",
            Scenario::Log => "log",
            Scenario::Watch => "watch",
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // Warnings only: the server's per-call logging would otherwise be measured too. Not sqlx's
    // slow-statement warnings either: each repeats a whole statement, and `evaluate` makes one per
    // call on a deep graph; the table gives the latencies (`RUST_LOG=warn` shows them again).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx::query=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("provbench: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.rounds > 1
        && let Some(scenario) = args
            .scenarios
            .iter()
            .find(|s| matches!(s, Scenario::Lineage | Scenario::Log | Scenario::Evaluate))
    {
        anyhow::bail!(
            "--rounds above 1 repeats every scenario; `{}` builds a graph each time, so run it \
             with --rounds 1",
            scenario.name()
        );
    }
    if args.scenarios.contains(&Scenario::Watch) {
        if args.rounds > 1 {
            bail!("`watch` measures open, idle streams once, so run it with --rounds 1");
        }
        if args.target.is_some() {
            bail!(
                "`watch` measures the CPU time of this process, so it needs the in-process \
                 server: leave out --target"
            );
        }
    }
    let target = match &args.target {
        Some(url) => {
            check_target(url, args.allow_remote).await?;
            let token = args.token.clone().context(
                "--target needs a registrar or admin token: --token or PROVENANCE_TOKEN",
            )?;
            Target {
                url: url.clone(),
                token,
                in_process: None,
            }
        }
        None => {
            if args.token.is_some() {
                eprintln!(
                    "provbench: note: --token is ignored; the in-process server gets its own"
                );
            }
            start_in_process(args.database_url.clone()).await?
        }
    };
    let description = target.describe();
    eprintln!("provbench: {description}");
    let outcome = bench(&args, &target.url, &target.token, &description).await;
    // Stop the server and remove its data before printing, and even when the benchmark failed, so
    // that neither an error nor a closed standard output leaves them behind.
    if let Some(server) = target.in_process {
        server.stop(args.keep_data).await;
    }
    let report = outcome?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(report.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // The reader went away (as `| head` does): nothing left to tell it.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report"),
    }
}

// ----- the target ----------------------------------------------------------------------------------

struct Target {
    url: String,
    token: String,
    in_process: Option<InProcess>,
}

impl Target {
    fn describe(&self) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match &self.in_process {
            Some(server) => format!(
                "in-process server at {} (data in {}); it shares this process and its {cores} \
                 core(s) with the load generator, so the figures are lower bounds",
                self.url,
                server.dir.display()
            ),
            None => format!(
                "server at {} (the load generator uses {cores} core(s) here)",
                self.url
            ),
        }
    }
}

/// The server started in this process, with its data directory.
struct InProcess {
    dir: PathBuf,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Stops the server; removes its data directory unless `keep`.
    async fn stop(self, keep: bool) {
        let _ = self.stop.send(());
        let mut server = self.server;
        match tokio::time::timeout(STOP_TIMEOUT, &mut server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => eprintln!("provbench: the server stopped with: {error:#}"),
            Ok(Err(error)) => eprintln!("provbench: the server task failed: {error}"),
            Err(_) => {
                eprintln!(
                    "provbench: the server did not stop within {STOP_TIMEOUT:?}; aborting it"
                );
                server.abort();
            }
        }
        if keep {
            // With --database-url the data is in that database; the directory holds the keys.
            let database = self.dir.join("registry.db");
            eprintln!(
                "provbench: data kept in {}{}",
                self.dir.display(),
                if database.exists() {
                    format!(" (database {})", database.display())
                } else {
                    String::new()
                }
            );
        } else {
            remove_dir(&self.dir);
        }
    }
}

fn remove_dir(dir: &Path) {
    if let Err(error) = std::fs::remove_dir_all(dir) {
        eprintln!(
            "provbench: cannot remove the data directory {}: {error}",
            dir.display()
        );
    }
}

async fn start_in_process(database_url: Option<String>) -> anyhow::Result<Target> {
    let dir = std::env::temp_dir().join(format!(
        "provbench-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    // `create_dir`, not `create_dir_all`: a directory that already exists is not ours to delete.
    std::fs::create_dir(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    match start_in(&dir, database_url).await {
        Ok((url, token, stop, server)) => Ok(Target {
            url,
            token,
            in_process: Some(InProcess { dir, stop, server }),
        }),
        Err(error) => {
            remove_dir(&dir);
            Err(error)
        }
    }
}

async fn start_in(
    dir: &Path,
    database_url: Option<String>,
) -> anyhow::Result<(
    String,
    String,
    oneshot::Sender<()>,
    JoinHandle<anyhow::Result<()>>,
)> {
    let common = provenance_registry::config::CommonSettings {
        database_url,
        ..provenance_registry::config::CommonSettings::for_data_dir(dir.to_path_buf())
    };
    let serve = provenance_registry::config::ServeSettings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Default::default()
    };
    let app = provenance_registry::server::Application::build(&common, &serve).await?;
    let addr = app.local_addr()?;
    let (_organization, token, _record) = app
        .registry()
        .bootstrap_organization("bench".into(), None)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bootstrap the bench organisation: {e}"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Ok((format!("http://{addr}"), token, stop, server))
}

/// Refuses targets off this machine unless allowed: a load generator aimed at the wrong host is
/// a denial of service.
async fn check_target(url: &str, allow_remote: bool) -> anyhow::Result<()> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("--target {url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("--target must be an http:// URL (this client speaks plaintext HTTP/2 only)");
    }
    if allow_remote {
        return Ok(());
    }
    let host = uri
        .host()
        .with_context(|| format!("--target {url:?} names no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("cannot resolve {host:?}"))?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|a| !a.ip().is_loopback()) {
        bail!(
            "--target {url:?} resolves to {addresses:?}, not only loopback addresses; \
             pass --allow-remote to load a remote server"
        );
    }
    Ok(())
}

// ----- the benchmark -------------------------------------------------------------------------------

type Auth = AsciiMetadataValue;

fn authorized<T>(message: T, auth: &Auth) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", auth.clone());
    request
}

async fn connect(url: &str, count: usize) -> anyhow::Result<Vec<Channel>> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid target URL {url:?}"))?
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true);
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        // One `connect` per channel: each is its own TCP connection, so callers are spread over
        // several HTTP/2 connections instead of queueing on one.
        channels.push(
            endpoint
                .connect()
                .await
                .with_context(|| format!("cannot connect to {url}"))?,
        );
    }
    Ok(channels)
}

/// Everything a scenario needs.
struct Bench {
    channels: Vec<Channel>,
    callers_per_connection: usize,
    auth: Auth,
    duration: Duration,
    /// Makes names unique per run, so runs against the same server do not collide.
    tag: String,
    seed: u64,
}

impl Bench {
    /// The connection of caller `caller`: callers `0..k` share the first, and so on.
    fn channel(&self, caller: usize) -> Channel {
        self.channels[(caller / self.callers_per_connection) % self.channels.len()].clone()
    }

    fn rng(&self, stream: u64) -> Rng {
        Rng(self.seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// Runs the scenarios; returns the report to print.
async fn bench(args: &Args, url: &str, token: &str, description: &str) -> anyhow::Result<String> {
    let concurrency = args.concurrency as usize;
    let lineage_concurrency = args
        .lineage_concurrency
        .map_or(concurrency.min(4), |n| n as usize);
    let callers_per_connection = args.callers_per_connection as usize;
    let evaluate_concurrency = args
        .evaluate_concurrency
        .map_or(concurrency.min(4), |n| n as usize);
    let connections = concurrency
        .max(lineage_concurrency)
        .max(evaluate_concurrency)
        .div_ceil(callers_per_connection);
    let auth: Auth = format!("Bearer {}", token.trim())
        .parse()
        .context("the token is not printable ASCII")?;
    let run_id = uuid::Uuid::now_v7();
    let simple = run_id.simple().to_string();
    let bench = Bench {
        channels: connect(url, connections).await?,
        callers_per_connection,
        auth,
        duration: Duration::from_secs(args.duration),
        // The tail of a v7 UUID is random, unlike its head (the time).
        tag: simple[simple.len() - 12..].to_owned(),
        seed: args.seed.unwrap_or(run_id.as_u128() as u64),
    };
    eprintln!("provbench: seed {}", bench.seed);

    let mut results: Vec<Stats> = Vec::new();
    let mut registered: Vec<String> = Vec::new();
    let mut lineage_info: Option<Value> = None;
    let mut log_info: Option<Value> = None;
    let mut evaluate_info: Vec<EvaluationReport> = Vec::new();
    // Set up once, by the first of `issue` and `verify` to run, and shared by both.
    let mut certifiable: Option<Certifiable> = None;
    // Tokens `issue` kept (at most `VERIFY_TOKENS`), for `verify` to check.
    let mut tokens: Vec<IssuedToken> = Vec::new();
    // How many certificates `verify` had to issue first, and how many distinct tokens it cycled.
    let mut verify_info: Option<(usize, usize)> = None;
    let mut watch_info: Option<IdleWatchReport> = None;
    // Each run of `register` names its datasets afresh: a name of an earlier round (or of the
    // same scenario listed twice) would be answered `already_existed`, failing every call.
    let mut register_runs = 0u32;
    for &scenario in (0..args.rounds).flat_map(|_| &args.scenarios) {
        let callers = if scenario == Scenario::Lineage {
            lineage_concurrency
        } else {
            concurrency
        };
        let stats = match scenario {
            Scenario::Watch => {
                eprintln!(
                    "provbench: watch: {callers} idle event streams for {} s",
                    bench.duration.as_secs()
                );
                watch_info = Some(measure_idle_watchers(&bench, callers).await?);
                continue;
            }
            Scenario::Health => {
                announce(scenario, callers, &bench);
                let workers = (0..callers)
                    .map(|c| HealthWorker {
                        client: HealthClient::new(bench.channel(c)),
                    })
                    .collect();
                drive(scenario, workers, bench.duration).await?.1
            }
            Scenario::Register => {
                announce(scenario, callers, &bench);
                let run = register_runs;
                register_runs += 1;
                let workers = (0..callers)
                    .map(|c| RegisterWorker {
                        client: DatasetServiceClient::new(bench.channel(c)),
                        auth: bench.auth.clone(),
                        prefix: format!("bench-{}-r{run}-{c}", bench.tag),
                        n: 0,
                        rng: bench.rng(c as u64),
                        created: Vec::new(),
                    })
                    .collect();
                let (workers, stats) = drive(scenario, workers, bench.duration).await?;
                registered.extend(workers.into_iter().flat_map(|w| w.created));
                stats
            }
            Scenario::Get => {
                if registered.is_empty() {
                    eprintln!("provbench: registering {GET_SEED} datasets to read");
                    let requests = (0..GET_SEED)
                        .map(|i| plain_request(format!("bench-{}-seed-{i}", bench.tag), i as u64))
                        .collect();
                    registered = register_many(&bench, requests, concurrency).await?;
                }
                announce(scenario, callers, &bench);
                let ids = Arc::new(registered.clone());
                let workers = (0..callers)
                    .map(|c| GetWorker {
                        client: DatasetServiceClient::new(bench.channel(c)),
                        auth: bench.auth.clone(),
                        ids: ids.clone(),
                        rng: bench.rng(1_000_000 + c as u64),
                    })
                    .collect();
                drive(scenario, workers, bench.duration).await?.1
            }
            Scenario::Lineage => {
                let graph = build_lineage(&bench, args.lineage_nodes as usize, concurrency).await?;
                eprintln!(
                    "provbench: lineage graph of {} datasets ({} layers of up to {LINEAGE_WIDTH}, \
                     {} parent edges) built in {:.2} s ({:.0} datasets/s, {concurrency} callers)",
                    graph.nodes,
                    graph.layers,
                    graph.edges,
                    graph.build_time.as_secs_f64(),
                    graph.nodes as f64 / graph.build_time.as_secs_f64().max(1e-9)
                );
                announce(scenario, callers, &bench);
                let roots = Arc::new(graph.last_layer);
                let workers = (0..callers)
                    .map(|c| LineageWorker {
                        client: LineageServiceClient::new(bench.channel(c))
                            .max_decoding_message_size(64 * 1024 * 1024),
                        auth: bench.auth.clone(),
                        roots: roots.clone(),
                        rng: bench.rng(2_000_000 + c as u64),
                        max_pages: graph.nodes / LINEAGE_PAGE as usize + 2,
                        walked: Vec::new(),
                        pages: 0,
                    })
                    .collect();
                let (workers, stats) = drive(scenario, workers, bench.duration).await?;
                let walked: Vec<u64> = workers.iter().flat_map(|w| w.walked.clone()).collect();
                let pages: u64 = workers.iter().map(|w| w.pages).sum();
                lineage_info = Some(json!({
                    "nodes_built": graph.nodes,
                    "layers": graph.layers,
                    "parent_edges": graph.edges,
                    "build_s": round3(graph.build_time.as_secs_f64()),
                    "build_datasets_per_s": round1(graph.nodes as f64 / graph.build_time.as_secs_f64().max(1e-9)),
                    "build_concurrency": concurrency,
                    "walks": walked.len(),
                    "pages": pages,
                    "page_size": LINEAGE_PAGE,
                    "nodes_per_walk_min": walked.iter().min(),
                    "nodes_per_walk_max": walked.iter().max(),
                }));
                stats
            }
            Scenario::Log => {
                let fill = fill_log(&bench, args.log_leaves, concurrency).await?;
                announce(scenario, callers, &bench);
                let workers = (0..callers)
                    .map(|c| LogProofWorker {
                        client: TransparencyLogServiceClient::new(bench.channel(c)),
                        tree_size: fill.leaves,
                        rng: bench.rng(3_000_000 + c as u64),
                        n: 0,
                    })
                    .collect();
                let stats = drive(scenario, workers, bench.duration).await?.1;
                log_info = Some(fill.to_json());
                stats
            }
            Scenario::Evaluate => {
                // Two rows per shape (one when sequential is all that was asked for), so they are
                // added here rather than through the single `stats` below.
                for shape in [Shape::Random, Shape::Deep] {
                    let graph = build_evaluation_graph(
                        &bench,
                        shape,
                        args.evaluate_nodes as usize,
                        concurrency,
                    )
                    .await?;
                    let (rows, report) =
                        measure_evaluation(&bench, &graph, evaluate_concurrency).await?;
                    results.extend(rows);
                    evaluate_info.push(report);
                }
                continue;
            }
            Scenario::Issue => {
                if certifiable.is_none() {
                    certifiable = Some(prepare_certifiable(&bench, concurrency).await?);
                }
                let pool = certifiable.as_ref().context("no certifiable datasets")?;
                announce(scenario, callers, &bench);
                let keep = VERIFY_TOKENS.div_ceil(callers);
                let workers = issue_workers(&bench, pool, callers, keep);
                let (workers, stats) = drive(scenario, workers, bench.duration).await?;
                tokens.extend(workers.into_iter().flat_map(|w| w.issued));
                // Bounded even when `issue` is listed more than once.
                tokens.truncate(VERIFY_TOKENS);
                stats
            }
            Scenario::Verify => {
                let missing = VERIFY_TOKENS.saturating_sub(tokens.len());
                if missing > 0 {
                    if certifiable.is_none() {
                        certifiable = Some(prepare_certifiable(&bench, concurrency).await?);
                    }
                    let pool = certifiable.as_ref().context("no certifiable datasets")?;
                    eprintln!("provbench: issuing {missing} certificates to verify");
                    tokens.extend(issue_many(&bench, pool, missing, concurrency).await?);
                }
                // Over rounds: what every round had to issue, and the cycle of the last.
                let issued_before = verify_info.map_or(0, |(issued, _)| issued) + missing;
                verify_info = Some((issued_before, tokens.len()));
                announce(scenario, callers, &bench);
                let shared = Arc::new(tokens.clone());
                let workers = (0..callers)
                    .map(|c| VerifyWorker {
                        client: CertificateServiceClient::new(bench.channel(c)),
                        tokens: shared.clone(),
                        // Spread over the cycle, so that concurrent callers verify different
                        // tokens rather than the same one at once.
                        next: c * shared.len() / callers,
                    })
                    .collect();
                drive(scenario, workers, bench.duration).await?.1
            }
        };
        add_round(&mut results, stats);
    }

    let health = results
        .iter()
        .find(|s| s.scenario == Scenario::Health)
        .map(Stats::calls_per_s)
        .filter(|&r| r > 0.0);
    let goals = certificate_goals(&results, health);
    if args.json {
        let report = json!({
            "target": url,
            "setup": description,
            "in_process": args.target.is_none(),
            "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "duration_s": args.duration,
            "rounds": args.rounds,
            "connections": bench.channels.len(),
            "callers_per_connection": callers_per_connection,
            "seed": bench.seed,
            "note": "calls, calls_per_s and latencies count successful calls only; ratio_to_health is calls_per_s over that of health",
            "scenarios": results.iter().map(|s| s.to_json(health)).collect::<Vec<_>>(),
            "lineage": lineage_info,
            "log": log_info,
            "evaluate": evaluate_info.iter().map(EvaluationReport::to_json).collect::<Vec<_>>(),
            "certificates": certifiable.as_ref().map(|pool| json!({
                "certifiable_roots": pool.roots,
                "certifiable_children": pool.children,
                "register_s": round3(pool.register_time.as_secs_f64()),
                "attest_s": round3(pool.attest_time.as_secs_f64()),
                "attestations_per_s": round1(pool.ids.len() as f64 / pool.attest_time.as_secs_f64().max(1e-9)),
                "issued_before_verify": verify_info.map(|(issued, _)| issued),
                "distinct_tokens_verified": verify_info.map(|(_, distinct)| distinct),
                "goals": goals.iter().map(Goal::to_json).collect::<Vec<_>>(),
            })),
            "watch": watch_info.as_ref().map(IdleWatchReport::to_json),
        });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&report)?));
    }
    // `watch` alone makes no row of calls.
    let mut out = String::new();
    if !results.is_empty() {
        out = table(&results, health);
        out.push('\n');
    }
    writeln!(out, "setup: {description}")?;
    writeln!(
        out,
        "{} connection(s), {callers_per_connection} callers per connection, seed {}; calls and \
         latencies count successful calls only; `vs health` is calls/s over health's calls/s",
        bench.channels.len(),
        bench.seed
    )?;
    if args.rounds > 1 {
        writeln!(
            out,
            "{} rounds of {} s per scenario, in turn; each row adds its rounds up",
            args.rounds, args.duration
        )?;
    }
    if let Some(info) = &lineage_info {
        writeln!(
            out,
            "lineage: graph of {} datasets in {} layers ({} parent edges) built in {} s \
             ({} datasets/s); one call = one full upstream walk from a random last-layer node \
             in pages of {LINEAGE_PAGE} ({} pages in all); nodes per walk (total_count): {}..{}",
            info["nodes_built"],
            info["layers"],
            info["parent_edges"],
            info["build_s"],
            info["build_datasets_per_s"],
            info["pages"],
            info["nodes_per_walk_min"],
            info["nodes_per_walk_max"],
        )?;
    }
    if let Some(info) = &log_info {
        writeln!(
            out,
            "log: {} leaves; appended with the tree maintained, through RegisterDataset: {} \
             events/s over the first {} appended, {} events/s over the last {}; one call = one \
             inclusion proof (random leaf) or one consistency proof (random older size), \
             alternately, against the full tree, each checked with the transparency-log crate",
            info["leaves"],
            info["first_chunk_events_per_s"],
            info["chunk"],
            info["last_chunk_events_per_s"],
            info["chunk"],
        )?;
    }
    for report in &evaluate_info {
        writeln!(out, "{}", report.describe())?;
    }
    if let Some(pool) = &certifiable {
        writeln!(
            out,
            "certificates: {} certifiable datasets ({} roots with a web-crawl source, {} deriving \
             from one root each) registered in {:.2} s and attested in {:.2} s ({:.0} \
             attestations/s); policy {EVALUATE_POLICY}",
            pool.ids.len(),
            pool.roots,
            pool.children,
            pool.register_time.as_secs_f64(),
            pool.attest_time.as_secs_f64(),
            pool.ids.len() as f64 / pool.attest_time.as_secs_f64().max(1e-9),
        )?;
    }
    if let Some((issued, distinct)) = verify_info {
        writeln!(
            out,
            "verify: cycled through {distinct} distinct tokens ({issued} issued for it before \
             measuring, the rest kept from `issue`), without an access token"
        )?;
    }
    if let Some(report) = &watch_info {
        writeln!(out, "{}", report.describe())?;
    }
    for goal in &goals {
        writeln!(out, "{}", goal.describe())?;
    }
    for stats in &results {
        for (code, (count, message)) in &stats.errors {
            writeln!(
                out,
                "errors in {}: {count} x {code}, e.g. {message:?}",
                stats.name
            )?;
        }
    }
    Ok(out)
}

/// What `watch` measured: the cost of WatchEvents streams that are open while nothing happens.
struct IdleWatchReport {
    streams: usize,
    window: Duration,
    cpu: Duration,
}

impl IdleWatchReport {
    fn core_share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.window.as_secs_f64().max(1e-9)
    }

    fn describe(&self) -> String {
        format!(
            "watch: {} open, idle WatchEvents streams for {} s used {:.2} s of CPU, {:.1} % of one \
             core (the whole process: the in-process server and its idle client)",
            self.streams,
            self.window.as_secs(),
            self.cpu.as_secs_f64(),
            100.0 * self.core_share()
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "streams": self.streams,
            "window_s": self.window.as_secs(),
            "cpu_s": round3(self.cpu.as_secs_f64()),
            "share_of_one_core": round3(self.core_share()),
        })
    }
}

/// Opens `streams` WatchEvents streams, one after the other (opening them all at once would meet
/// the server's concurrency bound), drains what each replays of the log, lets them settle, then
/// measures this process's CPU time while they stay open and nothing is written.
async fn measure_idle_watchers(bench: &Bench, streams: usize) -> anyhow::Result<IdleWatchReport> {
    let mut drains = tokio::task::JoinSet::new();
    for caller in 0..streams {
        let request = authorized(pb::WatchEventsRequest { after_sequence: 0 }, &bench.auth);
        let mut stream = EventServiceClient::new(bench.channel(caller))
            .watch_events(request)
            .await
            .with_context(|| format!("cannot open event stream {} of {streams}", caller + 1))?
            .into_inner();
        drains.spawn(async move { while let Ok(Some(_)) = stream.message().await {} });
    }
    tokio::time::sleep(WATCH_SETTLE).await;
    let before = process_cpu_time()?;
    tokio::time::sleep(bench.duration).await;
    let cpu = process_cpu_time()?.saturating_sub(before);
    drains.abort_all();
    Ok(IdleWatchReport {
        streams,
        window: bench.duration,
        cpu,
    })
}

/// The CPU time (user and system, all threads) this process has used, from `/proc/self/stat`.
fn process_cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .context("cannot read /proc/self/stat: `watch` measures CPU time on Linux only")?;
    // The fields after the command name, which is in parentheses and may hold anything.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime, fields 14 and 15 of proc(5), in USER_HZ ticks: 100 a second on Linux.
    let ticks = |field: usize| -> anyhow::Result<u64> {
        fields
            .get(field - 3)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("field {field} of /proc/self/stat is not a number"))
    };
    Ok(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}

fn announce(scenario: Scenario, callers: usize, bench: &Bench) {
    eprintln!(
        "provbench: {} for {} s with {callers} callers",
        scenario.name(),
        bench.duration.as_secs()
    );
}

// ----- driving the callers -------------------------------------------------------------------------

/// Why a call did not count: the server's status, or an answer that fails the bench's checks.
struct Failure {
    code: String,
    message: String,
}

impl From<Status> for Failure {
    fn from(status: Status) -> Self {
        Self {
            code: format!("{:?}", status.code()),
            message: status.message().to_owned(),
        }
    }
}

fn check_failed(message: impl Into<String>) -> Failure {
    Failure {
        code: "BenchCheck".into(),
        message: message.into(),
    }
}

/// One caller: makes one call (or, for lineage, one walk) each time it is asked.
trait Worker: Send + 'static {
    fn call(&mut self) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// The measurements of one scenario.
struct Stats {
    scenario: Scenario,
    /// The row's name: the scenario's, or for `evaluate` the graph's (`evaluate-deep`).
    name: String,
    concurrency: usize,
    elapsed: Duration,
    /// Latencies of the successful calls, microseconds, sorted.
    latencies_us: Vec<u64>,
    /// Per code: count and the first message.
    errors: BTreeMap<String, (u64, String)>,
}

impl Stats {
    fn calls(&self) -> usize {
        self.latencies_us.len()
    }

    fn calls_per_s(&self) -> f64 {
        self.calls() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    /// Nearest-rank percentile, milliseconds.
    fn percentile_ms(&self, p: f64) -> Option<f64> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        Some(self.latencies_us[rank.clamp(1, n) - 1] as f64 / 1000.0)
    }

    fn to_json(&self, health: Option<f64>) -> Value {
        json!({
            "scenario": self.name,
            "concurrency": self.concurrency,
            "elapsed_s": round3(self.elapsed.as_secs_f64()),
            "calls": self.calls(),
            "calls_per_s": round1(self.calls_per_s()),
            "ratio_to_health": health.map(|h| round3(self.calls_per_s() / h)),
            "p50_ms": self.percentile_ms(50.0).map(round3),
            "p99_ms": self.percentile_ms(99.0).map(round3),
            "max_ms": self.percentile_ms(100.0).map(round3),
            "errors": self.error_count(),
            "errors_by_code": self.errors.iter().map(|(code, (n, _))| (code.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// Adds a round's figures of a scenario to its earlier rounds', or a new row.
fn add_round(results: &mut Vec<Stats>, round: Stats) {
    let Some(earlier) = results.iter_mut().find(|s| s.name == round.name) else {
        results.push(round);
        return;
    };
    earlier.elapsed += round.elapsed;
    earlier.latencies_us.extend(round.latencies_us);
    earlier.latencies_us.sort_unstable();
    for (code, (n, message)) in round.errors {
        earlier.errors.entry(code).or_insert((0, message)).0 += n;
    }
}

/// Runs every worker in its own task until `duration` has passed; returns the workers (for what
/// they gathered) and the measurements.
async fn drive<W: Worker>(
    scenario: Scenario,
    workers: Vec<W>,
    duration: Duration,
) -> anyhow::Result<(Vec<W>, Stats)> {
    let concurrency = workers.len();
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(16 * 1024);
                let mut errors: BTreeMap<String, (u64, String)> = BTreeMap::new();
                while Instant::now() < deadline {
                    let began = Instant::now();
                    match worker.call().await {
                        Ok(()) => latencies.push(began.elapsed().as_micros() as u64),
                        Err(failure) => {
                            errors.entry(failure.code).or_insert((0, failure.message)).0 += 1;
                        }
                    }
                }
                (worker, latencies, errors)
            })
        })
        .collect();
    let mut workers = Vec::with_capacity(concurrency);
    let mut latencies_us = Vec::new();
    let mut errors: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for task in tasks {
        let (worker, latencies, task_errors) = task.await.context("a caller task failed")?;
        workers.push(worker);
        latencies_us.extend(latencies);
        for (code, (n, message)) in task_errors {
            errors.entry(code).or_insert((0, message)).0 += n;
        }
    }
    // Until the last call ended, not the deadline: calls started before it are counted whole.
    let elapsed = start.elapsed();
    latencies_us.sort_unstable();
    Ok((
        workers,
        Stats {
            scenario,
            name: scenario.name().to_owned(),
            concurrency,
            elapsed,
            latencies_us,
            errors,
        },
    ))
}

// ----- the workers ---------------------------------------------------------------------------------

struct HealthWorker {
    client: HealthClient<Channel>,
}

impl Worker for HealthWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let answer = self
            .client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await?
            .into_inner();
        if answer.status != ServingStatus::Serving as i32 {
            return Err(check_failed(format!("health status {}", answer.status)));
        }
        Ok(())
    }
}

/// `sha256:` and the hex SHA-256 of `seed`: a well-formed digest, different for every dataset.
fn digest_of(seed: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(seed.as_bytes())))
}

fn web_crawl(n: u64) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::WebCrawl as i32,
        uri: format!("https://crawl.example.org/bench/{n}"),
        license: "CC-BY-4.0".into(),
        ..Default::default()
    }
}

fn parent_source(dataset_id: String) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::Dataset as i32,
        dataset_id,
        ..Default::default()
    }
}

/// A registration with one web-crawl source.
fn plain_request(name: String, n: u64) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        content_digest: digest_of(&name),
        name,
        version: "1".into(),
        size_bytes: Some(1_000_000 + n),
        license: "CC-BY-4.0".into(),
        sources: vec![web_crawl(n)],
        ..Default::default()
    }
}

struct RegisterWorker {
    client: DatasetServiceClient<Channel>,
    auth: Auth,
    prefix: String,
    n: u64,
    rng: Rng,
    /// Ids this caller registered: parents for later registrations, and targets of `get`.
    created: Vec<String>,
}

impl Worker for RegisterWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let n = self.n;
        self.n += 1;
        let mut request = plain_request(format!("{}-{n}", self.prefix), n);
        // Every fifth registration derives from an earlier one, so that registrations also check
        // parents and write lineage edges.
        if n % 5 == 4 && !self.created.is_empty() {
            let parent = self.created[self.rng.below(self.created.len())].clone();
            request.sources.push(parent_source(parent));
        }
        let answer = self
            .client
            .register_dataset(authorized(request, &self.auth))
            .await?
            .into_inner();
        let dataset = answer
            .dataset
            .ok_or_else(|| check_failed("an answer without its dataset"))?;
        if answer.already_existed {
            return Err(check_failed(
                "a unique name was reported as already registered",
            ));
        }
        self.created.push(dataset.id);
        Ok(())
    }
}

struct GetWorker {
    client: DatasetServiceClient<Channel>,
    auth: Auth,
    ids: Arc<Vec<String>>,
    rng: Rng,
}

impl Worker for GetWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let id = self.ids[self.rng.below(self.ids.len())].clone();
        let dataset = self
            .client
            .get_dataset(authorized(
                pb::GetDatasetRequest { id: id.clone() },
                &self.auth,
            ))
            .await?
            .into_inner();
        if dataset.id != id {
            return Err(check_failed(format!("asked for {id}, got {}", dataset.id)));
        }
        Ok(())
    }
}

struct LineageWorker {
    client: LineageServiceClient<Channel>,
    auth: Auth,
    roots: Arc<Vec<String>>,
    rng: Rng,
    /// Bound on pages per walk, in case the server kept handing out page tokens.
    max_pages: usize,
    /// Nodes seen in each completed walk.
    walked: Vec<u64>,
    pages: u64,
}

impl Worker for LineageWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let root = self.roots[self.rng.below(self.roots.len())].clone();
        let mut page_token = String::new();
        let mut seen: u64 = 0;
        let mut total: Option<i32> = None;
        for _ in 0..self.max_pages {
            let request = pb::GetLineageRequest {
                dataset_id: root.clone(),
                direction: pb::LineageDirection::Upstream as i32,
                max_depth: 0,
                page_size: LINEAGE_PAGE,
                page_token,
            };
            let page = self
                .client
                .get_lineage(authorized(request, &self.auth))
                .await?
                .into_inner();
            self.pages += 1;
            seen += page.nodes.len() as u64;
            total = Some(page.total_count);
            if page.next_page_token.is_empty() {
                if Some(seen as i32) != total {
                    return Err(check_failed(format!(
                        "walked {seen} nodes but total_count is {}",
                        page.total_count
                    )));
                }
                self.walked.push(seen);
                return Ok(());
            }
            page_token = page.next_page_token;
        }
        Err(check_failed(format!(
            "still paging after {} pages ({seen} nodes, total_count {total:?})",
            self.max_pages
        )))
    }
}

/// What an evaluation answered that must not change while the registry does not: the same state
/// always gives the same answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Judgement {
    closure_size: i32,
    verdict: i32,
    offender_count: i32,
    missing_attestation_count: i32,
}

impl Judgement {
    fn verdict_name(&self) -> &'static str {
        pb::Verdict::try_from(self.verdict).map_or("unknown", |v| v.as_str_name())
    }
}

struct EvaluateWorker {
    client: PolicyServiceClient<Channel>,
    auth: Auth,
    dataset_id: String,
    /// The first answer (from the warm-up); every later one must equal it.
    expected: Option<Judgement>,
}

impl Worker for EvaluateWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let request = pb::EvaluateDatasetRequest {
            dataset_id: self.dataset_id.clone(),
            policy_id: EVALUATE_POLICY.into(),
            policy_version: String::new(),
            target_model: String::new(),
        };
        let answer = self
            .client
            .evaluate_dataset(authorized(request, &self.auth))
            .await?
            .into_inner();
        if answer.dataset_id != self.dataset_id {
            return Err(check_failed(format!(
                "evaluated {}, got an evaluation of {}",
                self.dataset_id, answer.dataset_id
            )));
        }
        let seen = Judgement {
            closure_size: answer.closure_size,
            verdict: answer.verdict,
            offender_count: answer.offender_count,
            missing_attestation_count: answer.missing_attestation_count,
        };
        if seen.closure_size < 1 {
            return Err(check_failed(format!(
                "closure_size {} leaves out the evaluated dataset",
                seen.closure_size
            )));
        }
        match self.expected {
            None => self.expected = Some(seen),
            Some(first) if first != seen => {
                return Err(check_failed(format!(
                    "the answer changed on an unchanged registry: {first:?}, then {seen:?}"
                )));
            }
            Some(_) => {}
        }
        Ok(())
    }
}

// ----- bulk registration ---------------------------------------------------------------------------

/// Registers `requests` with `parallel` concurrent callers; returns the ids in request order.
/// Any failure fails the whole: what is built from these ids needs every one of them.
async fn register_many(
    bench: &Bench,
    requests: Vec<pb::RegisterDatasetRequest>,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    let count = requests.len();
    let parallel = parallel.clamp(1, count.max(1));
    let mut shares: Vec<Vec<(usize, pb::RegisterDatasetRequest)>> =
        (0..parallel).map(|_| Vec::new()).collect();
    for (i, request) in requests.into_iter().enumerate() {
        shares[i % parallel].push((i, request));
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(caller, share)| {
            let mut client = DatasetServiceClient::new(bench.channel(caller));
            let auth = bench.auth.clone();
            tokio::spawn(async move {
                let mut ids = Vec::with_capacity(share.len());
                for (i, request) in share {
                    let name = request.name.clone();
                    let answer = client
                        .register_dataset(authorized(request, &auth))
                        .await
                        .map_err(|s| {
                            anyhow::anyhow!("registering {name}: {:?}: {}", s.code(), s.message())
                        })?
                        .into_inner();
                    let dataset = answer
                        .dataset
                        .with_context(|| format!("registering {name}: no dataset in the answer"))?;
                    ids.push((i, dataset.id));
                }
                anyhow::Ok(ids)
            })
        })
        .collect();
    let mut ids = vec![String::new(); count];
    for task in tasks {
        for (i, id) in task.await.context("a registering task failed")?? {
            ids[i] = id;
        }
    }
    Ok(ids)
}

struct LineageGraph {
    nodes: usize,
    layers: usize,
    edges: usize,
    build_time: Duration,
    last_layer: Vec<String>,
}

/// Registers a layered graph: layer 0 from web crawls, every later dataset from 2 or 3 datasets
/// of the layer before. Layers are registered one after the other (a parent must exist before its
/// children), each with up to `parallel` concurrent callers.
async fn build_lineage(
    bench: &Bench,
    nodes: usize,
    parallel: usize,
) -> anyhow::Result<LineageGraph> {
    eprintln!(
        "provbench: building a lineage graph of {nodes} datasets with {} callers",
        parallel.min(LINEAGE_WIDTH)
    );
    let mut rng = bench.rng(3_000_000);
    let started = Instant::now();
    let mut previous: Vec<String> = Vec::new();
    let mut edges = 0;
    let mut layers = 0;
    let mut done = 0;
    while done < nodes {
        let width = LINEAGE_WIDTH.min(nodes - done);
        let requests = (0..width)
            .map(|i| {
                let n = (done + i) as u64;
                let mut request = plain_request(format!("lineage-{}-{layers}-{i}", bench.tag), n);
                if !previous.is_empty() {
                    let wanted = (2 + rng.below(2)).min(previous.len());
                    request.sources.clear();
                    for parent in rng.distinct(previous.len(), wanted) {
                        request
                            .sources
                            .push(parent_source(previous[parent].clone()));
                    }
                    edges += wanted;
                }
                request
            })
            .collect();
        previous = register_many(bench, requests, parallel).await?;
        done += width;
        layers += 1;
    }
    Ok(LineageGraph {
        nodes,
        layers,
        edges,
        build_time: started.elapsed(),
        last_layer: previous,
    })
}

// ----- evaluation graphs ---------------------------------------------------------------------------

/// The two shapes of graph `evaluate` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Parents drawn from every earlier wave: a wide graph with shallow closures.
    Random,
    /// Parents from a narrow band one wave back: a deep graph whose leaf reaches most of it.
    Deep,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Random => "random",
            Shape::Deep => "deep",
        }
    }

    fn row(self) -> &'static str {
        match self {
            Shape::Random => "evaluate-random",
            Shape::Deep => "evaluate-deep",
        }
    }
}

struct EvaluationGraph {
    shape: Shape,
    nodes: usize,
    edges: usize,
    /// Datasets with a restricted model's output among their sources.
    restricted: usize,
    build_time: Duration,
    /// The last registered dataset: nothing derives from it.
    leaf: String,
}

/// A `MODEL_GENERATED` source naming the restricted model.
fn restricted_output() -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::ModelGenerated as i32,
        model: Some(pb::ModelRef {
            model_id: RESTRICTED_MODEL.into(),
            version: String::new(),
            provider: "DeepSeek API".into(),
        }),
        ..Default::default()
    }
}

/// Registers a graph of `nodes` datasets of `shape` in waves of [`EVALUATE_WAVE`], each wave with
/// up to `parallel` concurrent callers and parents only in earlier waves (a parent must exist
/// before its children). The first wave holds the roots, [`EVALUATE_OFFENDERS`] of them (spread
/// over it) with a restricted source.
async fn build_evaluation_graph(
    bench: &Bench,
    shape: Shape,
    nodes: usize,
    parallel: usize,
) -> anyhow::Result<EvaluationGraph> {
    eprintln!(
        "provbench: building the {} evaluation graph of {nodes} datasets with {} callers",
        shape.name(),
        parallel.min(EVALUATE_WAVE)
    );
    // Its own stream per shape, so that each graph depends on the seed alone.
    let mut rng = bench.rng(match shape {
        Shape::Random => 4_000_000,
        Shape::Deep => 5_000_000,
    });
    let offender_every = (EVALUATE_WAVE / EVALUATE_OFFENDERS).max(1);
    let started = Instant::now();
    let mut ids: Vec<String> = Vec::with_capacity(nodes);
    let mut edges = 0;
    let mut restricted = 0;
    let mut reported = 0;
    for start in (0..nodes).step_by(EVALUATE_WAVE) {
        let end = (start + EVALUATE_WAVE).min(nodes);
        let mut requests = Vec::with_capacity(end - start);
        for i in start..end {
            let mut request =
                plain_request(format!("eval-{}-{}-{i}", bench.tag, shape.name()), i as u64);
            if start == 0 {
                if i % offender_every == 0 && restricted < EVALUATE_OFFENDERS {
                    request.sources.push(restricted_output());
                    restricted += 1;
                }
            } else {
                // Candidates are `ids[low..low + count]`, all in earlier waves: `start` is a
                // multiple of the wave and `i - EVALUATE_WAVE < start`.
                let (low, count) = match shape {
                    Shape::Random => (0, start),
                    Shape::Deep => {
                        let high = i - EVALUATE_WAVE;
                        let low = high.saturating_sub(EVALUATE_DEEP_WINDOW - 1);
                        (low, high - low + 1)
                    }
                };
                let wanted = (1 + rng.below(3)).min(count);
                request.sources.clear();
                for pick in rng.distinct(count, wanted) {
                    request.sources.push(parent_source(ids[low + pick].clone()));
                }
                edges += wanted;
            }
            requests.push(request);
        }
        ids.extend(register_many(bench, requests, parallel).await?);
        // Progress every tenth, as a build takes tens of seconds.
        let tenth = ids.len() * 10 / nodes;
        if tenth > reported && tenth < 10 {
            reported = tenth;
            eprintln!(
                "provbench:   {} of {nodes} registered in {:.1} s",
                ids.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let build_time = started.elapsed();
    let leaf = ids.pop().context("the evaluation graph is empty")?;
    Ok(EvaluationGraph {
        shape,
        nodes,
        edges,
        restricted,
        build_time,
        leaf,
    })
}

/// What `evaluate` found about one graph, besides the rows of the table.
struct EvaluationReport {
    shape: Shape,
    nodes: usize,
    edges: usize,
    restricted: usize,
    build_time: Duration,
    leaf: String,
    judgement: Judgement,
    /// Latencies of the warm-up calls, the first on a cold page cache.
    warmup: Vec<Duration>,
    /// Slowest sequential evaluation, if any succeeded.
    sequential_max: Option<Duration>,
    /// Every sequential evaluation succeeded, at least one did, and the slowest took under
    /// [`EVALUATE_GOAL`].
    goal_met: bool,
}

impl EvaluationReport {
    fn closure_percent(&self) -> f64 {
        100.0 * f64::from(self.judgement.closure_size) / self.nodes.max(1) as f64
    }

    fn describe(&self) -> String {
        let warmup: Vec<String> = self
            .warmup
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
            .collect();
        format!(
            "{}: graph of {} datasets ({} parent edges, {} roots with a {RESTRICTED_MODEL} source) \
             built in {:.1} s ({:.0} datasets/s); leaf closure_size {} ({:.1}% of the graph), \
             verdict {}, offender_count {}, missing_attestation_count {}; warm-up ms {}; \
             goal < {} ms per sequential evaluation: {} (max {})",
            self.shape.row(),
            self.nodes,
            self.edges,
            self.restricted,
            self.build_time.as_secs_f64(),
            self.nodes as f64 / self.build_time.as_secs_f64().max(1e-9),
            self.judgement.closure_size,
            self.closure_percent(),
            self.judgement.verdict_name(),
            self.judgement.offender_count,
            self.judgement.missing_attestation_count,
            warmup.join(", "),
            EVALUATE_GOAL.as_millis(),
            if self.goal_met { "met" } else { "NOT met" },
            self.sequential_max.map_or("-".to_owned(), |d| format!(
                "{:.1} ms",
                d.as_secs_f64() * 1000.0
            )),
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "scenario": self.shape.row(),
            "nodes_built": self.nodes,
            "parent_edges": self.edges,
            "restricted_roots": self.restricted,
            "build_s": round3(self.build_time.as_secs_f64()),
            "build_datasets_per_s": round1(self.nodes as f64 / self.build_time.as_secs_f64().max(1e-9)),
            "leaf": self.leaf,
            "closure_size": self.judgement.closure_size,
            "closure_percent": round1(self.closure_percent()),
            "verdict": self.judgement.verdict_name(),
            "offender_count": self.judgement.offender_count,
            "missing_attestation_count": self.judgement.missing_attestation_count,
            "warmup_ms": self.warmup.iter().map(|d| round3(d.as_secs_f64() * 1000.0)).collect::<Vec<_>>(),
            "sequential_max_ms": self.sequential_max.map(|d| round3(d.as_secs_f64() * 1000.0)),
            "goal_ms": EVALUATE_GOAL.as_millis() as u64,
            "goal_met": self.goal_met,
        })
    }
}

/// Evaluates `graph`'s leaf: [`EVALUATE_WARMUP`] calls, then sequentially for the bench's
/// duration, then (if `parallel > 1`) with `parallel` callers. Returns the rows and the report.
async fn measure_evaluation(
    bench: &Bench,
    graph: &EvaluationGraph,
    parallel: usize,
) -> anyhow::Result<(Vec<Stats>, EvaluationReport)> {
    let worker = |caller: usize, expected: Option<Judgement>| EvaluateWorker {
        client: PolicyServiceClient::new(bench.channel(caller)),
        auth: bench.auth.clone(),
        dataset_id: graph.leaf.clone(),
        expected,
    };
    eprintln!(
        "provbench: {}: {EVALUATE_WARMUP} warm-up evaluations",
        graph.shape.row()
    );
    let mut first = worker(0, None);
    let mut warmup = Vec::with_capacity(EVALUATE_WARMUP);
    for _ in 0..EVALUATE_WARMUP {
        let began = Instant::now();
        if let Err(failure) = first.call().await {
            bail!(
                "evaluating the leaf of the {} graph: {}: {}",
                graph.shape.name(),
                failure.code,
                failure.message
            );
        }
        warmup.push(began.elapsed());
    }
    let judgement = first
        .expected
        .context("the warm-up evaluations left no answer")?;

    // Sequential first: its latencies are the evaluation's own, with no queueing behind others.
    let runs = if parallel > 1 {
        vec![1, parallel]
    } else {
        vec![1]
    };
    let mut rows = Vec::with_capacity(runs.len());
    for callers in runs {
        eprintln!(
            "provbench: {} for {} s with {callers} callers",
            graph.shape.row(),
            bench.duration.as_secs()
        );
        let workers = (0..callers).map(|c| worker(c, Some(judgement))).collect();
        let (_, mut stats) = drive(Scenario::Evaluate, workers, bench.duration).await?;
        stats.name = graph.shape.row().to_owned();
        rows.push(stats);
    }
    let sequential = rows
        .first()
        .context("no sequential evaluation was measured")?;
    let sequential_max = sequential
        .latencies_us
        .last()
        .map(|&us| Duration::from_micros(us));
    let goal_met =
        sequential.error_count() == 0 && sequential_max.is_some_and(|max| max < EVALUATE_GOAL);
    let report = EvaluationReport {
        shape: graph.shape,
        nodes: graph.nodes,
        edges: graph.edges,
        restricted: graph.restricted,
        build_time: graph.build_time,
        leaf: graph.leaf.clone(),
        judgement,
        warmup,
        sequential_max,
        goal_met,
    };
    Ok((rows, report))
}

// ----- certificates --------------------------------------------------------------------------------

/// The datasets `issue` certifies: each attested by its owner, so that its lineage is CLEAN.
struct Certifiable {
    /// Roots first, then the datasets deriving from them.
    ids: Arc<Vec<String>>,
    roots: usize,
    children: usize,
    register_time: Duration,
    attest_time: Duration,
}

/// A certificate `issue` got, to verify later.
#[derive(Clone)]
struct IssuedToken {
    /// Its id (the token's `jti`), which the verification must name.
    id: String,
    token: String,
}

/// Registers [`CERTIFY_ROOTS`] roots and [`CERTIFY_CHILDREN`] datasets deriving from one root each,
/// then attests every one, each step with up to `parallel` concurrent callers.
async fn prepare_certifiable(bench: &Bench, parallel: usize) -> anyhow::Result<Certifiable> {
    eprintln!(
        "provbench: registering and attesting {} certifiable datasets with {parallel} callers",
        CERTIFY_ROOTS + CERTIFY_CHILDREN
    );
    let started = Instant::now();
    let requests = (0..CERTIFY_ROOTS)
        .map(|i| plain_request(format!("cert-{}-root-{i}", bench.tag), i as u64))
        .collect();
    let mut ids = register_many(bench, requests, parallel).await?;
    if ids.is_empty() {
        bail!("no certifiable root was registered");
    }
    // Parents must exist first: the children are registered once every root is.
    let requests = (0..CERTIFY_CHILDREN)
        .map(|i| {
            let mut request = plain_request(
                format!("cert-{}-child-{i}", bench.tag),
                (CERTIFY_ROOTS + i) as u64,
            );
            request
                .sources
                .push(parent_source(ids[i % ids.len()].clone()));
            request
        })
        .collect();
    ids.extend(register_many(bench, requests, parallel).await?);
    let register_time = started.elapsed();

    let started = Instant::now();
    let parallel = parallel.clamp(1, ids.len());
    let mut shares: Vec<Vec<String>> = (0..parallel).map(|_| Vec::new()).collect();
    for (i, id) in ids.iter().enumerate() {
        shares[i % parallel].push(id.clone());
    }
    let workers = shares
        .into_iter()
        .enumerate()
        .map(|(caller, share)| {
            let calls = share.len();
            let worker = AttestWorker {
                client: AttestationServiceClient::new(bench.channel(caller)),
                auth: bench.auth.clone(),
                ids: share,
                next: 0,
            };
            (worker, calls)
        })
        .collect();
    run_counted("attesting the certifiable datasets", workers).await?;
    Ok(Certifiable {
        roots: CERTIFY_ROOTS,
        children: ids.len().saturating_sub(CERTIFY_ROOTS),
        ids: Arc::new(ids),
        register_time,
        attest_time: started.elapsed(),
    })
}

/// `callers` issuing workers spread over the pool's cycle, each keeping up to `keep` tokens.
fn issue_workers(
    bench: &Bench,
    pool: &Certifiable,
    callers: usize,
    keep: usize,
) -> Vec<IssueWorker> {
    (0..callers)
        .map(|c| IssueWorker {
            client: CertificateServiceClient::new(bench.channel(c)),
            auth: bench.auth.clone(),
            datasets: pool.ids.clone(),
            // Each caller starts at its own place, so that concurrent issuances are mostly for
            // different datasets.
            next: c * pool.ids.len() / callers.max(1),
            keep,
            issued: Vec::new(),
        })
        .collect()
}

/// Issues `count` certificates with up to `parallel` callers; returns their tokens. Any failure
/// fails the whole: `verify` needs valid tokens.
async fn issue_many(
    bench: &Bench,
    pool: &Certifiable,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Vec<IssuedToken>> {
    let parallel = parallel.clamp(1, count.max(1));
    let calls = |caller: usize| count / parallel + usize::from(caller < count % parallel);
    let workers = issue_workers(bench, pool, parallel, count.div_ceil(parallel))
        .into_iter()
        .enumerate()
        .map(|(caller, worker)| (worker, calls(caller)))
        .collect();
    let workers = run_counted("issuing certificates to verify", workers).await?;
    Ok(workers.into_iter().flat_map(|w| w.issued).collect())
}

/// Runs each worker, in its own task, for its number of calls; returns the workers (for what they
/// gathered). The first failure fails the whole, as this builds what later calls rely on.
async fn run_counted<W: Worker>(what: &str, workers: Vec<(W, usize)>) -> anyhow::Result<Vec<W>> {
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|(mut worker, calls)| {
            tokio::spawn(async move {
                for _ in 0..calls {
                    worker.call().await?;
                }
                Ok::<_, Failure>(worker)
            })
        })
        .collect();
    let mut done = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task
            .await
            .with_context(|| format!("{what}: a task failed"))?
        {
            Ok(worker) => done.push(worker),
            Err(failure) => bail!("{what}: {}: {}", failure.code, failure.message),
        }
    }
    Ok(done)
}

struct AttestWorker {
    client: AttestationServiceClient<Channel>,
    auth: Auth,
    /// The datasets this caller attests, one per call.
    ids: Vec<String>,
    next: usize,
}

impl Worker for AttestWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let id = self
            .ids
            .get(self.next)
            .cloned()
            .ok_or_else(|| check_failed("no dataset left to attest"))?;
        self.next += 1;
        let request = pb::RecordAttestationRequest {
            dataset_id: id.clone(),
            policy_id: EVALUATE_POLICY.into(),
            policy_version: String::new(),
            method: pb::AttestationMethod::ManualReview as i32,
            evidence: vec![pb::Evidence {
                uri: format!("https://reviews.example.org/bench/{id}"),
                content_digest: digest_of(&format!("review of {id}")),
                description: "bench review".into(),
            }],
            statement: "Reviewed: no output of a restricted model in this dataset.".into(),
            // Never expires, so it counts for the whole run.
            ..Default::default()
        };
        let answer = self
            .client
            .record_attestation(authorized(request, &self.auth))
            .await?
            .into_inner();
        if answer.dataset_id != id || !answer.valid {
            return Err(check_failed(format!(
                "attested {id}, got an attestation of {} with valid {}",
                answer.dataset_id, answer.valid
            )));
        }
        Ok(())
    }
}

struct IssueWorker {
    client: CertificateServiceClient<Channel>,
    auth: Auth,
    datasets: Arc<Vec<String>>,
    /// Index of the next dataset to certify, cycling.
    next: usize,
    /// Most tokens to keep, so that a long run does not hoard them.
    keep: usize,
    issued: Vec<IssuedToken>,
}

impl Worker for IssueWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let count = self.datasets.len();
        let dataset_id = self
            .datasets
            .get(self.next % count.max(1))
            .cloned()
            .ok_or_else(|| check_failed("no dataset to certify"))?;
        self.next = (self.next + 1) % count.max(1);
        let request = pb::IssueCertificateRequest {
            dataset_id: dataset_id.clone(),
            policy_id: EVALUATE_POLICY.into(),
            ..Default::default()
        };
        let answer = self
            .client
            .issue_certificate(authorized(request, &self.auth))
            .await?
            .into_inner();
        if answer.dataset_id != dataset_id {
            return Err(check_failed(format!(
                "certified {dataset_id}, got a certificate of {}",
                answer.dataset_id
            )));
        }
        if answer.verdict != pb::Verdict::Clean as i32
            || answer.status != pb::CertificateStatus::Valid as i32
            || answer.token.is_empty()
            || answer.id.is_empty()
        {
            return Err(check_failed(format!(
                "certificate {:?} of {dataset_id}: verdict {}, status {}, token of {} bytes",
                answer.id,
                answer.verdict,
                answer.status,
                answer.token.len()
            )));
        }
        if self.issued.len() < self.keep {
            self.issued.push(IssuedToken {
                id: answer.id,
                token: answer.token,
            });
        }
        Ok(())
    }
}

struct VerifyWorker {
    client: CertificateServiceClient<Channel>,
    tokens: Arc<Vec<IssuedToken>>,
    /// Index of the next token to verify, cycling.
    next: usize,
}

impl Worker for VerifyWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let count = self.tokens.len();
        let issued = self
            .tokens
            .get(self.next % count.max(1))
            .cloned()
            .ok_or_else(|| check_failed("no token to verify"))?;
        self.next = (self.next + 1) % count.max(1);
        // No access token: verifiers need no account.
        let request = pb::VerifyCertificateRequest {
            token: issued.token,
            // No audience expected, and the other fields left at their defaults: "now".
            ..Default::default()
        };
        let answer = self
            .client
            .verify_certificate(Request::new(request))
            .await?
            .into_inner();
        if !answer.valid {
            let failed = answer.checks.iter().find(|c| !c.passed);
            return Err(check_failed(format!(
                "certificate {} is not valid: check {:?} failed: {:?}",
                issued.id,
                failed.map_or("(none reported)", |c| c.name.as_str()),
                failed.map_or("", |c| c.detail.as_str())
            )));
        }
        if answer.certificate_id != issued.id {
            return Err(check_failed(format!(
                "verified {}, the answer names {}",
                issued.id, answer.certificate_id
            )));
        }
        Ok(())
    }
}

/// A goal of `issue` or `verify`, judged on this run's figures.
struct Goal {
    scenario: &'static str,
    /// What is asked.
    wanted: String,
    /// What was measured.
    measured: String,
    /// `None` when it cannot be judged: `verify` without `health` in the same run.
    met: Option<bool>,
}

impl Goal {
    fn describe(&self) -> String {
        let verdict = match self.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not judged",
        };
        format!(
            "{}: goal {}: {verdict} ({})",
            self.scenario, self.wanted, self.measured
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "goal": self.wanted,
            "measured": self.measured,
            "met": self.met,
        })
    }
}

/// The goals of the `issue` and `verify` rows of `results`; any error misses the goal.
fn certificate_goals(results: &[Stats], health: Option<f64>) -> Vec<Goal> {
    let mut goals = Vec::new();
    for stats in results {
        let rate = stats.calls_per_s();
        let errors = stats.error_count();
        match stats.scenario {
            Scenario::Issue => goals.push(Goal {
                scenario: "issue",
                wanted: format!(">= {ISSUE_GOAL_PER_S:.0} issuances/s without errors"),
                measured: format!("{rate:.0} calls/s, {errors} errors"),
                met: Some(errors == 0 && rate >= ISSUE_GOAL_PER_S),
            }),
            Scenario::Verify => {
                for (ratio, name) in [
                    (VERIFY_GOAL_RATIO, "verify"),
                    (VERIFY_STRETCH_RATIO, "verify (stretch)"),
                ] {
                    goals.push(Goal {
                        scenario: name,
                        wanted: format!(">= {ratio:.1} x health's calls/s, every answer valid"),
                        measured: match health {
                            Some(h) => format!(
                                "{rate:.0} calls/s = {:.3} x health's {h:.0}, {errors} errors",
                                rate / h
                            ),
                            None => format!(
                                "{rate:.0} calls/s, {errors} errors; health did not run in this run"
                            ),
                        },
                        met: health.map(|h| errors == 0 && rate >= ratio * h),
                    });
                }
            }
            _ => {}
        }
    }
    goals
}

// ----- output --------------------------------------------------------------------------------------

fn table(results: &[Stats], health: Option<f64>) -> String {
    let header = [
        "scenario",
        "concurrency",
        "calls",
        "calls/s",
        "vs health",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
    ];
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    let rows: Vec<[String; 9]> = results
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.concurrency.to_string(),
                s.calls().to_string(),
                format!("{:.0}", s.calls_per_s()),
                health.map_or("-".to_owned(), |h| format!("{:.3}", s.calls_per_s() / h)),
                ms(s.percentile_ms(50.0)),
                ms(s.percentile_ms(99.0)),
                ms(s.percentile_ms(100.0)),
                s.error_count().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            // Names left-aligned, numbers right-aligned.
            .map(|(i, (cell, width))| {
                if i == 0 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

// ----- randomness ----------------------------------------------------------------------------------

/// SplitMix64: enough to spread picks evenly, and reproducible from the run's seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `k` distinct numbers in `0..n` (`k <= n`), by rejection: `k` is tiny next to `n` here.
    fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut picked = Vec::with_capacity(k);
        while picked.len() < k.min(n) {
            let candidate = self.below(n);
            if !picked.contains(&candidate) {
                picked.push(candidate);
            }
        }
        picked
    }
}

/// Events registered per measured chunk while filling the log.
const LOG_FILL_CHUNK: u64 = 20_000;

/// How the `log` scenario filled the log.
struct LogFill {
    leaves: u64,
    /// Events per second over the first and the last chunk appended (`None` when none was).
    first_rate: Option<f64>,
    last_rate: Option<f64>,
}

impl LogFill {
    fn to_json(&self) -> Value {
        json!({
            "leaves": self.leaves,
            "chunk": LOG_FILL_CHUNK,
            "first_chunk_events_per_s": self.first_rate.map(round1),
            "last_chunk_events_per_s": self.last_rate.map(round1),
        })
    }
}

async fn log_size(bench: &Bench) -> anyhow::Result<u64> {
    Ok(TransparencyLogServiceClient::new(bench.channel(0))
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("GetCheckpoint: {:?}: {}", s.code(), s.message()))?
        .into_inner()
        .tree_size)
}

/// Registers datasets until the log holds at least `leaves` events (each registration appends
/// one), timing each chunk so that the first and last rates show whether appends slow down.
async fn fill_log(bench: &Bench, leaves: u64, concurrency: usize) -> anyhow::Result<LogFill> {
    let mut size = log_size(bench).await?;
    let (mut first_rate, mut last_rate) = (None, None);
    if size < leaves {
        eprintln!("provbench: filling the log from {size} to {leaves} events");
    }
    let mut n = 0u64;
    while size < leaves {
        let chunk = (leaves - size).min(LOG_FILL_CHUNK);
        let requests = (0..chunk)
            .map(|i| plain_request(format!("bench-{}-log-{}", bench.tag, n + i), n + i))
            .collect();
        let started = Instant::now();
        register_many(bench, requests, concurrency).await?;
        let rate = chunk as f64 / started.elapsed().as_secs_f64().max(1e-9);
        first_rate.get_or_insert(rate);
        last_rate = Some(rate);
        n += chunk;
        size = log_size(bench).await?;
        eprintln!("provbench: log at {size} events ({rate:.0} events/s)");
    }
    Ok(LogFill {
        leaves: size,
        first_rate,
        last_rate,
    })
}

struct LogProofWorker {
    client: TransparencyLogServiceClient<Channel>,
    tree_size: u64,
    rng: Rng,
    n: u64,
}

fn proof_hashes(hashes: &[Vec<u8>]) -> Result<Vec<[u8; 32]>, Failure> {
    hashes
        .iter()
        .map(|h| {
            h.as_slice()
                .try_into()
                .map_err(|_| check_failed("a proof hash is not 32 bytes"))
        })
        .collect()
}

fn hash32(bytes: &[u8]) -> Result<[u8; 32], Failure> {
    bytes
        .try_into()
        .map_err(|_| check_failed("a hash is not 32 bytes"))
}

impl Worker for LogProofWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        self.n += 1;
        let size = self.tree_size;
        if self.n.is_multiple_of(2) {
            let index = self.rng.below(size as usize) as u64;
            let proof = self
                .client
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(index)),
                    tree_size: size,
                })
                .await?
                .into_inner();
            transparency_log::verify_inclusion(
                &hash32(&proof.leaf_hash)?,
                index,
                size,
                &proof_hashes(&proof.hashes)?,
                &hash32(&proof.root_hash)?,
            )
            .map_err(|e| check_failed(format!("inclusion proof of leaf {index}: {e}")))
        } else {
            let first = 1 + self.rng.below(size as usize) as u64;
            let proof = self
                .client
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    first_tree_size: first,
                    second_tree_size: size,
                })
                .await?
                .into_inner();
            transparency_log::verify_consistency(
                first,
                size,
                &proof_hashes(&proof.hashes)?,
                &hash32(&proof.first_root_hash)?,
                &hash32(&proof.second_root_hash)?,
            )
            .map_err(|e| check_failed(format!("consistency proof from {first}: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(latencies_us: Vec<u64>, elapsed_ms: u64, errors: &[(&str, u64)]) -> Stats {
        Stats {
            scenario: Scenario::Verify,
            name: "verify".into(),
            concurrency: 32,
            elapsed: Duration::from_millis(elapsed_ms),
            latencies_us,
            errors: errors
                .iter()
                .map(|(code, n)| (code.to_string(), (*n, format!("first {code}"))))
                .collect(),
        }
    }

    #[test]
    fn rounds_of_a_scenario_add_up_to_one_row() {
        let mut results = vec![round(vec![5, 9], 1000, &[("Unavailable", 1)])];
        add_round(
            &mut results,
            round(vec![1, 7, 3], 1500, &[("Unavailable", 2)]),
        );
        add_round(&mut results, round(vec![4], 500, &[("Internal", 1)]));
        assert_eq!(results.len(), 1);
        let verify = &results[0];
        assert_eq!(verify.latencies_us, vec![1, 3, 4, 5, 7, 9]);
        assert_eq!(verify.elapsed, Duration::from_millis(3000));
        assert_eq!(verify.calls_per_s(), 2.0);
        assert_eq!(
            verify.errors["Unavailable"],
            (3, "first Unavailable".into())
        );
        assert_eq!(verify.error_count(), 4);
    }

    #[test]
    fn another_scenario_gets_its_own_row() {
        let mut results = vec![round(vec![5], 1000, &[])];
        let mut health = round(vec![2], 1000, &[]);
        health.scenario = Scenario::Health;
        health.name = "health".into();
        add_round(&mut results, health);
        assert_eq!(results.len(), 2);
        assert_eq!(results[1].name, "health");
    }

    #[test]
    fn the_process_cpu_time_grows_with_work() {
        let before = process_cpu_time().expect("CPU time");
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let spent = process_cpu_time().expect("CPU time").saturating_sub(before);
        assert!(spent >= Duration::from_millis(100), "{spent:?}");
    }

    #[tokio::test]
    async fn watch_is_refused_with_rounds_or_a_target() {
        for extra in [
            &["--rounds", "2"][..],
            &["--target", "http://127.0.0.1:9", "--token", "t"][..],
        ] {
            let args = Args::try_parse_from(
                ["provbench", "--scenarios", "health,watch"]
                    .iter()
                    .chain(extra),
            )
            .expect("arguments");
            let error = run(args).await.expect_err("refused").to_string();
            assert!(error.contains("`watch`"), "{error}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn register_over_several_rounds_registers_new_datasets_every_round() {
        let args = Args::try_parse_from([
            "provbench",
            "--rounds",
            "2",
            "--scenarios",
            "register,register",
            "--duration",
            "1",
            "--concurrency",
            "2",
            "--callers-per-connection",
            "2",
            "--json",
        ])
        .expect("arguments");
        let target = start_in_process(None).await.expect("in-process server");
        let report = bench(&args, &target.url, &target.token, "test").await;
        if let Some(server) = target.in_process {
            server.stop(false).await;
        }
        let report: Value = serde_json::from_str(&report.expect("the benchmark ran")).unwrap();
        let register = &report["scenarios"][0];
        assert_eq!(register["scenario"], "register", "{report}");
        // Before names were made unique per run, every run after the first repeated the first
        // run's names and failed them as already registered.
        assert_eq!(register["errors"], 0, "{report}");
        assert!(register["calls"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(report["scenarios"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn rounds_are_refused_for_scenarios_that_build_a_graph() {
        for scenario in ["lineage", "log", "evaluate"] {
            let args = Args::try_parse_from([
                "provbench",
                "--rounds",
                "2",
                "--scenarios",
                &format!("health,{scenario}"),
            ])
            .expect("arguments");
            let error = run(args).await.expect_err(scenario).to_string();
            assert!(
                error.contains(scenario) && error.contains("--rounds 1"),
                "{error}"
            );
        }
    }
}
