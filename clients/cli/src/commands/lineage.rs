//! `provctl lineage show`.

use provenance_registry::proto::v1 as pb;
use serde_json::json;

use super::policy::with_policy_hint;
use crate::cli::{LineageCommand, LineageFormat, LineageShowArgs};
use crate::client::Connection;
use crate::error::CliError;
use crate::graph::{self, Marks};
use crate::output::{Printer, lineage_node_json};
use crate::tree;

/// Runs one `lineage` subcommand.
pub async fn run(
    conn: &Connection,
    command: LineageCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    match command {
        LineageCommand::Show(args) => show(conn, args, out).await,
    }
}

async fn show(conn: &Connection, args: LineageShowArgs, out: &mut Printer) -> Result<(), CliError> {
    let direction = if args.downstream {
        pb::LineageDirection::Downstream
    } else {
        pb::LineageDirection::Upstream
    };
    let root = args.id.to_string();
    // The stream rather than pages: the tree needs every node before it can print the first line.
    let mut stream = conn
        .lineage()
        .stream_lineage(pb::GetLineageRequest {
            dataset_id: root.clone(),
            direction: direction as i32,
            max_depth: args.max_depth.unwrap_or(0),
            ..Default::default()
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let mut nodes = Vec::new();
    while let Some(node) = stream.message().await.map_err(|s| conn.fail(s))? {
        nodes.push(node);
    }

    let direction_name = if args.downstream {
        "downstream"
    } else {
        "upstream"
    };
    let format = args.format.unwrap_or(if out.is_json() {
        LineageFormat::Json
    } else {
        LineageFormat::Tree
    });
    match format {
        LineageFormat::Json => out.json(&json!({
            "dataset_id": root,
            "direction": direction_name,
            "nodes": nodes.iter().map(lineage_node_json).collect::<Vec<_>>(),
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
                })
                .await
                .map_err(|s| conn.fail(with_policy_hint(s)))?
                .into_inner();
            let marks = Marks::from_evaluation(&evaluation, &nodes, args.downstream);
            let text = if format == LineageFormat::Dot {
                graph::render_dot(&root, &nodes, &marks, args.downstream)
            } else {
                graph::render_mermaid(&root, &nodes, &marks, args.downstream)
            };
            // Written whole: the text is a document, not lines to read one by one.
            out.line(text.trim_end())?;
        }
    }
    Ok(())
}
