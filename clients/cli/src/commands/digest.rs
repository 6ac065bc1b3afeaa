//! `provctl digest DIR`, and the hashing `dataset register --path DIR` shares with it.

use std::path::Path;

use serde_json::{Value, json};

use super::{print_lines, write_file};
use crate::cli::{DigestArgs, HashingArgs};
use crate::error::CliError;
use crate::manifest::{self, Manifest, Symlinks};
use crate::output::Printer;

/// Runs `digest`.
pub fn run(args: DigestArgs, out: &mut Printer) -> Result<(), CliError> {
    let manifest = hash_directory(&args.dir, &args.hashing)?;
    let digest = manifest.digest();
    if args.quiet {
        out.line(&digest)?;
    } else if out.is_json() {
        let mut value = summary_json(&manifest, &digest, &args.hashing);
        if args.manifest {
            value["manifest"] = manifest
                .entries
                .iter()
                .map(|e| {
                    json!({"path": e.path, "size": e.size.to_string(), "sha256": hex::encode(e.sha256)})
                })
                .collect();
        }
        out.json(&value)?;
    } else {
        print_lines(out, summary_lines(&manifest, &digest, &args.hashing))?;
        if args.manifest {
            out.line("manifest:")?;
            for entry in &manifest.entries {
                out.line(manifest::entry_line(entry).trim_end_matches('\n'))?;
            }
        }
    }
    Ok(())
}

/// Hashes `dir` as the flags say, and writes the manifest when `--manifest-out` asks.
pub fn hash_directory(dir: &Path, hashing: &HashingArgs) -> Result<Manifest, CliError> {
    let symlinks = if hashing.skip_symlinks {
        Symlinks::Skip
    } else {
        Symlinks::Refuse
    };
    let manifest = manifest::build(dir, symlinks, true)?;
    if let Some(path) = &hashing.manifest_out {
        write_file(path, &manifest.text())?;
    }
    if !manifest.skipped_symlinks.is_empty() {
        eprintln!(
            "provctl: left out {} symbolic link(s) (--skip-symlinks), e.g. {}",
            manifest.skipped_symlinks.len(),
            manifest.skipped_symlinks[0]
        );
    }
    Ok(manifest)
}

/// The digest, counts and files written, as JSON: provctl's own object, written by the rules of the
/// API's JSON (lowerCamelCase, sizes in bytes as strings like a dataset's `sizeBytes`).
pub fn summary_json(manifest: &Manifest, digest: &str, hashing: &HashingArgs) -> Value {
    json!({
        "digest": digest,
        "files": manifest.entries.len(),
        "totalBytes": manifest.total_bytes().to_string(),
        "skippedSymlinks": manifest.skipped_symlinks,
        "manifestFile": hashing.manifest_out.as_ref().map(|p| p.display().to_string()),
    })
}

/// The digest, counts and files written, as labelled lines.
pub fn summary_lines(manifest: &Manifest, digest: &str, hashing: &HashingArgs) -> Vec<String> {
    let mut lines = vec![
        format!("digest:       {digest}"),
        format!("files:        {}", manifest.entries.len()),
        format!("total bytes:  {}", manifest.total_bytes()),
    ];
    if !manifest.skipped_symlinks.is_empty() {
        lines.push(format!(
            "skipped:      {} symbolic link(s)",
            manifest.skipped_symlinks.len()
        ));
    }
    if let Some(path) = &hashing.manifest_out {
        lines.push(format!("manifest:     written to {}", path.display()));
    }
    lines
}
