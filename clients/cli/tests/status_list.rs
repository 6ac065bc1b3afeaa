//! `provctl cert verify --offline --status-list FILE`: revocation learnt offline from a copy of
//! the certificate's token status list, with how fresh that copy is.

mod common;

use std::fs;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{Registry, TestResult, clean_dataset, field, path_str, run_without_network};

/// Exit code of `cert verify` for a certificate that does not verify.
const INVALID_CERTIFICATE: i32 = 9;

const PUBLIC_URL: &str = "https://registry.example";

/// The body of `GET path` from the registry's HTTP port (200 expected).
async fn get(registry: &Registry, path: &str) -> TestResult<String> {
    let addr = registry.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP head")?;
    if !head.starts_with("HTTP/1.1 200") || head.to_ascii_lowercase().contains("chunked") {
        return Err(format!("GET {path}: {head}").into());
    }
    Ok(body.to_owned())
}

/// The `status_list` check of a JSON verification.
fn status_check(value: &Value) -> TestResult<(bool, String)> {
    let check = value["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == "status_list"))
        .ok_or_else(|| format!("no status_list check in {value}"))?;
    Ok((
        check["passed"].as_bool().unwrap_or(false),
        check["detail"].as_str().unwrap_or_default().to_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_status_list_tells_revocation_offline_and_how_fresh_it_is() -> TestResult {
    let registry = Registry::start_published(PUBLIC_URL).await?;
    let dir = tempfile::tempdir()?;
    let file = |name: &str| dir.path().join(name);
    let (cert_file, jwks_file, list_file) = (file("cert.jws"), file("jwks.json"), file("list.jwt"));
    let (cert, jwks, list) = (
        path_str(&cert_file)?,
        path_str(&jwks_file)?,
        path_str(&list_file)?,
    );
    let derived = clean_dataset(&registry).await?;
    let issued = registry
        .run(&["cert", "issue", &derived, "--out", cert])
        .await?
        .ok();
    let id = field(&issued, "id")?;
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let token = fs::read_to_string(&cert_file)?;
    let claims: Value = serde_json::from_slice(&base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        token.trim().split('.').nth(1).ok_or("a JWT")?,
    )?)?;
    let uri = claims["status"]["status_list"]["uri"]
        .as_str()
        .ok_or("no status claim")?;
    let path = uri.strip_prefix(PUBLIC_URL).ok_or("another host")?;
    fs::write(&list_file, get(&registry, path).await?)?;
    let verify = [
        "cert",
        "verify",
        cert,
        "--offline",
        "--jwks",
        jwks,
        "--status-list",
        list,
        "--output",
        "json",
    ];

    let answer = run_without_network(&verify).await?.ok().json()?;
    let (passed, detail) = status_check(&answer)?;
    assert!(passed, "{detail}");
    assert!(
        detail.contains("not revoked") && detail.contains("within its ttl"),
        "{detail}"
    );

    registry
        .run(&["cert", "revoke", &id, "--reason", "wrong contract"])
        .await?
        .ok();
    // The copy fetched before still answers, for the moment it was built.
    let answer = run_without_network(&verify).await?.ok().json()?;
    assert!(status_check(&answer)?.0);
    // A copy fetched after the documented delay says revoked.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    fs::write(&list_file, get(&registry, path).await?)?;
    let run = run_without_network(&verify)
        .await?
        .expect_code(INVALID_CERTIFICATE);
    let (passed, detail) = status_check(&run.json()?)?;
    assert!(!passed && detail.starts_with("REVOKED"), "{detail}");

    // A list that is not one, or a flag without --offline, is a usage error.
    fs::write(&list_file, "not a token")?;
    let run = run_without_network(&verify)
        .await?
        .expect_code(INVALID_CERTIFICATE);
    assert!(!status_check(&run.json()?)?.0);
    run_without_network(&["cert", "verify", cert, "--status-list", list])
        .await?
        .expect_code(2);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_carries_its_status_list_and_offline_verification_reads_it() -> TestResult {
    let registry = Registry::start_published(PUBLIC_URL).await?;
    let dir = tempfile::tempdir()?;
    let bundle_file = dir.path().join("cert.bundle.json");
    let bundle = path_str(&bundle_file)?;
    let derived = clean_dataset(&registry).await?;
    let issued = registry.run(&["cert", "issue", &derived]).await?.ok();
    let id = field(&issued, "id")?;
    registry
        .run(&["cert", "bundle", &id, "--out", bundle])
        .await?
        .ok();
    let value: Value = serde_json::from_str(&fs::read_to_string(&bundle_file)?)?;
    let list = value["status_list"].as_str().ok_or("no status_list")?;
    assert_eq!(list.split('.').count(), 3, "a compact JWT");
    // Offline, the bundle's own list answers, with how fresh it is.
    let verify = ["cert", "verify", bundle, "--offline", "--output", "json"];
    let answer = run_without_network(&verify).await?.ok().json()?;
    let (passed, detail) = status_check(&answer)?;
    assert!(passed && detail.contains("not revoked"), "{detail}");
    // A list edited in the bundle no longer verifies.
    let mut edited = value.clone();
    edited["status_list"] = Value::String(format!("{list}x"));
    fs::write(&bundle_file, serde_json::to_string(&edited)?)?;
    let run = run_without_network(&verify)
        .await?
        .expect_code(INVALID_CERTIFICATE);
    assert!(!status_check(&run.json()?)?.0);
    registry.stop().await
}
