//! Use case of OpenLineage ingestion: a completed run's outputs registered with its inputs as
//! sources (rules in [`crate::domain::openlineage`]).

use std::collections::HashMap;

use uuid::Uuid;

use super::Registry;
use crate::domain::access::{Caller, Role};
use crate::domain::dataset::{Source, SourceKind};
use crate::domain::openlineage::{self, Event};
use crate::domain::registration::{Pending, Registration};
use crate::error::Result;
use crate::store::NameLookup;

/// Datasets linked in new versions after one event, at most: a bound on the work one event can
/// cause, however many datasets read its outputs before they were registered.
pub const MAX_LINKED: usize = 1000;

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingestion {
    /// A valid event that registers nothing, and what it was.
    Ignored(String),
    /// A completed run: one registration per output, in order (already existing ones included,
    /// so a retried event answers as the first did), and the new versions of the datasets that
    /// had read an output before it was registered.
    Registered {
        /// One per output.
        outputs: Vec<Registration>,
        /// The new versions made to link the outputs (see `domain::openlineage`).
        linked: Vec<Registration>,
    },
}

/// A registered dataset a source may be linked to.
#[derive(Debug, Clone)]
struct Target {
    id: Uuid,
    public: bool,
    name: String,
}

impl Registry {
    /// Ingests one OpenLineage event for the caller's organisation (registrars and admins), all
    /// of its outputs or none, through group commit.
    pub async fn ingest_openlineage(&self, caller: &Caller, event: Event) -> Result<Ingestion> {
        let organization = caller.member_with(Role::Registrar)?;
        let run = match event {
            Event::Ignored(what) => return Ok(Ingestion::Ignored(what)),
            Event::Complete(run) if run.outputs.is_empty() => {
                return Ok(Ingestion::Ignored(
                    "a COMPLETE run event without outputs: nothing to register".into(),
                ));
            }
            Event::Complete(run) => run,
        };
        let input_lookups: Vec<NameLookup> = run
            .inputs
            .iter()
            .map(|input| NameLookup {
                names: input.names(),
                version: input.version.clone(),
            })
            .collect();
        let output_lookups: Vec<NameLookup> = run
            .outputs
            .iter()
            .map(|output| NameLookup {
                names: output.names(),
                version: None,
            })
            .collect();
        let inputs = self
            .store
            .find_named_datasets(organization, &input_lookups)
            .await?
            .into_iter()
            .map(|found| found.map(|d| (d.id, d.visibility.is_public())))
            .collect::<Vec<_>>();
        let output_names = self
            .store
            .find_named_datasets(organization, &output_lookups)
            .await?
            .into_iter()
            .map(|found| found.map(|d| d.name))
            .collect::<Vec<_>>();
        let unit = openlineage::registrations(&run, caller, organization, &inputs, &output_names)?
            .into_iter()
            .map(|(new, aliases)| Pending {
                new,
                id: Uuid::now_v7(),
                unit_parents: Vec::new(),
                aliases,
            })
            .collect();
        let several = run.outputs.len() > 1;
        let registrations = self.register_unit(caller, unit).await.map_err(|error| {
            // A unit's refusals name `registrations[i]` when it has several items; here the items
            // are the event's outputs, named whatever their number.
            if several {
                rename_items(error)
            } else {
                error.at_item("outputs[0]")
            }
        })?;
        let mut targets: HashMap<String, Target> = HashMap::new();
        for (output, registration) in run.outputs.iter().zip(&registrations) {
            let dataset = registration.dataset();
            let target = Target {
                id: dataset.id,
                public: dataset.visibility.is_public(),
                name: dataset.name.clone(),
            };
            for name in output.names().into_iter().chain([dataset.name.clone()]) {
                targets.insert(name, target.clone());
            }
        }
        let linked = self.link_readers(caller, organization, targets).await;
        Ok(Ingestion::Registered {
            outputs: registrations,
            linked,
        })
    }

    /// Links datasets that read a just-registered dataset before it was registered (as an
    /// external source naming it) in their next version, and then the datasets made from those
    /// in theirs, until nothing more changes or [`MAX_LINKED`] versions were made. Only the newest
    /// version of a name is linked; a dataset is never linked to a version of its own name. Runs
    /// on every completed event, so a retry finishes what a crash interrupted; a failure is
    /// logged and leaves the event's own registrations stored.
    async fn link_readers(
        &self,
        caller: &Caller,
        organization: Uuid,
        mut by_uri: HashMap<String, Target>,
    ) -> Vec<Registration> {
        let mut superseded: HashMap<Uuid, Target> = HashMap::new();
        let mut linked = Vec::new();
        while (!by_uri.is_empty() || !superseded.is_empty()) && linked.len() < MAX_LINKED {
            let uris: Vec<String> = by_uri.keys().cloned().collect();
            let parents: Vec<Uuid> = superseded.keys().copied().collect();
            let readers = match self
                .store
                .newest_readers(organization, &uris, &parents)
                .await
            {
                Ok(readers) => readers,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot look up the readers to link");
                    break;
                }
            };
            let mut unit = Vec::new();
            let mut replaced = Vec::new();
            for reader in readers.into_iter().take(MAX_LINKED - linked.len()) {
                let link = |source: &Source| -> Option<(Uuid, bool)> {
                    let target = match &source.kind {
                        SourceKind::ExternalDataset => by_uri.get(source.uri.as_deref()?),
                        SourceKind::Dataset { dataset_id, .. } => superseded.get(dataset_id),
                        _ => None,
                    }?;
                    (target.name != reader.name).then_some((target.id, target.public))
                };
                match openlineage::linked_version(&reader, caller, link) {
                    Ok(Some(new)) => {
                        replaced.push(reader.id);
                        unit.push(Pending {
                            new,
                            id: Uuid::now_v7(),
                            unit_parents: Vec::new(),
                            aliases: Vec::new(),
                        });
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(dataset = %reader.id, error = %error, "cannot link a reader");
                    }
                }
            }
            if unit.is_empty() {
                break;
            }
            let registrations = match self.register_unit(caller, unit).await {
                Ok(registrations) => registrations,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot register the linked versions");
                    break;
                }
            };
            by_uri.clear();
            superseded = replaced
                .into_iter()
                .zip(&registrations)
                .map(|(old, registration)| {
                    let dataset = registration.dataset();
                    let target = Target {
                        id: dataset.id,
                        public: dataset.visibility.is_public(),
                        name: dataset.name.clone(),
                    };
                    (old, target)
                })
                .collect();
            linked.extend(registrations);
        }
        linked
    }
}

fn rename_items(error: crate::error::Error) -> crate::error::Error {
    use crate::error::{Error, FieldViolation, FieldViolations};
    let rename = |text: String| text.replacen("registrations[", "outputs[", 1);
    match error {
        Error::NotFound(m) => Error::NotFound(rename(m)),
        Error::AlreadyExists(m) => Error::AlreadyExists(rename(m)),
        Error::InvalidArgument(FieldViolations(list)) => Error::InvalidArgument(FieldViolations(
            list.into_iter()
                .map(|v| FieldViolation {
                    field: rename(v.field),
                    reason: v.reason,
                })
                .collect(),
        )),
        other => other,
    }
}
