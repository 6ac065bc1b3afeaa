//! Every integer field of every request at its extremes, over real gRPC, on the backend the suite
//! runs with (SQLite by default, PostgreSQL with `TEST_API_BACKEND=postgres`): 0, 1, 2^31-1, 2^31,
//! 2^32, 2^63-1, 2^63 and 2^64-1 (and the negative values of signed fields), crossed with each other
//! where a request has several, and with random values drawn by proptest. Each answer is the one
//! the proto comments document, computed here from those rules: nothing wraps into another row,
//! nothing panics (the server runs in this process in a debug build, so an overflow would surface
//! as a dropped call), and a refusal names the field and changes nothing.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use provenance_registry::proto::v1 as pb;
use provenance_registry::proto::wkt::{Duration, Timestamp};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Status};
use transparency_log::{Frontier, hash_leaf, verify_consistency, verify_inclusion};

use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};

/// The largest sequence number or leaf index an event can have (signed 64-bit storage).
const MAX_SEQUENCE: u64 = i64::MAX as u64;

/// The edges of the unsigned 64-bit range.
const U64_EDGES: [u64; 8] = [
    0,
    1,
    (1 << 31) - 1,
    1 << 31,
    1 << 32,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
];

/// The edges of the signed 64-bit range.
const I64_EDGES: [i64; 9] = [
    0,
    1,
    (1 << 31) - 1,
    1 << 31,
    1 << 32,
    i64::MAX,
    -1,
    -(1 << 31),
    i64::MIN,
];

/// The edges of the signed 32-bit range (2^31 and beyond do not fit: see the raw-wire test).
const I32_EDGES: [i32; 5] = [0, 1, i32::MAX, -1, i32::MIN];

/// The edges of the unsigned 32-bit range.
const U32_EDGES: [u32; 5] = [0, 1, i32::MAX as u32, 1 << 31, u32::MAX];

/// Years 1 and 9999, the bounds of request times.
const MIN_TIME_SECONDS: i64 = -62_135_596_800;
const MAX_TIME_SECONDS: i64 = 253_402_300_799;

/// What the documentation says a call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Ok,
    /// `INVALID_ARGUMENT` naming this field.
    Invalid(&'static str),
}

/// Asserts `got` is what `want` says; returns the answer when it is one.
#[track_caller]
fn expect<T: std::fmt::Debug>(case: &str, got: Result<T, Status>, want: Want) -> Option<T> {
    match (want, got) {
        (Want::Ok, Ok(answer)) => Some(answer),
        (Want::Invalid(field), Err(status)) => {
            assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
            assert!(
                status.message().contains(&format!("{field}:")),
                "{case}: the message does not name {field}: {:?}",
                status.message()
            );
            None
        }
        (want, got) => panic!("{case}: wanted {want:?}, got {got:?}"),
    }
}

/// Values around the ends of a log of `size` leaves, with the range's edges.
fn positions(size: u64) -> Vec<u64> {
    let mut values = U64_EDGES.to_vec();
    values.extend([size.saturating_sub(1), size, size + 1]);
    values.sort_unstable();
    values.dedup();
    values
}

fn log_client(
    channel: &Channel,
) -> pb::transparency_log_service_client::TransparencyLogServiceClient<Channel> {
    pb::transparency_log_service_client::TransparencyLogServiceClient::new(channel.clone())
}

/// A registry with a little of everything: datasets in a lineage, attestations, a certificate.
struct Scene {
    app: TestApp,
    raw: pb::Dataset,
    mix: pb::Dataset,
    certificate: pb::Certificate,
    events: Vec<pb::Event>,
}

async fn scene() -> Scene {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let mix = app.register(&app.admin, derived("mix", &[&raw])).await;
    app.attest(&app.admin, &raw).await;
    app.attest(&app.admin, &mix).await;
    let certificate = app
        .certificates()
        .issue_certificate(authed(
            &app.admin,
            pb::IssueCertificateRequest {
                dataset_id: mix.id.clone(),
                policy_id: POLICY.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("certificate issued")
        .into_inner();
    let events = app.all_events(&app.operator).await;
    Scene {
        app,
        raw,
        mix,
        certificate,
        events,
    }
}

impl Scene {
    fn size(&self) -> u64 {
        self.events.len() as u64
    }

    /// The root over the first `size` events' chain hashes, computed here.
    fn root(&self, size: u64) -> [u8; 32] {
        let mut tree = Frontier::new();
        for event in &self.events[..size as usize] {
            let hash = hex::decode(&event.hash).expect("hex hash");
            tree.append(hash_leaf(&hash)).expect("room");
        }
        tree.root()
    }

    /// `GetLeaves(start, count)`: `start` beyond 2^63-1 refused, then `count` outside 1..=1000;
    /// otherwise the leaves from `start` to the end of the log, at most `count`, each numbered
    /// with its own index (none when `start` is at or past the end).
    async fn check_leaves(&self, start: u64, count: u32) {
        let case = format!("GetLeaves start={start} count={count}");
        let want = if start > MAX_SEQUENCE {
            Want::Invalid("start")
        } else if count == 0 || count > 1000 {
            Want::Invalid("count")
        } else {
            Want::Ok
        };
        let got = log_client(&self.app.channel)
            .get_leaves(pb::GetLeavesRequest { start, count })
            .await
            .map(|r| r.into_inner());
        let Some(answer) = expect(&case, got, want) else {
            return;
        };
        let first = start.min(self.size());
        let last = start.saturating_add(u64::from(count)).min(self.size());
        let wanted: Vec<(u64, String)> = (first..last)
            .map(|index| (index, self.events[index as usize].hash.clone()))
            .collect();
        let got: Vec<(u64, String)> = answer
            .leaves
            .iter()
            .map(|leaf| (leaf.index, hex::encode(&leaf.data)))
            .collect();
        assert_eq!(got, wanted, "{case}");
    }

    /// `GetInclusionProof(leaf, tree_size)`: sequence 0 refused; `tree_size` 0 is the newest
    /// checkpoint's, beyond the log refused; a leaf outside the tree refused; else a proof that
    /// verifies against the root computed here.
    async fn check_inclusion(&self, leaf: pb::get_inclusion_proof_request::Leaf, tree_size: u64) {
        use pb::get_inclusion_proof_request::Leaf;
        let case = format!("GetInclusionProof {leaf:?} tree_size={tree_size}");
        let size = self.size();
        let index = match leaf {
            Leaf::LeafIndex(index) => Some(index),
            Leaf::EventSequence(sequence) => sequence.checked_sub(1),
        };
        let tree = if tree_size == 0 { size } else { tree_size };
        let want = match index {
            None => Want::Invalid("event_sequence"),
            Some(_) if tree > size => Want::Invalid("tree_size"),
            Some(index) if index >= tree => Want::Invalid("leaf"),
            Some(_) => Want::Ok,
        };
        let got = log_client(&self.app.channel)
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                leaf: Some(leaf),
                tree_size,
            })
            .await
            .map(|r| r.into_inner());
        let Some(proof) = expect(&case, got, want) else {
            return;
        };
        let index = index.expect("a leaf");
        assert_eq!((proof.leaf_index, proof.tree_size), (index, tree), "{case}");
        assert_eq!(
            hex::encode(&proof.leaf_data),
            self.events[index as usize].hash,
            "{case}"
        );
        let path: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
        verify_inclusion(
            &hash_leaf(&proof.leaf_data),
            index,
            tree,
            &path,
            &self.root(tree),
        )
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    }

    /// `GetConsistencyProof(first, second)`: `second` 0 is the newest checkpoint's, beyond the log
    /// refused; `first` outside 1..=second refused; else a proof between the roots computed here.
    async fn check_consistency(&self, first: u64, second: u64) {
        let case = format!("GetConsistencyProof first={first} second={second}");
        let size = self.size();
        let newer = if second == 0 { size } else { second };
        let want = if newer > size {
            Want::Invalid("second_tree_size")
        } else if first == 0 || first > newer {
            Want::Invalid("first_tree_size")
        } else {
            Want::Ok
        };
        let got = log_client(&self.app.channel)
            .get_consistency_proof(pb::GetConsistencyProofRequest {
                first_tree_size: first,
                second_tree_size: second,
            })
            .await
            .map(|r| r.into_inner());
        let Some(proof) = expect(&case, got, want) else {
            return;
        };
        assert_eq!(
            (proof.first_tree_size, proof.second_tree_size),
            (first, newer),
            "{case}"
        );
        let path: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
        verify_consistency(first, newer, &path, &self.root(first), &self.root(newer))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
    }

    /// `ListEvents(after_sequence, page_size)`: `page_size` outside 0..=1000 refused, then
    /// `after_sequence` beyond 2^63-1; else the events after it, a page of them.
    async fn check_list_events(&self, after_sequence: u64, page_size: i32) {
        let case = format!("ListEvents after_sequence={after_sequence} page_size={page_size}");
        let want = if !(0..=1000).contains(&page_size) {
            Want::Invalid("page_size")
        } else if after_sequence > MAX_SEQUENCE {
            Want::Invalid("after_sequence")
        } else {
            Want::Ok
        };
        let got = self
            .app
            .events()
            .list_events(authed(
                &self.app.operator,
                pb::ListEventsRequest {
                    after_sequence,
                    page_size,
                    page_token: String::new(),
                },
            ))
            .await
            .map(|r| r.into_inner());
        let Some(page) = expect(&case, got, want) else {
            return;
        };
        let limit = if page_size == 0 {
            50
        } else {
            page_size as usize
        };
        let after: Vec<&pb::Event> = self
            .events
            .iter()
            .filter(|e| e.sequence > after_sequence)
            .collect();
        let wanted: Vec<&pb::Event> = after.iter().copied().take(limit).collect();
        assert_eq!(page.events.iter().collect::<Vec<_>>(), wanted, "{case}");
        assert_eq!(
            page.next_page_token.is_empty(),
            after.len() <= limit,
            "{case}"
        );
    }
}

fn hash32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("32-byte hash")
}

#[tokio::test]
async fn log_reads_answer_every_integer_extreme_as_documented() {
    let scene = scene().await;
    let size = scene.size();
    let before = scene.app.snapshot().await;
    let mut counts = U32_EDGES.to_vec();
    counts.extend([1000, 1001, size as u32]);
    for &start in &positions(size) {
        for &count in &counts {
            scene.check_leaves(start, count).await;
        }
    }
    use pb::get_inclusion_proof_request::Leaf;
    for &leaf in &positions(size) {
        for &tree_size in &positions(size) {
            scene
                .check_inclusion(Leaf::LeafIndex(leaf), tree_size)
                .await;
            scene
                .check_inclusion(Leaf::EventSequence(leaf), tree_size)
                .await;
        }
    }
    for &first in &positions(size) {
        for &second in &positions(size) {
            scene.check_consistency(first, second).await;
        }
    }
    // Reads only: at most the checkpoint of the current size was signed.
    assert_eq!(scene.app.snapshot().await, before);
}

#[tokio::test]
async fn event_reads_answer_every_integer_extreme_as_documented() {
    let scene = scene().await;
    let size = scene.size();
    let mut page_sizes = I32_EDGES.to_vec();
    page_sizes.extend([2, 1000, 1001]);
    for &after in &positions(size) {
        for &page_size in &page_sizes {
            scene.check_list_events(after, page_size).await;
        }
    }
    // A page token carrying a position no event can have was not made here.
    let forged = {
        use base64::Engine;
        use sha2::Digest;
        // The token format (domain/paging.rs): list, fingerprint of the other fields, cursor.
        let mut hasher = sha2::Sha256::new();
        hasher.update(1u64.to_be_bytes());
        hasher.update(b"0");
        let body = serde_json::json!({
            "k": "events",
            "q": hex::encode(&hasher.finalize()[..8]),
            "c": u64::MAX.to_string(),
        });
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string())
    };
    let got = scene
        .app
        .events()
        .list_events(authed(
            &scene.app.operator,
            pb::ListEventsRequest {
                page_token: forged,
                ..Default::default()
            },
        ))
        .await;
    expect("ListEvents forged token", got, Want::Invalid("page_token"));

    // WatchEvents: beyond 2^63-1 refused; otherwise the stream opens and starts after the
    // position (positions at or past the end wait for events that come later).
    for &after in &positions(size) {
        let case = format!("WatchEvents after_sequence={after}");
        let want = if after > MAX_SEQUENCE {
            Want::Invalid("after_sequence")
        } else {
            Want::Ok
        };
        let got = scene
            .app
            .events()
            .watch_events(authed(
                &scene.app.operator,
                pb::WatchEventsRequest {
                    after_sequence: after,
                },
            ))
            .await
            .map(|r| r.into_inner());
        let Some(mut stream) = expect(&case, got, want) else {
            continue;
        };
        if after < size {
            let first = stream
                .next()
                .await
                .expect("the stream is open")
                .expect("an event");
            assert_eq!(first, scene.events[after as usize], "{case}");
        }
    }
}

#[tokio::test]
async fn page_sizes_lineage_depths_and_enums_answer_every_extreme_as_documented() {
    let scene = scene().await;
    let app = &scene.app;
    let before = app.snapshot().await;
    let mut page_sizes = I32_EDGES.to_vec();
    page_sizes.extend([1000, 1001]);
    let page_want = |size: i32| {
        if (0..=1000).contains(&size) {
            Want::Ok
        } else {
            Want::Invalid("page_size")
        }
    };
    for &page_size in &page_sizes {
        let case = format!("ListDatasets page_size={page_size}");
        let got = app
            .datasets()
            .list_datasets(authed(
                &app.admin,
                pb::ListDatasetsRequest {
                    page_size,
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner());
        if let Some(page) = expect(&case, got, page_want(page_size)) {
            let wanted = if page_size == 1 { 1 } else { 2 };
            assert_eq!(page.datasets.len(), wanted, "{case}");
        }
        let case = format!("ListOrganizations page_size={page_size}");
        let got = app
            .orgs()
            .list_organizations(authed(
                &app.operator,
                pb::ListOrganizationsRequest {
                    page_size,
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner());
        if let Some(page) = expect(&case, got, page_want(page_size)) {
            assert_eq!(page.organizations.len(), 1, "{case}");
        }
        let case = format!("ListAttestations page_size={page_size}");
        let got = app
            .attestations()
            .list_attestations(authed(
                &app.admin,
                pb::ListAttestationsRequest {
                    page_size,
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner());
        if let Some(page) = expect(&case, got, page_want(page_size)) {
            let wanted = if page_size == 1 { 1 } else { 2 };
            assert_eq!(page.attestations.len(), wanted, "{case}");
        }
    }

    // GetLineage checks `direction`, then `max_depth` (0 for the deepest, 10000), then
    // `page_size`; StreamLineage ignores `page_size`.
    let mut depths = I32_EDGES.to_vec();
    depths.extend([10_000, 10_001]);
    let mut directions = I32_EDGES.to_vec();
    directions.extend([2, 3]);
    for &direction in &directions {
        for &max_depth in &depths {
            for &page_size in &page_sizes {
                let request = pb::GetLineageRequest {
                    dataset_id: scene.mix.id.clone(),
                    direction,
                    max_depth,
                    page_size,
                    page_token: String::new(),
                };
                let case = format!("lineage {request:?}");
                let query_want = if !(0..=2).contains(&direction) {
                    Want::Invalid("direction")
                } else if !(0..=10_000).contains(&max_depth) {
                    Want::Invalid("max_depth")
                } else {
                    Want::Ok
                };
                let want = match query_want {
                    Want::Ok => page_want(page_size),
                    refused => refused,
                };
                let downstream = direction == pb::LineageDirection::Downstream as i32;
                // Upstream from mix: mix and raw; downstream: mix alone.
                let walk = if downstream { 1 } else { 2 };
                let got = app
                    .lineage()
                    .get_lineage(authed(&app.admin, request.clone()))
                    .await
                    .map(|r| r.into_inner());
                if let Some(page) = expect(&case, got, want) {
                    assert_eq!(page.total_count, walk, "{case}");
                    let on_page = if page_size == 1 { 1 } else { walk as usize };
                    assert_eq!(page.nodes.len(), on_page, "{case}");
                }
                if page_size != page_sizes[0] {
                    continue; // the stream ignores page_size: one pass per depth is enough
                }
                let got = app
                    .lineage()
                    .stream_lineage(authed(&app.admin, request))
                    .await
                    .map(|r| r.into_inner());
                if let Some(stream) = expect(&case, got, query_want) {
                    let nodes: Vec<pb::LineageNode> =
                        stream.map(|n| n.expect("a node")).collect().await;
                    assert_eq!(nodes.len(), walk as usize, "{case}");
                }
            }
        }
    }
    // Unknown enum values, at the edges and just past the last value, are refused naming the
    // field (LineageDirection is covered above).
    for value in [i32::MAX, -1, i32::MIN] {
        let got = app
            .orgs()
            .create_access_token(authed(
                &app.admin,
                pb::CreateAccessTokenRequest {
                    role: if value == -1 { 4 } else { value },
                    subject: "s".into(),
                    ttl: None,
                },
            ))
            .await;
        expect(&format!("role {value}"), got, Want::Invalid("role"));
        let got = app
            .datasets()
            .register_dataset(authed(
                &app.admin,
                pb::RegisterDatasetRequest {
                    visibility: if value == -1 { 3 } else { value },
                    ..dataset("enum")
                },
            ))
            .await;
        expect(
            &format!("visibility {value}"),
            got,
            Want::Invalid("visibility"),
        );
        for kind in [value, 7] {
            let got = app
                .datasets()
                .register_dataset(authed(
                    &app.admin,
                    pb::RegisterDatasetRequest {
                        sources: vec![pb::Source {
                            kind,
                            ..Default::default()
                        }],
                        ..dataset("enum")
                    },
                ))
                .await;
            expect(
                &format!("kind {kind}"),
                got,
                Want::Invalid("sources[0].kind"),
            );
        }
        for method in [value, 5] {
            let got = app
                .attestations()
                .record_attestation(authed(
                    &app.admin,
                    pb::RecordAttestationRequest {
                        method,
                        ..attestation_request(&scene.raw)
                    },
                ))
                .await;
            expect(&format!("method {method}"), got, Want::Invalid("method"));
        }
    }
    assert_eq!(app.snapshot().await, before, "nothing was written");
}

/// Whole seconds within `min..=max` (and no nanos) are accepted; anything else is refused naming
/// `field`.
fn duration_want(d: &Duration, min: i64, max: i64, field: &'static str) -> Want {
    if d.nanos == 0 && (min..=max).contains(&d.seconds) {
        Want::Ok
    } else {
        Want::Invalid(field)
    }
}

/// Durations at the edges of both of their integers, and at the bounds `min` and `max`.
fn durations(min: i64, max: i64) -> Vec<Duration> {
    let mut seconds = I64_EDGES.to_vec();
    seconds.extend([min - 1, min, max, max + 1]);
    let mut all: Vec<Duration> = seconds
        .iter()
        .map(|&seconds| Duration { seconds, nanos: 0 })
        .collect();
    for nanos in [1, -1, 999_999_999, 1_000_000_000, i32::MAX, i32::MIN] {
        all.push(Duration {
            seconds: min,
            nanos,
        });
    }
    all
}

/// Timestamps at the edges of both of their integers and at years 1 and 9999.
fn timestamps() -> Vec<Timestamp> {
    let mut seconds = I64_EDGES.to_vec();
    seconds.extend([
        MIN_TIME_SECONDS - 1,
        MIN_TIME_SECONDS,
        MAX_TIME_SECONDS,
        MAX_TIME_SECONDS + 1,
    ]);
    let mut all: Vec<Timestamp> = seconds
        .iter()
        .map(|&seconds| Timestamp { seconds, nanos: 0 })
        .collect();
    for nanos in [1, 999_999_999, 1_000_000_000, -1, i32::MAX, i32::MIN] {
        all.push(Timestamp {
            seconds: 1 << 32,
            nanos,
        });
    }
    all
}

/// A request time: years 1 to 9999 and nanos within a second, kept to the microsecond.
fn time_valid(t: &Timestamp) -> bool {
    (MIN_TIME_SECONDS..=MAX_TIME_SECONDS).contains(&t.seconds)
        && (0..1_000_000_000).contains(&t.nanos)
}

fn to_micros(t: &Timestamp) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanos: t.nanos / 1000 * 1000,
    }
}

fn seconds_between(from: &Option<Timestamp>, to: &Option<Timestamp>) -> i64 {
    let (from, to) = (from.as_ref().expect("a time"), to.as_ref().expect("a time"));
    to.seconds - from.seconds
}

#[tokio::test]
async fn writes_with_integer_extremes_store_them_exactly_or_are_refused_changing_nothing() {
    let scene = scene().await;
    let app = &scene.app;
    let now = chrono::Utc::now().timestamp();
    let mut sizes = U64_EDGES.to_vec();
    sizes.push(MAX_SEQUENCE + 1);
    let mut times = timestamps();
    times.push(Timestamp {
        seconds: now + 3600,
        nanos: 999_999_999,
    });
    let token_ttls = durations(60, 365 * 86_400);
    let validities = durations(3600, 365 * 86_400);

    // Refusals first, all of them, then proof that nothing changed.
    let before = app.snapshot().await;
    let mut accepted_sizes = Vec::new();
    for (n, &size) in sizes.iter().enumerate() {
        if size <= MAX_SEQUENCE {
            accepted_sizes.push(size);
            continue;
        }
        let got = app
            .datasets()
            .register_dataset(authed(
                &app.admin,
                pb::RegisterDatasetRequest {
                    size_bytes: Some(size),
                    ..dataset(&format!("size-{n}"))
                },
            ))
            .await;
        expect(
            &format!("size_bytes={size}"),
            got,
            Want::Invalid("size_bytes"),
        );
    }
    for ttl in token_ttls
        .iter()
        .filter(|d| duration_want(d, 60, 365 * 86_400, "ttl") != Want::Ok)
    {
        let got = app
            .orgs()
            .create_access_token(authed(
                &app.admin,
                pb::CreateAccessTokenRequest {
                    role: pb::Role::Auditor as i32,
                    subject: "ttl".into(),
                    ttl: Some(*ttl),
                },
            ))
            .await;
        expect(&format!("ttl={ttl:?}"), got, Want::Invalid("ttl"));
    }
    for validity in validities
        .iter()
        .filter(|d| duration_want(d, 3600, 365 * 86_400, "validity") != Want::Ok)
    {
        let got = app
            .certificates()
            .issue_certificate(authed(
                &app.admin,
                pb::IssueCertificateRequest {
                    dataset_id: scene.mix.id.clone(),
                    policy_id: POLICY.into(),
                    validity: Some(*validity),
                    ..Default::default()
                },
            ))
            .await;
        expect(
            &format!("validity={validity:?}"),
            got,
            Want::Invalid("validity"),
        );
    }
    for time in times.iter().filter(|t| !time_valid(t)) {
        let got = app
            .datasets()
            .register_dataset(authed(
                &app.admin,
                pb::RegisterDatasetRequest {
                    sources: vec![pb::Source {
                        kind: pb::SourceKind::HumanAuthored as i32,
                        collect_time: Some(*time),
                        ..Default::default()
                    }],
                    ..dataset("collected")
                },
            ))
            .await;
        expect(
            &format!("collect_time={time:?}"),
            got,
            Want::Invalid("sources[0].collect_time"),
        );
    }
    for time in times.iter().filter(|t| !time_valid(t) || t.seconds <= now) {
        let got = app
            .attestations()
            .record_attestation(authed(
                &app.admin,
                pb::RecordAttestationRequest {
                    expire_time: Some(*time),
                    ..attestation_request(&scene.raw)
                },
            ))
            .await;
        expect(
            &format!("expire_time={time:?}"),
            got,
            Want::Invalid("expire_time"),
        );
    }
    assert_eq!(app.snapshot().await, before, "the refusals changed nothing");

    // What is accepted is stored exactly (times to the microsecond) on either backend.
    for (n, &size) in accepted_sizes.iter().enumerate() {
        let registered = app
            .register(
                &app.admin,
                pb::RegisterDatasetRequest {
                    size_bytes: Some(size),
                    ..dataset(&format!("sized-{n}"))
                },
            )
            .await;
        let read = app
            .datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest {
                    id: registered.id.clone(),
                },
            ))
            .await
            .expect("readable")
            .into_inner();
        assert_eq!(read.size_bytes, Some(size), "size_bytes={size}");
        assert_eq!(read, registered);
    }
    let listed = app.all_datasets(&app.admin).await;
    for &size in &accepted_sizes {
        assert!(
            listed.iter().any(|d| d.size_bytes == Some(size)),
            "size {size} listed"
        );
    }
    for ttl in token_ttls
        .iter()
        .filter(|d| duration_want(d, 60, 365 * 86_400, "ttl") == Want::Ok)
    {
        let issued = app
            .orgs()
            .create_access_token(authed(
                &app.admin,
                pb::CreateAccessTokenRequest {
                    role: pb::Role::Auditor as i32,
                    subject: "ttl".into(),
                    ttl: Some(*ttl),
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("ttl={ttl:?}: {s:?}"))
            .into_inner()
            .info
            .expect("token info");
        assert_eq!(
            seconds_between(&issued.create_time, &issued.expire_time),
            ttl.seconds
        );
    }
    for validity in validities
        .iter()
        .filter(|d| duration_want(d, 3600, 365 * 86_400, "validity") == Want::Ok)
    {
        let certificate = app
            .certificates()
            .issue_certificate(authed(
                &app.admin,
                pb::IssueCertificateRequest {
                    dataset_id: scene.mix.id.clone(),
                    policy_id: POLICY.into(),
                    validity: Some(*validity),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("validity={validity:?}: {s:?}"))
            .into_inner();
        assert_eq!(
            seconds_between(&certificate.issue_time, &certificate.expire_time),
            validity.seconds
        );
    }
    for (n, time) in times.iter().filter(|t| time_valid(t)).enumerate() {
        let registered = app
            .register(
                &app.admin,
                pb::RegisterDatasetRequest {
                    sources: vec![pb::Source {
                        kind: pb::SourceKind::HumanAuthored as i32,
                        collect_time: Some(*time),
                        ..Default::default()
                    }],
                    ..dataset(&format!("collected-{n}"))
                },
            )
            .await;
        let read = app
            .datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest { id: registered.id },
            ))
            .await
            .expect("readable")
            .into_inner();
        assert_eq!(
            read.sources[0].collect_time,
            Some(to_micros(time)),
            "collect_time={time:?}"
        );
    }
    for time in times.iter().filter(|t| time_valid(t) && t.seconds > now) {
        let recorded = app
            .attestations()
            .record_attestation(authed(
                &app.admin,
                pb::RecordAttestationRequest {
                    expire_time: Some(*time),
                    ..attestation_request(&scene.raw)
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("expire_time={time:?}: {s:?}"))
            .into_inner();
        let read = app
            .attestations()
            .get_attestation(authed(
                &app.admin,
                pb::GetAttestationRequest { id: recorded.id },
            ))
            .await
            .expect("readable")
            .into_inner();
        assert_eq!(
            read.expire_time,
            Some(to_micros(time)),
            "expire_time={time:?}"
        );
    }
}

#[tokio::test]
async fn times_given_to_certificate_reads_answer_every_extreme_as_documented() {
    let scene = scene().await;
    let app = &scene.app;
    let before = app.snapshot().await;
    for time in timestamps() {
        let want = if time_valid(&time) {
            Want::Ok
        } else {
            Want::Invalid("as_of")
        };
        let got = app
            .certificates()
            .get_certificate(authed(
                &app.admin,
                pb::GetCertificateRequest {
                    id: scene.certificate.id.clone(),
                    as_of: Some(time),
                },
            ))
            .await
            .map(|r| r.into_inner());
        if let Some(read) = expect(&format!("GetCertificate as_of={time:?}"), got, want) {
            assert_eq!(read.id, scene.certificate.id);
        }
        let got = app
            .certificates()
            .verify_certificate(pb::VerifyCertificateRequest {
                token: scene.certificate.token.clone(),
                audience_organization_id: String::new(),
                as_of: Some(time),
                include_public_lineage: false,
            })
            .await
            .map(|r| r.into_inner());
        if let Some(answer) = expect(&format!("VerifyCertificate as_of={time:?}"), got, want) {
            assert_eq!(answer.certificate_id, scene.certificate.id);
        }
    }
    assert_eq!(app.snapshot().await, before);
}

/// A request's bytes exactly as given, for integers wider than the field that carries them.
#[derive(Clone, Default)]
struct Raw(Vec<u8>);

impl prost::Message for Raw {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        buf.put_slice(&self.0);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl prost::bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        // Only ever sent, never decoded.
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Raw({})", hex::encode(&self.0))
    }
}

/// `message` with field `tag` set to the varint `value`, whatever the field's declared width.
fn with_varint(message: &impl prost::Message, tag: u32, value: u64) -> Raw {
    let mut bytes = message.encode_to_vec();
    prost::encoding::encode_key(tag, prost::encoding::WireType::Varint, &mut bytes);
    prost::encoding::encode_varint(value, &mut bytes);
    Raw(bytes)
}

/// Calls `path` with the raw `request`, decoding the answer as `Answer`.
async fn call_raw<Answer: prost::Message + Default + Send + 'static>(
    channel: &Channel,
    path: &'static str,
    token: &str,
    request: Raw,
) -> Result<Answer, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<Raw, Answer>::default();
    grpc.unary(
        authed(token, request),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn integers_wider_than_their_field_are_read_as_protobuf_truncates_them() {
    // Protobuf reads a varint too wide for an `int32`/`uint32` field as its low 32 bits (as a C
    // cast would); the registry then judges that value like any other. So 2^32 reads as 0 (the
    // default page size), 2^63 as 0, 2^64-1 as -1 (refused), 2^32+5 as 5.
    let scene = scene().await;
    let app = &scene.app;
    let before = app.snapshot().await;
    for value in U64_EDGES.iter().copied().chain([(1 << 32) + 5]) {
        let read_as = value as i32;
        let case = format!("page_size={value} (read as {read_as})");
        let want = if (0..=1000).contains(&read_as) {
            Want::Ok
        } else {
            Want::Invalid("page_size")
        };
        let got: Result<pb::ListDatasetsResponse, _> = call_raw(
            &app.channel,
            "/provenance.v1.DatasetService/ListDatasets",
            &app.admin,
            with_varint(&pb::ListDatasetsRequest::default(), 1, value),
        )
        .await;
        if let Some(page) = expect(&case, got, want) {
            let wanted = if read_as == 1 { 1 } else { 2 };
            assert_eq!(page.datasets.len(), wanted, "{case}");
        }
        let got: Result<pb::ListEventsResponse, _> = call_raw(
            &app.channel,
            "/provenance.v1.EventService/ListEvents",
            &app.operator,
            with_varint(&pb::ListEventsRequest::default(), 2, value),
        )
        .await;
        if let Some(page) = expect(&case, got, want) {
            let limit = if read_as == 0 { 50 } else { read_as as usize };
            assert_eq!(page.events.len(), scene.events.len().min(limit), "{case}");
        }
        let case = format!("max_depth={value} (read as {read_as})");
        let want = if (0..=10_000).contains(&read_as) {
            Want::Ok
        } else {
            Want::Invalid("max_depth")
        };
        let got: Result<pb::GetLineageResponse, _> = call_raw(
            &app.channel,
            "/provenance.v1.LineageService/GetLineage",
            &app.admin,
            with_varint(
                &pb::GetLineageRequest {
                    dataset_id: scene.mix.id.clone(),
                    ..Default::default()
                },
                3,
                value,
            ),
        )
        .await;
        if let Some(page) = expect(&case, got, want) {
            assert_eq!(page.total_count, 2, "{case}");
        }
        let count = value as u32;
        let case = format!("count={value} (read as {count})");
        let want = if (1..=1000).contains(&count) {
            Want::Ok
        } else {
            Want::Invalid("count")
        };
        let got: Result<pb::GetLeavesResponse, _> = call_raw(
            &app.channel,
            "/provenance.v1.TransparencyLogService/GetLeaves",
            &app.admin,
            with_varint(&pb::GetLeavesRequest::default(), 2, value),
        )
        .await;
        if let Some(answer) = expect(&case, got, want) {
            assert_eq!(
                answer.leaves.len(),
                scene.events.len().min(count as usize),
                "{case}"
            );
        }
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn random_positions_sizes_and_counts_agree_with_the_documented_rules() {
    let scene = scene().await;
    let size = scene.size();
    // Values from anywhere in the range, near the log's end, and at the edges; a fixed seed and
    // a bounded number of cases keep the run short and repeatable.
    let position = prop_oneof![
        any::<u64>(),
        0..size + 3,
        prop::sample::select(U64_EDGES.to_vec()),
        (MAX_SEQUENCE - 2)..=(MAX_SEQUENCE + 2),
    ];
    let strategy = (
        position.clone(),
        position,
        prop_oneof![any::<u32>(), 0u32..1002],
        prop_oneof![any::<i32>(), -2i32..1002],
    );
    let mut runner = TestRunner::deterministic();
    use pb::get_inclusion_proof_request::Leaf;
    for _ in 0..48 {
        let (a, b, count, page_size) = strategy.new_tree(&mut runner).expect("a case").current();
        scene.check_leaves(a, count).await;
        scene.check_inclusion(Leaf::LeafIndex(a), b).await;
        scene.check_inclusion(Leaf::EventSequence(a), b).await;
        scene.check_consistency(a, b).await;
        scene.check_list_events(a, page_size).await;
    }
}
