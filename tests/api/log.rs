//! The transparency log over gRPC: checkpoints verified with the key pinned from the JWKS, proofs
//! checked with the independent `transparency-log` verifier, bad sizes refused, a restart keeping
//! the root, and a tampered tree refused at start.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provenance_registry::config::{CommonSettings, ServeSettings};
use provenance_registry::proto::v1 as pb;
use provenance_registry::server::Application;
use tonic::Code;
use transparency_log::{
    Frontier, NoteVerifier, VerifyingKey, hash_leaf, open_checkpoint, verify_consistency,
    verify_inclusion,
};

use crate::helpers::*;

fn log(
    app: &TestApp,
) -> pb::transparency_log_service_client::TransparencyLogServiceClient<tonic::transport::Channel> {
    pb::transparency_log_service_client::TransparencyLogServiceClient::new(app.channel.clone())
}

async fn checkpoint(app: &TestApp) -> pb::Checkpoint {
    log(app)
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .expect("checkpoint")
        .into_inner()
}

/// The log key as a verifier would pin it: from the JWKS entry with `"use": "log"`, never from the
/// checkpoint's own `verifier_key` field.
async fn pinned_verifier(app: &TestApp, origin: &str) -> NoteVerifier {
    let jwks = app
        .certificates()
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .unwrap()
        .into_inner()
        .jwks_json;
    let jwks: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    let keys: Vec<&serde_json::Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "log")
        .collect();
    assert_eq!(keys.len(), 1, "one log key in {jwks}");
    let x = URL_SAFE_NO_PAD
        .decode(keys[0]["x"].as_str().unwrap())
        .unwrap();
    let key = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
    NoteVerifier::new(origin, key).unwrap()
}

async fn some_events(app: &TestApp, names: &[&str]) {
    for name in names {
        app.register(&app.admin, dataset(name)).await;
    }
}

fn hash32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("32-byte hash")
}

#[tokio::test]
async fn a_checkpoint_covers_every_event_and_verifies_with_the_pinned_log_key() {
    let app = spawn_app().await;
    some_events(&app, &["a", "b", "c"]).await;
    let signed = checkpoint(&app).await;
    let events = app.all_events(&app.operator).await;
    assert_eq!(signed.tree_size, events.len() as u64);

    let verifier = pinned_verifier(&app, &signed.origin).await;
    assert_eq!(signed.verifier_key, verifier.vkey());
    let opened = open_checkpoint(&signed.note, &verifier).expect("the note verifies");
    assert_eq!(opened.size, signed.tree_size);
    assert_eq!(opened.root.to_vec(), signed.root_hash);
    assert_eq!(opened.origin, "provenance-registry/log");
    assert_eq!(
        opened.time(),
        Some(signed.time.as_ref().unwrap().seconds as u64)
    );

    // Anyone can rebuild the root from the leaves, and each leaf is its event's chain hash.
    let leaves = log(&app)
        .get_leaves(pb::GetLeavesRequest {
            start: 0,
            count: 1000,
        })
        .await
        .unwrap()
        .into_inner()
        .leaves;
    let mut rebuilt = Frontier::new();
    for (leaf, event) in leaves.iter().zip(&events) {
        assert_eq!(leaf.index + 1, event.sequence);
        assert_eq!(hex::encode(&leaf.data), event.hash);
        rebuilt.append(hash_leaf(&leaf.data)).unwrap();
    }
    assert_eq!(rebuilt.root().to_vec(), signed.root_hash);

    // The same tree size is answered with the same note, not signed again.
    assert_eq!(checkpoint(&app).await.note, signed.note);
}

#[tokio::test]
async fn every_event_has_an_inclusion_proof_and_checkpoints_stay_consistent() {
    let app = spawn_app().await;
    some_events(&app, &["a", "b", "c", "d"]).await;
    let first = checkpoint(&app).await;
    some_events(&app, &["e", "f", "g"]).await;
    let second = checkpoint(&app).await;
    assert!(second.tree_size > first.tree_size);

    for sequence in 1..=second.tree_size {
        let proof = log(&app)
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                leaf: Some(pb::get_inclusion_proof_request::Leaf::EventSequence(
                    sequence,
                )),
                tree_size: second.tree_size,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(proof.leaf_index, sequence - 1);
        assert_eq!(proof.leaf_hash, hash_leaf(&proof.leaf_data).to_vec());
        let path: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
        verify_inclusion(
            &hash32(&proof.leaf_hash),
            proof.leaf_index,
            second.tree_size,
            &path,
            &hash32(&second.root_hash),
        )
        .unwrap_or_else(|e| panic!("event {sequence}: {e}"));
    }

    let proof = log(&app)
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first_tree_size: first.tree_size,
            second_tree_size: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proof.second_tree_size, second.tree_size);
    let path: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
    verify_consistency(
        first.tree_size,
        second.tree_size,
        &path,
        &hash32(&first.root_hash),
        &hash32(&second.root_hash),
    )
    .expect("the newer checkpoint extends the older");
}

#[tokio::test]
async fn sizes_and_indices_outside_the_log_are_refused_naming_the_field() {
    let app = spawn_app().await;
    some_events(&app, &["a"]).await;
    let size = checkpoint(&app).await.tree_size;
    let inclusion = |leaf, tree_size| pb::GetInclusionProofRequest { leaf, tree_size };
    use pb::get_inclusion_proof_request::Leaf;
    for (request, field) in [
        (inclusion(Some(Leaf::LeafIndex(0)), size + 1), "tree_size"),
        (inclusion(Some(Leaf::LeafIndex(size)), size), "leaf"),
        (inclusion(Some(Leaf::EventSequence(0)), 0), "event_sequence"),
        (inclusion(None, 0), "leaf"),
    ] {
        assert_status(
            log(&app).get_inclusion_proof(request).await,
            Code::InvalidArgument,
            field,
        );
    }
    for (first, second, field) in [
        (0, size, "first_tree_size"),
        (size, size - 1, "first_tree_size"),
        (1, size + 5, "second_tree_size"),
    ] {
        assert_status(
            log(&app)
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    first_tree_size: first,
                    second_tree_size: second,
                })
                .await,
            Code::InvalidArgument,
            field,
        );
    }
    for count in [0, 1001] {
        assert_status(
            log(&app)
                .get_leaves(pb::GetLeavesRequest { start: 0, count })
                .await,
            Code::InvalidArgument,
            "count",
        );
    }
    assert_eq!(
        checkpoint(&app).await.tree_size,
        size,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_restart_keeps_the_root_and_a_tampered_tree_is_refused_at_start() {
    let app = spawn_app().await;
    some_events(&app, &["a", "b"]).await;
    let before = checkpoint(&app).await;
    let mut app = app.restart().await;
    let after = checkpoint(&app).await;
    assert_eq!(after.note, before.note, "same size, same signed note");
    some_events(&app, &["c"]).await;
    assert!(checkpoint(&app).await.tree_size > before.tree_size);
    app.stop().await;

    // Someone with write access to the database replaces a leaf of the tree.
    let Some(url) = app.sqlite_url() else {
        return;
    };
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DROP TRIGGER log_nodes_immutable")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let common = CommonSettings::for_data_dir(app.dir.path().to_path_buf());
    let settings = ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeSettings::default()
    };
    let refused = Application::build(&common, &settings).await;
    let message = format!("{:#}", refused.err().expect("a tampered log is not served"));
    assert!(
        message.contains("transparency log is corrupted"),
        "{message}"
    );
}

#[tokio::test]
async fn a_certificate_names_its_issuance_leaf_which_a_checkpoint_proves_included() {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    app.attest(&app.admin, &raw).await;
    let certificate = app
        .certificates()
        .issue_certificate(authed(
            &app.admin,
            pb::IssueCertificateRequest {
                dataset_id: raw.id.clone(),
                policy_id: crate::policies::POLICY.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    some_events(&app, &["later"]).await;
    let events = app.all_events(&app.operator).await;
    let issued = events
        .iter()
        .find(|e| e.subject == format!("certificates/{}", certificate.id))
        .expect("the issuance event");
    assert_eq!(certificate.log_index, issued.sequence - 1);
    let payload: serde_json::Value = serde_json::from_str(&issued.payload_json).unwrap();
    assert_eq!(
        payload["token_sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            certificate.token.as_bytes()
        ))
    );
    let read = app
        .certificates()
        .get_certificate(authed(
            &app.admin,
            pb::GetCertificateRequest {
                id: certificate.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.log_index, certificate.log_index);

    let signed = checkpoint(&app).await;
    let proof = log(&app)
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(
                certificate.log_index,
            )),
            tree_size: signed.tree_size,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hex::encode(&proof.leaf_data), issued.hash);
    let path: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
    verify_inclusion(
        &hash_leaf(&proof.leaf_data),
        certificate.log_index,
        signed.tree_size,
        &path,
        &hash32(&signed.root_hash),
    )
    .expect("the issuance is in the signed tree");
}

/// How a database is broken behind the registry's back, in each backend's SQL, and what the
/// start-up check must then say.
struct Breakage {
    what: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
    /// Part of the refusal, with `{size}` for the log's size before the breakage.
    refusal: &'static str,
}

const BREAKAGES: [Breakage; 4] = [
    Breakage {
        what: "the newest event removed",
        sqlite: &[
            "DROP TRIGGER events_undeletable",
            "DELETE FROM events WHERE sequence = (SELECT MAX(sequence) FROM events)",
        ],
        postgres: &["DELETE FROM events WHERE sequence = (SELECT max(sequence) FROM events)"],
        refusal: "it covers {size} events but the event log holds {size-1}",
    },
    Breakage {
        what: "the first event's hash altered",
        sqlite: &[
            "DROP TRIGGER events_immutable",
            "UPDATE events SET hash = '0000000000000000000000000000000000000000000000000000000000000000' WHERE sequence = 1",
        ],
        postgres: &["UPDATE events SET hash = decode(repeat('00', 32), 'hex') WHERE sequence = 1"],
        refusal: "a node of level 0 between 0 and",
    },
    Breakage {
        what: "the newest checkpoint's root replaced",
        sqlite: &[
            "DROP TRIGGER log_checkpoints_immutable",
            "UPDATE log_checkpoints SET root_hash = zeroblob(32) \
             WHERE tree_size = (SELECT MAX(tree_size) FROM log_checkpoints)",
        ],
        postgres: &[
            "UPDATE log_checkpoints SET root_hash = decode(repeat('00', 32), 'hex') \
             WHERE tree_size = (SELECT max(tree_size) FROM log_checkpoints)",
        ],
        refusal: "it does not extend checkpoint {size} that the registry signed",
    },
    Breakage {
        what: "a checkpoint signed beyond the log",
        sqlite: &[
            "INSERT INTO log_checkpoints (tree_size, root_hash, time, note) \
             SELECT tree_size + 1, root_hash, time, note FROM log_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        ],
        postgres: &[
            "INSERT INTO log_checkpoints (tree_size, root_hash, time, note) \
             SELECT tree_size + 1, root_hash, time, note FROM log_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        ],
        refusal: "it does not extend checkpoint {size+1} that the registry signed",
    },
];

/// For each breakage, on a fresh registry (SQLite, or the PostgreSQL database `postgres` makes):
/// a server process writes a few events and signs a checkpoint, stops, the database is broken,
/// and the next start is refused naming what is wrong, while a sound log starts.
async fn broken_logs_are_refused_at_start(postgres: Option<&str>) {
    use crate::process::{ServerProcess, create_org_with};
    for breakage in &BREAKAGES {
        let database = match postgres {
            Some(server) => Some(crate::support_postgres::TestDatabase::create(server).await),
            None => None,
        };
        let dir = tempfile::tempdir().unwrap();
        let options: Vec<&str> = match &database {
            Some(database) => vec!["--database-url", database.url.as_str()],
            None => Vec::new(),
        };
        let (_, admin) = create_org_with(dir.path(), &options, "Acme");
        let server = ServerProcess::start_with(dir.path(), &options);
        let channel = server.channel().await;
        for name in ["a", "b", "c"] {
            DatasetServiceClient::new(channel.clone())
                .register_dataset(authed(&admin, dataset(name)))
                .await
                .expect("registered");
        }
        let size = pb::transparency_log_service_client::TransparencyLogServiceClient::new(channel)
            .get_checkpoint(pb::GetCheckpointRequest {})
            .await
            .expect("checkpoint")
            .into_inner()
            .tree_size;
        server.signal("TERM");
        assert!(server.wait(std::time::Duration::from_secs(10)).success());
        // A sound log starts again: what follows is the breakage, nothing else.
        let sound = ServerProcess::try_start_with(dir.path(), &options)
            .unwrap_or_else(|log| panic!("a sound log was refused: {log}"));
        sound.signal("TERM");
        assert!(sound.wait(std::time::Duration::from_secs(10)).success());

        // Someone with write access to the database changes what the registry keeps.
        match &database {
            Some(database) => {
                use sqlx::Connection;
                let mut db = sqlx::PgConnection::connect(&database.url).await.unwrap();
                // Triggers refuse these changes: an intruder with the rights switches them off.
                sqlx::query("SET session_replication_role = replica")
                    .execute(&mut db)
                    .await
                    .unwrap();
                for statement in breakage.postgres {
                    sqlx::query(*statement).execute(&mut db).await.unwrap();
                }
                db.close().await.unwrap();
            }
            None => {
                let url = format!("sqlite://{}", dir.path().join("registry.db").display());
                let db = sqlx::SqlitePool::connect(&url).await.unwrap();
                for statement in breakage.sqlite {
                    sqlx::query(*statement).execute(&db).await.unwrap();
                }
                db.close().await;
            }
        }
        let refusal = breakage
            .refusal
            .replace("{size}", &size.to_string())
            .replace("{size-1}", &(size - 1).to_string())
            .replace("{size+1}", &(size + 1).to_string());
        let log = match ServerProcess::try_start_with(dir.path(), &options) {
            Ok(server) => panic!(
                "{}: the broken log was served:\n{}",
                breakage.what,
                server.log()
            ),
            Err(log) => log,
        };
        assert!(
            log.contains("refusing to serve: the transparency log is corrupted")
                && log.contains(&refusal),
            "{}: expected {refusal:?} in\n{log}",
            breakage.what
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_logs_broken_behind_the_registrys_back_are_refused_at_start() {
    broken_logs_are_refused_at_start(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_logs_broken_behind_the_registrys_back_are_refused_at_start() {
    let Some(server) = crate::support_postgres::server_url() else {
        return;
    };
    broken_logs_are_refused_at_start(Some(&server)).await;
}
