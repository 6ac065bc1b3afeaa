//! `health`: `grpc.health.v1.Health/Check`, which touches neither tokens nor the database. It is
//! the floor of the RPC stack, and every other figure is also given as a ratio of it.

use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::bench::Bench;
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::scenarios::Scenario;

/// Measures `callers` health checkers for the bench's duration.
pub async fn run(bench: &Bench, callers: usize) -> anyhow::Result<Stats> {
    announce(Scenario::Health, callers, bench);
    let workers = (0..callers)
        .map(|c| HealthWorker {
            client: HealthClient::new(bench.channel(c)),
        })
        .collect();
    Ok(drive(Scenario::Health, workers, bench.duration).await?.1)
}

struct HealthWorker {
    client: HealthClient<Channel>,
}

impl Worker for HealthWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let answer = self
            .client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await?
            .into_inner();
        if answer.status != ServingStatus::Serving as i32 {
            return Err(check_failed(format!("health status {}", answer.status)));
        }
        Ok(())
    }
}
