//! The checks a lineage certificate passes without asking the registry, by name and in order:
//! `format`, `algorithm`, `type`, `key`, `signature`, `key_window`, `validity`, `audience`,
//! `policies`.
//!
//! The registry's `VerifyCertificate` runs these and then its two online checks ([`ONLINE_CHECKS`]);
//! `provctl cert verify --offline` runs these against a JWKS it holds. Both call this module, so a
//! change to a rule reaches both.
//!
//! A failed `format`, `algorithm`, `type`, `key` or `signature` check stops verification: the
//! checks after it are reported as not checked. `key_window`, `validity`, `audience` and `policies`
//! are judged from the signed claims and are all reported whatever each finds. `policies` checks
//! that every policy the certificate covers was judged in a way a certificate is issued on (see
//! [`policies_check`]); the registry adds its own comparison of each clause digest.
//!
//! A certificate comes in either of its two forms, checked by the same names: the compact JWS, or
//! the in-toto Statement in a DSSE envelope ([`super::dsse`]), where `format` reads the envelope,
//! `algorithm` is the key's (Ed25519, DSSE names none), `type` checks the payload type, the
//! Statement's `_type` and its `predicateType`, `key` looks up the signature's `keyid`, and
//! `signature` verifies it over DSSE's PAE.
//!
//! Verification runs in three steps so that the caller chooses the key set from the token's `kid`
//! and verifies the signature its own way (the registry batches concurrent signatures):
//! [`read_header`], then [`CertificateHeader::find_key`], then [`PendingSignature::conclude`].
//! [`verify_offline`] runs all three with a single signature check.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ed25519_verify::PublicKey;
use serde_json::Value;
use uuid::Uuid;

use super::claims::{
    CERTIFICATE_TYPE, CertificateClaims, CoveredPolicyClaim, MAX_COVERED_POLICIES, signed_claims,
};
use super::dsse::{self, ReadEnvelope};

/// The checks made without the registry, in the order they run.
pub const OFFLINE_CHECKS: [&str; 9] = [
    "format",
    "algorithm",
    "type",
    "key",
    "signature",
    "key_window",
    "validity",
    "audience",
    "policies",
];

/// The registry's checks after the offline ones, which only it can make: `status` (whether it
/// holds this token and has not revoked it) and `lineage` (whether the lineage digest matches its
/// records).
pub const ONLINE_CHECKS: [&str; 2] = ["status", "lineage"];

/// What a check reports when an earlier check failed.
pub const NOT_CHECKED: &str = "not checked: an earlier check failed";

/// One check: its name, whether it passed, what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// One of [`OFFLINE_CHECKS`] or [`ONLINE_CHECKS`], or a client's own (a bundle's `bundle`, the
    /// log checks' names).
    pub name: Cow<'static, str>,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

impl Check {
    /// A check by name.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        passed: bool,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            passed,
            detail: detail.into(),
        }
    }

    /// `name`, not made because an earlier check failed.
    pub fn not_checked(name: &'static str) -> Self {
        Self::new(name, false, NOT_CHECKED)
    }
}

/// A key that may have signed certificates, as a verifier knows it.
#[derive(Debug, Clone)]
pub struct CertificateKey {
    /// Its id, the `kid` of the tokens it signed.
    pub kid: String,
    /// The public key.
    pub public_key: PublicKey,
    /// When it became active; `None` when the key set does not say (a plain JWKS), and then
    /// whether it was active at an issue time is unknown.
    pub valid_from: Option<DateTime<Utc>>,
    /// When a newer key replaced it; `None` while it is active.
    pub valid_until: Option<DateTime<Utc>>,
    /// Shown after the key in the `key` check's detail, e.g. `active in the JWKS`.
    pub note: Option<String>,
}

/// Where a verifier finds certificate keys: the registry's key ring, or a JWKS document.
pub trait CertificateKeys {
    /// The signing key named `kid`, or why there is none usable (the `key` check's detail).
    fn certificate_key(&self, kid: &str) -> Result<CertificateKey, String>;
}

/// The outcome of the offline checks.
#[derive(Debug, Clone)]
pub struct OfflineVerification {
    /// Every offline check passed. Says nothing of revocation: see [`ONLINE_CHECKS`].
    pub valid: bool,
    /// The checks of [`OFFLINE_CHECKS`], in order, every one reported.
    pub checks: Vec<Check>,
    /// The claims, when the signature verified.
    pub claims: Option<CertificateClaims>,
    /// The claims exactly as signed (the token's payload, decoded), when the signature verified.
    pub claims_json: Option<String>,
    /// The `kid` of the key that verified the signature.
    pub kid: Option<String>,
}

/// Verification stopped by a failed check before the claims could be read: the checks made, the
/// last one failed.
#[derive(Debug, Clone)]
pub struct StoppedEarly(Vec<Check>);

impl From<StoppedEarly> for OfflineVerification {
    /// Every offline check reported: those not reached as not checked.
    fn from(StoppedEarly(mut checks): StoppedEarly) -> Self {
        for name in OFFLINE_CHECKS.iter().skip(checks.len()) {
            checks.push(Check::not_checked(name));
        }
        Self {
            valid: false,
            checks,
            claims: None,
            claims_json: None,
            kid: None,
        }
    }
}

/// A certificate whose `format`, `algorithm` and `type` checks passed.
#[derive(Debug)]
pub struct CertificateHeader<'t> {
    form: Form<'t>,
    kid: String,
    checks: Vec<Check>,
}

/// The form a certificate was presented in.
#[derive(Debug)]
enum Form<'t> {
    /// A compact JWS.
    Jws(&'t str),
    /// An in-toto Statement in a DSSE envelope.
    Dsse(ReadEnvelope),
}

/// Runs the `format`, `algorithm` and `type` checks on a certificate presented in either form,
/// exactly as given (a client that reads it from a file trims it first): a DSSE envelope when it
/// is a JSON object ([`dsse::looks_like_envelope`]), otherwise a compact JWS.
pub fn read_header(presented: &str) -> Result<CertificateHeader<'_>, StoppedEarly> {
    if dsse::looks_like_envelope(presented) {
        read_envelope_header(presented)
    } else {
        read_jws_header(presented)
    }
}

fn read_envelope_header(text: &str) -> Result<CertificateHeader<'_>, StoppedEarly> {
    let mut checks = Vec::with_capacity(OFFLINE_CHECKS.len() + ONLINE_CHECKS.len());
    let envelope = match dsse::read_envelope(text) {
        Ok(envelope) => envelope,
        Err(why) => {
            checks.push(Check::new("format", false, why));
            return Err(StoppedEarly(checks));
        }
    };
    checks.push(Check::new(
        "format",
        true,
        "a DSSE envelope with one signature",
    ));
    checks.push(Check::new(
        "algorithm",
        true,
        "Ed25519 over the DSSE pre-authentication encoding",
    ));
    if let Err(why) = dsse::statement_type(&envelope) {
        checks.push(Check::new("type", false, why));
        return Err(StoppedEarly(checks));
    }
    checks.push(Check::new(
        "type",
        true,
        "an in-toto Statement v1 of a lineage certificate",
    ));
    Ok(CertificateHeader {
        kid: envelope.keyid.clone(),
        form: Form::Dsse(envelope),
        checks,
    })
}

fn read_jws_header(token: &str) -> Result<CertificateHeader<'_>, StoppedEarly> {
    let mut checks = Vec::with_capacity(OFFLINE_CHECKS.len() + ONLINE_CHECKS.len());
    let parts: Vec<&str> = token.split('.').collect();
    let header = match parts.as_slice() {
        [header, _, _] => decode_json(header),
        _ => Err(format!("{} part(s) separated by dots, not 3", parts.len())),
    }
    .and_then(|header| match header {
        Value::Object(header) => Ok(header),
        _ => Err("the header is not a JSON object".to_owned()),
    });
    let header = match header {
        Ok(header) => header,
        Err(why) => {
            checks.push(Check::new(
                "format",
                false,
                format!("not a compact JWS with a readable header: {why}"),
            ));
            return Err(StoppedEarly(checks));
        }
    };
    checks.push(Check::new("format", true, "a compact JWS"));

    let member = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or("");
    let alg = member("alg");
    if alg != "EdDSA" {
        checks.push(Check::new(
            "algorithm",
            false,
            format!("{alg:?} is not allowed; certificates use EdDSA"),
        ));
        return Err(StoppedEarly(checks));
    }
    checks.push(Check::new("algorithm", true, "EdDSA"));

    let typ = member("typ");
    if typ != CERTIFICATE_TYPE {
        checks.push(Check::new(
            "type",
            false,
            format!("typ {typ:?} is not {CERTIFICATE_TYPE:?}: not a lineage certificate"),
        ));
        return Err(StoppedEarly(checks));
    }
    checks.push(Check::new("type", true, CERTIFICATE_TYPE));
    Ok(CertificateHeader {
        form: Form::Jws(token),
        kid: member("kid").to_owned(),
        checks,
    })
}

impl<'t> CertificateHeader<'t> {
    /// The `kid` the header names; empty when it names none.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Runs the `key` check: the key the header names, from `keys`.
    pub fn find_key(
        mut self,
        keys: &impl CertificateKeys,
    ) -> Result<PendingSignature<'t>, StoppedEarly> {
        let found = if self.kid.is_empty() {
            Err(match self.form {
                Form::Jws(_) => "the token names no key (no kid in its header)",
                Form::Dsse(_) => "the envelope names no key (no keyid in its signature)",
            }
            .to_owned())
        } else {
            keys.certificate_key(&self.kid)
        };
        let key = match found {
            Ok(key) => key,
            Err(why) => {
                self.checks.push(Check::new("key", false, why));
                return Err(StoppedEarly(self.checks));
            }
        };
        let detail = match &key.note {
            Some(note) => format!("signed with key {} ({note})", key.kid),
            None => format!("signed with key {}", key.kid),
        };
        self.checks.push(Check::new("key", true, detail));
        let (signing_input, signature, signed) = match self.form {
            Form::Jws(token) => {
                // Three parts, as the format check found: the signature covers the first two as
                // sent.
                let (signing_input, signature) = token.rsplit_once('.').unwrap_or((token, ""));
                (
                    Cow::Borrowed(signing_input.as_bytes()),
                    URL_SAFE_NO_PAD.decode(signature).ok(),
                    Signed::Jws(signing_input),
                )
            }
            Form::Dsse(envelope) => (
                Cow::Owned(dsse::pae(&envelope.payload_type, &envelope.payload)),
                envelope.signature,
                Signed::Statement(envelope.payload),
            ),
        };
        Ok(PendingSignature {
            signing_input,
            signature,
            signed,
            key,
            checks: self.checks,
        })
    }
}

/// What a signature covers, to read the claims from once it verified.
#[derive(Debug)]
enum Signed<'t> {
    /// A JWS's `header.payload`.
    Jws(&'t str),
    /// A DSSE envelope's payload: the Statement.
    Statement(Vec<u8>),
}

/// A certificate whose checks up to `key` passed, waiting for its signature to be verified.
#[derive(Debug)]
pub struct PendingSignature<'t> {
    signing_input: Cow<'t, [u8]>,
    signature: Option<Vec<u8>>,
    signed: Signed<'t>,
    key: CertificateKey,
    checks: Vec<Check>,
}

impl PendingSignature<'_> {
    /// The key to verify with.
    pub fn public_key(&self) -> &PublicKey {
        &self.key.public_key
    }

    /// What the signature covers: a JWS's header and payload as sent, with the dot; a DSSE
    /// envelope's PAE of its payload type and payload.
    pub fn signing_input(&self) -> &[u8] {
        &self.signing_input
    }

    /// The signature's bytes; `None` when they are not base64url (and so verify nothing).
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// Verifies the signature under the one Ed25519 rule (`ed25519-verify`) and concludes.
    pub fn verify_and_conclude(
        self,
        at: DateTime<Utc>,
        audience: Option<Uuid>,
    ) -> OfflineVerification {
        let verifies = self.signature().is_some_and(|signature| {
            ed25519_verify::verify(self.public_key(), &self.signing_input, signature).is_ok()
        });
        self.conclude(verifies, at, audience)
    }

    /// Runs the `signature` check with the caller's verdict on the signature (`signature_verifies`:
    /// whether [`Self::signature`] is the key's Ed25519 signature of [`Self::signing_input`] under
    /// the one rule), then reads the claims and judges `key_window`, `validity` at `at` and
    /// `audience` against `audience` when one is expected.
    pub fn conclude(
        mut self,
        signature_verifies: bool,
        at: DateTime<Utc>,
        audience: Option<Uuid>,
    ) -> OfflineVerification {
        if !signature_verifies {
            self.checks.push(Check::new(
                "signature",
                false,
                "the signature does not verify: the token was altered, or signed by another key",
            ));
            return StoppedEarly(self.checks).into();
        }
        let read = match &self.signed {
            Signed::Jws(signing_input) => signed_claims(signing_input),
            Signed::Statement(payload) => dsse::statement_claims(payload),
        };
        let (claims, claims_json) = match read {
            Ok(read) => read,
            Err(why) => {
                self.checks.push(Check::new(
                    "signature",
                    false,
                    format!("the signed claims are not a lineage certificate's: {why}"),
                ));
                return StoppedEarly(self.checks).into();
            }
        };
        self.checks
            .push(Check::new("signature", true, "the signature verifies"));
        self.checks.push(key_window_check(&self.key, claims.iat));
        self.checks.push(validity_check(&claims, at));
        self.checks.push(audience_check(&claims, audience));
        self.checks.push(policies_check(&claims));
        OfflineVerification {
            valid: self.checks.iter().all(|c| c.passed),
            checks: self.checks,
            claims: Some(claims),
            claims_json: Some(claims_json),
            kid: Some(self.key.kid),
        }
    }
}

/// Runs every offline check of `token` against `keys` as things stand at `at`, expecting
/// `audience` when given.
pub fn verify_offline(
    token: &str,
    keys: &impl CertificateKeys,
    audience: Option<Uuid>,
    at: DateTime<Utc>,
) -> OfflineVerification {
    match read_header(token).and_then(|header| header.find_key(keys)) {
        Ok(pending) => pending.verify_and_conclude(at, audience),
        Err(stopped) => stopped.into(),
    }
}

/// Whether the key was active when the certificate was issued.
fn key_window_check(key: &CertificateKey, iat: i64) -> Check {
    let kid = &key.kid;
    let Some(from) = key.valid_from else {
        return Check::new(
            "key_window",
            false,
            format!(
                "the key set gives no valid_from for key {kid}, so whether it was active at the issue time is unknown; verify against the registry's JWKS, which gives it"
            ),
        );
    };
    let Some(issued) = DateTime::from_timestamp(iat, 0) else {
        return Check::new("key_window", false, "the issue time is out of range");
    };
    // `iat` is in whole seconds, the key's start in microseconds: a certificate signed in the
    // key's first second has an `iat` up to a second before it.
    let within =
        from <= issued + Duration::seconds(1) && key.valid_until.is_none_or(|until| issued < until);
    Check::new(
        "key_window",
        within,
        if within {
            format!("key {kid} was active when the certificate was issued")
        } else {
            format!("key {kid} was not active at the certificate's issue time")
        },
    )
}

fn validity_check(claims: &CertificateClaims, at: DateTime<Utc>) -> Check {
    let now = at.timestamp();
    let in_window = claims.nbf <= now && now < claims.exp;
    Check::new(
        "validity",
        in_window,
        if in_window {
            "within its validity window"
        } else if now >= claims.exp {
            "expired"
        } else {
            "not valid yet"
        },
    )
}

fn audience_check(claims: &CertificateClaims, expected: Option<Uuid>) -> Check {
    let Some(expected) = expected else {
        return Check::new("audience", true, "no audience expected");
    };
    let matches = claims.aud.as_deref() == Some(expected.to_string().as_str());
    Check::new(
        "audience",
        matches,
        if matches {
            "issued for the expected organisation".to_owned()
        } else {
            format!(
                "issued for {}, not for {expected}",
                claims.aud.as_deref().unwrap_or("no audience")
            )
        },
    )
}

/// Whether every policy the certificate covers was judged in a way a certificate is issued on:
/// the `policies` claim lists 1 to [`MAX_COVERED_POLICIES`] policy versions, none twice, the first
/// being the `policy` claim with the `verdict` claim; each verdict is `CLEAN` or `EXEMPT` (which
/// needs a `target_model`); each clause digest is 64 lower-case hex digits; each obligation is met
/// or applies, a met naming obligation with a `target_model`, a met no-competing-use obligation
/// with the purpose `NON_COMPETING`. A certificate issued before policies were listed is judged
/// as covering its one `policy`.
pub fn policies_check(claims: &CertificateClaims) -> Check {
    let covered = claims.covered_policies();
    let problem = policies_problem(claims, &covered);
    let detail = match &problem {
        Some(problem) => problem.clone(),
        None => {
            let each: Vec<String> = covered.iter().map(describe_covered).collect();
            let count = match covered.len() {
                1 => "1 policy".to_owned(),
                n => format!("{n} policies"),
            };
            format!("{count}: {}", each.join("; "))
        }
    };
    Check::new("policies", problem.is_none(), detail)
}

fn policies_problem(claims: &CertificateClaims, covered: &[CoveredPolicyClaim]) -> Option<String> {
    let Some(first) = covered.first() else {
        return Some("the policies claim lists no policy".into());
    };
    if covered.len() > MAX_COVERED_POLICIES {
        return Some(format!(
            "the policies claim lists {} policies, more than {MAX_COVERED_POLICIES}",
            covered.len()
        ));
    }
    let policy = &claims.policy;
    if (
        first.id.as_str(),
        first.version.as_str(),
        first.clause_sha256.as_str(),
    ) != (
        policy.id.as_str(),
        policy.version.as_str(),
        policy.clause_sha256.as_str(),
    ) || first.verdict != claims.verdict
    {
        return Some("the first of the policies claim is not the policy and verdict claims".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for entry in covered {
        let name = format!("{}@{}", entry.id, entry.version);
        if !seen.insert((entry.id.as_str(), entry.version.as_str())) {
            return Some(format!("{name} is listed twice"));
        }
        let hex = entry.clause_sha256.len() == 64
            && entry
                .clause_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Some(format!(
                "{name}: the clause digest is not 64 lower-case hex digits"
            ));
        }
        match entry.verdict.as_str() {
            "CLEAN" => {}
            "EXEMPT" if claims.target_model.is_some() => {}
            "EXEMPT" => return Some(format!("{name}: EXEMPT without a target model")),
            other => {
                return Some(format!(
                    "{name}: the verdict {other:?} is not one a certificate is issued on"
                ));
            }
        }
        for owed in &entry.obligations {
            let shown = match (owed.kind.as_str(), owed.status.as_str()) {
                ("NAME_PREFIX", "MET") => {
                    claims.target_model.is_some() && owed.name_prefix.is_some()
                }
                ("NO_COMPETING_USE", "MET") => claims.purpose.as_deref() == Some("NON_COMPETING"),
                ("INHERITED_TERMS", "APPLIES") => true,
                _ => false,
            };
            if !shown {
                return Some(format!(
                    "{name}: the obligation {} is {}, not shown met",
                    owed.kind, owed.status
                ));
            }
        }
    }
    None
}

fn describe_covered(entry: &CoveredPolicyClaim) -> String {
    let mut said = format!("{}@{} {}", entry.id, entry.version, entry.verdict);
    for owed in &entry.obligations {
        said.push_str(&match (owed.kind.as_str(), &owed.name_prefix) {
            ("NAME_PREFIX", Some(prefix)) => format!(", name begins with {prefix:?}: met"),
            ("INHERITED_TERMS", _) => ", bound by its terms".to_owned(),
            ("NO_COMPETING_USE", _) => ", no competing use: met".to_owned(),
            (kind, _) => format!(", {kind}: {}", owed.status),
        });
    }
    said
}

/// The token's claims, read without verifying anything: for showing what a certificate the
/// registry sent over an authenticated channel states. `None` when they do not decode.
pub fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.trim().split('.').nth(1)?;
    decode_json(payload).ok()
}

fn decode_json(part: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| "a part is not base64url".to_owned())?;
    serde_json::from_slice(&bytes).map_err(|_| "a part is not JSON".to_owned())
}
