//! `provctl`: command-line client of the provenance registry.
//!
//! `main` only parses, runs and turns the outcome into an exit code; the commands live in
//! [`commands`], the flags in [`cli`], printing in [`output`], [`tree`] and [`graph`]; offline
//! certificate verification in [`offline`] and bundles in [`bundle`]; the transparency log's proof
//! files and their offline verification in [`logproof`]; the witness `witness serve` runs in
//! [`witness`].

mod bundle;
mod cli;
mod client;
mod commands;
mod config;
mod croissant;
mod error;
mod evidence;
mod graph;
mod logproof;
mod manifest;
mod offline;
mod output;
mod scheme;
mod source;
mod tiles;
mod tree;
mod witness;

use std::io;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::error::exit;
use crate::output::Printer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Cli { global, command } = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` arrive here too, as "errors" meant for stdout.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    let mut out = Printer::new(global.output, Box::new(io::stdout()));
    // A command's own code (e.g. the verdict of `policy evaluate`) survives a closed stdout: a CI
    // gate reading `provctl policy evaluate ... | head -1` must still see CONTAMINATED as 7.
    let result = match commands::run(global, command, &mut out).await {
        Ok(code) => match out.flush() {
            Ok(()) => Ok(code),
            Err(e) => Err((error::CliError::from(e), code)),
        },
        Err(e) => Err((e, exit::SUCCESS)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err((e, code)) if e.is_broken_pipe() => ExitCode::from(code),
        Err((e, _)) => {
            eprintln!("provctl: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
