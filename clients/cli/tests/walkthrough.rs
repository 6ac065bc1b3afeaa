//! End to end: the real server in-process on a free port, driven through the real `provctl`
//! binary as a user or a script would drive it, exit codes included.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

use common::{Registry, Run, TestResult, digest_of, evidence_of, provctl, register, run_to_end};

/// Leading spaces of a line.
fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walkthrough() -> TestResult {
    let registry = Registry::start().await?;

    // ----- a chain of three datasets: raw <- cleaned <- instruct --------------------------------
    let raw_digest = digest_of("raw");
    let raw_args = [
        "dataset",
        "register",
        "--name",
        "raw-crawl",
        "--version",
        "2026-01",
        "--digest",
        &raw_digest,
        "--size",
        "1048576",
        "--license",
        "CC-BY-4.0",
        "--source",
        "web-crawl=https://example.org/",
    ];
    let raw = registry.run(&raw_args).await?.ok();
    let first = raw.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("id:"), "id comes first: {}", raw.stdout);
    let raw_id = first.trim_start_matches("id:").trim().to_owned();
    assert!(raw.stdout.contains("already existed: no"));
    assert!(raw.stdout.contains("web-crawl https://example.org/"));

    // Registering the same thing again is harmless and says so.
    let again = registry.run(&raw_args).await?.ok();
    assert!(again.stdout.contains(&raw_id));
    assert!(again.stdout.contains("already existed: yes"));
    // `-q` prints the id alone, for `ID=$(provctl dataset register -q ...)`.
    let mut quiet_args = raw_args.to_vec();
    quiet_args.push("-q");
    let quiet = registry.run(&quiet_args).await?.ok();
    assert_eq!(quiet.stdout, format!("{raw_id}\n"));

    let cleaned = registry
        .run(&[
            "--output",
            "json",
            "dataset",
            "register",
            "--name",
            "cleaned",
            "--version",
            "1",
            "--digest",
            &digest_of("cleaned"),
            "--parent",
            &raw_id,
            "--source",
            "human",
        ])
        .await?
        .ok()
        .json()?;
    // A default value (false) is left out, as the mapping writes it.
    assert!(cleaned.get("alreadyExisted").is_none(), "{cleaned}");
    assert_eq!(
        cleaned["dataset"]["sources"][0]["kind"],
        "SOURCE_KIND_DATASET"
    );
    let cleaned_id = cleaned["dataset"]["id"]
        .as_str()
        .ok_or("no id in the JSON answer")?
        .to_owned();

    let instruct = registry
        .run(&[
            "--output",
            "json",
            "dataset",
            "register",
            "--name",
            "instruct",
            "--version",
            "1",
            "--digest",
            &digest_of("instruct"),
            "--parent",
            &cleaned_id,
            "--source",
            "model=deepseek-ai/DeepSeek-R1@0528",
        ])
        .await?
        .ok()
        .json()?;
    let instruct_id = instruct["dataset"]["id"]
        .as_str()
        .ok_or("no id in the JSON answer")?
        .to_owned();
    assert_eq!(
        instruct["dataset"]["sources"][1]["model"]["modelId"],
        "deepseek-ai/DeepSeek-R1"
    );

    // ----- lineage -------------------------------------------------------------------------------
    let tree = registry.run(&["lineage", "show", &instruct_id]).await?.ok();
    let lines: Vec<&str> = tree.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "three datasets and a summary:\n{}",
        tree.stdout
    );
    for (line, (name, id)) in lines.iter().zip([
        ("instruct@1", &instruct_id),
        ("cleaned@1", &cleaned_id),
        ("raw-crawl@2026-01", &raw_id),
    ]) {
        assert!(line.contains(name) && line.contains(id.as_str()), "{line}");
    }
    assert!(indentation(lines[0]) < indentation(lines[1]));
    assert!(indentation(lines[1]) < indentation(lines[2]));
    assert!(lines[3].starts_with("3 dataset(s)"), "{}", lines[3]);

    let down = registry
        .run(&[
            "lineage",
            "show",
            &raw_id,
            "--downstream",
            "--format",
            "json",
        ])
        .await?
        .ok()
        .json()?;
    let names: Vec<&str> = down["nodes"]
        .as_array()
        .ok_or("no nodes")?
        .iter()
        .filter_map(|n| n["dataset"]["name"].as_str())
        .collect();
    assert_eq!(names, ["raw-crawl", "cleaned", "instruct"]);
    assert_eq!(down["datasetId"], raw_id.as_str());
    assert_eq!(down["direction"], "LINEAGE_DIRECTION_DOWNSTREAM");

    let shallow = registry
        .run(&["lineage", "show", &instruct_id, "--max-depth", "1"])
        .await?
        .ok();
    assert!(!shallow.stdout.contains("raw-crawl"), "{}", shallow.stdout);

    // ----- reading -------------------------------------------------------------------------------
    let got = registry.run(&["dataset", "get", &cleaned_id]).await?.ok();
    assert!(
        got.stdout
            .starts_with(&format!("id:           {cleaned_id}"))
    );
    assert!(got.stdout.contains(&digest_of("cleaned")));
    assert!(got.stdout.contains(&format!("dataset {raw_id}")));

    // A page size of one makes `--all` follow two page tokens.
    let listed = registry
        .run(&["dataset", "list", "--all", "--page-size", "1"])
        .await?
        .ok();
    let rows: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{}", listed.stdout);
    assert!(rows[0].contains("raw-crawl@2026-01") && rows[0].starts_with(&raw_id));
    assert!(rows[1].contains("cleaned@1"));
    assert!(rows[2].contains("instruct@1"));

    let one_page = registry
        .run(&["dataset", "list", "--page-size", "2"])
        .await?
        .ok();
    assert_eq!(one_page.stdout.lines().count(), 2);
    assert!(
        one_page.stderr.contains("--page-token"),
        "{}",
        one_page.stderr
    );

    let events = registry.run(&["events", "list"]).await?.ok();
    assert!(events.stdout.contains("organization.created"));
    assert!(events.stdout.contains("dataset.registered"));
    assert!(events.stdout.contains(&format!("datasets/{instruct_id}")));

    let org = registry
        .run(&["--output", "json", "org", "get"])
        .await?
        .ok()
        .json()?;
    assert_eq!(org["name"], "Acme");

    // ----- a second token, with less power -------------------------------------------------------
    let created = registry
        .run(&["token", "create", "--role", "auditor", "--subject", "ci"])
        .await?
        .ok();
    let auditor_token = created.stdout.trim_end_matches('\n');
    assert_eq!(auditor_token.lines().count(), 1, "only the token on stdout");
    assert!(!auditor_token.is_empty());
    let denied = registry
        .run_with(
            Some(auditor_token),
            &[
                "dataset",
                "register",
                "--name",
                "x",
                "--version",
                "1",
                "--digest",
                &raw_digest,
            ],
        )
        .await?
        .expect_code(4);
    assert!(
        denied.stderr.contains("permission denied"),
        "{}",
        denied.stderr
    );
    registry
        .run_with(Some(auditor_token), &["dataset", "get", &raw_id])
        .await?
        .ok();

    // ----- failures scripts can tell apart -------------------------------------------------------
    let bad_digest = registry
        .run(&[
            "dataset",
            "register",
            "--name",
            "bad",
            "--version",
            "1",
            "--digest",
            "md5:abc",
        ])
        .await?
        .expect_code(5);
    assert!(
        bad_digest.stderr.contains("content_digest"),
        "{}",
        bad_digest.stderr
    );

    let no_token = registry
        .run_with(None, &["dataset", "get", &raw_id])
        .await?
        .expect_code(4);
    assert!(
        no_token.stderr.contains("PROVENANCE_TOKEN"),
        "{}",
        no_token.stderr
    );

    let refused = registry
        .run_with(Some("not-a-jwt"), &["dataset", "get", &raw_id])
        .await?
        .expect_code(4);
    assert!(
        refused.stderr.contains("refused the access token"),
        "{}",
        refused.stderr
    );

    let missing = registry
        .run(&["dataset", "get", "0193a5b0-7e1f-7c3a-9d2e-5f6a7b8c9d0e"])
        .await?
        .expect_code(3);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);

    registry
        .run(&["dataset", "get", "not-an-id"])
        .await?
        .expect_code(2);

    let taken = registry
        .run(&[
            "dataset",
            "register",
            "--name",
            "raw-crawl",
            "--version",
            "2026-01",
            "--digest",
            &digest_of("something else"),
        ])
        .await?
        .expect_code(5);
    assert!(taken.stderr.contains("already exists"), "{}", taken.stderr);

    registry.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_streams_json_lines() -> TestResult {
    let registry = Registry::start().await?;
    let mut command = provctl(
        &registry.url,
        Some(&registry.admin_token),
        &["--output", "json", "events", "watch"],
    );
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    let first_line = tokio::task::spawn_blocking(move || -> TestResult<String> {
        let mut child = command.spawn()?;
        let line = match child.stdout.take() {
            Some(stdout) => {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line)?;
                line
            }
            None => String::new(),
        };
        // The watch runs until interrupted; this test is done with it.
        child.kill()?;
        child.wait()?;
        Ok(line)
    })
    .await??;
    let event: Value = serde_json::from_str(&first_line)?;
    assert_eq!(event["sequence"], "1");
    assert_eq!(event["type"], "organization.created");
    assert_eq!(event["payload"]["name"], "Acme");
    registry.stop().await?;
    Ok(())
}

#[tokio::test]
async fn unreachable_server_exits_with_6() -> TestResult {
    // Bind, then drop, to find a port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let command = provctl(
        &format!("http://127.0.0.1:{port}"),
        Some("any"),
        &["org", "get"],
    );
    let run = Run::from(tokio::task::spawn_blocking(move || run_to_end(command)).await??);
    let run = run.expect_code(6);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert!(run.stderr.contains("PROVENANCE_URL"), "{}", run.stderr);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_gate() -> TestResult {
    let registry = Registry::start().await?;

    // ----- the built-in policy -------------------------------------------------------------------
    let policies = registry.run(&["policy", "list"]).await?.ok();
    assert!(
        policies
            .stdout
            .lines()
            .any(|l| l.starts_with("deepseek-r1-anti-distillation ") && l.contains("(built in)")),
        "{}",
        policies.stdout
    );
    let policy = registry
        .run(&["policy", "get", "deepseek-r1-anti-distillation"])
        .await?
        .ok();
    for expected in [
        "clause:         You will not use the Model",
        "clause sha256:  9c56576a2fdb18041d76077bb5fa3cc7544b14e2ae231eabbf233950f7c9cd8e",
        "record:       CA-P-012027",
        "canonical:    deepseek-r1",
        "exempt:         DeepSeek-R1 and its derivatives",
    ] {
        assert!(
            policy.stdout.contains(expected),
            "{expected}\n{}",
            policy.stdout
        );
    }
    let unknown = registry
        .run(&["policy", "get", "no-such-policy"])
        .await?
        .expect_code(3);
    assert!(
        unknown.stderr.contains("provctl policy list"),
        "{}",
        unknown.stderr
    );

    // ----- a chain reaching DeepSeek-R1's outputs: r1-out <- child <- grandchild ----------------
    let r1 = register(&registry, "r1-out", &["model=deepseek-ai/DeepSeek-R1"]).await?;
    let child = register(&registry, "child", &[&format!("dataset={r1}")]).await?;
    let grandchild = register(&registry, "grandchild", &[&format!("dataset={child}")]).await?;

    let verdict = registry
        .run(&["policy", "evaluate", &grandchild])
        .await?
        .expect_code(7);
    let lines: Vec<&str> = verdict.stdout.lines().collect();
    assert_eq!(lines[0], "CONTAMINATED", "{}", verdict.stdout);
    let path = lines
        .iter()
        .position(|l| l.trim() == "grandchild@1 > child@1 > r1-out@1")
        .ok_or_else(|| format!("no path of three names:\n{}", verdict.stdout))?;
    let reason = lines[path + 1];
    assert!(
        reason.contains("deepseek-ai/DeepSeek-R1")
            && reason.contains("\"deepseek-r1\"")
            && reason.contains(&r1),
        "{reason}"
    );
    assert!(verdict.stdout.contains("closure:      3 dataset(s)"));

    let json = registry
        .run(&["--output", "json", "policy", "evaluate", &grandchild])
        .await?
        .expect_code(7)
        .json()?;
    assert_eq!(json["verdict"], "VERDICT_CONTAMINATED");
    assert_eq!(json["offenderCount"], 1);
    assert_eq!(json["offenders"][0]["path"][2]["datasetId"], r1.as_str());

    // The owner cannot attest what its own lineage contradicts.
    let refused = registry
        .run(&[
            "attest",
            "record",
            &grandchild,
            "--method",
            "manual-review",
            "--evidence",
            &evidence_of("grandchild"),
            "--statement",
            "no DeepSeek-R1 output",
        ])
        .await?
        .expect_code(5);
    assert!(refused.stderr.contains(&r1), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("provctl policy evaluate"),
        "{}",
        refused.stderr
    );

    // Training DeepSeek-R1's own derivative with its outputs is allowed.
    let exempt = registry
        .run(&[
            "policy",
            "evaluate",
            &grandchild,
            "--target",
            "DeepSeek-R1-Distill-Qwen-7B",
        ])
        .await?
        .ok();
    assert!(exempt.stdout.starts_with("EXEMPT\n"), "{}", exempt.stdout);
    assert!(exempt.stdout.contains("exemption:"), "{}", exempt.stdout);

    // ----- a clean chain: base <- derived ---------------------------------------------------------
    let base = register(&registry, "base", &["human"]).await?;
    let derived = register(&registry, "derived", &[&format!("dataset={base}")]).await?;

    let unattested = registry
        .run(&["policy", "evaluate", &derived])
        .await?
        .expect_code(8);
    assert!(unattested.stdout.starts_with("INCOMPLETE\n"));
    assert!(unattested.stdout.contains("missing attestations: 2"));
    assert!(unattested.stdout.contains(&format!("base@1  {base}")));

    let mut attestations = Vec::new();
    for (id, name) in [(&base, "base"), (&derived, "derived")] {
        let recorded = registry
            .run(&[
                "attest",
                "record",
                id,
                "-q",
                "--method",
                "process-audit",
                "--evidence",
                &evidence_of(name),
                "--statement",
                "written by our annotators; no model output",
            ])
            .await?
            .ok();
        attestations.push(recorded.stdout.trim().to_owned());
    }
    let clean = registry.run(&["policy", "evaluate", &derived]).await?.ok();
    assert!(clean.stdout.starts_with("CLEAN\n"), "{}", clean.stdout);
    for id in &attestations {
        assert!(clean.stdout.contains(id.as_str()), "{}", clean.stdout);
    }
    assert!(clean.stdout.contains("closure:      2 dataset(s)"));

    let shown = registry
        .run(&["attest", "get", &attestations[0]])
        .await?
        .ok();
    assert!(shown.stdout.contains("method:       process-audit"));
    assert!(shown.stdout.contains("valid:        yes"));
    let listed = registry
        .run(&["attest", "list", "--dataset", &base, "--all"])
        .await?
        .ok();
    assert_eq!(listed.stdout.lines().count(), 1, "{}", listed.stdout);
    let ours = registry.run(&["attest", "list"]).await?.ok();
    assert_eq!(ours.stdout.lines().count(), 2, "{}", ours.stdout);

    // ----- the owner reports the clean parent contaminated ---------------------------------------
    let report = registry
        .run(&[
            "dataset",
            "report",
            &base,
            "--statement",
            "annotators pasted DeepSeek-R1 answers",
            "--evidence",
            "https://example.org/audit/42",
        ])
        .await?
        .ok();
    assert!(
        report.stdout.contains("effective:    yes"),
        "{}",
        report.stdout
    );
    let report_id = report
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("id:")
        .trim()
        .to_owned();
    let got = registry.run(&["dataset", "get", &base]).await?.ok();
    assert!(got.stdout.contains("contaminated: yes"), "{}", got.stdout);
    assert!(got.stdout.contains(&report_id), "{}", got.stdout);
    assert!(got.stdout.contains("https://example.org/audit/42"));

    let reported = registry
        .run(&["policy", "evaluate", &derived])
        .await?
        .expect_code(7);
    assert!(reported.stdout.starts_with("CONTAMINATED\n"));
    assert!(
        reported.stdout.contains("derived@1 > base@1"),
        "{}",
        reported.stdout
    );
    assert!(
        reported.stdout.contains("reported contaminated"),
        "{}",
        reported.stdout
    );

    // ----- revoking, and flags refused before any call --------------------------------------------
    let revoked = registry
        .run(&[
            "attest",
            "revoke",
            &attestations[1],
            "--reason",
            "its parent was reported contaminated",
        ])
        .await?
        .ok();
    assert!(
        revoked.stdout.contains("valid:        no"),
        "{}",
        revoked.stdout
    );
    registry
        .run(&[
            "attest",
            "record",
            &base,
            "--method",
            "manual-review",
            "--evidence",
            "https://example.org/no-digest",
            "--statement",
            "x",
        ])
        .await?
        .expect_code(2);

    registry.stop().await?;
    Ok(())
}
