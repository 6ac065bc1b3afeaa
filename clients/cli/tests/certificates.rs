//! `provctl cert`, end to end against the real server: issue, verify online and offline, tamper,
//! revoke, bundle, and the exit codes scripts rely on.

mod common;

use serde_json::Value;

use common::{Registry, TestResult, clean_dataset, field, path_str, register, run_without_network};

/// Exit code of `cert verify` for a certificate that is not valid.
const NOT_VALID: i32 = 9;

/// The token with one character of its payload changed.
fn tampered(token: &str) -> TestResult<String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(format!("not three parts: {token}").into());
    };
    let mut chars: Vec<char> = payload.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    Ok(format!(
        "{header}.{}.{signature}",
        chars.into_iter().collect::<String>()
    ))
}

/// The names of the checks a JSON verification lists, and whether each passed.
fn checks(value: &Value) -> Vec<(String, bool)> {
    value["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or_default().to_owned(),
                        c["passed"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_verify_tamper_revoke_and_bundle() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let cert_file = dir.path().join("cert.jws");
    let jwks_file = dir.path().join("jwks.json");
    let bundle_file = dir.path().join("bundle.json");
    let cert = path_str(&cert_file)?;
    let jwks = path_str(&jwks_file)?;
    let bundle = path_str(&bundle_file)?;
    let derived = clean_dataset(&registry).await?;

    // ----- issue, with the token written to a file ------------------------------------------------
    let issued = registry
        .run(&[
            "cert",
            "issue",
            &derived,
            "--validity",
            "30d",
            "--contract",
            "MSA-2027-001",
            "--out",
            cert,
        ])
        .await?
        .ok();
    let id = field(&issued, "id")?;
    assert_eq!(field(&issued, "status")?, "VALID");
    assert!(field(&issued, "dataset")?.ends_with("derived@1"));
    assert_eq!(field(&issued, "contract")?, "MSA-2027-001");
    assert!(field(&issued, "valid")?.starts_with("from "));
    let token = field(&issued, "token")?;
    let written = std::fs::read_to_string(&cert_file)?;
    assert_eq!(written, format!("{token}\n"), "one line: the token");

    // ----- online: no access token needed ---------------------------------------------------------
    let online = registry
        .run_with(None, &["cert", "verify", cert])
        .await?
        .ok();
    assert!(online.stdout.starts_with("VALID\n"), "{}", online.stdout);
    assert_eq!(field(&online, "certificate")?, id);
    for name in ["signature", "key_window", "status", "lineage"] {
        assert!(
            online
                .stdout
                .lines()
                .any(|l| l.starts_with(&format!("  pass  {name}"))),
            "{name}: {}",
            online.stdout
        );
    }
    // The token itself works as well as the file.
    registry
        .run_with(None, &["cert", "verify", &token])
        .await?
        .ok();

    // ----- the keys, pinned; then offline, where no server listens --------------------------------
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let pinned: Value = serde_json::from_str(&std::fs::read_to_string(&jwks_file)?)?;
    assert!(
        pinned["keys"]
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k["use"] == "sig")),
        "{pinned}"
    );
    let offline = run_without_network(&["cert", "verify", cert, "--offline", "--jwks", jwks])
        .await?
        .ok();
    assert!(
        offline
            .stdout
            .starts_with("VALID (offline: revocation not checked)\n"),
        "{}",
        offline.stdout
    );
    assert!(
        offline.stdout.contains("pinned keys of"),
        "{}",
        offline.stdout
    );
    assert!(offline.stdout.contains("  pass  signature"));
    assert!(offline.stdout.contains("  --    status"));

    let offline_json = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        cert,
        "--offline",
        "--jwks",
        jwks,
    ])
    .await?
    .ok()
    .json()?;
    assert_eq!(offline_json["valid"], true);
    assert_eq!(offline_json["mode"], "offline");
    assert_eq!(offline_json["revocationChecked"], false);
    assert_eq!(offline_json["certificateId"], id.as_str());
    // The claims exactly as signed, under their own names.
    assert_eq!(offline_json["claims"]["contract_reference"], "MSA-2027-001");
    let names: Vec<String> = checks(&offline_json).into_iter().map(|c| c.0).collect();
    assert_eq!(
        names,
        [
            "format",
            "algorithm",
            "type",
            "key",
            "signature",
            "key_window",
            "validity",
            "audience",
            "policies"
        ]
    );
    assert_eq!(offline_json["notChecked"][0]["name"], "status");

    let online_json = registry
        .run_with(None, &["--output", "json", "cert", "verify", cert])
        .await?
        .ok()
        .json()?;
    assert_eq!(online_json["mode"], "online");
    assert_eq!(online_json["status"], "CERTIFICATE_STATUS_VALID");
    assert!(checks(&online_json).iter().all(|(_, passed)| *passed));
    assert_eq!(checks(&online_json).len(), 11);

    // ----- one character of the payload changed ---------------------------------------------------
    let bad_file = dir.path().join("tampered.jws");
    std::fs::write(&bad_file, tampered(&token)?)?;
    let bad = path_str(&bad_file)?;
    let rejected = run_without_network(&["cert", "verify", bad, "--offline", "--jwks", jwks])
        .await?
        .expect_code(NOT_VALID);
    assert!(
        rejected.stdout.starts_with("NOT VALID\n"),
        "{}",
        rejected.stdout
    );
    assert!(
        rejected
            .stdout
            .contains("  FAIL  signature   the signature does not verify"),
        "{}",
        rejected.stdout
    );
    let rejected_online = registry
        .run_with(None, &["--output", "json", "cert", "verify", bad])
        .await?
        .expect_code(NOT_VALID)
        .json()?;
    assert_eq!(rejected_online["valid"], false);
    assert!(checks(&rejected_online).contains(&("signature".to_owned(), false)));
    // The checks a failed signature leaves unmade are listed alike online and offline: apart from
    // the failures, as `--` in text.
    let rejected_offline = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        bad,
        "--offline",
        "--jwks",
        jwks,
    ])
    .await?
    .expect_code(NOT_VALID)
    .json()?;
    let not_checked = |value: &Value| -> Vec<String> {
        value["notChecked"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let unmade = [
        "key_window",
        "validity",
        "audience",
        "policies",
        "status",
        "lineage",
    ];
    assert_eq!(not_checked(&rejected_online), unmade);
    assert_eq!(not_checked(&rejected_offline), unmade);
    assert_eq!(checks(&rejected_online), checks(&rejected_offline));
    let rejected_online_text = registry
        .run_with(None, &["cert", "verify", bad])
        .await?
        .expect_code(NOT_VALID);
    for text in [&rejected.stdout, &rejected_online_text.stdout] {
        for name in unmade {
            assert!(
                text.contains(&format!("  --    {name:<10}  not checked")),
                "{text}"
            );
        }
        assert_eq!(text.matches("  FAIL  ").count(), 1, "{text}");
    }

    // ----- an expected audience the certificate was not issued for --------------------------------
    let (other_org, _) = registry.another_organization("Globex").await?;
    let wrong_audience = run_without_network(&[
        "cert",
        "verify",
        cert,
        "--offline",
        "--jwks",
        jwks,
        "--audience",
        &other_org,
    ])
    .await?
    .expect_code(NOT_VALID);
    assert!(
        wrong_audience.stdout.contains("  FAIL  audience"),
        "{}",
        wrong_audience.stdout
    );

    // ----- a second certificate, for the buyer, bundled -------------------------------------------
    let for_buyer = registry
        .run(&[
            "--output",
            "json",
            "cert",
            "issue",
            &derived,
            "--audience",
            &other_org,
        ])
        .await?
        .ok()
        .json()?;
    let buyer_id = for_buyer["id"].as_str().ok_or("no id")?.to_owned();
    assert_eq!(for_buyer["status"], "CERTIFICATE_STATUS_VALID");
    assert_eq!(for_buyer["claims"]["aud"], other_org.as_str());
    let bundled = registry
        .run(&["cert", "bundle", &buyer_id, "--out", bundle])
        .await?
        .ok();
    assert!(
        bundled
            .stdout
            .contains("lineage:      2 of 2 dataset(s) listed")
    );
    let contents: Value = serde_json::from_str(&std::fs::read_to_string(&bundle_file)?)?;
    assert_eq!(contents["format"], "provenance-certificate-bundle/v1");
    // The log member: the issuance leaf's inclusion proof against a signed checkpoint, the log
    // key, and the issuance event that is the leaf.
    assert_eq!(
        contents["log"]["inclusion"]["format"],
        "provenance-log-inclusion/v1"
    );
    assert!(contents["log"]["checkpoint"].is_string());
    assert!(contents["log"]["verifier_key"].is_string());
    assert_eq!(
        contents["log"]["issuance_event"]["type"],
        "certificate.issued"
    );
    assert_eq!(
        contents["log"]["issuance_event"]["subject"],
        format!("certificates/{buyer_id}").as_str()
    );
    assert_eq!(contents["certificate"]["id"], buyer_id.as_str());
    assert_eq!(
        contents["certificate"]["status"],
        "CERTIFICATE_STATUS_VALID"
    );
    assert_eq!(contents["certificate"]["closure_size"], 2);
    assert_eq!(contents["certificate"]["verdict"], "CLEAN");
    assert_eq!(
        contents["certificate"]["status_history"][0]["status"],
        "CERTIFICATE_STATUS_VALID"
    );
    let mut names: Vec<&str> = contents["lineage"]
        .as_array()
        .ok_or("no lineage")?
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["base", "derived"]);

    // Anyone verifies it years later, without the registry: with its own keys, or pinned ones.
    let from_bundle = run_without_network(&[
        "cert",
        "verify",
        bundle,
        "--offline",
        "--audience",
        &other_org,
    ])
    .await?
    .ok();
    assert!(from_bundle.stdout.contains("with the bundle's own keys"));
    assert!(
        from_bundle.stdout.contains("  pass  bundle"),
        "{}",
        from_bundle.stdout
    );
    let pinned_bundle =
        run_without_network(&["cert", "verify", bundle, "--offline", "--jwks", jwks])
            .await?
            .ok();
    assert!(
        pinned_bundle
            .stdout
            .contains("(the bundle's own keys were not used)"),
        "{}",
        pinned_bundle.stdout
    );
    let bundle_json =
        run_without_network(&["--output", "json", "cert", "verify", bundle, "--offline"])
            .await?
            .ok()
            .json()?;
    assert_eq!(bundle_json["input"], "bundle");
    assert_eq!(bundle_json["keys"]["source"], "bundle");
    // Online, the registry checks the bundle's token too.
    registry
        .run_with(None, &["cert", "verify", bundle])
        .await?
        .ok();

    // An edited summary no longer agrees with the signed claims.
    let mut edited = contents.clone();
    edited["certificate"]["closure_size"] = Value::from(1);
    let edited_file = dir.path().join("edited.json");
    std::fs::write(&edited_file, edited.to_string())?;
    let edited_run = run_without_network(&["cert", "verify", path_str(&edited_file)?, "--offline"])
        .await?
        .expect_code(NOT_VALID);
    assert!(
        edited_run.stdout.contains("  FAIL  bundle"),
        "{}",
        edited_run.stdout
    );

    // ----- revoked: the registry knows, offline verification cannot -------------------------------
    let revoked = registry
        .run(&["cert", "revoke", &id, "--reason", "wrong contract"])
        .await?
        .ok();
    assert_eq!(field(&revoked, "status")?, "REVOKED");
    assert!(field(&revoked, "revoked")?.contains("wrong contract"));
    let online_revoked = registry
        .run_with(None, &["cert", "verify", cert])
        .await?
        .expect_code(NOT_VALID);
    assert_eq!(field(&online_revoked, "status")?, "REVOKED");
    assert!(
        online_revoked
            .stdout
            .contains("  FAIL  status      revoked"),
        "{}",
        online_revoked.stdout
    );
    // Without an account: when, why and by what it was revoked, and its history.
    let revocation = field(&online_revoked, "revoked")?;
    assert!(
        revocation.ends_with(&format!(": wrong contract (certificates/{id})")),
        "{revocation}"
    );
    assert!(
        online_revoked
            .stdout
            .lines()
            .any(|l| l.contains("  REVOKED  wrong contract")),
        "{}",
        online_revoked.stdout
    );
    let revoked_json = registry
        .run_with(None, &["--output", "json", "cert", "verify", cert])
        .await?
        .expect_code(NOT_VALID)
        .json()?;
    assert_eq!(revoked_json["revokeReason"], "wrong contract");
    assert_eq!(
        revoked_json["revokeCauseKind"],
        "REVOCATION_CAUSE_CERTIFICATE_REVOKED"
    );
    assert_eq!(revoked_json["revokeCauseId"], id.as_str());
    assert!(revoked_json["revokeTime"].is_string(), "{revoked_json}");
    assert_eq!(
        revoked_json["statusHistory"][1]["time"],
        revoked_json["revokeTime"]
    );
    let offline_revoked =
        run_without_network(&["cert", "verify", cert, "--offline", "--jwks", jwks])
            .await?
            .ok();
    assert!(
        offline_revoked
            .stdout
            .contains("revocation:   unknown: offline verification cannot tell"),
        "{}",
        offline_revoked.stdout
    );
    let shown = registry.run(&["cert", "get", &id]).await?.ok();
    assert_eq!(field(&shown, "status")?, "REVOKED");
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.contains("  REVOKED  wrong contract")),
        "{}",
        shown.stdout
    );
    // A revoked certificate is not bundled.
    let refused = registry
        .run(&[
            "cert",
            "bundle",
            cert,
            "--out",
            path_str(&dir.path().join("revoked.json"))?,
        ])
        .await?
        .expect_code(NOT_VALID);
    assert!(refused.stderr.contains("not bundled"), "{}", refused.stderr);
    assert!(!dir.path().join("revoked.json").exists());

    registry.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_usage_errors_have_their_codes() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;

    // A contaminated lineage is not certified; the message says where to look.
    let r1 = register(&registry, "r1-out", &["model=deepseek-ai/DeepSeek-R1"]).await?;
    let refused = registry.run(&["cert", "issue", &r1]).await?.expect_code(5);
    assert!(
        refused.stderr.contains("provctl policy evaluate"),
        "{}",
        refused.stderr
    );
    // Issuing needs a token; verifying offline needs keys; a file must exist.
    registry
        .run_with(None, &["cert", "issue", &r1])
        .await?
        .expect_code(4);
    let no_keys = run_without_network(&["cert", "verify", "eyJh.eyJi.c2ln", "--offline"])
        .await?
        .expect_code(2);
    assert!(no_keys.stderr.contains("--jwks"), "{}", no_keys.stderr);
    let missing = run_without_network(&["cert", "verify", "no-such-file.jws"])
        .await?
        .expect_code(2);
    assert!(
        missing
            .stderr
            .starts_with("provctl: no-such-file.jws: no such file"),
        "{}",
        missing.stderr
    );
    let jwks_file = dir.path().join("jwks.json");
    registry
        .run_with(None, &["cert", "keys", "--out", path_str(&jwks_file)?])
        .await?
        .ok();
    let swapped = run_without_network(&["cert", "verify", path_str(&jwks_file)?, "--offline"])
        .await?
        .expect_code(2);
    assert!(swapped.stderr.contains("is a JWKS"), "{}", swapped.stderr);
    registry
        .run(&["cert", "get", "0193a5b0-7e1f-7c3a-9d2e-5f6a7b8c9d0e"])
        .await?
        .expect_code(3);
    registry
        .run(&["cert", "issue", &r1, "--validity", "soon"])
        .await?
        .expect_code(2);
    // The online check of a token the registry never issued.
    let garbage = registry
        .run_with(None, &["cert", "verify", "eyJh.eyJi.c2ln"])
        .await?
        .expect_code(NOT_VALID);
    assert!(
        garbage.stdout.contains("  FAIL  format"),
        "{}",
        garbage.stdout
    );

    registry.stop().await?;
    Ok(())
}

/// Signatures the registry's key holder crafts over a real certificate (a torsion component or the
/// identity as `R`, a non-canonical `R`, `S` + L): `provctl cert verify` online (the registry's
/// `VerifyCertificate`) and offline give each the same `signature` check, the one rule's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_signatures_get_the_same_answer_online_and_offline() -> TestResult {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_verify::crafting::{Craft, craft};

    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let jwks_file = dir.path().join("jwks.json");
    let jwks = path_str(&jwks_file)?;
    let derived = clean_dataset(&registry).await?;
    let token = field(
        &registry.run(&["cert", "issue", &derived]).await?.ok(),
        "token",
    )?;
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap_or_default())?,
    )?;
    let kid = header["kid"].as_str().unwrap_or_default();
    let keys: Value = serde_json::from_str(&std::fs::read_to_string(
        registry.data_dir().join("signing-keys.json"),
    )?)?;
    let seed = keys["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .and_then(|k| k["private_key"].as_str())
        .ok_or("the issuing key is in the key file")?;
    let mut seed_bytes = [0u8; 32];
    hex::decode_to_slice(seed, &mut seed_bytes)?;
    let (signing_input, _) = token.rsplit_once('.').ok_or("three parts")?;

    let signature_passed = |value: &Value| {
        checks(value)
            .into_iter()
            .find(|(name, _)| name == "signature")
            .map(|(_, passed)| passed)
    };
    for how in Craft::ALL {
        let signature = craft(&seed_bytes, signing_input.as_bytes(), how);
        let crafted = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
        let expected = how.expected().is_ok();
        let online = registry
            .run_with(None, &["--output", "json", "cert", "verify", &crafted])
            .await?
            .json()?;
        let offline = run_without_network(&[
            "--output",
            "json",
            "cert",
            "verify",
            &crafted,
            "--offline",
            "--jwks",
            jwks,
        ])
        .await?
        .json()?;
        assert_eq!(signature_passed(&online), Some(expected), "{how:?} online");
        assert_eq!(
            signature_passed(&offline),
            Some(expected),
            "{how:?} offline"
        );
        assert_eq!(offline["valid"], expected, "{how:?}");
        // The whole answer agrees too: another valid signature of the same header and claims
        // (only the key's holder can make one) is the certificate the registry stored.
        assert_eq!(online["valid"], expected, "{how:?}");
    }

    // Other claims under the certificate's id, signed by the key's holder: offline cannot tell,
    // online the `status` check says the registry issued something else under this id.
    let (header, payload) = signing_input.split_once('.').ok_or("two parts")?;
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    claims["contract_reference"] = Value::from("a contract never agreed");
    let altered_input = format!(
        "{header}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
    );
    let signature = craft(&seed_bytes, altered_input.as_bytes(), Craft::Honest);
    let altered = format!("{altered_input}.{}", URL_SAFE_NO_PAD.encode(signature));
    let online = registry
        .run_with(None, &["--output", "json", "cert", "verify", &altered])
        .await?
        .json()?;
    assert_eq!(signature_passed(&online), Some(true));
    assert_eq!(online["valid"], false);
    let status = checks(&online)
        .into_iter()
        .find(|(name, _)| name == "status")
        .map(|(_, passed)| passed);
    assert_eq!(status, Some(false), "{online}");
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dsse_envelope_is_printed_verified_online_and_offline_and_bundled() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let envelope_file = dir.path().join("cert.dsse.json");
    let tampered_file = dir.path().join("tampered.dsse.json");
    let jwks_file = dir.path().join("jwks.json");
    let bundle_file = dir.path().join("bundle.json");
    let (envelope_path, tampered_path) = (path_str(&envelope_file)?, path_str(&tampered_file)?);
    let (jwks, bundle) = (path_str(&jwks_file)?, path_str(&bundle_file)?);
    let derived = clean_dataset(&registry).await?;
    let issued = registry.run(&["cert", "issue", &derived]).await?.ok();
    let id = field(&issued, "id")?;

    // One line of JSON: the envelope as GetCertificate answers it.
    let printed = registry
        .run(&["cert", "get", &id, "--format", "dsse"])
        .await?
        .ok();
    assert_eq!(printed.stdout.lines().count(), 1, "{}", printed.stdout);
    let envelope: Value = serde_json::from_str(&printed.stdout)?;
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    std::fs::write(&envelope_file, &printed.stdout)?;
    let jws = registry
        .run(&["cert", "get", &id, "--format", "jws"])
        .await?
        .ok();
    assert!(jws.stdout.trim().starts_with("eyJ"), "{}", jws.stdout);

    // Verified online and, with pinned keys, offline, by the same checks as the token.
    let online = registry
        .run_with(None, &["--output", "json", "cert", "verify", envelope_path])
        .await?
        .ok()
        .json()?;
    assert_eq!(online["valid"], true, "{online}");
    assert_eq!(online["certificateId"], id.as_str());
    assert!(
        checks(&online).iter().all(|(_, passed)| *passed),
        "{online}"
    );
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let offline = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        envelope_path,
        "--offline",
        "--jwks",
        jwks,
    ])
    .await?
    .ok()
    .json()?;
    assert_eq!(offline["valid"], true, "{offline}");
    // What was signed: the Statement, whose predicate holds the claims.
    assert_eq!(
        offline["claims"]["predicate"]["jti"],
        id.as_str(),
        "{offline}"
    );

    // An altered Statement fails the signature check, online and offline.
    let mut altered = envelope.clone();
    let statement = base64_standard_decode(envelope["payload"].as_str().unwrap_or_default())?;
    let mut statement: Value = serde_json::from_slice(&statement)?;
    statement["predicate"]["verdict"] = "EXEMPT".into();
    altered["payload"] = base64_standard_encode(statement.to_string().as_bytes()).into();
    std::fs::write(&tampered_file, altered.to_string())?;
    for run in [
        registry
            .run_with(None, &["--output", "json", "cert", "verify", tampered_path])
            .await?,
        run_without_network(&[
            "--output",
            "json",
            "cert",
            "verify",
            tampered_path,
            "--offline",
            "--jwks",
            jwks,
        ])
        .await?,
    ] {
        let answer = run.expect_code(NOT_VALID).json()?;
        assert!(
            checks(&answer).contains(&("signature".to_owned(), false)),
            "{answer}"
        );
    }

    // A bundle carries both forms, and checks that the envelope is the token's certificate.
    registry
        .run(&["cert", "bundle", &id, "--out", bundle])
        .await?
        .ok();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&bundle_file)?)?;
    assert_eq!(written["dsse_envelope"], envelope);
    let verified = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        bundle,
        "--offline",
        "--jwks",
        jwks,
    ])
    .await?
    .ok()
    .json()?;
    assert!(
        checks(&verified).contains(&("dsse".to_owned(), true)),
        "{verified}"
    );
    let mut forged = written.clone();
    forged["dsse_envelope"] = altered;
    std::fs::write(&bundle_file, forged.to_string())?;
    let refused = run_without_network(&[
        "--output",
        "json",
        "cert",
        "verify",
        bundle,
        "--offline",
        "--jwks",
        jwks,
    ])
    .await?
    .expect_code(NOT_VALID)
    .json()?;
    assert!(
        checks(&refused).contains(&("dsse".to_owned(), false)),
        "{refused}"
    );
    Ok(())
}

fn base64_standard_decode(text: &str) -> TestResult<Vec<u8>> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::STANDARD.decode(text)?)
}

fn base64_standard_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
