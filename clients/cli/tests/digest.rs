//! `provctl digest DIR` and `dataset register --path DIR`: the digest is the one the README tells
//! outsiders to recompute, and every bad directory is refused with a reason.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::{Registry, Run, TestResult, path_str, run_to_end, run_without_network};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A dataset directory: nested files, an empty file, an empty directory, a name with spaces,
/// one file larger than a read.
/// Relative paths and contents.
type Files = Vec<(&'static str, Vec<u8>)>;

fn dataset_dir() -> TestResult<(tempfile::TempDir, Files)> {
    let dir = tempfile::tempdir()?;
    let large: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let files: Files = vec![
        ("train/shard-1.jsonl", b"{\"text\": \"one\"}\n".to_vec()),
        ("train/shard-2.jsonl", large),
        ("train.csv", b"a,b\n1,2\n".to_vec()),
        ("README with spaces.md", b"# data\n".to_vec()),
        ("empty", Vec::new()),
        ("\u{e9}t\u{e9}/notes.txt", "caf\u{e9}".as_bytes().to_vec()),
    ];
    for (path, bytes) in &files {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(full, bytes)?;
    }
    fs::create_dir(dir.path().join("empty-dir"))?;
    Ok((dir, files))
}

/// The manifest as the README defines it, built by hand: one line per file, sorted by path bytes.
fn manifest_by_hand(files: &[(&str, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(&str, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted
        .iter()
        .map(|(path, bytes)| format!("{}  {}  {path}\n", sha256_hex(bytes), bytes.len()))
        .collect()
}

#[tokio::test]
async fn the_digest_is_sha256_over_the_documented_manifest() -> TestResult {
    let (dir, files) = dataset_dir()?;
    let manifest_file = tempfile::NamedTempFile::new()?;
    let run = run_without_network(&[
        "--output",
        "json",
        "digest",
        path_str(dir.path())?,
        "--manifest",
        "--manifest-out",
        path_str(manifest_file.path())?,
    ])
    .await?
    .ok();
    // No progress line when stderr is not a terminal.
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let answer = run.json()?;
    let expected_text = manifest_by_hand(&files);
    let expected = format!("sha256:{}", sha256_hex(expected_text.as_bytes()));
    assert_eq!(answer["digest"], expected.as_str());
    assert_eq!(answer["files"], files.len());
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    // Sizes in bytes as strings, as the API's JSON writes 64-bit integers.
    assert_eq!(answer["totalBytes"], total.to_string().as_str());
    assert_eq!(answer["manifestFile"], path_str(manifest_file.path())?);
    assert!(answer["manifest"][0]["size"].is_string(), "{answer}");
    // `.` sorts before `/`: train.csv before train/...
    let paths: Vec<&str> = answer["manifest"]
        .as_array()
        .ok_or("no manifest")?
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "README with spaces.md",
            "empty",
            "train.csv",
            "train/shard-1.jsonl",
            "train/shard-2.jsonl",
            "\u{e9}t\u{e9}/notes.txt"
        ]
    );
    assert_eq!(fs::read_to_string(manifest_file.path())?, expected_text);

    // Text mode, quiet: the digest alone, for `$(provctl digest -q DIR)`.
    let quiet = run_without_network(&["digest", "-q", path_str(dir.path())?])
        .await?
        .ok();
    assert_eq!(quiet.stdout, format!("{expected}\n"));
    Ok(())
}

/// The shell recipe of the README (its `manifest_digest` function, as written there) gives the
/// same digest.
#[tokio::test]
async fn the_readme_shell_recipe_recomputes_the_digest() -> TestResult {
    let (dir, _files) = dataset_dir()?;
    let recipe = r#"manifest_digest() (
  cd "$1" && find . -type f -print0 | LC_ALL=C sort -z |
    while IFS= read -r -d '' f; do
      printf '%s  %s  %s\n' "$(sha256sum < "$f" | cut -c1-64)" "$(stat -c %s "$f")" "${f#./}"
    done | sha256sum | sed 's/^/sha256:/; s/ .*//'
)
manifest_digest "$1""#;
    let mut shell = Command::new("bash");
    shell.args(["-c", recipe, "recipe", path_str(dir.path())?]);
    let by_shell = Run::from(tokio::task::spawn_blocking(move || run_to_end(shell)).await??).ok();
    let ours = run_without_network(&["digest", "-q", path_str(dir.path())?])
        .await?
        .ok();
    assert!(
        by_shell.stdout.starts_with("sha256:"),
        "{}",
        by_shell.stdout
    );
    assert_eq!(by_shell.stdout, ours.stdout);
    Ok(())
}

#[tokio::test]
async fn register_with_a_path_sends_the_directory_digest_and_size() -> TestResult {
    let registry = Registry::start().await?;
    let (dir, files) = dataset_dir()?;
    let expected = format!("sha256:{}", sha256_hex(manifest_by_hand(&files).as_bytes()));
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    // The second time, the same directory is the same dataset.
    for already_existed in [false, true] {
        let registered = registry
            .run(&[
                "--output",
                "json",
                "dataset",
                "register",
                "--name",
                "hashed",
                "--version",
                "1",
                "--path",
                path_str(dir.path())?,
                "--source",
                "human",
            ])
            .await?
            .ok()
            .json()?;
        assert_eq!(registered["dataset"]["contentDigest"], expected.as_str());
        assert_eq!(
            registered["dataset"]["sizeBytes"],
            total.to_string().as_str()
        );
        assert_eq!(registered["hashed"]["files"], files.len());
        assert_eq!(
            registered["hashed"]["totalBytes"],
            registered["dataset"]["sizeBytes"]
        );
        // A default value (false) is left out, as the mapping writes it.
        assert_eq!(
            registered.get("alreadyExisted").and_then(Value::as_bool),
            already_existed.then_some(true),
            "{registered}"
        );
    }
    // --digest and --path exclude each other.
    let both = registry
        .run(&[
            "dataset",
            "register",
            "--name",
            "x",
            "--version",
            "1",
            "--path",
            path_str(dir.path())?,
            "--digest",
            &expected,
        ])
        .await?
        .expect_code(2);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
    registry.stop().await
}

/// Runs `digest DIR` and expects a usage error (exit 2) whose message holds `needle`.
async fn refused(dir: &Path, extra: &[&str], needle: &str) -> TestResult<Run> {
    let mut args = vec!["digest", path_str(dir)?];
    args.extend(extra);
    let run = run_without_network(&args).await?.expect_code(2);
    assert!(
        run.stderr.contains(needle),
        "{needle:?} not in {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    Ok(run)
}

#[tokio::test]
async fn an_empty_directory_or_a_file_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::create_dir(dir.path().join("only-a-subdirectory"))?;
    refused(dir.path(), &[], "holds no regular file").await?;
    // `dataset register --path` hashes before it connects: the directory's fault, not the
    // missing token's or registry's, is what is reported.
    let register = run_without_network(&[
        "dataset",
        "register",
        "--name",
        "n",
        "--version",
        "1",
        "--path",
        path_str(dir.path())?,
    ])
    .await?
    .expect_code(2);
    assert!(
        register.stderr.contains("holds no regular file"),
        "{}",
        register.stderr
    );
    let file = dir.path().join("data.bin");
    fs::write(&file, b"x")?;
    refused(&file, &[], "is not a directory").await?;
    refused(&dir.path().join("missing"), &[], "cannot read").await?;
    Ok(())
}

#[tokio::test]
async fn a_name_that_is_not_utf8_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("good.txt"), b"x")?;
    fs::write(dir.path().join(OsStr::from_bytes(b"bad-\xff.bin")), b"y")?;
    refused(dir.path(), &[], "is not UTF-8").await?;
    Ok(())
}

#[tokio::test]
async fn a_name_with_a_newline_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("two\nlines.txt"), b"x")?;
    refused(dir.path(), &[], "control character").await?;
    Ok(())
}

#[tokio::test]
async fn symbolic_links_are_refused_or_skipped_never_followed() -> TestResult {
    let outside = tempfile::tempdir()?;
    fs::write(outside.path().join("secret"), b"outside the dataset")?;
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("data.txt"), b"inside")?;
    symlink(outside.path().join("secret"), dir.path().join("link"))?;
    symlink(outside.path(), dir.path().join("linked-dir"))?;
    refused(dir.path(), &[], "is a symbolic link").await?;

    let skipped = run_without_network(&[
        "--output",
        "json",
        "digest",
        path_str(dir.path())?,
        "--skip-symlinks",
    ])
    .await?
    .ok()
    .json()?;
    assert_eq!(skipped["files"], 1);
    assert_eq!(
        skipped["skippedSymlinks"],
        serde_json::json!(["link", "linked-dir"])
    );
    let only_data = format!("{}  6  data.txt\n", sha256_hex(b"inside"));
    assert_eq!(
        skipped["digest"],
        format!("sha256:{}", sha256_hex(only_data.as_bytes())).as_str()
    );
    Ok(())
}

#[tokio::test]
async fn a_fifo_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("data.txt"), b"x")?;
    let fifo = dir.path().join("pipe");
    let mut mkfifo = Command::new("mkfifo");
    mkfifo.arg(&fifo);
    Run::from(tokio::task::spawn_blocking(move || run_to_end(mkfifo)).await??).ok();
    refused(dir.path(), &[], "is not a regular file").await?;
    Ok(())
}

/// A file the caller may not read. Root may read anything, so as root provctl runs as `nobody`.
#[tokio::test]
async fn an_unreadable_file_is_refused_naming_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))?;
    fs::write(dir.path().join("readable.txt"), b"x")?;
    let locked = dir.path().join("locked.bin");
    fs::write(&locked, b"y")?;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000))?;
    let as_root = fs::metadata(&locked)?.uid() == 0;
    let mut command = if as_root {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_provctl"),
        ]);
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_provctl"))
    };
    command
        .args(["digest", path_str(dir.path())?])
        .env("XDG_CONFIG_HOME", "/nonexistent/provctl-tests")
        .env_remove("PROVENANCE_CONFIG");
    let run =
        Run::from(tokio::task::spawn_blocking(move || run_to_end(command)).await??).expect_code(2);
    assert!(
        run.stderr.contains("cannot read") && run.stderr.contains("locked.bin"),
        "{}",
        run.stderr
    );
    Ok(())
}
