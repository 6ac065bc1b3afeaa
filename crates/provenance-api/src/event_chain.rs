//! The hash-linked event log as anyone holding its events checks it: what an event is, the hash
//! rule (documented in `proto/provenance/v1/event.proto`) and how a chain is verified. The registry
//! seals its events with it; a client recomputes the hashes of the events it was given (a
//! certificate bundle, a `WatchEvents` stream) with the same code.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Hash of the (absent) event before event 1.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// A committed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 1.
    pub sequence: u64,
    /// Dotted type.
    pub event_type: String,
    /// `kind/uuid`.
    pub subject: String,
    /// Owning organisation.
    pub organization_id: Option<Uuid>,
    /// Visible to every organisation.
    pub public: bool,
    /// Canonical JSON of the details.
    pub payload_json: String,
    /// Commit time, whole microseconds.
    pub time: DateTime<Utc>,
    /// Hash of the previous event.
    pub prev_hash: [u8; 32],
    /// Hash of this event.
    pub hash: [u8; 32],
}

/// The last committed event's position and hash: what the next append links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence of the last event; 0 for an empty log.
    pub sequence: u64,
    /// Its hash; [`GENESIS_HASH`] for an empty log.
    pub hash: [u8; 32],
}

impl ChainHead {
    /// The head of an empty log.
    pub const EMPTY: ChainHead = ChainHead {
        sequence: 0,
        hash: GENESIS_HASH,
    };
}

/// The hash of an event from its fields, as the API documents it.
pub fn event_hash(event: &Event) -> [u8; 32] {
    // A stored payload is canonical JSON written by `seal`; if it no longer parses, hash it as a
    // string so that the mismatch shows up as a broken chain rather than a crash.
    let payload = serde_json::from_str::<Value>(&event.payload_json)
        .unwrap_or_else(|_| Value::String(event.payload_json.clone()));
    let entry = serde_json::json!({
        "organization_id": event.organization_id.map(|id| id.to_string()).unwrap_or_default(),
        "payload": payload,
        "public": event.public,
        "sequence": event.sequence,
        "subject": event.subject,
        "time": format_time(event.time),
        "type": event.event_type,
    });
    let mut hasher = Sha256::new();
    hasher.update(event.prev_hash);
    hasher.update(canonical_json(&entry).as_bytes());
    hasher.finalize().into()
}

/// Where a chain of events first fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Sequence numbers skip or repeat.
    #[error("event {found} follows event {after}: sequence numbers must increase by one")]
    Gap {
        /// The previous sequence.
        after: u64,
        /// The sequence found.
        found: u64,
    },
    /// An event does not link to its predecessor's hash.
    #[error("event {0} does not link to the hash of the event before it")]
    BrokenLink(u64),
    /// An event's stored hash is not the hash of its fields.
    #[error("event {0} has a hash that does not match its contents")]
    BadHash(u64),
}

/// Checks that `events`, consecutive and starting right after `head`, link and hash correctly.
pub fn verify_chain<'a>(
    head: ChainHead,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<ChainHead, ChainError> {
    let mut head = head;
    for event in events {
        if event.sequence != head.sequence + 1 {
            return Err(ChainError::Gap {
                after: head.sequence,
                found: event.sequence,
            });
        }
        if event.prev_hash != head.hash {
            return Err(ChainError::BrokenLink(event.sequence));
        }
        if event_hash(event) != event.hash {
            return Err(ChainError::BadHash(event.sequence));
        }
        head = ChainHead {
            sequence: event.sequence,
            hash: event.hash,
        };
    }
    Ok(head)
}

/// RFC 3339, UTC, exactly six fractional digits: the one spelling of a time inside hashed data.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// JSON with object keys sorted by their bytes and no whitespace. Sorts explicitly rather than
/// relying on `serde_json`'s map type, which a feature elsewhere in the build could change.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x\"y"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"x\"y","d":[true,null]},"b":1}"#
        );
    }
}
