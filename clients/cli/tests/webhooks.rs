//! `provctl webhook ...`: every subcommand against a real server, in text and JSON. The endpoint
//! is paused at once, so its deliveries accumulate and nothing is sent anywhere.

mod common;

use common::{Registry, TestResult, field, register};
use provenance_registry::config::ServeSettings;

#[tokio::test]
async fn webhooks_are_managed_and_their_deliveries_listed_from_the_command_line() -> TestResult {
    let registry = Registry::start_with(ServeSettings {
        webhook_allow_loopback: true,
        ..ServeSettings::default()
    })
    .await?;
    let created = registry
        .run(&[
            "webhook",
            "create",
            "http://127.0.0.1:9/hook",
            "--event-type",
            "dataset.registered",
            "--description",
            "buyer",
        ])
        .await?
        .ok();
    let id = field(&created, "id")?;
    let secret = field(&created, "secret")?;
    assert!(secret.starts_with("whsec_"), "{}", created.stdout);
    assert_eq!(field(&created, "event types")?, "dataset.registered");

    let paused = registry.run(&["webhook", "pause", &id]).await?.ok();
    assert_eq!(field(&paused, "state")?, "paused");
    register(&registry, "hooked", &["human"]).await?;
    let deliveries = registry.run(&["webhook", "deliveries", &id]).await?.ok();
    let line = deliveries.stdout.lines().next().ok_or("no delivery")?;
    assert!(
        line.contains("dataset.registered pending attempts=0"),
        "{line}"
    );
    let sequence = line.split(' ').next().ok_or("no sequence")?.to_owned();
    let again = registry
        .run(&["webhook", "redeliver", &id, &sequence])
        .await?
        .ok();
    assert!(again.stdout.starts_with(&sequence), "{}", again.stdout);

    let typed = registry
        .run(&[
            "webhook",
            "set-types",
            &id,
            "--event-type",
            "certificate.revoked",
        ])
        .await?
        .ok();
    assert_eq!(field(&typed, "event types")?, "certificate.revoked");
    let rotated = registry
        .run(&["webhook", "rotate-secret", &id, "--grace", "1h"])
        .await?
        .ok();
    assert_ne!(field(&rotated, "secret")?, secret);
    assert_ne!(field(&rotated, "previous secret signs until")?, "-");

    let listed = registry.run(&["webhook", "list"]).await?.ok();
    assert!(
        listed
            .stdout
            .contains(&format!("{id} paused http://127.0.0.1:9/hook"))
    );
    let json = registry
        .run(&["--output", "json", "webhook", "get", &id])
        .await?
        .ok()
        .json()?;
    assert_eq!(json["state"], "WEBHOOK_STATE_PAUSED");
    let resumed = registry.run(&["webhook", "resume", &id]).await?.ok();
    assert_eq!(field(&resumed, "state")?, "active");

    registry.run(&["webhook", "delete", &id]).await?.ok();
    let gone = registry.run(&["webhook", "get", &id]).await?;
    assert_ne!(gone.code, Some(0), "{}", gone.stdout);
    assert!(gone.stderr.contains("not found"), "{}", gone.stderr);
    registry.stop().await
}
