//! Operator commands, run on the server machine against the same data directory as the server.

use tokio_util::sync::CancellationToken;

use crate::auth::client_certificates::ClientIdentities;
use crate::config::{AdminCommand, CommonSettings, KeysCommand};
use crate::domain::event::format_time;
use crate::server::open_registry;
use crate::signing_keys::KeyRing;

/// Runs one admin command, printing its result to standard output.
pub async fn run(settings: &CommonSettings, command: AdminCommand) -> anyhow::Result<()> {
    let registry = open_registry(
        settings,
        1,
        ClientIdentities::default(),
        CancellationToken::new(),
    )
    .await?;
    match command {
        AdminCommand::CreateOrg { name, admin_ttl } => {
            let name = crate::domain::text::required_line(
                "name",
                &name,
                crate::domain::dataset::limits::NAME,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (organization, token, record) = registry
                .bootstrap_organization(name, Some(chrono::Duration::from_std(admin_ttl)?))
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
            println!("organization_id: {}", organization.id);
            println!("admin_token_id: {}", record.id);
            println!(
                "admin_token_expires: {}",
                crate::domain::event::format_time(record.expire_time)
            );
            println!("admin_token: {token}");
        }
        AdminCommand::OperatorToken { ttl } => {
            let (token, record) = registry
                .operator_token(Some(chrono::Duration::from_std(ttl)?))
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
            eprintln!(
                "operator token {} valid until {}",
                record.id,
                crate::domain::event::format_time(record.expire_time)
            );
            println!("{token}");
        }
    }
    Ok(())
}

/// Lists or rotates the certificate signing keys in the key file.
pub fn keys(settings: &CommonSettings, command: KeysCommand) -> anyhow::Result<()> {
    let path = settings.signing_key_file();
    if let KeysCommand::Rotate = command {
        // A fresh installation has no file yet: make its first key, then rotate as asked.
        KeyRing::load_or_create(&path)?;
        let fresh = KeyRing::rotate(&path)?;
        eprintln!(
            "new active signing key {}; the previous one is retired and kept for verification",
            fresh.kid
        );
    }
    let ring = KeyRing::load_or_create(&path)?;
    for key in ring.keys().iter().rev() {
        println!(
            "{}  {}  valid from {}{}",
            key.kid,
            if key.is_active() {
                "active "
            } else {
                "retired"
            },
            format_time(key.created),
            key.retired
                .map(|t| format!(" until {}", format_time(t)))
                .unwrap_or_default()
        );
    }
    Ok(())
}
