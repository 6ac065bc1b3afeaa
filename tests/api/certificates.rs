//! Certificate signing keys: published without a token, over gRPC and plain HTTP, and rotated.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provenance_registry::proto::v1 as pb;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

async fn signing_keys(app: &TestApp) -> pb::ListSigningKeysResponse {
    pb::certificate_service_client::CertificateServiceClient::new(app.channel.clone())
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .expect("no token needed")
        .into_inner()
}

/// A plain HTTP/1.1 GET, as any HTTP client would send it; returns the head and the body.
async fn http_get(app: &TestApp, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn the_signing_keys_are_a_jwks_of_ed25519_keys_whose_ids_are_their_thumbprints() {
    let app = spawn_app().await;
    let answer = signing_keys(&app).await;
    assert_eq!(answer.keys.len(), 1);
    let key = &answer.keys[0];
    assert_eq!(
        (
            key.kty.as_str(),
            key.crv.as_str(),
            key.r#use.as_str(),
            key.alg.as_str()
        ),
        ("OKP", "Ed25519", "sig", "EdDSA")
    );
    assert_eq!(key.status, pb::SigningKeyStatus::Active as i32);
    assert!(key.valid_from.is_some() && key.valid_until.is_none());
    assert_eq!(URL_SAFE_NO_PAD.decode(&key.x).unwrap().len(), 32);
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, key.x);
    assert_eq!(
        key.kid,
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    );

    let jwks: serde_json::Value = serde_json::from_str(&answer.jwks_json).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], key.kid.as_str());
    assert_eq!(jwks["keys"][0]["x"], key.x.as_str());
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the private key must never be published"
    );
}

#[tokio::test]
async fn the_same_jwks_is_served_over_plain_http_on_the_grpc_port() {
    let app = spawn_app().await;
    let (head, body) = http_get(&app, "/.well-known/jwks.json").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/jwk-set+json"),
        "{head}"
    );
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    let listed: serde_json::Value =
        serde_json::from_str(&signing_keys(&app).await.jwks_json).unwrap();
    assert_eq!(served, listed);
}

#[tokio::test]
async fn a_rotation_on_the_server_machine_is_published_at_once_and_keeps_the_old_key() {
    let app = spawn_app().await;
    let before = signing_keys(&app).await.keys.remove(0);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_provenance-registry"))
        .arg("--data-dir")
        .arg(app.dir.path())
        .args(["keys", "rotate"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8(output.stdout).unwrap();
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.lines().nth(1).unwrap().starts_with(&before.kid) && listing.contains("retired"),
        "{listing}"
    );

    let after = signing_keys(&app).await;
    assert_eq!(after.keys.len(), 2);
    assert_ne!(after.keys[0].kid, before.kid);
    assert_eq!(after.keys[0].status, pb::SigningKeyStatus::Active as i32);
    assert_eq!(after.keys[1].kid, before.kid);
    assert_eq!(after.keys[1].status, pb::SigningKeyStatus::Retired as i32);
    assert!(after.keys[1].valid_until.is_some());
    let (_, body) = http_get(&app, "/.well-known/jwks.json").await;
    assert!(body.contains(&after.keys[0].kid) && body.contains(&before.kid));
}

#[tokio::test]
async fn the_signing_key_file_is_private_and_apart_from_the_access_token_key() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let keys = app.dir.path().join("signing-keys.json");
    assert_eq!(
        std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let access = std::fs::read_to_string(app.dir.path().join("access-token.key")).unwrap();
    let signing = std::fs::read_to_string(&keys).unwrap();
    assert!(
        !signing.contains(access.trim()),
        "certificates must not be signed with the access-token key"
    );
}
