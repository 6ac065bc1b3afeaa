//! `provctl witness serve|key`: a tlog-witness of anyone's choosing (see [`crate::witness`]).

use std::io::Write;
use std::sync::Arc;

use crate::cli::{WitnessCommand, WitnessServeArgs};
use crate::error::CliError;
use crate::output::Printer;
use crate::witness::{Witness, WitnessedLog, bind, load_or_create_key};

/// Runs one `witness` subcommand.
pub async fn run(command: WitnessCommand, out: &mut Printer) -> Result<(), CliError> {
    match command {
        WitnessCommand::Key { key_file, name } => {
            let key = load_or_create_key(&key_file, name.as_deref())?;
            out.line(key.verifier().vkey())?;
            Ok(())
        }
        WitnessCommand::Serve(args) => serve(args).await,
    }
}

async fn serve(args: WitnessServeArgs) -> Result<(), CliError> {
    let key = load_or_create_key(&args.key_file, args.name.as_deref())?;
    let logs = args
        .logs
        .iter()
        .map(|text| WitnessedLog::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let vkey = key.verifier().vkey();
    let witness = Arc::new(Witness::new(key, logs, args.state)?);
    let (listener, address) = bind(args.listen).await?;
    // Printed at once (not through the buffered printer): scripts wait for these lines.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {address}")?;
    writeln!(stdout, "witness key {vkey}")?;
    stdout.flush()?;
    tokio::select! {
        served = witness.serve(listener) => served,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
