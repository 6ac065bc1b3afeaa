//! One module per scenario, each with a `run` that [`bench`](crate::bench::bench) calls: it builds
//! what the scenario needs first, then drives the scenario's callers (each a
//! [`Worker`](crate::measure::Worker), which checks every answer) and returns their figures.
//! `issue` and `verify` also judge their goals; `watch` drives no calls, it measures CPU time.
//!
//! A new scenario is a variant of [`Scenario`], a module here and an arm in `bench`.

pub mod evaluate;
pub mod get;
pub mod health;
pub mod issue;
pub mod lineage;
pub mod log;
pub mod register;
pub mod register_batch;
pub mod status_list;
pub mod verify;
pub mod watch;
pub mod webhook;

use clap::ValueEnum;

/// The built-in policy evaluated, attested to and certified under; its version is left empty (only
/// one is loaded).
pub const POLICY: &str = "deepseek-r1-anti-distillation";

/// A scenario, as `--scenarios` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// The gRPC health check: the floor of the RPC stack, and the baseline of the ratios.
    Health,
    /// Registering datasets, each durably committed.
    Register,
    /// Registering datasets in `RegisterDatasets` calls of `--batch-size` (1,000) from
    /// `--batch-concurrency` callers (4), in datasets/s, against a goal of 10 x the datasets/s of
    /// `register` in the same run (not run by default).
    RegisterBatch,
    /// Reading registered datasets back.
    Get,
    /// Full upstream `GetLineage` walks of a layered graph built first (`--lineage-nodes`).
    Lineage,
    /// Policy evaluation of a leaf of two large graphs (`--evaluate-nodes`), against a goal of
    /// under 1 s each (not run by default).
    Evaluate,
    /// Issuing lineage certificates, against a goal.
    Issue,
    /// Verifying lineage certificates, against a goal.
    Verify,
    /// Appends as the transparency log fills (`--log-leaves`), then its proofs, each verified (not
    /// run by default).
    Log,
    /// The CPU time idle `WatchEvents` streams cost; in-process server only (not run by default).
    Watch,
    /// Webhook deliveries to a receiver on 127.0.0.1: events/s and commit-to-delivery delay (not
    /// run by default).
    Webhook,
    /// Building a token status list of `--status-list-size` certificates, 1 % revoked: its size
    /// and build time; no calls (not run by default).
    StatusList,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::Register => "register",
            Scenario::RegisterBatch => "register-batch",
            Scenario::Get => "get",
            Scenario::Lineage => "lineage",
            Scenario::Evaluate => "evaluate",
            Scenario::Issue => "issue",
            Scenario::Verify => "verify",
            Scenario::Log => "log",
            Scenario::Watch => "watch",
            Scenario::Webhook => "webhook",
            Scenario::StatusList => "status-list",
        }
    }
}
