//! `provctl completion SHELL` and `provctl man DIR`: what provctl says of itself, for the shell and
//! for `man`, made from the same definition as `--help`. Neither reads the config file.

use std::fs;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde_json::json;

use crate::cli::Cli;
use crate::error::CliError;
use crate::output::Printer;

/// Prints the completion script of `shell`.
pub fn completion(shell: clap_complete::Shell, out: &mut Printer) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "provctl", &mut script);
    let script = String::from_utf8(script)
        .map_err(|_| CliError::BadAnswer("the completion script is not UTF-8".into()))?;
    out.line(script.trim_end_matches('\n'))?;
    Ok(())
}

/// Writes `provctl.1` and a page per command (`provctl-cert-verify.1`) into `dir`, and prints
/// their paths.
pub fn man(dir: &Path, out: &mut Printer) -> Result<(), CliError> {
    let unwritable = |source| CliError::WriteFile {
        path: dir.to_owned(),
        source,
    };
    fs::create_dir_all(dir).map_err(unwritable)?;
    // As `clap_mangen::generate_to` does, keeping the paths: built, each command is named after
    // its parents (`provctl-cert-verify`), and `help` is no command of its own.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    write_pages(command, dir, &mut written).map_err(unwritable)?;
    if out.is_json() {
        let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        out.json(&json!({"dir": dir.display().to_string(), "files": files}))?;
    } else {
        for path in &written {
            out.line(path.display())?;
        }
    }
    Ok(())
}

fn write_pages(
    command: clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let page = clap_mangen::Man::new(command.clone())
        .source(concat!("provctl ", env!("CARGO_PKG_VERSION")))
        .manual("provctl manual");
    written.push(page.generate_to(dir)?);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    Ok(())
}
