//! `get`: `DatasetService.GetDataset` on random registered ids: those `register` registered before
//! it in the run, or a thousand registered first.

use std::sync::Arc;

use provenance_api::v1 as pb;
use provenance_api::v1::dataset_service_client::DatasetServiceClient;
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{plain_request, register_many};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::rng::Rng;
use crate::scenarios::Scenario;

/// Datasets registered for `get` when `register` did not run first.
const GET_SEED: usize = 1000;

/// Measures `callers` readers of random ids of `registered` for the bench's duration; when it is
/// empty, first registers [`GET_SEED`] datasets into it with `concurrency` callers.
pub async fn run(
    bench: &Bench,
    callers: usize,
    registered: &mut Vec<String>,
    concurrency: usize,
) -> anyhow::Result<Stats> {
    if registered.is_empty() {
        eprintln!("provbench: registering {GET_SEED} datasets to read");
        let requests = (0..GET_SEED)
            .map(|i| plain_request(format!("bench-{}-seed-{i}", bench.tag), i as u64))
            .collect();
        *registered = register_many(bench, requests, concurrency).await?;
    }
    announce(Scenario::Get, callers, bench);
    let ids = Arc::new(registered.clone());
    let workers = (0..callers)
        .map(|c| GetWorker {
            client: DatasetServiceClient::new(bench.channel(c)),
            auth: bench.auth.clone(),
            ids: ids.clone(),
            rng: bench.rng(1_000_000 + c as u64),
        })
        .collect();
    Ok(drive(Scenario::Get, workers, bench.duration).await?.1)
}

struct GetWorker {
    client: DatasetServiceClient<Channel>,
    auth: Auth,
    ids: Arc<Vec<String>>,
    rng: Rng,
}

impl Worker for GetWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let id = self.ids[self.rng.below(self.ids.len())].clone();
        let dataset = self
            .client
            .get_dataset(authorized(
                pb::GetDatasetRequest { id: id.clone() },
                &self.auth,
            ))
            .await?
            .into_inner();
        if dataset.id != id {
            return Err(check_failed(format!("asked for {id}, got {}", dataset.id)));
        }
        Ok(())
    }
}
