//! The report: a table of the scenarios' rows (calls, calls/s, the ratio to `health`, p50, p99,
//! max, errors) followed by notes on what each scenario built and measured (`register-batch`: its
//! datasets/s beside `register`'s), the goals and the errors seen; or all of it as one JSON object
//! with `--output json`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::bench::Bench;
use crate::cli::Args;
use crate::measure::Stats;
use crate::scenarios::evaluate::EvaluationReport;
use crate::scenarios::issue::{self, Certifiable};
use crate::scenarios::lineage::LINEAGE_PAGE;
use crate::scenarios::register_batch;
use crate::scenarios::verify;
use crate::scenarios::watch::IdleWatchReport;
use crate::scenarios::webhook::WebhookReport;
use crate::scenarios::{POLICY, Scenario};

/// What a run gathered for its report, besides the flags and the connections.
#[derive(Default)]
pub struct Findings {
    /// One row per scenario (per graph and caller count for `evaluate`), rounds added up.
    pub results: Vec<Stats>,
    pub lineage: Option<Value>,
    pub log: Option<Value>,
    pub evaluate: Vec<EvaluationReport>,
    /// Set up once, by the first of `issue` and `verify` to run, and shared by both.
    pub certifiable: Option<Certifiable>,
    /// How many certificates `verify` had to issue first, and how many distinct tokens it cycled.
    pub verify: Option<(usize, usize)>,
    pub watch: Option<IdleWatchReport>,
    pub webhook: Option<WebhookReport>,
    pub status_list: Option<crate::scenarios::status_list::StatusListReport>,
}

/// The report to print: one JSON object with `--output json`, else the table and its notes.
pub fn render(
    args: &Args,
    url: &str,
    description: &str,
    bench: &Bench,
    findings: &Findings,
) -> anyhow::Result<String> {
    let callers_per_connection = bench.callers_per_connection;
    let health = findings
        .results
        .iter()
        .find(|s| s.scenario == Scenario::Health)
        .map(Stats::calls_per_s)
        .filter(|&r| r > 0.0);
    let goals = certificate_goals(&findings.results, health);
    let batch = register_batch::Summary::of(&findings.results, args.batch_size as usize);
    if args.json_report() {
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
            "scenarios": findings.results.iter().map(|s| s.to_json(health)).collect::<Vec<_>>(),
            "lineage": findings.lineage,
            "log": findings.log,
            "evaluate": findings.evaluate.iter().map(EvaluationReport::to_json).collect::<Vec<_>>(),
            "certificates": findings.certifiable.as_ref().map(|pool| json!({
                "certifiable_roots": pool.roots,
                "certifiable_children": pool.children,
                "register_s": round3(pool.register_time.as_secs_f64()),
                "attest_s": round3(pool.attest_time.as_secs_f64()),
                "attestations_per_s": round1(pool.ids.len() as f64 / pool.attest_time.as_secs_f64().max(1e-9)),
                "issued_before_verify": findings.verify.map(|(issued, _)| issued),
                "distinct_tokens_verified": findings.verify.map(|(_, distinct)| distinct),
                "goals": goals.iter().map(Goal::to_json).collect::<Vec<_>>(),
            })),
            "watch": findings.watch.as_ref().map(IdleWatchReport::to_json),
            "webhook": findings.webhook.as_ref().map(WebhookReport::to_json),
            "status_list": findings
                .status_list
                .as_ref()
                .map(crate::scenarios::status_list::StatusListReport::to_json),
            "register_batch": batch.as_ref().map(register_batch::Summary::to_json),
        });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&report)?));
    }
    // `watch` alone makes no row of calls.
    let mut out = String::new();
    if !findings.results.is_empty() {
        out = table(&findings.results, health);
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
    if let Some(info) = &findings.lineage {
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
    if let Some(info) = &findings.log {
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
    for report in &findings.evaluate {
        writeln!(out, "{}", report.describe())?;
    }
    if let Some(pool) = &findings.certifiable {
        writeln!(
            out,
            "certificates: {} certifiable datasets ({} roots with a web-crawl source, {} deriving \
             from one root each) registered in {:.2} s and attested in {:.2} s ({:.0} \
             attestations/s); policy {POLICY}",
            pool.ids.len(),
            pool.roots,
            pool.children,
            pool.register_time.as_secs_f64(),
            pool.attest_time.as_secs_f64(),
            pool.ids.len() as f64 / pool.attest_time.as_secs_f64().max(1e-9),
        )?;
    }
    if let Some((issued, distinct)) = findings.verify {
        writeln!(
            out,
            "verify: cycled through {distinct} distinct tokens ({issued} issued for it before \
             measuring, the rest kept from `issue`), without an access token"
        )?;
    }
    if let Some(report) = &findings.watch {
        writeln!(out, "{}", report.describe())?;
    }
    if let Some(report) = &findings.webhook {
        writeln!(out, "{}", report.describe())?;
    }
    if let Some(report) = &findings.status_list {
        writeln!(out, "{}", report.describe())?;
    }
    if let Some(batch) = &batch {
        writeln!(out, "{}", batch.describe())?;
    }
    for goal in goals.iter().chain(batch.map(|b| b.goal()).as_ref()) {
        writeln!(out, "{}", goal.describe())?;
    }
    for stats in &findings.results {
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

/// A goal of `issue` or `verify`, judged on this run's figures.
pub struct Goal {
    pub scenario: &'static str,
    /// What is asked.
    pub wanted: String,
    /// What was measured.
    pub measured: String,
    /// `None` when it cannot be judged: `verify` without `health` in the same run.
    pub met: Option<bool>,
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

    /// The goal as the JSON report gives it.
    pub fn to_json(&self) -> Value {
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
        match stats.scenario {
            Scenario::Issue => goals.push(issue::goal(stats)),
            Scenario::Verify => goals.extend(verify::goals(stats, health)),
            _ => {}
        }
    }
    goals
}

/// The table of the scenarios' rows: names left-aligned, numbers right-aligned.
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

/// `v` to one decimal, for the JSON report.
pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `v` to three decimals, for the JSON report.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
