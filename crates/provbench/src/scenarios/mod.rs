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
pub mod verify;
pub mod watch;

use clap::ValueEnum;

/// The built-in policy evaluated, attested to and certified under; its version is left empty (only
/// one is loaded).
pub const POLICY: &str = "deepseek-r1-anti-distillation";

/// A scenario, as `--scenarios` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
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
    pub fn name(self) -> &'static str {
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
