//! Secrets stay out of the logs: a whole run of the server, at trace level (every crate's), over
//! every kind of call (tokens created and refused, certificates issued, verified and revoked) is
//! searched for the access tokens it handled and for the key material in its data directory.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use provenance_registry::proto::v1 as pb;
use tonic::transport::Channel;

use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};
use crate::process::{ServerProcess, create_org_with};

/// Every textual form a secret could be logged in: as given, its JWT signature, and for raw key
/// bytes their hex and base64 encodings.
fn forms_of_token(token: &str) -> Vec<String> {
    let mut forms = vec![token.to_owned()];
    if let Some((_, signature)) = token.rsplit_once('.') {
        forms.push(signature.to_owned());
    }
    forms
}

fn forms_of_key(bytes: &[u8]) -> Vec<String> {
    vec![
        hex::encode(bytes),
        hex::encode_upper(bytes),
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ]
}

/// The private key material of the data directory, in every form it could be logged in.
fn key_material(dir: &Path) -> Vec<String> {
    let mut forms = Vec::new();
    for file in ["access-token.key", "log-signing.key"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        forms.extend(forms_of_key(&hex::decode(text.trim()).unwrap()));
    }
    let ring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("signing-keys.json")).unwrap()).unwrap();
    for key in ring["keys"].as_array().unwrap() {
        let private = key["private_key"].as_str().unwrap();
        forms.push(private.to_owned());
        if let Ok(bytes) = URL_SAFE_NO_PAD.decode(private) {
            forms.extend(forms_of_key(&bytes));
        }
    }
    forms
}

/// A run touching every kind of secret: tokens created, used, revoked and forged; a certificate
/// issued, verified and revoked. Returns the access tokens it handled.
async fn busy_run(channel: Channel, admin: &str) -> Vec<String> {
    let mut orgs = OrganizationServiceClient::new(channel.clone());
    let mut tokens = vec![admin.to_owned()];
    let created = orgs
        .create_access_token(authed(
            admin,
            pb::CreateAccessTokenRequest {
                role: pb::Role::Registrar as i32,
                subject: "pipeline".into(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let registrar = created.token.clone();
    tokens.push(registrar.clone());

    let dataset = DatasetServiceClient::new(channel.clone())
        .register_dataset(authed(&registrar, dataset("logged")))
        .await
        .unwrap()
        .into_inner()
        .dataset
        .unwrap();
    AttestationServiceClient::new(channel.clone())
        .record_attestation(authed(&registrar, attestation_request(&dataset)))
        .await
        .unwrap();
    let mut certificates =
        pb::certificate_service_client::CertificateServiceClient::new(channel.clone());
    let certificate = certificates
        .issue_certificate(authed(
            &registrar,
            pb::IssueCertificateRequest {
                dataset_id: dataset.id.clone(),
                policy_id: POLICY.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    certificates
        .verify_certificate(pb::VerifyCertificateRequest {
            token: certificate.token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    certificates
        .revoke_certificate(authed(
            &registrar,
            pb::RevokeCertificateRequest {
                id: certificate.id,
                reason: "test".into(),
            },
        ))
        .await
        .unwrap();

    // Refused tokens are logged as refusals, never as themselves.
    let tampered = format!("{}x", registrar);
    tokens.push(tampered.clone());
    for bad in [tampered.as_str(), "Bearer-less", certificate.token.as_str()] {
        let status = DatasetServiceClient::new(channel.clone())
            .list_datasets(authed(bad, pb::ListDatasetsRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }
    orgs.revoke_access_token(authed(
        admin,
        pb::RevokeAccessTokenRequest {
            id: created.info.unwrap().id,
        },
    ))
    .await
    .unwrap();
    let refused = DatasetServiceClient::new(channel)
        .list_datasets(authed(&registrar, pb::ListDatasetsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_key_material_appears_in_the_log_of_a_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    // On the suite's backend: SQLite, or a fresh PostgreSQL database.
    let database = fresh_database().await;
    let options: Vec<&str> = match &database {
        Some(database) => vec!["--database-url", database.url.as_str()],
        None => Vec::new(),
    };
    let (_, admin) = create_org_with(dir.path(), &options, "Acme");
    let server = ServerProcess::start_with_env(dir.path(), &options, &[("RUST_LOG", "trace")]);
    let tokens = busy_run(server.channel().await, &admin).await;
    // Give the last lines time to arrive before the process goes.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    server.signal("TERM");
    let log = server.log();
    let status = server.wait(std::time::Duration::from_secs(10));
    assert!(status.success());
    assert!(
        log.lines().count() > 100 && log.contains("\"level\":\"TRACE\""),
        "the run logged at trace level: {log}"
    );
    let mut secrets: Vec<String> = tokens.iter().flat_map(|t| forms_of_token(t)).collect();
    secrets.extend(key_material(dir.path()));
    for secret in &secrets {
        assert!(secret.len() >= 16, "a secret form too short to search for");
        assert!(
            !log.contains(secret.as_str()),
            "secret material found in the log: {}...",
            &secret[..8]
        );
    }
}
