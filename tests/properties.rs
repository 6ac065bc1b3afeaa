//! Hostile input, generated: random and oversized strings (control characters, bidi marks, NULs),
//! out-of-range enums, huge repeated fields, extreme page sizes and timestamps, and deep and wide
//! graphs. Whatever arrives, validation answers `Ok` or `INVALID_ARGUMENT` naming a field, and the
//! domain rules hold; nothing panics (a panic fails the property).

use std::collections::{HashMap, VecDeque};

use proptest::collection::vec;
use proptest::prelude::*;
use provenance_registry::domain::access::{Caller, Role};
use provenance_registry::domain::dataset::Visibility;
use provenance_registry::domain::lineage::closure_with_depths;
use provenance_registry::domain::paging::{MAX_PAGE_SIZE, PageTokens, page_size};
use provenance_registry::error::Error;
use provenance_registry::grpc::convert::{self, attestation_draft};
use provenance_registry::proto::v1 as pb;
use provenance_registry::proto::wkt::Timestamp;
use uuid::Uuid;

/// Strings an attacker would send: mostly short, sometimes far over every bound, drawn from
/// printable text, control characters, bidi controls, NULs and astral characters.
fn hostile_string() -> impl Strategy<Value = String> {
    let alphabet = prop_oneof![
        8 => proptest::char::range(' ', '~'),
        1 => proptest::char::range('\u{0}', '\u{1f}'),
        1 => prop::sample::select(vec!['\u{202e}', '\u{2028}', '\u{feff}', '\u{7f}', '\u{200b}']),
        1 => proptest::char::any(),
    ];
    prop_oneof![
        6 => vec(alphabet.clone(), 0..40).prop_map(|c| c.into_iter().collect()),
        1 => vec(alphabet, 0..300).prop_map(|c| c.into_iter().collect()),
        1 => (1usize..=3).prop_map(|k| "x".repeat(k * 4096)),
        1 => Just(String::new()),
        1 => Just(Uuid::now_v7().to_string()),
        1 => Just(format!("sha256:{}", "a".repeat(64))),
    ]
}

fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::of(prop_oneof![
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
        (0i64..4_102_444_800, 0i32..1_000_000_000)
            .prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
    ])
}

fn source() -> impl Strategy<Value = pb::Source> {
    (
        any::<i32>().prop_map(|k| k.rem_euclid(8)),
        hostile_string(),
        prop::option::of((hostile_string(), hostile_string(), hostile_string())),
        hostile_string(),
        hostile_string(),
        timestamp(),
        hostile_string(),
        hostile_string(),
    )
        .prop_map(
            |(kind, dataset_id, model, uri, license, collect_time, content_digest, description)| {
                pb::Source {
                    kind,
                    dataset_id,
                    model: model.map(|(model_id, version, provider)| pb::ModelRef {
                        model_id,
                        version,
                        provider,
                    }),
                    uri,
                    license,
                    collect_time,
                    content_digest,
                    description,
                    parent_hidden: false,
                    batch_ref: String::new(),
                    license_unparsed: false,
                }
            },
        )
}

fn registration() -> impl Strategy<Value = pb::RegisterDatasetRequest> {
    (
        hostile_string(),
        hostile_string(),
        hostile_string(),
        prop::option::of(any::<u64>()),
        hostile_string(),
        hostile_string(),
        any::<i32>(),
        prop_oneof![
            8 => vec(source(), 0..8),
            // Around the bound of 1000 sources: one generated source, repeated.
            1 => (source(), 990usize..1010).prop_map(|(s, n)| vec![s; n]),
        ],
    )
        .prop_map(
            |(
                name,
                version,
                content_digest,
                size_bytes,
                description,
                license,
                visibility,
                sources,
            )| {
                pb::RegisterDatasetRequest {
                    name,
                    version,
                    content_digest,
                    size_bytes,
                    description,
                    license,
                    visibility,
                    sources,
                }
            },
        )
}

fn caller() -> Caller {
    Caller {
        token_id: Uuid::now_v7(),
        subject: "property".into(),
        organization_id: Some(Uuid::now_v7()),
        role: Role::Registrar,
    }
}

/// A refusal must be `INVALID_ARGUMENT` with every violation naming a field and a reason.
fn assert_precise(error: &Error, fields: &[&str]) {
    let Error::InvalidArgument(violations) = error else {
        panic!("expected INVALID_ARGUMENT, got {error:?}");
    };
    assert!(!violations.0.is_empty());
    for violation in &violations.0 {
        assert!(!violation.reason.is_empty(), "{violation:?}");
        assert!(
            fields.iter().any(|f| violation.field.starts_with(f)),
            "unexpected field in {violation:?}"
        );
    }
}

const REGISTRATION_FIELDS: &[&str] = &[
    "name",
    "version",
    "content_digest",
    "size_bytes",
    "description",
    "license",
    "visibility",
    "sources",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn registrations_are_accepted_whole_or_refused_naming_a_field(request in registration()) {
        let org = Uuid::now_v7();
        match convert::new_dataset(request.clone(), org, &caller()) {
            Ok(dataset) => {
                prop_assert_eq!(dataset.organization_id, org);
                prop_assert_eq!(dataset.sources.len(), request.sources.len());
                prop_assert!(dataset.name.chars().count() <= 200);
                prop_assert!(!dataset.name.chars().any(char::is_control));
                prop_assert!(dataset.sources.len() <= 1000);
            }
            Err(error) => assert_precise(&error, REGISTRATION_FIELDS),
        }
    }

    #[test]
    fn attestations_are_accepted_whole_or_refused_naming_a_field(
        dataset_id in hostile_string(),
        policy_id in hostile_string(),
        policy_version in hostile_string(),
        method in any::<i32>(),
        evidence in prop_oneof![8 => vec((hostile_string(), hostile_string(), hostile_string()), 0..4), 1 => vec((hostile_string(), hostile_string(), hostile_string()), 18..40)],
        statement in hostile_string(),
        expire_time in timestamp(),
    ) {
        let request = pb::RecordAttestationRequest {
            dataset_id,
            policy_id,
            policy_version,
            method,
            evidence: evidence
                .into_iter()
                .map(|(uri, content_digest, description)| pb::Evidence { uri, content_digest, description })
                .collect(),
            statement,
            expire_time,
            ..Default::default()
        };
        if let Err(error) = attestation_draft(request) {
            assert_precise(
                &error,
                &["dataset_id", "policy_id", "policy_version", "method", "evidence", "statement", "expire_time"],
            );
        }
    }

    #[test]
    fn page_sizes_outside_the_bounds_are_refused(value in any::<i32>()) {
        match page_size(value) {
            Ok(size) => prop_assert!((1..=MAX_PAGE_SIZE).contains(&size) && (value == 0 || size == value as u32)),
            Err(error) => {
                prop_assert!(value < 0 || value as u32 > MAX_PAGE_SIZE);
                assert_precise(&error, &["page_size"]);
            }
        }
    }

    #[test]
    fn any_timestamp_is_a_time_or_a_precise_refusal(seconds in any::<i64>(), nanos in any::<i32>()) {
        match convert::time_from_proto("as_of", &Timestamp { seconds, nanos }) {
            Ok(time) => prop_assert_eq!(time.timestamp(), seconds),
            Err(error) => assert_precise(&error, &["as_of"]),
        }
    }

    #[test]
    fn page_tokens_round_trip_and_foreign_ones_are_refused(cursor in "[a-z0-9-]{0,64}", forged in hostile_string()) {
        let tokens = PageTokens::new("datasets", &["Acme", ""]);
        let token = tokens.encode(&cursor);
        prop_assert_eq!(tokens.decode(&token).unwrap(), Some(cursor.clone()));
        // A token for another query or list is refused, not misread.
        let other = PageTokens::new("attestations", &["Acme", ""]);
        if let Err(error) = other.decode(&token) {
            assert_precise(&error, &["page_token"]);
        }
        if let Err(error) = tokens.decode(&forged) {
            assert_precise(&error, &["page_token"]);
        }
    }

    /// On random graphs, wide and deep, the closure holds each reachable dataset once at its
    /// shortest depth within the limit, as a plain breadth-first search finds it.
    #[test]
    fn closures_match_a_breadth_first_search(
        nodes in 1usize..300,
        edges in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..900),
        max_depth in 0u32..20,
    ) {
        let ids: Vec<Uuid> = (0..nodes).map(|_| Uuid::now_v7()).collect();
        let owner = Uuid::now_v7();
        let node_rows: Vec<_> = ids.iter().map(|&id| (id, owner, Visibility::Private)).collect();
        // Cycles are possible in the input on purpose: the walk must still end.
        let edge_rows: Vec<(Uuid, Uuid)> = edges
            .iter()
            .map(|(a, b)| (ids[a.index(nodes)], ids[b.index(nodes)]))
            .collect();
        let closure = closure_with_depths(ids[0], &node_rows, &edge_rows, max_depth);

        let mut next: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for &(from, to) in &edge_rows {
            next.entry(from).or_default().push(to);
        }
        let mut depth = HashMap::from([(ids[0], 0u32)]);
        let mut queue = VecDeque::from([ids[0]]);
        while let Some(node) = queue.pop_front() {
            let d = depth[&node];
            if d == max_depth {
                continue;
            }
            for &n in next.get(&node).into_iter().flatten() {
                if let std::collections::hash_map::Entry::Vacant(slot) = depth.entry(n) {
                    slot.insert(d + 1);
                    queue.push_back(n);
                }
            }
        }
        prop_assert_eq!(closure.len(), depth.len());
        for entry in &closure {
            prop_assert_eq!(Some(&entry.depth), depth.get(&entry.id));
        }
    }
}

/// A chain far deeper than any real lineage walks without exhausting the stack.
#[test]
fn a_chain_of_twenty_thousand_datasets_walks_to_its_limit() {
    let ids: Vec<Uuid> = (0..20_000).map(|_| Uuid::now_v7()).collect();
    let owner = Uuid::now_v7();
    let nodes: Vec<_> = ids
        .iter()
        .map(|&id| (id, owner, Visibility::Private))
        .collect();
    let edges: Vec<_> = ids.windows(2).map(|w| (w[0], w[1])).collect();
    let closure = closure_with_depths(ids[0], &nodes, &edges, 10_000);
    assert_eq!(closure.len(), 10_001);
    assert!(closure.iter().all(|e| e.depth <= 10_000));
}
