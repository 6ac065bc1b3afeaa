//! Use cases of datasets: registration through group commit (one by one or in atomic batches),
//! reads and lists.

use uuid::Uuid;

use super::feed::EventFeed;
use super::{Registry, viewer_of};
use crate::domain::access::{Caller, Role};
use crate::domain::dataset::{Dataset, NewDataset};
use crate::domain::paging::PageTokens;
use crate::domain::registration::{Pending, Registration, Unit, UnitParent};
use crate::error::{Error, Result};
use crate::store::{DatasetQuery, Store};

impl Registry {
    /// Registers a dataset (registrars and admins of its organisation), through group commit.
    pub async fn register_dataset(&self, caller: &Caller, new: NewDataset) -> Result<Registration> {
        let mut registered = self
            .register_datasets(caller, vec![(new, Vec::new())])
            .await?;
        registered
            .pop()
            .ok_or_else(|| Error::internal(anyhow::anyhow!("a registration went unanswered")))
    }

    /// Registers datasets all together or not at all, in order, through group commit: each item
    /// with the sources that name earlier items of the call. Each item is idempotent as a single
    /// registration is; a refusal names the item (`registrations[i]`).
    pub async fn register_datasets(
        &self,
        caller: &Caller,
        items: Vec<(NewDataset, Vec<UnitParent>)>,
    ) -> Result<Vec<Registration>> {
        let unit = items
            .into_iter()
            .map(|(new, unit_parents)| Pending {
                new,
                id: Uuid::now_v7(),
                unit_parents,
                aliases: Vec::new(),
            })
            .collect();
        self.register_unit(caller, unit).await
    }

    /// Registers a unit (all or none) through group commit, for registrars and admins of the
    /// organisation that owns every item.
    pub(super) async fn register_unit(
        &self,
        caller: &Caller,
        unit: Unit,
    ) -> Result<Vec<Registration>> {
        let organization = caller.member_with(Role::Registrar)?;
        if unit.iter().any(|p| p.new.organization_id != organization) {
            return Err(Error::PermissionDenied(
                "datasets can only be registered for the token's own organisation".into(),
            ));
        }
        self.registrations.submit(unit).await
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

    /// A dataset of `organization` that the caller wants to `act` on (`attest`, `certify`): others'
    /// datasets it may see are `PermissionDenied`, those it may not are `NotFound`.
    pub(super) async fn own_dataset(
        &self,
        caller: &Caller,
        organization: Uuid,
        id: Uuid,
        act: &str,
    ) -> Result<Dataset> {
        let dataset = self.get_dataset(caller, id).await?;
        if dataset.organization_id != organization {
            return Err(Error::PermissionDenied(format!(
                "dataset {} belongs to another organisation: only its owner may {act} it",
                dataset.id
            )));
        }
        Ok(dataset)
    }
}

/// Registrations in one transaction at most, unless one unit alone holds more: a gathered batch of
/// `RegisterDatasets` calls (up to 256 of 1,000 each) is written in transactions of about this
/// size, so that no single transaction grows without bound.
const REGISTRATIONS_PER_TRANSACTION: usize = 2_000;

/// Writes gathered units in as few transactions of bounded size as they fit. A transaction that
/// fails fails only its own units; those of the others stay written and are answered.
pub(super) async fn register_in_transactions(
    store: &dyn Store,
    feed: &EventFeed,
    batch: Vec<Unit>,
) -> Vec<Result<Vec<Registration>>> {
    let mut answers = Vec::with_capacity(batch.len());
    let mut chunk: Vec<Unit> = Vec::new();
    let mut items = 0;
    let mut units = batch.into_iter().peekable();
    while let Some(unit) = units.next() {
        items += unit.len();
        chunk.push(unit);
        let next_fits = units
            .peek()
            .is_some_and(|next| items + next.len() <= REGISTRATIONS_PER_TRANSACTION);
        if next_fits {
            continue;
        }
        let written = std::mem::take(&mut chunk);
        let count = written.len();
        items = 0;
        match store.register_datasets(written).await {
            Ok(outcomes) => {
                if outcomes
                    .iter()
                    .flatten()
                    .flatten()
                    .any(|r| matches!(r, Registration::Created(_)))
                {
                    feed.notify();
                }
                answers.extend(outcomes);
            }
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "a transaction of {count} registration calls failed; nothing of it was written"
                );
                answers.extend((0..count).map(|_| {
                    Err(Error::internal(anyhow::anyhow!(
                        "the registration batch failed"
                    )))
                }));
            }
        }
    }
    answers
}
