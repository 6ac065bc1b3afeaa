//! The `provenance-registry` binary: serve, or run an operator command.

use clap::Parser;
use provenance_registry::config::{Cli, Command};
use provenance_registry::{admin, server, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.common.log_format);
    let outcome = match cli.command {
        None | Some(Command::Serve) => serve(cli).await,
        Some(Command::Admin(command)) => admin::run(&cli.common, command).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let app = server::Application::build(&cli.common, &cli.serve).await?;
    tracing::info!(
        address = %app.local_addr()?,
        data_dir = %cli.common.data_dir.display(),
        "serving provenance.v1"
    );
    app.run_until(server::shutdown_signal()).await
}
