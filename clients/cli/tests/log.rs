//! `provctl log`, end to end against the real server: checkpoints, the pinned key, inclusion and
//! consistency proofs, offline verification (and what tampering does to it), a certificate's
//! issuance proved in the log, and the monitor.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{ChildStdout, Stdio};
use std::time::Duration;

use serde_json::Value;
use transparency_log::{Checkpoint, NoteVerifier, SigningKey, sign_checkpoint};

use common::{
    Registry, Run, TestResult, clean_dataset, field, path_str, provctl, register,
    run_without_network,
};

/// Exit code of `log verify` and `log monitor` when the log does not verify.
const LOG_FAILED: i32 = 10;

/// Exit code of a usage error (an unreadable file, a malformed key).
const USAGE: i32 = 2;

/// The names of the failed checks of a JSON `log verify`.
fn failed_checks(run: &Run) -> TestResult<Vec<String>> {
    let value = run.json()?;
    Ok(value["checks"]
        .as_array()
        .ok_or("no checks")?
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect())
}

/// The detail of a check of a JSON `log verify`.
fn check_detail(run: &Run, name: &str) -> TestResult<String> {
    let value = run.json()?;
    value["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .and_then(|c| c["detail"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no check {name} in {value}").into())
}

/// The note with one character of its signature changed.
fn tampered_signature(note: &str) -> TestResult<String> {
    let (body, signature) = note.rsplit_once("\n\u{2014} ").ok_or("no signature line")?;
    let (name, encoded) = signature.split_once(' ').ok_or("no signature")?;
    let mut chars: Vec<char> = encoded.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    Ok(format!(
        "{body}\n\u{2014} {name} {}",
        chars.into_iter().collect::<String>()
    ))
}

/// One hex digit of `text` changed.
fn flipped(text: &str) -> String {
    let first = if text.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &text[1..])
}

fn read(path: &Path) -> TestResult<String> {
    Ok(fs::read_to_string(path)?)
}

fn read_json(path: &Path) -> TestResult<Value> {
    Ok(serde_json::from_str(&read(path)?)?)
}

/// The registry's newest checkpoint, as `log checkpoint --output json` prints it.
async fn newest(registry: &Registry) -> TestResult<Value> {
    registry
        .run_with(None, &["log", "checkpoint", "--output", "json"])
        .await?
        .ok()
        .json()
}

/// A checkpoint's tree size: a 64-bit integer, which the API's JSON writes as a string.
fn tree_size(checkpoint: &Value) -> TestResult<u64> {
    Ok(checkpoint["treeSize"]
        .as_str()
        .ok_or("no treeSize")?
        .parse()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prove_and_verify_offline() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let file = |name: &str| dir.path().join(name);
    let (cp1_file, cp2_file, key_file) = (file("cp1.note"), file("cp2.note"), file("log.vkey"));
    let (inclusion_file, consistency_file) = (file("event2.json"), file("grew.json"));
    let (cp1, cp2, key) = (
        path_str(&cp1_file)?,
        path_str(&cp2_file)?,
        path_str(&key_file)?,
    );
    let (inclusion, consistency) = (path_str(&inclusion_file)?, path_str(&consistency_file)?);
    for name in ["a", "b", "c"] {
        register(&registry, name, &["human"]).await?;
    }

    // ----- the checkpoint and the key, with no access token ---------------------------------------
    let run = registry
        .run_with(None, &["log", "checkpoint", "--out", cp1])
        .await?
        .ok();
    let size1: u64 = field(&run, "size")?.trim_end_matches(" leaves").parse()?;
    assert!(size1 >= 4, "the organisation and three datasets are logged");
    let origin = field(&run, "origin")?;
    let note1 = read(&cp1_file)?;
    let lines: Vec<&str> = note1.lines().collect();
    assert_eq!(lines[0], origin);
    assert_eq!(lines[1], size1.to_string());
    assert_eq!(lines[2], field(&run, "root base64")?);
    assert!(lines[3].starts_with("time "));
    assert!(note1.contains(&format!("\n\n\u{2014} {origin} ")));
    assert!(run.stderr.contains("provctl log verify"), "{}", run.stderr);
    let json = newest(&registry).await?;
    assert_eq!(json["note"], note1.as_str(), "one note per tree size");
    assert_eq!(json["origin"], origin.as_str());
    assert_eq!(tree_size(&json)?, size1);
    // The API's JSON writes bytes in base64; provctl adds the root in hex.
    assert_eq!(json["rootHash"], field(&run, "root base64")?.as_str());
    assert_eq!(json["rootHashHex"], field(&run, "root")?.as_str());
    assert!(
        json["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{json}"
    );
    assert!(json["verifierKey"].is_string(), "{json}");

    let run = registry
        .run_with(None, &["log", "key", "--out", key])
        .await?
        .ok();
    let vkey = read(&key_file)?.trim().to_owned();
    assert_eq!(field(&run, "key")?, vkey);
    assert!(vkey.starts_with(&format!("{origin}+")));
    let plain = registry.run_with(None, &["log", "key"]).await?.ok();
    assert_eq!(plain.stdout.trim(), vkey, "text mode prints the key alone");

    // ----- an inclusion proof of event 2, then more events and a consistency proof --------------
    let run = registry
        .run_with(
            None,
            &["log", "prove", "--event-sequence", "2", "--out", inclusion],
        )
        .await?
        .ok();
    assert_eq!(field(&run, "leaf")?, "1 (event 2)");
    assert_eq!(
        field(&run, "verify with")?,
        format!("provctl log verify --key LOG_KEY --inclusion {inclusion}")
    );
    assert!(field(&run, "checkpoint")?.starts_with("included"));
    let proof = read_json(&inclusion_file)?;
    assert_eq!(proof["format"], "provenance-log-inclusion/v1");
    assert_eq!(proof["leaf_index"], 1);
    assert_eq!(proof["tree_size"], size1);
    assert_eq!(proof["checkpoint"], note1.as_str());
    let events = registry
        .run(&["events", "list", "--page-size", "2", "--output", "json"])
        .await?
        .ok()
        .json()?;
    assert_eq!(events["events"][1]["sequence"], "2");
    assert_eq!(
        proof["leaf_data"], events["events"][1]["hash"],
        "a leaf's data is its event's chain hash"
    );
    // Without --out the proof is printed.
    let printed = registry
        .run_with(None, &["log", "prove", "--leaf", "1"])
        .await?
        .ok()
        .json()?;
    assert_eq!(printed, proof);

    for name in ["d", "e"] {
        register(&registry, name, &["human"]).await?;
    }
    let json = registry
        .run_with(
            None,
            &["log", "checkpoint", "--out", cp2, "--output", "json"],
        )
        .await?
        .ok()
        .json()?;
    let size2 = tree_size(&json)?;
    assert!(size2 > size1);
    let run = registry
        .run_with(
            None,
            &[
                "log",
                "prove",
                "--consistency",
                &size1.to_string(),
                "--out",
                consistency,
            ],
        )
        .await?
        .ok();
    assert!(field(&run, "verify with")?.contains("--consistency"));
    let grew = read_json(&consistency_file)?;
    assert_eq!(grew["format"], "provenance-log-consistency/v1");
    assert_eq!(
        (
            grew["first_tree_size"].as_u64(),
            grew["second_tree_size"].as_u64()
        ),
        (Some(size1), Some(size2))
    );

    // ----- everything verifies offline: no server listens -----------------------------------------
    let everything = [
        "log",
        "verify",
        "--key",
        key,
        "--checkpoint",
        cp2,
        "--inclusion",
        inclusion,
        "--consistency",
        consistency,
        "--old-checkpoint",
        cp1,
    ];
    let run = run_without_network(&everything).await?.ok();
    assert_eq!(run.stdout.lines().next(), Some("VERIFIED (offline)"));
    assert!(run.stdout.contains("pass  inclusion"), "{}", run.stdout);
    let mut json_args = everything.to_vec();
    json_args.extend(["--output", "json"]);
    let run = run_without_network(&json_args).await?.ok();
    let value = run.json()?;
    assert_eq!(value["verified"], true);
    assert_eq!(value["key"]["source"], "file");
    assert_eq!(value["key"]["verifierKey"], read(&key_file)?.trim());
    // The checkpoint verified, in the form `log checkpoint` prints it (no note or key of its own).
    assert_eq!(tree_size(&value["checkpoint"])?, size2);
    assert!(value["checkpoint"]["rootHashHex"].is_string(), "{value}");
    let names: Vec<&str> = value["checks"]
        .as_array()
        .ok_or("no checks")?
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "checkpoint",
            "origin",
            "old_checkpoint",
            "consistency",
            "proof_checkpoint",
            "inclusion"
        ]
    );
    assert!(failed_checks(&run)?.is_empty());
    // The proof of the first tree is checked against the first checkpoint.
    assert!(check_detail(&run, "inclusion")?.contains("the old checkpoint"));

    // The key given inline, and a proof that carries its own checkpoint.
    run_without_network(&["log", "verify", "--key", &vkey, "--inclusion", inclusion])
        .await?
        .ok();

    // ----- tampering: exit 10, naming the failed check -------------------------------------------
    let mut bad = proof.clone();
    bad["hashes"][0] = Value::String(flipped(bad["hashes"][0].as_str().ok_or("no hash")?));
    let bad_file = file("tampered.json");
    fs::write(&bad_file, serde_json::to_string_pretty(&bad)?)?;
    let bad_proof = path_str(&bad_file)?;
    let run = run_without_network(&[
        "log",
        "verify",
        "--key",
        key,
        "--checkpoint",
        cp1,
        "--inclusion",
        bad_proof,
    ])
    .await?
    .expect_code(LOG_FAILED);
    assert_eq!(run.stdout.lines().next(), Some("NOT VERIFIED"));
    assert!(run.stdout.contains("FAIL  inclusion"), "{}", run.stdout);
    let run = run_without_network(&[
        "log",
        "verify",
        "--key",
        key,
        "--checkpoint",
        cp1,
        "--inclusion",
        bad_proof,
        "--output",
        "json",
    ])
    .await?
    .expect_code(LOG_FAILED);
    assert_eq!(failed_checks(&run)?, ["inclusion"]);

    // A checkpoint whose signature was changed: only what rests on it fails.
    let forged_file = file("forged.note");
    fs::write(&forged_file, tampered_signature(&read(&cp2_file)?)?)?;
    let mut args = json_args.clone();
    let at = args
        .iter()
        .position(|a| *a == cp2)
        .ok_or("no --checkpoint")?;
    args[at] = path_str(&forged_file)?;
    let run = run_without_network(&args).await?.expect_code(LOG_FAILED);
    assert_eq!(failed_checks(&run)?, ["checkpoint"]);
    let value = run.json()?;
    let not_checked: Vec<&str> = value["notChecked"]
        .as_array()
        .ok_or("no not_checked")?
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(not_checked, ["origin", "consistency"]);

    // The two checkpoints swapped.
    let run = run_without_network(&[
        "log",
        "verify",
        "--key",
        key,
        "--checkpoint",
        cp1,
        "--old-checkpoint",
        cp2,
        "--consistency",
        consistency,
        "--output",
        "json",
    ])
    .await?
    .expect_code(LOG_FAILED);
    assert_eq!(failed_checks(&run)?, ["consistency"]);
    assert!(check_detail(&run, "consistency")?.contains("swapped"));

    // ----- usage errors are not verification failures --------------------------------------------
    let run = run_without_network(&["log", "verify", "--key", key, "--inclusion", consistency])
        .await?
        .expect_code(USAGE);
    assert!(run.stderr.contains("--consistency"), "{}", run.stderr);
    let run = run_without_network(&["log", "verify", "--key", "nonsense", "--checkpoint", cp1])
        .await?
        .expect_code(USAGE);
    assert!(run.stderr.contains("provctl log key"), "{}", run.stderr);
    run_without_network(&[
        "log",
        "verify",
        "--key",
        key,
        "--checkpoint",
        "/nonexistent",
    ])
    .await?
    .expect_code(USAGE);
    let mut no_checkpoint = proof.clone();
    no_checkpoint["checkpoint"] = Value::Null;
    let lone_file = file("lone.json");
    fs::write(&lone_file, no_checkpoint.to_string())?;
    let run = run_without_network(&[
        "log",
        "verify",
        "--key",
        key,
        "--inclusion",
        path_str(&lone_file)?,
    ])
    .await?
    .expect_code(USAGE);
    assert!(run.stderr.contains("--checkpoint"), "{}", run.stderr);

    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_issuance_is_proved_in_the_log() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let (proof_file, key_file) = (dir.path().join("cert.json"), dir.path().join("log.vkey"));
    let (proof_path, key) = (path_str(&proof_file)?, path_str(&key_file)?);
    let derived = clean_dataset(&registry).await?;
    let issued = registry
        .run(&["cert", "issue", &derived, "--output", "json"])
        .await?
        .ok()
        .json()?;
    let id = issued["id"].as_str().ok_or("no id")?;
    let log_index: u64 = issued["logIndex"].as_str().ok_or("no logIndex")?.parse()?;
    let shown = registry.run(&["cert", "get", id]).await?.ok();
    assert!(field(&shown, "log")?.starts_with(&format!("leaf {log_index} ")));

    // Reading the certificate needs a token; the proof itself does not.
    registry
        .run_with(None, &["log", "prove", "--certificate", id])
        .await?
        .expect_code(4);
    let run = registry
        .run(&["log", "prove", "--certificate", id, "--out", proof_path])
        .await?
        .ok();
    assert!(field(&run, "certificate")?.starts_with(id));
    let proof = read_json(&proof_file)?;
    assert_eq!(proof["leaf_index"], log_index);
    assert!(proof["checkpoint"].is_string());

    // The leaf is the chain hash of the certificate's `certificate.issued` event.
    let events = registry
        .run(&[
            "events",
            "list",
            "--after",
            &log_index.to_string(),
            "--page-size",
            "1",
            "--output",
            "json",
        ])
        .await?
        .ok()
        .json()?;
    let event = &events["events"][0];
    assert_eq!(event["sequence"], (log_index + 1).to_string().as_str());
    assert_eq!(event["type"], "certificate.issued");
    assert_eq!(proof["leaf_data"], event["hash"]);

    registry
        .run_with(None, &["log", "key", "--out", key])
        .await?
        .ok();
    let run = run_without_network(&["log", "verify", "--key", key, "--inclusion", proof_path])
        .await?
        .ok();
    assert!(
        run.stdout.contains("the proof's own checkpoint"),
        "{}",
        run.stdout
    );

    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_follows_checkpoints_and_rejects_what_does_not_verify() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let (key_file, state_file) = (dir.path().join("log.vkey"), dir.path().join("state.note"));
    let (key, state) = (path_str(&key_file)?, path_str(&state_file)?);
    register(&registry, "a", &["human"]).await?;
    registry
        .run_with(None, &["log", "key", "--out", key])
        .await?
        .ok();
    let monitor = ["log", "monitor", "--key", key, "--state", state, "--once"];

    // ----- first run: trusted on first use, kept in the state file --------------------------------
    let run = registry.run_with(None, &monitor).await?.ok();
    assert!(
        run.stdout.contains("trusted on first use"),
        "{}",
        run.stdout
    );
    let first = newest(&registry).await?;
    assert_eq!(read(&state_file)?, first["note"].as_str().ok_or("no note")?);
    let run = registry.run_with(None, &monitor).await?.ok();
    assert!(run.stdout.contains("unchanged"), "{}", run.stdout);

    // ----- the log grows: consistent, and the state advances --------------------------------------
    for name in ["b", "c"] {
        register(&registry, name, &["human"]).await?;
    }
    let run = registry.run_with(None, &monitor).await?.ok();
    assert!(
        run.stdout.contains(&format!(
            "consistent with the last verified checkpoint of {} leaves",
            tree_size(&first)?
        )),
        "{}",
        run.stdout
    );
    let second = newest(&registry).await?;
    assert!(tree_size(&second)? > tree_size(&first)?);
    assert_eq!(
        read(&state_file)?,
        second["note"].as_str().ok_or("no note")?
    );
    let mut json_args = monitor.to_vec();
    json_args.extend(["--output", "json"]);
    let line = registry.run_with(None, &json_args).await?.ok().json()?;
    assert_eq!(line["status"], "unchanged");
    assert_eq!(line["treeSize"], second["treeSize"]);
    assert_eq!(line["rootHashHex"], second["rootHashHex"]);
    assert_eq!(line["previousTreeSize"], Value::Null);

    // ----- no registry: a failed round, not a verdict ----------------------------------------------
    run_without_network(&monitor).await?.expect_code(6);

    // ----- a state signed by a throwaway key, which the registry's checkpoints are not ------------
    let origin = second["origin"].as_str().ok_or("no origin")?;
    let throwaway = SigningKey::from_bytes(&[7; 32]);
    let throwaway_key = NoteVerifier::new(origin, throwaway.verifying_key())?.vkey();
    let forged = sign_checkpoint(
        &Checkpoint {
            origin: origin.to_owned(),
            size: tree_size(&second)?,
            root: [0x42; 32],
            extensions: vec!["time 1764400000".into()],
        },
        origin,
        &throwaway,
    )?;
    let forged_file = dir.path().join("forged.note");
    fs::write(&forged_file, &forged)?;
    let forged_state = path_str(&forged_file)?;
    let run = registry
        .run_with(
            None,
            &[
                "log",
                "monitor",
                "--key",
                &throwaway_key,
                "--state",
                forged_state,
                "--once",
            ],
        )
        .await?
        .expect_code(LOG_FAILED);
    assert!(run.stdout.contains("CHECKPOINT REJECTED"), "{}", run.stdout);
    assert!(run.stderr.contains("CHECKPOINT REJECTED"), "{}", run.stderr);
    let received = newest(&registry).await?;
    let received = received["note"].as_str().ok_or("no note")?;
    assert!(
        run.stdout.contains(forged.trim_end()),
        "both notes are shown"
    );
    assert!(
        run.stdout.contains(received.trim_end()),
        "both notes are shown"
    );
    assert_eq!(read(&forged_file)?, forged, "the state is left as it was");
    let evidence = dir.path().join("forged.note.rejected");
    assert_eq!(read(&evidence)?, received, "the rejected note is kept");
    let alarm = registry
        .run_with(
            None,
            &[
                "log",
                "monitor",
                "--key",
                &throwaway_key,
                "--state",
                forged_state,
                "--once",
                "--output",
                "json",
            ],
        )
        .await?
        .expect_code(LOG_FAILED)
        .json()?;
    assert_eq!(alarm["alarm"], "CHECKPOINT REJECTED");
    assert_eq!(alarm["lastVerifiedNote"], forged.as_str());
    assert_eq!(alarm["receivedNote"], received);
    assert_eq!(alarm["receivedNoteFile"], path_str(&evidence)?);

    // ----- a state file altered since it was written ---------------------------------------------
    fs::write(&state_file, tampered_signature(&read(&state_file)?)?)?;
    let run = registry
        .run_with(None, &monitor)
        .await?
        .expect_code(LOG_FAILED);
    assert!(run.stdout.contains("CHECKPOINT REJECTED"), "{}", run.stdout);
    assert!(run.stdout.contains("state file"), "{}", run.stdout);

    registry.stop().await
}

/// Reads the next line a running provctl prints, giving up after a while.
async fn next_line(reader: BufReader<ChildStdout>) -> TestResult<(BufReader<ChildStdout>, String)> {
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut reader = reader;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        Ok((reader, line))
    });
    Ok(tokio::time::timeout(Duration::from_secs(30), read).await???)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_runs_until_interrupted() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let (key_file, state_file) = (dir.path().join("log.vkey"), dir.path().join("state.note"));
    let (key, state) = (path_str(&key_file)?, path_str(&state_file)?);
    registry
        .run_with(None, &["log", "key", "--out", key])
        .await?
        .ok();
    let mut command = provctl(
        &registry.url,
        None,
        &[
            "--output",
            "json",
            "log",
            "monitor",
            "--key",
            key,
            "--state",
            state,
            "--interval",
            "1s",
        ],
    );
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let lines = async {
        let (stdout, first) = next_line(stdout).await?;
        register(&registry, "a", &["human"]).await?;
        let (_, second) = next_line(stdout).await?;
        TestResult::Ok((first, second))
    }
    .await;
    let (first, second) = match lines {
        Ok(lines) => lines,
        Err(e) => {
            child.kill()?;
            return Err(e);
        }
    };
    let first: Value = serde_json::from_str(&first)?;
    let second: Value = serde_json::from_str(&second)?;
    assert_eq!(first["status"], "first");
    // Unchanged rounds print nothing; the next line is the grown tree.
    assert_eq!(second["status"], "consistent");
    assert_eq!(second["previousTreeSize"], first["treeSize"]);
    assert_eq!(
        read(&state_file)?,
        second["note"].as_str().ok_or("no note")?
    );

    // Ctrl-C ends it cleanly.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    assert!(interrupted.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await??;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");

    registry.stop().await
}
