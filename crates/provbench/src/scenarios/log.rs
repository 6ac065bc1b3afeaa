//! `log`: fills the transparency log to `--log-leaves` events through `RegisterDataset` (one event
//! each), reporting the append rate of the first and the last chunk of 20,000 (appends must not
//! slow as the log grows), then measures `GetInclusionProof` (random leaf) and
//! `GetConsistencyProof` (random older size) against the whole tree, alternately, each answer
//! verified with the `transparency-log` crate.

use std::time::Instant;

use provenance_api::v1 as pb;
use provenance_api::v1::transparency_log_service_client::TransparencyLogServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::bench::Bench;
use crate::datasets::{plain_request, register_many};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::report::round1;
use crate::rng::Rng;
use crate::scenarios::Scenario;

/// Events registered per measured chunk while filling the log.
const LOG_FILL_CHUNK: u64 = 20_000;

/// Fills the log to `leaves` events with `concurrency` callers, then measures `callers` provers
/// for the bench's duration. Returns how the log filled too, for the report.
pub async fn run(
    bench: &Bench,
    callers: usize,
    leaves: u64,
    concurrency: usize,
) -> anyhow::Result<(Stats, Value)> {
    let fill = fill_log(bench, leaves, concurrency).await?;
    announce(Scenario::Log, callers, bench);
    let workers = (0..callers)
        .map(|c| LogProofWorker {
            client: TransparencyLogServiceClient::new(bench.channel(c)),
            tree_size: fill.leaves,
            rng: bench.rng(3_000_000 + c as u64),
            n: 0,
        })
        .collect();
    let stats = drive(Scenario::Log, workers, bench.duration).await?.1;
    Ok((stats, fill.to_json()))
}

/// How the `log` scenario filled the log.
struct LogFill {
    leaves: u64,
    /// Events per second over the first and the last chunk appended (`None` when none was).
    first_rate: Option<f64>,
    last_rate: Option<f64>,
}

impl LogFill {
    fn to_json(&self) -> Value {
        json!({
            "leaves": self.leaves,
            "chunk": LOG_FILL_CHUNK,
            "first_chunk_events_per_s": self.first_rate.map(round1),
            "last_chunk_events_per_s": self.last_rate.map(round1),
        })
    }
}

async fn log_size(bench: &Bench) -> anyhow::Result<u64> {
    Ok(TransparencyLogServiceClient::new(bench.channel(0))
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("GetCheckpoint: {:?}: {}", s.code(), s.message()))?
        .into_inner()
        .tree_size)
}

/// Registers datasets until the log holds at least `leaves` events (each registration appends
/// one), timing each chunk so that the first and last rates show whether appends slow down.
async fn fill_log(bench: &Bench, leaves: u64, concurrency: usize) -> anyhow::Result<LogFill> {
    let mut size = log_size(bench).await?;
    let (mut first_rate, mut last_rate) = (None, None);
    if size < leaves {
        eprintln!("provbench: filling the log from {size} to {leaves} events");
    }
    let mut n = 0u64;
    while size < leaves {
        let chunk = (leaves - size).min(LOG_FILL_CHUNK);
        let requests = (0..chunk)
            .map(|i| plain_request(format!("bench-{}-log-{}", bench.tag, n + i), n + i))
            .collect();
        let started = Instant::now();
        register_many(bench, requests, concurrency).await?;
        let rate = chunk as f64 / started.elapsed().as_secs_f64().max(1e-9);
        first_rate.get_or_insert(rate);
        last_rate = Some(rate);
        n += chunk;
        size = log_size(bench).await?;
        eprintln!("provbench: log at {size} events ({rate:.0} events/s)");
    }
    Ok(LogFill {
        leaves: size,
        first_rate,
        last_rate,
    })
}

struct LogProofWorker {
    client: TransparencyLogServiceClient<Channel>,
    tree_size: u64,
    rng: Rng,
    n: u64,
}

fn proof_hashes(hashes: &[Vec<u8>]) -> Result<Vec<[u8; 32]>, Failure> {
    hashes
        .iter()
        .map(|h| {
            h.as_slice()
                .try_into()
                .map_err(|_| check_failed("a proof hash is not 32 bytes"))
        })
        .collect()
}

fn hash32(bytes: &[u8]) -> Result<[u8; 32], Failure> {
    bytes
        .try_into()
        .map_err(|_| check_failed("a hash is not 32 bytes"))
}

impl Worker for LogProofWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        self.n += 1;
        let size = self.tree_size;
        if self.n.is_multiple_of(2) {
            let index = self.rng.below(size as usize) as u64;
            let proof = self
                .client
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(index)),
                    tree_size: size,
                })
                .await?
                .into_inner();
            transparency_log::verify_inclusion(
                &hash32(&proof.leaf_hash)?,
                index,
                size,
                &proof_hashes(&proof.hashes)?,
                &hash32(&proof.root_hash)?,
            )
            .map_err(|e| check_failed(format!("inclusion proof of leaf {index}: {e}")))
        } else {
            let first = 1 + self.rng.below(size as usize) as u64;
            let proof = self
                .client
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    first_tree_size: first,
                    second_tree_size: size,
                })
                .await?
                .into_inner();
            transparency_log::verify_consistency(
                first,
                size,
                &proof_hashes(&proof.hashes)?,
                &hash32(&proof.first_root_hash)?,
                &hash32(&proof.second_root_hash)?,
            )
            .map_err(|e| check_failed(format!("consistency proof from {first}: {e}")))
        }
    }
}
