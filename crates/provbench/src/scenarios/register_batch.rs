//! `register-batch`: `DatasetService.RegisterDatasets`, each call `--batch-size` (1,000) new
//! datasets stored all or none and durably committed, from `--batch-concurrency` callers (4).
//! Every fifth item derives from a random earlier item of its call (`batch_ref`), and each call's
//! first item from the last dataset of the caller's previous call (`dataset_id`), so that calls
//! also check parents and write lineage edges, as `register` does. Every answer is checked: one
//! new dataset per item, in order, with the parent each named.
//!
//! Its figure is datasets/s (a call's datasets over the time), set beside the single calls of
//! `register` in the same run, one dataset a call. Goal: at least [`GOAL_RATIO`] x their
//! datasets/s; not judged when `register` did not run.

use provenance_api::v1 as pb;
use provenance_api::v1::dataset_service_client::DatasetServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{parent_source, plain_request};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::report::{Goal, round1, round3};
use crate::rng::Rng;
use crate::scenarios::Scenario;

/// The goal: batches register at least this many times the datasets/s of single calls.
pub const GOAL_RATIO: f64 = 10.0;

/// Measures `callers` callers each sending calls of `batch_size` new datasets for the bench's
/// duration; `run` counts the runs of `register-batch` so far, so that each names its datasets
/// afresh.
pub async fn run(
    bench: &Bench,
    callers: usize,
    batch_size: usize,
    run: u32,
) -> anyhow::Result<Stats> {
    announce(Scenario::RegisterBatch, callers, bench);
    let workers = (0..callers)
        .map(|c| BatchWorker {
            client: DatasetServiceClient::new(bench.channel(c)),
            auth: bench.auth.clone(),
            prefix: format!("bench-{}-b{run}-{c}", bench.tag),
            batch_size,
            calls: 0,
            // Streams of their own: `register`'s callers draw from `bench.rng(c)`.
            rng: bench.rng(0xBA7C_0000 + c as u64),
            last: None,
        })
        .collect();
    Ok(drive(Scenario::RegisterBatch, workers, bench.duration)
        .await?
        .1)
}

struct BatchWorker {
    client: DatasetServiceClient<Channel>,
    auth: Auth,
    prefix: String,
    batch_size: usize,
    /// Calls made so far: names each call's datasets.
    calls: u64,
    rng: Rng,
    /// The last dataset of this caller's previous call: the parent of its next call's first item.
    last: Option<String>,
}

impl BatchWorker {
    fn name(&self, call: u64, item: usize) -> String {
        format!("{}-{call}-{item}", self.prefix)
    }
}

impl Worker for BatchWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let call = self.calls;
        self.calls += 1;
        // The earlier item each item names by `batch_ref`, if any, to check the answer against.
        let mut batch_parents: Vec<Option<usize>> = Vec::with_capacity(self.batch_size);
        let mut registrations = Vec::with_capacity(self.batch_size);
        for item in 0..self.batch_size {
            let n = call * self.batch_size as u64 + item as u64;
            let mut dataset = plain_request(self.name(call, item), n);
            let batch_parent = (item % 5 == 4).then(|| self.rng.below(item));
            if item == 0 {
                dataset.sources.extend(self.last.clone().map(parent_source));
            }
            if let Some(parent) = batch_parent {
                dataset.sources.push(pb::Source {
                    kind: pb::SourceKind::Dataset as i32,
                    batch_ref: format!("r{parent}"),
                    ..Default::default()
                });
            }
            batch_parents.push(batch_parent);
            registrations.push(pb::BatchRegistration {
                r#ref: format!("r{item}"),
                dataset: Some(dataset),
            });
        }
        let request = pb::RegisterDatasetsRequest { registrations };
        let results = self
            .client
            .register_datasets(authorized(request, &self.auth))
            .await?
            .into_inner()
            .results;
        if results.len() != self.batch_size {
            return Err(check_failed(format!(
                "{} results for {} registrations",
                results.len(),
                self.batch_size
            )));
        }
        let mut datasets = Vec::with_capacity(results.len());
        for (item, result) in results.iter().enumerate() {
            let dataset = result
                .dataset
                .as_ref()
                .ok_or_else(|| check_failed("an answer without its dataset"))?;
            if result.already_existed {
                return Err(check_failed(
                    "a unique name was reported as already registered",
                ));
            }
            if dataset.name != self.name(call, item) {
                return Err(check_failed(format!(
                    "results[{item}] is {:?}: not in request order",
                    dataset.name
                )));
            }
            datasets.push(dataset);
        }
        for (item, parent) in batch_parents.iter().enumerate() {
            let Some(parent) = *parent else { continue };
            let named = datasets[item].sources.last().map(|s| s.dataset_id.as_str());
            if named != Some(datasets[parent].id.as_str()) {
                return Err(check_failed(format!(
                    "results[{item}] does not name results[{parent}], its batch_ref, as a parent"
                )));
            }
        }
        self.last = datasets.last().map(|d| d.id.clone());
        Ok(())
    }
}

/// What `register-batch` measured, beside the single calls of `register` in the same run.
pub struct Summary {
    batch_size: usize,
    callers: usize,
    calls: usize,
    datasets_per_s: f64,
    errors: u64,
    /// `register`'s callers and datasets/s (one a call), when it ran.
    single: Option<(usize, f64)>,
}

impl Summary {
    /// The summary of the `register-batch` row of `results`, if it ran, calls of `batch_size`.
    pub fn of(results: &[Stats], batch_size: usize) -> Option<Self> {
        let batch = results
            .iter()
            .find(|s| s.scenario == Scenario::RegisterBatch)?;
        let single = results
            .iter()
            .find(|s| s.scenario == Scenario::Register)
            .map(|s| (s.concurrency, s.calls_per_s()));
        Some(Self {
            batch_size,
            callers: batch.concurrency,
            calls: batch.calls(),
            // Every successful call stored all of its `batch_size` datasets (checked).
            datasets_per_s: batch.calls_per_s() * batch_size as f64,
            errors: batch.error_count(),
            single,
        })
    }

    /// Batch datasets/s over single-call datasets/s, when `register` ran and stored any.
    fn ratio(&self) -> Option<f64> {
        self.single
            .filter(|&(_, rate)| rate > 0.0)
            .map(|(_, rate)| self.datasets_per_s / rate)
    }

    /// The report's note.
    pub fn describe(&self) -> String {
        let single = match (self.single, self.ratio()) {
            (Some((callers, rate)), Some(ratio)) => format!(
                "single RegisterDataset calls (`register`, {callers} callers): {rate:.0} \
                 datasets/s; ratio {ratio:.1}"
            ),
            _ => "single RegisterDataset calls not measured (add `register` to --scenarios)"
                .to_owned(),
        };
        format!(
            "register-batch: {} callers, RegisterDatasets calls of {} new datasets ({} calls): \
             {:.0} datasets/s; {single}",
            self.callers, self.batch_size, self.calls, self.datasets_per_s
        )
    }

    /// The goal, judged: any error in the batches misses it.
    pub fn goal(&self) -> Goal {
        Goal {
            scenario: "register-batch",
            wanted: format!(
                ">= {GOAL_RATIO:.0} x the datasets/s of single RegisterDataset calls, every answer \
                 checked"
            ),
            measured: match (self.single, self.ratio()) {
                (Some((_, rate)), Some(ratio)) => format!(
                    "{:.0} datasets/s = {ratio:.1} x register's {rate:.0}, {} errors",
                    self.datasets_per_s, self.errors
                ),
                _ => format!(
                    "{:.0} datasets/s, {} errors; register did not run in this run",
                    self.datasets_per_s, self.errors
                ),
            },
            met: self
                .ratio()
                .map(|ratio| self.errors == 0 && ratio >= GOAL_RATIO),
        }
    }

    /// The report's `register_batch` object.
    pub fn to_json(&self) -> Value {
        json!({
            "batch_size": self.batch_size,
            "callers": self.callers,
            "calls": self.calls,
            "datasets_per_s": round1(self.datasets_per_s),
            "errors": self.errors,
            "single_call_callers": self.single.map(|(callers, _)| callers),
            "single_call_datasets_per_s": self.single.map(|(_, rate)| round1(rate)),
            "ratio": self.ratio().map(round3),
            "goal": self.goal().to_json(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn row(scenario: Scenario, concurrency: usize, calls: usize, errors: u64) -> Stats {
        Stats {
            scenario,
            name: scenario.name().to_owned(),
            concurrency,
            elapsed: Duration::from_secs(2),
            latencies_us: vec![1000; calls],
            errors: (errors > 0)
                .then(|| ("Internal".to_owned(), (errors, "boom".to_owned())))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn batches_are_counted_in_datasets_and_judged_against_single_calls() {
        let batch = row(Scenario::RegisterBatch, 4, 100, 0);
        let single = row(Scenario::Register, 32, 8000, 0);
        let summary = Summary::of(&[single, batch], 1000).expect("register-batch ran");
        // 100 calls of 1000 in 2 s, against 8000 single calls in 2 s.
        assert_eq!(summary.datasets_per_s, 50_000.0);
        assert_eq!(summary.ratio(), Some(12.5));
        assert_eq!(summary.goal().met, Some(true));
        let json = summary.to_json();
        assert_eq!(json["single_call_datasets_per_s"], 4000.0);
        assert_eq!(json["single_call_callers"], 32);
        assert!(summary.describe().contains("50000 datasets/s"));

        let slow = Summary::of(
            &[
                row(Scenario::RegisterBatch, 4, 10, 0),
                row(Scenario::Register, 32, 8000, 0),
            ],
            1000,
        );
        assert_eq!(slow.expect("ran").goal().met, Some(false));
        let failing = Summary::of(
            &[
                row(Scenario::RegisterBatch, 4, 100, 1),
                row(Scenario::Register, 32, 10, 0),
            ],
            1000,
        );
        assert_eq!(
            failing.expect("ran").goal().met,
            Some(false),
            "an error misses the goal"
        );
    }

    #[test]
    fn without_register_the_goal_is_not_judged() {
        let alone = Summary::of(&[row(Scenario::RegisterBatch, 4, 100, 0)], 1000).expect("ran");
        assert_eq!((alone.ratio(), alone.goal().met), (None, None));
        assert!(alone.describe().contains("add `register` to --scenarios"));
        assert!(Summary::of(&[row(Scenario::Register, 32, 10, 0)], 1000).is_none());
    }
}
