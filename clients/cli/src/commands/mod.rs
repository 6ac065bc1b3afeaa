//! One module per command group. Each command makes its calls and prints through the
//! [`Printer`]; failures come back as [`CliError`] for `main` to report.

mod attest;
mod cert;
mod dataset;
mod dataset_file;
mod digest;
mod events;
mod generate;
mod health;
mod lineage;
mod log;
mod org;
mod paging;
mod policy;
pub mod render;
mod token;
mod webhook;
mod witness;

use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::cli::{Command, GlobalArgs};
use crate::client::Connection;
use crate::config::{self, Settings};
use crate::error::{CliError, exit};
use crate::output::Printer;

/// Runs `command`. On success, the exit code: 0, except for `policy evaluate`, whose code tells
/// the verdict, `cert verify`, whose code tells whether the certificate is valid, and `log verify`
/// and `log monitor`, whose code tells whether the log verified.
pub async fn run(global: GlobalArgs, command: Command, out: &mut Printer) -> Result<u8, CliError> {
    // Completions and manual pages describe provctl itself: no config file is read for them.
    let done = match command {
        Command::Completion { shell } => generate::completion(shell, out),
        Command::Man { dir } => generate::man(&dir, out),
        // A witness is a server of its own: it talks to no registry.
        Command::Witness(c) => witness::run(c, out).await,
        command => {
            let settings = config::resolve(global)?;
            return match run_with(&settings, command, out).await {
                // A failure that the wrong scheme may explain (`http://` to a TLS server or the
                // reverse) says so when the server answers the other scheme.
                Err(e) => Err(crate::scheme::explain(&settings.url, e).await),
                done => done,
            };
        }
    };
    done.map(|()| exit::SUCCESS)
}

/// Runs a command that needs the connection settings.
async fn run_with(global: &Settings, command: Command, out: &mut Printer) -> Result<u8, CliError> {
    // Each command connects as it needs: the certificate and log commands may need no token
    // (verifying, reading the keys, fetching proofs) or no network at all (verifying offline).
    let done = match command {
        Command::Cert(c) => return cert::run(global, c, out).await,
        Command::Log(c) => return log::run(global, c, out).await,
        Command::Digest(args) => digest::run(args, out),
        Command::Policy(c) => return policy::run(&Connection::open(global).await?, c, out).await,
        Command::Dataset(c) => dataset::run(global, c, out).await,
        Command::Lineage(c) => lineage::run(&Connection::open(global).await?, c, out).await,
        Command::Events(c) => events::run(&Connection::open(global).await?, c, out).await,
        Command::Org(c) => org::run(&Connection::open(global).await?, c, out).await,
        Command::Token(c) => token::run(&Connection::open(global).await?, c, out).await,
        Command::Webhook(c) => webhook::run(&Connection::open(global).await?, c, out).await,
        Command::Attest(c) => attest::run(&Connection::open(global).await?, c, out).await,
        Command::Health(args) => health::run(global, args, out).await,
        Command::Completion { .. } | Command::Man { .. } | Command::Witness(_) => {
            unreachable!("run handles the commands that need no settings")
        }
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

/// A time as the wire carries it.
fn timestamp(time: DateTime<Utc>) -> provenance_api::wkt::Timestamp {
    provenance_api::wkt::Timestamp {
        seconds: time.timestamp(),
        // Below one second, so it fits.
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// JSON as written to files: indented, with a final newline.
fn pretty(value: &Value) -> String {
    // Serialising a `Value` cannot fail; the fallback keeps this free of `unwrap`.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Writes a file asked for with `--out`.
fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    fs::write(path, text).map_err(|source| CliError::WriteFile {
        path: path.to_owned(),
        source,
    })
}
