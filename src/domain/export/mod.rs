//! Lineage exports: a walk as the caller may see it, written in a standard format (one module per
//! format). Pure: the registry hands over the visible datasets and the walk's edges, this module
//! decides what each format shows.
//!
//! The visibility rule is the one `GetLineage` follows: what the caller may not see is never shown,
//! only counted. Each visible dataset whose next steps include hidden datasets gets one anonymous
//! node standing for them, which says how many they are and nothing else; the hidden datasets'
//! names, ids, digests and sources never reach this module. Sources that name a dataset hidden
//! from the caller arrive already blanked ([`SourceKind::HiddenDataset`]) and are left out.

pub mod cyclonedx;
pub mod prov;
pub mod spdx;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::dataset::{Dataset, ModelRef, Source, SourceKind};
use super::lineage::Direction;
use crate::error::{Error, Result};

/// Datasets in a walk that may be exported, hidden ones included: larger walks are refused, never
/// cut short.
pub const MAX_EXPORT_DATASETS: usize = 5000;

/// Bytes of an exported document, at most: under the 4 MiB that gRPC clients accept by default.
pub const MAX_EXPORT_BYTES: usize = 4_000_000;

/// The standard a lineage is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// SPDX 3.0.1 JSON-LD.
    Spdx3,
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// W3C PROV-JSON.
    Prov,
}

impl ExportFormat {
    /// The media type of a document in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Spdx3 => "application/spdx3+json; version=3.0.1",
            ExportFormat::CycloneDx => "application/vnd.cyclonedx+json; version=1.6",
            ExportFormat::Prov => "application/json",
        }
    }
}

/// Refuses a walk of more than [`MAX_EXPORT_DATASETS`] datasets, before any of them is read.
pub fn check_walk_size(visible: usize, hidden: usize) -> Result<()> {
    let total = visible + hidden;
    if total > MAX_EXPORT_DATASETS {
        return Err(Error::ResourceExhausted(format!(
            "the lineage holds {total} datasets, more than the {MAX_EXPORT_DATASETS} an export may \
             hold; export a shallower walk (max_depth)"
        )));
    }
    Ok(())
}

/// One node of an exported lineage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeRef {
    /// A visible dataset.
    Dataset(Uuid),
    /// The anonymous node at this index of [`LineageExport::hidden`].
    Hidden(usize),
}

/// An anonymous node: datasets the caller may not see, one step further from a visible one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenGroup {
    /// How many datasets it stands for.
    pub count: u32,
}

/// `derived` was made from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Derivation {
    /// The dataset made.
    pub derived: NodeRef,
    /// What it was made from.
    pub from: NodeRef,
}

/// A generating model, once per distinct (id, version, provider).
pub type ModelKey = (String, Option<String>, Option<String>);

/// What an export shows: everything here may be shown to the caller.
#[derive(Debug, Clone)]
pub struct LineageExport {
    /// The dataset the walk starts from.
    pub root: Uuid,
    /// Which way the walk went.
    pub direction: Direction,
    /// Visible datasets in walk order (depth, then id), the root first.
    pub datasets: Vec<Dataset>,
    /// Anonymous nodes, numbered in walk order of the dataset they hang from.
    pub hidden: Vec<HiddenGroup>,
    /// Edges of the walk, sorted.
    pub derivations: Vec<Derivation>,
    /// How many datasets of the walk the caller may not see, in all.
    pub hidden_count: usize,
}

/// One visible node of the walk, as the registry read it.
#[derive(Debug, Clone)]
pub struct ExportNode {
    /// The dataset, as the caller may read it.
    pub dataset: Dataset,
    /// Visible next steps (parents upstream, children downstream) within the walk.
    pub next_visible: Vec<Uuid>,
    /// Hidden next steps.
    pub next_hidden: u32,
}

impl LineageExport {
    /// Builds the export of a walk from its visible nodes in walk order.
    pub fn new(
        root: Uuid,
        direction: Direction,
        nodes: Vec<ExportNode>,
        hidden_count: usize,
    ) -> Self {
        let mut hidden = Vec::new();
        let mut derivations = Vec::new();
        let mut datasets = Vec::with_capacity(nodes.len());
        for node in nodes {
            let here = NodeRef::Dataset(node.dataset.id);
            let link = |next: NodeRef| match direction {
                Direction::Upstream => Derivation {
                    derived: here,
                    from: next,
                },
                Direction::Downstream => Derivation {
                    derived: next,
                    from: here,
                },
            };
            for id in &node.next_visible {
                derivations.push(link(NodeRef::Dataset(*id)));
            }
            if node.next_hidden > 0 {
                derivations.push(link(NodeRef::Hidden(hidden.len())));
                hidden.push(HiddenGroup {
                    count: node.next_hidden,
                });
            }
            datasets.push(node.dataset);
        }
        derivations.sort();
        derivations.dedup();
        Self {
            root,
            direction,
            datasets,
            hidden,
            derivations,
            hidden_count,
        }
    }

    /// The time the document describes: the latest registration among its datasets, so that the
    /// same state always gives the same document.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.datasets
            .iter()
            .map(|d| d.create_time)
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// The root dataset.
    pub fn root_dataset(&self) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.id == self.root)
    }

    /// What each node was made from, in sorted order.
    pub fn made_from(&self, derived: NodeRef) -> impl Iterator<Item = NodeRef> + '_ {
        self.derivations
            .iter()
            .filter(move |d| d.derived == derived)
            .map(|d| d.from)
    }

    /// Every distinct generating model named by a visible dataset's sources, sorted, each with
    /// its index in that order.
    pub fn models(&self) -> BTreeMap<ModelKey, usize> {
        let mut keys: Vec<ModelKey> = self
            .datasets
            .iter()
            .flat_map(|d| d.sources.iter())
            .filter_map(|s| match &s.kind {
                SourceKind::ModelGenerated { model } => Some(model_key(model)),
                _ => None,
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect()
    }
}

/// The key a model is known by in an export.
pub fn model_key(model: &ModelRef) -> ModelKey {
    (
        model.model_id.clone(),
        model.version.clone(),
        model.provider.clone(),
    )
}

/// The sources of a dataset that an export lists on their own: neither lineage edges (shown as
/// derivations) nor blanked ones. Each comes with its index among the dataset's sources.
pub fn listed_sources(dataset: &Dataset) -> impl Iterator<Item = (usize, &Source)> {
    dataset.sources.iter().enumerate().filter(|(_, s)| {
        !matches!(
            s.kind,
            SourceKind::Dataset { .. } | SourceKind::HiddenDataset
        )
    })
}

/// Whether `text` is an absolute URI (RFC 3986: a scheme, `:`, and no white space), as the formats'
/// URI fields require; a source's reference may be a plain name instead.
pub fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut letters = scheme.chars();
    letters.next().is_some_and(|c| c.is_ascii_alphabetic())
        && letters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The hex of a `sha256:` digest.
pub fn sha256_hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// A time in the form the formats share: UTC, whole seconds, `Z`.
pub fn utc_seconds(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The text an anonymous node is named with.
pub fn hidden_label(group: &HiddenGroup) -> String {
    match group.count {
        1 => "1 dataset not visible to you".to_owned(),
        n => format!("{n} datasets not visible to you"),
    }
}

/// Renders a document, refusing one over [`MAX_EXPORT_BYTES`].
pub fn to_bytes(document: &serde_json::Value) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(document).map_err(Error::internal)?;
    bytes.push(b'\n');
    if bytes.len() > MAX_EXPORT_BYTES {
        return Err(Error::ResourceExhausted(format!(
            "the export would take {} bytes, more than the {MAX_EXPORT_BYTES} allowed; export a \
             shallower walk (max_depth)",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Writes `export` in `format`.
pub fn render(export: &LineageExport, format: ExportFormat) -> Result<Vec<u8>> {
    let document = match format {
        ExportFormat::Spdx3 => spdx::document(export),
        ExportFormat::CycloneDx => cyclonedx::document(export),
        ExportFormat::Prov => prov::document(export),
    };
    to_bytes(&document)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Datasets for the format modules' tests.

    use super::*;
    use crate::domain::dataset::Visibility;
    use crate::domain::digest::ContentDigest;

    /// A dataset with the given sources.
    pub fn dataset(name: &str, sources: Vec<Source>) -> Dataset {
        Dataset {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            name: name.into(),
            version: "1".into(),
            content_digest: ContentDigest::of(name.as_bytes()),
            size_bytes: Some(42),
            description: Some(format!("{name} described")),
            license: Some("CC-BY-4.0".into()),
            visibility: Visibility::Public,
            sources,
            create_time: DateTime::from_timestamp(1_700_000_000, 123_000).unwrap_or_default(),
            creator_token_id: Uuid::now_v7(),
            creator_subject: "t".into(),
            contamination_reports: Vec::new(),
        }
    }

    /// A source of `kind` with a URI.
    pub fn source(kind: SourceKind, uri: &str) -> Source {
        Source {
            kind,
            uri: Some(uri.into()),
            license: Some("MIT".into()),
            collect_time: None,
            content_digest: None,
            description: None,
        }
    }

    /// A model-generated source.
    pub fn model_source(model_id: &str) -> Source {
        Source {
            kind: SourceKind::ModelGenerated {
                model: ModelRef {
                    model_id: model_id.into(),
                    version: Some("0528".into()),
                    provider: Some("deepseek".into()),
                },
            },
            uri: None,
            license: None,
            collect_time: None,
            content_digest: None,
            description: None,
        }
    }

    /// child (made by a model) <- parent (a web crawl) <- 2 hidden datasets, walked upstream.
    pub fn upstream_export() -> LineageExport {
        let parent = dataset(
            "parent",
            vec![source(SourceKind::WebCrawl, "https://example.org/crawl")],
        );
        let mut child = dataset("child", vec![model_source("deepseek-ai/DeepSeek-R1")]);
        child.sources.push(Source {
            kind: SourceKind::HiddenDataset,
            uri: None,
            license: None,
            collect_time: None,
            content_digest: None,
            description: None,
        });
        let nodes = vec![
            ExportNode {
                next_visible: vec![parent.id],
                next_hidden: 0,
                dataset: child.clone(),
            },
            ExportNode {
                next_visible: vec![],
                next_hidden: 2,
                dataset: parent,
            },
        ];
        LineageExport::new(child.id, Direction::Upstream, nodes, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn hidden_next_steps_become_one_counted_anonymous_node_per_dataset() {
        let export = upstream_export();
        assert_eq!(export.hidden, vec![HiddenGroup { count: 2 }]);
        let parent = export.datasets[1].id;
        assert!(export.derivations.contains(&Derivation {
            derived: NodeRef::Dataset(parent),
            from: NodeRef::Hidden(0),
        }));
        assert_eq!(export.hidden_count, 2);
    }

    #[test]
    fn downstream_walks_turn_edges_round() {
        let (a, b) = (dataset("a", vec![]), dataset("b", vec![]));
        let nodes = vec![
            ExportNode {
                next_visible: vec![b.id],
                next_hidden: 1,
                dataset: a.clone(),
            },
            ExportNode {
                next_visible: vec![],
                next_hidden: 0,
                dataset: b.clone(),
            },
        ];
        let export = LineageExport::new(a.id, Direction::Downstream, nodes, 1);
        assert_eq!(
            export.derivations,
            vec![
                Derivation {
                    derived: NodeRef::Dataset(b.id),
                    from: NodeRef::Dataset(a.id),
                },
                Derivation {
                    derived: NodeRef::Hidden(0),
                    from: NodeRef::Dataset(a.id),
                },
            ]
        );
    }

    #[test]
    fn walks_over_the_bound_are_refused_not_cut() {
        assert!(check_walk_size(MAX_EXPORT_DATASETS, 0).is_ok());
        let err = check_walk_size(MAX_EXPORT_DATASETS, 1).unwrap_err();
        assert!(matches!(err, Error::ResourceExhausted(_)), "{err}");
        let huge = serde_json::Value::String("x".repeat(MAX_EXPORT_BYTES));
        assert!(matches!(to_bytes(&huge), Err(Error::ResourceExhausted(_))));
    }

    #[test]
    fn blanked_and_lineage_sources_are_not_listed_and_models_are_counted_once() {
        let export = upstream_export();
        let child = &export.datasets[0];
        let listed: Vec<_> = listed_sources(child).map(|(i, _)| i).collect();
        assert_eq!(listed, vec![0]);
        assert_eq!(export.models().len(), 1);
    }
}
