//! A lineage as a W3C PROV-JSON document (the PROV-JSON member submission).
//!
//! Each visible dataset is an entity (`prov:type` `dcat:Dataset`, label, version, digest, licence,
//! size); `wasDerivedFrom` links it to each parent in the walk, to each declared source (an entity
//! of its own) and to the anonymous entity standing for hidden parents. A model-generated source
//! is an entity generated (`wasGeneratedBy`) by a generation activity associated
//! (`wasAssociatedWith`) with the model, a `prov:SoftwareAgent`. Identifiers are qualified names
//! under the `reg` prefix (`urn:provenance-registry:`).

use serde_json::{Map, Value, json};

use super::{LineageExport, NodeRef, hidden_label, listed_sources, model_key, utc_seconds};
use crate::domain::dataset::{Source, SourceKind};

/// The namespace of the document's own identifiers and attributes.
pub const NAMESPACE: &str = "urn:provenance-registry:";

fn node_id(node: NodeRef) -> String {
    match node {
        NodeRef::Dataset(id) => format!("reg:dataset-{id}"),
        NodeRef::Hidden(i) => format!("reg:hidden-{i}"),
    }
}

fn qualified(name: &str) -> Value {
    json!({"$": name, "type": "prov:QUALIFIED_NAME"})
}

/// Adds a relation record under a blank identifier numbered in order.
fn relate(document: &mut Map<String, Value>, kind: &str, record: Value) {
    let bucket = document
        .entry(kind)
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(records) = bucket {
        let id = format!("_:{kind}{}", records.len());
        records.insert(id, record);
    }
}

fn source_entity(source: &Source) -> Value {
    let mut entity = json!({
        "prov:type": qualified("reg:Source"),
        "reg:sourceKind": source.kind.name(),
    });
    if let Some(uri) = &source.uri {
        entity["prov:label"] = json!(uri);
        entity["prov:location"] = json!(uri);
    }
    if let Some(license) = &source.license {
        entity["reg:license"] = json!(license);
    }
    if let Some(digest) = &source.content_digest {
        entity["reg:contentDigest"] = json!(digest.as_str());
    }
    if let Some(description) = &source.description {
        entity["reg:description"] = json!(description);
    }
    entity
}

/// The PROV-JSON document of `export`.
pub fn document(export: &LineageExport) -> Value {
    let mut entities = Map::new();
    let mut agents = Map::new();
    let mut activities = Map::new();
    let mut document = Map::new();

    let models = export.models();
    for ((model_id, version, provider), i) in &models {
        let mut agent = json!({
            "prov:type": qualified("prov:SoftwareAgent"),
            "prov:label": model_id,
            "reg:modelId": model_id,
        });
        if let Some(version) = version {
            agent["reg:modelVersion"] = json!(version);
        }
        if let Some(provider) = provider {
            agent["reg:provider"] = json!(provider);
        }
        agents.insert(format!("reg:model-{i}"), agent);
    }

    for dataset in &export.datasets {
        let here = NodeRef::Dataset(dataset.id);
        let mut entity = json!({
            "prov:type": qualified("dcat:Dataset"),
            "prov:label": dataset.name,
            "reg:datasetId": dataset.id.to_string(),
            "reg:version": dataset.version,
            "reg:contentDigest": dataset.content_digest.as_str(),
            "reg:registered": {"$": utc_seconds(dataset.create_time), "type": "xsd:dateTime"},
        });
        if let Some(license) = &dataset.license {
            entity["reg:license"] = json!(license);
        }
        if let Some(size) = dataset.size_bytes {
            entity["reg:sizeBytes"] = json!(size);
        }
        if let Some(description) = &dataset.description {
            entity["reg:description"] = json!(description);
        }
        entities.insert(node_id(here), entity);
        for from in export.made_from(here) {
            relate(
                &mut document,
                "wasDerivedFrom",
                json!({"prov:generatedEntity": node_id(here), "prov:usedEntity": node_id(from)}),
            );
        }
        for (index, source) in listed_sources(dataset) {
            let source_id = format!("{}-source-{index}", node_id(here));
            entities.insert(source_id.clone(), source_entity(source));
            relate(
                &mut document,
                "wasDerivedFrom",
                json!({"prov:generatedEntity": node_id(here), "prov:usedEntity": source_id}),
            );
            if let SourceKind::ModelGenerated { model } = &source.kind {
                let activity = format!("{source_id}-generation");
                let mut record = json!({"prov:type": qualified("reg:ModelGeneration")});
                if let Some(time) = source.collect_time {
                    record["prov:endTime"] = json!(utc_seconds(time));
                }
                activities.insert(activity.clone(), record);
                let agent = format!("reg:model-{}", models[&model_key(model)]);
                relate(
                    &mut document,
                    "wasGeneratedBy",
                    json!({"prov:entity": source_id, "prov:activity": activity}),
                );
                relate(
                    &mut document,
                    "wasAssociatedWith",
                    json!({"prov:activity": activity, "prov:agent": agent}),
                );
            }
        }
    }
    for (i, group) in export.hidden.iter().enumerate() {
        let here = NodeRef::Hidden(i);
        entities.insert(
            node_id(here),
            json!({
                "prov:type": qualified("dcat:Dataset"),
                "prov:label": hidden_label(group),
                "reg:hiddenCount": group.count,
            }),
        );
        for from in export.made_from(here) {
            relate(
                &mut document,
                "wasDerivedFrom",
                json!({"prov:generatedEntity": node_id(here), "prov:usedEntity": node_id(from)}),
            );
        }
    }

    document.insert(
        "prefix".into(),
        json!({
            "reg": NAMESPACE,
            "dcat": "http://www.w3.org/ns/dcat#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        }),
    );
    document.insert("entity".into(), Value::Object(entities));
    if !agents.is_empty() {
        document.insert("agent".into(), Value::Object(agents));
    }
    if !activities.is_empty() {
        document.insert("activity".into(), Value::Object(activities));
    }
    Value::Object(document)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::upstream_export;
    use super::*;

    #[test]
    fn datasets_are_entities_derived_from_parents_and_model_outputs() {
        let export = upstream_export();
        let doc = document(&export);
        let child = node_id(NodeRef::Dataset(export.datasets[0].id));
        let parent = node_id(NodeRef::Dataset(export.datasets[1].id));
        assert_eq!(
            doc["entity"][&child]["reg:contentDigest"],
            export.datasets[0].content_digest.as_str()
        );
        let derivations: Vec<&Value> = doc["wasDerivedFrom"]
            .as_object()
            .map(|d| d.values().collect())
            .unwrap_or_default();
        assert!(
            derivations
                .iter()
                .any(|d| d["prov:generatedEntity"] == child.as_str()
                    && d["prov:usedEntity"] == parent.as_str())
        );
        let agent = &doc["agent"]["reg:model-0"];
        assert_eq!(agent["prov:label"], "deepseek-ai/DeepSeek-R1");
        let association = doc["wasAssociatedWith"]
            .as_object()
            .and_then(|a| a.values().next().cloned())
            .unwrap_or_default();
        assert_eq!(association["prov:agent"], "reg:model-0");
        assert_eq!(doc["entity"]["reg:hidden-0"]["reg:hiddenCount"], 2);
    }
}
