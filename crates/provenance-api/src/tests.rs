//! The canonical JSON mapping, checked against what protobuf's JSON printers write.

use serde_json::json;

use crate::v1 as pb;
use crate::wkt::{Duration, Timestamp};

#[test]
fn messages_print_in_the_proto3_canonical_json_mapping() {
    let evaluation = pb::Evaluation {
        verdict: pb::Verdict::Contaminated as i32,
        dataset_id: "0193b6f0-7c1e-7d2a-9f00-5b2a1c3d4e5f".into(),
        offenders: vec![pb::Offender {
            kind: pb::OffenceKind::RestrictedModelOutput as i32,
            model_id: "DeepSeek-R1".into(),
            match_rule: "canonical".into(),
            path_length: 2,
            ..Default::default()
        }],
        offender_count: 1,
        evaluate_time: Some(Timestamp {
            seconds: 1_764_806_400,
            nanos: 500_000_000,
        }),
        ..Default::default()
    };
    // lowerCamelCase names, enums by name, defaults left out, Timestamp in RFC 3339.
    assert_eq!(
        serde_json::to_value(&evaluation).unwrap(),
        json!({
            "verdict": "VERDICT_CONTAMINATED",
            "datasetId": "0193b6f0-7c1e-7d2a-9f00-5b2a1c3d4e5f",
            "offenders": [{
                "kind": "OFFENCE_KIND_RESTRICTED_MODEL_OUTPUT",
                "modelId": "DeepSeek-R1",
                "matchRule": "canonical",
                "pathLength": 2
            }],
            "offenderCount": 1,
            "evaluateTime": "2025-12-04T00:00:00.500Z"
        })
    );
}

#[test]
fn sixty_four_bit_integers_and_durations_print_as_strings_and_read_back() {
    let leaves = pb::GetLeavesRequest {
        start: u64::MAX,
        count: 3,
    };
    let text = serde_json::to_value(leaves).unwrap();
    assert_eq!(text, json!({"start": "18446744073709551615", "count": 3}));
    let back: pb::GetLeavesRequest = serde_json::from_value(text).unwrap();
    assert_eq!(back, leaves);

    let issue = pb::IssueCertificateRequest {
        validity: Some(Duration {
            seconds: 3600,
            nanos: 0,
        }),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&issue).unwrap(),
        json!({"validity": "3600s"})
    );
    // Readers take the original field names too, as the mapping requires.
    let read: pb::GetLeavesRequest = serde_json::from_value(json!({"start": 5})).unwrap();
    assert_eq!(read.start, 5);
    let read: pb::EvaluateDatasetRequest =
        serde_json::from_value(json!({"dataset_id": "x", "policyId": "p"})).unwrap();
    assert_eq!(
        (read.dataset_id.as_str(), read.policy_id.as_str()),
        ("x", "p")
    );
}

#[test]
fn the_descriptor_set_names_every_service() {
    let text = String::from_utf8_lossy(crate::FILE_DESCRIPTOR_SET);
    for service in [
        "OrganizationService",
        "DatasetService",
        "LineageService",
        "PolicyService",
        "AttestationService",
        "CertificateService",
        "EventService",
        "TransparencyLogService",
    ] {
        assert!(text.contains(service), "{service}");
    }
}

#[test]
fn timestamps_and_durations_print_as_protobufs_python_printer_does() {
    // Each expected string is what `google.protobuf.json_format.MessageToJson` prints (protobuf
    // 7.36, Python) for the same value.
    let cases = [
        (1_764_806_400, 500_000_000, "2025-12-04T00:00:00.500Z"),
        (1_764_806_400, 1_000, "2025-12-04T00:00:00.000001Z"),
        (1_764_806_400, 0, "2025-12-04T00:00:00Z"),
        (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
        (
            253_402_300_799,
            999_999_999,
            "9999-12-31T23:59:59.999999999Z",
        ),
    ];
    for (seconds, nanos, printed) in cases {
        let time = Timestamp { seconds, nanos };
        assert_eq!(serde_json::to_value(time).unwrap(), json!(printed));
        let back: Timestamp = serde_json::from_value(json!(printed)).unwrap();
        assert_eq!(back, time);
    }
    // Another offset reads as the same instant.
    let offset: Timestamp = serde_json::from_value(json!("2025-12-04T01:00:00+01:00")).unwrap();
    assert_eq!(offset.seconds, 1_764_806_400);
    // Outside what RFC 3339 can write, or nanos out of range: an error, not a wrong time.
    for (seconds, nanos) in [
        (253_402_300_800, 0),
        (-62_135_596_801, 0),
        (0, -1),
        (0, 1_000_000_000),
    ] {
        assert!(serde_json::to_value(Timestamp { seconds, nanos }).is_err());
    }
    let half = Duration {
        seconds: 1,
        nanos: 500_000_000,
    };
    assert_eq!(serde_json::to_value(half).unwrap(), json!("1.500s"));
}
