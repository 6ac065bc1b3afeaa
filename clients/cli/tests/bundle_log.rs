//! A certificate bundle's `log` member: the signed checkpoint and the inclusion proof of the
//! certificate's issuance, verified offline; a tampered proof, checkpoint or event fails with the
//! check it touches named.

mod common;

use std::fs;
use std::path::Path;

use common::{Registry, TestResult, clean_dataset, path_str, run_without_network};
use serde_json::{Value, json};

/// Writes `bundle` edited by `edit` next to it, and returns the new file's path.
fn tampered(
    dir: &Path,
    name: &str,
    bundle: &Value,
    edit: impl FnOnce(&mut Value),
) -> TestResult<String> {
    let mut copy = bundle.clone();
    edit(&mut copy);
    let path = dir.join(name);
    fs::write(&path, serde_json::to_string_pretty(&copy)?)?;
    Ok(path_str(&path)?.to_owned())
}

/// Flips the first hex digit of a string.
fn flip(text: &str) -> String {
    let first = if text.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &text[1..])
}

/// `cert verify --offline` of `file` (with `extra` flags) must fail with exit 9, naming `check`
/// as failed.
async fn fails(file: &str, extra: &[&str], check: &str) -> TestResult {
    let mut args = vec!["cert", "verify", file, "--offline"];
    args.extend(extra);
    let run = run_without_network(&args).await?.expect_code(9);
    assert!(run.stdout.starts_with("NOT VALID"), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!("  FAIL  {check}")),
        "{check} did not fail:\n{}",
        run.stdout
    );
    Ok(())
}

#[tokio::test]
async fn the_bundle_proves_the_issuance_was_logged_and_tampering_is_caught() -> TestResult {
    let registry = Registry::start().await?;
    let dataset = clean_dataset(&registry).await?;
    let issued = registry
        .run(&["--output", "json", "cert", "issue", &dataset])
        .await?
        .ok()
        .json()?;
    let id = issued["id"].as_str().ok_or("no id")?.to_owned();
    let dir = tempfile::tempdir()?;
    let bundle_path = dir.path().join("cert.bundle.json");
    let bundle_file = path_str(&bundle_path)?;
    let made = registry
        .run(&[
            "--output",
            "json",
            "cert",
            "bundle",
            &id,
            "--out",
            bundle_file,
        ])
        .await?
        .ok()
        .json()?;
    assert_eq!(made["log"], true);
    let jwks_path = dir.path().join("jwks.json");
    registry
        .run(&["cert", "keys", "--out", path_str(&jwks_path)?])
        .await?
        .ok();
    let key_path = dir.path().join("log.vkey");
    registry
        .run(&["log", "key", "--out", path_str(&key_path)?])
        .await?
        .ok();
    let bundle: Value = serde_json::from_str(&fs::read_to_string(&bundle_path)?)?;
    // The proof file writes 64-bit numbers as JSON numbers, the API's JSON as strings.
    assert_eq!(
        Some(
            bundle["log"]["inclusion"]["leaf_index"]
                .to_string()
                .as_str()
        ),
        issued["logIndex"].as_str(),
        "the proof is of the certificate's issuance leaf"
    );

    // Offline, with the bundle's own log key, the pinned JWKS's, or a pinned --log-key.
    let own = run_without_network(&["cert", "verify", bundle_file, "--offline"])
        .await?
        .ok();
    for check in [
        "  pass  log_checkpoint",
        "  pass  log_origin",
        "  pass  log_inclusion",
        "  pass  log_issuance",
    ] {
        assert!(
            own.stdout.contains(check),
            "{check} missing:\n{}",
            own.stdout
        );
    }
    assert!(own.stdout.contains("the bundle's own log key"));
    let pinned_jwks = run_without_network(&[
        "cert",
        "verify",
        bundle_file,
        "--offline",
        "--jwks",
        path_str(&jwks_path)?,
    ])
    .await?
    .ok();
    assert!(
        pinned_jwks.stdout.contains("log key of the pinned --jwks"),
        "{}",
        pinned_jwks.stdout
    );
    let pinned_key = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        bundle_file,
        "--offline",
        "--log-key",
        path_str(&key_path)?,
    ])
    .await?
    .ok()
    .json()?;
    let names: Vec<&str> = pinned_key["checks"]
        .as_array()
        .ok_or("no checks")?
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.ends_with(&[
            "bundle",
            "dsse",
            "log_checkpoint",
            "log_origin",
            "log_inclusion",
            "log_issuance"
        ]),
        "{names:?}"
    );

    // A changed proof hash, a changed checkpoint, an edited event, another leaf: each fails.
    let proof_hash = bundle["log"]["inclusion"]["hashes"][0]
        .as_str()
        .ok_or("the proof has no hash")?
        .to_owned();
    let file = tampered(dir.path(), "hash.json", &bundle, |b| {
        b["log"]["inclusion"]["hashes"][0] = json!(flip(&proof_hash));
    })?;
    fails(&file, &[], "log_inclusion").await?;

    let note = bundle["log"]["checkpoint"]
        .as_str()
        .ok_or("no note")?
        .to_owned();
    let mut lines: Vec<String> = note.lines().map(str::to_owned).collect();
    let size: u64 = lines[1].parse()?;
    lines[1] = (size + 1).to_string();
    let forged = format!("{}\n", lines.join("\n"));
    let file = tampered(dir.path(), "checkpoint.json", &bundle, |b| {
        b["log"]["checkpoint"] = json!(forged);
    })?;
    fails(
        &file,
        &["--log-key", path_str(&key_path)?],
        "log_checkpoint",
    )
    .await?;

    let file = tampered(dir.path(), "event.json", &bundle, |b| {
        let payload = b["log"]["issuance_event"]["payload_json"]
            .as_str()
            .unwrap_or_default()
            .replace("CLEAN", "EXEMPT");
        b["log"]["issuance_event"]["payload_json"] = json!(payload);
    })?;
    fails(&file, &[], "log_issuance").await?;

    let file = tampered(dir.path(), "leaf.json", &bundle, |b| {
        let leaf = b["log"]["inclusion"]["leaf_data"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        b["log"]["inclusion"]["leaf_data"] = json!(flip(&leaf));
    })?;
    fails(&file, &[], "log_inclusion").await?;

    // A key of another log: the checkpoint is not its.
    let other = Registry::start().await?;
    let other_key = other.run(&["log", "key"]).await?.ok().stdout;
    fails(
        bundle_file,
        &["--log-key", other_key.trim()],
        "log_checkpoint",
    )
    .await?;
    other.stop().await?;

    // A bundle without a log member still verifies, and says the log was not checked.
    let file = tampered(dir.path(), "no-log.json", &bundle, |b| {
        b["log"] = Value::Null
    })?;
    let without = run_without_network(&["--output", "json", "cert", "verify", &file, "--offline"])
        .await?
        .ok()
        .json()?;
    assert!(
        without["notChecked"]
            .as_array()
            .is_some_and(|n| n.iter().any(|c| c["name"] == "log")),
        "{without}"
    );
    registry.stop().await
}
