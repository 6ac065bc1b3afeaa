//! The registry's use cases: each method checks the caller's rights, applies the domain rules and
//! calls the store. gRPC handlers and the admin command both go through here.

pub mod certificate_cache;
pub mod certificate_page;
pub mod certificates;
pub mod closure_cache;
pub mod datasets;
pub mod events;
pub mod feed;
pub mod group_commit;
pub mod lineage;
pub mod openlineage;
pub mod organizations;
pub mod policy;
pub mod status_lists;
pub mod tiles;
pub mod transparency;
pub mod webhook_delivery;
pub mod webhooks;
pub mod witnesses;

pub use lineage::{LineageNode, LineagePage, LineageQuery};

use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use crate::auth::Authenticator;
use crate::domain::access::{Caller, Role};
use crate::domain::policy::PolicySet;
use crate::domain::registration::{Registration, Unit};
use crate::error::Result;
use crate::log_key::LogKey;
use crate::metrics::Metrics;
use crate::signature_batch::BatchVerifier;
use crate::signing_keys::{CertificateKeySource, KeyRing};
use crate::store::{CertificateInsert, Store, Viewer};
use certificate_cache::CertificateCache;
use certificates::CertificatePolicy;
use closure_cache::ClosureCache;
use feed::EventFeed;
use group_commit::GroupCommit;

/// Lifetimes of access tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenPolicy {
    /// Lifetime when a request does not say.
    pub default_ttl: Duration,
    /// Longest lifetime a request may ask for.
    pub max_ttl: Duration,
}

/// Shortest token lifetime a request may ask for: shorter ones expire before they are used.
pub const MIN_TOKEN_TTL: Duration = Duration::minutes(1);

/// The registry's own keys.
pub struct RegistryKeys {
    /// The keys that sign certificates.
    pub certificates: CertificateKeySource,
    /// The key that signs the transparency log's checkpoints.
    pub log: LogKey,
}

/// The registry: state, rules and rights in one place.
#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Store>,
    auth: Authenticator,
    registrations: GroupCommit<Unit, Vec<Registration>>,
    issuances: GroupCommit<CertificateInsert, u64>,
    feed: EventFeed,
    tokens: TokenPolicy,
    upstream_closures: Arc<ClosureCache>,
    certificate_cache: Arc<CertificateCache>,
    policies: Arc<PolicySet>,
    signing_keys: Arc<CertificateKeySource>,
    log_key: Arc<LogKey>,
    certificates: CertificatePolicy,
    signatures: BatchVerifier,
    webhooks: Arc<webhooks::WebhookRules>,
    metrics: Metrics,
    status_lists: Arc<status_lists::StatusListCache>,
    /// The operator's witnesses and what the registry knows of their state.
    witnessing: Arc<witnesses::Witnessing>,
}

impl Registry {
    /// Assembles the registry; starts the group-commit tasks (so call it inside a Tokio runtime).
    pub fn new(
        store: Arc<dyn Store>,
        auth: Authenticator,
        feed: EventFeed,
        tokens: TokenPolicy,
        policies: PolicySet,
        keys: RegistryKeys,
        certificates: CertificatePolicy,
    ) -> Self {
        let metrics = Metrics::new();
        store.observe_write_waits(metrics.clone());
        let registrations = GroupCommit::start(
            "registration",
            metrics.group_commit("registration"),
            {
                let (store, feed) = (store.clone(), feed.clone());
                move |batch| {
                    let (store, feed) = (store.clone(), feed.clone());
                    async move { Ok(datasets::register_in_transactions(&*store, &feed, batch).await) }
                }
            },
        );
        let issuances = GroupCommit::start(
            "certificate issuance",
            metrics.group_commit("certificate_issuance"),
            {
                let (store, feed) = (store.clone(), feed.clone());
                move |batch| {
                    let (store, feed) = (store.clone(), feed.clone());
                    async move {
                        let outcomes = store.insert_certificates(batch).await?;
                        if outcomes.iter().any(Result::is_ok) {
                            feed.notify();
                        }
                        Ok(outcomes)
                    }
                }
            },
        );
        // Replicas revoke behind each other's backs: only the database knows the status then.
        let cached_certificates = if store.is_shared() {
            0
        } else {
            certificate_cache::DEFAULT_CAPACITY
        };
        Self {
            store,
            auth,
            registrations,
            issuances,
            feed,
            tokens,
            upstream_closures: Arc::new(ClosureCache::new(closure_cache::DEFAULT_BUDGET)),
            certificate_cache: Arc::new(CertificateCache::new(cached_certificates)),
            status_lists: Arc::default(),
            policies: Arc::new(policies),
            signing_keys: Arc::new(keys.certificates),
            log_key: Arc::new(keys.log),
            certificates,
            signatures: BatchVerifier::new().with_metrics(&metrics),
            webhooks: Arc::new(webhooks::WebhookRules::default()),
            metrics,
            witnessing: Arc::default(),
        }
    }

    /// The registry's metrics (served on `--metrics-listen`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// What the gauges of `/metrics` show now: the logs' sizes, open watchers, pending webhook
    /// deliveries and the database pools. Nothing of any one organisation.
    pub async fn metrics_state(&self) -> Result<crate::metrics::State> {
        Ok(crate::metrics::State {
            events: self.store.chain_head().await?.sequence,
            log_leaves: self.store.log_size().await?,
            watchers: self.feed.open_watchers(),
            webhook_pending: self.store.count_pending_deliveries().await?,
            pools: self.store.pool_status(),
        })
    }

    /// The certificate signing keys as their file holds them now (in a token: as last listed).
    pub fn signing_keys(&self) -> Arc<KeyRing> {
        self.signing_keys.current()
    }

    /// The certificate signing keys to sign with now (see [`CertificateKeySource::for_signing`]).
    pub async fn keys_for_signing(&self) -> Arc<KeyRing> {
        self.signing_keys.for_signing().await
    }

    /// The certificate signing keys as they are now, for publication.
    pub async fn listed_signing_keys(&self) -> Arc<KeyRing> {
        self.signing_keys.listed().await
    }

    /// The certificate signing keys to check a signature by key `kid` with (see
    /// [`CertificateKeySource::for_verifying`]).
    pub async fn verifying_keys(&self, kid: &str) -> Arc<KeyRing> {
        self.signing_keys.for_verifying(kid).await
    }

    /// Every public key of the registry as a JWKS: the certificate keys (`"use": "sig"`) and the
    /// transparency log's key (`"use": "log"`).
    pub async fn jwks(&self) -> serde_json::Value {
        let mut jwks = self.listed_signing_keys().await.jwks();
        if let Some(keys) = jwks["keys"].as_array_mut() {
            keys.push(self.log_key.jwk());
        }
        jwks
    }

    /// The verified caller of a request: its bearer token, or else the client certificate it
    /// presented over mutual TLS (verified by the TLS layer against the client CA).
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
        let certificates = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs);
        let leaf = certificates
            .as_ref()
            .and_then(|chain| chain.first())
            .map(|certificate| certificate.as_ref());
        let caller = self.auth.authenticate(request.metadata(), leaf).await?;
        crate::call_log::CallerSlot::fill(request.extensions(), &caller);
        Ok(caller)
    }
}

/// Whose view a caller's reads take.
fn viewer_of(caller: &Caller) -> Viewer {
    match (caller.role, caller.organization_id) {
        (Role::Operator, _) => Viewer::All,
        (_, Some(org)) => Viewer::Organization(org),
        // Never issued; if it were, such a token would see public rows only.
        (_, None) => Viewer::Organization(Uuid::nil()),
    }
}
