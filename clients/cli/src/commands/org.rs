//! `provctl org get|create|list`.

use provenance_api::v1 as pb;

use super::paging::{fetch_pages, hint_more};
use super::print_lines;
use crate::cli::{OrgCommand, PageArgs};
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, organization_lines, organization_row};

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
        OrgCommand::List { name, page } => return list(conn, name, page, out).await,
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

/// `org list`: a page of organisations, or with `--all` every page.
async fn list(
    conn: &Connection,
    name: Option<String>,
    page: PageArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.organizations();
    let name = name.unwrap_or_default();
    let listed = fetch_pages(&page, out, organization_row, async |page_token| {
        let answer = client
            .list_organizations(pb::ListOrganizationsRequest {
                page_size: page.page_size.unwrap_or(0),
                page_token,
                name: name.clone(),
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner();
        Ok((answer.organizations, answer.next_page_token))
    })
    .await?;
    if out.is_json() {
        // The pages as one answer: with --all, every page's organisations and no next page.
        out.message(&pb::ListOrganizationsResponse {
            organizations: listed.items,
            next_page_token: listed.next_page_token,
        })?;
    } else {
        hint_more("organisations", &listed.next_page_token);
    }
    Ok(())
}
