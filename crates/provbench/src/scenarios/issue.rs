//! `issue`: `CertificateService.IssueCertificate` under the built-in DeepSeek-R1 policy, cycling
//! over a few hundred certifiable datasets (each may be certified many times). They are set up
//! once, before the first of `issue` and `verify` that runs, through the API: 200 roots with a
//! web-crawl source and 100 datasets deriving from one root each (chains of 2), every one then
//! attested by its owner (`RecordAttestation`, manual review), so that each lineage is CLEAN. Every
//! answer must be a valid, clean certificate of the dataset asked for. Goal (the issue's): at least
//! 1,000 issuances per second, without errors.
//!
//! The tokens it keeps are those `verify` checks; [`issue_many`] issues the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use provenance_api::v1 as pb;
use provenance_api::v1::attestation_service_client::AttestationServiceClient;
use provenance_api::v1::certificate_service_client::CertificateServiceClient;
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{digest_of, parent_source, plain_request, register_many};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive, run_counted};
use crate::report::Goal;
use crate::scenarios::{POLICY, Scenario};

/// Certifiable roots of `issue` and `verify`: one web-crawl source each, no parent dataset.
const CERTIFY_ROOTS: usize = 200;

/// Certifiable datasets deriving from one root each (a chain of 2): issuing for them also reads a
/// closure of two, as a real lineage would.
const CERTIFY_CHILDREN: usize = 100;

/// The issuance goal (the issue's): at least this many certificates per second on SQLite.
const ISSUE_GOAL_PER_S: f64 = 1000.0;

/// Measures `callers` issuers over `pool` for the bench's duration, each keeping up to `keep`
/// tokens; returns the tokens kept too, for `verify`.
pub async fn run(
    bench: &Bench,
    pool: &Certifiable,
    callers: usize,
    keep: usize,
) -> anyhow::Result<(Stats, Vec<IssuedToken>)> {
    announce(Scenario::Issue, callers, bench);
    let workers = issue_workers(bench, pool, callers, keep);
    let (workers, stats) = drive(Scenario::Issue, workers, bench.duration).await?;
    Ok((stats, workers.into_iter().flat_map(|w| w.issued).collect()))
}

/// The issuance goal, judged on `stats` (the `issue` row); any error misses it.
pub fn goal(stats: &Stats) -> Goal {
    let rate = stats.calls_per_s();
    let errors = stats.error_count();
    Goal {
        scenario: "issue",
        wanted: format!(">= {ISSUE_GOAL_PER_S:.0} issuances/s without errors"),
        measured: format!("{rate:.0} calls/s, {errors} errors"),
        met: Some(errors == 0 && rate >= ISSUE_GOAL_PER_S),
    }
}

/// The datasets `issue` certifies: each attested by its owner, so that its lineage is CLEAN.
pub struct Certifiable {
    /// Roots first, then the datasets deriving from them.
    pub ids: Arc<Vec<String>>,
    pub roots: usize,
    pub children: usize,
    pub register_time: Duration,
    pub attest_time: Duration,
}

/// A certificate `issue` got, to verify later.
#[derive(Clone)]
pub struct IssuedToken {
    /// Its id (the token's `jti`), which the verification must name.
    pub id: String,
    pub token: String,
}

/// Registers [`CERTIFY_ROOTS`] roots and [`CERTIFY_CHILDREN`] datasets deriving from one root each,
/// then attests every one, each step with up to `parallel` concurrent callers.
pub async fn prepare_certifiable(bench: &Bench, parallel: usize) -> anyhow::Result<Certifiable> {
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
pub async fn issue_many(
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
            policy_id: POLICY.into(),
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
            policy_id: POLICY.into(),
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
