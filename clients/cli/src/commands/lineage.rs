//! `provctl lineage show|stream|list`.

use provenance_api::v1 as pb;
use serde_json::{Value, json};

use super::paging::{fetch_pages, hint_more};
use super::policy::with_policy_hint;
use crate::cli::{
    ExportFormat, LineageCommand, LineageExportArgs, LineageFormat, LineageListArgs,
    LineageShowArgs, LineageWalkArgs,
};
use crate::client::Connection;
use crate::error::CliError;
use crate::graph::{self, Marks};
use crate::output::{Printer, dataset_row, message_json};
use crate::tree;

/// Runs one `lineage` subcommand.
pub async fn run(
    conn: &Connection,
    command: LineageCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    match command {
        LineageCommand::Show(args) => show(conn, args, out).await,
        LineageCommand::Stream(args) => stream(conn, &args, out).await,
        LineageCommand::List(args) => list(conn, args, out).await,
        LineageCommand::Export(args) => export(conn, args, out).await,
    }
}

/// Asks for the export and writes its bytes unchanged: the document is the registry's, checked
/// by the standard's own tools, so provctl neither parses nor reformats it.
async fn export(
    conn: &Connection,
    args: LineageExportArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let walk = walk_request(&args.walk);
    let format = match args.format {
        ExportFormat::Spdx3 => pb::LineageExportFormat::Spdx3,
        ExportFormat::Cyclonedx => pb::LineageExportFormat::Cyclonedx,
        ExportFormat::Prov => pb::LineageExportFormat::Prov,
    };
    let answer = conn
        .lineage()
        .export_lineage(pb::ExportLineageRequest {
            dataset_id: walk.dataset_id,
            direction: walk.direction,
            max_depth: walk.max_depth,
            format: format as i32,
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    match &args.out {
        Some(path) => {
            std::fs::write(path, &answer.content).map_err(|source| CliError::WriteFile {
                path: path.clone(),
                source,
            })?
        }
        None => out.bytes(&answer.content)?,
    }
    Ok(())
}

/// The request for a walk; the page fields are left for `list` to set.
fn walk_request(walk: &LineageWalkArgs) -> pb::GetLineageRequest {
    let direction = if walk.downstream {
        pb::LineageDirection::Downstream
    } else {
        pb::LineageDirection::Upstream
    };
    pb::GetLineageRequest {
        dataset_id: walk.id.to_string(),
        direction: direction as i32,
        max_depth: walk.max_depth.unwrap_or(0),
        ..Default::default()
    }
}

/// The direction of a walk, in the mapping (`LINEAGE_DIRECTION_UPSTREAM`): for the JSON of `show`
/// and `list`, which name the walk they answer.
fn direction_json(walk: &LineageWalkArgs) -> Result<Value, CliError> {
    message_json(&walk_request(walk).direction())
}

fn direction_name(walk: &LineageWalkArgs) -> &'static str {
    if walk.downstream {
        "downstream"
    } else {
        "upstream"
    }
}

/// A node on one line: depth, dataset, and how many neighbours lie one step further.
fn node_row(node: &pb::LineageNode) -> String {
    let dataset = node
        .dataset
        .as_ref()
        .map_or_else(|| "(no dataset)".to_owned(), dataset_row);
    let hidden = if node.hidden_next_count > 0 {
        format!(", {} hidden", node.hidden_next_count)
    } else {
        String::new()
    };
    format!(
        "{:>5}  {dataset}  next: {}{hidden}",
        node.depth,
        node.next_ids.len()
    )
}

async fn stream(
    conn: &Connection,
    walk: &LineageWalkArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut stream = conn
        .lineage()
        .stream_lineage(walk_request(walk))
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    while let Some(node) = stream.message().await.map_err(|s| conn.fail(s))? {
        // Each node as it arrives: the point of the stream is not to hold the graph.
        if out.is_json() {
            out.json_line(&message_json(&node)?)?;
        } else {
            out.line(node_row(&node))?;
        }
    }
    Ok(())
}

async fn list(conn: &Connection, args: LineageListArgs, out: &mut Printer) -> Result<(), CliError> {
    let mut client = conn.lineage();
    let mut request = walk_request(&args.walk);
    request.page_size = args.page.page_size.unwrap_or(0);
    // Counts of the whole walk, the same on every page: kept from the last.
    let (mut total_count, mut hidden_count) = (0, 0);
    let listed = fetch_pages(&args.page, out, node_row, async |page_token| {
        let page = client
            .get_lineage(pb::GetLineageRequest {
                page_token,
                ..request.clone()
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner();
        (total_count, hidden_count) = (page.total_count, page.hidden_count);
        Ok((page.nodes, page.next_page_token))
    })
    .await?;
    let (nodes, next_page_token) = (listed.items, listed.next_page_token);
    if out.is_json() {
        // The pages as one answer (with --all, every page's nodes and no next page), and the walk
        // it answers (provctl's own).
        let mut value = message_json(&pb::GetLineageResponse {
            nodes,
            next_page_token,
            total_count,
            hidden_count,
        })?;
        value["datasetId"] = json!(request.dataset_id);
        value["direction"] = direction_json(&args.walk)?;
        out.json(&value)?;
    } else {
        out.line(format!(
            "{total_count} visible and {hidden_count} hidden dataset(s) in the whole {} walk",
            direction_name(&args.walk)
        ))?;
        hint_more("nodes", &next_page_token);
    }
    Ok(())
}

async fn show(conn: &Connection, args: LineageShowArgs, out: &mut Printer) -> Result<(), CliError> {
    let root = args.walk.id.to_string();
    // The stream rather than pages: the tree needs every node before it can print the first line.
    let mut stream = conn
        .lineage()
        .stream_lineage(walk_request(&args.walk))
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let mut nodes = Vec::new();
    while let Some(node) = stream.message().await.map_err(|s| conn.fail(s))? {
        nodes.push(node);
    }

    let direction_name = direction_name(&args.walk);
    let format = args.format.unwrap_or(if out.is_json() {
        LineageFormat::Json
    } else {
        LineageFormat::Tree
    });
    match format {
        LineageFormat::Json => out.json(&json!({
            "datasetId": root,
            "direction": direction_json(&args.walk)?,
            "nodes": nodes.iter().map(message_json).collect::<Result<Vec<_>, _>>()?,
        }))?,
        LineageFormat::Tree => {
            for line in tree::render(&root, &nodes) {
                out.line(line)?;
            }
            out.line(format!(
                "{} dataset(s) in the {direction_name} lineage, the starting one included",
                nodes.len()
            ))?;
        }
        LineageFormat::Dot | LineageFormat::Mermaid => {
            // The graph marks what the policy finds: one evaluation of the starting dataset
            // judges its whole upstream lineage.
            let evaluation = conn
                .policies()
                .evaluate_dataset(pb::EvaluateDatasetRequest {
                    dataset_id: root.clone(),
                    policy_id: args.policy,
                    policy_version: args.policy_version.unwrap_or_default(),
                    target_model: String::new(),
                    declared_purpose: pb::Purpose::Unspecified as i32,
                    ..Default::default()
                })
                .await
                .map_err(|s| conn.fail(with_policy_hint(s)))?
                .into_inner();
            let downstream = args.walk.downstream;
            let marks = Marks::from_evaluation(&evaluation, &nodes, downstream);
            let (text, name) = if format == LineageFormat::Dot {
                (graph::render_dot(&root, &nodes, &marks, downstream), "dot")
            } else {
                (
                    graph::render_mermaid(&root, &nodes, &marks, downstream),
                    "mermaid",
                )
            };
            if out.is_json() {
                out.json(&json!({"datasetId": root, "format": name, "graph": text}))?;
            } else {
                // Written whole: the text is a document, not lines to read one by one.
                out.line(text.trim_end())?;
            }
        }
    }
    Ok(())
}
