//! `provctl org get|create`.

use provenance_api::v1 as pb;

use super::print_lines;
use crate::cli::OrgCommand;
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, organization_lines};

/// Runs one `org` subcommand.
pub async fn run(
    conn: &Connection,
    command: OrgCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.organizations();
    let organization = match command {
        OrgCommand::Get { id } => {
            client
                .get_organization(pb::GetOrganizationRequest {
                    id: id.map(|id| id.to_string()).unwrap_or_default(),
                })
                .await
        }
        OrgCommand::Create { name } => {
            client
                .create_organization(pb::CreateOrganizationRequest { name })
                .await
        }
    }
    .map_err(|s| conn.fail(s))?
    .into_inner();
    if out.is_json() {
        out.message(&organization)?;
    } else {
        print_lines(out, organization_lines(&organization))?;
    }
    Ok(())
}
