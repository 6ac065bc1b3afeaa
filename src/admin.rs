//! Operator commands, run on the server machine against the same data directory as the server.
//!
//! Each says on standard error which data directory and database it works on, and refuses to run
//! where there is no registry unless told to create one (`admin --init`): run in the wrong
//! directory, it would otherwise make a new registry with new keys, and print tokens that the
//! running server rejects.

use tokio_util::sync::CancellationToken;

use crate::auth::client_certificates::ClientIdentities;
use crate::config::{AdminArgs, AdminCommand, CommonSettings, KeysCommand};
use crate::domain::event::format_time;
use crate::key_record::{
    KeyFiles, open_keys, record_key_files, rotate_signing_keys, signing_key_ring,
};
use crate::server::{describe_database, open_registry, open_store, require_registry};

/// Says on standard error where a command works: the data directory and the database.
fn announce(settings: &CommonSettings) {
    let dir = std::path::absolute(&settings.data_dir).unwrap_or(settings.data_dir.clone());
    eprintln!(
        "data directory {}, database {}",
        dir.display(),
        describe_database(settings)
    );
}

/// Runs one admin command, printing its result to standard output.
pub async fn run(settings: &CommonSettings, args: AdminArgs) -> anyhow::Result<()> {
    announce(settings);
    if !args.init && !matches!(args.command, AdminCommand::Restore { .. }) {
        require_registry(settings).await?;
    }
    match args.command {
        AdminCommand::Backup { dest } => {
            let verified = crate::backup::backup(settings, &dest).await?;
            eprintln!("backed up into {}", dest.display());
            print!("{verified}");
        }
        AdminCommand::Restore { source, replace } => {
            let (verified, aside) = crate::backup::restore(settings, &source, replace).await?;
            if let Some(aside) = aside {
                eprintln!("the previous data directory is kept as {}", aside.display());
            }
            eprintln!(
                "restored {} into {}",
                source.display(),
                settings.data_dir.display()
            );
            print!("{verified}");
        }
        AdminCommand::Verify => {
            let verified = crate::backup::verify(settings).await?;
            print!("{verified}");
        }
        AdminCommand::CreateOrg { name, admin_ttl } => {
            let name = crate::domain::text::required_line(
                "name",
                &name,
                crate::domain::dataset::limits::NAME,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (organization, token, record) = open(settings)
                .await?
                .bootstrap_organization(name, Some(chrono::Duration::from_std(admin_ttl)?))
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
            println!("organization_id: {}", organization.id);
            println!("admin_token_id: {}", record.id);
            println!("admin_token_expires: {}", format_time(record.expire_time));
            println!("admin_token: {token}");
        }
        AdminCommand::OperatorToken { ttl } => {
            let (token, record) = open(settings)
                .await?
                .operator_token(Some(chrono::Duration::from_std(ttl)?))
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
            eprintln!(
                "operator token {} valid until {}",
                record.id,
                format_time(record.expire_time)
            );
            println!("{token}");
        }
        AdminCommand::RecordKeys => {
            let store = open_store(settings).await?;
            let recorded = record_key_files(
                store.as_ref(),
                &KeyFiles::of(settings),
                &format!("{}/log", settings.issuer),
            )
            .await?;
            for key in recorded {
                println!("{}  {}  {}", key.kind.as_str(), key.source, key.fingerprint);
            }
        }
        AdminCommand::LogKey => println!("{}", open(settings).await?.log_identity().1),
    }
    Ok(())
}

/// The registry, opened as the server opens it.
async fn open(settings: &CommonSettings) -> anyhow::Result<crate::registry::Registry> {
    open_registry(
        settings,
        1,
        ClientIdentities::default(),
        CancellationToken::new(),
    )
    .await
}

/// Lists or rotates the certificate signing keys in the key file (or the token of
/// `--signing-key`). Rotation needs the registry's database too: it records the new keys there, so
/// that every replica's keys are checked against them at its next start.
pub async fn keys(settings: &CommonSettings, command: KeysCommand) -> anyhow::Result<()> {
    let files = KeyFiles::of(settings);
    let path = settings.signing_key_file();
    let shown = std::path::absolute(&path).unwrap_or(path.clone());
    if let KeysCommand::Rotate = command {
        announce(settings);
        require_registry(settings).await?;
        let store = open_store(settings).await?;
        // The keys must be the registry's (recorded) keys before they are rotated.
        open_keys(store.as_ref(), &files, &format!("{}/log", settings.issuer)).await?;
        let fresh = rotate_signing_keys(store.as_ref(), &files).await?;
        eprintln!(
            "new active signing key {}; the previous one is retired and kept for verification",
            fresh.kid
        );
    } else if let Some(uri) = &settings.signing_key {
        eprintln!("signing keys in the token {}", uri.redacted());
    } else {
        eprintln!("signing key file {}", shown.display());
    }
    if settings.signing_key.is_none() && !path.exists() {
        anyhow::bail!(
            "no signing key file at {}: run this where the server runs, with its --data-dir \
             (PROVENANCE_DATA_DIR) or --signing-key-file; the server's first start creates it",
            shown.display()
        );
    }
    let ring = signing_key_ring(&files).await?;
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
