//! The hash-linked event log: what an event is, how it is hashed, how a chain is checked.
//!
//! The hash rule is part of the API (documented in `proto/provenance/v1/event.proto`): anyone holding
//! the events can recompute every hash without this code.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Hash of the (absent) event before event 1.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// An event about to be appended: what the mutation says happened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Dotted type, e.g. `dataset.registered`.
    pub event_type: &'static str,
    /// `kind/uuid` of what it happened to.
    pub subject: String,
    /// Organisation it belongs to, if any.
    pub organization_id: Option<Uuid>,
    /// Whether every organisation may see it.
    pub public: bool,
    /// Details. Never a secret; no fractional numbers (they have no canonical form here).
    pub payload: Value,
}

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

/// The largest sequence number an event can ever have, and so the largest position in the log a
/// request may name (`after_sequence`, a leaf index): both databases keep sequences as signed 64-bit
/// integers. Past it a request names nothing that can exist; refusing it (rather than clamping or
/// wrapping it) also catches clients that send `-1` through an unsigned field.
pub const MAX_SEQUENCE: u64 = i64::MAX as u64;

/// Checks a position in the log given by a request field: at most [`MAX_SEQUENCE`], else
/// `InvalidArgument` naming `field` and the bound.
pub fn log_position(field: &str, value: u64) -> crate::error::Result<u64> {
    if value > MAX_SEQUENCE {
        return Err(crate::error::Error::invalid(
            field,
            format!(
                "must be at most {MAX_SEQUENCE} (2^63-1), the largest position the log can hold"
            ),
        ));
    }
    Ok(value)
}

/// Turns new events into committed ones linked after `head`, all stamped with `time`; returns them
/// and the new head. Pure, so that every store builds the chain the same way.
pub fn seal(
    head: ChainHead,
    events: Vec<NewEvent>,
    time: DateTime<Utc>,
) -> (Vec<Event>, ChainHead) {
    let time = truncate_to_micros(time);
    let mut head = head;
    let sealed = events
        .into_iter()
        .map(|new| {
            let mut event = Event {
                sequence: head.sequence + 1,
                event_type: new.event_type.to_owned(),
                subject: new.subject,
                organization_id: new.organization_id,
                public: new.public,
                payload_json: canonical_json(&new.payload),
                time,
                prev_hash: head.hash,
                hash: [0; 32],
            };
            event.hash = event_hash(&event);
            head = ChainHead {
                sequence: event.sequence,
                hash: event.hash,
            };
            event
        })
        .collect();
    (sealed, head)
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

/// Drops sub-microsecond precision, which PostgreSQL would drop on storage anyway.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
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
    fn a_log_position_beyond_what_a_sequence_can_be_is_refused_naming_the_field() {
        for fine in [0, 1, 1 << 31, 1 << 32, MAX_SEQUENCE] {
            assert_eq!(log_position("start", fine).unwrap(), fine);
        }
        for beyond in [MAX_SEQUENCE + 1, u64::MAX] {
            let refused = log_position("start", beyond).unwrap_err().to_string();
            assert!(
                refused.starts_with("start:") && refused.contains("9223372036854775807"),
                "{refused}"
            );
        }
    }

    fn new_event(n: u32) -> NewEvent {
        NewEvent {
            event_type: "dataset.registered",
            subject: format!("datasets/{n}"),
            organization_id: Some(Uuid::nil()),
            public: n.is_multiple_of(2),
            payload: json!({"z": n, "a": {"y": "é", "b": [1, 2]}}),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x\"y"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"x\"y","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn sealed_events_are_numbered_and_linked_from_the_head() {
        let time = Utc::now();
        let (first, head) = seal(ChainHead::EMPTY, vec![new_event(1), new_event(2)], time);
        assert_eq!(first[0].sequence, 1);
        assert_eq!(first[0].prev_hash, GENESIS_HASH);
        assert_eq!(first[1].prev_hash, first[0].hash);
        assert_eq!(
            head,
            ChainHead {
                sequence: 2,
                hash: first[1].hash
            }
        );
        let (second, _) = seal(head, vec![new_event(3)], time);
        assert_eq!(second[0].sequence, 3);
        let all: Vec<_> = first.iter().chain(&second).collect();
        assert!(verify_chain(ChainHead::EMPTY, all).is_ok());
    }

    #[test]
    fn verification_finds_a_changed_payload_a_broken_link_and_a_gap() {
        let (events, _) = seal(
            ChainHead::EMPTY,
            (1..=3).map(new_event).collect(),
            Utc::now(),
        );

        let mut changed = events.clone();
        changed[1].payload_json = r#"{"z":99}"#.into();
        assert_eq!(
            verify_chain(ChainHead::EMPTY, &changed),
            Err(ChainError::BadHash(2))
        );

        let mut relinked = events.clone();
        relinked[2].prev_hash = [7; 32];
        assert_eq!(
            verify_chain(ChainHead::EMPTY, &relinked),
            Err(ChainError::BrokenLink(3))
        );

        let skipped = [events[0].clone(), events[2].clone()];
        assert_eq!(
            verify_chain(ChainHead::EMPTY, &skipped),
            Err(ChainError::Gap { after: 1, found: 3 })
        );
    }

    #[test]
    fn the_hash_follows_the_documented_recipe() {
        let time = DateTime::parse_from_rfc3339("2026-11-29T06:11:44.123456Z")
            .unwrap()
            .to_utc();
        let (events, _) = seal(
            ChainHead::EMPTY,
            vec![NewEvent {
                event_type: "organization.created",
                subject: "organizations/x".into(),
                organization_id: None,
                public: false,
                payload: json!({"name": "Acme"}),
            }],
            time,
        );
        let entry = r#"{"organization_id":"","payload":{"name":"Acme"},"public":false,"sequence":1,"subject":"organizations/x","time":"2026-11-29T06:11:44.123456Z","type":"organization.created"}"#;
        let mut hasher = Sha256::new();
        hasher.update([0u8; 32]);
        hasher.update(entry.as_bytes());
        assert_eq!(events[0].hash, <[u8; 32]>::from(hasher.finalize()));
    }
}
