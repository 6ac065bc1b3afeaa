//! OpenLineage run events as the registry reads them (`POST /api/v1/lineage`).
//!
//! [`read_event`] checks an event against the parts of the OpenLineage 2 schema the registry relies
//! on and reads what it needs, every refusal naming the JSON path; [`registrations`] turns a
//! completed run's outputs into registrations once the inputs are resolved. Pure: the use case in
//! `registry::openlineage` does the lookups and the writing.
//!
//! The rules (also in the README):
//! - Only `COMPLETE` run events register anything; `START`, `RUNNING`, `FAIL`, `ABORT`, `OTHER`,
//!   run events without a type, and dataset and job events are accepted and stored nowhere.
//! - Each output becomes a dataset of the caller's organisation, version = the output's standard
//!   `version` facet (`datasetVersion`) or else the run id, so a retried event repeats the same
//!   registration and changes nothing. Its digest comes from the [`facets::DIGEST`] facet, which is
//!   required: the registry never invents a digest.
//! - A dataset's name in the registry is the first of its OpenLineage names (the dataset's own, then
//!   its `symlinks`, each written `namespace/name`) that already names a registered dataset or an
//!   alias of one; else its own name. Its other names become aliases of that registry name.
//! - Each input becomes a source: a parent when one of its names resolves to a registered dataset
//!   of the organisation (its `version` facet picks the version, else the newest), else an
//!   external dataset naming its URI. An input with the [`facets::MODEL_GENERATED`] facet is a
//!   model-generated source naming the model, whatever else it is, so that policies see it; the
//!   facet on an output adds such a source to the output (the run generated it with the model).
//! - Events are applied in arrival order and stored datasets never change. An input registered after
//!   its reader is linked in the reader's next version ([`linked_version`]), and the datasets made
//!   from the reader follow, so the newest versions converge on the in-order lineage.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::access::Caller;
use super::dataset::{Dataset, ModelRef, NewDataset, Source, SourceKind, Visibility, limits};
use super::digest::ContentDigest;
use super::license::parse_license;
use super::text::{optional_line, optional_text, required_line};
use crate::error::{Error, Result};

/// The registry's custom facets: names (keys in `facets`) and their JSON Schemas, which the
/// server publishes under [`facets::SCHEMA_PATH`] and the repository keeps in
/// `docs/openlineage/facets/`.
pub mod facets {
    /// Dataset facet with the dataset's content digest, size and licence.
    pub const DIGEST: &str = "provenance_digest";
    /// Dataset facet declaring that a model generated the dataset.
    pub const MODEL_GENERATED: &str = "provenance_modelGenerated";
    /// Where the schemas are served: `<path><version>/<file>`.
    pub const SCHEMA_PATH: &str = "/openlineage/facets/";
    /// The one version of the facets this registry reads.
    pub const VERSION: &str = "1-0-0";
    /// Schema file of [`DIGEST`].
    pub const DIGEST_SCHEMA: &str = "ProvenanceDigestDatasetFacet.json";
    /// Schema file of [`MODEL_GENERATED`].
    pub const MODEL_GENERATED_SCHEMA: &str = "ProvenanceModelGeneratedDatasetFacet.json";
    /// The JSON Schema of [`DIGEST`], version [`VERSION`].
    pub const DIGEST_SCHEMA_JSON: &str =
        include_str!("../../docs/openlineage/facets/1-0-0/ProvenanceDigestDatasetFacet.json");
    /// The JSON Schema of [`MODEL_GENERATED`], version [`VERSION`].
    pub const MODEL_GENERATED_SCHEMA_JSON: &str = include_str!(
        "../../docs/openlineage/facets/1-0-0/ProvenanceModelGeneratedDatasetFacet.json"
    );
}

/// Bounds of an event, beyond the server's request-size limit.
pub mod bounds {
    /// Inputs of one run event.
    pub const INPUTS: usize = 1000;
    /// Outputs of one run event.
    pub const OUTPUTS: usize = 1000;
    /// Symlinks of one dataset.
    pub const SYMLINKS: usize = 20;
    /// Characters of a namespace or a name.
    pub const NAME: usize = 1000;
}

/// A run's state transition (`eventType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// `START`
    Start,
    /// `RUNNING`
    Running,
    /// `COMPLETE`: the only one that registers anything.
    Complete,
    /// `ABORT`
    Abort,
    /// `FAIL`
    Fail,
    /// `OTHER`
    Other,
}

/// What an event is to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A run event that completed a run: its outputs are registered.
    Complete(RunEvent),
    /// Anything else valid: accepted, stored nowhere. Says what it was.
    Ignored(String),
}

/// An OpenLineage dataset name: `namespace` and `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The namespace, e.g. `s3://bucket` or `postgres://db.example:5432`.
    pub namespace: String,
    /// The name within it, e.g. `raw/crawl.parquet` or `shop.public.orders`.
    pub name: String,
}

impl Identity {
    /// The one-string form the registry uses as a dataset name and source URI: `namespace/name`
    /// (no doubled slash when the name starts with one).
    pub fn uri(&self) -> String {
        if self.name.starts_with('/') || self.namespace.ends_with('/') {
            format!("{}{}", self.namespace, self.name)
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

/// A completed run, as far as the registry reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEvent {
    /// `run.runId`.
    pub run_id: Uuid,
    /// `job`.
    pub job: Identity,
    /// `inputs`, in order.
    pub inputs: Vec<LineageDataset>,
    /// `outputs`, in order.
    pub outputs: Vec<LineageDataset>,
}

/// An input or output dataset of a run and the facets the registry reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageDataset {
    /// Its own name.
    pub identity: Identity,
    /// Its other names (`symlinks` facet).
    pub symlinks: Vec<Identity>,
    /// `version.datasetVersion`.
    pub version: Option<String>,
    /// The [`facets::DIGEST`] facet.
    pub digest: Option<DigestFacet>,
    /// The [`facets::MODEL_GENERATED`] facet.
    pub model: Option<ModelRef>,
    /// `documentation.description`.
    pub description: Option<String>,
}

impl LineageDataset {
    /// Every name of the dataset in `namespace/name` form: its own first, then its symlinks.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(1 + self.symlinks.len());
        for identity in std::iter::once(&self.identity).chain(&self.symlinks) {
            let uri = identity.uri();
            if !names.contains(&uri) {
                names.push(uri);
            }
        }
        names
    }
}

/// The [`facets::DIGEST`] facet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestFacet {
    /// `digest`.
    pub digest: ContentDigest,
    /// `sizeBytes`.
    pub size_bytes: Option<u64>,
    /// `license`.
    pub license: Option<String>,
}

/// Reads an event (a parsed JSON body), refusing what the OpenLineage schema or the registry's
/// facets do not allow, with the JSON path of the problem.
pub fn read_event(body: &Value) -> Result<Event> {
    let event = object(body, "")?;
    for key in ["eventTime", "producer", "schemaURL"] {
        required_string(event, key, "")?;
    }
    let time = required_string(event, "eventTime", "")?;
    if chrono::DateTime::parse_from_rfc3339(time).is_err() {
        return Err(Error::invalid(
            "eventTime",
            "must be an RFC 3339 date-time, e.g. 2026-12-05T10:00:00.000Z",
        ));
    }
    let Some(run) = event.get("run") else {
        return match (event.get("dataset"), event.get("job")) {
            (Some(_), _) => Ok(Event::Ignored(
                "a dataset event: accepted, nothing registered".into(),
            )),
            (None, Some(_)) => Ok(Event::Ignored(
                "a job event: accepted, nothing registered".into(),
            )),
            (None, None) => Err(Error::invalid(
                "run",
                "is required: an OpenLineage event has a run, a job or a dataset",
            )),
        };
    };
    let run = object(run, "run")?;
    let run_id = required_string(run, "runId", "run")?;
    let run_id =
        Uuid::try_parse(run_id).map_err(|_| Error::invalid("run.runId", "must be a UUID"))?;
    let job = identity(
        event
            .get("job")
            .ok_or_else(|| Error::invalid("job", "is required"))?,
        "job",
    )?;
    let state = match event.get("eventType") {
        None | Some(Value::Null) => None,
        Some(Value::String(state)) => Some(match state.as_str() {
            "START" => RunState::Start,
            "RUNNING" => RunState::Running,
            "COMPLETE" => RunState::Complete,
            "ABORT" => RunState::Abort,
            "FAIL" => RunState::Fail,
            "OTHER" => RunState::Other,
            _ => {
                return Err(Error::invalid(
                    "eventType",
                    "must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER",
                ));
            }
        }),
        Some(_) => return Err(Error::invalid("eventType", "must be a string")),
    };
    let inputs = datasets(event, "inputs", bounds::INPUTS)?;
    let outputs = datasets(event, "outputs", bounds::OUTPUTS)?;
    match state {
        Some(RunState::Complete) => Ok(Event::Complete(RunEvent {
            run_id,
            job,
            inputs,
            outputs,
        })),
        other => Ok(Event::Ignored(format!(
            "a run event of type {}: accepted, nothing registered (only COMPLETE registers)",
            match other {
                None => "(none)",
                Some(RunState::Start) => "START",
                Some(RunState::Running) => "RUNNING",
                Some(RunState::Abort) => "ABORT",
                Some(RunState::Fail) => "FAIL",
                Some(RunState::Other) | Some(RunState::Complete) => "OTHER",
            }
        ))),
    }
}

/// The registrations a completed run asks for, one per output, in order, each with the aliases it
/// claims. `inputs[i]` is the registered dataset input `i` resolved to, if any; `output_names[i]`
/// the registry name one of output `i`'s names already has, if any.
pub fn registrations(
    event: &RunEvent,
    caller: &Caller,
    organization_id: Uuid,
    inputs: &[Option<(Uuid, bool)>],
    output_names: &[Option<String>],
) -> Result<Vec<(NewDataset, Vec<String>)>> {
    let mut sources = Vec::with_capacity(event.inputs.len());
    for (index, input) in event.inputs.iter().enumerate() {
        let at = format!("inputs[{index}]");
        let source =
            input_source(input, inputs.get(index).copied().flatten()).map_err(|e| e.within(&at))?;
        sources.push(source);
    }
    let mut registrations = Vec::with_capacity(event.outputs.len());
    for (index, output) in event.outputs.iter().enumerate() {
        let at = format!("outputs[{index}]");
        let registration = output_registration(
            event,
            output,
            &sources,
            caller,
            organization_id,
            output_names.get(index).cloned().flatten(),
        )
        .map_err(|e| e.within(&at))?;
        registrations.push(registration);
    }
    Ok(registrations)
}

fn input_source(input: &LineageDataset, resolved: Option<(Uuid, bool)>) -> Result<Source> {
    let uri = || required_line("name", &input.identity.uri(), limits::URI).map(Some);
    let (license, digest) = match &input.digest {
        Some(facet) => (facet.license.clone(), Some(facet.digest.clone())),
        None => (None, None),
    };
    let kind = match (&input.model, resolved) {
        (Some(model), _) => SourceKind::ModelGenerated {
            model: model.clone(),
        },
        (None, Some((dataset_id, parent_public))) => SourceKind::Dataset {
            dataset_id,
            parent_public,
        },
        (None, None) => SourceKind::ExternalDataset,
    };
    let uri = match kind {
        // A parent is named by its id; its record has the rest.
        SourceKind::Dataset { .. } => None,
        _ => uri()?,
    };
    Source::new(kind, uri, license, None, digest, input.description.clone())
}

fn output_registration(
    event: &RunEvent,
    output: &LineageDataset,
    inputs: &[Source],
    caller: &Caller,
    organization_id: Uuid,
    existing_name: Option<String>,
) -> Result<(NewDataset, Vec<String>)> {
    let digest = output.digest.as_ref().ok_or_else(|| {
        Error::invalid(
            format!("facets.{}", facets::DIGEST),
            format!(
                "is required on every output of a COMPLETE event: the registry never invents a \
                 digest (see the facet's schema at {}{}/{})",
                facets::SCHEMA_PATH,
                facets::VERSION,
                facets::DIGEST_SCHEMA
            ),
        )
    })?;
    let names = output.names();
    let name = match existing_name {
        Some(name) => name,
        None => required_line("name", &output.identity.uri(), limits::NAME)
            .map_err(|e| Error::invalid("name", format!("as `namespace/name`: {}", reason(&e))))?,
    };
    let version = match &output.version {
        Some(version) => required_line("facets.version.datasetVersion", version, limits::VERSION)?,
        None => event.run_id.to_string(),
    };
    let mut sources = inputs.to_vec();
    if let Some(model) = &output.model {
        sources.push(Source::new(
            SourceKind::ModelGenerated {
                model: model.clone(),
            },
            Some(required_line("job", &event.job.uri(), limits::URI)?),
            None,
            None,
            None,
            Some(format!(
                "generated by run {} of OpenLineage job {}",
                event.run_id,
                event.job.uri()
            )),
        )?);
    }
    if sources.len() > limits::SOURCES {
        return Err(Error::invalid(
            "inputs",
            format!("give at most {} sources to one output", limits::SOURCES),
        ));
    }
    let aliases = names
        .into_iter()
        .filter(|alias| *alias != name)
        .map(|alias| required_line("facets.symlinks", &alias, limits::URI))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        NewDataset {
            organization_id,
            name,
            version,
            content_digest: digest.digest.clone(),
            size_bytes: digest.size_bytes,
            description: output.description.clone(),
            license: digest.license.clone(),
            visibility: Visibility::Private,
            sources,
            creator_token_id: caller.token_id,
            creator_subject: caller.subject.clone(),
        },
        aliases,
    ))
}

/// The next version of `dataset`, made by the caller, in which every source that `link` maps to a
/// registered dataset `(id, public)` is that dataset as a parent; `None` when no source changes.
/// Its version is the old one with `+linked.<n>`, counting up.
pub fn linked_version(
    dataset: &Dataset,
    caller: &Caller,
    link: impl Fn(&Source) -> Option<(Uuid, bool)>,
) -> Result<Option<NewDataset>> {
    let mut changed = false;
    let mut sources = Vec::with_capacity(dataset.sources.len());
    for source in &dataset.sources {
        match link(source) {
            Some((dataset_id, parent_public)) => {
                changed = true;
                sources.push(Source::new(
                    SourceKind::Dataset {
                        dataset_id,
                        parent_public,
                    },
                    None,
                    source.license.clone(),
                    source.collect_time,
                    source.content_digest.clone(),
                    source.description.clone(),
                )?);
            }
            None => sources.push(source.clone()),
        }
    }
    if !changed {
        return Ok(None);
    }
    Ok(Some(NewDataset {
        organization_id: dataset.organization_id,
        name: dataset.name.clone(),
        version: required_line(
            "version",
            &next_linked_version(&dataset.version),
            limits::VERSION,
        )?,
        content_digest: dataset.content_digest.clone(),
        size_bytes: dataset.size_bytes,
        description: dataset.description.clone(),
        license: dataset.license.clone(),
        visibility: dataset.visibility,
        sources,
        creator_token_id: caller.token_id,
        creator_subject: caller.subject.clone(),
    }))
}

/// `v` gives `v+linked.1`, `v+linked.1` gives `v+linked.2`.
fn next_linked_version(version: &str) -> String {
    const MARK: &str = "+linked.";
    if let Some((base, count)) = version.rsplit_once(MARK)
        && let Ok(count) = count.parse::<u32>()
    {
        return format!("{base}{MARK}{}", count.saturating_add(1));
    }
    format!("{version}{MARK}1")
}

fn reason(error: &Error) -> String {
    match error {
        Error::InvalidArgument(violations) => violations
            .0
            .iter()
            .map(|v| v.reason.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        if at.is_empty() {
            Error::invalid("(body)", "must be a JSON object (an OpenLineage event)")
        } else {
            Error::invalid(at, "must be a JSON object")
        }
    })
}

fn optional_string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Error::invalid(path(at, key), "must be a string")),
    }
}

fn required_string<'a>(map: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str> {
    optional_string(map, key, at)?
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::invalid(path(at, key), "is required"))
}

fn identity(value: &Value, at: &str) -> Result<Identity> {
    let map = object(value, at)?;
    let part = |key: &str| -> Result<String> {
        let value = required_string(map, key, at)?;
        required_line(&path(at, key), value, bounds::NAME)
    };
    Ok(Identity {
        namespace: part("namespace")?,
        name: part("name")?,
    })
}

fn datasets(event: &Map<String, Value>, key: &str, most: usize) -> Result<Vec<LineageDataset>> {
    let items = match event.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::invalid(key, "must be an array")),
    };
    if items.len() > most {
        return Err(Error::invalid(
            key,
            format!("must hold at most {most} datasets, not {}", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| dataset(item, &format!("{key}[{index}]")))
        .collect()
}

fn dataset(value: &Value, at: &str) -> Result<LineageDataset> {
    let identity = identity(value, at)?;
    let map = object(value, at)?;
    let mut dataset = LineageDataset {
        identity,
        symlinks: Vec::new(),
        version: None,
        digest: None,
        model: None,
        description: None,
    };
    let at = path(at, "facets");
    let facets = match map.get("facets") {
        None | Some(Value::Null) => return Ok(dataset),
        Some(value) => object(value, &at)?,
    };
    for (name, facet) in facets {
        // Every facet is an object (the schema's BaseFacet); those the registry does not read are
        // passed over unexamined, so that new standard and custom facets never break ingestion.
        let facet_at = path(&at, name);
        let facet = object(facet, &facet_at)?;
        if facet.get("_deleted") == Some(&Value::Bool(true)) {
            continue;
        }
        match name.as_str() {
            "symlinks" => dataset.symlinks = symlinks(facet, &facet_at)?,
            "version" => {
                dataset.version =
                    optional_string(facet, "datasetVersion", &facet_at)?.map(str::to_owned);
            }
            "documentation" => {
                let description = optional_string(facet, "description", &facet_at)?.unwrap_or("");
                dataset.description = optional_text(
                    &path(&facet_at, "description"),
                    description,
                    limits::DESCRIPTION,
                )?;
            }
            facets::DIGEST => {
                own_facet(
                    facet,
                    &facet_at,
                    facets::DIGEST_SCHEMA,
                    &["digest", "sizeBytes", "license"],
                )?;
                dataset.digest = Some(digest_facet(facet, &facet_at)?);
            }
            facets::MODEL_GENERATED => {
                own_facet(
                    facet,
                    &facet_at,
                    facets::MODEL_GENERATED_SCHEMA,
                    &["modelId", "modelVersion", "provider"],
                )?;
                dataset.model = Some(model_facet(facet, &facet_at)?);
            }
            _ => {}
        }
    }
    Ok(dataset)
}

fn symlinks(facet: &Map<String, Value>, at: &str) -> Result<Vec<Identity>> {
    let at = path(at, "identifiers");
    let items = match facet.get("identifiers") {
        Some(Value::Array(items)) => items,
        _ => return Err(Error::invalid(at, "is required and must be an array")),
    };
    if items.len() > bounds::SYMLINKS {
        return Err(Error::invalid(
            at,
            format!("must hold at most {} names", bounds::SYMLINKS),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| identity(item, &format!("{at}[{index}]")))
        .collect()
}

/// Checks a facet of the registry's own: its schema URL names a version this registry knows, and
/// it holds no field its schema does not define.
fn own_facet(facet: &Map<String, Value>, at: &str, schema: &str, fields: &[&str]) -> Result<()> {
    required_string(facet, "_producer", at)?;
    let url = required_string(facet, "_schemaURL", at)?;
    let location = url.split('#').next().unwrap_or_default();
    let expected = format!("{}{}/{schema}", facets::SCHEMA_PATH, facets::VERSION);
    if !location.ends_with(&expected) {
        let versioned = location
            .strip_suffix(&format!("/{schema}"))
            .and_then(|rest| rest.rsplit_once(facets::SCHEMA_PATH.trim_end_matches('/')))
            .map(|(_, version)| version.trim_matches('/').to_owned());
        return Err(Error::invalid(
            path(at, "_schemaURL"),
            match versioned {
                Some(version) => format!(
                    "names version {version:?} of {schema}, which this registry does not know: \
                     it reads version {} (`<registry>{expected}`)",
                    facets::VERSION
                ),
                None => format!("must be the URL of the facet's schema, `<registry>{expected}`"),
            },
        ));
    }
    for key in facet.keys() {
        if !key.starts_with('_') && !fields.contains(&key.as_str()) {
            return Err(Error::invalid(
                path(at, key),
                format!("is not a field of {schema} (it has: {})", fields.join(", ")),
            ));
        }
    }
    Ok(())
}

fn digest_facet(facet: &Map<String, Value>, at: &str) -> Result<DigestFacet> {
    let digest = required_string(facet, "digest", at)?;
    let size_bytes = match facet.get("sizeBytes") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|size| *size <= i64::MAX as u64)
                .ok_or_else(|| {
                    Error::invalid(
                        path(at, "sizeBytes"),
                        format!("must be a whole number from 0 to {}", i64::MAX),
                    )
                })?,
        ),
    };
    let license = optional_string(facet, "license", at)?.unwrap_or("");
    Ok(DigestFacet {
        digest: ContentDigest::parse(&path(at, "digest"), digest)?,
        size_bytes,
        license: parse_license(&path(at, "license"), license)?,
    })
}

fn model_facet(facet: &Map<String, Value>, at: &str) -> Result<ModelRef> {
    let line = |key: &str, most: usize, required: bool| -> Result<Option<String>> {
        let value = optional_string(facet, key, at)?.unwrap_or("");
        if required {
            required_line(&path(at, key), value, most).map(Some)
        } else {
            optional_line(&path(at, key), value, most)
        }
    };
    Ok(ModelRef {
        model_id: line("modelId", limits::MODEL_FIELD, true)?.unwrap_or_default(),
        version: line("modelVersion", limits::MODEL_VERSION, false)?,
        provider: line("provider", limits::MODEL_FIELD, false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Role;
    use serde_json::json;

    fn caller(org: Uuid) -> Caller {
        Caller {
            organization_id: Some(org),
            role: Role::Registrar,
            token_id: Uuid::now_v7(),
            subject: "pipeline".into(),
        }
    }

    fn digest_facet(version: &str) -> Value {
        json!({
            "_producer": "p",
            "_schemaURL": format!("https://r.example/openlineage/facets/{version}/ProvenanceDigestDatasetFacet.json#/$defs/ProvenanceDigestDatasetFacet"),
            "digest": ContentDigest::of(b"out").as_str(),
        })
    }

    fn event(state: &str, inputs: Value, outputs: Value) -> Value {
        json!({
            "eventType": state,
            "eventTime": "2026-12-05T10:00:00Z",
            "producer": "p",
            "schemaURL": "s",
            "run": {"runId": "0196f0f4-8a42-7cc0-9e0c-1b2a3c4d5e6f"},
            "job": {"namespace": "jobs", "name": "mix"},
            "inputs": inputs,
            "outputs": outputs,
        })
    }

    fn complete(value: &Value) -> RunEvent {
        match read_event(value).unwrap() {
            Event::Complete(run) => run,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn linked_versions_count_up() {
        assert_eq!(next_linked_version("run-1"), "run-1+linked.1");
        assert_eq!(next_linked_version("run-1+linked.1"), "run-1+linked.2");
        assert_eq!(next_linked_version("a+linked.x"), "a+linked.x+linked.1");
    }

    #[test]
    fn names_join_namespace_and_name_without_doubling_slashes() {
        let uri = |namespace: &str, name: &str| {
            Identity {
                namespace: namespace.into(),
                name: name.into(),
            }
            .uri()
        };
        assert_eq!(uri("s3://lake", "raw/crawl"), "s3://lake/raw/crawl");
        assert_eq!(uri("file", "/data/x"), "file/data/x");
        assert_eq!(uri("hive://m/", "db.t"), "hive://m/db.t");
    }

    #[test]
    fn only_complete_run_events_register_and_others_are_accepted() {
        let output = json!([{"namespace": "s3://l", "name": "o", "facets": {"provenance_digest": digest_facet("1-0-0")}}]);
        for state in ["START", "RUNNING", "FAIL", "ABORT", "OTHER"] {
            assert!(matches!(
                read_event(&event(state, json!([]), output.clone())),
                Ok(Event::Ignored(_))
            ));
        }
        let dataset_event = json!({"eventTime": "2026-12-05T10:00:00Z", "producer": "p", "schemaURL": "s", "dataset": {"namespace": "n", "name": "d"}});
        assert!(matches!(read_event(&dataset_event), Ok(Event::Ignored(_))));
        let run = complete(&event("COMPLETE", json!([]), output));
        assert_eq!(
            run.outputs[0].digest.as_ref().unwrap().digest,
            ContentDigest::of(b"out")
        );
    }

    #[test]
    fn inputs_become_parents_external_or_model_generated_sources_and_the_version_is_the_run() {
        let org = Uuid::now_v7();
        let model = json!({"_producer": "p", "_schemaURL": "https://r.example/openlineage/facets/1-0-0/ProvenanceModelGeneratedDatasetFacet.json", "modelId": "deepseek-ai/DeepSeek-R1"});
        let run = complete(&event(
            "COMPLETE",
            json!([
                {"namespace": "s3://l", "name": "known"},
                {"namespace": "s3://l", "name": "unknown"},
                {"namespace": "s3://v", "name": "r1", "facets": {"provenance_modelGenerated": model}},
            ]),
            json!([{"namespace": "s3://l", "name": "out", "facets": {"provenance_digest": digest_facet("1-0-0")}}]),
        ));
        let parent = Uuid::now_v7();
        let made = registrations(
            &run,
            &caller(org),
            org,
            &[Some((parent, false)), None, None],
            &[None],
        )
        .unwrap();
        let (new, aliases) = &made[0];
        assert_eq!(
            (new.name.as_str(), new.version.as_str()),
            ("s3://l/out", "0196f0f4-8a42-7cc0-9e0c-1b2a3c4d5e6f")
        );
        assert!(aliases.is_empty());
        assert_eq!(new.sources[0].parent(), Some(parent));
        assert_eq!(new.sources[1].kind, SourceKind::ExternalDataset);
        assert_eq!(new.sources[1].uri.as_deref(), Some("s3://l/unknown"));
        assert!(matches!(
            new.sources[2].kind,
            SourceKind::ModelGenerated { .. }
        ));
    }

    #[test]
    fn an_unknown_facet_version_and_a_missing_digest_are_refused_by_path() {
        let unknown = event(
            "COMPLETE",
            json!([]),
            json!([{"namespace": "s3://l", "name": "o", "facets": {"provenance_digest": digest_facet("9-0-0")}}]),
        );
        let error = read_event(&unknown).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "outputs[0].facets.provenance_digest._schemaURL: names version \"9-0-0\""
            ),
            "{error}"
        );

        let org = Uuid::now_v7();
        let bare = complete(&event(
            "COMPLETE",
            json!([]),
            json!([{"namespace": "s3://l", "name": "o"}]),
        ));
        let error = registrations(&bare, &caller(org), org, &[], &[None])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("outputs[0].facets.provenance_digest: is required"),
            "{error}"
        );
    }
}
