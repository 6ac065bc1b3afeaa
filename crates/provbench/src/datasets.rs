//! The datasets the scenarios register: well-formed requests (a unique digest, a web-crawl source,
//! parents), and [`register_many`], which builds graphs and fixtures with concurrent callers.

use anyhow::Context;
use provenance_api::v1 as pb;
use provenance_api::v1::dataset_service_client::DatasetServiceClient;
use sha2::{Digest, Sha256};

use crate::bench::{Bench, authorized};

/// `sha256:` and the hex SHA-256 of `seed`: a well-formed digest, different for every dataset.
pub fn digest_of(seed: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(seed.as_bytes())))
}

fn web_crawl(n: u64) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::WebCrawl as i32,
        uri: format!("https://crawl.example.org/bench/{n}"),
        license: "CC-BY-4.0".into(),
        ..Default::default()
    }
}

pub fn parent_source(dataset_id: String) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::Dataset as i32,
        dataset_id,
        ..Default::default()
    }
}

/// A registration with one web-crawl source.
pub fn plain_request(name: String, n: u64) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        content_digest: digest_of(&name),
        name,
        version: "1".into(),
        size_bytes: Some(1_000_000 + n),
        license: "CC-BY-4.0".into(),
        sources: vec![web_crawl(n)],
        ..Default::default()
    }
}

/// Registers `requests` with `parallel` concurrent callers; returns the ids in request order.
/// Any failure fails the whole: what is built from these ids needs every one of them.
pub async fn register_many(
    bench: &Bench,
    requests: Vec<pb::RegisterDatasetRequest>,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    let count = requests.len();
    let parallel = parallel.clamp(1, count.max(1));
    let mut shares: Vec<Vec<(usize, pb::RegisterDatasetRequest)>> =
        (0..parallel).map(|_| Vec::new()).collect();
    for (i, request) in requests.into_iter().enumerate() {
        shares[i % parallel].push((i, request));
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(caller, share)| {
            let mut client = DatasetServiceClient::new(bench.channel(caller));
            let auth = bench.auth.clone();
            tokio::spawn(async move {
                let mut ids = Vec::with_capacity(share.len());
                for (i, request) in share {
                    let name = request.name.clone();
                    let answer = client
                        .register_dataset(authorized(request, &auth))
                        .await
                        .map_err(|s| {
                            anyhow::anyhow!("registering {name}: {:?}: {}", s.code(), s.message())
                        })?
                        .into_inner();
                    let dataset = answer
                        .dataset
                        .with_context(|| format!("registering {name}: no dataset in the answer"))?;
                    ids.push((i, dataset.id));
                }
                anyhow::Ok(ids)
            })
        })
        .collect();
    let mut ids = vec![String::new(); count];
    for task in tasks {
        for (i, id) in task.await.context("a registering task failed")?? {
            ids[i] = id;
        }
    }
    Ok(ids)
}
