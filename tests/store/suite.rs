//! The behaviours, each an async function over `Arc<dyn Store>`.

use std::sync::Arc;

use chrono::Utc;
use provenance_registry::domain::access::{AccessTokenRecord, Organization, Role};
use provenance_registry::domain::attestation::{Attestation, Evidence, Method};
use provenance_registry::domain::certificate::CertificateRecord;
use provenance_registry::domain::dataset::{ModelRef, NewDataset, Source, SourceKind, Visibility};
use provenance_registry::domain::digest::ContentDigest;
use provenance_registry::domain::evaluation::{ClosureGraph, SharedClosure, Verdict};
use provenance_registry::domain::event::{ChainHead, NewEvent, truncate_to_micros, verify_chain};
use provenance_registry::domain::lineage::Direction;
use provenance_registry::domain::policy::Purpose;
use provenance_registry::domain::registration::{Pending, Registration};
use provenance_registry::error::Error;
use provenance_registry::store::{
    AttestationQuery, CertificateInsert, DatasetQuery, OrganizationQuery, Store, Viewer,
};
use uuid::Uuid;

fn event(kind: &'static str, org: Option<Uuid>) -> NewEvent {
    NewEvent {
        event_type: kind,
        subject: format!("test/{}", Uuid::now_v7()),
        organization_id: org,
        public: false,
        payload: serde_json::json!({"n": 1}),
    }
}

async fn organization(store: &Arc<dyn Store>, name: &str) -> Uuid {
    let org = Organization {
        id: Uuid::now_v7(),
        name: name.into(),
        create_time: truncate_to_micros(Utc::now()),
    };
    store
        .create_organization(&org, event("organization.created", Some(org.id)))
        .await
        .unwrap();
    org.id
}

fn new_dataset(org: Uuid, name: &str, visibility: Visibility, parents: &[Uuid]) -> Pending {
    Pending {
        new: NewDataset {
            organization_id: org,
            name: name.into(),
            version: "1".into(),
            content_digest: ContentDigest::of(name.as_bytes()),
            size_bytes: Some(42),
            description: Some("d".into()),
            license: Some("MIT".into()),
            visibility,
            sources: parents
                .iter()
                .map(|&dataset_id| Source {
                    kind: SourceKind::Dataset {
                        dataset_id,
                        parent_public: false,
                    },
                    uri: None,
                    license: None,
                    collect_time: None,
                    content_digest: None,
                    description: None,
                })
                .collect(),
            creator_token_id: Uuid::now_v7(),
            creator_subject: "test".into(),
        },
        id: Uuid::now_v7(),
        unit_parents: Vec::new(),
        aliases: Vec::new(),
    }
}

async fn register(
    store: &Arc<dyn Store>,
    pending: Pending,
) -> provenance_registry::domain::dataset::Dataset {
    match store
        .register_datasets(vec![vec![pending]])
        .await
        .unwrap()
        .pop()
        .unwrap()
        .unwrap()
        .remove(0)
    {
        Registration::Created(d) => d,
        other => panic!("expected a new dataset, got {other:?}"),
    }
}

/// One organisation with two datasets, one made from the other, the child attested under two
/// policies with a declared purpose; for backend-specific tests.
pub async fn seed_two_datasets(store: &Arc<dyn Store>) {
    let org = organization(store, "Seed").await;
    let parent = register(store, new_dataset(org, "seed", Visibility::Private, &[])).await;
    let child = register(
        store,
        new_dataset(org, "child", Visibility::Private, &[parent.id]),
    )
    .await;
    let attestation = attestation_of(&child, &[("p", "1"), ("q", "2")]);
    store
        .record_attestation(
            &attestation,
            event("attestation.recorded", Some(org)),
            &|_| Ok(()),
        )
        .await
        .unwrap();
}

/// An attestation of `dataset` covering `policies` (`(id, version)`, the first its own), declaring
/// a non-competing purpose.
fn attestation_of(
    dataset: &provenance_registry::domain::dataset::Dataset,
    policies: &[(&str, &str)],
) -> Attestation {
    Attestation {
        id: Uuid::now_v7(),
        dataset_id: dataset.id,
        organization_id: dataset.organization_id,
        policy_id: policies[0].0.into(),
        policy_version: policies[0].1.into(),
        policies: policies
            .iter()
            .map(|&(id, version)| (id.into(), version.into()))
            .collect(),
        declared_purpose: Purpose::NonCompeting,
        method: Method::ManualReview,
        evidence: vec![Evidence {
            uri: "https://evidence.example/r".into(),
            content_digest: Some(ContentDigest::of(b"r")),
            description: None,
        }],
        statement: "s".into(),
        create_time: truncate_to_micros(Utc::now()),
        expire_time: None,
        attester_token_id: Uuid::now_v7(),
        attester_subject: "ci".into(),
        revoke_time: None,
        revoke_reason: None,
    }
}

pub async fn an_attestation_covers_its_policies_in_order_and_keeps_its_purpose(
    store: Arc<dyn Store>,
) {
    let org = organization(&store, "Acme").await;
    let raw = register(&store, new_dataset(org, "raw", Visibility::Private, &[])).await;
    let mix = register(
        &store,
        new_dataset(org, "mix", Visibility::Private, &[raw.id]),
    )
    .await;
    let covered = [("p", "1"), ("r", "3"), ("q", "2")];

    // A refused precondition writes nothing: no attestation, no event.
    let head = store.chain_head().await.unwrap();
    let refused = attestation_of(&mix, &covered);
    let seen = std::sync::Mutex::new(Vec::new());
    let outcome = store
        .record_attestation(
            &refused,
            event("attestation.recorded", Some(org)),
            &|shared| {
                seen.lock().unwrap().push(shared.attestations.len());
                Err(Error::PreconditionFailed {
                    message: "no".into(),
                    violations: vec![],
                })
            },
        )
        .await;
    assert!(matches!(outcome, Err(Error::PreconditionFailed { .. })));
    assert_eq!(
        *seen.lock().unwrap(),
        [3],
        "the closure is read once, one list per covered policy"
    );
    assert_eq!(store.get_attestation(refused.id).await.unwrap(), None);
    assert_eq!(store.chain_head().await.unwrap(), head);

    let upstream = Attestation {
        declared_purpose: Purpose::CompetingModel,
        ..attestation_of(&raw, &[("q", "2")])
    };
    let own = attestation_of(&mix, &covered);
    for a in [&upstream, &own] {
        store
            .record_attestation(a, event("attestation.recorded", Some(org)), &|_| Ok(()))
            .await
            .unwrap();
    }
    assert_eq!(
        store.get_attestation(own.id).await.unwrap().as_ref(),
        Some(&own)
    );
    let listed = store
        .list_attestations(&AttestationQuery {
            dataset_id: Some(mix.id),
            organization_id: None,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(
        listed,
        std::slice::from_ref(&own),
        "policies in their order, purpose kept"
    );

    // Under each covered policy it counts, with its purpose; under another it does not.
    let now = Utc::now();
    let shared = store
        .shared_closure(mix.id, &[("q", "2"), ("x", "9"), ("p", "1")], now)
        .await
        .unwrap();
    let mut under_q = shared.attestations[0].clone();
    under_q.sort();
    let mut expected = vec![(mix.id, own.id), (raw.id, upstream.id)];
    expected.sort();
    assert_eq!(under_q, expected);
    assert!(shared.attestations[1].is_empty());
    assert_eq!(shared.attestations[2], [(mix.id, own.id)]);
    let mut purposes = shared.graph.declared_purposes.clone();
    purposes.sort_by_key(|&(id, _)| id);
    let mut expected = vec![
        (own.id, Purpose::NonCompeting),
        (upstream.id, Purpose::CompetingModel),
    ];
    expected.sort_by_key(|&(id, _)| id);
    assert_eq!(purposes, expected);
    let single: ClosureGraph = store.closure_graph(mix.id, "r", "3", now).await.unwrap();
    assert_eq!(single.attestations, [(mix.id, own.id)]);
}

pub async fn organization_names_are_unique_and_a_refused_insert_appends_no_event(
    store: Arc<dyn Store>,
) {
    let first = organization(&store, "Acme").await;
    let head = store.chain_head().await.unwrap();
    let twin = Organization {
        id: Uuid::now_v7(),
        name: "Acme".into(),
        create_time: Utc::now(),
    };
    let refused = store
        .create_organization(&twin, event("organization.created", Some(twin.id)))
        .await;
    assert!(
        matches!(refused, Err(Error::AlreadyExists(_))),
        "{refused:?}"
    );
    assert_eq!(store.chain_head().await.unwrap(), head);
    assert!(store.get_organization(twin.id).await.unwrap().is_none());
    assert_eq!(
        store.get_organization(first).await.unwrap().unwrap().name,
        "Acme"
    );
}

pub async fn organizations_list_in_id_order_by_exact_name_and_resume_after_an_id(
    store: Arc<dyn Store>,
) {
    let acme = organization(&store, "Acme").await;
    let buyer = organization(&store, "Buyer Ltd").await;
    let globex = organization(&store, "Globex").await;
    let query = |name: Option<&str>, after, limit| OrganizationQuery {
        name: name.map(Into::into),
        after,
        limit,
    };
    let ids = |list: Vec<Organization>| list.into_iter().map(|o| o.id).collect::<Vec<_>>();

    let all = store
        .list_organizations(&query(None, None, 100))
        .await
        .unwrap();
    for listed in &all {
        assert_eq!(
            Some(listed),
            store.get_organization(listed.id).await.unwrap().as_ref(),
            "a listed organisation reads back field for field"
        );
    }
    assert_eq!(ids(all), [acme, buyer, globex]);
    assert_eq!(
        ids(store
            .list_organizations(&query(Some("Buyer Ltd"), None, 100))
            .await
            .unwrap()),
        [buyer]
    );
    for other_spelling in ["buyer ltd", "Buyer", "Buyer Ltd ", "%"] {
        assert!(
            store
                .list_organizations(&query(Some(other_spelling), None, 100))
                .await
                .unwrap()
                .is_empty(),
            "{other_spelling:?} matches exactly or not at all"
        );
    }
    assert_eq!(
        ids(store
            .list_organizations(&query(None, Some(acme), 100))
            .await
            .unwrap()),
        [buyer, globex]
    );
    assert_eq!(
        ids(store
            .list_organizations(&query(None, Some(acme), 1))
            .await
            .unwrap()),
        [buyer]
    );
    assert!(
        store
            .list_organizations(&query(Some("Acme"), Some(acme), 100))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_batch_decides_each_registration_and_writes_only_the_accepted_ones(
    store: Arc<dyn Store>,
) {
    let org = organization(&store, "Acme").await;
    let other = organization(&store, "Globex").await;
    let theirs = register(
        &store,
        new_dataset(other, "private", Visibility::Private, &[]),
    )
    .await;
    let existing = register(
        &store,
        new_dataset(org, "existing", Visibility::Private, &[]),
    )
    .await;
    let head = store.chain_head().await.unwrap();

    let mut conflicting = new_dataset(org, "existing", Visibility::Private, &[]);
    conflicting.new.content_digest = ContentDigest::of(b"other");
    let batch = vec![
        new_dataset(org, "fresh", Visibility::Public, &[existing.id]),
        new_dataset(org, "existing", Visibility::Private, &[]),
        conflicting,
        new_dataset(org, "stolen", Visibility::Private, &[theirs.id]),
        new_dataset(org, "fresh", Visibility::Public, &[existing.id]),
    ];
    // Each a unit of its own, as single RegisterDataset calls gathered by group commit are.
    let outcomes: Vec<_> = store
        .register_datasets(batch.into_iter().map(|p| vec![p]).collect())
        .await
        .unwrap()
        .into_iter()
        .map(|unit| unit.map(|mut items| items.remove(0)))
        .collect();
    let Ok(Registration::Created(fresh)) = &outcomes[0] else {
        panic!("{:?}", outcomes[0])
    };
    assert_eq!(
        outcomes[1].as_ref().unwrap(),
        &Registration::Existing(existing.clone())
    );
    assert!(matches!(outcomes[2], Err(Error::AlreadyExists(_))));
    assert!(matches!(outcomes[3], Err(Error::NotFound(_))));
    assert_eq!(
        outcomes[4].as_ref().unwrap(),
        &Registration::Existing(fresh.clone()),
        "a repeat inside the batch"
    );

    let after = store.chain_head().await.unwrap();
    assert_eq!(
        after.sequence,
        head.sequence + 1,
        "one event for the one new dataset"
    );
    assert_eq!(
        store.get_dataset(fresh.id).await.unwrap().as_ref(),
        Some(fresh)
    );
    let listed = store
        .list_datasets(&DatasetQuery {
            viewer: Viewer::All,
            name: Some("stolen".into()),
            organization_id: None,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(listed.is_empty());
}

pub async fn a_unit_is_stored_whole_or_not_at_all_and_links_earlier_items(store: Arc<dyn Store>) {
    use provenance_registry::domain::registration::UnitParent;
    let org = organization(&store, "Acme").await;
    let head = store.chain_head().await.unwrap();

    let base = new_dataset(org, "base", Visibility::Private, &[]);
    let mut child = new_dataset(org, "child", Visibility::Private, &[Uuid::nil()]);
    child.unit_parents = vec![UnitParent { source: 0, item: 0 }];
    let missing = new_dataset(org, "orphan", Visibility::Private, &[Uuid::now_v7()]);
    let refused = store
        .register_datasets(vec![vec![base.clone(), child.clone(), missing]])
        .await
        .unwrap()
        .remove(0);
    let Err(Error::NotFound(message)) = refused else {
        panic!("{refused:?}")
    };
    assert!(message.starts_with("registrations[2]: "), "{message}");
    assert_eq!(store.chain_head().await.unwrap(), head, "no event written");
    let stored = store
        .list_datasets(&DatasetQuery {
            viewer: Viewer::All,
            name: Some("base".into()),
            organization_id: None,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing of the refused unit stored");

    let items = store
        .register_datasets(vec![vec![base, child]])
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let (Registration::Created(base), Registration::Created(child)) = (&items[0], &items[1]) else {
        panic!("{items:?}")
    };
    assert_eq!(child.parents().collect::<Vec<_>>(), vec![base.id]);
    assert_eq!(
        store.get_dataset(child.id).await.unwrap().as_ref(),
        Some(child)
    );
    assert_eq!(
        store.chain_head().await.unwrap().sequence,
        head.sequence + 2
    );
}

pub async fn names_find_the_newest_version_or_the_given_one_and_aliases_resolve(
    store: Arc<dyn Store>,
) {
    use provenance_registry::store::NameLookup;
    let org = organization(&store, "Acme").await;
    let other = organization(&store, "Globex").await;
    let mut first = new_dataset(org, "s3://lake/clean", Visibility::Private, &[]);
    first.aliases = vec!["hive://metastore/lake.clean".into()];
    let first = register(&store, first).await;
    let mut second = new_dataset(org, "s3://lake/clean", Visibility::Private, &[]);
    second.new.version = "2".into();
    second.new.content_digest = ContentDigest::of(b"v2");
    // A later claim of a taken alias leaves it with its first dataset.
    second.aliases = vec!["hive://metastore/lake.clean".into()];
    let second = register(&store, second).await;
    let mut thief = new_dataset(org, "elsewhere", Visibility::Private, &[]);
    thief.aliases = vec!["hive://metastore/lake.clean".into()];
    register(&store, thief).await;
    // Another organisation's names never answer.
    register(
        &store,
        new_dataset(other, "s3://lake/other", Visibility::Public, &[]),
    )
    .await;

    let lookup = |names: &[&str], version: Option<&str>| NameLookup {
        names: names.iter().map(|n| n.to_string()).collect(),
        version: version.map(str::to_owned),
    };
    let found = store
        .find_named_datasets(
            org,
            &[
                lookup(&["s3://lake/clean"], None),
                lookup(&["s3://lake/clean"], Some("1")),
                lookup(&["unknown", "hive://metastore/lake.clean"], None),
                lookup(&["hive://metastore/lake.clean"], Some("1")),
                lookup(&["s3://lake/other"], None),
                lookup(&["s3://lake/clean"], Some("3")),
            ],
        )
        .await
        .unwrap();
    let ids: Vec<Option<Uuid>> = found.iter().map(|d| d.as_ref().map(|d| d.id)).collect();
    assert_eq!(
        ids,
        [
            Some(second.id),
            Some(first.id),
            Some(second.id),
            Some(first.id),
            None,
            None
        ]
    );
}

pub async fn a_stored_dataset_reads_back_field_for_field(store: Arc<dyn Store>) {
    let org = organization(&store, "Acme").await;
    let parent = register(&store, new_dataset(org, "parent", Visibility::Public, &[])).await;
    let mut pending = new_dataset(org, "child", Visibility::Private, &[parent.id]);
    pending.new.size_bytes = Some(i64::MAX as u64);
    pending.new.description = Some("line one\nline two — ünïcode".into());
    pending.new.sources.push(Source {
        kind: SourceKind::ModelGenerated {
            model: ModelRef {
                model_id: "deepseek-ai/DeepSeek-R1".into(),
                version: Some("0528".into()),
                provider: None,
            },
        },
        uri: Some("https://api.example".into()),
        license: Some("MIT".into()),
        collect_time: Some(truncate_to_micros(Utc::now())),
        content_digest: Some(ContentDigest::of(b"outputs")),
        description: Some("generated".into()),
    });
    for kind in [
        SourceKind::ExternalDataset,
        SourceKind::WebCrawl,
        SourceKind::LicensedCorpus,
        SourceKind::HumanAuthored,
    ] {
        pending.new.sources.push(Source {
            kind,
            uri: Some("u".into()),
            license: None,
            collect_time: None,
            content_digest: None,
            description: None,
        });
    }
    let stored = register(&store, pending).await;
    assert_eq!(
        stored.sources[0].kind,
        SourceKind::Dataset {
            dataset_id: parent.id,
            parent_public: true
        }
    );
    let read = store.get_dataset(stored.id).await.unwrap().unwrap();
    assert_eq!(read, stored);
    let many = store
        .get_datasets(&[stored.id, parent.id, Uuid::now_v7()])
        .await
        .unwrap();
    assert_eq!(many.len(), 2);
}

pub async fn listing_filters_by_viewer_name_and_owner_and_resumes_after_an_id(
    store: Arc<dyn Store>,
) {
    let a = organization(&store, "A").await;
    let b = organization(&store, "B").await;
    let a_private = register(
        &store,
        new_dataset(a, "shared-name", Visibility::Private, &[]),
    )
    .await;
    let a_public = register(&store, new_dataset(a, "a-public", Visibility::Public, &[])).await;
    let b_private = register(
        &store,
        new_dataset(b, "shared-name", Visibility::Private, &[]),
    )
    .await;
    let query = |viewer, name: Option<&str>, owner, after| DatasetQuery {
        viewer,
        name: name.map(Into::into),
        organization_id: owner,
        after,
        limit: 100,
    };
    let ids = |list: Vec<provenance_registry::domain::dataset::Dataset>| {
        list.into_iter().map(|d| d.id).collect::<Vec<_>>()
    };

    assert_eq!(
        ids(store
            .list_datasets(&query(Viewer::Organization(b), None, None, None))
            .await
            .unwrap()),
        [a_public.id, b_private.id]
    );
    assert_eq!(
        ids(store
            .list_datasets(&query(Viewer::All, None, None, None))
            .await
            .unwrap()),
        [a_private.id, a_public.id, b_private.id]
    );
    assert_eq!(
        ids(store
            .list_datasets(&query(Viewer::All, Some("shared-name"), Some(b), None))
            .await
            .unwrap()),
        [b_private.id]
    );
    assert_eq!(
        ids(store
            .list_datasets(&query(Viewer::All, None, None, Some(a_private.id)))
            .await
            .unwrap()),
        [a_public.id, b_private.id]
    );
    let mut limited = query(Viewer::All, None, None, None);
    limited.limit = 1;
    assert_eq!(
        ids(store.list_datasets(&limited).await.unwrap()),
        [a_private.id]
    );
}

pub async fn closures_hold_each_node_once_at_its_shortest_depth_within_the_limit(
    store: Arc<dyn Store>,
) {
    let org = organization(&store, "Acme").await;
    let root = register(&store, new_dataset(org, "root", Visibility::Private, &[])).await;
    let mid = register(
        &store,
        new_dataset(org, "mid", Visibility::Private, &[root.id]),
    )
    .await;
    let top = register(
        &store,
        new_dataset(org, "top", Visibility::Public, &[mid.id, root.id]),
    )
    .await;

    let mut up = store
        .lineage_closure(top.id, Direction::Upstream, 100)
        .await
        .unwrap();
    up.sort_by_key(|e| (e.depth, e.id));
    let found: Vec<_> = up.iter().map(|e| (e.id, e.depth)).collect();
    let mut expected = vec![(top.id, 0), (mid.id, 1), (root.id, 1)];
    expected[1..].sort_by_key(|&(id, _)| id);
    assert_eq!(found, expected);
    assert_eq!(up[0].visibility, Visibility::Public);
    assert_eq!(up[0].organization_id, org);

    let shallow = store
        .lineage_closure(top.id, Direction::Upstream, 0)
        .await
        .unwrap();
    assert_eq!(shallow.len(), 1);
    let mut down = store
        .lineage_closure(root.id, Direction::Downstream, 100)
        .await
        .unwrap();
    down.sort_by_key(|e| (e.depth, e.id));
    let mut expected = vec![(root.id, 0), (mid.id, 1), (top.id, 1)];
    expected[1..].sort_by_key(|&(id, _)| id);
    assert_eq!(
        down.iter().map(|e| (e.id, e.depth)).collect::<Vec<_>>(),
        expected
    );
}

pub async fn edges_leave_the_given_nodes_in_the_walk_direction(store: Arc<dyn Store>) {
    let org = organization(&store, "Acme").await;
    let a = register(&store, new_dataset(org, "a", Visibility::Private, &[])).await;
    let b = register(&store, new_dataset(org, "b", Visibility::Private, &[a.id])).await;
    let c = register(
        &store,
        new_dataset(org, "c", Visibility::Private, &[a.id, b.id]),
    )
    .await;
    let up = store
        .lineage_edges(&[c.id], Direction::Upstream)
        .await
        .unwrap();
    assert_eq!(up, [(c.id, a.id), (c.id, b.id)]);
    let mut down = store
        .lineage_edges(&[a.id], Direction::Downstream)
        .await
        .unwrap();
    down.sort();
    assert_eq!(down, [(a.id, b.id), (a.id, c.id)]);
    assert!(
        store
            .lineage_edges(&[], Direction::Upstream)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn events_are_filtered_by_viewer_and_chain_from_the_head(store: Arc<dyn Store>) {
    assert_eq!(store.chain_head().await.unwrap(), ChainHead::EMPTY);
    let a = organization(&store, "A").await;
    let b = organization(&store, "B").await;
    register(&store, new_dataset(a, "private", Visibility::Private, &[])).await;
    let public = register(&store, new_dataset(a, "public", Visibility::Public, &[])).await;

    let all = store.list_events(Viewer::All, 0, 100).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(
        verify_chain(ChainHead::EMPTY, &all).unwrap(),
        store.chain_head().await.unwrap()
    );
    let seen_by_b = store
        .list_events(Viewer::Organization(b), 0, 100)
        .await
        .unwrap();
    let subjects: Vec<_> = seen_by_b.iter().map(|e| e.subject.clone()).collect();
    assert_eq!(
        subjects.len(),
        2,
        "B's own creation and A's public dataset: {subjects:?}"
    );
    assert_eq!(subjects[1], format!("datasets/{}", public.id));
    let after = store.list_events(Viewer::All, 2, 1).await.unwrap();
    assert_eq!(after, all[2..3]);
}

pub async fn a_revocation_is_recorded_once_and_only_for_the_owning_organisation(
    store: Arc<dyn Store>,
) {
    let org = organization(&store, "Acme").await;
    let other = organization(&store, "Globex").await;
    let now = truncate_to_micros(Utc::now());
    let token = AccessTokenRecord {
        id: Uuid::now_v7(),
        organization_id: Some(org),
        role: Role::Registrar,
        subject: "ci".into(),
        create_time: now,
        expire_time: now + chrono::Duration::days(1),
        revoke_time: None,
    };
    store
        .insert_access_token(&token, event("access_token.created", Some(org)))
        .await
        .unwrap();
    assert_eq!(
        store.get_access_token(token.id).await.unwrap().unwrap(),
        token
    );

    let head = store.chain_head().await.unwrap();
    assert!(
        store
            .revoke_access_token(
                other,
                token.id,
                now,
                event("access_token.revoked", Some(other))
            )
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.chain_head().await.unwrap(),
        head,
        "a refused revocation appends nothing"
    );

    let revoked = store
        .revoke_access_token(org, token.id, now, event("access_token.revoked", Some(org)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoke_time, Some(now));
    let head = store.chain_head().await.unwrap();
    let later = now + chrono::Duration::hours(1);
    let again = store
        .revoke_access_token(
            org,
            token.id,
            later,
            event("access_token.revoked", Some(org)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.revoke_time,
        Some(now),
        "the first revocation time stands"
    );
    assert_eq!(store.chain_head().await.unwrap(), head);
}

fn certificate_of(dataset: &provenance_registry::domain::dataset::Dataset) -> CertificateRecord {
    let now = truncate_to_micros(Utc::now());
    CertificateRecord {
        id: Uuid::now_v7(),
        dataset_id: dataset.id,
        organization_id: dataset.organization_id,
        audience: None,
        policy_id: "p".into(),
        policy_version: "1".into(),
        verdict: Verdict::Clean,
        target_model: None,
        contract_reference: None,
        lineage_digest: "sha256:00".into(),
        closure_size: 1,
        kid: "k".into(),
        token: format!("token-{}", Uuid::now_v7()),
        issue_time: now,
        not_before: now,
        expire_time: now + chrono::Duration::days(1),
        revoke_time: None,
        revoke_reason: None,
        revoke_cause: None,
        issued_event_sequence: None,
    }
}

pub async fn an_issuance_batch_stores_each_accepted_certificate_and_only_those(
    store: Arc<dyn Store>,
) {
    let org = organization(&store, "Acme").await;
    let dataset = register(&store, new_dataset(org, "crawl", Visibility::Private, &[])).await;
    let accepted = certificate_of(&dataset);
    let refused = certificate_of(&dataset);
    let head = store.chain_head().await.unwrap();
    let graph_root = dataset.id;
    let insert = |certificate: &CertificateRecord, accept: bool| CertificateInsert {
        certificate: certificate.clone(),
        policies: vec![
            (
                certificate.policy_id.clone(),
                certificate.policy_version.clone(),
            ),
            ("another-policy".into(), "1".into()),
        ],
        members: vec![dataset.id],
        event: certificate.issued_event(),
        precondition: Box::new(move |closure: &SharedClosure| {
            // The closure read in the transaction holds the certified dataset, with the
            // attestations of each covered policy.
            assert_eq!(closure.graph.root, graph_root);
            assert_eq!(closure.attestations.len(), 2);
            if accept {
                Ok(())
            } else {
                Err(Error::FailedPrecondition("contaminated".into()))
            }
        }),
    };
    let outcomes = store
        .insert_certificates(vec![insert(&refused, false), insert(&accepted, true)])
        .await
        .unwrap();
    assert!(matches!(outcomes[0], Err(Error::FailedPrecondition(_))));
    assert!(outcomes[1].is_ok());
    assert_eq!(outcomes.len(), 2);
    assert_eq!(
        CertificateRecord {
            issued_event_sequence: None,
            ..store.get_certificate(accepted.id).await.unwrap().unwrap()
        },
        accepted
    );
    assert_eq!(store.get_certificate(refused.id).await.unwrap(), None);
    let events = store
        .list_events(Viewer::All, head.sequence, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "one event, for the stored certificate");
    assert_eq!(events[0].subject, format!("certificates/{}", accepted.id));
    assert!(
        matches!(outcomes[1], Ok(sequence) if sequence == events[0].sequence),
        "the outcome is the sequence of the certificate's event"
    );
    let stored = store.get_certificate(accepted.id).await.unwrap().unwrap();
    assert_eq!(stored.issued_event_sequence, Some(events[0].sequence));
}

pub async fn key_fingerprints_are_recorded_once_and_replaced_only_from_the_expected_value(
    store: Arc<dyn Store>,
) {
    use provenance_registry::domain::key_record::{KeyKind, RecordedKey};
    let key = |kind, fingerprint: &str, source: &str| RecordedKey {
        kind,
        fingerprint: fingerprint.to_owned(),
        source: source.to_owned(),
        record_time: truncate_to_micros(Utc::now()),
    };
    assert!(store.recorded_keys().await.unwrap().is_empty());
    let first = vec![
        key(KeyKind::AccessToken, "a1", "host-a:/a/access-token.key"),
        key(
            KeyKind::CertificateSigning,
            "k1",
            "host-a:/a/signing-keys.json",
        ),
    ];
    let recorded = store.record_keys(&first).await.unwrap();
    assert_eq!(recorded, first, "read back field for field, in kind order");

    // A second process's keys are not recorded over the first's; a kind not recorded yet is.
    let second = vec![
        key(KeyKind::AccessToken, "a2", "host-b:/b/access-token.key"),
        key(KeyKind::LogSigning, "l2", "host-b:/b/log-signing.key"),
    ];
    let recorded = store.record_keys(&second).await.unwrap();
    assert_eq!(
        recorded,
        vec![first[0].clone(), first[1].clone(), second[1].clone()]
    );
    assert_eq!(store.recorded_keys().await.unwrap(), recorded);

    // Replaced only from the expected fingerprint (a rotation), or unconditionally.
    let rotated = key(
        KeyKind::CertificateSigning,
        "k1 k2",
        "host-a:/a/signing-keys.json",
    );
    assert!(
        !store
            .replace_recorded_key(Some("k0"), &rotated)
            .await
            .unwrap()
    );
    assert!(
        store
            .replace_recorded_key(Some("k1"), &rotated)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replace_recorded_key(Some("k1"), &rotated)
            .await
            .unwrap()
    );
    let forced = key(KeyKind::AccessToken, "a3", "host-c:/c/access-token.key");
    assert!(store.replace_recorded_key(None, &forced).await.unwrap());
    let recorded = store.recorded_keys().await.unwrap();
    assert_eq!(recorded, vec![forced, rotated, second[1].clone()]);
}

pub async fn cosignatures_are_kept_once_per_witness_and_checkpoint(store: Arc<dyn Store>) {
    use provenance_registry::domain::transparency::{CheckpointCosignature, SignedCheckpoint};
    let time = chrono::DateTime::from_timestamp(1_764_400_000, 0).unwrap();
    for size in [3, 5] {
        store
            .keep_checkpoint(SignedCheckpoint {
                tree_size: size,
                root: [size as u8; 32],
                time,
                note: format!("note {size}\n"),
            })
            .await
            .unwrap();
    }
    let cosignature = |size: u64, witness: &str, line: &str| CheckpointCosignature {
        tree_size: size,
        witness: witness.to_owned(),
        line: line.to_owned(),
        cosigned_at: 1_764_400_000 + size as i64,
    };
    assert!(store.witnessed_sizes().await.unwrap().is_empty());
    store
        .keep_cosignature(cosignature(3, "w1", "— w1 a"))
        .await
        .unwrap();
    store
        .keep_cosignature(cosignature(3, "w2", "— w2 b"))
        .await
        .unwrap();
    store
        .keep_cosignature(cosignature(5, "w1", "— w1 c"))
        .await
        .unwrap();
    // A second one by the same witness for the same size is ignored: the first stays.
    store
        .keep_cosignature(cosignature(5, "w1", "— w1 d"))
        .await
        .unwrap();
    let at_five = store.cosignatures(5).await.unwrap();
    assert_eq!(at_five, vec![cosignature(5, "w1", "— w1 c")]);
    assert_eq!(store.cosignatures(3).await.unwrap().len(), 2);
    assert!(store.cosignatures(4).await.unwrap().is_empty());
    assert_eq!(
        store.witnessed_sizes().await.unwrap(),
        vec![("w1".to_owned(), 5), ("w2".to_owned(), 3)]
    );
    // Only a checkpoint that was kept can be cosigned.
    assert!(
        store
            .keep_cosignature(cosignature(4, "w1", "— w1 e"))
            .await
            .is_err()
    );
}
