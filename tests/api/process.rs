//! The server as a process: the admin command, restarts and graceful shutdown (`kill -9`: crash.rs).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use provenance_registry::proto::v1 as pb;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::events::assert_chain_verifies;
use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_provenance-registry");

/// Runs `provenance-registry admin create-org --init NAME` on `dir`; returns the org id and admin
/// token.
fn create_org(dir: &Path, name: &str) -> (String, String) {
    create_org_with(dir, &[], name)
}

/// Runs `provenance-registry --data-dir DIR [OPTIONS] ARGS` to its end; returns what it printed on
/// standard output, and fails the test with its standard error if it failed.
pub fn run_command(dir: &Path, options: &[&str], args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(["--data-dir"])
        .arg(dir)
        .args(options)
        .args(args)
        .output()
        .expect("run the command");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `provenance-registry [OPTIONS] admin operator-token` on `dir`; returns the token.
pub fn operator_token_with(dir: &Path, options: &[&str]) -> String {
    run_command(dir, options, &["admin", "operator-token"])
        .trim()
        .to_owned()
}

/// Runs `provenance-registry [OPTIONS] admin create-org --init NAME` on `dir` (creating the registry
/// if it does not exist yet, as a deployment's first command does); returns the org id and admin
/// token.
pub fn create_org_with(dir: &Path, options: &[&str], name: &str) -> (String, String) {
    let text = run_command(dir, options, &["admin", "create-org", "--init", name]);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_owned()
    };
    (field("organization_id"), field("admin_token"))
}

/// A server process on `dir`, listening on a free port, with the address it logged.
pub struct ServerProcess {
    child: Child,
    addr: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServerProcess {
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// Starts `provenance-registry serve` on `dir` with further `options`.
    pub fn start_with(dir: &Path, options: &[&str]) -> Self {
        Self::start_with_env(dir, options, &[])
    }

    /// Starts `provenance-registry serve` on `dir` with further `options` and environment.
    pub fn start_with_env(dir: &Path, options: &[&str], env: &[(&str, &str)]) -> Self {
        Self::try_start_with_env(dir, options, env)
            .unwrap_or_else(|log| panic!("the server exited before serving: {log}"))
    }

    /// Starts `provenance-registry serve` on `dir` with further `options`; what it logged when it
    /// exits before serving.
    pub fn try_start_with(dir: &Path, options: &[&str]) -> Result<Self, String> {
        Self::try_start_with_env(dir, options, &[])
    }

    fn try_start_with_env(
        dir: &Path,
        options: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let mut child = Command::new(BINARY)
            .envs(env.iter().copied())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--data-dir",
            ])
            .arg(dir)
            .args(options)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let addr = loop {
            let Some(line) = lines.next() else {
                // Standard error closed: the process is exiting without having served.
                let _ = child.wait();
                return Err(log.lock().unwrap().join("\n"));
            };
            let line = line.unwrap();
            log.lock().unwrap().push(line.clone());
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if let Some(addr) = entry["fields"]["address"].as_str() {
                break addr.to_owned();
            }
        };
        // Keep reading the log so the server never blocks on a full pipe.
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        Ok(Self { child, addr, log })
    }

    /// The address it serves on.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Its peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status")
    }

    /// Everything it has logged so far, one line per entry.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }

    /// A channel to it.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Sends `signal` (e.g. `KILL`, `TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until it has logged `needle` `count` times, failing the test after `limit`.
    pub fn wait_for_log_count(&self, needle: &str, count: usize, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while self.log().matches(needle).count() < count {
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not log {needle:?} within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the process to exit, failing the test if it takes longer than `limit`.
    pub fn wait(mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    /// A failing test must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn datasets_and_the_event_chain_survive_a_restart() {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let clean = app.register(&app.admin, derived("clean", &[&raw])).await;
    let events_before = app.all_events(&app.operator).await;

    let app = app.restart().await;
    let read = app
        .datasets()
        .get_dataset(authed(
            &app.admin,
            pb::GetDatasetRequest {
                id: clean.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, clean);
    let events_after = app.all_events(&app.operator).await;
    assert_eq!(events_after, events_before);
    // The chain goes on from where it was.
    app.register(&app.admin, dataset("after-restart")).await;
    assert_chain_verifies(&app.all_events(&app.operator).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_open_event_streams_and_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, admin) = create_org(dir.path(), "Acme");
    let server = ServerProcess::start(dir.path());
    let channel = server.channel().await;
    let mut watch = EventServiceClient::new(channel.clone())
        .watch_events(authed(&admin, pb::WatchEventsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    // Read the backlog (the organisation's creation and its token) so the stream is live.
    watch.next().await.unwrap().unwrap();
    watch.next().await.unwrap().unwrap();

    server.signal("TERM");
    // The stream ends rather than hanging, and the process exits with success.
    let end = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the stream ended");
    assert!(end.is_none_or(|item| item.is_err()));
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_leaves_a_plaintext_server_serving_and_says_there_is_nothing_to_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (org, admin) = create_org(dir.path(), "Acme");
    let mut server = ServerProcess::start(dir.path());
    let channel = server.channel().await;
    for round in 1..=2 {
        server.signal("HUP");
        server.wait_for_log_count("SIGHUP: nothing to reload", round, Duration::from_secs(10));
        assert!(server.is_running(), "SIGHUP ended the server");
        // The connection made before the signal still answers.
        let read = OrganizationServiceClient::new(channel.clone())
            .get_organization(authed(
                &admin,
                pb::GetOrganizationRequest { id: org.clone() },
            ))
            .await
            .expect("still serving after SIGHUP")
            .into_inner();
        assert_eq!(read.name, "Acme");
    }
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_tls_certificate_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let write_certificate = || {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(files.path().join("cert.pem"), certified.cert.pem()).unwrap();
        std::fs::write(
            files.path().join("key.pem"),
            certified.signing_key.serialize_pem(),
        )
        .unwrap();
    };
    write_certificate();
    let cert = files.path().join("cert.pem");
    let key = files.path().join("key.pem");
    let mut server = ServerProcess::start_with(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    // The start-up line says so.
    assert!(
        server
            .log()
            .lines()
            .any(|line| line.contains("serving provenance.v1")
                && line.contains("\"tls\":\"on\"")
                && line.contains("\"mutual_tls\":\"off\"")),
        "{}",
        server.log()
    );
    server.signal("HUP");
    server.wait_for_log_count(
        "SIGHUP: reloading the TLS certificate",
        1,
        Duration::from_secs(10),
    );
    server.wait_for_log_count("TLS certificate loaded", 1, Duration::from_secs(10));
    assert!(server.is_running(), "SIGHUP ended the server");
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_hears_of_what_the_admin_command_commits_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    create_org(dir.path(), "Acme");
    let operator = operator_token_with(dir.path(), &[]);
    let server = ServerProcess::start(dir.path());
    let channel = server.channel().await;
    let backlog = all_events(&channel, &operator).await;
    let mut watch = EventServiceClient::new(channel.clone())
        .watch_events(authed(
            &operator,
            pb::WatchEventsRequest {
                after_sequence: backlog[backlog.len() - 2].sequence,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // The last event of the backlog: the watcher has read the log and now waits.
    let last = watch.next().await.unwrap().unwrap();
    assert_eq!(&last, backlog.last().unwrap());

    // Another process writes to the same SQLite file; the server learns of it by looking.
    let (org_id, _) = create_org(dir.path(), "Globex");
    let seen = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the watcher hears of it within seconds")
        .expect("the stream is open")
        .expect("an event");
    assert_eq!(seen.r#type, "organization.created");
    assert_eq!(seen.subject, format!("organizations/{org_id}"));
}

#[tokio::test]
async fn a_new_data_directory_is_created_with_private_key_files() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested/data");
    create_org(&dir, "Acme");
    let key = std::fs::metadata(dir.join("access-token.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    assert!(dir.join("registry.db").exists());
    let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        dir_mode, 0o700,
        "the data directory is private to the service's user"
    );
}

#[test]
fn a_bad_policy_file_stops_the_server_at_start_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let builtin = include_str!("../../policies/deepseek-r1.toml");
    let tampered = builtin
        .replace(
            "id = \"deepseek-r1-anti-distillation\"",
            "id = \"tampered\"",
        )
        .replace(
            "improve any other large language model",
            "improve any large language model",
        );
    std::fs::write(policies.join("tampered.toml"), tampered).unwrap();
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--policy-dir")
        .arg(&policies)
        .output()
        .expect("run the server");
    assert!(
        !output.status.success(),
        "the server started with a bad policy"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tampered.toml") && stderr.contains("clause_sha256"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_policy_directory_adds_versions_that_requests_must_then_choose_between() {
    let policies = tempfile::tempdir().unwrap();
    let builtin = include_str!("../../policies/deepseek-r1.toml");
    std::fs::write(
        policies.path().join("next.toml"),
        builtin.replace("version = \"2026-05-12\"", "version = \"2027-01-01\""),
    )
    .unwrap();
    let app = spawn_app_configured(Default::default(), Some(policies.path().to_path_buf())).await;
    let listed = app
        .policies()
        .list_policies(authed(&app.admin, pb::ListPoliciesRequest {}))
        .await
        .unwrap()
        .into_inner();
    // The other built-in policies are listed too; this one's versions are what the test is about.
    let versions: Vec<(String, bool)> = listed
        .policies
        .iter()
        .filter(|p| p.id == crate::policies::POLICY)
        .map(|p| (p.version.clone(), p.builtin))
        .collect();
    assert_eq!(
        versions,
        [
            ("2026-05-12".to_owned(), true),
            ("2027-01-01".to_owned(), false)
        ]
    );
    let request = pb::GetPolicyRequest {
        id: crate::policies::POLICY.into(),
        version: String::new(),
    };
    assert_status(
        app.policies().get_policy(authed(&app.admin, request)).await,
        tonic::Code::InvalidArgument,
        "version: is required",
    );
}
