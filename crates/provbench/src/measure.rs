//! Driving callers and what they measured. A scenario's callers are [`Worker`]s: [`drive`] runs
//! them for the scenario's duration and times every call into [`Stats`], one row of the report;
//! [`run_counted`] runs them for a number of calls, to build what a scenario needs first. A call
//! that fails, or whose answer fails a worker's check, is a [`Failure`]: counted by code, never
//! timed.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tonic::Status;

use crate::bench::Bench;
use crate::report::{round1, round3};
use crate::scenarios::Scenario;

/// Why a call did not count: the server's status, or an answer that fails the bench's checks.
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl From<Status> for Failure {
    fn from(status: Status) -> Self {
        Self {
            code: format!("{:?}", status.code()),
            message: status.message().to_owned(),
        }
    }
}

pub fn check_failed(message: impl Into<String>) -> Failure {
    Failure {
        code: "BenchCheck".into(),
        message: message.into(),
    }
}

/// One caller: makes one call (or, for lineage, one walk) each time it is asked.
pub trait Worker: Send + 'static {
    fn call(&mut self) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// The measurements of one scenario.
pub struct Stats {
    pub scenario: Scenario,
    /// The row's name: the scenario's, or for `evaluate` the graph's (`evaluate-deep`).
    pub name: String,
    pub concurrency: usize,
    pub elapsed: Duration,
    /// Latencies of the successful calls, microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// Per code: count and the first message.
    pub errors: BTreeMap<String, (u64, String)>,
}

impl Stats {
    pub fn calls(&self) -> usize {
        self.latencies_us.len()
    }

    pub fn calls_per_s(&self) -> f64 {
        self.calls() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    /// Nearest-rank percentile, milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        Some(self.latencies_us[rank.clamp(1, n) - 1] as f64 / 1000.0)
    }

    pub fn to_json(&self, health: Option<f64>) -> Value {
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
pub fn add_round(results: &mut Vec<Stats>, round: Stats) {
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
pub async fn drive<W: Worker>(
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

/// Runs each worker, in its own task, for its number of calls; returns the workers (for what they
/// gathered). The first failure fails the whole, as this builds what later calls rely on.
pub async fn run_counted<W: Worker>(
    what: &str,
    workers: Vec<(W, usize)>,
) -> anyhow::Result<Vec<W>> {
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

/// Tells standard error which scenario is measured now, for how long and with how many callers.
pub fn announce(scenario: Scenario, callers: usize, bench: &Bench) {
    eprintln!(
        "provbench: {} for {} s with {callers} callers",
        scenario.name(),
        bench.duration.as_secs()
    );
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
}
