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

/// One registration with the id the registry would give it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The validated request. A source that names an earlier item of its unit (see
    /// [`Pending::unit_parents`]) holds a placeholder id until [`plan`] resolves it.
    pub new: NewDataset,
    /// Id to use if it is created.
    pub id: Uuid,
    /// Sources that name an earlier item of the same unit (`RegisterDatasets`' `batch_ref`).
    pub unit_parents: Vec<UnitParent>,
    /// Other names the organisation knows the dataset by (e.g. an OpenLineage dataset's
    /// symlinks), recorded if it is created. An alias already taken keeps its dataset.
    pub aliases: Vec<String>,
}

/// `sources[source]` of a registration names item `item` (an earlier one) of its unit as parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitParent {
    /// Index of the source in the registration.
    pub source: usize,
    /// Index of the parent in the unit.
    pub item: usize,
}

/// Registrations stored all together or not at all: a `RegisterDataset` call is a unit of one, a
/// `RegisterDatasets` call a unit of its items, in order.
pub type Unit = Vec<Pending>;

/// What a store must write for a batch of units, and what each caller is told.
#[derive(Debug)]
pub struct Plan {
    /// One answer per unit, in order: every item's registration, or why the unit was refused.
    pub outcomes: Vec<Result<Vec<Registration>>>,
    /// Datasets to insert, in request order.
    pub inserts: Vec<Dataset>,
    /// One `dataset.registered` event per insert, in the same order.
    pub events: Vec<NewEvent>,
    /// Aliases to record: `(organisation, alias, dataset name)`.
    pub aliases: Vec<(Uuid, String, String)>,
}

/// Decides a batch of units against the stored datasets with the same keys (`existing`) and the
/// stored datasets their sources name (`parents`). Earlier units' registrations count as stored
/// for later ones, so a batch decides exactly as the same calls one by one would; a unit with one
/// refused item leaves no trace, and its refusal names the item (`registrations[i]`) when the
/// unit has more than one.
pub fn plan(
    batch: Vec<Unit>,
    mut existing: HashMap<DatasetKey, Dataset>,
    mut parents: HashMap<Uuid, ParentInfo>,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan {
        outcomes: Vec::with_capacity(batch.len()),
        inserts: Vec::new(),
        events: Vec::new(),
        aliases: Vec::new(),
    };
    for unit in batch {
        let kept = plan.inserts.len();
        let kept_aliases = plan.aliases.len();
        let several = unit.len() > 1;
        let mut registrations: Vec<Registration> = Vec::with_capacity(unit.len());
        let mut refusal = None;
        for (index, mut pending) in unit.into_iter().enumerate() {
            for link in std::mem::take(&mut pending.unit_parents) {
                let parent = registrations.get(link.item).map(Registration::dataset);
                if let (Some(parent), Some(source)) =
                    (parent, pending.new.sources.get_mut(link.source))
                {
                    source.kind = SourceKind::Dataset {
                        dataset_id: parent.id,
                        parent_public: parent.visibility.is_public(),
                    };
                    parents.insert(
                        parent.id,
                        ParentInfo {
                            organization_id: parent.organization_id,
                            visibility: parent.visibility,
                        },
                    );
                }
            }
            let aliases = std::mem::take(&mut pending.aliases);
            match decide(pending, &existing, &parents, now) {
                Ok(registration) => {
                    if let Registration::Created(dataset) = &registration {
                        existing.insert(key_of_dataset(dataset), dataset.clone());
                        plan.events.push(registered_event(dataset, &aliases));
                        plan.aliases.extend(
                            aliases.into_iter().map(|alias| {
                                (dataset.organization_id, alias, dataset.name.clone())
                            }),
                        );
                        plan.inserts.push(dataset.clone());
                    }
                    registrations.push(registration);
                }
                Err(error) => {
                    refusal = Some(if several {
                        error.at_item(&format!("registrations[{index}]"))
                    } else {
                        error
                    });
                    break;
                }
            }
        }
        match refusal {
            None => plan.outcomes.push(Ok(registrations)),
            Some(error) => {
                for dataset in plan.inserts.drain(kept..) {
                    existing.remove(&key_of_dataset(&dataset));
                }
                plan.events.truncate(kept);
                plan.aliases.truncate(kept_aliases);
                plan.outcomes.push(Err(error));
            }
        }
    }
    plan
}

fn key_of_dataset(dataset: &Dataset) -> DatasetKey {
    (
        dataset.organization_id,
        dataset.name.clone(),
        dataset.version.clone(),
    )
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

/// The `dataset.registered` event: the whole record and the aliases it claimed, so the log alone
/// can rebuild the registry. Without aliases the payload has no `aliases` key, as before aliases
/// existed.
pub fn registered_event(dataset: &Dataset, aliases: &[String]) -> NewEvent {
    let mut payload = dataset_payload(dataset);
    if !aliases.is_empty() {
        payload["aliases"] = json!(aliases);
    }
    NewEvent {
        event_type: "dataset.registered",
        subject: format!("datasets/{}", dataset.id),
        organization_id: Some(dataset.organization_id),
        public: dataset.visibility.is_public(),
        payload,
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
            unit_parents: Vec::new(),
            aliases: Vec::new(),
        }
    }

    /// Each registration a unit of its own, as `RegisterDataset` calls are.
    fn singles(registrations: Vec<Pending>) -> Vec<Unit> {
        registrations.into_iter().map(|p| vec![p]).collect()
    }

    /// The registration of a unit of one.
    fn only(outcome: &Result<Vec<Registration>>) -> Result<&Registration, &Error> {
        outcome.as_ref().map(|items| &items[0])
    }

    #[test]
    fn a_repeat_with_the_same_digest_returns_the_stored_record_and_writes_nothing() {
        let org = Uuid::now_v7();
        let first = plan(
            singles(vec![new_dataset(org, "a", b"x", &[])]),
            HashMap::new(),
            HashMap::new(),
            Utc::now(),
        );
        let Ok(Registration::Created(stored)) = only(&first.outcomes[0]) else {
            panic!()
        };
        let existing = HashMap::from([((org, "a".into(), "1".into()), stored.clone())]);
        let again = plan(
            singles(vec![new_dataset(org, "a", b"x", &[])]),
            existing,
            HashMap::new(),
            Utc::now(),
        );
        assert_eq!(
            only(&again.outcomes[0]).unwrap(),
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
        let result = plan(singles(batch), HashMap::new(), HashMap::new(), Utc::now());
        assert!(matches!(
            only(&result.outcomes[0]),
            Ok(Registration::Created(_))
        ));
        assert!(matches!(
            only(&result.outcomes[1]),
            Err(Error::AlreadyExists(_))
        ));
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
        let result = plan(singles(batch), HashMap::new(), parents, Utc::now());
        assert!(matches!(
            only(&result.outcomes[0]),
            Ok(Registration::Created(_))
        ));
        for outcome in &result.outcomes[1..] {
            let Err(Error::NotFound(message)) = only(outcome) else {
                panic!("{outcome:?}")
            };
            assert!(message.contains("dataset_id"), "{message}");
        }
        // The invisible parent's answer must read like the missing one's.
        let texts: Vec<String> = result.outcomes[1..]
            .iter()
            .map(|o| {
                only(o)
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
            singles(vec![new_dataset(org, "a", b"x", &[])]),
            HashMap::new(),
            HashMap::new(),
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

    #[test]
    fn an_item_may_name_an_earlier_item_of_its_unit_as_parent() {
        let org = Uuid::now_v7();
        let mut child = new_dataset(org, "child", b"c", &[Uuid::nil()]);
        child.unit_parents = vec![UnitParent { source: 0, item: 0 }];
        let base = new_dataset(org, "base", b"b", &[]);
        let result = plan(
            vec![vec![base, child]],
            HashMap::new(),
            HashMap::new(),
            Utc::now(),
        );
        let registrations = result.outcomes[0].as_ref().unwrap();
        let (base, child) = (registrations[0].dataset(), registrations[1].dataset());
        assert_eq!(child.parents().collect::<Vec<_>>(), vec![base.id]);
        assert_eq!(result.inserts.len(), 2);
        assert_eq!(result.events.len(), 2);
    }

    #[test]
    fn a_unit_with_one_refused_item_stores_nothing_and_names_the_item() {
        let org = Uuid::now_v7();
        let missing = Uuid::now_v7();
        let unit = vec![
            new_dataset(org, "a", b"a", &[]),
            new_dataset(org, "b", b"b", &[missing]),
        ];
        let after = new_dataset(org, "a", b"other digest", &[]);
        let result = plan(
            vec![unit, vec![after]],
            HashMap::new(),
            HashMap::new(),
            Utc::now(),
        );
        let Err(Error::NotFound(message)) = &result.outcomes[0] else {
            panic!("{:?}", result.outcomes[0])
        };
        assert!(
            message.starts_with("registrations[1]: sources[0].dataset_id"),
            "{message}"
        );
        // The refused unit's "a" was never stored: the next unit may take the name.
        assert!(matches!(
            only(&result.outcomes[1]),
            Ok(Registration::Created(_))
        ));
        assert_eq!(result.inserts.len(), 1);
        assert_eq!(result.events.len(), 1);
        assert_eq!(
            result.inserts[0].content_digest,
            ContentDigest::of(b"other digest")
        );
    }

    #[test]
    fn a_unit_repeating_stored_items_writes_nothing() {
        let org = Uuid::now_v7();
        let first = plan(
            vec![vec![
                new_dataset(org, "a", b"a", &[]),
                new_dataset(org, "b", b"b", &[]),
            ]],
            HashMap::new(),
            HashMap::new(),
            Utc::now(),
        );
        let existing: HashMap<DatasetKey, Dataset> = first
            .inserts
            .iter()
            .map(|d| (key_of_dataset(d), d.clone()))
            .collect();
        let again = plan(
            vec![vec![
                new_dataset(org, "a", b"a", &[]),
                new_dataset(org, "b", b"b", &[]),
            ]],
            existing,
            HashMap::new(),
            Utc::now(),
        );
        let items = again.outcomes[0].as_ref().unwrap();
        assert!(items.iter().all(|r| matches!(r, Registration::Existing(_))));
        assert!(again.inserts.is_empty() && again.events.is_empty());
    }
}
