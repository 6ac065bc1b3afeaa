//! What the operator sees and cannot get wrong by accident: admin commands that refuse to make a
//! registry where there is none, the database's record of the key files, one log line per call,
//! and plain text in logs that are not a terminal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use provenance_registry::proto::v1 as pb;

use crate::helpers::*;
use crate::process::{ServerProcess, create_org_with, run_command};
use crate::support_postgres::{self, TestDatabase};

const BINARY: &str = env!("CARGO_BIN_EXE_provenance-registry");

/// Runs `provenance-registry --data-dir DIR ARGS` to its end, whatever the outcome.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run the command")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_admin_command_where_there_is_no_registry_refuses_says_where_it_looked_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let database = format!("sqlite://{}", dir.join("registry.db").display());

    // No data directory: refused, naming the directory and database, and how to create one.
    for args in [
        &["admin", "create-org", "Acme"][..],
        &["admin", "operator-token"],
        &["keys", "rotate"],
    ] {
        let refused = run(&dir, args);
        assert!(!refused.status.success(), "{args:?}");
        let message = stderr(&refused);
        assert!(
            message.contains(&format!("data directory {}", dir.display()))
                && message.contains(&database)
                && message.contains("does not exist")
                && message.contains("--init"),
            "{args:?}: {message}"
        );
        assert!(refused.stdout.is_empty(), "no token printed: {args:?}");
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
    let listed = run(&dir, &["keys", "list"]);
    assert!(!listed.status.success());
    assert!(stderr(&listed).contains("no signing key file"));
    assert!(!dir.exists());

    // An empty directory (the wrong one, or one made by hand) holds no registry either.
    std::fs::create_dir(&dir).unwrap();
    let refused = run(&dir, &["admin", "create-org", "Acme"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("holds no registry") && stderr(&refused).contains(&database),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing created"
    );

    // Asked to, it creates the registry; from then on no --init is needed.
    let created = run(&dir, &["admin", "create-org", "--init", "Acme"]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stderr(&created).contains(&format!(
        "data directory {}, database {database}",
        dir.display()
    )));
    for file in [
        "registry.db",
        "access-token.key",
        "signing-keys.json",
        "log-signing.key",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let again = run(&dir, &["admin", "create-org", "Globex"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("admin_token: "));
    assert!(stderr(&again).contains(&database));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_whose_key_files_are_not_the_registrys_refuses_to_start_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_, admin) = create_org_with(dir.path(), &[], "Acme");
    let access = dir.path().join("access-token.key");
    let signing = dir.path().join("signing-keys.json");
    let original_signing = std::fs::read(&signing).unwrap();

    // Keys rotated through the command are recorded: the server starts, and the admin token works.
    run_command(dir.path(), &[], &["keys", "rotate"]);
    {
        let server = ServerProcess::start_with(dir.path(), &[]);
        OrganizationServiceClient::new(server.channel().await)
            .get_organization(authed(&admin, pb::GetOrganizationRequest::default()))
            .await
            .expect("the admin token works after a rotation");
    }

    // A copy of the file from before the rotation is out of date.
    let rotated = std::fs::read(&signing).unwrap();
    write_private(&signing, &original_signing);
    let refused = ServerProcess::try_start_with(dir.path(), &[])
        .err()
        .expect("an out-of-date signing key file is refused");
    assert!(
        refused.contains(&signing.display().to_string()) && refused.contains("out of date"),
        "{refused}"
    );
    write_private(&signing, &rotated);

    // Another access-token secret (a data directory of another registry, say) is refused, naming
    // the file and where the registry's was recorded from; nothing is served with it.
    write_private(&access, format!("{}\n", "ab".repeat(32)).as_bytes());
    let refused = ServerProcess::try_start_with(dir.path(), &[])
        .err()
        .expect("another access-token secret is refused");
    assert!(
        refused.contains(&format!("{} holds other keys", access.display()))
            && refused.contains(&format!(":{}", access.display())),
        "{refused}"
    );
    let admin_command = run(dir.path(), &["admin", "operator-token"]);
    assert!(!admin_command.status.success());
    assert!(stderr(&admin_command).contains("holds other keys"));

    // The operator who replaced the key on purpose records it; the server then starts.
    let recorded = run_command(dir.path(), &[], &["admin", "record-keys"]);
    assert_eq!(recorded.lines().count(), 3, "{recorded}");
    assert!(!recorded.contains(&"ab".repeat(32)), "never the secret");
    ServerProcess::start_with(dir.path(), &[]);
}

fn write_private(path: &Path, content: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The JSON log entries of `server` whose message is `message`.
fn entries(server: &ServerProcess, message: &str) -> Vec<serde_json::Value> {
    server
        .log()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["fields"]["message"] == message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_is_one_info_line_with_method_caller_status_and_duration_and_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let (org, admin) = create_org_with(dir.path(), &[], "Acme");
    let server = ServerProcess::start_with_env(dir.path(), &[], &[("RUST_LOG", "info")]);
    let started = entries(&server, "serving provenance.v1");
    assert_eq!(started.len(), 1, "{}", server.log());
    let fields = &started[0]["fields"];
    assert_eq!(fields["tls"], "off");
    assert_eq!(fields["mutual_tls"], "off");
    assert_eq!(
        fields["database"],
        format!("sqlite://{}", dir.path().join("registry.db").display())
    );

    let channel = server.channel().await;
    OrganizationServiceClient::new(channel.clone())
        .get_organization(authed(
            &admin,
            pb::GetOrganizationRequest { id: org.clone() },
        ))
        .await
        .unwrap();
    let refused = OrganizationServiceClient::new(channel.clone())
        .get_organization(authed(
            "not-a-token",
            pb::GetOrganizationRequest { id: org.clone() },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    server.wait_for_log_count("\"message\":\"call\"", 2, Duration::from_secs(10));

    let calls = entries(&server, "call");
    assert_eq!(calls.len(), 2, "one line per call: {}", server.log());
    let served = &calls[0];
    assert_eq!(served["level"], "INFO");
    assert_eq!(
        served["fields"]["method"],
        "provenance.v1.OrganizationService/GetOrganization"
    );
    assert_eq!(served["fields"]["organization"], org.as_str());
    assert_eq!(served["fields"]["role"], "admin");
    assert_eq!(served["fields"]["status"], "OK");
    assert!(
        served["fields"]["duration_ms"]
            .as_f64()
            .is_some_and(|ms| ms >= 0.0)
    );
    let unauthenticated = &calls[1]["fields"];
    assert_eq!(unauthenticated["status"], "UNAUTHENTICATED");
    assert_eq!(unauthenticated["organization"], "-");
    assert_eq!(unauthenticated["role"], "-");
    let log = server.log();
    let signature = admin.rsplit('.').next().unwrap();
    assert!(
        !log.contains(signature) && !log.contains("not-a-token"),
        "{log}"
    );
}

#[test]
fn the_pretty_log_of_a_server_writing_to_a_pipe_has_no_colours() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "pretty",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let started = loop {
        let Some(Ok(line)) = lines.next() else {
            break None;
        };
        seen.push(line.clone());
        if line.contains("serving provenance.v1") {
            break Some(line);
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let started = started.unwrap_or_else(|| panic!("the server did not start: {seen:?}"));
    assert!(
        seen.iter().all(|line| !line.contains('\u{1b}')),
        "ANSI escapes in a pipe: {seen:?}"
    );
    assert!(
        started.contains("tls=off") && started.contains("mutual_tls=off"),
        "{started}"
    );
}

#[tokio::test]
async fn admin_commands_on_postgresql_print_where_they_work_and_no_database_notices() {
    let Some(server) = support_postgres::server_url() else {
        return;
    };
    let database = TestDatabase::create(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let options = ["--database-url", database.url.as_str()];
    // A database without a registry is refused like a missing directory.
    let refused = run(
        dir.path(),
        &[&options[..], &["admin", "operator-token"]].concat(),
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("holds no registry"),
        "{}",
        stderr(&refused)
    );
    create_org_with(dir.path(), &options, "Acme");
    // The second run is the one PostgreSQL would send notices for (the migrations' tables exist).
    let output = run(
        dir.path(),
        &[&options[..], &["admin", "operator-token"]].concat(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    let name = database.url.rsplit('/').next().unwrap();
    assert!(
        message.starts_with(&format!(
            "data directory {}, database postgres://",
            dir.path().display()
        )) && message.contains(&format!("/{name}")),
        "{message}"
    );
    assert!(
        !message.contains("sqlx")
            && !message.contains("already exists")
            && !message.contains("INFO"),
        "{message}"
    );
}
