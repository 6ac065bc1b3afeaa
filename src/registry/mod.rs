//! The registry's use cases: each method checks the caller's rights, applies the domain rules and
//! calls the store. gRPC handlers and the admin command both go through here.

pub mod closure_cache;
pub mod feed;
pub mod group_commit;
pub mod policy;

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::auth::Authenticator;
use crate::domain::access::{AccessTokenRecord, Caller, Organization, Role};
use crate::domain::dataset::{Dataset, NewDataset};
use crate::domain::event::{Event, NewEvent, truncate_to_micros};
use crate::domain::lineage::{Direction, NextSteps, Walk};
use crate::domain::paging::PageTokens;
use crate::domain::policy::PolicySet;
use crate::domain::registration::{Pending, Registration};
use crate::error::{Error, Result};
use crate::signing_keys::{KeyRing, KeyRingFile};
use crate::store::{DatasetQuery, Store, Viewer};
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

/// Lineage nodes sent per batch by the streaming walk.
const STREAM_CHUNK: usize = 500;

/// One dataset of a lineage walk, with its next steps.
#[derive(Debug, Clone)]
pub struct LineageNode {
    /// The dataset.
    pub dataset: Dataset,
    /// Shortest depth from the start.
    pub depth: u32,
    /// Neighbours one step further.
    pub next: NextSteps,
}

/// One page of a lineage walk.
#[derive(Debug, Clone)]
pub struct LineagePage {
    /// Nodes of the page.
    pub nodes: Vec<LineageNode>,
    /// Token of the next page, if any.
    pub next_page_token: Option<String>,
    /// Visible nodes in the whole walk.
    pub total_count: usize,
    /// Hidden nodes in the whole walk.
    pub hidden_count: usize,
}

/// A lineage request, validated.
#[derive(Debug, Clone)]
pub struct LineageQuery {
    /// Where to start.
    pub root: Uuid,
    /// Which way.
    pub direction: Direction,
    /// How deep.
    pub max_depth: u32,
}

/// The registry: state, rules and rights in one place.
#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Store>,
    auth: Authenticator,
    registrations: GroupCommit,
    feed: EventFeed,
    tokens: TokenPolicy,
    upstream_closures: Arc<ClosureCache>,
    policies: Arc<PolicySet>,
    signing_keys: Arc<KeyRingFile>,
}

impl Registry {
    /// Assembles the registry; starts the group-commit task (so call it inside a Tokio runtime).
    pub fn new(
        store: Arc<dyn Store>,
        auth: Authenticator,
        feed: EventFeed,
        tokens: TokenPolicy,
        policies: PolicySet,
        signing_keys: KeyRingFile,
    ) -> Self {
        let notify = feed.clone();
        let registrations = GroupCommit::start(store.clone(), move || notify.notify());
        Self {
            store,
            auth,
            registrations,
            feed,
            tokens,
            upstream_closures: Arc::new(ClosureCache::new(closure_cache::DEFAULT_BUDGET)),
            policies: Arc::new(policies),
            signing_keys: Arc::new(signing_keys),
        }
    }

    /// The certificate signing keys as their file holds them now.
    pub fn signing_keys(&self) -> Arc<KeyRing> {
        self.signing_keys.current()
    }

    /// The verified caller of a request.
    pub async fn caller(&self, metadata: &tonic::metadata::MetadataMap) -> Result<Caller> {
        self.auth.authenticate(metadata).await
    }

    // ----- organisations and tokens -------------------------------------------------------------

    /// Creates an organisation (operators only).
    pub async fn create_organization(&self, caller: &Caller, name: String) -> Result<Organization> {
        caller.operator()?;
        self.insert_organization(name, &caller.subject).await
    }

    /// Creates an organisation and its first admin token, for the operator on the server machine.
    pub async fn bootstrap_organization(
        &self,
        name: String,
        admin_ttl: Option<Duration>,
    ) -> Result<(Organization, String, AccessTokenRecord)> {
        let organization = self.insert_organization(name, "operator (local)").await?;
        let (token, record) = self
            .issue_token(
                Some(organization.id),
                Role::Admin,
                "first admin".into(),
                admin_ttl,
            )
            .await?;
        Ok((organization, token, record))
    }

    /// Issues an operator token, for the operator on the server machine.
    pub async fn operator_token(
        &self,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        self.issue_token(None, Role::Operator, "operator".into(), ttl)
            .await
    }

    async fn insert_organization(&self, name: String, created_by: &str) -> Result<Organization> {
        let organization = Organization {
            id: Uuid::now_v7(),
            name,
            create_time: truncate_to_micros(Utc::now()),
        };
        let event = NewEvent {
            event_type: "organization.created",
            subject: format!("organizations/{}", organization.id),
            organization_id: Some(organization.id),
            public: false,
            payload: json!({"id": organization.id.to_string(), "name": organization.name, "created_by": created_by}),
        };
        self.store.create_organization(&organization, event).await?;
        self.feed.notify();
        Ok(organization)
    }

    /// Reads an organisation: the caller's own (`None`), or any for operators.
    pub async fn get_organization(
        &self,
        caller: &Caller,
        id: Option<Uuid>,
    ) -> Result<Organization> {
        let id = match (id, caller.organization_id) {
            (Some(id), _) => id,
            (None, Some(own)) => own,
            (None, None) => {
                return Err(Error::invalid("id", "is required with an operator token"));
            }
        };
        let not_found = || Error::NotFound(format!("organisation {id} not found"));
        if caller.role != Role::Operator && caller.organization_id != Some(id) {
            return Err(not_found());
        }
        self.store.get_organization(id).await?.ok_or_else(not_found)
    }

    /// Issues a token for the caller's organisation (admins only).
    pub async fn create_access_token(
        &self,
        caller: &Caller,
        role: Role,
        subject: String,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        let organization = caller.member_with(Role::Admin)?;
        if role == Role::Operator {
            return Err(Error::invalid(
                "role",
                "must be auditor, registrar or admin",
            ));
        }
        if let Some(ttl) = ttl
            && (ttl < MIN_TOKEN_TTL || ttl > self.tokens.max_ttl)
        {
            return Err(Error::invalid(
                "ttl",
                format!(
                    "must be between {} and {} seconds",
                    MIN_TOKEN_TTL.num_seconds(),
                    self.tokens.max_ttl.num_seconds()
                ),
            ));
        }
        self.issue_token(Some(organization), role, subject, ttl)
            .await
    }

    async fn issue_token(
        &self,
        organization_id: Option<Uuid>,
        role: Role,
        subject: String,
        ttl: Option<Duration>,
    ) -> Result<(String, AccessTokenRecord)> {
        let now = truncate_to_micros(Utc::now());
        let record = AccessTokenRecord {
            id: Uuid::now_v7(),
            organization_id,
            role,
            subject,
            create_time: now,
            expire_time: now + ttl.unwrap_or(self.tokens.default_ttl),
            revoke_time: None,
        };
        let token = self.auth.keys().sign(
            record.id,
            organization_id,
            role,
            &record.subject,
            record.create_time,
            record.expire_time,
        )?;
        let event = NewEvent {
            event_type: "access_token.created",
            subject: format!("access_tokens/{}", record.id),
            organization_id,
            public: false,
            payload: token_payload(&record),
        };
        self.store.insert_access_token(&record, event).await?;
        self.feed.notify();
        Ok((token, record))
    }

    /// Revokes one of the caller's organisation's tokens (admins only). Idempotent.
    pub async fn revoke_access_token(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<AccessTokenRecord> {
        let organization = caller.member_with(Role::Admin)?;
        let now = truncate_to_micros(Utc::now());
        let event = NewEvent {
            event_type: "access_token.revoked",
            subject: format!("access_tokens/{id}"),
            organization_id: Some(organization),
            public: false,
            payload: json!({"id": id.to_string(), "revoked_by": caller.token_id.to_string()}),
        };
        let record = self
            .store
            .revoke_access_token(organization, id, now, event)
            .await?
            .ok_or_else(|| Error::NotFound(format!("access token {id} not found")))?;
        self.feed.notify();
        Ok(record)
    }

    // ----- datasets ------------------------------------------------------------------------------

    /// Registers a dataset (registrars and admins of its organisation), through group commit.
    pub async fn register_dataset(&self, caller: &Caller, new: NewDataset) -> Result<Registration> {
        let organization = caller.member_with(Role::Registrar)?;
        if new.organization_id != organization {
            return Err(Error::PermissionDenied(
                "datasets can only be registered for the token's own organisation".into(),
            ));
        }
        self.registrations
            .submit(Pending {
                new,
                id: Uuid::now_v7(),
            })
            .await
    }

    /// Reads a dataset the caller may see.
    pub async fn get_dataset(&self, caller: &Caller, id: Uuid) -> Result<Dataset> {
        self.store
            .get_dataset(id)
            .await?
            .filter(|d| caller.can_see(d.organization_id, d.visibility.is_public()))
            .map(|d| d.as_seen_by(caller))
            .ok_or_else(|| Error::NotFound(format!("dataset {id} not found")))
    }

    /// One page of the datasets the caller may see.
    pub async fn list_datasets(
        &self,
        caller: &Caller,
        name: Option<String>,
        organization_id: Option<Uuid>,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Dataset>, Option<String>)> {
        let owner = organization_id.map(|id| id.to_string()).unwrap_or_default();
        let tokens = PageTokens::new("datasets", &[name.as_deref().unwrap_or(""), &owner]);
        let after = tokens.decode_id(page_token)?;
        let datasets = self
            .store
            .list_datasets(&DatasetQuery {
                viewer: viewer_of(caller),
                name,
                organization_id,
                after,
                limit: page_size + 1,
            })
            .await?;
        let (datasets, next) = tokens.page(datasets, page_size, |d| d.id.to_string());
        let datasets = datasets.into_iter().map(|d| d.as_seen_by(caller)).collect();
        Ok((datasets, next))
    }

    // ----- lineage -------------------------------------------------------------------------------

    async fn walk(&self, caller: &Caller, query: &LineageQuery) -> Result<Walk> {
        self.get_dataset(caller, query.root).await?;
        let cached = match query.direction {
            Direction::Upstream => self.upstream_closures.get(query.root, query.max_depth),
            Direction::Downstream => None,
        };
        let closure = match cached {
            Some(closure) => closure,
            None => {
                let closure = Arc::new(
                    self.store
                        .lineage_closure(query.root, query.direction, query.max_depth)
                        .await?,
                );
                if query.direction == Direction::Upstream {
                    self.upstream_closures
                        .insert(query.root, query.max_depth, closure.clone());
                }
                closure
            }
        };
        Ok(Walk::new(&closure, caller))
    }

    async fn nodes(
        &self,
        caller: &Caller,
        walk: &Walk,
        direction: Direction,
        page: &[(u32, Uuid)],
    ) -> Result<Vec<LineageNode>> {
        let ids: Vec<Uuid> = page.iter().map(|&(_, id)| id).collect();
        let mut datasets: std::collections::HashMap<Uuid, Dataset> = self
            .store
            .get_datasets(&ids)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        // Upstream, a node's next steps are its own parents, already in hand; downstream they are
        // the datasets naming it, which only the store can find.
        let edges = match direction {
            Direction::Upstream => datasets
                .values()
                .flat_map(|d| d.parents().map(move |parent| (d.id, parent)))
                .collect(),
            Direction::Downstream => self.store.lineage_edges(&ids, direction).await?,
        };
        let mut steps = walk.next_steps(&edges);
        page.iter()
            .map(|&(depth, id)| {
                let dataset = datasets.remove(&id).ok_or_else(|| {
                    Error::internal(anyhow::anyhow!("dataset {id} of a lineage walk vanished"))
                })?;
                Ok(LineageNode {
                    dataset: dataset.as_seen_by(caller),
                    depth,
                    next: steps.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One page of a lineage walk.
    pub async fn lineage_page(
        &self,
        caller: &Caller,
        query: &LineageQuery,
        page_size: u32,
        page_token: &str,
    ) -> Result<LineagePage> {
        let tokens = PageTokens::new(
            "lineage",
            &[
                &query.root.to_string(),
                query.direction.as_str(),
                &query.max_depth.to_string(),
            ],
        );
        let cursor = tokens.decode(page_token)?;
        let walk = self.walk(caller, query).await?;
        let (page, next) = walk.page(cursor.as_deref(), page_size as usize)?;
        Ok(LineagePage {
            nodes: self.nodes(caller, &walk, query.direction, page).await?,
            next_page_token: next.map(|c| tokens.encode(&c)),
            total_count: walk.visible_count(),
            hidden_count: walk.hidden_count(),
        })
    }

    /// The whole walk as a stream of nodes, read in chunks.
    pub async fn lineage_stream(
        &self,
        caller: &Caller,
        query: LineageQuery,
    ) -> Result<mpsc::Receiver<Result<LineageNode>>> {
        let walk = self.walk(caller, &query).await?;
        let (sender, receiver) = mpsc::channel(STREAM_CHUNK);
        let registry = self.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            let mut cursor: Option<String> = None;
            loop {
                let (page, next) = match walk.page(cursor.as_deref(), STREAM_CHUNK) {
                    Ok(found) => found,
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                };
                match registry.nodes(&caller, &walk, query.direction, page).await {
                    Ok(nodes) => {
                        for node in nodes {
                            if sender.send(Ok(node)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => return,
                }
            }
        });
        Ok(receiver)
    }

    // ----- events --------------------------------------------------------------------------------

    /// One page of the events the caller may see.
    pub async fn list_events(
        &self,
        caller: &Caller,
        after_sequence: u64,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Event>, Option<String>)> {
        let tokens = PageTokens::new("events", &[&after_sequence.to_string()]);
        let after = match tokens.decode(page_token)? {
            Some(cursor) => cursor
                .parse::<u64>()
                .map_err(|_| Error::invalid("page_token", "is not a page token of this list"))?,
            None => after_sequence,
        };
        let events = self
            .store
            .list_events(viewer_of(caller), after, page_size + 1)
            .await?;
        Ok(tokens.page(events, page_size, |e| e.sequence.to_string()))
    }

    /// Streams the events the caller may see after `after_sequence`, then live.
    pub fn watch_events(
        &self,
        caller: &Caller,
        after_sequence: u64,
    ) -> Result<mpsc::Receiver<Result<Event>>> {
        self.feed
            .watch(self.store.clone(), viewer_of(caller), after_sequence)
    }
}

fn viewer_of(caller: &Caller) -> Viewer {
    match (caller.role, caller.organization_id) {
        (Role::Operator, _) => Viewer::All,
        (_, Some(org)) => Viewer::Organization(org),
        // Never issued; if it were, such a token would see public rows only.
        (_, None) => Viewer::Organization(Uuid::nil()),
    }
}

fn token_payload(record: &AccessTokenRecord) -> serde_json::Value {
    json!({
        "id": record.id.to_string(),
        "organization_id": record.organization_id.map(|id| id.to_string()),
        "role": record.role.as_str(),
        "subject": record.subject,
        "create_time": crate::domain::event::format_time(record.create_time),
        "expire_time": crate::domain::event::format_time(record.expire_time),
    })
}
