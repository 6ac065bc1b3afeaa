//! Verifying a lineage certificate without the network, against a JWKS the verifier holds (one it
//! pinned with `provctl cert keys --out`, or the one packed in a bundle).
//!
//! The checks are the registry's own: both run `provenance_api::certificate::checks`, by the same
//! names and in the same order, and a check after a failed one is reported as not checked. Two of
//! the registry's checks cannot be made offline and are reported apart, as [`ONLINE_ONLY`]:
//! `status` (whether the certificate was revoked) and `lineage` (whether its lineage digest matches
//! the registry's records).

use chrono::{DateTime, Utc};
use provenance_api::certificate::{JsonWebKeySet, OfflineVerification, verify_offline};
use serde_json::Value;
use uuid::Uuid;

pub use provenance_api::certificate::Check;
pub use provenance_api::certificate::checks::unverified_claims;
pub use provenance_api::certificate::jwks::check_jwks;

/// The registry's checks that need the registry, and why they are not made offline.
pub const ONLINE_ONLY: [(&str, &str); 2] = [
    (
        "status",
        "not checked offline: only the registry knows whether the certificate was revoked; run `provctl cert verify` without --offline",
    ),
    (
        "lineage",
        "not checked offline: only the registry can confirm that the lineage digest matches its records",
    ),
];

/// Whether `check` could not be made (an earlier check failed, it needs the registry, a bundle
/// lacks its evidence) rather than made and failed: online and offline, such checks are printed
/// as `--` and listed under `notChecked`, never as failures.
pub fn not_run(check: &Check) -> bool {
    !check.passed && check.detail.starts_with("not checked")
}

/// Verifies `token` (surrounding whitespace ignored, as read from a file) against the keys of
/// `jwks` (a JWKS document: `{"keys": [...]}`) as things stand at `at`, expecting `audience` when
/// given.
pub fn verify(
    token: &str,
    jwks: &Value,
    audience: Option<Uuid>,
    at: DateTime<Utc>,
) -> OfflineVerification {
    verify_offline(token.trim(), &JsonWebKeySet::new(jwks), audience, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use provenance_api::certificate::{OFFLINE_CHECKS, ONLINE_CHECKS};

    /// What provctl reports apart are exactly the registry's online checks.
    #[test]
    fn the_checks_reported_apart_are_the_registrys_online_ones() {
        let names: Vec<&str> = ONLINE_ONLY.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ONLINE_CHECKS);
        assert!(
            OFFLINE_CHECKS
                .iter()
                .all(|name| !ONLINE_CHECKS.contains(name))
        );
    }

    #[test]
    fn a_token_read_from_a_file_is_trimmed_before_it_is_checked() {
        let jwks = serde_json::json!({"keys": []});
        let v = verify("  not.a.token\n", &jwks, None, Utc::now());
        assert!(!v.valid);
        // The three parts were seen (no whitespace counted into them): the format check reads a
        // header that is not base64url JSON.
        assert!(
            v.checks[0].detail.contains("a part is not"),
            "{:?}",
            v.checks[0]
        );
    }
}
