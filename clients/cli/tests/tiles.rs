//! `provctl log monitor --tiles URL` and `log leaves --tiles URL`: the log read from a C2SP
//! tlog-tiles mirror (the registry's own HTTP port, or a static copy in a directory), with
//! consistency proofs computed from the tiles, and a tampered mirror caught.

mod common;

use std::fs;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use transparency_log::Tile;

use common::{Registry, TestResult, path_str, register};

/// Exit code of `log monitor` when the log does not verify.
const LOG_FAILED: i32 = 10;

/// The body of `GET path` from the registry's HTTP port (200 expected).
async fn get(registry: &Registry, path: &str) -> TestResult<Vec<u8>> {
    let addr = registry.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP head")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") || head.contains("transfer-encoding: chunked") {
        return Err(format!("GET {path}: {head}").into());
    }
    Ok(response[split + 4..].to_vec())
}

/// A static copy of the checkpoint and every hash tile of its tree in `dir`.
async fn mirror(registry: &Registry, dir: &Path) -> TestResult<u64> {
    let note = get(registry, "/checkpoint").await?;
    let size: u64 = String::from_utf8(note.clone())?
        .lines()
        .nth(1)
        .ok_or("no size")?
        .parse()?;
    fs::write(dir.join("checkpoint"), &note)?;
    for level in 0..=7 {
        let mut index = 0;
        while let Some(tile) = Tile::hashes(level, index, size) {
            let file = dir.join(format!("tile/{tile}"));
            fs::create_dir_all(file.parent().ok_or("no parent")?)?;
            fs::write(&file, get(registry, &format!("/tile/{tile}")).await?)?;
            index += 1;
        }
    }
    Ok(size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_follows_the_log_through_tiles_and_catches_a_tampered_mirror() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let key_file = dir.path().join("log.vkey");
    let key = path_str(&key_file)?;
    register(&registry, "a", &["human"]).await?;
    registry
        .run_with(None, &["log", "key", "--out", key])
        .await?
        .ok();
    let (state_file, copy_state) = (dir.path().join("state"), dir.path().join("copy-state"));
    let tiles = registry.url.clone();
    let monitor = |state: &Path| -> TestResult<Vec<String>> {
        Ok(vec![
            "log".into(),
            "monitor".into(),
            "--key".into(),
            key.into(),
            "--state".into(),
            path_str(state)?.into(),
            "--once".into(),
        ])
    };
    let with = |mut args: Vec<String>, tiles: &str| {
        args.extend(["--tiles".into(), tiles.to_owned()]);
        args
    };
    let run = |args: Vec<String>| {
        let registry = &registry;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            registry.run_with(None, &args).await
        }
    };

    let out = run(with(monitor(&state_file)?, &tiles)).await?.ok();
    assert!(
        out.stdout.contains("trusted on first use"),
        "{}",
        out.stdout
    );
    fs::copy(&state_file, &copy_state)?;
    let first: u64 = fs::read_to_string(&state_file)?
        .lines()
        .nth(1)
        .ok_or("no size")?
        .parse()?;

    // Past a full tile and into the second level, over the HTTP port.
    for i in 0..300 {
        registry.register_fast(&format!("d{i}"), &[], &[]).await?;
    }
    let out = run(with(monitor(&state_file)?, &tiles)).await?.ok();
    assert!(
        out.stdout.contains(&format!(
            "consistent with the last verified checkpoint of {first} leaves"
        )),
        "{}",
        out.stdout
    );

    // A static copy in a directory serves as well, and leaves read from its entry bundles
    // match the registry's GetLeaves.
    let copy = tempfile::tempdir()?;
    let size = mirror(&registry, copy.path()).await?;
    assert!(size > 256);
    let copy_url = path_str(copy.path())?;
    let out = run(with(monitor(&copy_state)?, copy_url)).await?.ok();
    assert!(out.stdout.contains("consistent with"), "{}", out.stdout);
    for bundle in 0..2 {
        let tile = Tile::entries(bundle, size).ok_or("no bundle")?;
        let file = copy.path().join(format!("tile/{tile}"));
        fs::create_dir_all(file.parent().ok_or("no parent")?)?;
        fs::write(&file, get(&registry, &format!("/tile/{tile}")).await?)?;
    }
    let leaves = [
        "log", "leaves", "--start", "250", "--count", "10", "--output", "json",
    ];
    let from_copy = run(with(
        leaves.iter().map(|s| s.to_string()).collect(),
        copy_url,
    ))
    .await?
    .ok()
    .json()?;
    let from_registry = registry.run_with(None, &leaves).await?.ok().json()?;
    assert_eq!(from_copy["leaves"], from_registry["leaves"]);
    assert_eq!(from_copy["leaves"].as_array().map(Vec::len), Some(10));

    // One hash changed in the copy's level-1 tile (the root of the first 256 leaves, which every
    // proof between the sizes that follow reads): the proof no longer links the roots.
    let level1 = copy.path().join("tile/1/000.p/1");
    let mut bytes = fs::read(&level1)?;
    bytes[0] ^= 1;
    fs::write(&level1, bytes)?;
    register(&registry, "b", &["human"]).await?;
    let fresh = tempfile::tempdir()?;
    mirror(&registry, fresh.path()).await?;
    // The tampered copy gets the newer checkpoint, so that the monitor must prove growth.
    fs::copy(
        fresh.path().join("checkpoint"),
        copy.path().join("checkpoint"),
    )?;
    for entry in fs::read_dir(fresh.path().join("tile/0"))? {
        let entry = entry?;
        if entry.file_name() != "000" {
            let target = copy.path().join("tile/0").join(entry.file_name());
            if entry.file_type()?.is_dir() {
                fs::create_dir_all(&target)?;
                for inner in fs::read_dir(entry.path())? {
                    let inner = inner?;
                    fs::copy(inner.path(), target.join(inner.file_name()))?;
                }
            } else {
                fs::copy(entry.path(), target)?;
            }
        }
    }
    let out = run(with(monitor(&copy_state)?, copy_url)).await?;
    let out = out.expect_code(LOG_FAILED);
    assert!(out.stdout.contains("FORK"), "{}", out.stdout);

    // An unreachable mirror is a failed round, not a verdict.
    let out = run(with(monitor(&state_file)?, "http://127.0.0.1:1")).await?;
    out.expect_code(6);
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_proofs_come_from_tiles_and_verify_with_the_pinned_key() -> TestResult {
    let registry = Registry::start().await?;
    for i in 0..5 {
        register(&registry, &format!("tiled-{i}"), &["human"]).await?;
    }
    let dir = tempfile::tempdir()?;
    let file = |name: &str| dir.path().join(name);
    let key = file("log.vkey");
    registry
        .run(&["log", "key", "--out", path_str(&key)?])
        .await?
        .ok();
    let url = registry.url.clone();
    // The checkpoint, from the tiles, verified with the pinned key.
    let note = file("cp.note");
    let run = registry
        .run(&[
            "log",
            "checkpoint",
            "--tiles",
            &url,
            "--key",
            path_str(&key)?,
            "--out",
            path_str(&note)?,
        ])
        .await?
        .ok();
    let size: u64 = common::field(&run, "size")?
        .trim_end_matches(" leaves")
        .parse()?;
    assert!(size >= 5);
    assert_eq!(fs::read(&note)?, get(&registry, "/checkpoint").await?);
    // --tiles needs --key, and a key that does not sign the mirror's checkpoint is refused.
    registry
        .run(&["log", "checkpoint", "--tiles", &url])
        .await?
        .expect_code(2);
    let stranger = "stranger+5e12b1ac+AQ2uNGzbrLcWMpMlXiRsA4S0hsvTDfLSrfzL4XzGgXbW";
    let run = registry
        .run(&["log", "checkpoint", "--tiles", &url, "--key", stranger])
        .await?;
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    // Inclusion and consistency proofs computed from the tiles verify offline.
    let inclusion = file("leaf.json");
    registry
        .run(&[
            "log",
            "prove",
            "--tiles",
            &url,
            "--leaf",
            "2",
            "--out",
            path_str(&inclusion)?,
        ])
        .await?
        .ok();
    registry
        .run(&[
            "log",
            "verify",
            "--key",
            path_str(&key)?,
            "--inclusion",
            path_str(&inclusion)?,
        ])
        .await?
        .ok();
    let old = file("old.note");
    fs::write(&old, fs::read(&note)?)?;
    register(&registry, "tiled-more", &["human"]).await?;
    let new = file("new.note");
    registry
        .run(&[
            "log",
            "checkpoint",
            "--tiles",
            &url,
            "--key",
            path_str(&key)?,
            "--out",
            path_str(&new)?,
        ])
        .await?
        .ok();
    let consistency = file("consistency.json");
    let first = size.to_string();
    registry
        .run(&[
            "log",
            "prove",
            "--tiles",
            &url,
            "--consistency",
            &first,
            "--out",
            path_str(&consistency)?,
        ])
        .await?
        .ok();
    registry
        .run(&[
            "log",
            "verify",
            "--key",
            path_str(&key)?,
            "--old-checkpoint",
            path_str(&old)?,
            "--checkpoint",
            path_str(&new)?,
            "--consistency",
            path_str(&consistency)?,
        ])
        .await?
        .ok();
    registry.stop().await?;
    Ok(())
}
