//! `lineage`: builds a layered graph of `--lineage-nodes` datasets through the API (layer 0 from
//! web crawls, every later dataset from 2 or 3 datasets of the layer before), then walks it
//! upstream from its last layer with `GetLineage` (pages of 1000); one call is one full walk, and
//! its node count must match the `total_count` the server answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use provenance_api::v1 as pb;
use provenance_api::v1::lineage_service_client::LineageServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::bench::{Auth, Bench, authorized};
use crate::datasets::{parent_source, plain_request, register_many};
use crate::measure::{Failure, Stats, Worker, announce, check_failed, drive};
use crate::report::{round1, round3};
use crate::rng::Rng;
use crate::scenarios::Scenario;

/// Datasets per layer of the lineage graph.
const LINEAGE_WIDTH: usize = 100;

/// Page size of the lineage walks (the API's maximum).
pub const LINEAGE_PAGE: i32 = 1000;

/// Builds a graph of `nodes` datasets with `concurrency` callers, then measures `callers` walkers
/// for the bench's duration. Returns the graph's and the walks' figures for the report too.
pub async fn run(
    bench: &Bench,
    callers: usize,
    nodes: usize,
    concurrency: usize,
) -> anyhow::Result<(Stats, Value)> {
    let graph = build_lineage(bench, nodes, concurrency).await?;
    eprintln!(
        "provbench: lineage graph of {} datasets ({} layers of up to {LINEAGE_WIDTH}, \
         {} parent edges) built in {:.2} s ({:.0} datasets/s, {concurrency} callers)",
        graph.nodes,
        graph.layers,
        graph.edges,
        graph.build_time.as_secs_f64(),
        graph.nodes as f64 / graph.build_time.as_secs_f64().max(1e-9)
    );
    announce(Scenario::Lineage, callers, bench);
    let roots = Arc::new(graph.last_layer);
    let workers = (0..callers)
        .map(|c| LineageWorker {
            client: LineageServiceClient::new(bench.channel(c))
                .max_decoding_message_size(64 * 1024 * 1024),
            auth: bench.auth.clone(),
            roots: roots.clone(),
            rng: bench.rng(2_000_000 + c as u64),
            max_pages: graph.nodes / LINEAGE_PAGE as usize + 2,
            walked: Vec::new(),
            pages: 0,
        })
        .collect();
    let (workers, stats) = drive(Scenario::Lineage, workers, bench.duration).await?;
    let walked: Vec<u64> = workers.iter().flat_map(|w| w.walked.clone()).collect();
    let pages: u64 = workers.iter().map(|w| w.pages).sum();
    let info = json!({
        "nodes_built": graph.nodes,
        "layers": graph.layers,
        "parent_edges": graph.edges,
        "build_s": round3(graph.build_time.as_secs_f64()),
        "build_datasets_per_s": round1(graph.nodes as f64 / graph.build_time.as_secs_f64().max(1e-9)),
        "build_concurrency": concurrency,
        "walks": walked.len(),
        "pages": pages,
        "page_size": LINEAGE_PAGE,
        "nodes_per_walk_min": walked.iter().min(),
        "nodes_per_walk_max": walked.iter().max(),
    });
    Ok((stats, info))
}

struct LineageWorker {
    client: LineageServiceClient<Channel>,
    auth: Auth,
    roots: Arc<Vec<String>>,
    rng: Rng,
    /// Bound on pages per walk, in case the server kept handing out page tokens.
    max_pages: usize,
    /// Nodes seen in each completed walk.
    walked: Vec<u64>,
    pages: u64,
}

impl Worker for LineageWorker {
    async fn call(&mut self) -> Result<(), Failure> {
        let root = self.roots[self.rng.below(self.roots.len())].clone();
        let mut page_token = String::new();
        let mut seen: u64 = 0;
        let mut total: Option<i32> = None;
        for _ in 0..self.max_pages {
            let request = pb::GetLineageRequest {
                dataset_id: root.clone(),
                direction: pb::LineageDirection::Upstream as i32,
                max_depth: 0,
                page_size: LINEAGE_PAGE,
                page_token,
            };
            let page = self
                .client
                .get_lineage(authorized(request, &self.auth))
                .await?
                .into_inner();
            self.pages += 1;
            seen += page.nodes.len() as u64;
            total = Some(page.total_count);
            if page.next_page_token.is_empty() {
                if Some(seen as i32) != total {
                    return Err(check_failed(format!(
                        "walked {seen} nodes but total_count is {}",
                        page.total_count
                    )));
                }
                self.walked.push(seen);
                return Ok(());
            }
            page_token = page.next_page_token;
        }
        Err(check_failed(format!(
            "still paging after {} pages ({seen} nodes, total_count {total:?})",
            self.max_pages
        )))
    }
}

struct LineageGraph {
    nodes: usize,
    layers: usize,
    edges: usize,
    build_time: Duration,
    last_layer: Vec<String>,
}

/// Registers a layered graph: layer 0 from web crawls, every later dataset from 2 or 3 datasets
/// of the layer before. Layers are registered one after the other (a parent must exist before its
/// children), each with up to `parallel` concurrent callers.
async fn build_lineage(
    bench: &Bench,
    nodes: usize,
    parallel: usize,
) -> anyhow::Result<LineageGraph> {
    eprintln!(
        "provbench: building a lineage graph of {nodes} datasets with {} callers",
        parallel.min(LINEAGE_WIDTH)
    );
    let mut rng = bench.rng(3_000_000);
    let started = Instant::now();
    let mut previous: Vec<String> = Vec::new();
    let mut edges = 0;
    let mut layers = 0;
    let mut done = 0;
    while done < nodes {
        let width = LINEAGE_WIDTH.min(nodes - done);
        let requests = (0..width)
            .map(|i| {
                let n = (done + i) as u64;
                let mut request = plain_request(format!("lineage-{}-{layers}-{i}", bench.tag), n);
                if !previous.is_empty() {
                    let wanted = (2 + rng.below(2)).min(previous.len());
                    request.sources.clear();
                    for parent in rng.distinct(previous.len(), wanted) {
                        request
                            .sources
                            .push(parent_source(previous[parent].clone()));
                    }
                    edges += wanted;
                }
                request
            })
            .collect();
        previous = register_many(bench, requests, parallel).await?;
        done += width;
        layers += 1;
    }
    Ok(LineageGraph {
        nodes,
        layers,
        edges,
        build_time: started.elapsed(),
        last_layer: previous,
    })
}
