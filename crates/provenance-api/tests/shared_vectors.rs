//! The certificate cases of `tests/data/verification_vectors.json`, which the Python client's suite
//! reads too (`clients/python/tests/test_vectors.py`): the offline checks give every case its
//! expected verdict and check names, so the Rust and Python verifiers agree case by case. The file
//! is written by `clients/python/scripts/generate_vectors.py`, whose cases state their outcome.

use chrono::DateTime;
use provenance_api::certificate::{JsonWebKeySet, verify_offline};
use serde_json::Value;
use uuid::Uuid;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/verification_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/data/verification_vectors.json");
    serde_json::from_str(&text).expect("the vectors are JSON")
}

#[test]
fn certificate_cases_get_their_expected_checks() {
    let vectors = vectors();
    let cases = vectors["certificates"].as_array().expect("a list of cases");
    assert!(cases.len() >= 20, "only {} certificate cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("a name");
        let token = case["token"].as_str().expect("a token");
        let at = DateTime::from_timestamp(case["at"].as_i64().expect("at"), 0).expect("in range");
        let audience = case["audience"]
            .as_str()
            .map(|a| Uuid::parse_str(a).expect("a UUID"));
        // As provctl reads a token from a file: surrounding whitespace is not part of it.
        let verification = verify_offline(
            token.trim(),
            &JsonWebKeySet::new(&case["jwks"]),
            audience,
            at,
        );
        let got: Vec<Value> = verification
            .checks
            .iter()
            .map(|c| serde_json::json!([c.name, c.passed]))
            .collect();
        let expected = case["expect"]["checks"].as_array().expect("checks");
        if &got != expected || verification.valid != case["expect"]["valid"] {
            failures.push(format!(
                "{name}: got {got:?} valid={}, expected {expected:?}",
                verification.valid
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
