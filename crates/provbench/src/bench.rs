//! The run: the connections, the context every scenario gets ([`Bench`]), and
//! [`bench`](fn@bench), the loop over rounds and scenarios, which carries what one scenario leaves
//! for another (datasets for `get`, the certifiable datasets and the tokens for `verify`) and
//! gathers the report's findings.

use std::time::Duration;

use anyhow::Context;
use tonic::Request;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::cli::Args;
use crate::measure::add_round;
use crate::report::{self, Findings};
use crate::rng::Rng;
use crate::scenarios::evaluate;
use crate::scenarios::issue::{self, IssuedToken, issue_many, prepare_certifiable};
use crate::scenarios::verify::{self, VERIFY_TOKENS};
use crate::scenarios::watch;
use crate::scenarios::webhook;
use crate::scenarios::{Scenario, get, health, lineage, log, register, register_batch};

/// Longest a single call may take; keeps every loop bounded even if the server stops answering.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// An `authorization` header value: `Bearer` and the token.
pub type Auth = AsciiMetadataValue;

/// `message` with the access token attached.
pub fn authorized<T>(message: T, auth: &Auth) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", auth.clone());
    request
}

/// Opens `count` connections to `url`.
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
pub struct Bench {
    pub channels: Vec<Channel>,
    pub callers_per_connection: usize,
    pub auth: Auth,
    pub duration: Duration,
    /// Makes names unique per run, so runs against the same server do not collide.
    pub tag: String,
    pub seed: u64,
}

impl Bench {
    /// The connection of caller `caller`: callers `0..k` share the first, and so on.
    pub fn channel(&self, caller: usize) -> Channel {
        self.channels[(caller / self.callers_per_connection) % self.channels.len()].clone()
    }

    /// A generator of its own for `stream` (a caller, a graph), derived from the run's seed.
    pub fn rng(&self, stream: u64) -> Rng {
        Rng(self.seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// Runs the scenarios; returns the report to print.
pub async fn bench(
    args: &Args,
    url: &str,
    token: &str,
    description: &str,
) -> anyhow::Result<String> {
    let concurrency = args.concurrency as usize;
    let lineage_concurrency = args
        .lineage_concurrency
        .map_or(concurrency.min(4), |n| n as usize);
    let callers_per_connection = args.callers_per_connection as usize;
    let evaluate_concurrency = args
        .evaluate_concurrency
        .map_or(concurrency.min(4), |n| n as usize);
    let batch_concurrency = args
        .batch_concurrency
        .map_or(concurrency.min(4), |n| n as usize);
    let connections = concurrency
        .max(lineage_concurrency)
        .max(evaluate_concurrency)
        .max(batch_concurrency)
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

    let mut findings = Findings::default();
    let mut registered: Vec<String> = Vec::new();
    // Tokens `issue` kept (at most `VERIFY_TOKENS`), for `verify` to check.
    let mut tokens: Vec<IssuedToken> = Vec::new();
    // Each run of `register` names its datasets afresh: a name of an earlier round (or of the
    // same scenario listed twice) would be answered `already_existed`, failing every call.
    let mut register_runs = 0u32;
    let mut batch_runs = 0u32;
    for &scenario in (0..args.rounds).flat_map(|_| &args.scenarios) {
        let callers = match scenario {
            Scenario::Lineage => lineage_concurrency,
            Scenario::RegisterBatch => batch_concurrency,
            _ => concurrency,
        };
        let stats = match scenario {
            Scenario::Watch => {
                findings.watch = Some(watch::run(&bench, callers).await?);
                continue;
            }
            Scenario::Webhook => {
                findings.webhook = Some(webhook::run(&bench, callers).await?);
                continue;
            }
            Scenario::StatusList => {
                findings.status_list = Some(crate::scenarios::status_list::run(
                    args.status_list_size,
                    bench.seed,
                )?);
                continue;
            }
            Scenario::Health => health::run(&bench, callers).await?,
            Scenario::Register => {
                let run = register_runs;
                register_runs += 1;
                let (stats, created) = register::run(&bench, callers, run).await?;
                registered.extend(created);
                stats
            }
            Scenario::RegisterBatch => {
                let run = batch_runs;
                batch_runs += 1;
                register_batch::run(&bench, callers, args.batch_size as usize, run).await?
            }
            Scenario::Get => get::run(&bench, callers, &mut registered, concurrency).await?,
            Scenario::Lineage => {
                let nodes = args.lineage_nodes as usize;
                let (stats, info) = lineage::run(&bench, callers, nodes, concurrency).await?;
                findings.lineage = Some(info);
                stats
            }
            Scenario::Log => {
                let (stats, info) = log::run(&bench, callers, args.log_leaves, concurrency).await?;
                findings.log = Some(info);
                stats
            }
            Scenario::Evaluate => {
                // Two rows per shape (one when sequential is all that was asked for), so they are
                // added here rather than through the single `stats` below.
                let nodes = args.evaluate_nodes as usize;
                let (rows, reports) =
                    evaluate::run(&bench, nodes, concurrency, evaluate_concurrency).await?;
                findings.results.extend(rows);
                findings.evaluate.extend(reports);
                continue;
            }
            Scenario::Issue => {
                if findings.certifiable.is_none() {
                    findings.certifiable = Some(prepare_certifiable(&bench, concurrency).await?);
                }
                let pool = findings
                    .certifiable
                    .as_ref()
                    .context("no certifiable datasets")?;
                let keep = VERIFY_TOKENS.div_ceil(callers);
                let (stats, issued) = issue::run(&bench, pool, callers, keep).await?;
                tokens.extend(issued);
                // Bounded even when `issue` is listed more than once.
                tokens.truncate(VERIFY_TOKENS);
                stats
            }
            Scenario::Verify => {
                let missing = VERIFY_TOKENS.saturating_sub(tokens.len());
                if missing > 0 {
                    if findings.certifiable.is_none() {
                        findings.certifiable =
                            Some(prepare_certifiable(&bench, concurrency).await?);
                    }
                    let pool = findings
                        .certifiable
                        .as_ref()
                        .context("no certifiable datasets")?;
                    eprintln!("provbench: issuing {missing} certificates to verify");
                    tokens.extend(issue_many(&bench, pool, missing, concurrency).await?);
                }
                // Over rounds: what every round had to issue, and the cycle of the last.
                let issued_before = findings.verify.map_or(0, |(issued, _)| issued) + missing;
                findings.verify = Some((issued_before, tokens.len()));
                verify::run(&bench, callers, &tokens).await?
            }
        };
        add_round(&mut findings.results, stats);
    }
    report::render(args, url, description, &bench, &findings)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::Value;

    use super::*;
    use crate::target::start_in_process;

    /// The JSON report of a run with `flags` (and `--output json`) against a fresh in-process
    /// server.
    async fn json_report(flags: &[&str]) -> Value {
        let args = Args::try_parse_from(["provbench", "--output", "json"].iter().chain(flags))
            .expect("arguments");
        let target = start_in_process(None).await.expect("in-process server");
        let report = bench(&args, &target.url, &target.token, "test").await;
        if let Some(server) = target.in_process {
            server.stop(false).await;
        }
        serde_json::from_str(&report.expect("the benchmark ran")).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn register_over_several_rounds_registers_new_datasets_every_round() {
        let report = json_report(&[
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
        ])
        .await;
        let register = &report["scenarios"][0];
        assert_eq!(register["scenario"], "register", "{report}");
        // Before names were made unique per run, every run after the first repeated the first
        // run's names and failed them as already registered.
        assert_eq!(register["errors"], 0, "{report}");
        assert!(register["calls"].as_u64().unwrap() > 0, "{report}");
        assert_eq!(report["scenarios"].as_array().unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn register_batch_reports_datasets_per_second_beside_single_calls() {
        let report = json_report(&[
            "--rounds",
            "2",
            "--scenarios",
            "register,register-batch",
            "--duration",
            "1",
            "--concurrency",
            "2",
            "--batch-size",
            "50",
        ])
        .await;
        let rows = report["scenarios"].as_array().unwrap();
        let row = rows
            .iter()
            .find(|r| r["scenario"] == "register-batch")
            .unwrap();
        // The second round names its datasets afresh, as `register` does.
        assert_eq!(row["errors"], 0, "{report}");
        assert_eq!(row["concurrency"], 2, "the smaller of --concurrency and 4");
        let batch = &report["register_batch"];
        assert_eq!(batch["batch_size"], 50, "{report}");
        assert_eq!(batch["calls"], row["calls"], "{report}");
        let per_call =
            batch["datasets_per_s"].as_f64().unwrap() / row["calls_per_s"].as_f64().unwrap();
        assert!((per_call - 50.0).abs() < 0.5, "{report}");
        assert_eq!(batch["single_call_callers"], 2, "{report}");
        assert!(batch["ratio"].as_f64().unwrap() > 0.0, "{report}");
        assert!(
            batch["goal"]["met"].is_boolean(),
            "judged: register ran too; {report}"
        );
    }
}
