//! `provctl policy evaluate` under several policies at once: the matrix, its paths and obligations,
//! the worst verdict's exit code, and the JSON answer.

mod common;

use common::{Registry, TestResult, evidence_of, path_str, register, run_without_network};

const LLAMA_2: &str = "llama-2-community-license";
const LLAMA_3_1: &str = "llama-3.1-community-license";

/// Attests `dataset` under `policy`.
async fn attest(registry: &Registry, dataset: &str, policy: &str) -> TestResult {
    registry
        .run(&[
            "attest",
            "record",
            dataset,
            "-q",
            "--policy",
            policy,
            "--method",
            "manual-review",
            "--evidence",
            &evidence_of(dataset),
            "--statement",
            "reviewed",
        ])
        .await?
        .ok();
    Ok(())
}

/// The matrix row of `policy`, split into its cells.
fn row<'a>(stdout: &'a str, policy: &str) -> TestResult<Vec<&'a str>> {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(policy))
        .ok_or_else(|| format!("no row for {policy} in\n{stdout}"))?;
    Ok(line.split_whitespace().collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_policies_print_a_matrix_and_exit_with_the_worst_verdict() -> TestResult {
    let registry = Registry::start().await?;
    // Llama 3.1 dialogues, attested under the Llama 3.1 licence and the Llama 2 one.
    let dialogues = register(
        &registry,
        "dialogues",
        &["model=meta-llama/Llama-3.1-8B-Instruct"],
    )
    .await?;
    for policy in [LLAMA_3_1, LLAMA_2] {
        attest(&registry, &dialogues, policy).await?;
    }
    let both = registry
        .run(&[
            "policy",
            "evaluate",
            &dialogues,
            "--policy",
            LLAMA_3_1,
            "--policy",
            LLAMA_2,
            "--target",
            "Llama-3.1-Acme-8B",
        ])
        .await?
        .ok();
    let lines: Vec<&str> = both.stdout.lines().collect();
    assert_eq!(lines[0], "CLEAN", "{}", both.stdout);
    let llama = row(&both.stdout, LLAMA_3_1)?;
    assert_eq!(llama[2..], ["CLEAN", "0", "0", "NAME_PREFIX", "MET"]);
    assert_eq!(row(&both.stdout, LLAMA_2)?[2..], ["CLEAN", "0", "0", "-"]);
    // The policy that brings an obligation is shown in full, with the path to the outputs.
    assert!(
        both.stdout.contains(&format!("== {LLAMA_3_1} version ")),
        "{}",
        both.stdout
    );
    assert!(both.stdout.contains("obligation:   MET"), "{}", both.stdout);

    // Llama 2 outputs two steps up: CONTAMINATED under Llama 2 with its path, the worst verdict's
    // code (7) for the whole.
    let traces = register(
        &registry,
        "l2-traces",
        &["model=meta-llama/Llama-2-70b-chat-hf"],
    )
    .await?;
    let mix = register(&registry, "mix", &[&format!("dataset={traces}")]).await?;
    let matrix = registry
        .run(&["policy", "evaluate", &mix, "--all-policies"])
        .await?
        .expect_code(7);
    assert_eq!(matrix.stdout.lines().next(), Some("CONTAMINATED"));
    assert_eq!(row(&matrix.stdout, LLAMA_2)?[2..4], ["CONTAMINATED", "1"]);
    assert_eq!(
        row(&matrix.stdout, "deepseek-r1-anti-distillation")?[2..4],
        ["INCOMPLETE", "0"]
    );
    assert!(
        matrix.stdout.contains("mix@1 > l2-traces@1"),
        "{}",
        matrix.stdout
    );
    // Nothing contaminated, something not attested: INCOMPLETE's code (8).
    registry
        .run(&[
            "policy",
            "evaluate",
            &mix,
            "--policy",
            "deepseek-r1-anti-distillation",
            "--policy",
            LLAMA_3_1,
        ])
        .await?
        .expect_code(8);

    let json = registry
        .run(&[
            "--output",
            "json",
            "policy",
            "evaluate",
            &mix,
            "--all-policies",
        ])
        .await?
        .expect_code(7)
        .json()?;
    assert_eq!(json["verdict"], "VERDICT_CONTAMINATED");
    let each = json["policyEvaluations"]
        .as_array()
        .ok_or("no policyEvaluations")?;
    let llama_2 = each
        .iter()
        .find(|e| e["policyId"] == LLAMA_2)
        .ok_or("no Llama 2 evaluation")?;
    assert_eq!(llama_2["verdict"], "VERDICT_CONTAMINATED");
    assert_eq!(
        llama_2["offenders"][0]["path"][1]["datasetId"],
        traces.as_str()
    );

    // Bad lists are refused by the server, naming the field: exit code 3 (NOT_FOUND) for an
    // unknown policy, 5 (INVALID_ARGUMENT) for a repeat.
    let unknown = registry
        .run(&[
            "policy", "evaluate", &mix, "--policy", LLAMA_2, "--policy", "nope",
        ])
        .await?
        .expect_code(3);
    assert!(unknown.stderr.contains("policies[1]"), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("provctl policy list"),
        "{}",
        unknown.stderr
    );
    let repeated = registry
        .run(&[
            "policy", "evaluate", &mix, "--policy", LLAMA_2, "--policy", LLAMA_2,
        ])
        .await?
        .expect_code(5);
    assert!(
        repeated.stderr.contains("policies[1]"),
        "{}",
        repeated.stderr
    );
    // `--all-policies` with `--policy` is a usage error, caught before any call.
    registry
        .run(&[
            "policy",
            "evaluate",
            &mix,
            "--all-policies",
            "--policy",
            LLAMA_2,
        ])
        .await?
        .expect_code(2);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_covers_several_policies_and_verifies_each() -> TestResult {
    let registry = Registry::start().await?;
    let dialogues = register(
        &registry,
        "dialogues",
        &["model=meta-llama/Llama-3.1-8B-Instruct"],
    )
    .await?;
    for policy in [LLAMA_3_1, LLAMA_2] {
        attest(&registry, &dialogues, policy).await?;
    }
    let issue = |target: &'static str| {
        let dataset = dialogues.clone();
        let registry = &registry;
        async move {
            registry
                .run(&[
                    "cert",
                    "issue",
                    &dataset,
                    "--policy",
                    LLAMA_3_1,
                    "--policy",
                    LLAMA_2,
                    "--target-model",
                    target,
                ])
                .await
        }
    };
    // A model not named "Llama..." leaves the Llama 3.1 naming obligation unmet: refused (5),
    // naming the policy.
    let refused = issue("Acme-8B").await?.expect_code(5);
    assert!(refused.stderr.contains(LLAMA_3_1), "{}", refused.stderr);

    let issued = issue("Llama-3.1-Acme-8B").await?.ok();
    assert!(
        issued.stdout.contains("policies:     2 covered"),
        "{}",
        issued.stdout
    );
    let llama = issued
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{LLAMA_3_1}@")))
        .ok_or_else(|| format!("no row for {LLAMA_3_1} in\n{}", issued.stdout))?;
    let cells: Vec<&str> = llama.split_whitespace().collect();
    assert_eq!(
        cells[1..],
        ["naming_obligation", "CLEAN", "NAME_PREFIX", "MET"]
    );
    let token = issued
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("token:").map(str::trim))
        .ok_or_else(|| format!("no token in\n{}", issued.stdout))?;
    let verified = registry.run(&["cert", "verify", token]).await?.ok();
    assert!(
        verified.stdout.contains("policies") && verified.stdout.contains(LLAMA_2),
        "{}",
        verified.stdout
    );

    // `cert verify` prints the matrix as `cert issue` does, online and offline, with the policies
    // check passed; `cert render` shows it as a table.
    let dir = tempfile::tempdir()?;
    let cert_file = dir.path().join("cert.jws");
    let jwks_file = dir.path().join("jwks.json");
    let (cert, jwks) = (path_str(&cert_file)?, path_str(&jwks_file)?);
    std::fs::write(&cert_file, format!("{token}\n"))?;
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let offline = run_without_network(&["cert", "verify", cert, "--offline", "--jwks", jwks])
        .await?
        .ok();
    for text in [&verified.stdout, &offline.stdout] {
        let at = text
            .lines()
            .position(|l| l == "policies:     2 covered")
            .ok_or_else(|| format!("no matrix in\n{text}"))?;
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(at + 1)
            .take(2)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0][0].starts_with(&format!("{LLAMA_3_1}@")), "{text}");
        assert_eq!(
            rows[0][1..],
            ["naming_obligation", "CLEAN", "NAME_PREFIX", "MET"]
        );
        assert!(rows[1][0].starts_with(&format!("{LLAMA_2}@")), "{text}");
        assert_eq!(rows[1][1..], ["prohibition", "CLEAN"]);
        assert!(
            text.lines()
                .any(|l| l.starts_with("  pass  policies    2 policies: ")),
            "{text}"
        );
    }
    let html_file = dir.path().join("cert.html");
    registry
        .run(&["cert", "render", cert, "--out", path_str(&html_file)?])
        .await?
        .ok();
    let html = std::fs::read_to_string(&html_file)?;
    for needle in [
        "<caption class=\"note\">The 2 policies the certificate covers".to_owned(),
        format!("<tr><th scope=\"row\"><bdi>{LLAMA_2}</bdi></th>"),
        "<td>Naming obligation</td><td><strong>Clean</strong></td><td>name begins with “<bdi>Llama</bdi>”: met</td>".to_owned(),
        "(under the first of the 2 policies the certificate covers;".to_owned(),
    ] {
        assert!(html.contains(&needle), "missing {needle:?}");
    }
    registry.stop().await
}
