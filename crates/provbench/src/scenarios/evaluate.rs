//! `evaluate` (not in the default list: it builds 2 x `--evaluate-nodes` datasets, about a minute
//! here): `PolicyService.EvaluateDataset` under the built-in DeepSeek-R1 policy, on the last
//! registered dataset (a leaf) of two graphs registered through the API, each in waves of 256 so
//! that every parent exists before its children:
//!
//! - `evaluate-random`: each dataset names 1 to 3 parents drawn uniformly from every dataset of the
//!   earlier waves. Its upstream closure is small (a few hundred datasets typically): most random
//!   paths reach the roots within a few steps.
//! - `evaluate-deep`: each dataset names 1 to 3 parents among the 8 datasets that precede it by one
//!   wave (indices `i-263..=i-256`), a narrow band sliding down the whole graph, so that the leaf's
//!   closure holds most of the graph (about three quarters of it).
//!
//! A few datasets of the first wave (the roots) declare a `MODEL_GENERATED` source naming
//! `deepseek-ai/DeepSeek-R1`, so that evaluation has offenders to find shortest paths to. After 3
//! warm-up calls, each leaf is evaluated sequentially for `--duration` seconds, then with
//! `--evaluate-concurrency` callers. The report gives build times, the `closure_size`, verdict and
//! `offender_count` the server answered (every answer must match the first), and whether the
//! sequential evaluations met the goal of under 1 s each (their maximum).
//!
//! The deep graph's leaf is then evaluated under every loaded policy at once (`all_policies`: one
//! read and walk of the lineage, one verdict per policy), sequentially for `--duration` seconds,
//! in rounds alternating with the one-policy evaluation so that both see the same conditions: the
//! row `evaluate-deep-all-policies`, and the ratio of its median to the one-policy median, which
//! the goal holds at 1.5 at most.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use provenance_api::v1 as pb;
use provenance_api::v1::policy_service_client::PolicyServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{parent_source, plain_request, register_many};
use crate::measure::{Failure, Stats, Worker, check_failed, drive};
use crate::report::{round1, round3};
use crate::scenarios::{POLICY, Scenario};

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

/// The most an evaluation under every shipped policy may cost, as a multiple of one policy's
/// (medians): the walk is shared.
const ALL_POLICIES_GOAL: f64 = 1.5;

/// Rounds of the one-policy / all-policies comparison, each `--duration / rounds` long per side.
const ALL_POLICIES_ROUNDS: u32 = 4;

/// The model named by the restricted sources, as Hugging Face spells it.
const RESTRICTED_MODEL: &str = "deepseek-ai/DeepSeek-R1";

/// Builds each graph of `nodes` datasets with `concurrency` callers and measures its leaf, the
/// random graph first; `parallel` is the callers of the concurrent runs. Returns the rows (two per
/// graph, one when `parallel` is 1) and each graph's report.
pub async fn run(
    bench: &Bench,
    nodes: usize,
    concurrency: usize,
    parallel: usize,
) -> anyhow::Result<(Vec<Stats>, Vec<EvaluationReport>)> {
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    for shape in [Shape::Random, Shape::Deep] {
        let graph = build_evaluation_graph(bench, shape, nodes, concurrency).await?;
        let (shape_rows, mut report) = measure_evaluation(bench, &graph, parallel).await?;
        rows.extend(shape_rows);
        if shape == Shape::Deep {
            let (all_rows, comparison) = compare_all_policies(bench, &graph).await?;
            rows.extend(all_rows);
            report.all_policies = Some(comparison);
        }
        reports.push(report);
    }
    Ok((rows, reports))
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
    /// Under every loaded policy at once rather than [`POLICY`] alone.
    all_policies: bool,
    /// The first answer (from the warm-up); every later one must equal it.
    expected: Option<Judgement>,
}

impl Worker for EvaluateWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let request = pb::EvaluateDatasetRequest {
            dataset_id: self.dataset_id.clone(),
            policy_id: if self.all_policies {
                String::new()
            } else {
                POLICY.into()
            },
            all_policies: self.all_policies,
            ..Default::default()
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
        // Under several policies the counts are each policy's, added up.
        let each = std::iter::once(&answer).chain(&answer.policy_evaluations);
        let seen = Judgement {
            closure_size: answer.closure_size,
            verdict: answer.verdict,
            offender_count: each.clone().map(|e| e.offender_count).sum(),
            missing_attestation_count: each.map(|e| e.missing_attestation_count).sum(),
        };
        if self.all_policies && answer.policy_evaluations.len() < 2 {
            return Err(check_failed(format!(
                "all_policies answered {} evaluation(s)",
                answer.policy_evaluations.len()
            )));
        }
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
pub struct EvaluationReport {
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
    /// For the deep graph: the leaf under every loaded policy at once against one policy.
    all_policies: Option<AllPoliciesComparison>,
}

/// The leaf under every loaded policy at once against under [`POLICY`] alone, sequentially.
pub struct AllPoliciesComparison {
    /// Policies judged by at once.
    policies: usize,
    /// Median of the one-policy evaluations.
    one_median: Duration,
    /// Median of the all-policies evaluations.
    all_median: Duration,
    /// Every evaluation of both sides succeeded.
    clean_run: bool,
}

impl AllPoliciesComparison {
    fn ratio(&self) -> f64 {
        self.all_median.as_secs_f64() / self.one_median.as_secs_f64().max(1e-9)
    }

    fn goal_met(&self) -> bool {
        self.clean_run && self.ratio() <= ALL_POLICIES_GOAL
    }

    fn describe(&self) -> String {
        format!(
            "; under all {} loaded policies at once: median {:.1} ms against {:.1} ms under one, \
             ratio {:.2}, goal <= {ALL_POLICIES_GOAL}: {}",
            self.policies,
            self.all_median.as_secs_f64() * 1000.0,
            self.one_median.as_secs_f64() * 1000.0,
            self.ratio(),
            if self.goal_met() { "met" } else { "NOT met" },
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "policies": self.policies,
            "one_policy_median_ms": round3(self.one_median.as_secs_f64() * 1000.0),
            "all_policies_median_ms": round3(self.all_median.as_secs_f64() * 1000.0),
            "ratio": round3(self.ratio()),
            "goal_ratio": ALL_POLICIES_GOAL,
            "goal_met": self.goal_met(),
        })
    }
}

impl EvaluationReport {
    fn closure_percent(&self) -> f64 {
        100.0 * f64::from(self.judgement.closure_size) / self.nodes.max(1) as f64
    }

    pub fn describe(&self) -> String {
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
        ) + &self
            .all_policies
            .as_ref()
            .map_or(String::new(), AllPoliciesComparison::describe)
    }

    pub fn to_json(&self) -> Value {
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
            "all_policies": self.all_policies.as_ref().map(AllPoliciesComparison::to_json),
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
        all_policies: false,
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
        all_policies: None,
    };
    Ok((rows, report))
}

/// Evaluates `graph`'s leaf sequentially under every loaded policy at once and under [`POLICY`]
/// alone, in [`ALL_POLICIES_ROUNDS`] alternating rounds (after a warm-up of each), and compares
/// the medians. Returns the two rows (`evaluate-deep-one-policy`, `evaluate-deep-all-policies`).
async fn compare_all_policies(
    bench: &Bench,
    graph: &EvaluationGraph,
) -> anyhow::Result<(Vec<Stats>, AllPoliciesComparison)> {
    let client = PolicyServiceClient::new(bench.channel(0));
    let mut judged = Vec::new();
    let mut rows: Vec<Stats> = Vec::new();
    for all_policies in [false, true] {
        let mut worker = EvaluateWorker {
            client: client.clone(),
            auth: bench.auth.clone(),
            dataset_id: graph.leaf.clone(),
            all_policies,
            expected: None,
        };
        for _ in 0..EVALUATE_WARMUP {
            if let Err(failure) = worker.call().await {
                bail!(
                    "evaluating the leaf of the {} graph (all policies: {all_policies}): {}: {}",
                    graph.shape.name(),
                    failure.code,
                    failure.message
                );
            }
        }
        judged.push(worker.expected);
    }
    let policies = client
        .clone()
        .list_policies(authorized(pb::ListPoliciesRequest {}, &bench.auth))
        .await?
        .into_inner()
        .policies
        .len();
    let round = bench.duration / ALL_POLICIES_ROUNDS;
    eprintln!(
        "provbench: {} under one policy and under all {policies} at once, {ALL_POLICIES_ROUNDS} \
         alternating rounds of {:.1} s each",
        graph.shape.row(),
        round.as_secs_f64()
    );
    for _ in 0..ALL_POLICIES_ROUNDS {
        for (side, all_policies) in [false, true].into_iter().enumerate() {
            let worker = EvaluateWorker {
                client: client.clone(),
                auth: bench.auth.clone(),
                dataset_id: graph.leaf.clone(),
                all_policies,
                expected: judged[side],
            };
            let (_, mut stats) = drive(Scenario::Evaluate, vec![worker], round).await?;
            stats.name = format!(
                "{}-{}",
                graph.shape.row(),
                if all_policies {
                    "all-policies"
                } else {
                    "one-policy"
                }
            );
            match rows.get_mut(side) {
                Some(row) => {
                    row.latencies_us.extend(stats.latencies_us);
                    row.latencies_us.sort_unstable();
                    row.elapsed += stats.elapsed;
                    for (code, (n, message)) in stats.errors {
                        row.errors.entry(code).or_insert((0, message)).0 += n;
                    }
                }
                None => rows.push(stats),
            }
        }
    }
    let median = |row: &Stats| {
        row.latencies_us
            .get(row.latencies_us.len() / 2)
            .map(|&us| Duration::from_micros(us))
            .context("no evaluation succeeded")
    };
    let comparison = AllPoliciesComparison {
        policies,
        one_median: median(&rows[0])?,
        all_median: median(&rows[1])?,
        clean_run: rows.iter().all(|r| r.error_count() == 0),
    };
    Ok((rows, comparison))
}
