//! `provctl token create|revoke`.

use provenance_api::v1 as pb;

use super::print_lines;
use crate::cli::{RoleArg, TokenCommand};
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, token_info_lines};

/// Runs one `token` subcommand.
pub async fn run(
    conn: &Connection,
    command: TokenCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.organizations();
    match command {
        TokenCommand::Create { role, subject, ttl } => {
            let response = client
                .create_access_token(pb::CreateAccessTokenRequest {
                    role: role_to_proto(role) as i32,
                    subject,
                    ttl: ttl.map(|seconds| provenance_api::wkt::Duration { seconds, nanos: 0 }),
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&response)?;
            } else {
                // Only the token, so that `$(provctl token create ...)` captures exactly it; the
                // record goes to stderr for the person watching.
                out.line(&response.token)?;
                if let Some(info) = &response.info {
                    eprintln!(
                        "issued token {} ({} for {}), expires {}",
                        info.id,
                        crate::output::role_text(info.role),
                        info.subject,
                        info.expire_time
                            .as_ref()
                            .map_or_else(|| "-".to_owned(), crate::output::format_time)
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let info = client
                .revoke_access_token(pb::RevokeAccessTokenRequest { id: id.to_string() })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            if out.is_json() {
                out.message(&info)?;
            } else {
                print_lines(out, token_info_lines(&info))?;
            }
        }
    }
    Ok(())
}

fn role_to_proto(role: RoleArg) -> pb::Role {
    match role {
        RoleArg::Auditor => pb::Role::Auditor,
        RoleArg::Registrar => pb::Role::Registrar,
        RoleArg::Admin => pb::Role::Admin,
    }
}
