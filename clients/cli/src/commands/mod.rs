//! One module per command group. Each command makes its calls and prints through the
//! [`Printer`]; failures come back as [`CliError`] for `main` to report.

mod dataset;
mod events;
mod lineage;
mod org;
mod token;

use crate::cli::{Command, GlobalArgs};
use crate::client::Connection;
use crate::error::CliError;
use crate::output::Printer;

/// Connects and runs `command`.
pub async fn run(global: &GlobalArgs, command: Command, out: &mut Printer) -> Result<(), CliError> {
    let conn = Connection::open(global).await?;
    match command {
        Command::Dataset(c) => dataset::run(&conn, c, out).await,
        Command::Lineage(c) => lineage::run(&conn, c, out).await,
        Command::Events(c) => events::run(&conn, c, out).await,
        Command::Org(c) => org::run(&conn, c, out).await,
        Command::Token(c) => token::run(&conn, c, out).await,
    }
}

/// Prints labelled lines, one per field.
fn print_lines(out: &mut Printer, lines: Vec<String>) -> Result<(), CliError> {
    for line in lines {
        out.line(line)?;
    }
    Ok(())
}
