//! A real server per test: fresh data directory, free port, real gRPC clients.

use provenance_registry::config::{CommonSettings, ServeSettings};
use provenance_registry::proto::v1 as pb;
use provenance_registry::registry::Registry;
use provenance_registry::server::Application;
use std::io::Write;

use crate::support_postgres::{self, TestDatabase};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

pub use pb::attestation_service_client::AttestationServiceClient;
pub use pb::dataset_service_client::DatasetServiceClient;
pub use pb::event_service_client::EventServiceClient;
pub use pb::lineage_service_client::LineageServiceClient;
pub use pb::organization_service_client::OrganizationServiceClient;
pub use pb::policy_service_client::PolicyServiceClient;

/// A running server and the first organisation made on it.
pub struct TestApp {
    /// Where the server listens.
    pub addr: std::net::SocketAddr,
    /// Where it serves `/metrics`, when `--metrics-listen` is set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub dir: TempDir,
    pub registry: Registry,
    pub channel: Channel,
    /// The organisation bootstrapped with the server.
    pub org_id: String,
    /// Its admin token.
    pub admin: String,
    /// An operator token.
    pub operator: String,
    /// The PostgreSQL database it serves, when the suite runs on PostgreSQL.
    pub database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Starts a server on a fresh data directory with one organisation, "Acme".
pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServeSettings::default()).await
}

/// Starts a server with the given bounds, with one organisation, "Acme", and an operator token.
pub async fn spawn_app_with(settings: ServeSettings) -> TestApp {
    spawn_app_configured(settings, None).await
}

/// Starts a server with the given bounds and policy directory.
pub async fn spawn_app_configured(
    settings: ServeSettings,
    policy_dir: Option<std::path::PathBuf>,
) -> TestApp {
    spawn_app_public(settings, policy_dir, None).await
}

/// Starts a server with the given bounds and policy directory that publishes `public_url`
/// (`--public-url`) as its address.
pub async fn spawn_app_public(
    settings: ServeSettings,
    policy_dir: Option<std::path::PathBuf>,
    public_url: Option<String>,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let common = CommonSettings {
        policy_dir,
        public_url,
        ..CommonSettings::for_data_dir(dir.path().to_path_buf())
    };
    let mut app = start(dir, settings, common, fresh_database().await).await;
    let (org, admin, _) = app
        .registry
        .bootstrap_organization("Acme".into(), None)
        .await
        .expect("bootstrap organisation");
    app.org_id = org.id.to_string();
    app.admin = admin;
    app.operator = app
        .registry
        .operator_token(None)
        .await
        .expect("operator token")
        .0;
    app
}

/// The database of a new test app: `None` for SQLite in the data directory, or a fresh PostgreSQL
/// database when `TEST_API_BACKEND=postgres`.
pub async fn fresh_database() -> Option<TestDatabase> {
    match std::env::var("TEST_API_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => None,
        Ok("postgres") => {
            let server = support_postgres::server_url()
                .expect("TEST_API_BACKEND=postgres needs TEST_POSTGRES_URL");
            Some(TestDatabase::create(&server).await)
        }
        Ok(other) => panic!("unknown TEST_API_BACKEND {other:?}: expected sqlite or postgres"),
    }
}

async fn start(
    dir: TempDir,
    mut settings: ServeSettings,
    common: CommonSettings,
    database: Option<TestDatabase>,
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = provenance_registry::telemetry::init(
            provenance_registry::config::LogFormat::Pretty,
            None,
        );
    }
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let common = CommonSettings {
        database_url: database.as_ref().map(|d| d.url.clone()),
        ..common
    };
    let app = Application::build(&common, &settings)
        .await
        .expect("server builds");
    let addr = app.local_addr().unwrap();
    let metrics_addr = app.metrics_addr();
    let registry = app.registry().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect to the test server");
    TestApp {
        addr,
        metrics_addr,
        dir,
        registry,
        channel,
        org_id: String::new(),
        admin: String::new(),
        operator: String::new(),
        database,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub fn orgs(&self) -> OrganizationServiceClient<Channel> {
        OrganizationServiceClient::new(self.channel.clone())
    }
    pub fn datasets(&self) -> DatasetServiceClient<Channel> {
        DatasetServiceClient::new(self.channel.clone())
    }
    pub fn lineage(&self) -> LineageServiceClient<Channel> {
        LineageServiceClient::new(self.channel.clone())
    }
    pub fn events(&self) -> EventServiceClient<Channel> {
        EventServiceClient::new(self.channel.clone())
    }
    pub fn policies(&self) -> PolicyServiceClient<Channel> {
        PolicyServiceClient::new(self.channel.clone())
    }
    pub fn attestations(&self) -> AttestationServiceClient<Channel> {
        AttestationServiceClient::new(self.channel.clone())
    }
    pub fn certificates(
        &self,
    ) -> pb::certificate_service_client::CertificateServiceClient<Channel> {
        pb::certificate_service_client::CertificateServiceClient::new(self.channel.clone())
    }

    /// Stops the server gracefully and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ran cleanly");
        }
    }

    /// Stops the server and starts a new one on the same data directory (on a new port).
    pub async fn restart(self) -> TestApp {
        self.restart_with(ServeSettings::default()).await
    }

    /// [`Self::restart`] with other settings.
    pub async fn restart_with(mut self, settings: ServeSettings) -> TestApp {
        self.stop().await;
        let (org_id, admin, operator) = (
            self.org_id.clone(),
            self.admin.clone(),
            self.operator.clone(),
        );
        let database = self.database.take();
        let common = CommonSettings::for_data_dir(self.dir.path().to_path_buf());
        let mut app = start(self.dir, settings, common, database).await;
        app.org_id = org_id;
        app.admin = admin;
        app.operator = operator;
        app
    }

    /// Runs `provenance-registry ARGS` on its data directory and database, as an operator on the
    /// server machine would; returns what it printed on standard output.
    pub fn run_command(&self, args: &[&str]) -> String {
        let options: Vec<&str> = match &self.database {
            Some(database) => vec!["--database-url", database.url.as_str()],
            None => Vec::new(),
        };
        crate::process::run_command(self.dir.path(), &options, args)
    }

    /// The URL of its SQLite database, for tests that reach into the file; `None` (saying the test
    /// is skipped) when the suite runs on PostgreSQL.
    pub fn sqlite_url(&self) -> Option<String> {
        if self.database.is_some() {
            let _ = writeln!(
                std::io::stderr(),
                "skipped on PostgreSQL: this test reaches into the SQLite file"
            );
            return None;
        }
        Some(format!(
            "sqlite://{}",
            self.dir.path().join("registry.db").display()
        ))
    }

    /// A token of `role` for the bootstrapped organisation.
    pub async fn token(&self, role: pb::Role) -> String {
        token_for(self, &self.admin, role).await
    }

    /// A second organisation with an admin token, made by the operator.
    pub async fn other_org(&self, name: &str) -> (String, String) {
        let (org, admin, _) = self
            .registry
            .bootstrap_organization(name.into(), None)
            .await
            .unwrap();
        (org.id.to_string(), admin)
    }

    /// Registers `request` with `token`, expecting success.
    pub async fn register(&self, token: &str, request: pb::RegisterDatasetRequest) -> pb::Dataset {
        self.datasets()
            .register_dataset(authed(token, request))
            .await
            .expect("registration succeeds")
            .into_inner()
            .dataset
            .expect("dataset in the answer")
    }

    /// Every dataset `token` can list.
    pub async fn all_datasets(&self, token: &str) -> Vec<pb::Dataset> {
        let client = self.datasets();
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
    }

    /// Every event `token` can list.
    pub async fn all_events(&self, token: &str) -> Vec<pb::Event> {
        all_events(&self.channel, token).await
    }

    /// What a caller could observe of the registry's state: every dataset and event the operator
    /// sees. Compared before and after a refused call to prove nothing changed.
    pub async fn snapshot(&self) -> (Vec<pb::Dataset>, Vec<pb::Event>) {
        (
            self.all_datasets(&self.operator).await,
            self.all_events(&self.operator).await,
        )
    }
}

/// Follows page tokens from the first page to the last; `fetch` maps a page token to the page's
/// items and the next token.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Vec<T>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, String)>,
{
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let (items, next) = fetch(page_token).await;
        all.extend(items);
        if next.is_empty() {
            return all;
        }
        page_token = next;
    }
}

/// Every event `token` can list on the server behind `channel`.
pub async fn all_events(channel: &Channel, token: &str) -> Vec<pb::Event> {
    let client = EventServiceClient::new(channel.clone());
    all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::ListEventsRequest {
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        async move {
            let page = client
                .list_events(authed(token, request))
                .await
                .unwrap()
                .into_inner();
            (page.events, page.next_page_token)
        }
    })
    .await
}

/// Creates a token of `role` with `admin`.
pub async fn token_for(app: &TestApp, admin: &str, role: pb::Role) -> String {
    app.orgs()
        .create_access_token(authed(
            admin,
            pb::CreateAccessTokenRequest {
                role: role as i32,
                subject: "test".into(),
                ttl: None,
            },
        ))
        .await
        .expect("token created")
        .into_inner()
        .token
}

/// `message` with `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    request
}

/// The HMAC signature (base64url) of a JWS signing input, `alg` one of HS256, HS384 and HS512: for
/// tokens an attacker forges. Computed here rather than by jsonwebtoken, whose only crypto is the
/// registry's own (src/jwt_crypto.rs), which refuses to sign with most of these.
pub fn hmac_signature(alg: jsonwebtoken::Algorithm, key: &[u8], signing_input: &str) -> String {
    use base64::Engine;
    use ring::hmac;
    let algorithm = match alg {
        jsonwebtoken::Algorithm::HS256 => hmac::HMAC_SHA256,
        jsonwebtoken::Algorithm::HS384 => hmac::HMAC_SHA384,
        jsonwebtoken::Algorithm::HS512 => hmac::HMAC_SHA512,
        other => panic!("{other:?} is no HMAC"),
    };
    let tag = hmac::sign(&hmac::Key::new(algorithm, key), signing_input.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
}

/// A valid digest derived from `seed`.
pub fn digest(seed: &str) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(seed.as_bytes()))
    )
}

/// A valid registration of `name` version 1 with no sources.
pub fn dataset(name: &str) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        name: name.into(),
        version: "1".into(),
        content_digest: digest(name),
        ..Default::default()
    }
}

/// A registration of `name` made from `parents`.
pub fn derived(name: &str, parents: &[&pb::Dataset]) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        sources: parents.iter().map(|p| parent_source(&p.id)).collect(),
        ..dataset(name)
    }
}

/// A `SOURCE_KIND_DATASET` source naming `id`.
pub fn parent_source(id: &str) -> pb::Source {
    pb::Source {
        kind: pb::SourceKind::Dataset as i32,
        dataset_id: id.into(),
        ..Default::default()
    }
}

/// Asserts that `status` refuses an invalid field: `INVALID_ARGUMENT`, the message containing
/// `needle` (which starts with the field's path), and the field in the `BadRequest` details.
#[track_caller]
pub fn assert_invalid_field(status: &Status, case: &str, needle: &str) {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
    assert!(
        status.message().contains(needle),
        "{case}: {:?} lacks {needle:?}",
        status.message()
    );
    let details = status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("{case}: no BadRequest detail"));
    assert!(
        needle.starts_with(details.field_violations[0].field.as_str()),
        "{case}: detail field {:?}",
        details.field_violations[0].field
    );
}

/// Asserts a refusal with `code` whose message contains `needle`.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    needle: &str,
) -> Status {
    let status = result.expect_err("the call must be refused");
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert!(
        status.message().contains(needle),
        "message {:?} does not mention {needle:?}",
        status.message()
    );
    status
}
