//! Witnesses both ways: three `provctl witness serve` processes cosign the registry's growing log
//! (on SQLite and on PostgreSQL); a witness refuses a checkpoint inconsistent with one it
//! cosigned, so a forked registry (a copy of its database, written to differently) is refused by
//! every witness; a restarted witness keeps its state; a bundle verifies with a witness threshold
//! only when enough of the listed witnesses cosigned its checkpoint; and the witness answers the
//! statuses c2sp.org/tlog-witness gives.

mod common;
#[path = "../../../tests/support/postgres.rs"]
mod support_postgres;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{Place, Registry, TestResult, clean_dataset, path_str, register, run_without_network};
use provenance_registry::config::ServeSettings;
use provenance_registry::registry::witnesses::WitnessEndpoint;
use serde_json::Value;
use sha2::{Digest, Sha256};
use transparency_log::{CosignatureVerifier, NoteVerifier, open_checkpoint, verify_cosignatures};

/// A running `provctl witness serve`, ended (by its own handle) when dropped.
struct Witness {
    child: Child,
    address: String,
    vkey: String,
    key_file: PathBuf,
    state: PathBuf,
    log_vkey: String,
}

impl Witness {
    /// Starts a witness of `log_vkey` on a free port, its key and state under `dir` (the key is
    /// created on first start).
    fn start(dir: &Path, name: &str, log_vkey: &str) -> TestResult<Self> {
        let key_file = dir.join(format!("{}.key", name.replace('/', "_")));
        let state = dir.join(format!("{}.state", name.replace('/', "_")));
        let mut child = Command::new(env!("CARGO_BIN_EXE_provctl"))
            .args([
                "witness",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--name",
                name,
            ])
            .arg("--key-file")
            .arg(&key_file)
            .arg("--state")
            .arg(&state)
            .args(["--log", log_vkey])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let address = lines
            .next()
            .ok_or("the witness printed nothing")??
            .strip_prefix("listening on ")
            .ok_or("no listening line")?
            .to_owned();
        let vkey = lines
            .next()
            .ok_or("the witness printed no key")??
            .strip_prefix("witness key ")
            .ok_or("no key line")?
            .to_owned();
        Ok(Self {
            child,
            address,
            vkey,
            key_file,
            state,
            log_vkey: log_vkey.to_owned(),
        })
    }

    /// Stops this witness and starts it again on the same key and state (on another port).
    fn restart(mut self, dir: &Path, name: &str) -> TestResult<Self> {
        self.child.kill()?;
        self.child.wait()?;
        let again = Self::start(dir, name, &self.log_vkey)?;
        assert_eq!(again.vkey, self.vkey, "the key file was kept");
        assert_eq!(
            (&again.key_file, &again.state),
            (&self.key_file, &self.state)
        );
        Ok(again)
    }

    fn endpoint(&self) -> TestResult<WitnessEndpoint> {
        Ok(format!("{}=http://{}", self.vkey, self.address).parse()?)
    }

    fn verifier(&self) -> TestResult<CosignatureVerifier> {
        Ok(CosignatureVerifier::from_vkey(&self.vkey)?)
    }

    /// The size of the checkpoint the witness last cosigned for `origin`, from its monitoring
    /// endpoint; `None` before any.
    fn cosigned_size(&self, origin: &str) -> TestResult<Option<u64>> {
        let path = format!("/{}/checkpoint", hex::encode(Sha256::digest(origin)));
        let (status, _, body) = http(&self.address, "GET", &path, b"")?;
        match status {
            404 => Ok(None),
            200 => Ok(Some(body.lines().nth(1).ok_or("no size line")?.parse()?)),
            other => Err(format!("answered {other}: {body}").into()),
        }
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to `address`; the status, content type and body.
fn http(address: &str, method: &str, path: &str, body: &[u8]) -> TestResult<(u16, String, String)> {
    let mut stream = TcpStream::connect(address)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no head")?;
    let status = head.split(' ').nth(1).ok_or("no status")?.parse::<u16>()?;
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    Ok((status, content_type, body.to_owned()))
}

/// Settings that send checkpoints to `witnesses` (on loopback, as tests must).
fn witnessed_by(witnesses: &[&Witness]) -> TestResult<ServeSettings> {
    Ok(ServeSettings {
        witnesses: witnesses
            .iter()
            .map(|w| w.endpoint())
            .collect::<TestResult<_>>()?,
        witness_allow_loopback: true,
        ..ServeSettings::default()
    })
}

/// A log set up for witnessing: its data kept in `dir`, its key, and its first organisation.
struct Log {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    vkey: String,
    origin: String,
    admin: (String, String),
}

impl Log {
    /// Starts a registry once, without witnesses, to create its keys and organisation.
    async fn create(database_url: Option<String>) -> TestResult<Self> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("registry");
        let first = Registry::start_at(
            ServeSettings::default(),
            Place {
                data_dir: &data,
                database_url: database_url.clone(),
                admin: None,
            },
        )
        .await?;
        let (origin, vkey) = first.registry().log_identity();
        let (origin, vkey) = (origin.to_owned(), vkey);
        let admin = (first.org_id.clone(), first.admin_token.clone());
        first.stop().await?;
        Ok(Self {
            dir,
            database_url,
            vkey,
            origin,
            admin,
        })
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("registry")
    }

    async fn serve(&self, witnesses: &[&Witness]) -> TestResult<Registry> {
        self.serve_from(&self.data(), witnesses).await
    }

    async fn serve_from(&self, data: &Path, witnesses: &[&Witness]) -> TestResult<Registry> {
        Registry::start_at(
            witnessed_by(witnesses)?,
            Place {
                data_dir: data,
                database_url: self.database_url.clone(),
                admin: Some(self.admin.clone()),
            },
        )
        .await
    }

    fn witnesses(&self, names: &[&str]) -> TestResult<Vec<Witness>> {
        names
            .iter()
            .map(|name| Witness::start(self.dir.path(), name, &self.vkey))
            .collect()
    }
}

/// The newest checkpoint as `provctl log checkpoint --out` writes it, its size, and how many of
/// `witnesses` cosigned it (every cosignature by them verified).
async fn published(
    registry: &Registry,
    witnesses: &[&Witness],
) -> TestResult<(String, u64, usize)> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("checkpoint");
    registry
        .run(&["log", "checkpoint", "--out", path_str(&file)?])
        .await?
        .ok();
    let note = std::fs::read_to_string(&file)?;
    let (origin, vkey) = registry.registry().log_identity();
    let checkpoint = open_checkpoint(&note, &NoteVerifier::from_vkey(&vkey)?)?;
    assert_eq!(checkpoint.origin, origin);
    let verifiers = witnesses
        .iter()
        .map(|w| w.verifier())
        .collect::<TestResult<Vec<_>>>()?;
    let (_, cosigned) = verify_cosignatures(&note, &verifiers)?;
    Ok((note, checkpoint.size, cosigned.len()))
}

async fn three_witnesses_cosign_a_growing_log(database_url: Option<String>) -> TestResult {
    let log = Log::create(database_url).await?;
    let names = [
        "w1.example/witness",
        "w2.example/witness",
        "w3.example/witness",
    ];
    let mut witnesses = log.witnesses(&names)?;
    let all: Vec<&Witness> = witnesses.iter().collect();
    let registry = log.serve(&all).await?;
    register(&registry, "first", &["human"]).await?;
    let (_, first_size, cosigned) = published(&registry, &all).await?;
    assert_eq!(cosigned, 3, "every witness cosigned the first checkpoint");
    for witness in &witnesses {
        assert_eq!(witness.cosigned_size(&log.origin)?, Some(first_size));
    }

    // The log grows: each witness gets a consistency proof from the size it cosigned.
    register(&registry, "second", &["human"]).await?;
    register(&registry, "third", &["human"]).await?;
    let (note, grown, cosigned) = published(&registry, &all).await?;
    assert!(grown > first_size);
    assert_eq!(
        cosigned, 3,
        "every witness cosigned the grown checkpoint:\n{note}"
    );
    // The gRPC answer carries the same cosigned note.
    assert_eq!(registry.registry().checkpoint().await?.note, note);
    registry.stop().await?;

    // A restarted witness keeps its state, and a restarted registry the sizes its witnesses
    // cosigned (from the cosignatures it stored): the next checkpoint is cosigned by all three.
    let restarted = witnesses.remove(0).restart(log.dir.path(), names[0])?;
    assert_eq!(restarted.cosigned_size(&log.origin)?, Some(grown));
    witnesses.insert(0, restarted);
    let all: Vec<&Witness> = witnesses.iter().collect();
    let registry = log.serve(&all).await?;
    register(&registry, "fourth", &["human"]).await?;
    let (_, size, cosigned) = published(&registry, &all).await?;
    assert!(size > grown);
    assert_eq!(cosigned, 3);
    for witness in &witnesses {
        assert_eq!(witness.cosigned_size(&log.origin)?, Some(size));
    }
    registry.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn three_witnesses_cosign_a_growing_log_on_sqlite() -> TestResult {
    three_witnesses_cosign_a_growing_log(None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn three_witnesses_cosign_a_growing_log_on_postgres() -> TestResult {
    let Some(server) = support_postgres::server_url() else {
        return Ok(());
    };
    let database = support_postgres::TestDatabase::create(&server).await;
    three_witnesses_cosign_a_growing_log(Some(database.url.clone())).await
}

/// Copies a directory's files (the registry's data: keys and SQLite database) into `to`.
fn copy_dir(from: &Path, to: &Path) -> TestResult {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forked_registry_is_refused_by_every_witness() -> TestResult {
    let log = Log::create(None).await?;
    let witnesses = log.witnesses(&["w1.example/fork", "w2.example/fork", "w3.example/fork"])?;
    let all: Vec<&Witness> = witnesses.iter().collect();
    let registry = log.serve(&all).await?;
    register(&registry, "shared", &["human"]).await?;
    let (_, shared, cosigned) = published(&registry, &all).await?;
    assert_eq!(cosigned, 3);
    registry.stop().await?;

    // An old backup of the database, taken while the registry was stopped.
    let backup = log.dir.path().join("backup");
    copy_dir(&log.data(), &backup)?;

    // The real registry goes on, cosigned.
    let registry = log.serve(&all).await?;
    register(&registry, "honest", &["human"]).await?;
    let (_, honest, cosigned) = published(&registry, &all).await?;
    assert_eq!(cosigned, 3);
    registry.stop().await?;

    // The backup is restored and written to differently, past the honest size: another
    // history under the same log key.
    let fork = log.serve_from(&backup, &all).await?;
    for name in ["forked-1", "forked-2", "forked-3"] {
        register(&fork, name, &["human"]).await?;
    }
    let (note, forked, cosigned) = published(&fork, &all).await?;
    assert!(forked > honest && honest > shared);
    assert_eq!(cosigned, 0, "a witness cosigned the fork:\n{note}");
    assert!(!note.contains("example/fork"), "{note}");
    for witness in &witnesses {
        assert_eq!(witness.cosigned_size(&log.origin)?, Some(honest));
    }
    // And a certificate of the fork fails a verification that demands a witness.
    let dataset = clean_dataset(&fork).await?;
    let bundle = bundle_of(&fork, &dataset).await?;
    let run = run_without_network(&[
        "cert",
        "verify",
        path_str(bundle.path())?,
        "--offline",
        "--witness",
        &witnesses[0].vkey,
        "--witness",
        &witnesses[1].vkey,
        "--witness-threshold",
        "1",
    ])
    .await?
    .expect_code(9);
    assert!(run.stdout.contains("FAIL  log_witnesses"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("only 0 of the 2 witnesses given cosigned"),
        "{}",
        run.stdout
    );
    fork.stop().await?;
    Ok(())
}

/// Issues a certificate of `dataset` and bundles it; the bundle file.
async fn bundle_of(registry: &Registry, dataset: &str) -> TestResult<tempfile::NamedTempFile> {
    let issued = registry
        .run(&["--output", "json", "cert", "issue", dataset])
        .await?
        .ok()
        .json()?;
    let id = issued["id"].as_str().ok_or("no id")?.to_owned();
    let file = tempfile::NamedTempFile::new()?;
    registry
        .run(&["cert", "bundle", &id, "--out", path_str(file.path())?])
        .await?
        .ok();
    Ok(file)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_verifies_only_with_the_demanded_cosignatures() -> TestResult {
    let log = Log::create(None).await?;
    let witnesses = log.witnesses(&["w1.example/b", "w2.example/b", "w3.example/b"])?;
    // Only two of the three are configured: the third never sees the log.
    let registry = log.serve(&[&witnesses[0], &witnesses[1]]).await?;
    let dataset = clean_dataset(&registry).await?;
    let bundle = bundle_of(&registry, &dataset).await?;
    let bundle_path = path_str(bundle.path())?;
    let verify = |extra: &[&str]| {
        let mut args = vec!["cert", "verify", bundle_path, "--offline"];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let (w1, w2, w3) = (&witnesses[0].vkey, &witnesses[1].vkey, &witnesses[2].vkey);

    // Two of two, and two of three, pass, offline and online.
    let args = verify(&["--witness", w1, "--witness", w2]);
    let run = run_without_network(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await?
        .ok();
    assert!(run.stdout.contains("pass  log_witnesses"), "{}", run.stdout);
    assert!(
        run.stdout.contains("2 of the 2 witnesses given cosigned"),
        "{}",
        run.stdout
    );
    let args = verify(&[
        "--witness",
        w1,
        "--witness",
        w2,
        "--witness",
        w3,
        "--witness-threshold",
        "2",
    ]);
    run_without_network(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await?
        .ok();
    registry
        .run(&[
            "cert",
            "verify",
            bundle_path,
            "--witness",
            w1,
            "--witness",
            w2,
        ])
        .await?
        .ok();

    // Three of three fails, naming how many cosigned.
    let args = verify(&["--witness", w1, "--witness", w2, "--witness", w3]);
    let run = run_without_network(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await?
        .expect_code(9);
    assert!(run.stdout.contains("FAIL  log_witnesses"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("only 2 of the 3 witnesses given cosigned"),
        "{}",
        run.stdout
    );

    // The same bundle with its cosignatures stripped fails even one of one.
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(bundle.path())?)?;
    let note = value["log"]["checkpoint"].as_str().ok_or("no checkpoint")?;
    let (text, signatures) = note.rsplit_once("\n\n").ok_or("no signatures")?;
    let own: Vec<&str> = signatures
        .lines()
        .filter(|line| !line.contains("example/b "))
        .collect();
    assert_eq!(own.len(), 1, "the log's own signature only:\n{note}");
    value["log"]["checkpoint"] = Value::String(format!("{text}\n\n{}\n", own.join("\n")));
    let stripped = tempfile::NamedTempFile::new()?;
    std::fs::write(stripped.path(), serde_json::to_string(&value)?)?;
    let run = run_without_network(&[
        "cert",
        "verify",
        path_str(stripped.path())?,
        "--offline",
        "--witness",
        w1,
    ])
    .await?
    .expect_code(9);
    assert!(
        run.stdout
            .contains("only 0 of the 1 witnesses given cosigned"),
        "{}",
        run.stdout
    );
    // Without --witness the stripped bundle is still valid: the log's signature holds.
    run_without_network(&["cert", "verify", path_str(stripped.path())?, "--offline"])
        .await?
        .ok();

    // A threshold above the keys given is a usage error, and --witness needs a bundle.
    let run = run_without_network(&[
        "cert",
        "verify",
        bundle_path,
        "--offline",
        "--witness",
        w1,
        "--witness-threshold",
        "2",
    ])
    .await?
    .expect_code(2);
    assert!(
        run.stderr.contains("--witness-threshold 2 is more than"),
        "{}",
        run.stderr
    );
    registry.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_witness_answers_as_the_spec_says() -> TestResult {
    let log = Log::create(None).await?;
    let witnesses = log.witnesses(&["w.example/spec"])?;
    let witness = &witnesses[0];
    let registry = log.serve(&[witness]).await?;
    register(&registry, "one", &["human"]).await?;
    let (note, size, cosigned) = published(&registry, &[witness]).await?;
    assert_eq!(cosigned, 1);
    // The log's own note, without the cosignature.
    let (text, signatures) = note.rsplit_once("\n\n").ok_or("no signatures")?;
    let log_line = signatures.lines().next().ok_or("no signature")?;
    let bare = format!("{text}\n\n{log_line}\n");

    // 409 with the witness's size when the old size is not its own.
    let (status, content_type, body) = http(
        &witness.address,
        "POST",
        "/add-checkpoint",
        format!("old 0\n\n{bare}").as_bytes(),
    )?;
    assert_eq!(
        (status, content_type.as_str(), body),
        (409, "text/x.tlog.size", format!("{size}\n"))
    );
    // 200 and one cosignature line for the same checkpoint again.
    let (status, _, body) = http(
        &witness.address,
        "POST",
        "/add-checkpoint",
        format!("old {size}\n\n{bare}").as_bytes(),
    )?;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("\u{2014} w.example/spec ") && body.ends_with('\n'));
    assert_eq!(body.lines().count(), 1);
    // 400 when the old size is above the checkpoint's, or the body is malformed.
    let (status, _, _) = http(
        &witness.address,
        "POST",
        "/add-checkpoint",
        format!("old {}\n\n{bare}", size + 1).as_bytes(),
    )?;
    assert_eq!(status, 400);
    let (status, _, _) = http(&witness.address, "POST", "/add-checkpoint", b"old x\n\n")?;
    assert_eq!(status, 400);
    // 403 when the log's signature is broken.
    let mut forged = bare.clone().into_bytes();
    let at = text.len() + 2 + log_line.len() - 3;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let (status, _, _) = http(
        &witness.address,
        "POST",
        "/add-checkpoint",
        &[format!("old {size}\n\n").into_bytes(), forged].concat(),
    )?;
    assert_eq!(status, 403);
    // 404 for an origin it does not witness.
    let other = bare.replacen(&log.origin, "other.example/log", 1);
    let (status, _, _) = http(
        &witness.address,
        "POST",
        "/add-checkpoint",
        format!("old 0\n\n{other}").as_bytes(),
    )?;
    assert_eq!(status, 404);
    // 413 for a body announced past the bound (refused before it is read), 405 for another
    // method.
    let mut stream = TcpStream::connect(&witness.address)?;
    write!(
        stream,
        "POST /add-checkpoint HTTP/1.1\r\nhost: w\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        64 * 1024 + 1
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let (status, _, _) = http(&witness.address, "GET", "/add-checkpoint", b"")?;
    assert_eq!(status, 405);
    // None of that moved its state.
    assert_eq!(witness.cosigned_size(&log.origin)?, Some(size));
    registry.stop().await?;
    Ok(())
}

#[tokio::test]
async fn witness_key_prints_the_vkey_and_keeps_the_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("w.key");
    let first = run_without_network(&[
        "witness",
        "key",
        "--key-file",
        path_str(&file)?,
        "--name",
        "w.example/key",
    ])
    .await?
    .ok();
    let vkey = first.stdout.trim();
    let verifier = CosignatureVerifier::from_vkey(vkey)?;
    assert_eq!(verifier.name(), "w.example/key");
    let again = run_without_network(&["witness", "key", "--key-file", path_str(&file)?])
        .await?
        .ok();
    assert_eq!(again.stdout.trim(), vkey);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file)?.permissions().mode() & 0o777,
        0o600
    );
    // Without the file and without --name: a usage error naming --name.
    let missing = dir.path().join("missing.key");
    let run = run_without_network(&["witness", "key", "--key-file", path_str(&missing)?])
        .await?
        .expect_code(2);
    assert!(run.stderr.contains("--name"), "{}", run.stderr);
    Ok(())
}
