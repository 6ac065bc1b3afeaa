//! `register`: `DatasetService.RegisterDataset` with unique names, each acknowledged call durably
//! committed (SQLite `synchronous=FULL`, group commit). Every fifth registration derives from an
//! earlier one of the same caller.

use provenance_api::v1::dataset_service_client::DatasetServiceClient;
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{parent_source, plain_request};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::rng::Rng;
use crate::scenarios::Scenario;

/// Measures `callers` registering callers for the bench's duration; `run` counts the runs of
/// `register` so far, so that each names its datasets afresh. Returns the ids registered too.
pub async fn run(bench: &Bench, callers: usize, run: u32) -> anyhow::Result<(Stats, Vec<String>)> {
    announce(Scenario::Register, callers, bench);
    let workers = (0..callers)
        .map(|c| RegisterWorker {
            client: DatasetServiceClient::new(bench.channel(c)),
            auth: bench.auth.clone(),
            prefix: format!("bench-{}-r{run}-{c}", bench.tag),
            n: 0,
            rng: bench.rng(c as u64),
            created: Vec::new(),
        })
        .collect();
    let (workers, stats) = drive(Scenario::Register, workers, bench.duration).await?;
    Ok((stats, workers.into_iter().flat_map(|w| w.created).collect()))
}

struct RegisterWorker {
    client: DatasetServiceClient<Channel>,
    auth: Auth,
    prefix: String,
    n: u64,
    rng: Rng,
    /// Ids this caller registered: parents for later registrations, and targets of `get`.
    created: Vec<String>,
}

impl Worker for RegisterWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let n = self.n;
        self.n += 1;
        let mut request = plain_request(format!("{}-{n}", self.prefix), n);
        // Every fifth registration derives from an earlier one, so that registrations also check
        // parents and write lineage edges.
        if n % 5 == 4 && !self.created.is_empty() {
            let parent = self.created[self.rng.below(self.created.len())].clone();
            request.sources.push(parent_source(parent));
        }
        let answer = self
            .client
            .register_dataset(authorized(request, &self.auth))
            .await?
            .into_inner();
        let dataset = answer
            .dataset
            .ok_or_else(|| check_failed("an answer without its dataset"))?;
        if answer.already_existed {
            return Err(check_failed(
                "a unique name was reported as already registered",
            ));
        }
        self.created.push(dataset.id);
        Ok(())
    }
}
