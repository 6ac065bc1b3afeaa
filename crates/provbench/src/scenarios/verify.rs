//! `verify`: `CertificateService.VerifyCertificate`, without an access token (verifiers need none),
//! cycling over 2048 distinct tokens (those `issue` kept, topped up by issuing the rest first),
//! each caller starting at its own place in the cycle. Every answer must say `valid: true` for the
//! certificate id asked about. Goal: at least 0.4 x the calls/s of `health` in the same run (0.5 x
//! as a stretch); not judged when `health` did not run.

use std::sync::Arc;

use provenance_api::v1 as pb;
use provenance_api::v1::certificate_service_client::CertificateServiceClient;
use tonic::Request;
use tonic::transport::Channel;

use crate::bench::Bench;
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::report::Goal;
use crate::scenarios::Scenario;
use crate::scenarios::issue::IssuedToken;

/// Distinct tokens `verify` cycles through: more than a small cache of recent tokens would hold,
/// so that each verification does the whole work, yet few enough to issue in seconds when `issue`
/// did not run first.
pub const VERIFY_TOKENS: usize = 2048;

/// The verification goal: at least this fraction of `health`'s calls/s in the same run.
const VERIFY_GOAL_RATIO: f64 = 0.4;

/// The verification stretch goal, as the same fraction.
const VERIFY_STRETCH_RATIO: f64 = 0.5;

/// Measures `callers` verifiers cycling through `tokens` for the bench's duration.
pub async fn run(bench: &Bench, callers: usize, tokens: &[IssuedToken]) -> anyhow::Result<Stats> {
    announce(Scenario::Verify, callers, bench);
    let shared = Arc::new(tokens.to_vec());
    let workers = (0..callers)
        .map(|c| VerifyWorker {
            client: CertificateServiceClient::new(bench.channel(c)),
            tokens: shared.clone(),
            // Spread over the cycle, so that concurrent callers verify different tokens rather
            // than the same one at once.
            next: c * shared.len() / callers,
        })
        .collect();
    Ok(drive(Scenario::Verify, workers, bench.duration).await?.1)
}

/// The goal and the stretch goal, judged on `stats` (the `verify` row) against `health`'s calls/s
/// in the same run; not judged without it. Any error misses them.
pub fn goals(stats: &Stats, health: Option<f64>) -> [Goal; 2] {
    let rate = stats.calls_per_s();
    let errors = stats.error_count();
    [
        (VERIFY_GOAL_RATIO, "verify"),
        (VERIFY_STRETCH_RATIO, "verify (stretch)"),
    ]
    .map(|(ratio, name)| Goal {
        scenario: name,
        wanted: format!(">= {ratio:.1} x health's calls/s, every answer valid"),
        measured: match health {
            Some(h) => format!(
                "{rate:.0} calls/s = {:.3} x health's {h:.0}, {errors} errors",
                rate / h
            ),
            None => format!("{rate:.0} calls/s, {errors} errors; health did not run in this run"),
        },
        met: health.map(|h| errors == 0 && rate >= ratio * h),
    })
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
