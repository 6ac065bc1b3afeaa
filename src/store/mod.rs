//! Storage: one interface, [`Store`], with one implementation per database.
//!
//! Every mutation appends its events in the same transaction, built with
//! [`crate::domain::event::seal`], so that the log and the state never disagree. Implementations
//! decide nothing themselves: the rules live in `domain` and both backends call the same functions.
//!
//! Every value reaches SQL as a bound parameter. The few statements assembled at run time (marked
//! `AssertSqlSafe`, which sqlx requires for them) are put together only from this module's own
//! constant fragments, such as a shared JSON projection or a column chosen by an enum.

pub mod decode;
pub mod postgres;
pub mod sqlite;
pub mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::access::{AccessTokenRecord, Organization};
use crate::domain::attestation::{Attestation, ContaminationReport};
use crate::domain::certificate::CertificateRecord;
use crate::domain::dataset::Dataset;
use crate::domain::evaluation::{ClosureGraph, SharedClosure};
use crate::domain::event::{ChainHead, Event, NewEvent};
use crate::domain::key_record::RecordedKey;
use crate::domain::lineage::{ClosureEntry, Direction};
use crate::domain::registration::{Registration, Unit};
use crate::domain::transparency::{
    CheckpointCosignature, FetchedNodes, Hash, NodeId, SignedCheckpoint,
};
use crate::error::Result;

/// A position or count from the use cases as the databases keep it (signed 64-bit integers). The
/// use cases bound what requests give (see [`crate::domain::event::MAX_SEQUENCE`]), so a value past
/// it is a bug: reported, never wrapped into the position of another row.
pub(crate) fn db_int(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        crate::error::Error::internal(anyhow::anyhow!(
            "{value} does not fit the database's signed 64-bit integers"
        ))
    })
}

/// What must hold of the closure (its graph, and the attestations that count under each policy
/// the certificate covers), read in the storing transaction, for a certificate to be stored.
pub type Precondition = Box<dyn Fn(&SharedClosure) -> Result<()> + Send + Sync>;

/// One certificate to store.
pub struct CertificateInsert {
    /// The certificate.
    pub certificate: CertificateRecord,
    /// Every policy version it covers, `(id, version)`, its row's own first: the precondition's
    /// closure carries their attestations in this order.
    pub policies: Vec<(String, String)>,
    /// Every dataset of its closure.
    pub members: Vec<Uuid>,
    /// Its `certificate.issued` event.
    pub event: NewEvent,
    /// Checked on the closure graph inside the transaction.
    pub precondition: Precondition,
}

/// Whose view a read takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Everything (the operator).
    All,
    /// One organisation: its own rows and public ones.
    Organization(Uuid),
}

/// A page request over datasets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetQuery {
    /// Whose view.
    pub viewer: Viewer,
    /// Only this exact name.
    pub name: Option<String>,
    /// Only this owner.
    pub organization_id: Option<Uuid>,
    /// Only ids greater than this (ids are UUID v7, so this is registration order).
    pub after: Option<Uuid>,
    /// At most this many.
    pub limit: u32,
}

/// Which dataset of an organisation a set of names means (see [`Store::find_named_datasets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameLookup {
    /// Names to try in order: each a registry name or an alias recorded for one.
    pub names: Vec<String>,
    /// Only this version; the newest registered when `None`.
    pub version: Option<String>,
}

/// A page request over organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationQuery {
    /// Only the organisation of this exact name.
    pub name: Option<String>,
    /// Only ids greater than this (ids are UUID v7, so this is creation order).
    pub after: Option<Uuid>,
    /// At most this many.
    pub limit: u32,
}

/// The registry's persistent state.
#[async_trait]
pub trait Store: webhooks::WebhookStore + Send + Sync + 'static {
    /// Whether other processes (replicas) may write to the same database at any moment. Caches of
    /// mutable state (such as certificate statuses) are then off: only the database knows.
    fn is_shared(&self) -> bool {
        false
    }

    /// The connection pools' sizes, for `/metrics`.
    fn pool_status(&self) -> Vec<crate::metrics::PoolStatus> {
        Vec::new()
    }

    /// From now on, records in `metrics` how long each write transaction waited for the write
    /// connection and lock.
    fn observe_write_waits(&self, metrics: crate::metrics::Metrics) {
        let _ = metrics;
    }

    /// Stores a new organisation with its event. `AlreadyExists` when the name is taken.
    async fn create_organization(&self, organization: &Organization, event: NewEvent)
    -> Result<()>;

    /// Reads one organisation.
    async fn get_organization(&self, id: Uuid) -> Result<Option<Organization>>;

    /// One page of organisations in id order.
    async fn list_organizations(&self, query: &OrganizationQuery) -> Result<Vec<Organization>>;

    /// Records an issued access token with its event.
    async fn insert_access_token(&self, token: &AccessTokenRecord, event: NewEvent) -> Result<()>;

    /// Reads a token record by its `jti`.
    async fn get_access_token(&self, id: Uuid) -> Result<Option<AccessTokenRecord>>;

    /// Marks a token revoked at `time` and appends `event`, unless it is already revoked (then
    /// nothing is written). Returns the record as it now stands; `None` when the token does not
    /// exist or belongs to another organisation than `organization_id`.
    async fn revoke_access_token(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        event: NewEvent,
    ) -> Result<Option<AccessTokenRecord>>;

    /// Registers a batch of units in one transaction, deciding each with
    /// [`crate::domain::registration::plan`]. The outer error means nothing was written; the inner
    /// ones are the answers to each unit (a refused unit wrote nothing).
    async fn register_datasets(&self, batch: Vec<Unit>) -> Result<Vec<Result<Vec<Registration>>>>;

    /// Reads one dataset with its sources, whoever owns it.
    async fn get_dataset(&self, id: Uuid) -> Result<Option<Dataset>>;

    /// Reads datasets with their sources; missing ids are left out. Order is not specified.
    async fn get_datasets(&self, ids: &[Uuid]) -> Result<Vec<Dataset>>;

    /// One page of datasets in id order.
    async fn list_datasets(&self, query: &DatasetQuery) -> Result<Vec<Dataset>>;

    /// For each lookup, the dataset of `organization` its first resolving name calls: the newest
    /// registered (or the given version) of the datasets with that registry name, or else with the
    /// registry name that the name is an alias of. `None` where no name resolves.
    async fn find_named_datasets(
        &self,
        organization: Uuid,
        lookups: &[NameLookup],
    ) -> Result<Vec<Option<Dataset>>>;

    /// The datasets of `organization` that are the newest version of their name and have a source
    /// that is an external dataset with one of `uris`, or a parent among `parents`, in id order.
    async fn newest_readers(
        &self,
        organization: Uuid,
        uris: &[String],
        parents: &[Uuid],
    ) -> Result<Vec<Dataset>>;

    /// Every dataset reachable from `root` within `max_depth` edges in `direction`, `root` included at
    /// depth 0, each once with its shortest depth. One query, however large the graph.
    async fn lineage_closure(
        &self,
        root: Uuid,
        direction: Direction,
        max_depth: u32,
    ) -> Result<Vec<ClosureEntry>>;

    /// Edges leaving `from` in `direction`, as `(node, neighbour)` pairs.
    async fn lineage_edges(&self, from: &[Uuid], direction: Direction)
    -> Result<Vec<(Uuid, Uuid)>>;

    /// Up to `limit` events after sequence `after` that `viewer` may see, in order. `after` is at
    /// most [`crate::domain::event::MAX_SEQUENCE`] (the use cases check it; larger is an error).
    async fn list_events(&self, viewer: Viewer, after: u64, limit: u32) -> Result<Vec<Event>>;

    /// The last committed event's sequence and hash.
    async fn chain_head(&self) -> Result<ChainHead>;

    /// Everything evaluation reads about `root`'s whole upstream closure: datasets, edges,
    /// model-generated sources, effective contamination reports, and the attestations that count
    /// under `policy_id` at `policy_version` at time `now`. A few set-based queries, however large.
    async fn closure_graph(
        &self,
        root: Uuid,
        policy_id: &str,
        policy_version: &str,
        now: DateTime<Utc>,
    ) -> Result<ClosureGraph>;

    /// What [`Store::closure_graph`] reads, for several policy versions at once (`(id, version)`
    /// pairs): the closure is walked and read once, and the attestations that count come one list
    /// per policy, in the order of `policies`.
    async fn shared_closure(
        &self,
        root: Uuid,
        policies: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Result<SharedClosure>;

    /// Records an attestation with its event and every policy version it covers, after
    /// `precondition` has accepted the dataset's closure, read once in the same transaction under
    /// each of `attestation.policies` in their order (so that no contamination slips in between).
    async fn record_attestation(
        &self,
        attestation: &Attestation,
        event: NewEvent,
        precondition: &(dyn for<'g> Fn(&'g SharedClosure) -> Result<()> + Send + Sync),
    ) -> Result<()>;

    /// Reads one attestation.
    async fn get_attestation(&self, id: Uuid) -> Result<Option<Attestation>>;

    /// One page of attestations in id order.
    async fn list_attestations(&self, query: &AttestationQuery) -> Result<Vec<Attestation>>;

    /// Marks an attestation of `organization_id` revoked with `reason` at `time` and appends `event`,
    /// unless it is already revoked (then nothing is written). Returns it as it now stands; `None`
    /// when it does not exist or belongs to another organisation. In the same transaction it revokes
    /// every valid certificate judged under any policy version the attestation covers whose closure
    /// holds the attested dataset, each with a `certificate.revoked` event.
    async fn revoke_attestation(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        event: NewEvent,
    ) -> Result<Option<Attestation>>;

    /// Files a contamination report with its event. An effective report (by the owner or the
    /// operator) revokes, in the same transaction, every valid certificate whose closure holds the
    /// dataset, each with a `certificate.revoked` event.
    async fn report_contamination(
        &self,
        report: &ContaminationReport,
        event: NewEvent,
    ) -> Result<()>;

    /// Stores issued certificates in one transaction: each with its closure's members (the
    /// reverse index the cascade follows) and its event, once its `precondition` has accepted the
    /// closure graph read in that transaction (so that no contamination or revocation slips in
    /// between). One outcome per certificate, in order: the sequence of its `certificate.issued`
    /// event, or why its precondition refused it (refusing that certificate alone). An `Err` of the
    /// whole means nothing was written.
    async fn insert_certificates(&self, batch: Vec<CertificateInsert>) -> Result<Vec<Result<u64>>>;

    /// Reads one certificate.
    async fn get_certificate(&self, id: Uuid) -> Result<Option<CertificateRecord>>;

    /// The stored transparency-log nodes among `ids` (those not stored are left out). Nodes are
    /// written in the transaction that appends their events: `append_events` of every backend
    /// extends the tree, and opening a store extends it over events written before it existed.
    async fn log_nodes(&self, ids: &[NodeId]) -> Result<FetchedNodes>;

    /// The stored nodes of one level of the tree, from `start`, at most `count`, in index order.
    async fn log_level(&self, level: u8, start: u64, count: u32) -> Result<Vec<Hash>>;

    /// Leaves in the transparency log's tree (the number of events it covers).
    async fn log_size(&self) -> Result<u64>;

    /// Leaf data (event chain hashes) of up to `count` leaves from index `start`, which is at most
    /// [`crate::domain::event::MAX_SEQUENCE`] (larger is an error).
    async fn log_leaves(&self, start: u64, count: u32) -> Result<Vec<[u8; 32]>>;

    /// The checkpoint of the largest tree signed so far.
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>>;

    /// Reserves a position in a token status list for `certificate`: the next one of the newest
    /// list with room, or the first of a new list keyed with `new_key`. Every caller gets a
    /// different position, across replicas too.
    async fn reserve_status_position(
        &self,
        certificate: Uuid,
        new_key: [u8; 32],
    ) -> Result<StatusPosition>;

    /// The capacity of status list `list` and the positions of its revoked certificates; `None`
    /// when there is no such list.
    async fn revoked_status_positions(&self, list: u64) -> Result<Option<(u64, Vec<u64>)>>;

    /// A read-only view of the transparency log, the event log and the checkpoints as they stood at
    /// one moment, whatever other processes commit while it is read. The start-up check compares
    /// the three: read at different moments, a replica writing meanwhile would make a sound log
    /// look corrupted.
    async fn log_snapshot(&self) -> Result<Box<dyn LogSnapshot>>;

    /// Keeps `checkpoint` unless one of its tree size is kept already; returns the one kept, so
    /// that a tree size is only ever answered with one note.
    async fn keep_checkpoint(&self, checkpoint: SignedCheckpoint) -> Result<SignedCheckpoint>;

    /// Keeps a witness's verified cosignature of the checkpoint of its tree size (kept already);
    /// a second one by the same witness for the same size is ignored.
    async fn keep_cosignature(&self, cosignature: CheckpointCosignature) -> Result<()>;

    /// The cosignatures kept for the checkpoint of `tree_size`, oldest first.
    async fn cosignatures(&self, tree_size: u64) -> Result<Vec<CheckpointCosignature>>;

    /// For each witness that cosigned a checkpoint, the largest size it cosigned: where the next
    /// consistency proof to it starts.
    async fn witnessed_sizes(&self) -> Result<Vec<(String, u64)>>;

    /// The fingerprints of the registry's key files as recorded in the database, one per kind that
    /// has been recorded (none before the first start).
    async fn recorded_keys(&self) -> Result<Vec<RecordedKey>>;

    /// Records each of `keys` whose kind has no record yet, in one writing transaction, and
    /// returns every record as it then stands. Processes racing on a fresh database all call this:
    /// the first one's keys are recorded, and the others read them back and see that theirs differ.
    async fn record_keys(&self, keys: &[RecordedKey]) -> Result<Vec<RecordedKey>>;

    /// Replaces the record of `key.kind` with `key` if its fingerprint is still `expected` (or, with
    /// `expected` `None`, whatever it is, or when there is none); whether it was replaced.
    async fn replace_recorded_key(&self, expected: Option<&str>, key: &RecordedKey)
    -> Result<bool>;

    /// Revokes a certificate of `organization_id` with its events, unless it is already revoked (then
    /// nothing is written). `None` when it does not exist or belongs to another organisation.
    async fn revoke_certificate(
        &self,
        organization_id: Uuid,
        id: Uuid,
        time: DateTime<Utc>,
        reason: &str,
        events: Vec<NewEvent>,
    ) -> Result<Option<CertificateRecord>>;
}

/// A certificate's place in the token status lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPosition {
    /// The list's number (its URI ends with it).
    pub list: u64,
    /// The certificate's index in it.
    pub idx: u64,
}

/// The log's reads, all from one snapshot of the database (one read-only transaction). Dropping it
/// ends the transaction.
#[async_trait]
pub trait LogSnapshot: Send {
    /// As [`Store::log_size`].
    async fn log_size(&mut self) -> Result<u64>;
    /// As [`Store::chain_head`].
    async fn chain_head(&mut self) -> Result<ChainHead>;
    /// As [`Store::log_nodes`].
    async fn log_nodes(&mut self, ids: &[NodeId]) -> Result<FetchedNodes>;
    /// As [`Store::log_level`].
    async fn log_level(&mut self, level: u8, start: u64, count: u32) -> Result<Vec<Hash>>;
    /// As [`Store::log_leaves`].
    async fn log_leaves(&mut self, start: u64, count: u32) -> Result<Vec<[u8; 32]>>;
    /// As [`Store::latest_checkpoint`].
    async fn latest_checkpoint(&mut self) -> Result<Option<SignedCheckpoint>>;
}

/// A page request over attestations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationQuery {
    /// Only this dataset's.
    pub dataset_id: Option<Uuid>,
    /// Only this organisation's.
    pub organization_id: Option<Uuid>,
    /// Only ids greater than this.
    pub after: Option<Uuid>,
    /// At most this many.
    pub limit: u32,
}
