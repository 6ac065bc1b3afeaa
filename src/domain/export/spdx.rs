//! A lineage as an SPDX 3.0.1 JSON-LD document (Core, Software, Dataset, AI and SimpleLicensing
//! profiles).
//!
//! Each visible dataset is a `dataset_DatasetPackage` (name, version, SHA-256 in `verifiedUsing`,
//! size, description); what it was made from is a `descendantOf` relationship from it to each
//! parent in the walk, to each source it declares (itself a `dataset_DatasetPackage` with its URI
//! as download location) and to the anonymous node standing for hidden parents. A generating model
//! is an `ai_AIPackage` with a `generates` relationship to each dataset that names it. Licences
//! are `simplelicensing_LicenseExpression` elements carrying the stored value, linked by
//! `hasDeclaredLicense`; nothing is concluded by the registry, so every package's
//! `hasConcludedLicense` (and a missing declared one) is `NoAssertionLicense`, as the Dataset and
//! AI profiles require one of each. A licence stored as free text before licences were parsed is
//! declared `NoAssertionLicense` too, and quoted in the package's `comment`. Element ids are IRIs
//! under `urn:provenance-registry:`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    LineageExport, NodeRef, hidden_label, is_absolute_uri, listed_sources, model_key, sha256_hex,
    utc_seconds,
};
use crate::domain::dataset::{Dataset, Source, SourceKind};
use crate::domain::license::is_unparsed;

/// The JSON-LD context of SPDX 3.0.1.
pub const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";

const CREATION_INFO: &str = "_:creationinfo";
const AGENT: &str = "urn:provenance-registry:agent";
const NO_ASSERTION: &str = "expandedlicensing_NoAssertionLicense";

/// The IRI of a registered dataset's package.
pub fn dataset_iri(id: uuid::Uuid) -> String {
    format!("urn:provenance-registry:dataset:{id}")
}

/// Builds the document's graph, element by element.
struct Graph {
    prefix: String,
    elements: Vec<Value>,
    ids: Vec<String>,
    licenses: BTreeMap<String, String>,
    relationships: usize,
}

impl Graph {
    fn add(&mut self, mut element: Value, id: String) {
        element["spdxId"] = json!(id);
        element["creationInfo"] = json!(CREATION_INFO);
        self.ids.push(id);
        self.elements.push(element);
    }

    fn relate(&mut self, from: &str, kind: &str, to: Vec<String>) {
        let id = format!("{}:relationship:{}", self.prefix, self.relationships);
        self.relationships += 1;
        self.add(
            json!({"type": "Relationship", "from": from, "to": to, "relationshipType": kind}),
            id,
        );
    }

    /// The element of a licence expression, made once per distinct expression.
    fn license(&mut self, expression: &str) -> String {
        if let Some(id) = self.licenses.get(expression) {
            return id.clone();
        }
        let id = format!("{}:license:{}", self.prefix, self.licenses.len());
        self.licenses.insert(expression.to_owned(), id.clone());
        self.add(
            json!({
                "type": "simplelicensing_LicenseExpression",
                "simplelicensing_licenseExpression": expression,
            }),
            id.clone(),
        );
        id
    }

    /// The two licence relationships every package carries. A licence stored before licences
    /// were parsed, and not an SPDX expression, is no declaration SPDX can carry: it is
    /// `NoAssertionLicense`, and the package's comment quotes it (see [`unparsed_license_note`]).
    fn licenses_of(&mut self, package: &str, declared: Option<&str>) {
        let declared = match declared {
            Some(expression) if !is_unparsed(expression) => self.license(expression),
            _ => NO_ASSERTION.to_owned(),
        };
        self.relate(package, "hasDeclaredLicense", vec![declared]);
        self.relate(
            package,
            "hasConcludedLicense",
            vec![NO_ASSERTION.to_owned()],
        );
    }
}

fn node_iri(prefix: &str, node: NodeRef) -> String {
    match node {
        NodeRef::Dataset(id) => dataset_iri(id),
        NodeRef::Hidden(i) => format!("{prefix}:hidden:{i}"),
    }
}

fn package(dataset: &Dataset) -> Value {
    let mut package = json!({
        "type": "dataset_DatasetPackage",
        "name": dataset.name,
        "software_packageVersion": dataset.version,
        "software_primaryPurpose": "data",
        "dataset_datasetType": ["noAssertion"],
        "releaseTime": utc_seconds(dataset.create_time),
        "verifiedUsing": [{
            "type": "Hash",
            "algorithm": "sha256",
            "hashValue": sha256_hex(dataset.content_digest.as_str()),
        }],
        "externalIdentifier": [{
            "type": "ExternalIdentifier",
            "externalIdentifierType": "other",
            "identifier": dataset.id.to_string(),
            "issuingAuthority": "provenance-registry",
        }],
    });
    if let Some(size) = dataset.size_bytes {
        package["dataset_datasetSize"] = json!(size);
    }
    if let Some(description) = &dataset.description {
        package["description"] = json!(description);
    }
    if let Some(note) = unparsed_license_note(dataset.license.as_deref()) {
        package["comment"] = json!(note);
    }
    package
}

/// The words that quote a licence stored as free text, which the package declares as
/// `NoAssertionLicense`; `None` for an SPDX expression or no licence.
fn unparsed_license_note(license: Option<&str>) -> Option<String> {
    license
        .filter(|l| is_unparsed(l))
        .map(|l| format!("licence as registered, not an SPDX licence expression: {l:?}"))
}

fn source_package(source: &Source) -> Value {
    let name = source
        .uri
        .clone()
        .unwrap_or_else(|| format!("{} source", source.kind.name()));
    let mut package = json!({
        "type": "dataset_DatasetPackage",
        "name": name,
        "software_primaryPurpose": "data",
        "dataset_datasetType": ["noAssertion"],
        "comment": match unparsed_license_note(source.license.as_deref()) {
            Some(note) => format!("source of kind {}; {note}", source.kind.name()),
            None => format!("source of kind {}", source.kind.name()),
        },
    });
    if let Some(uri) = source.uri.as_deref().filter(|u| is_absolute_uri(u)) {
        package["software_downloadLocation"] = json!(uri);
    }
    if let Some(digest) = &source.content_digest {
        package["verifiedUsing"] = json!([{
            "type": "Hash",
            "algorithm": "sha256",
            "hashValue": sha256_hex(digest.as_str()),
        }]);
    }
    if let Some(time) = source.collect_time {
        package["dataset_dataCollectionProcess"] =
            json!(format!("collected {}", utc_seconds(time)));
    }
    if let Some(description) = &source.description {
        package["description"] = json!(description);
    }
    package
}

/// The SPDX 3.0.1 JSON-LD document of `export`.
pub fn document(export: &LineageExport) -> Value {
    let prefix = format!(
        "urn:provenance-registry:lineage:{}:{}",
        export.root,
        export.direction.as_str()
    );
    let mut graph = Graph {
        prefix: prefix.clone(),
        elements: Vec::new(),
        ids: Vec::new(),
        licenses: BTreeMap::new(),
        relationships: 0,
    };
    graph.add(
        json!({"type": "SoftwareAgent", "name": "provenance-registry"}),
        AGENT.to_owned(),
    );

    for dataset in &export.datasets {
        let iri = dataset_iri(dataset.id);
        graph.add(package(dataset), iri.clone());
        graph.licenses_of(&iri, dataset.license.as_deref());
    }
    for (i, group) in export.hidden.iter().enumerate() {
        let iri = node_iri(&prefix, NodeRef::Hidden(i));
        graph.add(
            json!({
                "type": "dataset_DatasetPackage",
                "name": hidden_label(group),
                "software_primaryPurpose": "data",
                "dataset_datasetType": ["noAssertion"],
                "comment": format!(
                    "Stands for {} dataset(s) of the lineage that the reader may not see.",
                    group.count
                ),
            }),
            iri.clone(),
        );
        graph.licenses_of(&iri, None);
    }

    let models = export.models();
    let model_iri = |i: usize| format!("{prefix}:model:{i}");
    for ((model_id, version, provider), i) in &models {
        let mut model = json!({
            "type": "ai_AIPackage",
            "name": model_id,
            "software_primaryPurpose": "model",
        });
        if let Some(version) = version {
            model["software_packageVersion"] = json!(version);
        }
        if let Some(provider) = provider {
            model["comment"] = json!(format!("provided by {provider}"));
        }
        graph.add(model, model_iri(*i));
        graph.licenses_of(&model_iri(*i), None);
    }

    for dataset in &export.datasets {
        let iri = dataset_iri(dataset.id);
        let mut made_from: Vec<String> = export
            .made_from(NodeRef::Dataset(dataset.id))
            .map(|node| node_iri(&prefix, node))
            .collect();
        for (index, source) in listed_sources(dataset) {
            match &source.kind {
                SourceKind::ModelGenerated { model } => {
                    let i = models[&model_key(model)];
                    graph.relate(&model_iri(i), "generates", vec![iri.clone()]);
                }
                _ => {
                    let source_iri = format!("{iri}:source:{index}");
                    graph.add(source_package(source), source_iri.clone());
                    graph.licenses_of(&source_iri, source.license.as_deref());
                    made_from.push(source_iri);
                }
            }
        }
        if !made_from.is_empty() {
            graph.relate(&iri, "descendantOf", made_from);
        }
    }
    for (i, _) in export.hidden.iter().enumerate() {
        let from: Vec<String> = export
            .made_from(NodeRef::Hidden(i))
            .map(|node| node_iri(&prefix, node))
            .collect();
        if !from.is_empty() {
            graph.relate(&node_iri(&prefix, NodeRef::Hidden(i)), "descendantOf", from);
        }
    }

    let root = dataset_iri(export.root);
    let name = export.root_dataset().map_or_else(
        || export.root.to_string(),
        |d| format!("{}@{}", d.name, d.version),
    );
    let cc0 = graph.license("CC0-1.0");
    let document = json!({
        "type": "SpdxDocument",
        "spdxId": prefix,
        "creationInfo": CREATION_INFO,
        "name": format!("{} lineage of {name}", export.direction.as_str()),
        "comment": format!(
            "Lineage walked {} from {name}; {} dataset(s) of it are not visible to the reader and \
             appear only as anonymous, counted packages.",
            export.direction.as_str(),
            export.hidden_count
        ),
        "dataLicense": cc0,
        "profileConformance": ["core", "software", "dataset", "ai", "simpleLicensing"],
        "rootElement": [root],
        "element": graph.ids,
    });
    let mut all = vec![json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": utc_seconds(export.as_of()),
        "createdBy": [AGENT],
    })];
    all.push(document);
    all.extend(graph.elements);
    json!({"@context": CONTEXT, "@graph": all})
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::upstream_export;
    use super::*;

    fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
        doc["@graph"]
            .as_array()
            .map(|all| all.iter().filter(|e| e["type"] == kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn datasets_are_dataset_packages_with_digest_and_licence() {
        let export = upstream_export();
        let doc = document(&export);
        assert_eq!(doc["@context"], CONTEXT);
        let child = &export.datasets[0];
        let packages = of_type(&doc, "dataset_DatasetPackage");
        let package = packages
            .iter()
            .find(|p| p["spdxId"] == dataset_iri(child.id))
            .expect("the child's package");
        assert_eq!(
            package["verifiedUsing"][0]["hashValue"],
            sha256_hex(child.content_digest.as_str())
        );
        let licenses = of_type(&doc, "simplelicensing_LicenseExpression");
        assert!(
            licenses
                .iter()
                .any(|l| l["simplelicensing_licenseExpression"] == "CC-BY-4.0")
        );
    }

    #[test]
    fn models_generate_and_parents_are_ancestors_and_hidden_nodes_say_only_a_count() {
        let export = upstream_export();
        let doc = document(&export);
        let models = of_type(&doc, "ai_AIPackage");
        assert_eq!(models.len(), 1);
        let relationships = of_type(&doc, "Relationship");
        assert!(
            relationships
                .iter()
                .any(|r| r["relationshipType"] == "generates"
                    && r["from"] == models[0]["spdxId"]
                    && r["to"][0] == dataset_iri(export.datasets[0].id))
        );
        assert!(relationships.iter().any(|r| {
            r["relationshipType"] == "descendantOf"
                && r["from"] == dataset_iri(export.datasets[0].id)
                && r["to"]
                    .as_array()
                    .is_some_and(|to| to.contains(&json!(dataset_iri(export.datasets[1].id))))
        }));
        let hidden: Vec<_> = of_type(&doc, "dataset_DatasetPackage")
            .into_iter()
            .filter(|p| p["name"] == "2 datasets not visible to you")
            .collect();
        assert_eq!(hidden.len(), 1);
        assert!(hidden[0].get("verifiedUsing").is_none());
    }

    #[test]
    fn a_licence_stored_as_free_text_is_no_assertion_and_quoted_in_the_comment() {
        let mut export = upstream_export();
        export.datasets[0].license = Some("Creative Commons, see website".into());
        let doc = document(&export);
        let iri = dataset_iri(export.datasets[0].id);
        let package = of_type(&doc, "dataset_DatasetPackage")
            .into_iter()
            .find(|p| p["spdxId"] == iri)
            .expect("the package");
        assert!(
            package["comment"]
                .as_str()
                .is_some_and(|c| c.contains("\"Creative Commons, see website\""))
        );
        let declared = of_type(&doc, "Relationship")
            .into_iter()
            .find(|r| r["from"] == iri && r["relationshipType"] == "hasDeclaredLicense")
            .expect("a declared licence");
        assert_eq!(declared["to"], json!([NO_ASSERTION]));
        assert!(
            of_type(&doc, "simplelicensing_LicenseExpression")
                .iter()
                .all(|l| l["simplelicensing_licenseExpression"] != "Creative Commons, see website")
        );
    }

    #[test]
    fn the_same_export_gives_the_same_document() {
        let export = upstream_export();
        assert_eq!(document(&export), document(&export));
    }
}
