//! The certificate as an in-toto Statement v1 in a DSSE envelope: the form supply-chain tools
//! (in-toto, Sigstore, GUAC) read with their own libraries.
//!
//! The registry signs it at issuance beside the JWS, with the same Ed25519 key:
//!
//! - the envelope is DSSE v1 (`payload` and `sig` in standard base64 with padding, `keyid` the
//!   signing key's JWK `kid`), its signature over `PAE(payloadType, payload)`;
//! - `payloadType` is [`PAYLOAD_TYPE`], the payload an in-toto Statement v1 ([`STATEMENT_TYPE`]);
//! - its one subject is the certified dataset, named `<organisation>/<name>@<version>` with the
//!   dataset's SHA-256 content digest;
//! - its `predicateType` is [`PREDICATE_TYPE`] and its predicate the certificate's claims exactly as
//!   the JWS carries them, plus the certificate's transparency-log index and the JWS's SHA-256
//!   (schema and field-by-field reference: `docs/in-toto/lineage-certificate/v1/`).
//!
//! Verification runs the same checks by the same names as for the JWS
//! ([`super::checks::read_presented`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::claims::CertificateClaims;
use crate::event_chain::canonical_json;

/// The DSSE `payloadType` of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The Statement's `_type`: in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The `predicateType` of a lineage certificate: a stable URI, its JSON Schema in the repository
/// at `docs/in-toto/lineage-certificate/v1/schema.json`.
pub const PREDICATE_TYPE: &str =
    "https://provenance-registry.dev/attestation/lineage-certificate/v1";

/// A DSSE envelope (JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The payload, standard base64 with padding.
    pub payload: String,
    /// What the payload is: [`PAYLOAD_TYPE`] for a certificate.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The signatures: the registry's one.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// The signing key's JWK `kid`.
    #[serde(default)]
    pub keyid: String,
    /// The Ed25519 signature of `PAE(payloadType, payload)`, standard base64 with padding.
    pub sig: String,
}

/// DSSE's pre-authentication encoding: what the signature covers.
///
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    encoded.extend_from_slice(b"DSSEv1 ");
    encoded.extend_from_slice(payload_type.len().to_string().as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload_type.as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload.len().to_string().as_bytes());
    encoded.push(b' ');
    encoded.extend_from_slice(payload);
    encoded
}

/// The Statement of a certificate: `claims_json` (the JWS's payload) as its predicate, with
/// `log_index` (its `certificate.issued` event's leaf index) and `token_sha256` (hex SHA-256 of
/// the whole JWS). Deterministic: the same certificate always gives the same bytes (keys sorted,
/// no whitespace), so the registry can sign it again and get the same envelope.
pub fn statement(claims_json: &str, token: &str, log_index: u64) -> Result<Vec<u8>, String> {
    let mut predicate: Map<String, Value> =
        serde_json::from_str(claims_json).map_err(|e| format!("the claims are not JSON: {e}"))?;
    predicate.insert("log_index".into(), log_index.into());
    predicate.insert(
        "token_sha256".into(),
        hex::encode(Sha256::digest(token.as_bytes())).into(),
    );
    let claims: CertificateClaims = serde_json::from_value(Value::Object(predicate.clone()))
        .map_err(|e| format!("the claims are not a certificate's: {e}"))?;
    let subject = subject(&claims)?;
    let statement = json!({
        "_type": STATEMENT_TYPE,
        "subject": [subject],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    });
    // Keys sorted explicitly (not by whatever map serde_json was built with), so that the bytes
    // never change for a stored certificate, whose envelope is signed again on each read.
    Ok(canonical_json(&statement).into_bytes())
}

/// The Statement's subject for a certificate's dataset: `<organisation>/<name>@<version>` (the
/// owner's name as signed, or its id for certificates issued before names were signed) and the
/// content digest's hex as `sha256`.
fn subject(claims: &CertificateClaims) -> Result<Value, String> {
    let dataset = &claims.dataset;
    let digest = dataset
        .content_digest
        .strip_prefix("sha256:")
        .ok_or("the content digest is not sha256:<hex>")?;
    let organization = dataset
        .organization_name
        .as_deref()
        .unwrap_or(&dataset.organization_id);
    Ok(json!({
        "name": format!("{organization}/{}@{}", dataset.name, dataset.version),
        "digest": {"sha256": digest},
    }))
}

/// The envelope of `statement` signed with `signature` (the key's Ed25519 signature of
/// [`pae`]`(`[`PAYLOAD_TYPE`]`, statement)`) by the key `kid`, as JSON.
pub fn envelope_json(statement: &[u8], kid: &str, signature: &[u8]) -> String {
    let envelope = Envelope {
        payload: STANDARD.encode(statement),
        payload_type: PAYLOAD_TYPE.to_owned(),
        signatures: vec![EnvelopeSignature {
            keyid: kid.to_owned(),
            sig: STANDARD.encode(signature),
        }],
    };
    // A struct of strings always serialises.
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// Whether `text` is presented as a DSSE envelope rather than a compact JWS: a JSON object.
pub fn looks_like_envelope(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// An envelope read for verification: its payload decoded, its one signature.
#[derive(Debug, Clone)]
pub struct ReadEnvelope {
    /// The payload's bytes.
    pub payload: Vec<u8>,
    /// The payload type as sent.
    pub payload_type: String,
    /// The signature's `keyid`.
    pub keyid: String,
    /// The signature's bytes; `None` when not base64.
    pub signature: Option<Vec<u8>>,
}

/// Reads an envelope: JSON with a base64 `payload`, a `payloadType` and exactly one signature.
pub fn read_envelope(text: &str) -> Result<ReadEnvelope, String> {
    let envelope: Envelope = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("not a DSSE envelope: {e}"))?;
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|_| "the payload is not standard base64".to_owned())?;
    let [signature] = <[EnvelopeSignature; 1]>::try_from(envelope.signatures).map_err(|all| {
        format!(
            "{} signatures; a certificate's envelope carries exactly one",
            all.len()
        )
    })?;
    Ok(ReadEnvelope {
        payload,
        payload_type: envelope.payload_type,
        keyid: signature.keyid,
        signature: STANDARD.decode(&signature.sig).ok(),
    })
}

/// The `type` check's finding on an envelope, read before its signature (as a JWS's header is):
/// the in-toto payload type, a Statement v1, a lineage certificate's predicate.
pub fn statement_type(envelope: &ReadEnvelope) -> Result<(), String> {
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(format!(
            "payloadType {:?} is not {PAYLOAD_TYPE:?}: not an in-toto Statement",
            envelope.payload_type
        ));
    }
    let statement: Value = serde_json::from_slice(&envelope.payload)
        .map_err(|_| "the payload is not JSON".to_owned())?;
    let member = |name: &str| statement.get(name).and_then(Value::as_str).unwrap_or("");
    if member("_type") != STATEMENT_TYPE {
        return Err(format!(
            "_type {:?} is not {STATEMENT_TYPE:?}",
            member("_type")
        ));
    }
    if member("predicateType") != PREDICATE_TYPE {
        return Err(format!(
            "predicateType {:?} is not {PREDICATE_TYPE:?}: not a lineage certificate",
            member("predicateType")
        ));
    }
    Ok(())
}

/// The claims of a Statement whose signature verified, and the Statement as signed. Says why when
/// it is not a lineage certificate's: its predicate must read as the claims, and its one subject
/// must be the dataset the claims name.
pub fn statement_claims(payload: &[u8]) -> Result<(CertificateClaims, String), String> {
    let text = std::str::from_utf8(payload).map_err(|e| e.to_string())?;
    let statement: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let predicate = statement
        .get("predicate")
        .cloned()
        .ok_or("the Statement has no predicate")?;
    let claims: CertificateClaims =
        serde_json::from_value(predicate).map_err(|e| format!("the predicate: {e}"))?;
    let expected = subject(&claims)?;
    match statement.get("subject").and_then(Value::as_array) {
        Some(subjects) if subjects.len() == 1 && subjects[0] == expected => {}
        _ => return Err("the subject is not the certified dataset".to_owned()),
    }
    Ok((claims, text.to_owned()))
}
