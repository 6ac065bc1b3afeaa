//! The `provenance-registry` binary: serve, or run an operator command.

use std::path::Path;

use clap::CommandFactory;
use provenance_registry::config::{Cli, Command, CommonSettings, ServeSettings};
use provenance_registry::{admin, server, telemetry};

/// mimalloc rather than the C library's allocator: every call allocates and frees many small
/// buffers across the runtime's threads, where glibc's arenas contend (measured with `provbench`:
/// health checks 55k/s → 63k/s, certificate verifications 20k/s → 23k/s).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse_checked();
    let otlp_endpoint = match &cli.command {
        None => cli.serve.otlp_endpoint.as_deref(),
        Some(Command::Serve { settings, .. }) => settings.otlp_endpoint.as_deref(),
        Some(_) => None,
    };
    let telemetry = match telemetry::init(cli.common.log_format, otlp_endpoint) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        None => serve(&cli.common.serving(&cli.rules), &cli.serve).await,
        Some(Command::Serve { settings, rules }) => {
            serve(&cli.common.serving(&rules), &settings).await
        }
        Some(Command::Admin(command)) => admin::run(&cli.common, command).await,
        Some(Command::Keys(command)) => admin::keys(&cli.common, command).await,
        Some(Command::Completion { shell }) => {
            let name = env!("CARGO_BIN_NAME");
            clap_complete::generate(shell, &mut Cli::command(), name, &mut std::io::stdout());
            Ok(())
        }
        Some(Command::Man { dir }) => man(&dir),
    };
    // The spans of the last calls, flushed after the server stopped.
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(common: &CommonSettings, settings: &ServeSettings) -> anyhow::Result<()> {
    let signal = server::shutdown_signal()?;
    let hangup = server::hangup_signal()?;
    let app = server::Application::build(common, settings)
        .await?
        .reload_on(hangup);
    let on_off = |on: bool| if on { "on" } else { "off" };
    tracing::info!(
        address = %app.local_addr()?,
        tls = %on_off(settings.tls_cert.is_some()),
        mutual_tls = %on_off(settings.tls_client_ca.is_some()),
        database = %server::describe_database(common),
        metrics = %app
            .metrics_addr()
            .map_or_else(|| "off".to_owned(), |addr| format!("http://{addr}/metrics")),
        traces = %settings.otlp_endpoint.as_deref().unwrap_or("off"),
        data_dir = %std::path::absolute(&common.data_dir)
            .unwrap_or(common.data_dir.clone())
            .display(),
        "serving provenance.v1"
    );
    app.run_until(signal).await
}

/// Writes the manual pages into `dir`, one per command, and prints their paths.
fn man(dir: &Path) -> anyhow::Result<()> {
    fn write(command: clap::Command, dir: &Path) -> std::io::Result<()> {
        let page = clap_mangen::Man::new(command.clone())
            .source(concat!("provenance-registry ", env!("CARGO_PKG_VERSION")))
            .manual("provenance-registry manual");
        println!("{}", page.generate_to(dir)?.display());
        command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .try_for_each(|sub| write(sub.clone(), dir))
    }
    // Built, each command is named after its parents (`provenance-registry-admin-create-org`).
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    std::fs::create_dir_all(dir)
        .and_then(|()| write(command, dir))
        .map_err(|e| anyhow::anyhow!("cannot write the manual pages into {}: {e}", dir.display()))
}
