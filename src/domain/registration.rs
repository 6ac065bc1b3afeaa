//! Deciding a batch of registrations: which are new, which repeat an existing record, which are
//! refused. Pure, so that every store decides the same way and group commit needs no special rules.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dataset::{Dataset, NewDataset, Source, SourceKind, Visibility, hide_private_parents};
use super::event::{NewEvent, format_time};
use crate::error::{Error, Result};

/// The identity of a dataset within the registry: `(organisation, name, version)`.
pub type DatasetKey = (Uuid, String, String);

/// The key of a dataset about to be registered.
pub fn key_of(new: &NewDataset) -> DatasetKey {
    (new.organization_id, new.name.clone(), new.version.clone())
}

/// What the registry knows about a dataset named as a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentInfo {
    /// Its owner.
    pub organization_id: Uuid,
    /// Its visibility.
    pub visibility: Visibility,
}

/// The answer to one registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Newly stored.
    Created(Dataset),
    /// The same name, version and digest were already registered: nothing written.
    Existing(Dataset),
}

impl Registration {
    /// The dataset either way.
    pub fn dataset(&self) -> &Dataset {
        match self {
            Registration::Created(d) | Registration::Existing(d) => d,
        }
    }
}

/// One request of a batch with the id and time the registry would give it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The validated request.
    pub new: NewDataset,
    /// Id to use if it is created.
    pub id: Uuid,
}

/// What a store must write for a batch, and what each caller is told.
#[derive(Debug)]
pub struct Plan {
    /// One answer per request, in request order.
    pub outcomes: Vec<Result<Registration>>,
    /// Datasets to insert, in request order.
    pub inserts: Vec<Dataset>,
    /// One `dataset.registered` event per insert, in the same order.
    pub events: Vec<NewEvent>,
}

/// Decides a batch against the stored datasets with the same keys (`existing`) and the stored
/// datasets its sources name (`parents`). Earlier requests of the batch count as stored for later
/// ones, so a batch decides exactly as the same requests one by one would.
pub fn plan(
    batch: Vec<Pending>,
    mut existing: HashMap<DatasetKey, Dataset>,
    parents: &HashMap<Uuid, ParentInfo>,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan {
        outcomes: Vec::with_capacity(batch.len()),
        inserts: Vec::new(),
        events: Vec::new(),
    };
    for pending in batch {
        let outcome = decide(pending, &existing, parents, now);
        if let Ok(Registration::Created(dataset)) = &outcome {
            existing.insert(
                (
                    dataset.organization_id,
                    dataset.name.clone(),
                    dataset.version.clone(),
                ),
                dataset.clone(),
            );
            plan.events.push(registered_event(dataset));
            plan.inserts.push(dataset.clone());
        }
        plan.outcomes.push(outcome);
    }
    plan
}

fn decide(
    pending: Pending,
    existing: &HashMap<DatasetKey, Dataset>,
    parents: &HashMap<Uuid, ParentInfo>,
    now: DateTime<Utc>,
) -> Result<Registration> {
    let new = pending.new;
    if let Some(stored) = existing.get(&key_of(&new)) {
        return if stored.content_digest == new.content_digest {
            Ok(Registration::Existing(stored.clone()))
        } else {
            Err(Error::AlreadyExists(format!(
                "dataset {:?} version {:?} is already registered with digest {} (id {}); register a new version for new content",
                new.name, new.version, stored.content_digest, stored.id
            )))
        };
    }
    for (index, source) in new.sources.iter().enumerate() {
        if let Some(parent) = source.parent() {
            let visible = parents.get(&parent).is_some_and(|info| {
                info.organization_id == new.organization_id || info.visibility.is_public()
            });
            if !visible {
                return Err(Error::NotFound(format!(
                    "sources[{index}].dataset_id: dataset {parent} not found (a parent must exist and be your own or public)"
                )));
            }
        }
    }
    let mut new = new;
    for source in &mut new.sources {
        if let SourceKind::Dataset {
            dataset_id,
            parent_public,
        } = &mut source.kind
        {
            *parent_public = parents
                .get(dataset_id)
                .is_some_and(|info| info.visibility.is_public());
        }
    }
    Ok(Registration::Created(Dataset::from_new(
        new,
        pending.id,
        super::event::truncate_to_micros(now),
    )))
}

/// The `dataset.registered` event: the whole record, so the log alone can rebuild the registry.
pub fn registered_event(dataset: &Dataset) -> NewEvent {
    NewEvent {
        event_type: "dataset.registered",
        subject: format!("datasets/{}", dataset.id),
        organization_id: Some(dataset.organization_id),
        public: dataset.visibility.is_public(),
        payload: dataset_payload(dataset),
    }
}

fn dataset_payload(d: &Dataset) -> Value {
    json!({
        "id": d.id.to_string(),
        "organization_id": d.organization_id.to_string(),
        "name": d.name,
        "version": d.version,
        "content_digest": d.content_digest.as_str(),
        "size_bytes": d.size_bytes,
        "description": d.description,
        "license": d.license,
        "visibility": d.visibility.as_str(),
        // A public dataset's event is public: its private parents are hidden there as in any
        // outsider's view of the record.
        "sources": if d.visibility.is_public() {
            hide_private_parents(d.sources.clone())
        } else {
            d.sources.clone()
        }
        .iter()
        .map(Source::to_json)
        .collect::<Vec<_>>(),
        "create_time": format_time(d.create_time),
        "creator_token_id": d.creator_token_id.to_string(),
        "creator_subject": d.creator_subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::digest::ContentDigest;

    fn new_dataset(org: Uuid, name: &str, digest: &[u8], parents: &[Uuid]) -> Pending {
        Pending {
            new: NewDataset {
                organization_id: org,
                name: name.into(),
                version: "1".into(),
                content_digest: ContentDigest::of(digest),
                size_bytes: None,
                description: None,
                license: None,
                visibility: Visibility::Private,
                sources: parents
                    .iter()
                    .map(|&dataset_id| {
                        Source::new(
                            SourceKind::Dataset {
                                dataset_id,
                                parent_public: false,
                            },
                            None,
                            None,
                            None,
                            None,
                            None,
                        )
                        .unwrap()
                    })
                    .collect(),
                creator_token_id: Uuid::now_v7(),
                creator_subject: "test".into(),
            },
            id: Uuid::now_v7(),
        }
    }

    #[test]
    fn a_repeat_with_the_same_digest_returns_the_stored_record_and_writes_nothing() {
        let org = Uuid::now_v7();
        let first = plan(
            vec![new_dataset(org, "a", b"x", &[])],
            HashMap::new(),
            &HashMap::new(),
            Utc::now(),
        );
        let Ok(Registration::Created(stored)) = &first.outcomes[0] else {
            panic!()
        };
        let existing = HashMap::from([((org, "a".into(), "1".into()), stored.clone())]);
        let again = plan(
            vec![new_dataset(org, "a", b"x", &[])],
            existing,
            &HashMap::new(),
            Utc::now(),
        );
        assert_eq!(
            again.outcomes[0].as_ref().unwrap(),
            &Registration::Existing(stored.clone())
        );
        assert!(again.inserts.is_empty() && again.events.is_empty());
    }

    #[test]
    fn the_same_name_and_version_with_another_digest_already_exists() {
        let org = Uuid::now_v7();
        let batch = vec![
            new_dataset(org, "a", b"x", &[]),
            new_dataset(org, "a", b"y", &[]),
        ];
        let result = plan(batch, HashMap::new(), &HashMap::new(), Utc::now());
        assert!(matches!(result.outcomes[0], Ok(Registration::Created(_))));
        assert!(matches!(result.outcomes[1], Err(Error::AlreadyExists(_))));
        assert_eq!(result.inserts.len(), 1);
    }

    #[test]
    fn a_parent_must_exist_and_be_own_or_public() {
        let (org, other) = (Uuid::now_v7(), Uuid::now_v7());
        let (own, public, private, missing) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let parents = HashMap::from([
            (
                own,
                ParentInfo {
                    organization_id: org,
                    visibility: Visibility::Private,
                },
            ),
            (
                public,
                ParentInfo {
                    organization_id: other,
                    visibility: Visibility::Public,
                },
            ),
            (
                private,
                ParentInfo {
                    organization_id: other,
                    visibility: Visibility::Private,
                },
            ),
        ]);
        let batch = vec![
            new_dataset(org, "ok", b"1", &[own, public]),
            new_dataset(org, "hidden", b"2", &[own, private]),
            new_dataset(org, "absent", b"3", &[missing]),
        ];
        let result = plan(batch, HashMap::new(), &parents, Utc::now());
        assert!(matches!(result.outcomes[0], Ok(Registration::Created(_))));
        for outcome in &result.outcomes[1..] {
            let Err(Error::NotFound(message)) = outcome else {
                panic!("{outcome:?}")
            };
            assert!(message.contains("dataset_id"), "{message}");
        }
        // The invisible parent's answer must read like the missing one's.
        let texts: Vec<String> = result.outcomes[1..]
            .iter()
            .map(|o| {
                o.as_ref()
                    .unwrap_err()
                    .to_string()
                    .split(" dataset ")
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(texts[0].replace("[1]", "[0]"), texts[1]);
    }

    #[test]
    fn each_insert_has_one_event_carrying_the_whole_record() {
        let org = Uuid::now_v7();
        let result = plan(
            vec![new_dataset(org, "a", b"x", &[])],
            HashMap::new(),
            &HashMap::new(),
            Utc::now(),
        );
        assert_eq!(result.events.len(), 1);
        let event = &result.events[0];
        assert_eq!(event.subject, format!("datasets/{}", result.inserts[0].id));
        assert_eq!(
            event.payload["content_digest"],
            result.inserts[0].content_digest.as_str()
        );
        assert!(!event.public);
    }
}
