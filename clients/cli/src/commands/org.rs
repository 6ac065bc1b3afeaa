//! `provctl org get|create|list`.

use provenance_api::v1 as pb;

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
    let mut page_token = page.page_token.unwrap_or_default();
    let mut all = Vec::new();
    loop {
        let answer = client
            .list_organizations(pb::ListOrganizationsRequest {
                page_size: page.page_size.unwrap_or(0),
                page_token: page_token.clone(),
                name: name.clone().unwrap_or_default(),
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner();
        if !out.is_json() {
            for organization in &answer.organizations {
                out.line(organization_row(organization))?;
            }
        }
        all.extend(answer.organizations);
        page_token = answer.next_page_token;
        if !page.all || page_token.is_empty() {
            break;
        }
    }
    if out.is_json() {
        // The pages as one answer: with --all, every page's organisations and no next page.
        out.message(&pb::ListOrganizationsResponse {
            organizations: all,
            next_page_token: page_token,
        })?;
    } else if !page_token.is_empty() {
        // On stderr, so that the rows on stdout stay clean for scripts.
        eprintln!("more organisations: pass --page-token {page_token}, or --all");
    }
    Ok(())
}
