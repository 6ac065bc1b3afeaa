//! A bounded load test: many more concurrent clients than the server admits, for a fixed time, on
//! a mix of writes and reads. Under overload the only refusal is `RESOURCE_EXHAUSTED`; every
//! acknowledged registration is there afterwards; the server's memory stays bounded (its peak
//! resident size is printed and checked).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use provenance_registry::proto::v1 as pb;
use tokio::sync::Mutex;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::*;
use crate::process::{ServerProcess, create_org_with};

/// Concurrent clients, each on a connection of its own.
const CLIENTS: usize = 200;
/// The server admits this many calls at once (`--max-concurrent-calls`).
const ADMITTED: &str = "32";
/// How long the load runs.
const LOAD_FOR: Duration = Duration::from_secs(6);
/// The server's peak resident memory must stay below this.
const MEMORY_BOUND_KIB: u64 = 512 * 1024;

/// One client's loop: register, read it back, list, walk lineage; counting what it saw.
async fn client(
    n: usize,
    channel: Channel,
    admin: String,
    acknowledged: Arc<Mutex<Vec<String>>>,
    shed: Arc<AtomicUsize>,
) -> Result<(), tonic::Status> {
    let deadline = Instant::now() + LOAD_FOR;
    let mut datasets = DatasetServiceClient::new(channel.clone());
    let mut lineage = LineageServiceClient::new(channel);
    let mut i = 0;
    let mut last: Option<pb::Dataset> = None;
    while Instant::now() < deadline {
        i += 1;
        let request = match &last {
            Some(parent) => derived(&format!("load-{n}-{i}"), &[parent]),
            None => dataset(&format!("load-{n}-{i}")),
        };
        let outcome = match i % 4 {
            0 => datasets
                .list_datasets(authed(&admin, pb::ListDatasetsRequest::default()))
                .await
                .map(|_| ()),
            1 | 2 => match datasets.register_dataset(authed(&admin, request)).await {
                Ok(answer) => {
                    let dataset = answer.into_inner().dataset.unwrap_or_default();
                    acknowledged.lock().await.push(dataset.id.clone());
                    last = Some(dataset);
                    Ok(())
                }
                Err(status) => Err(status),
            },
            _ => match &last {
                Some(dataset) => lineage
                    .get_lineage(authed(
                        &admin,
                        pb::GetLineageRequest {
                            dataset_id: dataset.id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| ()),
                None => Ok(()),
            },
        };
        match outcome {
            Ok(()) => {}
            Err(status) if status.code() == Code::ResourceExhausted => {
                shed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Err(status) => return Err(status),
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_shed_with_resource_exhausted_and_loses_nothing_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // On the suite's backend: SQLite, or a fresh PostgreSQL database.
    let database = fresh_database().await;
    let mut options = vec!["--max-concurrent-calls", ADMITTED];
    if let Some(database) = &database {
        options.extend(["--database-url", database.url.as_str()]);
    }
    let (_, admin) = create_org_with(dir.path(), &options[2..], "Acme");
    let server = ServerProcess::start_with(dir.path(), &options);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let shed = Arc::new(AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..CLIENTS {
        let channel = server.channel().await;
        clients.spawn(client(
            n,
            channel,
            admin.clone(),
            acknowledged.clone(),
            shed.clone(),
        ));
    }
    while let Some(outcome) = clients.join_next().await {
        if let Err(status) = outcome.unwrap() {
            panic!("a refusal other than RESOURCE_EXHAUSTED under load: {status:?}");
        }
    }
    let peak = server.peak_rss_kib();
    let acknowledged = acknowledged.lock().await.clone();
    eprintln!(
        "load: {CLIENTS} clients for {LOAD_FOR:?} against {ADMITTED} admitted calls: {} registrations acknowledged, {} calls shed, server peak RSS {} MiB",
        acknowledged.len(),
        shed.load(Ordering::Relaxed),
        peak / 1024
    );
    assert!(!acknowledged.is_empty());
    assert!(
        shed.load(Ordering::Relaxed) > 0,
        "the load should exceed what the server admits"
    );
    assert!(peak < MEMORY_BOUND_KIB, "peak RSS {peak} KiB");

    let mut datasets = DatasetServiceClient::new(server.channel().await);
    for id in &acknowledged {
        datasets
            .get_dataset(authed(&admin, pb::GetDatasetRequest { id: id.clone() }))
            .await
            .unwrap_or_else(|s| panic!("acknowledged dataset {id} lost: {s:?}"));
    }
}
