//! A lineage as a CycloneDX 1.6 JSON BOM.
//!
//! Each visible dataset is a component of type `data` (name, version, SHA-256 hash, licence as an
//! SPDX expression or, stored as free text before licences were parsed, by name, description, size
//! as a property) whose `pedigree.ancestors` lists what it was
//! made from in the walk: parent datasets, declared sources, generating models and the anonymous
//! node standing for hidden parents. The starting dataset is `metadata.component`; the other
//! datasets, the anonymous nodes and the models (type `machine-learning-model`) are `components`,
//! and `dependencies` links each dataset to what it was made from by `bom-ref`.

use serde_json::{Value, json};

use super::{
    LineageExport, NodeRef, hidden_label, is_absolute_uri, listed_sources, model_key, sha256_hex,
    utc_seconds,
};
use crate::domain::dataset::{Dataset, Source, SourceKind};
use crate::domain::license::is_unparsed;

/// The JSON Schema of CycloneDX 1.6.
pub const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Property names are namespaced, as CycloneDX asks of custom properties.
const PROPERTY: &str = "provenance-registry";

fn property(name: &str, value: impl ToString) -> Value {
    json!({"name": format!("{PROPERTY}:{name}"), "value": value.to_string()})
}

fn node_ref(node: NodeRef) -> String {
    match node {
        NodeRef::Dataset(id) => format!("dataset:{id}"),
        NodeRef::Hidden(i) => format!("hidden:{i}"),
    }
}

fn model_ref(i: usize) -> String {
    format!("model:{i}")
}

fn hashes(digest: &str) -> Value {
    json!([{"alg": "SHA-256", "content": sha256_hex(digest)}])
}

/// A component's `licenses`: the SPDX expression, or, for a licence stored as free text before
/// licences were parsed, a licence known only by its name (CycloneDX's `license.name`).
fn licenses(stored: Option<&str>) -> Option<Value> {
    stored.map(|l| {
        if is_unparsed(l) {
            json!([{"license": {"name": l}}])
        } else {
            json!([{"expression": l}])
        }
    })
}

/// A dataset's identity, as an ancestor names it (without `bom-ref`, which must be unique).
fn dataset_stub(dataset: &Dataset) -> Value {
    let mut stub = json!({
        "type": "data",
        "name": dataset.name,
        "version": dataset.version,
        "hashes": hashes(dataset.content_digest.as_str()),
        "properties": [property("dataset-id", dataset.id)],
    });
    if let Some(l) = licenses(dataset.license.as_deref()) {
        stub["licenses"] = l;
    }
    stub
}

fn source_stub(source: &Source) -> Value {
    let mut stub = match &source.kind {
        SourceKind::ModelGenerated { model } => {
            let mut stub = json!({"type": "machine-learning-model", "name": model.model_id});
            if let Some(version) = &model.version {
                stub["version"] = json!(version);
            }
            if let Some(provider) = &model.provider {
                stub["supplier"] = json!({"name": provider});
            }
            stub
        }
        _ => json!({
            "type": "data",
            "name": source.uri.clone().unwrap_or_else(|| format!("{} source", source.kind.name())),
        }),
    };
    let mut properties = vec![property("source-kind", source.kind.name())];
    if let Some(time) = source.collect_time {
        properties.push(property("collect-time", utc_seconds(time)));
    }
    stub["properties"] = json!(properties);
    if let Some(digest) = &source.content_digest {
        stub["hashes"] = hashes(digest.as_str());
    }
    if let Some(l) = licenses(source.license.as_deref()) {
        stub["licenses"] = l;
    }
    if let Some(description) = &source.description {
        stub["description"] = json!(description);
    }
    if let Some(uri) = source.uri.as_deref().filter(|u| is_absolute_uri(u)) {
        stub["externalReferences"] = json!([{"type": "distribution", "url": uri}]);
    }
    stub
}

fn component(export: &LineageExport, dataset: &Dataset) -> Value {
    let mut ancestors: Vec<Value> = export
        .made_from(NodeRef::Dataset(dataset.id))
        .map(|node| match node {
            NodeRef::Dataset(id) => export.datasets.iter().find(|d| d.id == id).map_or_else(
                || json!({"type": "data", "name": id.to_string()}),
                dataset_stub,
            ),
            NodeRef::Hidden(i) => json!({
                "type": "data",
                "name": hidden_label(&export.hidden[i]),
                "properties": [property("hidden-count", export.hidden[i].count)],
            }),
        })
        .collect();
    ancestors.extend(listed_sources(dataset).map(|(_, source)| source_stub(source)));
    let mut properties = vec![
        property("dataset-id", dataset.id),
        property("organization-id", dataset.organization_id),
        property("registered", utc_seconds(dataset.create_time)),
    ];
    if let Some(size) = dataset.size_bytes {
        properties.push(property("size-bytes", size));
    }
    let mut component = json!({
        "type": "data",
        "bom-ref": node_ref(NodeRef::Dataset(dataset.id)),
        "name": dataset.name,
        "version": dataset.version,
        "hashes": hashes(dataset.content_digest.as_str()),
        "data": [{"type": "dataset", "name": dataset.name}],
        "properties": properties,
    });
    if let Some(l) = licenses(dataset.license.as_deref()) {
        component["licenses"] = l;
    }
    if let Some(description) = &dataset.description {
        component["description"] = json!(description);
        component["data"][0]["description"] = json!(description);
    }
    if !ancestors.is_empty() {
        component["pedigree"] = json!({"ancestors": ancestors});
    }
    component
}

/// The CycloneDX 1.6 BOM of `export`.
pub fn document(export: &LineageExport) -> Value {
    let models = export.models();
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    let mut root = None;
    for dataset in &export.datasets {
        let here = NodeRef::Dataset(dataset.id);
        let entry = component(export, dataset);
        if dataset.id == export.root {
            root = Some(entry);
        } else {
            components.push(entry);
        }
        let mut depends_on: Vec<String> = export.made_from(here).map(node_ref).collect();
        for (_, source) in listed_sources(dataset) {
            if let SourceKind::ModelGenerated { model } = &source.kind {
                depends_on.push(model_ref(models[&model_key(model)]));
            }
        }
        depends_on.sort();
        depends_on.dedup();
        dependencies.push(json!({"ref": node_ref(here), "dependsOn": depends_on}));
    }
    for (i, group) in export.hidden.iter().enumerate() {
        let here = NodeRef::Hidden(i);
        components.push(json!({
            "type": "data",
            "bom-ref": node_ref(here),
            "name": hidden_label(group),
            "description": "Datasets of the lineage that the reader may not see.",
            "properties": [property("hidden-count", group.count)],
        }));
        let depends_on: Vec<String> = export.made_from(here).map(node_ref).collect();
        dependencies.push(json!({"ref": node_ref(here), "dependsOn": depends_on}));
    }
    for ((model_id, version, provider), i) in &models {
        let mut model = json!({
            "type": "machine-learning-model",
            "bom-ref": model_ref(*i),
            "name": model_id,
        });
        if let Some(version) = version {
            model["version"] = json!(version);
        }
        if let Some(provider) = provider {
            model["supplier"] = json!({"name": provider});
        }
        components.push(model);
        dependencies.push(json!({"ref": model_ref(*i), "dependsOn": []}));
    }
    let mut metadata = json!({
        "timestamp": utc_seconds(export.as_of()),
        "tools": {"components": [{
            "type": "application",
            "name": "provenance-registry",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
        "properties": [
            property("lineage-direction", export.direction.as_str()),
            property("hidden-count", export.hidden_count),
        ],
    });
    if let Some(root) = root {
        metadata["component"] = root;
    }
    json!({
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::upstream_export;
    use super::*;

    #[test]
    fn the_root_is_the_subject_and_parents_and_models_are_its_pedigree() {
        let export = upstream_export();
        let bom = document(&export);
        assert_eq!(bom["specVersion"], "1.6");
        let root = &bom["metadata"]["component"];
        assert_eq!(root["type"], "data");
        assert_eq!(
            root["hashes"][0]["content"],
            sha256_hex(export.datasets[0].content_digest.as_str())
        );
        let ancestors = root["pedigree"]["ancestors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(ancestors.iter().any(|a| a["name"] == "parent"));
        assert!(
            ancestors
                .iter()
                .any(|a| a["type"] == "machine-learning-model")
        );
        let components = bom["components"].as_array().cloned().unwrap_or_default();
        assert!(components.iter().any(
            |c| c["type"] == "machine-learning-model" && c["name"] == "deepseek-ai/DeepSeek-R1"
        ));
        assert!(
            components
                .iter()
                .any(|c| c["name"] == "2 datasets not visible to you" && c.get("hashes").is_none())
        );
    }

    #[test]
    fn a_licence_stored_as_free_text_is_a_licence_by_name() {
        let mut export = upstream_export();
        export.datasets[0].license = Some("mit".into());
        let bom = document(&export);
        let root = &bom["metadata"]["component"];
        assert_eq!(root["licenses"], json!([{"license": {"name": "mit"}}]));
        let parent = bom["components"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "parent"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(parent["licenses"], json!([{"expression": "CC-BY-4.0"}]));
    }

    #[test]
    fn every_dependency_names_a_component() {
        let bom = document(&upstream_export());
        let mut refs: Vec<Value> = bom["components"]
            .as_array()
            .map(|c| c.iter().map(|c| c["bom-ref"].clone()).collect())
            .unwrap_or_default();
        refs.push(bom["metadata"]["component"]["bom-ref"].clone());
        for dependency in bom["dependencies"].as_array().into_iter().flatten() {
            assert!(refs.contains(&dependency["ref"]));
            for target in dependency["dependsOn"].as_array().into_iter().flatten() {
                assert!(refs.contains(target), "{target}");
            }
        }
    }
}
