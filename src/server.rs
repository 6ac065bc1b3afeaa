//! Assembling and running the server: open the store, build the registry, bind the listener, serve
//! gRPC (with health and reflection) until told to stop, then finish the calls in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tokio::signal::unix::Signal;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::auth::Authenticator;
use crate::auth::client_certificates::ClientIdentities;
use crate::auth::token::TokenKeys;
use crate::call_limit::{CallLimit, limit_calls};
use crate::config::{CommonSettings, ServeSettings};
use crate::grpc::attestation::AttestationHandlers;
use crate::grpc::certificate::CertificateHandlers;
use crate::grpc::dataset::DatasetHandlers;
use crate::grpc::event::EventHandlers;
use crate::grpc::lineage::LineageHandlers;
use crate::grpc::log::LogHandlers;
use crate::grpc::organization::OrganizationHandlers;
use crate::grpc::policy::PolicyHandlers;
use crate::grpc::webhook::WebhookHandlers;
use crate::http::routing::{self, GrpcMethods};
use crate::key_record::{KeyFiles, open_keys};
use crate::proto::v1 as pb;
use crate::registry::certificates::CertificatePolicy;
use crate::registry::feed::EventFeed;
use crate::registry::{Registry, RegistryKeys, TokenPolicy};
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::tls::{ReloadingTls, TlsFiles};

/// Where the server publishes the certificate signing keys over plain HTTP.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The JWKS document, as `ListSigningKeys` returns it; verifiers may cache it for five minutes.
async fn jwks(registry: Registry) -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/jwk-set+json"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        registry.jwks().await.to_string(),
    )
}

pub use crate::key_record::{ACCESS_TOKEN_KEY_FILE, LOG_KEY_FILE};

/// Opens the state in `settings` (creating the data directory, database and key files as needed)
/// and assembles the registry. Used by the server and by the admin commands alike; the admin
/// commands first make sure the registry exists ([`require_registry`]) unless told to create it.
pub async fn open_registry(
    settings: &CommonSettings,
    max_watchers: usize,
    clients: ClientIdentities,
    shutdown: CancellationToken,
) -> anyhow::Result<Registry> {
    let store = open_store(settings).await?;
    let keys = open_keys(
        store.as_ref(),
        &KeyFiles::of(settings),
        &format!("{}/log", settings.issuer),
    )
    .await?;
    let token_keys = TokenKeys::new(&settings.issuer, &keys.access_token)?;
    let tokens = TokenPolicy {
        default_ttl: chrono::Duration::from_std(settings.default_token_ttl)
            .context("default token lifetime is too long")?,
        max_ttl: chrono::Duration::from_std(settings.max_token_ttl)
            .context("maximum token lifetime is too long")?,
    };
    let certificates = CertificatePolicy {
        issuer: settings.issuer.clone(),
        default_validity: chrono::Duration::days(90),
        max_validity: chrono::Duration::from_std(settings.max_certificate_validity)
            .context("maximum certificate validity is too long")?,
        verification_url: settings
            .public_url
            .as_ref()
            .map(|url| format!("{url}{}", crate::web::verify_page::VERIFY_PATH)),
        public_url: settings.public_url.clone(),
    };
    if certificates.max_validity < certificates.default_validity {
        bail!("--max-certificate-validity must be at least the default validity of 90 days");
    }
    if tokens.default_ttl > tokens.max_ttl {
        bail!("the default token lifetime is longer than the maximum (--max-token-ttl)");
    }
    Ok(Registry::new(
        store.clone(),
        Authenticator::new(token_keys, store.clone(), clients),
        EventFeed::start(store, max_watchers, shutdown),
        tokens,
        crate::policy_dir::load(settings.policy_dir.as_deref())?,
        RegistryKeys {
            certificates: keys.certificates,
            log: keys.log,
        },
        certificates,
    ))
}

/// Opens the database `settings` name (creating the data directory, and the SQLite file, when
/// missing) and applies the migrations.
pub async fn open_store(settings: &CommonSettings) -> anyhow::Result<Arc<dyn Store>> {
    // Private to the service's user: the directory holds the database and secret keys.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&settings.data_dir)
        .with_context(|| {
            format!(
                "cannot create data directory {}",
                settings.data_dir.display()
            )
        })?;
    let url = settings.database_url();
    Ok(match Database::of(&url)? {
        Database::Sqlite => Arc::new(
            SqliteStore::open(&url)
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?,
        ),
        Database::Postgres => Arc::new(
            PostgresStore::open(&url, settings.database_pool_size)
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?,
        ),
    })
}

/// The kinds of database a URL may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            bail!("unsupported database URL: expected `sqlite:` or `postgres:`")
        }
    }
}

/// The database `settings` name, for people: the SQLite file's absolute path, or PostgreSQL's
/// `postgres://user@host:port/database` (never a password).
pub fn describe_database(settings: &CommonSettings) -> String {
    let url = settings.database_url();
    match Database::of(&url) {
        Ok(Database::Sqlite) => SqliteStore::describe(&url),
        Ok(Database::Postgres) => PostgresStore::describe(&url),
        Err(_) => "(unsupported database URL)".to_owned(),
    }
}

/// Refuses, saying where it looked and how to create one, when `settings` name no existing
/// registry: a data directory that does not exist, or a database that holds no registry. Operator
/// commands call this unless told to create a registry (`--init`), so that one run in the wrong
/// directory does not make a new registry with new keys beside the real one.
pub async fn require_registry(settings: &CommonSettings) -> anyhow::Result<()> {
    let dir = std::path::absolute(&settings.data_dir).unwrap_or(settings.data_dir.clone());
    let how = "Run admin commands from the directory the server runs in, or give them the \
               server's --data-dir (PROVENANCE_DATA_DIR) and --database-url \
               (PROVENANCE_DATABASE_URL); to create a new registry there instead, start the \
               server once, or pass --init to the admin command";
    if !dir.is_dir() {
        bail!(
            "no registry at {}: the data directory does not exist. {how}",
            dir.display()
        );
    }
    let url = settings.database_url();
    let exists = match Database::of(&url)? {
        Database::Sqlite => {
            SqliteStore::holds_registry(&url).map_err(|e| anyhow::anyhow!("{e:#}"))?
        }
        Database::Postgres => PostgresStore::holds_registry(&url)
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?,
    };
    if !exists {
        bail!(
            "no registry at {}: the database {} does not exist or holds no registry. {how}",
            dir.display(),
            describe_database(settings)
        );
    }
    Ok(())
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    tls: Option<Arc<ReloadingTls>>,
    registry: Registry,
    settings: ServeSettings,
    shutdown: CancellationToken,
    hangup: Option<Signal>,
    /// `--metrics-listen`, bound.
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Opens the state and binds the listen address (port 0 picks a free port).
    pub async fn build(common: &CommonSettings, settings: &ServeSettings) -> anyhow::Result<Self> {
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(Arc::new(ReloadingTls::load(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: settings.tls_client_ca.clone(),
            })?)),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        if tls.is_none() && !settings.listen.ip().is_loopback() {
            if !settings.insecure_plaintext {
                bail!(
                    "refusing to listen on {} without TLS: access tokens would cross the network \
                     in clear text. Give --tls-cert and --tls-key, listen on a loopback address, \
                     or pass --insecure-plaintext if something in front terminates TLS",
                    settings.listen
                );
            }
            tracing::warn!(
                listen = %settings.listen,
                "serving plaintext on a non-loopback address (--insecure-plaintext)"
            );
        }
        let shutdown = CancellationToken::new();
        let clients = match &settings.tls_client_identities {
            Some(path) => ClientIdentities::load(path)?,
            None => ClientIdentities::default(),
        };
        let witnesses = settings.witness_rules();
        witnesses.check().context("refusing to serve")?;
        let registry = open_registry(common, settings.max_watchers, clients, shutdown.clone())
            .await?
            .with_webhook_rules(settings.webhook_rules())
            .with_witnesses(witnesses);
        let covered = registry
            .check_log()
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .context("refusing to serve")?;
        tracing::info!(events = covered, "transparency log checked");
        registry
            .start_webhook_delivery(shutdown.clone())
            .await
            .context("cannot start sending webhooks")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let metrics_listener = match settings.metrics_listen {
            Some(address) => Some(crate::metrics::bind(address).await?),
            None => None,
        };
        Ok(Self {
            metrics_listener,
            listener,
            tls,
            registry,
            settings: settings.clone(),
            shutdown,
            hangup: None,
        })
    }

    /// Reloads the TLS certificate on each SIGHUP of `hangup` (see [`hangup_signal`]); without
    /// TLS a SIGHUP is logged as having nothing to reload. Either way it never stops the server.
    pub fn reload_on(mut self, hangup: Signal) -> Self {
        self.hangup = Some(hangup);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The address `/metrics` is served on, when it is (`--metrics-listen`).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The registry behind the server (tests use it to bootstrap organisations).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Serves until `signal` completes, then stops taking calls, ends event streams and waits for
    /// the calls in flight to finish.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let limit = self.settings.max_message_bytes;
        let registry = self.registry;

        use pb::attestation_service_server::AttestationServiceServer;
        use pb::certificate_service_server::CertificateServiceServer;
        use pb::dataset_service_server::DatasetServiceServer;
        use pb::event_service_server::EventServiceServer;
        use pb::lineage_service_server::LineageServiceServer;
        use pb::organization_service_server::OrganizationServiceServer;
        use pb::policy_service_server::PolicyServiceServer;
        use pb::transparency_log_service_server::TransparencyLogServiceServer;
        use pb::webhook_service_server::WebhookServiceServer;
        use tonic::server::NamedService;

        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        for name in [
            OrganizationServiceServer::<OrganizationHandlers>::NAME,
            DatasetServiceServer::<DatasetHandlers>::NAME,
            LineageServiceServer::<LineageHandlers>::NAME,
            EventServiceServer::<EventHandlers>::NAME,
            PolicyServiceServer::<PolicyHandlers>::NAME,
            AttestationServiceServer::<AttestationHandlers>::NAME,
            CertificateServiceServer::<CertificateHandlers>::NAME,
            TransparencyLogServiceServer::<LogHandlers>::NAME,
            WebhookServiceServer::<WebhookHandlers>::NAME,
        ] {
            health_reporter
                .set_service_status(name, tonic_health::ServingStatus::Serving)
                .await;
        }
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("cannot build the reflection service")?;

        if let Some(hangup) = self.hangup {
            tokio::spawn(reload_on_hangup(
                hangup,
                self.tls.clone(),
                self.shutdown.clone(),
            ));
        }
        let metrics = match self.metrics_listener {
            Some(listener) => {
                let (served, shutdown) = (registry.clone(), self.shutdown.clone());
                tokio::spawn(async move {
                    if let Err(error) = crate::metrics::serve(listener, served, shutdown).await {
                        tracing::error!(error = format!("{error:#}"), "metrics: stopped");
                    }
                });
                Some(registry.metrics().clone())
            }
            None => None,
        };
        let shutdown = self.shutdown.clone();
        let stop = async move {
            signal.await;
            tracing::info!("shutting down: finishing calls in flight");
            // Ends WatchEvents streams, which would otherwise hold their connections open forever.
            shutdown.cancel();
        };

        let mut services = tonic::service::Routes::builder();
        services
            .add_service(health_service)
            .add_service(reflection)
            .add_service(
                OrganizationServiceServer::new(OrganizationHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                DatasetServiceServer::new(DatasetHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                LineageServiceServer::new(LineageHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                EventServiceServer::new(EventHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                PolicyServiceServer::new(PolicyHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                AttestationServiceServer::new(AttestationHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                CertificateServiceServer::new(CertificateHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                TransparencyLogServiceServer::new(LogHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            )
            .add_service(
                WebhookServiceServer::new(WebhookHandlers {
                    registry: registry.clone(),
                })
                .max_decoding_message_size(limit),
            );
        // Plain HTTP beside gRPC on the same port, for verifiers that fetch keys with any HTTP client
        // and for people verifying a certificate in a browser. The content type sends each request
        // to one protocol or the other (crate::http::routing).
        let pages = crate::http::router(registry.clone(), limit);
        let methods = Arc::new(GrpcMethods::served().context("cannot read the gRPC descriptors")?);
        let grpc = services.routes().into_axum_router();
        // Every RPC over HTTP/JSON too, at the paths its google.api.http annotation declares, calling
        // the same services in-process (crate::gateway).
        let gateway = crate::gateway::Gateway::new(grpc.clone(), limit)
            .context("cannot read the HTTP bindings from the descriptors")?;
        let http = grpc
            .clone()
            .merge(gateway.router())
            .route(
                JWKS_PATH,
                axum::routing::get(move || jwks(registry.clone())),
            )
            .merge(pages)
            // Replaces tonic's catch-all, which answered any path with HTTP 200 and gRPC's
            // UNIMPLEMENTED; gRPC requests for unknown paths never get here (by_content_type).
            .fallback(routing::not_found)
            .method_not_allowed_fallback(routing::method_not_allowed)
            .layer(axum::middleware::from_fn_with_state(
                methods.clone(),
                routing::by_content_type,
            ))
            // gRPC-Web (`application/grpc-web...`), from browsers, goes to the gRPC services
            // through tonic-web, which turns it into gRPC and the answers back into gRPC-Web.
            .layer(axum::middleware::from_fn_with_state(
                tower::Layer::layer(&tonic_web::GrpcWebLayer::new(), grpc.clone()),
                routing::grpc_web,
            ))
            .layer(axum::middleware::from_fn_with_state(
                CallLimit::new(self.settings.max_concurrent_calls).counted_in(metrics.clone()),
                limit_calls,
            ))
            // Outside the routing and the bounds, so that their refusals carry the headers too.
            .layer(axum::middleware::from_fn_with_state(
                self.tls.is_some(),
                crate::http::security_headers,
            ))
            // Outermost, so that calls refused by the bounds above are logged, counted and traced
            // too.
            .layer(axum::middleware::from_fn_with_state(
                crate::call_log::CallObserver { methods, metrics },
                crate::call_log::log_calls,
            ));
        // Browsers' preflights are answered before anything else, for the named origins only.
        let http = match crate::http::cors::layer(&self.settings.cors_origins)? {
            Some(cors) => http.layer(cors),
            None => http,
        };

        let server = Server::builder()
            .accept_http1(true)
            .concurrency_limit_per_connection(self.settings.max_calls_per_connection as usize)
            .max_concurrent_streams(self.settings.max_calls_per_connection)
            .add_routes(tonic::service::Routes::from(http));
        match self.tls {
            Some(tls) => server
                .serve_with_incoming_shutdown(
                    crate::tls::incoming(self.listener, tls, self.shutdown.clone()),
                    stop,
                )
                .await
                .context("the gRPC server failed")?,
            None => {
                // Without TCP_NODELAY, Nagle holds back the small trailers frame of each answer
                // until the client's delayed ACK, about 40 ms per call. Keepalive finds dead peers
                // of long streams.
                let incoming = TcpIncoming::from(self.listener)
                    .with_nodelay(Some(true))
                    .with_keepalive(Some(std::time::Duration::from_secs(60)));
                server
                    .serve_with_incoming_shutdown(incoming, stop)
                    .await
                    .context("the gRPC server failed")?
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// A future that completes on SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled, so a signal that arrives while the server is starting up is not
/// lost (nor does it kill the process half-way through opening its files).
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// SIGHUP's handler. Installed when this is called, which the binary does before anything else:
/// from then on a SIGHUP (a terminal closing, an operator's `kill -HUP` after replacing the TLS
/// files) no longer ends the process, whose default action it is, TLS or not.
pub fn hangup_signal() -> anyhow::Result<Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot listen for SIGHUP")
}

/// What SIGHUP does, until `shutdown`: re-reads the TLS files (a new certificate serves new
/// connections; one that does not load leaves the last good one in use), or says there is nothing
/// to reload.
async fn reload_on_hangup(
    mut hangup: Signal,
    tls: Option<Arc<ReloadingTls>>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            received = hangup.recv() => if received.is_none() { return },
        }
        match &tls {
            Some(tls) => {
                tracing::info!("SIGHUP: reloading the TLS certificate");
                tls.config(true);
            }
            None => tracing::info!(
                "SIGHUP: nothing to reload (no TLS certificate; signing keys are re-read when \
                 their file changes); still serving"
            ),
        }
    }
}
