//! The hash-linked event log: new events, and how they are sealed into the chain.
//!
//! What a committed event is and its hash rule are part of the API (documented in
//! `proto/provenance/v1/event.proto`) and live in [`provenance_api::event_chain`], re-exported here,
//! so that the registry seals events with the very code its clients check them with.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub use provenance_api::event_chain::{
    ChainError, ChainHead, Event, GENESIS_HASH, canonical_json, event_hash, format_time,
    verify_chain,
};

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

/// Drops sub-microsecond precision, which PostgreSQL would drop on storage anyway.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
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
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update([0u8; 32]);
        hasher.update(entry.as_bytes());
        assert_eq!(events[0].hash, <[u8; 32]>::from(hasher.finalize()));
    }
}
