//! Backups: `admin backup` of a serving SQLite registry under write load, `admin restore` into a new
//! data directory served again, and `admin verify`, which refuses copies that were tampered with
//! (an event, a log leaf, a key file, the schema, a checkpoint) naming what is wrong, on SQLite and
//! on a PostgreSQL database copied with `pg_dump | psql`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use provenance_registry::proto::v1 as pb;
use sqlx::Connection;
use tonic::transport::Channel;

use crate::events::assert_chain_verifies;
use crate::helpers::*;
use crate::process::{ServerProcess, create_org_with, run_command};
use crate::support_postgres::{self, TestDatabase};

const BINARY: &str = env!("CARGO_BIN_EXE_provenance-registry");

/// Runs `provenance-registry --data-dir DIR [OPTIONS] ARGS` to its end, whatever its outcome.
fn run(dir: &Path, options: &[&str], args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("--data-dir")
        .arg(dir)
        .args(options)
        .args(args)
        .output()
        .expect("run the command")
}

/// Runs a command that must fail; returns its standard error.
fn refused(dir: &Path, options: &[&str], args: &[&str]) -> String {
    let output = run(dir, options, args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} succeeded: {stderr}");
    stderr
}

/// Whether the SQLite-only tests run: under `TEST_API_BACKEND=postgres` they are skipped, saying so
/// (they make their own SQLite registries, which the SQLite run tests already).
fn sqlite_run() -> bool {
    if std::env::var("TEST_API_BACKEND").as_deref() == Ok("postgres") {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped on PostgreSQL: this test backs up SQLite registries"
        );
        return false;
    }
    true
}

/// Registers a dataset named `name` for `token` over `channel`.
async fn register_named(channel: &Channel, token: &str, name: &str) -> Result<(), tonic::Status> {
    DatasetServiceClient::new(channel.clone())
        .register_dataset(authed(token, dataset(name)))
        .await
        .map(|_| ())
}

/// The names of every dataset `token` lists.
async fn dataset_names(channel: &Channel, token: &str) -> BTreeSet<String> {
    let client = DatasetServiceClient::new(channel.clone());
    all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::ListDatasetsRequest {
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        async move {
            let page = client
                .list_datasets(authed(token, request))
                .await
                .unwrap()
                .into_inner();
            (page.datasets, page.next_page_token)
        }
    })
    .await
    .into_iter()
    .map(|d| d.name)
    .collect()
}

/// Has the server sign a checkpoint over its whole log; returns its size.
async fn sign_checkpoint(channel: &Channel) -> u64 {
    pb::transparency_log_service_client::TransparencyLogServiceClient::new(channel.clone())
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .expect("checkpoint")
        .into_inner()
        .tree_size
}

/// A registry in `dir` with organisation "Acme"; returns its admin token.
fn new_registry(dir: &Path, options: &[&str]) -> String {
    create_org_with(dir, options, "Acme").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_write_acknowledged_before_it_began() {
    if !sqlite_run() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let live = root.path().join("live");
    let admin = new_registry(&live, &[]);
    let server = ServerProcess::start_with(&live, &[]);
    let channel = server.channel().await;

    // A writer keeps registering datasets, recording each one the server acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (channel, admin) = (channel.clone(), admin.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let name = format!("load-{n:06}");
                register_named(&channel, &admin, &name)
                    .await
                    .expect("registration under load");
                acknowledged.lock().unwrap().push(name);
                n += 1;
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    sign_checkpoint(&channel).await;

    let backup = root.path().join("backup");
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let printed = {
        let (live, backup) = (live.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            run_command(&live, &[], &["admin", "backup", backup.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    // The writer kept going after the backup, so the copy was taken under load.
    let during = acknowledged.lock().unwrap().len();
    while acknowledged.lock().unwrap().len() < during + 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(printed.contains("event chain:"), "{printed}");
    for name in [
        "registry.db",
        "access-token.key",
        "signing-keys.json",
        "log-signing.key",
    ] {
        assert!(backup.join(name).is_file(), "the backup holds {name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");

    // Restored into a new directory and served, it holds every write acknowledged before.
    let restored = root.path().join("restored");
    run_command(
        &restored,
        &[],
        &["admin", "restore", backup.to_str().unwrap()],
    );
    let verified = run_command(&restored, &[], &["admin", "verify"]);
    assert!(verified.contains("checkpoint of"), "{verified}");
    drop(server);
    let server = ServerProcess::start_with(&restored, &[]);
    let channel = server.channel().await;
    let names = dataset_names(&channel, &admin).await;
    let missing: Vec<&String> = before.iter().filter(|n| !names.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not restored: {missing:?}"
    );
    let all = acknowledged.lock().unwrap().clone();
    assert!(
        names.iter().all(|n| all.contains(n)),
        "only acknowledged writes"
    );
    let operator = run_command(&restored, &[], &["admin", "operator-token"]);
    assert_chain_verifies(&all_events(&channel, operator.trim()).await);
    // The restored registry keeps working: a new write, and the log extends the old checkpoint.
    register_named(&channel, &admin, "after-restore")
        .await
        .unwrap();
    assert!(sign_checkpoint(&channel).await as usize > before.len());
}

/// A backup of a registry with a few writes and a signed checkpoint, in `root/backup`.
async fn small_backup(root: &Path) -> std::path::PathBuf {
    let live = root.join("live");
    let admin = new_registry(&live, &[]);
    let server = ServerProcess::start_with(&live, &[]);
    let channel = server.channel().await;
    for name in ["raw", "clean", "mixed"] {
        register_named(&channel, &admin, name).await.unwrap();
    }
    sign_checkpoint(&channel).await;
    let backup = root.join("backup");
    run_command(&live, &[], &["admin", "backup", backup.to_str().unwrap()]);
    backup
}

/// Copies the backup in `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Runs `statements` on the SQLite file in `dir`.
async fn tamper(dir: &Path, statements: &str) {
    let url = format!("sqlite://{}", dir.join("registry.db").display());
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
}

/// The statement that recreates trigger `name` as the migrations made it.
async fn trigger_sql(dir: &Path, name: &str) -> String {
    let url = format!("sqlite://{}", dir.join("registry.db").display());
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
        .bind(name)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    sql
}

/// Runs `change` on the table guarded by trigger `guard` with the trigger dropped and put back, as
/// someone editing the file would.
async fn tamper_past(dir: &Path, guard: &str, change: &str) {
    let trigger = trigger_sql(dir, guard).await;
    tamper(dir, &format!("DROP TRIGGER {guard}; {change}; {trigger};")).await;
}

#[tokio::test]
async fn tampered_copies_are_refused_naming_what_is_wrong_and_nothing_is_restored() {
    if !sqlite_run() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let backup = small_backup(root.path()).await;
    let other_key = tempfile::tempdir().unwrap();
    new_registry(other_key.path(), &[]);

    let cases: [(&str, &[&str]); 6] = [
        (
            "event",
            &["event chain", "event 3 has a hash that does not match"],
        ),
        ("leaf", &["transparency log", "level 0"]),
        (
            "log-key",
            &["key files", "log-signing.key holds other keys"],
        ),
        (
            "token-key",
            &["key files", "access-token.key holds other keys"],
        ),
        ("schema", &["schema", "is not applied"]),
        (
            "checkpoint",
            &["checkpoint", "does not verify with the log key"],
        ),
    ];
    for (case, expected) in cases {
        let copy = root.path().join(format!("tampered-{case}"));
        copy_dir(&backup, &copy);
        match case {
            "event" => {
                tamper_past(
                    &copy,
                    "events_immutable",
                    "UPDATE events SET subject = subject || 'x' WHERE sequence = 3",
                )
                .await
            }
            "leaf" => {
                tamper_past(
                    &copy,
                    "log_nodes_immutable",
                    "UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 1",
                )
                .await
            }
            "log-key" | "token-key" => {
                let name = if case == "log-key" {
                    "log-signing.key"
                } else {
                    "access-token.key"
                };
                std::fs::copy(other_key.path().join(name), copy.join(name)).unwrap();
            }
            "schema" => {
                tamper(
                    &copy,
                    "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
                )
                .await
            }
            "checkpoint" => {
                // The note's signature line made by another key: the root is still right.
                tamper_past(
                    &copy,
                    "log_checkpoints_immutable",
                    "UPDATE log_checkpoints SET note = substr(note, 1, length(note) - 10) || 'AAAAAAAAA' || char(10)",
                )
                .await
            }
            _ => unreachable!(),
        }
        let verify = refused(&copy, &[], &["admin", "verify"]);
        for needle in expected {
            assert!(
                verify.contains(needle),
                "{case}: {needle:?} not in {verify}"
            );
        }
        let target = root.path().join(format!("restored-{case}"));
        let restore = refused(&target, &[], &["admin", "restore", copy.to_str().unwrap()]);
        assert!(restore.contains("refusing to restore"), "{case}: {restore}");
        for needle in expected {
            assert!(
                restore.contains(needle),
                "{case}: {needle:?} not in {restore}"
            );
        }
        assert!(
            !target.exists(),
            "{case}: a refused restore leaves no directory"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    // The untouched backup still verifies: each case changed its own copy only.
    run_command(&backup, &[], &["admin", "verify"]);
}

#[tokio::test]
async fn a_restore_replaces_a_data_directory_only_when_told_and_keeps_the_old_one() {
    if !sqlite_run() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let backup = small_backup(root.path()).await;
    let occupied = root.path().join("occupied");
    new_registry(&occupied, &[]);
    let before = std::fs::read(occupied.join("access-token.key")).unwrap();

    let refusal = refused(
        &occupied,
        &[],
        &["admin", "restore", backup.to_str().unwrap()],
    );
    assert!(
        refusal.contains("is not empty") && refusal.contains("--replace"),
        "{refusal}"
    );
    assert_eq!(
        std::fs::read(occupied.join("access-token.key")).unwrap(),
        before
    );

    let output = run(
        &occupied,
        &[],
        &["admin", "restore", "--replace", backup.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let aside = stderr
        .lines()
        .find_map(|l| l.strip_prefix("the previous data directory is kept as "))
        .expect("the old directory named");
    assert_eq!(
        std::fs::read(Path::new(aside).join("access-token.key")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(occupied.join("access-token.key")).unwrap(),
        std::fs::read(backup.join("access-token.key")).unwrap()
    );
    run_command(&occupied, &[], &["admin", "verify"]);

    // Backups go into new directories only, and restore names a missing backup.
    let again = refused(
        &occupied,
        &[],
        &["admin", "backup", backup.to_str().unwrap()],
    );
    assert!(again.contains("exists already"), "{again}");
    let nothing = refused(
        &root.path().join("fresh"),
        &[],
        &[
            "admin",
            "restore",
            root.path().join("nowhere").to_str().unwrap(),
        ],
    );
    assert!(nothing.contains("holds no backup"), "{nothing}");
}

#[tokio::test]
async fn verify_checks_a_postgresql_copy_made_with_pg_dump_and_finds_a_changed_event() {
    let Some(server_url) = support_postgres::server_url() else {
        return;
    };
    let original = TestDatabase::create(&server_url).await;
    let copy = TestDatabase::create(&server_url).await;
    let dir = tempfile::tempdir().unwrap();
    let options = ["--database-url", original.url.as_str()];
    let admin = new_registry(dir.path(), &options);
    {
        let server = ServerProcess::start_with(dir.path(), &options);
        let channel = server.channel().await;
        for name in ["raw", "clean", "mixed"] {
            register_named(&channel, &admin, name).await.unwrap();
        }
        sign_checkpoint(&channel).await;
    }
    let dump = Command::new("pg_dump")
        .args(["--no-owner", "--dbname", &original.url])
        .output()
        .expect("pg_dump");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut psql = Command::new("psql")
        .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", &copy.url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    std::io::Write::write_all(&mut psql.stdin.take().unwrap(), &dump.stdout).unwrap();
    assert!(psql.wait().unwrap().success());

    let copied = ["--database-url", copy.url.as_str()];
    let verified = run_command(dir.path(), &copied, &["admin", "verify"]);
    assert!(verified.contains("checkpoint of"), "{verified}");

    let mut connection = sqlx::PgConnection::connect(&copy.url).await.unwrap();
    sqlx::raw_sql(
        "ALTER TABLE events DISABLE TRIGGER ALL; \
         UPDATE events SET subject = subject || 'x' WHERE sequence = 2; \
         ALTER TABLE events ENABLE TRIGGER ALL;",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    let refusal = refused(dir.path(), &copied, &["admin", "verify"]);
    assert!(
        refusal.contains("event chain") && refusal.contains("event 2 has a hash"),
        "{refusal}"
    );
    // A PostgreSQL registry is backed up with its own tools: admin backup says so.
    let backup = refused(
        dir.path(),
        &options,
        &["admin", "backup", dir.path().join("b").to_str().unwrap()],
    );
    assert!(backup.contains("pg_dump"), "{backup}");
}
