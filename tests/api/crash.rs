//! Crash safety: the server process is killed with SIGKILL while concurrent writers register,
//! attest, certify and revoke; after each restart on the same data every write a client saw
//! acknowledged is there, nothing half-written is visible, the event chain verifies and the
//! transparency log's signed root is the root of the chain's leaves. Several kill points per run,
//! on SQLite and (with `TEST_POSTGRES_URL`) on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provenance_registry::proto::v1 as pb;
use tonic::transport::Channel;

use crate::events::assert_chain_verifies;
use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};
use crate::process::{ServerProcess, create_org_with, operator_token_with};
use crate::support_postgres::{self, TestDatabase};

/// Concurrent writers per round.
const WRITERS: usize = 6;
/// Crash rounds per run, each on the data the previous ones left.
const ROUNDS: usize = 4;

/// Everything clients saw acknowledged, across rounds.
#[derive(Default)]
struct Acknowledged {
    datasets: BTreeSet<String>,
    attestations: BTreeSet<String>,
    /// Certificate id → whether its revocation was acknowledged.
    certificates: BTreeMap<String, bool>,
    count: usize,
}

type Shared = Arc<Mutex<Acknowledged>>;

fn note(acknowledged: &Shared, record: impl FnOnce(&mut Acknowledged)) {
    let mut guard = acknowledged.lock().unwrap_or_else(|p| p.into_inner());
    record(&mut guard);
    guard.count += 1;
}

/// Writes until the server goes away: register, attest, certify, and revoke every third
/// certificate, recording each acknowledgement as it arrives.
async fn write_until_killed(
    writer: usize,
    channel: Channel,
    admin: String,
    acknowledged: Shared,
) -> Result<(), tonic::Status> {
    let mut datasets = DatasetServiceClient::new(channel.clone());
    let mut attestations = AttestationServiceClient::new(channel.clone());
    let mut certificates = pb::certificate_service_client::CertificateServiceClient::new(channel);
    for n in 0.. {
        let name = format!("w{writer}-{n}-{}", uuid::Uuid::now_v7().simple());
        let dataset = datasets
            .register_dataset(authed(&admin, dataset(&name)))
            .await?
            .into_inner()
            .dataset
            .ok_or_else(|| tonic::Status::internal("no dataset"))?;
        note(&acknowledged, |a| {
            a.datasets.insert(dataset.id.clone());
        });
        let attestation = attestations
            .record_attestation(authed(&admin, attestation_request(&dataset)))
            .await?
            .into_inner();
        note(&acknowledged, |a| {
            a.attestations.insert(attestation.id.clone());
        });
        let certificate = certificates
            .issue_certificate(authed(
                &admin,
                pb::IssueCertificateRequest {
                    dataset_id: dataset.id.clone(),
                    policy_id: POLICY.into(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        note(&acknowledged, |a| {
            a.certificates.insert(certificate.id.clone(), false);
        });
        if n % 3 == 0 {
            certificates
                .revoke_certificate(authed(
                    &admin,
                    pb::RevokeCertificateRequest {
                        id: certificate.id.clone(),
                        reason: "crash test".into(),
                    },
                ))
                .await?;
            note(&acknowledged, |a| {
                a.certificates.insert(certificate.id.clone(), true);
            });
        }
    }
    Ok(())
}

/// Where a run keeps its state: a data directory, and a PostgreSQL database or none.
struct Deployment {
    dir: tempfile::TempDir,
    options: Vec<String>,
}

impl Deployment {
    fn options(&self) -> Vec<&str> {
        self.options.iter().map(String::as_str).collect()
    }

    fn start(&self) -> ServerProcess {
        ServerProcess::start_with(self.dir.path(), &self.options())
    }

    fn operator_token(&self) -> String {
        operator_token_with(self.dir.path(), &self.options())
    }
}

/// A kill point from the clock: how many acknowledgements to wait for before SIGKILL. Printed so a
/// failing run can be repeated.
fn kill_point(round: usize) -> usize {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(round * 7919);
    let point = 1 + (nanos / 1000 + round * 37) % 60;
    eprintln!("crash round {round}: SIGKILL after {point} acknowledgements");
    point
}

async fn crash_rounds(deployment: Deployment) {
    let (_, admin) = create_org_with(deployment.dir.path(), &deployment.options(), "Acme");
    let acknowledged: Shared = Arc::default();
    for round in 0..ROUNDS {
        let server = deployment.start();
        let channel = server.channel().await;
        let target = acknowledged.lock().unwrap().count + kill_point(round);
        let mut writers = tokio::task::JoinSet::new();
        for writer in 0..WRITERS {
            writers.spawn(write_until_killed(
                round * WRITERS + writer,
                channel.clone(),
                admin.clone(),
                acknowledged.clone(),
            ));
        }
        while acknowledged.lock().unwrap().count < target {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.signal("KILL");
        server.wait(Duration::from_secs(10));
        while writers.join_next().await.is_some() {}

        let restarted = deployment.start();
        let snapshot = std::mem::take(&mut *acknowledged.lock().unwrap());
        check_state(&restarted.channel().await, &admin, &deployment, &snapshot).await;
        *acknowledged.lock().unwrap() = snapshot;
        drop(restarted);
    }
}

/// Every acknowledged write is present, every event's record is complete, the chain verifies and
/// the signed log root is the root of the chain.
async fn check_state(
    channel: &Channel,
    admin: &str,
    deployment: &Deployment,
    acked: &Acknowledged,
) {
    let operator = deployment.operator_token();
    let events = all_events(channel, &operator).await;
    assert_chain_verifies(&events);
    let subjects = |kind: &str| -> BTreeSet<String> {
        events
            .iter()
            .filter(|e| e.r#type == kind)
            .map(|e| e.subject.rsplit('/').next().unwrap_or_default().to_owned())
            .collect()
    };

    // Each registration event has its dataset and no dataset lacks its event.
    let registered = subjects("dataset.registered");
    assert!(
        acked.datasets.is_subset(&registered),
        "an acknowledged dataset is missing"
    );
    let mut datasets = DatasetServiceClient::new(channel.clone());
    let listed = all_pages(|page_token| {
        let request = pb::ListDatasetsRequest {
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        let mut datasets = datasets.clone();
        let operator = operator.clone();
        async move {
            let page = datasets
                .list_datasets(authed(&operator, request))
                .await
                .unwrap()
                .into_inner();
            (page.datasets, page.next_page_token)
        }
    })
    .await;
    let listed: BTreeSet<String> = listed.into_iter().map(|d| d.id).collect();
    assert_eq!(listed, registered, "datasets and their events agree");
    for id in &acked.datasets {
        datasets
            .get_dataset(authed(admin, pb::GetDatasetRequest { id: id.clone() }))
            .await
            .unwrap_or_else(|s| panic!("acknowledged dataset {id}: {s:?}"));
    }

    let recorded = subjects("attestation.recorded");
    assert!(
        acked.attestations.is_subset(&recorded),
        "an acknowledged attestation is missing"
    );
    let mut attestations = AttestationServiceClient::new(channel.clone());
    for id in &recorded {
        attestations
            .get_attestation(authed(admin, pb::GetAttestationRequest { id: id.clone() }))
            .await
            .unwrap_or_else(|s| panic!("attestation {id} has an event but no record: {s:?}"));
    }

    let issued = subjects("certificate.issued");
    let revoked = subjects("certificate.revoked");
    let mut certificates =
        pb::certificate_service_client::CertificateServiceClient::new(channel.clone());
    for id in &issued {
        let certificate = certificates
            .get_certificate(authed(
                admin,
                pb::GetCertificateRequest {
                    id: id.clone(),
                    as_of: None,
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("certificate {id} has an event but no record: {s:?}"))
            .into_inner();
        let is_revoked = certificate.status == pb::CertificateStatus::Revoked as i32;
        assert_eq!(
            is_revoked,
            revoked.contains(id),
            "certificate {id}: record and events agree"
        );
        if let Some(&acked_revoked) = acked.certificates.get(id) {
            assert!(
                is_revoked || !acked_revoked,
                "acknowledged revocation of {id} lost"
            );
        }
    }
    assert!(
        acked.certificates.keys().all(|id| issued.contains(id)),
        "an acknowledged certificate is missing"
    );

    // The log: its signed root is the root over the chain's hashes, recomputed here.
    let checkpoint =
        pb::transparency_log_service_client::TransparencyLogServiceClient::new(channel.clone())
            .get_checkpoint(pb::GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner();
    assert_eq!(checkpoint.tree_size, events.len() as u64);
    let mut tree = transparency_log::Frontier::new();
    for event in &events {
        let hash = hex::decode(&event.hash).unwrap();
        tree.append(transparency_log::hash_leaf(&hash)).unwrap();
    }
    assert_eq!(
        checkpoint.root_hash,
        tree.root().to_vec(),
        "the log's root is the chain's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_through_repeated_kill_9() {
    crash_rounds(Deployment {
        dir: tempfile::tempdir().unwrap(),
        options: Vec::new(),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_through_repeated_kill_9() {
    let Some(server) = support_postgres::server_url() else {
        return;
    };
    let database = TestDatabase::create(&server).await;
    crash_rounds(Deployment {
        dir: tempfile::tempdir().unwrap(),
        options: vec!["--database-url".into(), database.url.clone()],
    })
    .await;
}
