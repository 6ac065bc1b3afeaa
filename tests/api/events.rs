//! The event log: one event per mutation, hash-linked, listed and watched within visibility.

use provenance_registry::proto::v1 as pb;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_stream::StreamExt;

use crate::helpers::*;

/// Recomputes an event's hash from its fields exactly as `event.proto` documents it, without the
/// server's code, so that the documentation and the implementation are checked against each other.
fn documented_hash(event: &pb::Event) -> String {
    fn canonical(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let body: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                    .collect();
                format!("{{{}}}", body.join(","))
            }
            Value::Array(items) => format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            ),
            other => other.to_string(),
        }
    }
    let time = event.time.as_ref().unwrap();
    let time = chrono::DateTime::from_timestamp(time.seconds, time.nanos as u32)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let entry = serde_json::json!({
        "organization_id": event.organization_id,
        "payload": serde_json::from_str::<Value>(&event.payload_json).unwrap(),
        "public": event.public,
        "sequence": event.sequence,
        "subject": event.subject,
        "time": time,
        "type": event.r#type,
    });
    let mut hasher = Sha256::new();
    hasher.update(hex::decode(&event.prev_hash).unwrap());
    hasher.update(canonical(&entry).as_bytes());
    hex::encode(hasher.finalize())
}

/// Checks the whole chain as an outside auditor would.
pub fn assert_chain_verifies(events: &[pb::Event]) {
    let mut previous = "0".repeat(64);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(
            event.sequence,
            i as u64 + 1,
            "sequence numbers have no gaps"
        );
        assert_eq!(
            event.prev_hash, previous,
            "event {} links to its predecessor",
            event.sequence
        );
        assert_eq!(
            event.hash,
            documented_hash(event),
            "event {} hash recomputes",
            event.sequence
        );
        previous = event.hash.clone();
    }
}

#[tokio::test]
async fn every_mutation_appends_one_event_and_the_chain_recomputes_from_the_payloads() {
    let app = spawn_app().await;
    let created = app
        .orgs()
        .create_organization(authed(
            &app.operator,
            pb::CreateOrganizationRequest {
                name: "Globex".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let token = app
        .orgs()
        .create_access_token(authed(
            &app.admin,
            pb::CreateAccessTokenRequest {
                role: 2,
                subject: "ci".into(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let token_id = token.info.unwrap().id;
    let raw = app.register(&token.token, dataset("raw")).await;
    let derived = app.register(&token.token, derived("clean", &[&raw])).await;
    app.orgs()
        .revoke_access_token(authed(
            &app.admin,
            pb::RevokeAccessTokenRequest {
                id: token_id.clone(),
            },
        ))
        .await
        .unwrap();

    let events = app.all_events(&app.operator).await;
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.r#type.as_str(), e.subject.as_str()))
        .collect();
    let expected_tail = [
        (
            "organization.created",
            format!("organizations/{}", created.id),
        ),
        ("access_token.created", format!("access_tokens/{token_id}")),
        ("dataset.registered", format!("datasets/{}", raw.id)),
        ("dataset.registered", format!("datasets/{}", derived.id)),
        ("access_token.revoked", format!("access_tokens/{token_id}")),
    ];
    let tail: Vec<(String, String)> = kinds[kinds.len() - 5..]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(tail, expected_tail.map(|(a, b)| (a.to_owned(), b)));
    assert_chain_verifies(&events);

    // The registration event carries the whole record, sources included, and never a token.
    let payload: Value = serde_json::from_str(&events[events.len() - 2].payload_json).unwrap();
    assert_eq!(payload["content_digest"], derived.content_digest);
    assert_eq!(payload["sources"][0]["dataset_id"], raw.id);
    assert!(
        events
            .iter()
            .all(|e| !e.payload_json.contains(&token.token))
    );
}

#[tokio::test]
async fn listing_resumes_after_a_sequence_and_pages_in_order() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.register(&app.admin, dataset(&format!("d{i}"))).await;
    }
    let all = app.all_events(&app.admin).await;
    let after = all[2].sequence;
    let client = app.events();
    let paged = all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::ListEventsRequest {
            after_sequence: after,
            page_size: 2,
            page_token,
        };
        let admin = app.admin.clone();
        async move {
            let page = client
                .list_events(authed(&admin, request))
                .await
                .unwrap()
                .into_inner();
            (page.events, page.next_page_token)
        }
    })
    .await;
    assert_eq!(paged, all[3..].to_vec());
}

#[tokio::test]
async fn a_watch_replays_the_log_then_follows_new_events_live_and_resumes_from_a_sequence() {
    let app = spawn_app().await;
    app.register(&app.admin, dataset("before")).await;
    let existing = app.all_events(&app.admin).await;

    let mut watch = app
        .events()
        .watch_events(authed(
            &app.admin,
            pb::WatchEventsRequest { after_sequence: 0 },
        ))
        .await
        .unwrap()
        .into_inner();
    for expected in &existing {
        assert_eq!(&watch.next().await.unwrap().unwrap(), expected);
    }
    let live = app.register(&app.admin, dataset("live")).await;
    let event = watch.next().await.unwrap().unwrap();
    assert_eq!(event.subject, format!("datasets/{}", live.id));

    let mut resumed = app
        .events()
        .watch_events(authed(
            &app.admin,
            pb::WatchEventsRequest {
                after_sequence: existing.last().unwrap().sequence,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resumed.next().await.unwrap().unwrap(), event);
}

#[tokio::test]
async fn a_watch_by_another_organisation_skips_private_events() {
    let app = spawn_app().await;
    let (_, b_admin) = app.other_org("Globex").await;
    let start = app.all_events(&app.operator).await.last().unwrap().sequence;
    let mut watch = app
        .events()
        .watch_events(authed(
            &b_admin,
            pb::WatchEventsRequest {
                after_sequence: start,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    app.register(&app.admin, dataset("private")).await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("public")
            },
        )
        .await;
    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(
        first.subject,
        format!("datasets/{}", public.id),
        "the private registration was skipped"
    );
}

#[tokio::test]
async fn watchers_beyond_the_configured_bound_are_refused_as_resource_exhausted() {
    let settings = provenance_registry::config::ServeSettings {
        max_watchers: 1,
        ..Default::default()
    };
    let app = spawn_app_with(settings).await;
    let mut first = app
        .events()
        .watch_events(authed(&app.admin, pb::WatchEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    first.next().await.unwrap().unwrap();
    let status = app
        .events()
        .watch_events(authed(&app.admin, pb::WatchEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("watchers"));
}
