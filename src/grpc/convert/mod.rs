//! Conversions between wire messages and domain types. Incoming messages are validated here, once,
//! with errors that name the request field; past this point nothing is re-checked.

mod policy;

pub use policy::{
    attestation_draft, attestation_to_proto, contamination_evidence, evaluation_to_proto,
    evaluations_to_proto, policy_selection, policy_to_proto, purpose_from_proto, report_to_proto,
};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::access::{AccessTokenRecord, Caller, Organization, Role};
use crate::domain::dataset::{
    Dataset, ModelRef, NewDataset, Source, SourceKind, Visibility, limits,
};
use crate::domain::digest::ContentDigest;
use crate::domain::event::Event;
use crate::domain::license::{is_unparsed, parse_license};
use crate::domain::registration::UnitParent;
use crate::domain::text::{optional_line, optional_text, optional_uuid, required_line};
use crate::error::{Error, Result};
use crate::proto::v1 as pb;
use crate::proto::wkt::Timestamp;
use crate::registry::LineageNode;

/// Earliest and latest times accepted in requests: years 1 to 9999, as RFC 3339 can spell them.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;

/// A request timestamp as a UTC time, or `InvalidArgument` naming `field`.
pub fn time_from_proto(field: &str, ts: &Timestamp) -> Result<DateTime<Utc>> {
    if !(MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS).contains(&ts.seconds)
        || !(0..1_000_000_000).contains(&ts.nanos)
    {
        return Err(Error::invalid(
            field,
            "must be a valid time between the years 1 and 9999",
        ));
    }
    DateTime::from_timestamp(ts.seconds, ts.nanos as u32)
        .map(crate::domain::event::truncate_to_micros)
        .ok_or_else(|| Error::invalid(field, "must be a valid time between the years 1 and 9999"))
}

/// A UTC time as a wire timestamp.
pub fn time_to_proto(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// An organisation-level role from the wire (operator tokens are not made over the API).
pub fn role_from_proto(value: i32) -> Result<Role> {
    match pb::Role::try_from(value) {
        Ok(pb::Role::Auditor) => Ok(Role::Auditor),
        Ok(pb::Role::Registrar) => Ok(Role::Registrar),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Unspecified) | Err(_) => Err(Error::invalid(
            "role",
            "must be ROLE_AUDITOR, ROLE_REGISTRAR or ROLE_ADMIN",
        )),
    }
}

fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Auditor => pb::Role::Auditor,
        Role::Registrar => pb::Role::Registrar,
        Role::Admin => pb::Role::Admin,
        // Operator tokens belong to no organisation and are never listed with one.
        Role::Operator => pb::Role::Unspecified,
    }
}

/// Validates a registration request into a dataset of the caller's organisation.
pub fn new_dataset(
    request: pb::RegisterDatasetRequest,
    organization_id: Uuid,
    caller: &Caller,
) -> Result<NewDataset> {
    if request.sources.len() > limits::SOURCES {
        return Err(Error::invalid(
            "sources",
            format!("must hold at most {} sources", limits::SOURCES),
        ));
    }
    if request
        .size_bytes
        .is_some_and(|size| size > i64::MAX as u64)
    {
        return Err(Error::invalid(
            "size_bytes",
            format!("must be at most {}", i64::MAX),
        ));
    }
    let visibility = match pb::Visibility::try_from(request.visibility) {
        Ok(pb::Visibility::Unspecified | pb::Visibility::Private) => Visibility::Private,
        Ok(pb::Visibility::Public) => Visibility::Public,
        Err(_) => {
            return Err(Error::invalid(
                "visibility",
                "must be VISIBILITY_PRIVATE or VISIBILITY_PUBLIC",
            ));
        }
    };
    let sources = request
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, s)| source_from_proto(s).map_err(|e| e.within(&format!("sources[{i}]"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(NewDataset {
        organization_id,
        name: required_line("name", &request.name, limits::NAME)?,
        version: required_line("version", &request.version, limits::VERSION)?,
        content_digest: ContentDigest::parse("content_digest", &request.content_digest)?,
        size_bytes: request.size_bytes,
        description: optional_text("description", &request.description, limits::DESCRIPTION)?,
        license: parse_license("license", &request.license)?,
        visibility,
        sources,
        creator_token_id: caller.token_id,
        creator_subject: caller.subject.clone(),
    })
}

/// Validates a `RegisterDatasets` request into its items, each with the sources that name earlier
/// items (`batch_ref`), in order. Errors name the whole path (`registrations[3].dataset.name`).
pub fn batch_registrations(
    request: pb::RegisterDatasetsRequest,
    organization_id: Uuid,
    caller: &Caller,
) -> Result<Vec<(NewDataset, Vec<UnitParent>)>> {
    let count = request.registrations.len();
    if !(1..=limits::BATCH).contains(&count) {
        return Err(Error::invalid(
            "registrations",
            format!(
                "must hold 1 to {} registrations, not {count}",
                limits::BATCH
            ),
        ));
    }
    let sources: usize = request
        .registrations
        .iter()
        .filter_map(|r| r.dataset.as_ref())
        .map(|d| d.sources.len())
        .sum();
    if sources > limits::BATCH_SOURCES {
        return Err(Error::invalid(
            "registrations",
            format!(
                "must hold at most {} sources in all, not {sources}; send fewer registrations per call",
                limits::BATCH_SOURCES
            ),
        ));
    }
    let mut refs: HashMap<String, usize> = HashMap::new();
    let mut items = Vec::with_capacity(count);
    for (index, registration) in request.registrations.into_iter().enumerate() {
        let item = batch_item(registration, index, &refs, organization_id, caller)
            .map_err(|e| e.within(&format!("registrations[{index}]")))?;
        if let Some(name) = item.0
            && refs.insert(name, index).is_some()
        {
            return Err(Error::invalid(
                format!("registrations[{index}].ref"),
                "is already the ref of an earlier item of this call",
            ));
        }
        items.push((item.1, item.2));
    }
    Ok(items)
}

/// One item of a batch: its `ref`, the dataset, and its sources that name earlier items.
fn batch_item(
    registration: pb::BatchRegistration,
    index: usize,
    earlier: &HashMap<String, usize>,
    organization_id: Uuid,
    caller: &Caller,
) -> Result<(Option<String>, NewDataset, Vec<UnitParent>)> {
    let name = optional_line("ref", &registration.r#ref, limits::BATCH_REF)?;
    let mut dataset = registration
        .dataset
        .ok_or_else(|| Error::invalid("dataset", "is required"))?;
    let mut unit_parents = Vec::new();
    for (position, source) in dataset.sources.iter_mut().enumerate() {
        if source.batch_ref.is_empty() {
            continue;
        }
        let field = format!("dataset.sources[{position}]");
        let item = *earlier.get(&source.batch_ref).ok_or_else(|| {
            Error::invalid(
                format!("{field}.batch_ref"),
                format!(
                    "names no earlier item of this call (item {index} can only name items before it by their ref)"
                ),
            )
        })?;
        if source.kind != pb::SourceKind::Dataset as i32 || !source.dataset_id.is_empty() {
            return Err(Error::invalid(
                format!("{field}.batch_ref"),
                "needs kind SOURCE_KIND_DATASET and an empty dataset_id",
            ));
        }
        // A placeholder until the item's registration is decided.
        source.dataset_id = Uuid::nil().to_string();
        source.batch_ref.clear();
        unit_parents.push(UnitParent {
            source: position,
            item,
        });
    }
    let new = new_dataset(dataset, organization_id, caller).map_err(|e| e.within("dataset"))?;
    Ok((name, new, unit_parents))
}

fn source_from_proto(source: pb::Source) -> Result<Source> {
    let kind = pb::SourceKind::try_from(source.kind).unwrap_or(pb::SourceKind::Unspecified);
    if source.parent_hidden {
        return Err(Error::invalid(
            "parent_hidden",
            "is set by the registry in answers; leave it false",
        ));
    }
    if !source.batch_ref.is_empty() {
        return Err(Error::invalid(
            "batch_ref",
            "names an earlier item of a RegisterDatasets call; leave it empty in RegisterDataset",
        ));
    }
    let dataset_id = optional_uuid("dataset_id", &source.dataset_id)?;
    if kind != pb::SourceKind::Dataset && dataset_id.is_some() {
        return Err(Error::invalid(
            "dataset_id",
            "must be empty unless kind is SOURCE_KIND_DATASET",
        ));
    }
    if kind != pb::SourceKind::ModelGenerated && source.model.is_some() {
        return Err(Error::invalid(
            "model",
            "must be unset unless kind is SOURCE_KIND_MODEL_GENERATED",
        ));
    }
    let kind = match kind {
        pb::SourceKind::Unspecified => {
            return Err(Error::invalid(
                "kind",
                "is required (one of the SOURCE_KIND_ values)",
            ));
        }
        pb::SourceKind::Dataset => SourceKind::Dataset {
            // Filled in from the parent's record when the registration is decided.
            parent_public: false,
            dataset_id: dataset_id.ok_or_else(|| {
                Error::invalid("dataset_id", "is required for SOURCE_KIND_DATASET")
            })?,
        },
        pb::SourceKind::ExternalDataset => SourceKind::ExternalDataset,
        pb::SourceKind::WebCrawl => SourceKind::WebCrawl,
        pb::SourceKind::LicensedCorpus => SourceKind::LicensedCorpus,
        pb::SourceKind::HumanAuthored => SourceKind::HumanAuthored,
        pb::SourceKind::ModelGenerated => {
            let model = source.model.ok_or_else(|| {
                Error::invalid("model", "is required for SOURCE_KIND_MODEL_GENERATED")
            })?;
            SourceKind::ModelGenerated {
                model: ModelRef {
                    model_id: required_line(
                        "model.model_id",
                        &model.model_id,
                        limits::MODEL_FIELD,
                    )?,
                    version: optional_line("model.version", &model.version, limits::MODEL_VERSION)?,
                    provider: optional_line(
                        "model.provider",
                        &model.provider,
                        limits::MODEL_FIELD,
                    )?,
                },
            }
        }
    };
    Source::new(
        kind,
        optional_line("uri", &source.uri, limits::URI)?,
        parse_license("license", &source.license)?,
        source
            .collect_time
            .as_ref()
            .map(|t| time_from_proto("collect_time", t))
            .transpose()?,
        match source.content_digest.as_str() {
            "" => None,
            digest => Some(ContentDigest::parse("content_digest", digest)?),
        },
        optional_text("description", &source.description, limits::DESCRIPTION)?,
    )
}

/// A dataset on the wire.
pub fn dataset_to_proto(d: Dataset) -> pb::Dataset {
    let contaminated = d.contaminated();
    let warnings = d.warnings();
    pb::Dataset {
        id: d.id.to_string(),
        organization_id: d.organization_id.to_string(),
        name: d.name,
        version: d.version,
        content_digest: d.content_digest.to_string(),
        size_bytes: d.size_bytes,
        description: d.description.unwrap_or_default(),
        license_unparsed: d.license.as_deref().is_some_and(is_unparsed),
        license: d.license.unwrap_or_default(),
        visibility: match d.visibility {
            Visibility::Private => pb::Visibility::Private,
            Visibility::Public => pb::Visibility::Public,
        } as i32,
        sources: d.sources.into_iter().map(source_to_proto).collect(),
        create_time: Some(time_to_proto(d.create_time)),
        contaminated,
        contamination_reports: d
            .contamination_reports
            .into_iter()
            .map(report_to_proto)
            .collect(),
        creator_token_id: d.creator_token_id.to_string(),
        creator_subject: d.creator_subject,
        warnings,
    }
}

fn source_to_proto(s: Source) -> pb::Source {
    let parent_hidden = s.kind == SourceKind::HiddenDataset;
    let (kind, dataset_id, model) = match s.kind {
        SourceKind::Dataset { dataset_id, .. } => {
            (pb::SourceKind::Dataset, dataset_id.to_string(), None)
        }
        SourceKind::HiddenDataset => (pb::SourceKind::Dataset, String::new(), None),
        SourceKind::ExternalDataset => (pb::SourceKind::ExternalDataset, String::new(), None),
        SourceKind::WebCrawl => (pb::SourceKind::WebCrawl, String::new(), None),
        SourceKind::LicensedCorpus => (pb::SourceKind::LicensedCorpus, String::new(), None),
        SourceKind::HumanAuthored => (pb::SourceKind::HumanAuthored, String::new(), None),
        SourceKind::ModelGenerated { model } => (
            pb::SourceKind::ModelGenerated,
            String::new(),
            Some(pb::ModelRef {
                model_id: model.model_id,
                version: model.version.unwrap_or_default(),
                provider: model.provider.unwrap_or_default(),
            }),
        ),
    };
    pb::Source {
        kind: kind as i32,
        dataset_id,
        model,
        uri: s.uri.unwrap_or_default(),
        license_unparsed: s.license.as_deref().is_some_and(is_unparsed),
        license: s.license.unwrap_or_default(),
        collect_time: s.collect_time.map(time_to_proto),
        content_digest: s.content_digest.map(|d| d.to_string()).unwrap_or_default(),
        description: s.description.unwrap_or_default(),
        parent_hidden,
        batch_ref: String::new(),
    }
}

/// An organisation on the wire.
pub fn organization_to_proto(o: Organization) -> pb::Organization {
    pb::Organization {
        id: o.id.to_string(),
        name: o.name,
        create_time: Some(time_to_proto(o.create_time)),
    }
}

/// A token record on the wire.
pub fn token_to_proto(t: AccessTokenRecord) -> pb::AccessTokenInfo {
    pb::AccessTokenInfo {
        id: t.id.to_string(),
        organization_id: t
            .organization_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        role: role_to_proto(t.role) as i32,
        subject: t.subject,
        create_time: Some(time_to_proto(t.create_time)),
        expire_time: Some(time_to_proto(t.expire_time)),
        revoke_time: t.revoke_time.map(time_to_proto),
    }
}

/// An event on the wire.
pub fn event_to_proto(e: Event) -> pb::Event {
    pb::Event {
        sequence: e.sequence,
        r#type: e.event_type,
        subject: e.subject,
        organization_id: e
            .organization_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        public: e.public,
        payload_json: e.payload_json,
        time: Some(time_to_proto(e.time)),
        prev_hash: hex::encode(e.prev_hash),
        hash: hex::encode(e.hash),
    }
}

/// A lineage node on the wire.
pub fn lineage_node_to_proto(n: LineageNode) -> pb::LineageNode {
    pb::LineageNode {
        dataset: Some(dataset_to_proto(n.dataset)),
        depth: n.depth as i32,
        next_ids: n.next.visible.iter().map(Uuid::to_string).collect(),
        hidden_next_count: n.next.hidden as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_times_outside_years_1_to_9999_or_with_bad_nanos_are_refused() {
        for ts in [
            Timestamp {
                seconds: MAX_TIMESTAMP_SECONDS + 1,
                nanos: 0,
            },
            Timestamp {
                seconds: MIN_TIMESTAMP_SECONDS - 1,
                nanos: 0,
            },
            Timestamp {
                seconds: 0,
                nanos: -1,
            },
            Timestamp {
                seconds: 0,
                nanos: 1_000_000_000,
            },
            Timestamp {
                seconds: i64::MIN,
                nanos: 0,
            },
        ] {
            let err = time_from_proto("collect_time", &ts)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("collect_time:"), "{err}");
        }
        let t = time_from_proto(
            "t",
            &Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_456_789,
            },
        )
        .unwrap();
        assert_eq!(t.timestamp_subsec_micros(), 123_456);
    }
}
