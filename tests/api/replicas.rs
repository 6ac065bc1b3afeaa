//! Two server processes on one PostgreSQL database serve one registry: writes through both at once
//! never fork the event chain or the transparency log, nothing acknowledged goes missing, and what
//! one replica issues, revokes or records the other sees. Runs when `TEST_POSTGRES_URL` is set.

use std::process::Command;
use std::time::Duration;

use provenance_registry::proto::v1 as pb;
use tokio::task::JoinSet;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::events::assert_chain_verifies;
use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};
use crate::process::{ServerProcess, create_org_with, operator_token_with};
use crate::support_postgres::{self, TestDatabase};

/// Concurrent writers; each registers, attests and certifies one dataset across both replicas.
const WRITERS: usize = 120;

/// Key files every replica must share: access tokens, certificate keys, the log's key.
const SHARED_KEY_FILES: [&str; 3] = ["access-token.key", "signing-keys.json", "log-signing.key"];

/// What one writer saw acknowledged.
struct Acknowledged {
    dataset: pb::Dataset,
    attestation: pb::Attestation,
    certificate: pb::Certificate,
}

/// Registers, attests (through the other replica) and certifies one dataset; verifies the
/// certificate on the other replica.
async fn write_one(
    n: usize,
    mine: Channel,
    other: Channel,
    admin: String,
) -> Result<Acknowledged, tonic::Status> {
    let dataset = DatasetServiceClient::new(mine.clone())
        .register_dataset(authed(&admin, dataset(&format!("replicated-{n}"))))
        .await?
        .into_inner()
        .dataset
        .ok_or_else(|| tonic::Status::internal("no dataset in the answer"))?;
    let attestation = AttestationServiceClient::new(other.clone())
        .record_attestation(authed(&admin, attestation_request(&dataset)))
        .await?
        .into_inner();
    let certificate = pb::certificate_service_client::CertificateServiceClient::new(mine)
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
    let verified = verify_on(&other, &certificate.token).await;
    if !verified.valid {
        return Err(tonic::Status::internal(format!(
            "certificate {} did not verify on the other replica: {:?}",
            certificate.id, verified.checks
        )));
    }
    Ok(Acknowledged {
        dataset,
        attestation,
        certificate,
    })
}

async fn verify_on(channel: &Channel, token: &str) -> pb::VerifyCertificateResponse {
    pb::certificate_service_client::CertificateServiceClient::new(channel.clone())
        .verify_certificate(pb::VerifyCertificateRequest {
            token: token.into(),
            ..Default::default()
        })
        .await
        .expect("verification answers")
        .into_inner()
}

async fn checkpoint(channel: &Channel) -> pb::Checkpoint {
    pb::transparency_log_service_client::TransparencyLogServiceClient::new(channel.clone())
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .expect("checkpoint")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_database_write_at_once_without_forking_or_losing_anything() {
    let Some(server) = support_postgres::server_url() else {
        return;
    };
    let database = TestDatabase::create(&server).await;
    let url = database.url.as_str();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, admin) = create_org_with(dir_a.path(), &["--database-url", url], "Acme");
    let operator = operator_token_with(dir_a.path(), &["--database-url", url]);
    // A replica without the registry's keys refuses to start rather than make keys of its own.
    let refused = Command::new(env!("CARGO_BIN_EXE_provenance-registry"))
        .arg("--data-dir")
        .arg(dir_b.path())
        .args(["--database-url", url, "serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("key files are missing") && message.contains("access-token.key"),
        "{message}"
    );
    assert!(!dir_b.path().join("access-token.key").exists());
    // The second replica gets the first one's keys, as a deployment distributes them.
    for file in SHARED_KEY_FILES {
        std::fs::copy(dir_a.path().join(file), dir_b.path().join(file)).unwrap();
    }
    let a = ServerProcess::start_with(dir_a.path(), &["--database-url", url]);
    let b = ServerProcess::start_with(dir_b.path(), &["--database-url", url]);
    let replicas = [a.channel().await, b.channel().await];

    let mut writers = JoinSet::new();
    for n in 0..WRITERS {
        let (mine, other) = (replicas[n % 2].clone(), replicas[(n + 1) % 2].clone());
        writers.spawn(write_one(n, mine, other, admin.clone()));
    }
    let mut acknowledged = Vec::new();
    while let Some(outcome) = writers.join_next().await {
        acknowledged.push(outcome.unwrap().expect("every write is acknowledged"));
    }
    assert_eq!(acknowledged.len(), WRITERS);

    // One chain, seen alike from both replicas, holding every acknowledged write once.
    let events = all_events(&replicas[0], &operator).await;
    assert_chain_verifies(&events);
    assert_eq!(events, all_events(&replicas[1], &operator).await);
    for written in &acknowledged {
        for subject in [
            format!("datasets/{}", written.dataset.id),
            format!("attestations/{}", written.attestation.id),
            format!("certificates/{}", written.certificate.id),
        ] {
            let count = events.iter().filter(|e| e.subject == subject).count();
            assert_eq!(count, 1, "{subject} is in the chain once");
        }
        let stored = DatasetServiceClient::new(replicas[1].clone())
            .get_dataset(authed(
                &admin,
                pb::GetDatasetRequest {
                    id: written.dataset.id.clone(),
                },
            ))
            .await
            .expect("an acknowledged dataset is readable")
            .into_inner();
        assert_eq!(stored.id, written.dataset.id);
    }

    // One transparency log: both replicas sign the same tree over every event.
    let (log_a, log_b) = (
        checkpoint(&replicas[0]).await,
        checkpoint(&replicas[1]).await,
    );
    assert_eq!(log_a.tree_size, events.len() as u64);
    assert_eq!(
        (log_a.tree_size, &log_a.root_hash, &log_a.note),
        (log_b.tree_size, &log_b.root_hash, &log_b.note)
    );

    // A watcher on one replica sees what is written through the other.
    let mut watch = EventServiceClient::new(replicas[0].clone())
        .watch_events(authed(
            &admin,
            pb::WatchEventsRequest {
                after_sequence: events.len() as u64,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let revoked = &acknowledged[0].certificate;
    pb::certificate_service_client::CertificateServiceClient::new(replicas[1].clone())
        .revoke_certificate(authed(
            &admin,
            pb::RevokeCertificateRequest {
                id: revoked.id.clone(),
                reason: "withdrawn by the vendor".into(),
            },
        ))
        .await
        .expect("revoked through the other replica");
    let seen = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the watcher hears of it within seconds")
        .expect("the stream is open")
        .expect("an event");
    assert_eq!(seen.subject, format!("certificates/{}", revoked.id));
    assert_eq!(seen.sequence, events.len() as u64 + 1);

    // Revoked through one replica means revoked on the other, at once (no cached status).
    for replica in &replicas {
        let answer = verify_on(replica, &revoked.token).await;
        assert!(!answer.valid, "{:?}", answer.checks);
        assert_eq!(answer.status, pb::CertificateStatus::Revoked as i32);
    }
    drop((a, b));
}

/// Restarts of the second replica while the first takes writes.
const RESTARTS: usize = 20;

/// Writers registering datasets through the first replica while the second restarts.
const RESTART_WRITERS: usize = 4;

/// Registers datasets through `channel` until `stop` is cancelled, counting each acknowledgement.
async fn register_until(
    writer: usize,
    channel: Channel,
    admin: String,
    acknowledged: tokio::sync::watch::Sender<usize>,
    stop: tokio_util::sync::CancellationToken,
) -> Result<(), tonic::Status> {
    let mut datasets = DatasetServiceClient::new(channel);
    // A write in flight is finished, not dropped, so that every write made is counted.
    for n in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let request = dataset(&format!("steady-{writer}-{n}"));
        datasets.register_dataset(authed(&admin, request)).await?;
        acknowledged.send_modify(|count| *count += 1);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_restarted_twenty_times_while_another_writes_starts_every_time() {
    let Some(server) = support_postgres::server_url() else {
        return;
    };
    let database = TestDatabase::create(&server).await;
    let options = ["--database-url", database.url.as_str()];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, admin) = create_org_with(dir_a.path(), &options, "Acme");
    let operator = operator_token_with(dir_a.path(), &options);
    for file in SHARED_KEY_FILES {
        std::fs::copy(dir_a.path().join(file), dir_b.path().join(file)).unwrap();
    }
    let a = ServerProcess::start_with(dir_a.path(), &options);
    let writing = a.channel().await;

    let (acknowledged, mut progress) = tokio::sync::watch::channel(0usize);
    let stop = tokio_util::sync::CancellationToken::new();
    let mut writers = JoinSet::new();
    for writer in 0..RESTART_WRITERS {
        writers.spawn(register_until(
            writer,
            writing.clone(),
            admin.clone(),
            acknowledged.clone(),
            stop.clone(),
        ));
    }

    // Starts during which the other replica acknowledged writes.
    let mut overlapped = 0;
    for restart in 0..RESTARTS {
        // Writes are flowing before the start, so the start check reads a log that grows.
        let flowing = *progress.borrow_and_update() + RESTART_WRITERS;
        progress
            .wait_for(|count| *count >= flowing)
            .await
            .expect("the writers are running");
        let before = *progress.borrow();
        let b = ServerProcess::try_start_with(dir_b.path(), &options).unwrap_or_else(|log| {
            panic!("start {restart} was refused while the other replica wrote:\n{log}")
        });
        if *progress.borrow() > before {
            overlapped += 1;
        }
        // It serves: a write through it, and the tree over every event so far.
        let channel = b.channel().await;
        DatasetServiceClient::new(channel.clone())
            .register_dataset(authed(&admin, dataset(&format!("restarted-{restart}"))))
            .await
            .expect("the restarted replica takes writes");
        checkpoint(&channel).await;
        // Half the stops are crashes, half clean.
        if restart % 2 == 0 {
            b.signal("KILL");
            b.wait(Duration::from_secs(10));
        } else {
            b.signal("TERM");
            let status = b.wait(Duration::from_secs(10));
            assert!(status.success(), "clean stop {restart}: {status:?}");
        }
    }
    stop.cancel();
    while let Some(outcome) = writers.join_next().await {
        outcome
            .unwrap()
            .expect("every write through the other replica is acknowledged");
    }
    assert!(
        overlapped > 0,
        "no start overlapped the other replica's writes"
    );
    let written = *progress.borrow();
    assert!(written >= RESTARTS * RESTART_WRITERS, "{written} writes");

    // One chain holding every write; once quiet, both replicas sign the same tree over it.
    let events = all_events(&writing, &operator).await;
    assert_chain_verifies(&events);
    let registered = events
        .iter()
        .filter(|e| e.r#type == "dataset.registered")
        .count();
    assert_eq!(registered, written + RESTARTS);
    let b = ServerProcess::start_with(dir_b.path(), &options);
    let (log_a, log_b) = (
        checkpoint(&writing).await,
        checkpoint(&b.channel().await).await,
    );
    assert_eq!(log_a.tree_size, events.len() as u64);
    assert_eq!(
        (log_a.tree_size, &log_a.root_hash, &log_a.note),
        (log_b.tree_size, &log_b.root_hash, &log_b.note)
    );
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_replicas_racing_on_a_fresh_database_without_copied_keys_one_starts_and_the_other_names_the_files()
 {
    let Some(server) = support_postgres::server_url() else {
        return;
    };
    // A few rounds, each on a fresh database: the loser may find the winner's record before or
    // after making keys of its own; either way it must refuse, naming the files.
    for round in 0..3 {
        let database = TestDatabase::create(&server).await;
        let url = database.url.clone();
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let paths: Vec<std::path::PathBuf> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
        let starts: Vec<_> = paths
            .iter()
            .cloned()
            .map(|dir| {
                let url = url.clone();
                std::thread::spawn(move || {
                    ServerProcess::try_start_with(&dir, &["--database-url", &url])
                })
            })
            .collect();
        let outcomes: Vec<Result<ServerProcess, String>> =
            starts.into_iter().map(|s| s.join().unwrap()).collect();
        let started: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
        assert_eq!(
            started.len(),
            1,
            "round {round}: exactly one replica starts: {:?}",
            outcomes
                .iter()
                .map(|o| o.as_ref().err())
                .collect::<Vec<_>>()
        );
        let (winner, loser) = (started[0], 1 - started[0]);
        let message = outcomes[loser].as_ref().err().unwrap();
        for file in SHARED_KEY_FILES {
            assert!(
                message.contains(&paths[loser].join(file).display().to_string())
                    && message.contains(&paths[winner].join(file).display().to_string()),
                "round {round}: the refusal names {file} here and where to copy it from: {message}"
            );
        }
        // Copied as the message says, the keys make the second replica start, and a token minted
        // through one is accepted by the other.
        for file in SHARED_KEY_FILES {
            std::fs::copy(paths[winner].join(file), paths[loser].join(file)).unwrap();
        }
        let second = ServerProcess::start_with(&paths[loser], &["--database-url", &url]);
        let first = outcomes.into_iter().nth(winner).unwrap().unwrap();
        let operator = operator_token_with(&paths[loser], &["--database-url", &url]);
        let created = OrganizationServiceClient::new(first.channel().await)
            .create_organization(authed(
                &operator,
                pb::CreateOrganizationRequest {
                    name: format!("Acme {round}"),
                },
            ))
            .await
            .expect("the first replica accepts a token minted with the second's keys");
        assert_eq!(created.into_inner().name, format!("Acme {round}"));
        drop((first, second));
    }
}
