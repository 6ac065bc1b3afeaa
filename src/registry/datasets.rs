//! Use cases of datasets: registration through group commit, reads and lists.

use uuid::Uuid;

use super::{Registry, viewer_of};
use crate::domain::access::{Caller, Role};
use crate::domain::dataset::{Dataset, NewDataset};
use crate::domain::paging::PageTokens;
use crate::domain::registration::{Pending, Registration};
use crate::error::{Error, Result};
use crate::store::DatasetQuery;

impl Registry {
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
