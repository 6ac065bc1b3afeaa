//! The `provenance-registry` binary: serve, or run an operator command.

use clap::Parser;
use provenance_registry::config::{Cli, Command, CommonSettings, ServeSettings};
use provenance_registry::{admin, server, telemetry};

/// mimalloc rather than the C library's allocator: every call allocates and frees many small
/// buffers across the runtime's threads, where glibc's arenas contend (measured with `provbench`:
/// health checks 55k/s → 63k/s, certificate verifications 20k/s → 23k/s).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.common.log_format);
    let outcome = match cli.command {
        None => serve(&cli.common, &cli.serve).await,
        Some(Command::Serve(settings)) => serve(&cli.common, &settings).await,
        Some(Command::Admin(command)) => admin::run(&cli.common, command).await,
        Some(Command::Keys(command)) => admin::keys(&cli.common, command).await,
    };
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
        data_dir = %std::path::absolute(&common.data_dir)
            .unwrap_or(common.data_dir.clone())
            .display(),
        "serving provenance.v1"
    );
    app.run_until(signal).await
}
