//! Every RPC has a command, and every command answers JSON with `--output json`: the lineage
//! stream and pages, the log's leaves, event pages, and one run of each other command.

mod common;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::{Registry, Run, TestResult, clean_dataset, evidence_of, path_str, register};
use serde_json::Value;

/// The JSON a run printed: one document, or one per line for streams.
fn json_of(run: &Run) -> TestResult<Vec<Value>> {
    if let Ok(value) = serde_json::from_str::<Value>(&run.stdout) {
        return Ok(vec![value]);
    }
    let lines: Result<Vec<Value>, _> = run.stdout.lines().map(serde_json::from_str).collect();
    lines.map_err(|e| format!("not JSON ({e}):\n{}", run.stdout).into())
}

#[tokio::test]
async fn lineage_streams_and_pages() -> TestResult {
    let registry = Registry::start().await?;
    let root = register(&registry, "root", &["human"]).await?;
    let middle = register(&registry, "middle", &[&format!("dataset={root}")]).await?;
    let leaf = register(&registry, "leaf", &[&format!("dataset={middle}")]).await?;

    let streamed = registry
        .run(&["--output", "json", "lineage", "stream", &leaf])
        .await?
        .ok();
    let nodes = json_of(&streamed)?;
    let depths: Vec<(String, i64)> = nodes
        .iter()
        .map(|n| {
            (
                n["dataset"]["name"].as_str().unwrap_or_default().to_owned(),
                // The starting node's depth, 0, is a default value: left out.
                n["depth"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        depths,
        [("leaf".into(), 0), ("middle".into(), 1), ("root".into(), 2)]
    );
    assert!(nodes[0].get("depth").is_none(), "{}", nodes[0]);
    let downstream = registry
        .run(&[
            "lineage",
            "stream",
            &root,
            "--downstream",
            "--max-depth",
            "1",
        ])
        .await?
        .ok();
    assert_eq!(
        downstream.stdout.lines().count(),
        2,
        "{}",
        downstream.stdout
    );
    assert!(downstream.stdout.contains("middle@1"));

    // Pages of one node, followed by hand and with --all.
    let first = registry
        .run(&[
            "--output",
            "json",
            "lineage",
            "list",
            &leaf,
            "--page-size",
            "1",
        ])
        .await?
        .ok()
        .json()?;
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["datasetId"], leaf.as_str());
    assert_eq!(first["direction"], "LINEAGE_DIRECTION_UPSTREAM");
    assert_eq!(first["nodes"].as_array().map(Vec::len), Some(1));
    let token = first["nextPageToken"].as_str().ok_or("no token")?;
    assert!(!token.is_empty());
    let second = registry
        .run(&[
            "--output",
            "json",
            "lineage",
            "list",
            &leaf,
            "--page-size",
            "1",
            "--page-token",
            token,
        ])
        .await?
        .ok()
        .json()?;
    assert_eq!(second["nodes"][0]["dataset"]["name"], "middle");
    let all = registry
        .run(&["lineage", "list", &leaf, "--page-size", "1", "--all"])
        .await?
        .ok();
    assert!(
        all.stdout.contains("3 visible and 0 hidden"),
        "{}",
        all.stdout
    );
    assert_eq!(all.stdout.lines().count(), 4);
    registry.stop().await
}

#[tokio::test]
async fn log_leaves_are_the_events_chain_hashes() -> TestResult {
    let registry = Registry::start().await?;
    register(&registry, "one", &["human"]).await?;
    let events = registry
        .run(&["--output", "json", "events", "list"])
        .await?
        .ok()
        .json()?;
    let leaves = registry
        .run(&[
            "--output", "json", "log", "leaves", "--start", "0", "--count", "2",
        ])
        .await?
        .ok()
        .json()?;
    let leaves = leaves["leaves"].as_array().ok_or("no leaves")?;
    assert_eq!(leaves.len(), 2);
    for (leaf, event) in leaves
        .iter()
        .zip(events["events"].as_array().ok_or("no events")?)
    {
        // The mapping writes bytes in base64; provctl adds them in hex, as events write hashes.
        assert_eq!(leaf["dataHex"], event["hash"]);
        assert_eq!(leaf["eventSequence"], event["sequence"]);
        let hash = event["hash"].as_str().ok_or("no hash")?;
        assert_eq!(leaf["data"], STANDARD.encode(hex::decode(hash)?).as_str());
    }
    let beyond = registry
        .run(&["log", "leaves", "--start", "1000"])
        .await?
        .ok();
    assert!(beyond.stdout.is_empty(), "{}", beyond.stdout);
    assert!(
        beyond.stderr.contains("the log is smaller"),
        "{}",
        beyond.stderr
    );
    let bad = registry
        .run(&["log", "leaves", "--count", "0"])
        .await?
        .expect_code(2);
    assert!(bad.stderr.contains("--count"), "{}", bad.stderr);
    registry.stop().await
}

#[tokio::test]
async fn events_page_with_tokens() -> TestResult {
    let registry = Registry::start().await?;
    register(&registry, "a", &["human"]).await?;
    register(&registry, "b", &["human"]).await?;
    let first = registry
        .run(&["--output", "json", "events", "list", "--page-size", "1"])
        .await?
        .ok()
        .json()?;
    let token = first["nextPageToken"].as_str().ok_or("no token")?;
    let second = registry
        .run(&[
            "--output",
            "json",
            "events",
            "list",
            "--page-size",
            "1",
            "--page-token",
            token,
        ])
        .await?
        .ok()
        .json()?;
    assert_eq!(second["events"][0]["sequence"], "2");
    registry.stop().await
}

/// `org list`: the operator's; rows of id, creation time and name, or the JSON answer; by exact
/// name, the one organisation or nothing; every page with `--all`.
#[tokio::test]
async fn the_operator_lists_organisations_and_finds_one_by_name() -> TestResult {
    let registry = Registry::start().await?;
    let (buyer, _) = registry.another_organization("Buyer Ltd").await?;
    let operator = registry.operator_token().await?;
    let list = |args: &'static [&'static str]| {
        let (registry, operator) = (&registry, &operator);
        async move {
            let mut full = vec!["org", "list"];
            full.extend(args);
            registry.run_with(Some(operator), &full).await
        }
    };

    let text = list(&[]).await?.ok();
    let rows: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{}", text.stdout);
    assert!(rows[0].starts_with(&format!("{}  ", registry.org_id)) && rows[0].ends_with("  Acme"));
    assert!(rows[1].starts_with(&format!("{buyer}  ")) && rows[1].ends_with("  Buyer Ltd"));

    // What a script does: the id of an organisation that may already exist, or nothing.
    let named = list(&["--name", "Buyer Ltd", "--output", "json"])
        .await?
        .ok()
        .json()?;
    assert_eq!(named["organizations"][0]["id"], buyer.as_str());
    assert_eq!(named["organizations"][0]["name"], "Buyer Ltd");
    assert!(named["organizations"][0]["createTime"].is_string());
    assert_eq!(named["organizations"].as_array().map(Vec::len), Some(1));
    let none = list(&["--name", "Nobody", "--output", "json"]).await?.ok();
    assert_eq!(
        none.json()?,
        serde_json::json!({}),
        "no organisations, no fields"
    );
    assert_eq!(list(&["--name", "Nobody"]).await?.ok().stdout, "");

    // Pages: one row and a hint on stderr, or every page.
    let first = list(&["--page-size", "1"]).await?.ok();
    assert_eq!(first.stdout.lines().count(), 1);
    assert!(first.stderr.contains("--page-token"), "{}", first.stderr);
    let all = list(&["--page-size", "1", "--all", "--output", "json"])
        .await?
        .ok()
        .json()?;
    assert_eq!(all["organizations"].as_array().map(Vec::len), Some(2));
    assert!(all.get("nextPageToken").is_none());

    // Only the operator: an admin's token is refused (exit 4), bad input is a usage error.
    let refused = registry.run(&["org", "list"]).await?.expect_code(4);
    assert!(
        refused.stderr.contains("operator token"),
        "{}",
        refused.stderr
    );
    let bad = list(&["--name", " Acme"]).await?.expect_code(5);
    assert!(bad.stderr.contains("name"), "{}", bad.stderr);
    list(&["--page-size", "0"]).await?.expect_code(2);
    registry.stop().await
}

/// One run of every command with `--output json`; each must print JSON and succeed (or, where
/// noted, fail with its documented code and still print nothing but JSON on stdout).
#[tokio::test]
async fn every_command_answers_json() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let file = |name: &str| dir.path().join(name);
    std::fs::write(file("data.txt"), b"data")?;
    let dataset = clean_dataset(&registry).await?;
    let other = register(&registry, "other", &["human"]).await?;

    let json = |args: Vec<String>| {
        let registry = &registry;
        async move {
            let mut full = vec!["--output".to_owned(), "json".to_owned()];
            full.extend(args);
            let refs: Vec<&str> = full.iter().map(String::as_str).collect();
            let run = registry.run(&refs).await?;
            let values = json_of(&run)?;
            TestResult::Ok((run, values))
        }
    };
    let s = |items: &[&str]| items.iter().map(|i| (*i).to_owned()).collect::<Vec<_>>();

    let (_, token) = json(s(&[
        "token",
        "create",
        "--role",
        "auditor",
        "--subject",
        "ci",
    ]))
    .await?;
    let token_id = token[0]["info"]["id"]
        .as_str()
        .ok_or("no token id")?
        .to_owned();
    let (_, issued) = json(s(&["cert", "issue", &dataset])).await?;
    let cert = issued[0]["id"].as_str().ok_or("no cert id")?.to_owned();
    let (_, attestations) = json(s(&["attest", "list", "--dataset", &dataset])).await?;
    let attestation = attestations[0]["attestations"][0]["id"]
        .as_str()
        .ok_or("no attestation")?
        .to_owned();
    let cert_file = file("cert.jws");
    // A second certificate, whose token file is verified once the cascade has revoked it.
    registry
        .run(&["cert", "issue", &dataset, "--out", path_str(&cert_file)?])
        .await?
        .ok();
    let bundle = file("bundle.json");
    let proof = file("proof.json");
    let vkey = file("log.vkey");

    let commands: Vec<(Vec<String>, i32)> = vec![
        (s(&["org", "get"]), 0),
        (s(&["token", "revoke", &token_id]), 0),
        (s(&["dataset", "get", &dataset]), 0),
        (s(&["dataset", "list", "--all"]), 0),
        (
            s(&[
                "dataset",
                "register",
                "--name",
                "j",
                "--version",
                "1",
                "--path",
                path_str(dir.path())?,
            ]),
            0,
        ),
        (
            s(&[
                "dataset",
                "report",
                &other,
                "--statement",
                "found R1 traces",
            ]),
            0,
        ),
        (s(&["lineage", "show", &dataset]), 0),
        (s(&["lineage", "show", &dataset, "--format", "dot"]), 0),
        (s(&["lineage", "stream", &dataset]), 0),
        (s(&["lineage", "list", &dataset]), 0),
        (s(&["events", "list"]), 0),
        (s(&["policy", "list"]), 0),
        (s(&["policy", "get", "deepseek-r1-anti-distillation"]), 0),
        (s(&["policy", "evaluate", &dataset]), 0),
        (s(&["policy", "evaluate", &other]), 7),
        (s(&["attest", "get", &attestation]), 0),
        (
            s(&[
                "attest",
                "record",
                &other,
                "--method",
                "manual-review",
                "--statement",
                "s",
                "--evidence",
                &evidence_of("o"),
            ]),
            5,
        ),
        (s(&["cert", "get", &cert]), 0),
        (s(&["cert", "keys"]), 0),
        (
            s(&["cert", "bundle", &cert, "--out", path_str(&bundle)?]),
            0,
        ),
        (s(&["cert", "verify", path_str(&bundle)?]), 0),
        (s(&["cert", "verify", path_str(&bundle)?, "--offline"]), 0),
        (s(&["log", "checkpoint"]), 0),
        (s(&["log", "key", "--out", path_str(&vkey)?]), 0),
        (
            s(&[
                "log",
                "prove",
                "--certificate",
                &cert,
                "--out",
                path_str(&proof)?,
            ]),
            0,
        ),
        (s(&["log", "prove", "--consistency", "1"]), 0),
        (
            s(&[
                "log",
                "verify",
                "--key",
                path_str(&vkey)?,
                "--inclusion",
                path_str(&proof)?,
            ]),
            0,
        ),
        (
            s(&["log", "monitor", "--key", path_str(&vkey)?, "--once"]),
            0,
        ),
        (s(&["log", "leaves"]), 0),
        (s(&["digest", path_str(dir.path())?]), 0),
        (
            s(&["attest", "revoke", &attestation, "--reason", "superseded"]),
            0,
        ),
        (s(&["cert", "revoke", &cert, "--reason", "replaced"]), 0),
    ];
    for (args, code) in commands {
        let (run, values) = json(args.clone()).await?;
        assert_eq!(
            run.code,
            Some(code),
            "{args:?}: {}\n{}",
            run.stdout,
            run.stderr
        );
        // A refused call (5) prints its reason on stderr and nothing on stdout.
        assert_eq!(values.is_empty(), code == 5, "{args:?}: {}", run.stdout);
    }
    // The second certificate, revoked by the attestation's revocation: 9, still JSON.
    let (verified, values) = json(s(&["cert", "verify", path_str(&cert_file)?])).await?;
    assert_eq!(verified.code, Some(9), "{}", verified.stdout);
    assert_eq!(values[0]["valid"], false);
    registry.stop().await
}
