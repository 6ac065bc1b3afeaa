//! Wide and deep contaminated lineages, read by provctl as it is (no client options): every
//! answer and every refusal arrives whole, with its documented exit code. Answers once grew with
//! the lineage (a 1,000-deep chain's evaluation was 6 MB, a 40-shard mix's refusal 30 KB of
//! trailing metadata) and default clients reported protocol errors instead.

mod common;

use common::{Registry, TestResult, evidence_of};

const DISTILLED: &str = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B";

async fn attest(registry: &Registry, dataset: &str) -> TestResult<common::Run> {
    registry
        .run(&[
            "attest",
            "record",
            dataset,
            "--method",
            "manual-review",
            "--statement",
            "no DeepSeek-R1 output was used",
            "--evidence",
            &evidence_of("review"),
        ])
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_wide_mix_of_distilled_shards_is_refused_and_judged_whole() -> TestResult {
    let registry = Registry::start().await?;
    let mut shards = Vec::new();
    for i in 0..1000 {
        // Long names, so that a refusal listing them all would be far over every limit.
        let name = format!("shard-{i:04}-{}", "x".repeat(150));
        shards.push(registry.register_fast(&name, &[], &[DISTILLED]).await?);
    }
    let mix = registry.register_fast("mix", &shards, &[]).await?;

    let refused = attest(&registry, &mix).await?.expect_code(5);
    assert!(
        refused.stderr.contains("1000 offender(s) in all"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("EvaluateDataset"),
        "{}",
        refused.stderr
    );
    // The details name a few offenders, one per line.
    let named = refused
        .stderr
        .matches("\n  - RESTRICTED_MODEL_OUTPUT ")
        .count();
    assert!((1..=5).contains(&named), "{}", refused.stderr);

    let judged = registry
        .run(&["--output", "json", "policy", "evaluate", &mix])
        .await?
        .expect_code(7);
    let evaluation = judged.json()?;
    assert_eq!(evaluation["offenderCount"], 1000);
    assert_eq!(evaluation["offenders"].as_array().map(Vec::len), Some(100));
    assert_eq!(evaluation["verdict"], "VERDICT_CONTAMINATED");
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ten_thousand_deep_chain_over_a_wide_contaminated_root_is_refused_and_judged_whole()
-> TestResult {
    let registry = Registry::start().await?;
    let models = vec![DISTILLED; 120];
    let root = registry.register_fast("root", &[], &models).await?;
    let mut top = root.clone();
    for level in 0..10_000 {
        top = registry
            .register_fast(&format!("level-{level:05}"), &[top], &[])
            .await?;
    }

    let judged = registry
        .run(&["--output", "json", "policy", "evaluate", &top])
        .await?
        .expect_code(7);
    let evaluation = judged.json()?;
    assert_eq!(evaluation["offenderCount"], 120);
    assert_eq!(evaluation["closureSize"], 10_001);
    let offenders = evaluation["offenders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(offenders.len(), 100);
    for offender in &offenders {
        assert_eq!(offender["pathLength"], 10_001);
        assert_eq!(offender["path"].as_array().map(Vec::len), Some(6));
    }
    // In text, the datasets left out of a path are counted where they stood.
    let text = registry
        .run(&["policy", "evaluate", &top])
        .await?
        .expect_code(7);
    assert!(
        text.stdout.contains("level-09999@1 > level-09998@1 > level-09997@1 > (9995 more dataset(s)) > level-00001@1 > level-00000@1 > root@1"),
        "{}",
        text.stdout
    );

    let refused = attest(&registry, &top).await?.expect_code(5);
    assert!(
        refused.stderr.contains("120 offender(s) in all"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("(9999 dataset(s) between)"),
        "{}",
        refused.stderr
    );
    // The root itself: one dataset, 120 restricted sources.
    attest(&registry, &root).await?.expect_code(5);
    let root_judged = registry
        .run(&["--output", "json", "policy", "evaluate", &root])
        .await?
        .expect_code(7);
    assert_eq!(root_judged.json()?["offenderCount"], 120);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_of_a_1500_dataset_clean_lineage_is_issued_and_verifies_online_and_offline()
-> TestResult {
    let registry = Registry::start().await?;
    let mut parts = Vec::new();
    for i in 0..1500 {
        let part = registry
            .register_fast(&format!("part-{i:04}"), &[], &[])
            .await?;
        registry.attest_fast(&part).await?;
        parts.push(part);
    }
    // At most 1000 sources a dataset: two halves, then the mix of both.
    let mut halves = Vec::new();
    for (i, half) in parts.chunks(750).enumerate() {
        let half = registry
            .register_fast(&format!("half-{i}"), half, &[])
            .await?;
        registry.attest_fast(&half).await?;
        halves.push(half);
    }
    let mix = registry.register_fast("mix", &halves, &[]).await?;
    registry.attest_fast(&mix).await?;

    let dir = tempfile::tempdir()?;
    let cert = dir.path().join("cert.jws");
    let cert = cert.to_str().ok_or("path")?;
    let issued = registry
        .run(&["--output", "json", "cert", "issue", &mix, "--out", cert])
        .await?
        .ok()
        .json()?;
    let token = issued["token"].as_str().unwrap_or_default().to_owned();
    // The claims list 1000 members and 1000 attestations, and count them all.
    assert!(token.len() < 128 * 1024, "{} bytes", token.len());
    let claims = &issued["claims"];
    assert_eq!(claims["lineage"]["size"], 1503);
    assert_eq!(
        claims["lineage"]["members"].as_array().map(Vec::len),
        Some(1000)
    );
    assert_eq!(claims["attestations"].as_array().map(Vec::len), Some(1000));
    assert_eq!(claims["attestation_count"], 1503);
    let online = registry
        .run_with(None, &["cert", "verify", cert])
        .await?
        .ok();
    assert!(online.stdout.starts_with("VALID\n"), "{}", online.stdout);
    let jwks = dir.path().join("jwks.json");
    let jwks = jwks.to_str().ok_or("path")?;
    registry
        .run_with(None, &["cert", "keys", "--out", jwks])
        .await?
        .ok();
    let offline =
        common::run_without_network(&["cert", "verify", cert, "--offline", "--jwks", jwks])
            .await?
            .ok();
    assert!(offline.stdout.starts_with("VALID ("), "{}", offline.stdout);
    registry.stop().await
}
