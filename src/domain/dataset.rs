//! Datasets and their sources, as the registry stores them. Immutable once registered.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use serde_json::{Value, json};

use super::access::Caller;
use super::attestation::ContaminationReport;
use super::digest::ContentDigest;
use super::event::format_time;
use super::model_name::look_alike_warning;
use crate::error::{Error, Result};

/// Bounds of dataset fields, shared by validation and documentation.
pub mod limits {
    /// Characters in a dataset name.
    pub const NAME: usize = 200;
    /// Characters in a version label.
    pub const VERSION: usize = 100;
    /// Characters in a description (dataset or source).
    pub const DESCRIPTION: usize = 4096;
    /// Characters in an SPDX licence expression.
    pub const LICENSE: usize = 200;
    /// Characters in a source URI or reference.
    pub const URI: usize = 2048;
    /// Characters in a model id or provider.
    pub const MODEL_FIELD: usize = 200;
    /// Characters in a model version.
    pub const MODEL_VERSION: usize = 100;
    /// Sources per dataset.
    pub const SOURCES: usize = 1000;
    /// Registrations in one `RegisterDatasets` call.
    pub const BATCH: usize = 1000;
    /// Sources in all the registrations of one `RegisterDatasets` call.
    pub const BATCH_SOURCES: usize = 100_000;
    /// Characters in a batch item's `ref`.
    pub const BATCH_REF: usize = 100;
}

/// Who may see a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// The owner only.
    Private,
    /// Every organisation.
    Public,
}

impl Visibility {
    /// Stored and hashed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Public => "public",
        }
    }

    /// Inverse of [`Visibility::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "private" => Some(Visibility::Private),
            "public" => Some(Visibility::Public),
            _ => None,
        }
    }

    /// True for [`Visibility::Public`].
    pub fn is_public(self) -> bool {
        self == Visibility::Public
    }
}

/// What a source is. The variant carries what only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A registered dataset: a lineage edge.
    Dataset {
        /// The parent dataset.
        dataset_id: Uuid,
        /// Whether the parent is public. Visibility never changes, so the registry records it with
        /// the edge and can tell, without a lookup, whom the edge may be shown to.
        parent_public: bool,
    },
    /// A registered dataset that the reader may not see: what a `Dataset` source becomes in a
    /// reader's copy of a record (see [`Dataset::as_seen_by`]). Never stored.
    HiddenDataset,
    /// An unregistered dataset, e.g. a hub id.
    ExternalDataset,
    /// Web pages.
    WebCrawl,
    /// A corpus used under licence.
    LicensedCorpus,
    /// Written by people.
    HumanAuthored,
    /// Produced by a model.
    ModelGenerated {
        /// The generating model as the registrant named it.
        model: ModelRef,
    },
}

impl SourceKind {
    /// Stored spelling of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Dataset { .. } => "dataset",
            SourceKind::HiddenDataset => "hidden_dataset",
            SourceKind::ExternalDataset => "external_dataset",
            SourceKind::WebCrawl => "web_crawl",
            SourceKind::LicensedCorpus => "licensed_corpus",
            SourceKind::HumanAuthored => "human_authored",
            SourceKind::ModelGenerated { .. } => "model_generated",
        }
    }

    /// Whether `uri` must be given for this kind: without it nobody could find the source again.
    fn requires_uri(&self) -> bool {
        matches!(self, SourceKind::ExternalDataset | SourceKind::WebCrawl)
    }
}

/// A generating model, as named by the registrant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// Name or hub id, e.g. `deepseek-ai/DeepSeek-R1`.
    pub model_id: String,
    /// Revision or tag.
    pub version: Option<String>,
    /// Who served it.
    pub provider: Option<String>,
}

/// One declared source of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The kind, with what only that kind carries.
    pub kind: SourceKind,
    /// Where it is or a reference to it.
    pub uri: Option<String>,
    /// SPDX licence expression it was used under.
    pub license: Option<String>,
    /// When it was collected.
    pub collect_time: Option<DateTime<Utc>>,
    /// Its content digest.
    pub content_digest: Option<ContentDigest>,
    /// Free text.
    pub description: Option<String>,
}

impl Source {
    /// Applies the rules that tie fields to kinds. Field paths are relative to the source.
    pub fn new(
        kind: SourceKind,
        uri: Option<String>,
        license: Option<String>,
        collect_time: Option<DateTime<Utc>>,
        content_digest: Option<ContentDigest>,
        description: Option<String>,
    ) -> Result<Self> {
        if kind.requires_uri() && uri.is_none() {
            return Err(Error::invalid(
                "uri",
                format!("is required for a source of kind {}", kind.name()),
            ));
        }
        Ok(Self {
            kind,
            uri,
            license,
            collect_time,
            content_digest,
            description,
        })
    }

    /// The canonical JSON form of the source, as the `dataset.registered` event and the lineage
    /// digest of certificates carry it (keys: `kind`, `uri`, `license`, `collect_time`,
    /// `content_digest`, `description`, plus `dataset_id` or `model` for those kinds).
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "kind": self.kind.name(),
            "uri": self.uri,
            "license": self.license,
            "collect_time": self.collect_time.map(format_time),
            "content_digest": self.content_digest.as_ref().map(|d| d.as_str()),
            "description": self.description,
        });
        match &self.kind {
            SourceKind::Dataset { dataset_id, .. } => {
                value["dataset_id"] = json!(dataset_id.to_string());
            }
            SourceKind::ModelGenerated { model } => {
                value["model"] = json!({
                    "model_id": model.model_id,
                    "version": model.version,
                    "provider": model.provider,
                });
            }
            _ => {}
        }
        value
    }

    /// The parent dataset, for a `Dataset` source.
    pub fn parent(&self) -> Option<Uuid> {
        match self.kind {
            SourceKind::Dataset { dataset_id, .. } => Some(dataset_id),
            _ => None,
        }
    }
}

/// A dataset as a registrant describes it, validated, before the registry accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDataset {
    /// The owner: the caller's organisation.
    pub organization_id: Uuid,
    /// Name, unique with version in the organisation.
    pub name: String,
    /// Version label.
    pub version: String,
    /// Content digest.
    pub content_digest: ContentDigest,
    /// Size in bytes.
    pub size_bytes: Option<u64>,
    /// Free text.
    pub description: Option<String>,
    /// SPDX licence expression.
    pub license: Option<String>,
    /// Who may see it.
    pub visibility: Visibility,
    /// What it was made from.
    pub sources: Vec<Source>,
    /// The token that registers it.
    pub creator_token_id: Uuid,
    /// That token's subject.
    pub creator_subject: String,
}

/// A registered dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// UUID v7, assigned at registration.
    pub id: Uuid,
    /// Owner.
    pub organization_id: Uuid,
    /// Name.
    pub name: String,
    /// Version label.
    pub version: String,
    /// Content digest.
    pub content_digest: ContentDigest,
    /// Size in bytes.
    pub size_bytes: Option<u64>,
    /// Free text.
    pub description: Option<String>,
    /// SPDX licence expression.
    pub license: Option<String>,
    /// Who may see it.
    pub visibility: Visibility,
    /// What it was made from, in the order given.
    pub sources: Vec<Source>,
    /// Registration time, to the microsecond.
    pub create_time: DateTime<Utc>,
    /// The token that registered it.
    pub creator_token_id: Uuid,
    /// That token's subject.
    pub creator_subject: String,
    /// Contamination reports filed on it, oldest first. Not part of the registered record: reports
    /// arrive later, and the record itself never changes.
    pub contamination_reports: Vec<ContaminationReport>,
}

impl Dataset {
    /// The stored record of `new`, with the id and time the registry assigns.
    pub fn from_new(new: NewDataset, id: Uuid, create_time: DateTime<Utc>) -> Self {
        Self {
            id,
            organization_id: new.organization_id,
            name: new.name,
            version: new.version,
            content_digest: new.content_digest,
            size_bytes: new.size_bytes,
            description: new.description,
            license: new.license,
            visibility: new.visibility,
            sources: new.sources,
            create_time,
            creator_token_id: new.creator_token_id,
            creator_subject: new.creator_subject,
            contamination_reports: Vec::new(),
        }
    }

    /// Whether its owner or the operator reported it contaminated.
    pub fn contaminated(&self) -> bool {
        self.contamination_reports.iter().any(|r| r.effective)
    }

    /// What a reader of the record should look at twice: each model-generated source whose model
    /// id is spelled with look-alike, invisible or combining characters, or mixes scripts
    /// ([`look_alike_warning`]), named by its field.
    pub fn warnings(&self) -> Vec<String> {
        self.sources
            .iter()
            .enumerate()
            .filter_map(|(i, source)| match &source.kind {
                SourceKind::ModelGenerated { model } => look_alike_warning(&model.model_id)
                    .map(|warning| format!("sources[{i}].model.model_id: {warning}")),
                _ => None,
            })
            .collect()
    }

    /// Parent datasets named by `Dataset` sources, in source order.
    pub fn parents(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.sources.iter().filter_map(Source::parent)
    }

    /// The record as `caller` may read it: parents it may not see become
    /// [`SourceKind::HiddenDataset`], so that a private dataset is never named to outsiders, only
    /// counted. A private parent always belongs to the dataset's own organisation (others may only
    /// use public parents), so the owner sees every edge.
    pub fn as_seen_by(mut self, caller: &Caller) -> Self {
        if !caller.can_see(self.organization_id, false) {
            self.sources = hide_private_parents(self.sources);
        }
        self
    }
}

/// `sources` with every private parent replaced by [`SourceKind::HiddenDataset`].
pub fn hide_private_parents(sources: Vec<Source>) -> Vec<Source> {
    sources
        .into_iter()
        .map(|mut source| {
            if let SourceKind::Dataset {
                parent_public: false,
                ..
            } = source.kind
            {
                source.kind = SourceKind::HiddenDataset;
            }
            source
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_datasets_and_web_crawls_need_a_uri() {
        for kind in [SourceKind::ExternalDataset, SourceKind::WebCrawl] {
            let err = Source::new(kind, None, None, None, None, None).unwrap_err();
            assert!(err.to_string().starts_with("uri: is required"), "{err}");
        }
        assert!(Source::new(SourceKind::HumanAuthored, None, None, None, None, None).is_ok());
    }

    #[test]
    fn only_dataset_sources_are_lineage_edges() {
        let parent = Uuid::now_v7();
        let edge = Source::new(
            SourceKind::Dataset {
                dataset_id: parent,
                parent_public: false,
            },
            None,
            None,
            None,
            None,
            None,
        );
        assert_eq!(edge.unwrap().parent(), Some(parent));
        let crawl = Source::new(
            SourceKind::WebCrawl,
            Some("https://example.org".into()),
            None,
            None,
            None,
            None,
        );
        assert_eq!(crawl.unwrap().parent(), None);
    }

    #[test]
    fn outsiders_see_private_parents_only_as_hidden_while_owners_see_them_all() {
        use crate::domain::access::Role;
        let owner = Uuid::now_v7();
        let edge = |parent_public| Source {
            kind: SourceKind::Dataset {
                dataset_id: Uuid::now_v7(),
                parent_public,
            },
            uri: None,
            license: None,
            collect_time: None,
            content_digest: None,
            description: None,
        };
        let dataset = Dataset {
            id: Uuid::now_v7(),
            organization_id: owner,
            name: "n".into(),
            version: "1".into(),
            content_digest: ContentDigest::of(b"n"),
            size_bytes: None,
            description: None,
            license: None,
            visibility: Visibility::Public,
            sources: vec![edge(false), edge(true)],
            create_time: Utc::now(),
            creator_token_id: Uuid::now_v7(),
            creator_subject: "t".into(),
            contamination_reports: Vec::new(),
        };
        let reader = |org| Caller {
            token_id: Uuid::now_v7(),
            subject: "r".into(),
            organization_id: Some(org),
            role: Role::Auditor,
        };
        let outsider = dataset.clone().as_seen_by(&reader(Uuid::now_v7()));
        assert_eq!(outsider.sources[0].kind, SourceKind::HiddenDataset);
        assert_eq!(outsider.sources[1], dataset.sources[1]);
        assert_eq!(dataset.clone().as_seen_by(&reader(owner)), dataset);
    }

    #[test]
    fn visibility_names_round_trip() {
        for v in [Visibility::Private, Visibility::Public] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
    }
}
