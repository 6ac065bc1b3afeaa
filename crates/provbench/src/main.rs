//! `provbench`: a load generator for provenance-registry. It measures, over gRPC and under a fixed
//! number of concurrent callers, how many calls per second the registry answers and how long they
//! take (p50, p99, max), scenario by scenario:
//!
//! - `health`: the gRPC health check, the floor of the RPC stack and the baseline of the ratios;
//! - `register`, `get`: registering datasets (durably committed) and reading them back;
//! - `register-batch` (on demand): `RegisterDatasets` calls of 1,000 new datasets from 4 callers,
//!   in datasets/s beside `register`'s single calls, against a goal of 10 x their datasets/s;
//! - `lineage`: full upstream `GetLineage` walks of a layered graph built first;
//! - `evaluate` (on demand): policy evaluation of a leaf of two large graphs, a random and a deep
//!   one, sequentially and concurrently, against a goal of under 1 s each; then the deep leaf under
//!   every loaded policy at once against one policy, against a goal of at most 1.5 x;
//! - `issue`, `verify`: issuing lineage certificates and verifying them, each against a goal;
//! - `log` (on demand): appends as the transparency log fills, then its proofs, each verified;
//! - `watch` (on demand): the CPU time idle `WatchEvents` streams cost (in-process server only);
//! - `webhook` (on demand): webhook deliveries to a receiver on 127.0.0.1, events/s from a backlog
//!   and the delay from commit to delivery (p50, p99).
//!
//! Each scenario's module says what exactly it calls, what it builds first and what it checks.
//!
//! # How a run goes
//!
//! 1. [`run`] checks the flags, then gets a target: by default the real server started in-process
//!    on a free loopback port with a fresh data directory (removed at the end) and a bootstrapped
//!    organisation, so that it shares the process and the machine's cores with the load generator;
//!    with `--target URL`, a running server and a registrar or admin token in `--token` or
//!    `PROVENANCE_TOKEN`.
//! 2. [`bench::bench`] opens the HTTP/2 connections and runs the list of scenarios `--rounds`
//!    times. A scenario first builds what it needs through the API (datasets, graphs, attested
//!    datasets, a filled log), then its callers, one task each, call for `--duration` seconds;
//!    every call is timed and every answer checked. A scenario's rounds add up to one row.
//! 3. The in-process server is stopped and its data removed (`--keep-data` keeps it), then the
//!    report goes to standard output: a table and notes, or one JSON object with `--output json`. Progress
//!    goes to standard error.
//!
//! # Modules
//!
//! - [`cli`]: the flags.
//! - [`target`]: the in-process server, or the checks on a `--target`.
//! - [`bench`](mod@bench): the connections, the context every scenario gets ([`bench::Bench`])
//!   and the loop over rounds and scenarios.
//! - [`scenarios`]: one module per scenario: its callers, what it builds first, its goal.
//! - [`measure`]: driving callers for a duration or a number of calls, and a scenario's figures.
//! - [`datasets`]: the registrations the scenarios build from, and registering many at once.
//! - [`report`]: the table, the notes and the goals, or the JSON object.
//! - [`rng`]: the seeded random choices.
//!
//! # Running it
//!
//! ```text
//! cargo run --release -p provbench -- --concurrency 32
//! cargo run --release -p provbench -- --scenarios health,get --duration 10 --output json
//! cargo run --release -p provbench -- --scenarios health,evaluate --duration 5
//! cargo run --release -p provbench -- --scenarios health,issue,verify --duration 5
//! cargo run --release -p provbench -- --scenarios health,verify --duration 1 --rounds 8
//! cargo run --release -p provbench -- --scenarios register,register-batch --duration 5
//! cargo run --release -p provbench -- --scenarios evaluate --evaluate-nodes 20000 --keep-data
//! cargo run --release -p provbench -- --scenarios log --log-leaves 1000000 --duration 10
//! cargo run --release -p provbench -- --scenarios webhook --duration 10 --concurrency 16
//! ```
//!
//! `--keep-data` leaves the in-process server's data directory in place (its path is printed), so
//! that its `registry.db` can be examined afterwards, e.g. with the `sqlite3` command-line shell.
//! `--seed` makes the random choices, and so the graphs' shapes, reproducible.
//! `--rounds N` runs the list N times and adds each scenario's rounds up, so that alternating short
//! rounds of `health` and `verify` compare them under the same machine conditions.

mod bench;
mod cli;
mod datasets;
mod measure;
mod report;
mod rng;
mod scenarios;
mod target;

use std::io::Write as _;

use anyhow::{Context, bail};
use clap::Parser;

use crate::cli::Args;
use crate::scenarios::Scenario;
use crate::target::{Target, check_target, start_in_process};

/// The allocator of the `provenance-registry` binary, so that the in-process server is measured
/// as it is deployed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Checks the flags, gets the target, benchmarks it and prints the report.
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
    let outcome = bench::bench(&args, &target.url, &target.token, &description).await;
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

#[cfg(test)]
mod tests {
    use super::*;

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
