//! The test harness of the provctl suites: the real server in-process on a free port, and the
//! real `provctl` binary run as a user or a script would run it, exit codes included.

// Each suite is its own crate and uses only part of the harness.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use provenance_registry::config::{CommonSettings, ServeSettings};
use provenance_registry::server::Application;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A running registry with one organisation and its admin token.
pub struct Registry {
    pub url: String,
    pub admin_token: String,
    /// The organisation the admin token belongs to.
    pub org_id: String,
    registry: provenance_registry::registry::Registry,
    /// A gRPC channel to the server, for setting up large lineages quickly.
    channel: tonic::transport::Channel,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
    /// The data directory: a temporary one of its own, or one the test keeps (`start_at`).
    data_dir: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// Where [`Registry::start_at`] keeps its state, and the organisation it serves.
pub struct Place<'a> {
    /// The data directory (keys, and the SQLite database unless `database_url` is given).
    pub data_dir: &'a Path,
    /// A PostgreSQL database instead of SQLite.
    pub database_url: Option<String>,
    /// The organisation and admin token of an earlier start on the same data; `None` bootstraps
    /// one.
    pub admin: Option<(String, String)>,
}

impl Registry {
    pub async fn start() -> TestResult<Self> {
        Self::start_with(ServeSettings::default()).await
    }

    /// A registry serving with `serve` (on a free loopback port, whatever its `listen`); its `url`
    /// is `https://localhost:PORT` when `serve` names a TLS certificate.
    pub async fn start_with(serve: ServeSettings) -> TestResult<Self> {
        Self::start_configured(serve, None).await
    }

    /// A registry that publishes `public_url` as its address (`--public-url`), so that its
    /// certificates carry a status list position.
    pub async fn start_published(public_url: &str) -> TestResult<Self> {
        Self::start_configured(ServeSettings::default(), Some(public_url.to_owned())).await
    }

    async fn start_configured(
        serve: ServeSettings,
        public_url: Option<String>,
    ) -> TestResult<Self> {
        let dir = tempfile::tempdir()?;
        let common = CommonSettings {
            public_url,
            ..CommonSettings::for_data_dir(dir.path().to_path_buf())
        };
        Self::launch(serve, common, None, Some(dir)).await
    }

    /// A registry on data the test keeps between starts (to restart it, or copy it).
    pub async fn start_at(serve: ServeSettings, place: Place<'_>) -> TestResult<Self> {
        let common = CommonSettings {
            database_url: place.database_url,
            ..CommonSettings::for_data_dir(place.data_dir.to_path_buf())
        };
        Self::launch(serve, common, place.admin, None).await
    }

    async fn launch(
        serve: ServeSettings,
        common: CommonSettings,
        admin: Option<(String, String)>,
        dir: Option<tempfile::TempDir>,
    ) -> TestResult<Self> {
        let serve = ServeSettings {
            listen: "127.0.0.1:0".parse()?,
            ..serve
        };
        let tls = serve.tls_cert.is_some();
        let app = Application::build(&common, &serve).await?;
        let addr = app.local_addr()?;
        let registry = app.registry().clone();
        let (org_id, admin_token) = match admin {
            Some(admin) => admin,
            None => {
                let (org, token, _record) =
                    registry.bootstrap_organization("Acme".into(), None).await?;
                (org.id.to_string(), token)
            }
        };
        let (stop, stop_rx) = oneshot::channel::<()>();
        // Bound before `run_until` starts, so provctl may connect at once.
        let server = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        let channel =
            tonic::transport::Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
        Ok(Self {
            url: if tls {
                format!("https://localhost:{}", addr.port())
            } else {
                format!("http://{addr}")
            },
            admin_token,
            org_id,
            registry,
            channel,
            stop,
            server,
            data_dir: common.data_dir.clone(),
            _dir: dir,
        })
    }

    /// The server's data directory (its key files are there).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The registry behind the server.
    pub fn registry(&self) -> &provenance_registry::registry::Registry {
        &self.registry
    }

    /// Bootstraps another organisation, as its operator would; returns its id and admin token.
    pub async fn another_organization(&self, name: &str) -> TestResult<(String, String)> {
        let (org, token, _record) = self
            .registry
            .bootstrap_organization(name.into(), None)
            .await?;
        Ok((org.id.to_string(), token))
    }

    /// An operator token, as `provenance-registry admin operator-token` prints it.
    pub async fn operator_token(&self) -> TestResult<String> {
        Ok(self.registry.operator_token(None).await?.0)
    }

    /// `message` as a gRPC request carrying the admin token.
    fn as_admin<T>(&self, message: T) -> TestResult<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.admin_token).parse()?,
        );
        Ok(request)
    }

    /// Registers a dataset over gRPC with the admin token, made from `parents` and from the output
    /// of each of `models`; its id. Quicker than a provctl run, for building large lineages.
    pub async fn register_fast(
        &self,
        name: &str,
        parents: &[String],
        models: &[&str],
    ) -> TestResult<String> {
        use provenance_registry::proto::v1 as pb;
        let mut client =
            pb::dataset_service_client::DatasetServiceClient::new(self.channel.clone());
        let sources = parents
            .iter()
            .map(|parent| pb::Source {
                kind: pb::SourceKind::Dataset as i32,
                dataset_id: parent.clone(),
                ..Default::default()
            })
            .chain(models.iter().map(|model| pb::Source {
                kind: pb::SourceKind::ModelGenerated as i32,
                model: Some(pb::ModelRef {
                    model_id: (*model).to_owned(),
                    ..Default::default()
                }),
                ..Default::default()
            }))
            .collect();
        let request = self.as_admin(pb::RegisterDatasetRequest {
            name: name.into(),
            version: "1".into(),
            content_digest: digest_of(name),
            sources,
            ..Default::default()
        })?;
        let answer = client.register_dataset(request).await?.into_inner();
        Ok(answer.dataset.map(|d| d.id).unwrap_or_default())
    }

    /// How many datasets the admin's organisation holds, counted over gRPC.
    pub async fn dataset_count(&self) -> TestResult<usize> {
        use provenance_registry::proto::v1 as pb;
        let mut client =
            pb::dataset_service_client::DatasetServiceClient::new(self.channel.clone());
        let (mut count, mut page_token) = (0, String::new());
        loop {
            let request = self.as_admin(pb::ListDatasetsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })?;
            let page = client.list_datasets(request).await?.into_inner();
            count += page.datasets.len();
            if page.next_page_token.is_empty() {
                return Ok(count);
            }
            page_token = page.next_page_token;
        }
    }

    /// Records the admin's attestation of `dataset` under the built-in policy over gRPC.
    pub async fn attest_fast(&self, dataset: &str) -> TestResult<String> {
        use provenance_registry::proto::v1 as pb;
        let mut client =
            pb::attestation_service_client::AttestationServiceClient::new(self.channel.clone());
        let request = self.as_admin(pb::RecordAttestationRequest {
            dataset_id: dataset.into(),
            policy_id: "deepseek-r1-anti-distillation".into(),
            method: pb::AttestationMethod::ManualReview as i32,
            statement: "Reviewed: no model outputs.".into(),
            evidence: vec![pb::Evidence {
                uri: "https://example.org/review.pdf".into(),
                content_digest: digest_of("review"),
                ..Default::default()
            }],
            ..Default::default()
        })?;
        Ok(client.record_attestation(request).await?.into_inner().id)
    }

    /// Runs provctl with the admin token.
    pub async fn run(&self, args: &[&str]) -> TestResult<Run> {
        self.run_with(Some(&self.admin_token), args).await
    }

    /// Runs provctl with `token` (or none) in its environment.
    pub async fn run_with(&self, token: Option<&str>, args: &[&str]) -> TestResult<Run> {
        let command = provctl(&self.url, token, args);
        // A blocking wait must not hold a runtime worker the server may need.
        let output = tokio::task::spawn_blocking(move || run_to_end(command)).await??;
        let run = Run::from(output);
        // Whatever happens, the caller's token must never be echoed back.
        if let Some(token) = token {
            assert!(
                !run.stdout.contains(token) && !run.stderr.contains(token),
                "provctl {args:?} printed the token"
            );
        }
        Ok(run)
    }

    pub async fn stop(self) -> TestResult {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}

/// The command line of a provctl run, with an environment of its own.
pub fn provctl(url: &str, token: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provctl"));
    command
        .args(args)
        .env_remove("PROVENANCE_TOKEN")
        .env_remove("PROVENANCE_CONFIG")
        .env_remove("PROVENANCE_PROFILE")
        // No config file of the machine's user may leak into a test; the config tests give theirs.
        .env("XDG_CONFIG_HOME", "/nonexistent/provctl-tests")
        .env("PROVENANCE_URL", url)
        .stdin(Stdio::null());
    if let Some(token) = token {
        command.env("PROVENANCE_TOKEN", token);
    }
    command
}

pub fn run_to_end(mut command: Command) -> std::io::Result<Output> {
    command.output()
}

/// What a run printed and how it exited.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing everything printed if it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn ok(self) -> Self {
        self.expect_code(0)
    }

    pub fn json(&self) -> TestResult<Value> {
        Ok(serde_json::from_str(&self.stdout)?)
    }
}

pub fn digest_of(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Registers a dataset and returns its id (`-q`).
pub async fn register(registry: &Registry, name: &str, sources: &[&str]) -> TestResult<String> {
    let digest = digest_of(name);
    let mut args = vec![
        "dataset",
        "register",
        "-q",
        "--name",
        name,
        "--version",
        "1",
        "--digest",
        &digest,
    ];
    for source in sources {
        args.extend(["--source", source]);
    }
    let run = registry.run(&args).await?.ok();
    Ok(run.stdout.trim().to_owned())
}

/// `--evidence` of a review report whose bytes are `text`.
pub fn evidence_of(text: &str) -> String {
    format!("https://example.org/reviews/{text}.pdf={}", digest_of(text))
}

/// Registers `base` (written by people) and `derived` (made from it), attests both, and returns
/// the id of `derived`, whose lineage is then CLEAN.
pub async fn clean_dataset(registry: &Registry) -> TestResult<String> {
    let base = register(registry, "base", &["human"]).await?;
    let derived = register(registry, "derived", &[&format!("dataset={base}")]).await?;
    for (id, name) in [(&base, "base"), (&derived, "derived")] {
        registry
            .run(&[
                "attest",
                "record",
                id,
                "-q",
                "--method",
                "process-audit",
                "--evidence",
                &evidence_of(name),
                "--statement",
                "written by our annotators; no model output",
            ])
            .await?
            .ok();
    }
    registry.run(&["policy", "evaluate", &derived]).await?.ok();
    Ok(derived)
}

/// The value of the `label:` line of a text answer.
pub fn field(run: &Run, label: &str) -> TestResult<String> {
    let prefix = format!("{label}:");
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| format!("no {label}: line in\n{}", run.stdout).into())
}

/// Runs provctl where no server listens, with no token: what works must work without the network.
pub async fn run_without_network(args: &[&str]) -> TestResult<Run> {
    // Bind, then drop, to find a port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let command = provctl(&format!("http://127.0.0.1:{port}"), None, args);
    Ok(Run::from(
        tokio::task::spawn_blocking(move || run_to_end(command)).await??,
    ))
}

/// A temporary file's path as a command-line argument.
pub fn path_str(path: &Path) -> TestResult<&str> {
    path.to_str()
        .ok_or_else(|| format!("not UTF-8: {}", path.display()).into())
}

/// A certificate authority made at run time.
pub fn authority(name: &str) -> TestResult<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    Ok(CertifiedIssuer::self_signed(params, KeyPair::generate()?)?)
}

/// A certificate signed by `ca` for `names` (empty for a client): its PEM, its key's PEM, and the
/// SHA-256 of its DER bytes.
pub fn issue(
    ca: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
) -> TestResult<(String, String, String)> {
    let key = KeyPair::generate()?;
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    let cert = params.signed_by(&key, ca)?;
    Ok((
        cert.pem(),
        key.serialize_pem(),
        hex::encode(Sha256::digest(cert.der())),
    ))
}
