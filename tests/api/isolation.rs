//! Organisation B never sees organisation A's private datasets: not by id, not in lists, not as a
//! parent, not in lineage, not in events.

use provenance_registry::proto::v1 as pb;
use tonic::Code;

use crate::helpers::*;

struct TwoOrgs {
    app: TestApp,
    secret: pb::Dataset,
    public: pb::Dataset,
    /// A's public dataset made from its private one.
    public_child: pb::Dataset,
    b_admin: String,
}

async fn two_orgs() -> TwoOrgs {
    let app = spawn_app().await;
    let secret = app.register(&app.admin, dataset("a-secret")).await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("a-public")
            },
        )
        .await;
    let public_child = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..derived("a-public-child", &[&secret, &public])
            },
        )
        .await;
    let (_, b_admin) = app.other_org("Globex").await;
    TwoOrgs {
        app,
        secret,
        public,
        public_child,
        b_admin,
    }
}

#[tokio::test]
async fn another_organisation_cannot_read_or_list_a_private_dataset_but_sees_public_ones() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let hidden = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: t.secret.id.clone(),
            },
        ))
        .await;
    let absent = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await;
    assert_eq!(hidden.unwrap_err().code(), Code::NotFound);
    assert_eq!(absent.unwrap_err().code(), Code::NotFound);

    let listed: Vec<_> = t
        .app
        .all_datasets(&b)
        .await
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(listed, ["a-public", "a-public-child"]);
    let filtered = t
        .app
        .datasets()
        .list_datasets(authed(
            &b,
            pb::ListDatasetsRequest {
                name: "a-secret".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(filtered.datasets.is_empty());
}

#[tokio::test]
async fn another_organisation_cannot_use_a_private_dataset_as_a_parent_but_may_use_a_public_one() {
    let t = two_orgs().await;
    let before = t.app.snapshot().await;
    let status = assert_status(
        t.app
            .datasets()
            .register_dataset(authed(&t.b_admin, derived("stolen", &[&t.secret])))
            .await,
        Code::NotFound,
        "sources[0].dataset_id",
    );
    // The refusal reads exactly like the one for a dataset that does not exist.
    let missing = uuid::Uuid::now_v7().to_string();
    let absent = t
        .app
        .datasets()
        .register_dataset(authed(
            &t.b_admin,
            crate::datasets::derived_from_ids("stolen", &[&missing]),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        status.message().replace(&t.secret.id, "ID"),
        absent.message().replace(&missing, "ID")
    );
    assert_eq!(t.app.snapshot().await, before);

    t.app
        .register(&t.b_admin, derived("built-on-public", &[&t.public]))
        .await;
}

#[tokio::test]
async fn lineage_counts_what_another_organisation_may_not_see_and_never_shows_it() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let up = t
        .app
        .lineage()
        .get_lineage(authed(
            &b,
            pb::GetLineageRequest {
                dataset_id: t.public_child.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let shown: Vec<_> = up
        .nodes
        .iter()
        .map(|n| n.dataset.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(shown, ["a-public-child", "a-public"]);
    assert_eq!((up.total_count, up.hidden_count), (2, 1));
    assert_eq!(up.nodes[0].next_ids, [t.public.id.as_str()]);
    assert_eq!(up.nodes[0].hidden_next_count, 1);
    let json = format!("{up:?}");
    assert!(
        !json.contains(&t.secret.id) && !json.contains("a-secret"),
        "the hidden dataset leaked"
    );
    // The public child's record names its private parent to its owner only.
    let seen_by_b = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: t.public_child.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        seen_by_b.sources[0],
        pb::Source {
            kind: pb::SourceKind::Dataset as i32,
            parent_hidden: true,
            ..Default::default()
        }
    );
    assert_eq!(seen_by_b.sources[1], t.public_child.sources[1]);
    let seen_by_owner = t
        .app
        .datasets()
        .get_dataset(authed(
            &t.app.admin,
            pb::GetDatasetRequest {
                id: t.public_child.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen_by_owner.sources[0].dataset_id, t.secret.id);
    // Its owner sees everything.
    let owner = t
        .app
        .lineage()
        .get_lineage(authed(
            &t.app.admin,
            pb::GetLineageRequest {
                dataset_id: t.public_child.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((owner.total_count, owner.hidden_count), (3, 0));
    // Walking from the private dataset itself is refused as not found.
    assert_status(
        t.app
            .lineage()
            .get_lineage(authed(
                &b,
                pb::GetLineageRequest {
                    dataset_id: t.secret.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
}

#[tokio::test]
async fn events_show_another_organisation_only_what_is_public() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let events = t.app.all_events(&b).await;
    let text = format!("{events:?}");
    assert!(
        !text.contains(&t.secret.id),
        "a private dataset's id leaked through events"
    );
    assert!(
        !text.contains(&t.app.org_id)
            || events
                .iter()
                .all(|e| e.public || e.organization_id != t.app.org_id)
    );
    let public_subjects: Vec<_> = events
        .iter()
        .filter(|e| e.r#type == "dataset.registered")
        .map(|e| e.subject.clone())
        .collect();
    assert_eq!(
        public_subjects,
        [
            format!("datasets/{}", t.public.id),
            format!("datasets/{}", t.public_child.id)
        ]
    );
    // B's own organisation and token events are there; A's tokens are not.
    assert!(
        events
            .iter()
            .all(|e| e.public || !e.organization_id.is_empty())
    );
}
