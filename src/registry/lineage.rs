//! Use cases of lineage: paged and streamed walks, upstream closures cached.

use std::sync::Arc;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::Registry;
use crate::domain::access::Caller;
use crate::domain::dataset::Dataset;
use crate::domain::export::{self, ExportFormat, ExportNode, LineageExport};
use crate::domain::lineage::{Direction, NextSteps, Walk};
use crate::domain::paging::PageTokens;
use crate::error::{Error, Result};

/// Lineage nodes sent per batch by the streaming walk.
const STREAM_CHUNK: usize = 500;

/// One dataset of a lineage walk, with its next steps.
#[derive(Debug, Clone)]
pub struct LineageNode {
    /// The dataset.
    pub dataset: Dataset,
    /// Shortest depth from the start.
    pub depth: u32,
    /// Neighbours one step further.
    pub next: NextSteps,
}

/// One page of a lineage walk.
#[derive(Debug, Clone)]
pub struct LineagePage {
    /// Nodes of the page.
    pub nodes: Vec<LineageNode>,
    /// Token of the next page, if any.
    pub next_page_token: Option<String>,
    /// Visible nodes in the whole walk.
    pub total_count: usize,
    /// Hidden nodes in the whole walk.
    pub hidden_count: usize,
}

/// A lineage request, validated.
#[derive(Debug, Clone)]
pub struct LineageQuery {
    /// Where to start.
    pub root: Uuid,
    /// Which way.
    pub direction: Direction,
    /// How deep.
    pub max_depth: u32,
}

impl Registry {
    async fn walk(&self, caller: &Caller, query: &LineageQuery) -> Result<Walk> {
        self.get_dataset(caller, query.root).await?;
        let cached = match query.direction {
            Direction::Upstream => self.upstream_closures.get(query.root, query.max_depth),
            Direction::Downstream => None,
        };
        let closure = match cached {
            Some(closure) => closure,
            None => {
                let closure = Arc::new(
                    self.store
                        .lineage_closure(query.root, query.direction, query.max_depth)
                        .await?,
                );
                if query.direction == Direction::Upstream {
                    self.upstream_closures
                        .insert(query.root, query.max_depth, closure.clone());
                }
                closure
            }
        };
        Ok(Walk::new(&closure, caller))
    }

    async fn nodes(
        &self,
        caller: &Caller,
        walk: &Walk,
        direction: Direction,
        page: &[(u32, Uuid)],
    ) -> Result<Vec<LineageNode>> {
        let ids: Vec<Uuid> = page.iter().map(|&(_, id)| id).collect();
        let mut datasets: std::collections::HashMap<Uuid, Dataset> = self
            .store
            .get_datasets(&ids)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        // Upstream, a node's next steps are its own parents, already in hand; downstream they are
        // the datasets naming it, which only the store can find.
        let edges = match direction {
            Direction::Upstream => datasets
                .values()
                .flat_map(|d| d.parents().map(move |parent| (d.id, parent)))
                .collect(),
            Direction::Downstream => self.store.lineage_edges(&ids, direction).await?,
        };
        let mut steps = walk.next_steps(&edges);
        page.iter()
            .map(|&(depth, id)| {
                let dataset = datasets.remove(&id).ok_or_else(|| {
                    Error::internal(anyhow::anyhow!("dataset {id} of a lineage walk vanished"))
                })?;
                Ok(LineageNode {
                    dataset: dataset.as_seen_by(caller),
                    depth,
                    next: steps.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One page of a lineage walk.
    pub async fn lineage_page(
        &self,
        caller: &Caller,
        query: &LineageQuery,
        page_size: u32,
        page_token: &str,
    ) -> Result<LineagePage> {
        let tokens = PageTokens::new(
            "lineage",
            &[
                &query.root.to_string(),
                query.direction.as_str(),
                &query.max_depth.to_string(),
            ],
        );
        let cursor = tokens.decode(page_token)?;
        let walk = self.walk(caller, query).await?;
        let (page, next) = walk.page(cursor.as_deref(), page_size as usize)?;
        Ok(LineagePage {
            nodes: self.nodes(caller, &walk, query.direction, page).await?,
            next_page_token: next.map(|c| tokens.encode(&c)),
            total_count: walk.visible_count(),
            hidden_count: walk.hidden_count(),
        })
    }

    /// The whole walk written in `format`, as the caller may see it; a walk over the export bounds
    /// is refused before its datasets are read.
    pub async fn export_lineage(
        &self,
        caller: &Caller,
        query: &LineageQuery,
        format: ExportFormat,
    ) -> Result<Vec<u8>> {
        let walk = self.walk(caller, query).await?;
        export::check_walk_size(walk.visible_count(), walk.hidden_count())?;
        let mut nodes = Vec::with_capacity(walk.visible_count());
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = walk.page(cursor.as_deref(), STREAM_CHUNK)?;
            for node in self.nodes(caller, &walk, query.direction, page).await? {
                nodes.push(ExportNode {
                    dataset: node.dataset,
                    next_visible: node.next.visible,
                    next_hidden: node.next.hidden,
                });
            }
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let lineage = LineageExport::new(query.root, query.direction, nodes, walk.hidden_count());
        export::render(&lineage, format)
    }

    /// The whole walk as a stream of nodes, read in chunks.
    pub async fn lineage_stream(
        &self,
        caller: &Caller,
        query: LineageQuery,
    ) -> Result<mpsc::Receiver<Result<LineageNode>>> {
        let walk = self.walk(caller, &query).await?;
        let (sender, receiver) = mpsc::channel(STREAM_CHUNK);
        let registry = self.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            let mut cursor: Option<String> = None;
            loop {
                let (page, next) = match walk.page(cursor.as_deref(), STREAM_CHUNK) {
                    Ok(found) => found,
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                };
                match registry.nodes(&caller, &walk, query.direction, page).await {
                    Ok(nodes) => {
                        for node in nodes {
                            if sender.send(Ok(node)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => return,
                }
            }
        });
        Ok(receiver)
    }
}
