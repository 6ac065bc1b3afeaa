//! Use case of OpenLineage ingestion: a completed run's outputs registered with its inputs as
//! sources (rules in [`crate::domain::openlineage`]).

use super::Registry;
use crate::domain::access::{Caller, Role};
use crate::domain::openlineage::{self, Event};
use crate::domain::registration::{Pending, Registration};
use crate::error::Result;
use crate::store::NameLookup;

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingestion {
    /// A valid event that registers nothing, and what it was.
    Ignored(String),
    /// A completed run: one registration per output, in order (already existing ones included,
    /// so a retried event answers as the first did).
    Registered(Vec<Registration>),
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
                id: uuid::Uuid::now_v7(),
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
        Ok(Ingestion::Registered(registrations))
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
