//! `provctl attest record` covering several policies and declaring a purpose: the request forms,
//! what is printed, and how a later evaluation judges by it.

mod common;

use common::{Registry, TestResult, evidence_of, register};

const OPENAI: &str = "openai-terms-of-use";
const LLAMA_2: &str = "llama-2-community-license";

/// `provctl attest record DATASET ...` with `extra` flags.
async fn record(registry: &Registry, dataset: &str, extra: &[&str]) -> TestResult<common::Run> {
    let evidence = evidence_of(dataset);
    let mut args = vec![
        "attest",
        "record",
        dataset,
        "--method",
        "manual-review",
        "--evidence",
        &evidence,
        "--statement",
        "reviewed",
    ];
    args.extend_from_slice(extra);
    registry.run(&args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_attestation_covers_several_policies_and_declares_a_purpose() -> TestResult {
    let registry = Registry::start().await?;
    let raw = register(&registry, "gpt-raw", &["model=gpt-4o-2024-08-06"]).await?;
    let answers = register(&registry, "gpt-answers", &[&format!("dataset={raw}")]).await?;
    record(&registry, &raw, &["-q", "--policy", OPENAI])
        .await?
        .ok();

    let printed = record(
        &registry,
        &answers,
        &[
            "--policy",
            OPENAI,
            "--policy",
            LLAMA_2,
            "--purpose",
            "non-competing",
        ],
    )
    .await?
    .ok();
    assert!(
        printed
            .stdout
            .lines()
            .any(|l| l.starts_with("policies:") && l.contains(OPENAI) && l.contains(LLAMA_2)),
        "{}",
        printed.stdout
    );
    assert!(
        printed.stdout.contains("purpose:      non-competing"),
        "{}",
        printed.stdout
    );

    // The evaluation declares nothing: the attestation's purpose is judged by.
    let clean = registry
        .run(&["policy", "evaluate", &answers, "--policy", OPENAI])
        .await?;
    assert_eq!(clean.code, Some(0), "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.starts_with("CLEAN"), "{}", clean.stdout);

    // `competing` names the competing purpose; the lineage is then contaminated.
    let competing = register(&registry, "gpt-rival", &[&format!("dataset={raw}")]).await?;
    let json = registry
        .run(&[
            "--output",
            "json",
            "attest",
            "record",
            &competing,
            "--method",
            "manual-review",
            "--evidence",
            &evidence_of(&competing),
            "--statement",
            "reviewed",
            "--policy",
            OPENAI,
            "--purpose",
            "competing",
        ])
        .await?
        .ok()
        .json()?;
    assert_eq!(json["declaredPurpose"], "PURPOSE_COMPETING_MODEL", "{json}");
    let contaminated = registry
        .run(&["policy", "evaluate", &competing, "--policy", OPENAI])
        .await?;
    assert_eq!(contaminated.code, Some(7), "{}", contaminated.stdout);

    // --all-policies covers every loaded policy.
    let everything = register(&registry, "plain", &[]).await?;
    let all = record(&registry, &everything, &["--all-policies"])
        .await?
        .ok();
    assert!(
        all.stdout
            .lines()
            .any(|l| l.starts_with("policies:") && l.matches(" version ").count() >= 10),
        "{}",
        all.stdout
    );
    Ok(())
}
