//! Lineage walks, pages and streams.

use provenance_registry::proto::v1 as pb;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::*;

fn walk(
    root: &pb::Dataset,
    direction: pb::LineageDirection,
    max_depth: i32,
) -> pb::GetLineageRequest {
    pb::GetLineageRequest {
        dataset_id: root.id.clone(),
        direction: direction as i32,
        max_depth,
        ..Default::default()
    }
}

fn names(nodes: &[pb::LineageNode]) -> Vec<(String, i32)> {
    nodes
        .iter()
        .map(|n| (n.dataset.as_ref().unwrap().name.clone(), n.depth))
        .collect()
}

#[tokio::test]
async fn a_chain_walks_upstream_and_downstream_with_depths_and_next_steps() {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let clean = app.register(&app.admin, derived("clean", &[&raw])).await;
    let mix = app.register(&app.admin, derived("mix", &[&clean])).await;

    let up = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            walk(&mix, pb::LineageDirection::Upstream, 0),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(&up.nodes),
        [("mix".into(), 0), ("clean".into(), 1), ("raw".into(), 2)]
    );
    assert_eq!(up.nodes[0].next_ids, [clean.id.as_str()]);
    assert_eq!(up.nodes[1].next_ids, [raw.id.as_str()]);
    assert!(up.nodes[2].next_ids.is_empty());
    assert_eq!((up.total_count, up.hidden_count), (3, 0));

    let down = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            walk(&raw, pb::LineageDirection::Downstream, 0),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(&down.nodes),
        [("raw".into(), 0), ("clean".into(), 1), ("mix".into(), 2)]
    );
    assert_eq!(down.nodes[0].next_ids, [clean.id.as_str()]);

    let shallow = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            walk(&mix, pb::LineageDirection::Upstream, 1),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(&shallow.nodes),
        [("mix".into(), 0), ("clean".into(), 1)]
    );
    assert!(
        shallow.nodes[1].next_ids.is_empty(),
        "edges beyond max_depth are not shown"
    );
}

#[tokio::test]
async fn a_diamond_lists_each_dataset_once_at_its_shortest_depth() {
    let app = spawn_app().await;
    let root = app.register(&app.admin, dataset("root")).await;
    let left = app.register(&app.admin, derived("left", &[&root])).await;
    let right = app.register(&app.admin, derived("right", &[&root])).await;
    let top = app
        .register(&app.admin, derived("top", &[&left, &right, &root]))
        .await;
    let up = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            walk(&top, pb::LineageDirection::Upstream, 0),
        ))
        .await
        .unwrap()
        .into_inner();
    let mut found = names(&up.nodes);
    found[1..].sort();
    assert_eq!(
        found,
        [
            ("top".into(), 0),
            ("left".into(), 1),
            ("right".into(), 1),
            ("root".into(), 1)
        ]
    );
    assert_eq!(up.nodes[0].next_ids.len(), 3);
}

#[tokio::test]
async fn pages_and_the_stream_give_the_same_walk() {
    let app = spawn_app().await;
    let mut layer = vec![app.register(&app.admin, dataset("base")).await];
    for depth in 1..=4 {
        let mut next = Vec::new();
        for i in 0..5 {
            let parents: Vec<&pb::Dataset> = layer.iter().collect();
            next.push(
                app.register(&app.admin, derived(&format!("n{depth}-{i}"), &parents))
                    .await,
            );
        }
        layer = next;
    }
    let top = app
        .register(
            &app.admin,
            derived("top", &layer.iter().collect::<Vec<_>>()),
        )
        .await;

    let client = app.lineage();
    let paged = all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::GetLineageRequest {
            page_size: 4,
            page_token,
            ..walk(&top, pb::LineageDirection::Upstream, 0)
        };
        let admin = app.admin.clone();
        async move {
            let page = client
                .get_lineage(authed(&admin, request))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(page.total_count, 22);
            (page.nodes, page.next_page_token)
        }
    })
    .await;
    let streamed: Vec<pb::LineageNode> = app
        .lineage()
        .stream_lineage(authed(
            &app.admin,
            walk(&top, pb::LineageDirection::Upstream, 0),
        ))
        .await
        .unwrap()
        .into_inner()
        .map(|n| n.unwrap())
        .collect()
        .await;
    assert_eq!(paged.len(), 22);
    assert_eq!(paged, streamed);
}

#[tokio::test]
async fn bad_lineage_requests_name_their_field() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let cases = [
        (
            pb::GetLineageRequest {
                dataset_id: "x".into(),
                ..Default::default()
            },
            Code::InvalidArgument,
            "dataset_id",
        ),
        (
            pb::GetLineageRequest {
                max_depth: -1,
                ..walk(&d, pb::LineageDirection::Upstream, 0)
            },
            Code::InvalidArgument,
            "max_depth",
        ),
        (
            pb::GetLineageRequest {
                max_depth: 10_001,
                ..walk(&d, pb::LineageDirection::Upstream, 0)
            },
            Code::InvalidArgument,
            "max_depth",
        ),
        (
            pb::GetLineageRequest {
                direction: 9,
                ..walk(&d, pb::LineageDirection::Upstream, 0)
            },
            Code::InvalidArgument,
            "direction",
        ),
        (
            pb::GetLineageRequest {
                page_size: 5000,
                ..walk(&d, pb::LineageDirection::Upstream, 0)
            },
            Code::InvalidArgument,
            "page_size",
        ),
        (
            pb::GetLineageRequest {
                page_token: "nope".into(),
                ..walk(&d, pb::LineageDirection::Upstream, 0)
            },
            Code::InvalidArgument,
            "page_token",
        ),
        (
            pb::GetLineageRequest {
                dataset_id: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            },
            Code::NotFound,
            "not found",
        ),
    ];
    for (request, code, needle) in cases {
        assert_status(
            app.lineage()
                .get_lineage(authed(&app.admin, request.clone()))
                .await,
            code,
            needle,
        );
        if needle != "page_size" && needle != "page_token" {
            assert_status(
                app.lineage()
                    .stream_lineage(authed(&app.admin, request))
                    .await,
                code,
                needle,
            );
        }
    }
}

#[tokio::test]
async fn a_dataset_made_from_every_earlier_one_has_them_all_at_depth_one() {
    // Paths of every length lead to each dataset here (n^2/2 of them by depth); the walk must still
    // visit each dataset once and report its shortest depth.
    let app = spawn_app().await;
    let mut all: Vec<pb::Dataset> = Vec::new();
    for i in 0..120 {
        let parents: Vec<&pb::Dataset> = all.iter().collect();
        all.push(
            app.register(&app.admin, derived(&format!("n{i:03}"), &parents))
                .await,
        );
    }
    let top = all.last().unwrap();
    for direction in [
        pb::LineageDirection::Upstream,
        pb::LineageDirection::Downstream,
    ] {
        let root = if direction == pb::LineageDirection::Upstream {
            top
        } else {
            &all[0]
        };
        let request = pb::GetLineageRequest {
            page_size: 1000,
            ..walk(root, direction, 0)
        };
        let page = app
            .lineage()
            .get_lineage(authed(&app.admin, request))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_count, 120);
        assert!(
            page.nodes[1..].iter().all(|n| n.depth == 1),
            "{direction:?}"
        );
        assert_eq!(page.nodes[0].next_ids.len(), 119);
    }
    let shallow = app
        .lineage()
        .get_lineage(authed(
            &app.admin,
            walk(top, pb::LineageDirection::Upstream, 1),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shallow.total_count, 120);
}
