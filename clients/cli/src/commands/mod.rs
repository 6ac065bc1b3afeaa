//! One module per command group. Each command makes its calls and prints through the
//! [`Printer`]; failures come back as [`CliError`] for `main` to report.

mod attest;
mod dataset;
mod events;
mod lineage;
mod org;
mod policy;
mod token;

use crate::cli::{Command, GlobalArgs};
use crate::client::Connection;
use crate::error::{CliError, exit};
use crate::output::Printer;

/// Connects and runs `command`. On success, the exit code: 0, except for `policy evaluate`,
/// whose code tells the verdict.
pub async fn run(global: &GlobalArgs, command: Command, out: &mut Printer) -> Result<u8, CliError> {
    let conn = Connection::open(global).await?;
    let done = match command {
        Command::Dataset(c) => dataset::run(&conn, c, out).await,
        Command::Lineage(c) => lineage::run(&conn, c, out).await,
        Command::Events(c) => events::run(&conn, c, out).await,
        Command::Org(c) => org::run(&conn, c, out).await,
        Command::Token(c) => token::run(&conn, c, out).await,
        Command::Attest(c) => attest::run(&conn, c, out).await,
        Command::Policy(c) => return policy::run(&conn, c, out).await,
    };
    done.map(|()| exit::SUCCESS)
}

/// Prints labelled lines, one per field.
fn print_lines(out: &mut Printer, lines: Vec<String>) -> Result<(), CliError> {
    for line in lines {
        out.line(line)?;
    }
    Ok(())
}
