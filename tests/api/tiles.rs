//! The transparency log as C2SP tlog-tiles over plain HTTP on the gRPC port: the checkpoint, hash
//! tiles and entry bundles, their cache lifetimes, and the answers for malformed and absent tiles.
//! The tree is rebuilt from the tiles alone and compared with the signed checkpoint.

use provenance_registry::proto::v1 as pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use transparency_log::{
    MemoryTree, NoteVerifier, Tile, TileLevel, decode_entry_bundle, hash_leaf, open_checkpoint,
};

use crate::helpers::*;

/// An HTTP/1.1 GET with `Connection: close`: status, lower-cased head, body bytes.
async fn get(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("a status code");
    let mut body = response[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
    out
}

/// `count` events, registered in batches.
async fn events(app: &TestApp, count: usize, prefix: &str) {
    for chunk in (0..count).collect::<Vec<_>>().chunks(100) {
        let registrations = chunk
            .iter()
            .map(|i| pb::BatchRegistration {
                r#ref: format!("r{i}"),
                dataset: Some(dataset(&format!("{prefix}-{i}"))),
            })
            .collect();
        app.datasets()
            .register_datasets(authed(
                &app.admin,
                pb::RegisterDatasetsRequest { registrations },
            ))
            .await
            .expect("batch registered");
    }
}

async fn log_verifier(app: &TestApp) -> NoteVerifier {
    let answer =
        pb::transparency_log_service_client::TransparencyLogServiceClient::new(app.channel.clone())
            .get_checkpoint(pb::GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner();
    NoteVerifier::from_vkey(&answer.verifier_key).unwrap()
}

#[tokio::test]
async fn the_tree_rebuilt_from_entry_bundles_has_the_checkpoints_root_and_hash_tiles_agree() {
    let mut app = spawn_app().await;
    events(&app, 600, "tile").await;
    let verifier = log_verifier(&app).await;

    let (status, head, note) = get(&app, "/checkpoint").await;
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("cache-control: public, max-age=5"), "{head}");
    let checkpoint = open_checkpoint(std::str::from_utf8(&note).unwrap(), &verifier).unwrap();
    assert!(checkpoint.size > 600, "{}", checkpoint.size);

    let mut tree = MemoryTree::new();
    let mut index = 0;
    while let Some(tile) = Tile::entries(index, checkpoint.size) {
        let (status, head, body) = get(&app, &format!("/tile/{tile}")).await;
        assert_eq!(status, 200, "{tile}");
        assert!(head.contains("content-type: application/octet-stream"));
        let cache = if tile.is_full() {
            "cache-control: public, max-age=31536000, immutable"
        } else {
            "cache-control: public, max-age=60"
        };
        assert!(head.contains(cache), "{tile}: {head}");
        for entry in decode_entry_bundle(&body, usize::from(tile.width)).unwrap() {
            assert_eq!(entry.len(), 32, "each entry is an event's chain hash");
            tree.append(hash_leaf(entry)).unwrap();
        }
        // The level-0 hash tile at the same position holds exactly those leaves' hashes.
        let hashes = Tile {
            level: TileLevel::Hashes(0),
            ..tile
        };
        let (status, _, body) = get(&app, &format!("/tile/{hashes}")).await;
        assert_eq!(status, 200);
        let first = usize::try_from(tile.first().unwrap()).unwrap();
        let expected: Vec<u8> = (first..first + usize::from(tile.width))
            .flat_map(|i| {
                transparency_log::NodeSource::node(&tree, transparency_log::NodeId::leaf(i as u64))
                    .unwrap()
            })
            .collect();
        assert_eq!(body, expected);
        index += 1;
    }
    assert_eq!(tree.size(), checkpoint.size);
    assert_eq!(tree.root(), checkpoint.root);

    // Level 1 holds the roots of each full run of 256 leaves.
    let level1 = Tile::hashes(1, 0, checkpoint.size).unwrap();
    assert_eq!(level1.width, 2);
    let (status, head, body) = get(&app, &format!("/tile/{level1}")).await;
    assert_eq!(status, 200);
    assert!(head.contains("max-age=60"));
    let node = transparency_log::NodeSource::node(&tree, transparency_log::NodeId::new(8, 1));
    assert_eq!(&body[32..], node.unwrap().as_slice());
    // A partial tile narrower than what is stored is its prefix.
    let (status, _, narrow) = get(&app, "/tile/0/002.p/3").await;
    assert_eq!(status, 200);
    let (_, _, wide) = get(
        &app,
        &format!("/tile/{}", Tile::hashes(0, 2, checkpoint.size).unwrap()),
    )
    .await;
    assert_eq!(narrow, wide[..96]);
    app.stop().await;
}

#[tokio::test]
async fn malformed_tile_paths_are_refused_and_absent_tiles_are_not_found() {
    let mut app = spawn_app().await;
    events(&app, 10, "few").await;
    for (path, reason) in [
        ("/tile/0/1", "x-prefixed three-digit"),
        ("/tile/0/x000/001", "x-prefixed three-digit"),
        ("/tile/64/000", "tile level"),
        ("/tile/0/000.p/0", "partial tile width"),
        ("/tile/0/000.p/256", "partial tile width"),
        ("/tile/0/000.p/007", "partial tile width"),
        ("/tile/entries", "is not <level>/<index>"),
        ("/tile/0/x018/x446/x744/x073/x709/x551/616", "too large"),
    ] {
        let (status, head, body) = get(&app, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(head.contains("content-type: application/json"), "{path}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], 3, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(reason),
            "{path}: {body}"
        );
        assert_eq!(body["details"][0]["fieldViolations"][0]["field"], "path");
    }
    for path in [
        "/tile/0/000",
        "/tile/entries/000",
        "/tile/0/001.p/1",
        "/tile/1/000.p/1",
        "/tile/7/000.p/1",
        "/tile/63/000.p/1",
        "/tile/0/000.p/200",
        "/tile/entries/x018/x446/x744/x073/x709/x551/615",
        "/tile/0/x018/x446/x744/x073/x709/x551/615",
    ] {
        let (status, head, body) = get(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(head.contains("cache-control: no-store"), "{path}: {head}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], 5, "{path}: {body}");
    }
    // What the log does hold is served without any token.
    let (status, _, body) = get(&app, "/tile/entries/000.p/5").await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), 5 * 34);
    app.stop().await;
}
