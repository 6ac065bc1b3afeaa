//! `provctl dataset register|get|list|report`.

use provenance_api::v1 as pb;

use super::dataset_file;
use super::digest::{hash_directory, summary_json};
use super::paging::{fetch_pages, hint_more};
use super::print_lines;
use crate::cli::{DatasetCommand, ImportArgs, ListDatasetsArgs, RegisterArgs, ReportArgs};
use crate::client::Connection;
use crate::config::Settings;
use crate::croissant;
use crate::error::CliError;
use crate::manifest::Manifest;
use crate::output::{
    Printer, contamination_report_lines, dataset_lines, dataset_row, message_json,
};
use crate::source::SourceArg;

/// Runs one `dataset` subcommand.
pub async fn run(
    global: &Settings,
    command: DatasetCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    // A directory is hashed before connecting: a bad directory is reported as such whether or
    // not the registry is up, and no connection idles through a long hashing.
    match command {
        DatasetCommand::Register(args) => {
            // The whole file is read and checked before connecting, for the same reasons.
            if let Some(file) = &args.from_file {
                let registrations = dataset_file::read(file)?;
                let options = dataset_file::Options::of(&args);
                let conn = Connection::open(global).await?;
                return dataset_file::register(&conn, &registrations, options, out).await;
            }
            let registration = prepare(args)?;
            register(&Connection::open(global).await?, registration, out).await
        }
        DatasetCommand::Get { id } => get(&Connection::open(global).await?, id, out).await,
        DatasetCommand::List(args) => list(&Connection::open(global).await?, args, out).await,
        DatasetCommand::Report(args) => report(&Connection::open(global).await?, args, out).await,
        DatasetCommand::Import(args) => {
            // Read and checked before connecting, as a directory is hashed.
            let import = read_croissant(&args)?;
            import_croissant(&Connection::open(global).await?, import, &args, out).await
        }
    }
}

fn read_croissant(args: &ImportArgs) -> Result<croissant::Import, CliError> {
    let path = &args.croissant;
    let unreadable =
        |e: std::io::Error| CliError::Input(format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > croissant::FILE_LIMIT {
        return Err(CliError::Input(format!(
            "{}: {size} bytes, more than the {} a Croissant file may have",
            path.display(),
            croissant::FILE_LIMIT
        )));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let mut import = croissant::parse(&bytes, args.version.as_deref()).map_err(|e| {
        CliError::Input(format!(
            "{} is not Croissant metadata the registry can take: {e}",
            path.display()
        ))
    })?;
    if args.public {
        import.request.visibility = pb::Visibility::Public as i32;
    }
    Ok(import)
}

async fn import_croissant(
    conn: &Connection,
    import: croissant::Import,
    args: &ImportArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let response = conn
        .datasets()
        .register_dataset(import.request)
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let Some(dataset) = &response.dataset else {
        return Err(CliError::BadAnswer(
            "the registration answer holds no dataset".into(),
        ));
    };
    if args.quiet {
        out.line(&dataset.id)?;
    } else if out.is_json() {
        out.message(&response)?;
    } else {
        eprintln!(
            "manifest of {} file(s), {} bytes",
            import.manifest.entries.len(),
            import.manifest.total_bytes()
        );
        print_lines(out, dataset_lines(dataset))?;
        out.line(format!(
            "already existed: {}",
            if response.already_existed {
                "yes"
            } else {
                "no"
            }
        ))?;
    }
    Ok(())
}

async fn get(conn: &Connection, id: uuid::Uuid, out: &mut Printer) -> Result<(), CliError> {
    let dataset = conn
        .datasets()
        .get_dataset(pb::GetDatasetRequest { id: id.to_string() })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    if out.is_json() {
        out.message(&dataset)?;
    } else {
        print_lines(out, dataset_lines(&dataset))?;
    }
    Ok(())
}

fn report_request(args: ReportArgs) -> pb::ReportContaminationRequest {
    pb::ReportContaminationRequest {
        dataset_id: args.id.to_string(),
        statement: args.statement,
        evidence: args.evidence.iter().map(|e| e.to_proto()).collect(),
    }
}

async fn report(conn: &Connection, args: ReportArgs, out: &mut Printer) -> Result<(), CliError> {
    let report = conn
        .datasets()
        .report_contamination(report_request(args))
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    if out.is_json() {
        out.message(&report)?;
    } else {
        print_lines(out, contamination_report_lines(&report))?;
    }
    Ok(())
}

/// The registration request for the flags and the digest (given, or computed from `--path`):
/// parents first, then the other sources, each group in the order given, since the registry
/// keeps sources in the order they are declared.
fn register_request(
    args: RegisterArgs,
    name: String,
    version: String,
    content_digest: String,
) -> pb::RegisterDatasetRequest {
    let sources = args
        .parents
        .into_iter()
        .map(SourceArg::Dataset)
        .chain(args.sources)
        .map(|s| s.to_proto())
        .collect();
    pb::RegisterDatasetRequest {
        name,
        version,
        content_digest,
        size_bytes: args.size,
        description: args.description.unwrap_or_default(),
        license: args.license.unwrap_or_default(),
        visibility: if args.public {
            pb::Visibility::Public
        } else {
            pb::Visibility::Private
        } as i32,
        sources,
    }
}

/// A registration ready to send: the flags, the name and version, and the digest given or
/// computed from `--path`.
struct Registration {
    args: RegisterArgs,
    name: String,
    version: String,
    digest: String,
    hashed: Option<Manifest>,
}

fn prepare(mut args: RegisterArgs) -> Result<Registration, CliError> {
    // clap asks for both unless `--from-file` is given, which `run` has handled.
    let (Some(name), Some(version)) = (args.name.take(), args.version.take()) else {
        return Err(CliError::Input(
            "give the dataset's --name and --version, or a file of registrations with --from-file"
                .into(),
        ));
    };
    let (digest, hashed) = match (&args.digest, &args.path) {
        (Some(digest), _) => (digest.clone(), None),
        (None, Some(dir)) => {
            let manifest = hash_directory(dir, &args.hashing)?;
            args.size = args.size.or(Some(manifest.total_bytes()));
            (manifest.digest(), Some(manifest))
        }
        (None, None) => {
            return Err(CliError::Input(
                "give the dataset's digest with --digest, or its directory with --path".into(),
            ));
        }
    };
    if hashed.is_none() && (args.hashing.skip_symlinks || args.hashing.manifest_out.is_some()) {
        return Err(CliError::Input(
            "--skip-symlinks and --manifest-out go with --path DIR".into(),
        ));
    }
    Ok(Registration {
        args,
        name,
        version,
        digest,
        hashed,
    })
}

async fn register(
    conn: &Connection,
    registration: Registration,
    out: &mut Printer,
) -> Result<(), CliError> {
    let Registration {
        args,
        name,
        version,
        digest,
        hashed,
    } = registration;
    let quiet = args.quiet;
    let hashing = args.hashing.clone();
    let response = conn
        .datasets()
        .register_dataset(register_request(args, name, version, digest.clone()))
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let Some(dataset) = &response.dataset else {
        return Err(CliError::BadAnswer(
            "the registration answer holds no dataset".into(),
        ));
    };
    if quiet {
        out.line(&dataset.id)?;
    } else if out.is_json() {
        // The answer, and what `--path` hashed (provctl's own).
        let mut value = message_json(&response)?;
        value["hashed"] = hashed.as_ref().map_or(serde_json::Value::Null, |m| {
            summary_json(m, &digest, &hashing)
        });
        out.json(&value)?;
    } else {
        if let Some(manifest) = &hashed {
            eprintln!(
                "hashed {} file(s), {} bytes: {digest}",
                manifest.entries.len(),
                manifest.total_bytes()
            );
        }
        print_lines(out, dataset_lines(dataset))?;
        out.line(format!(
            "already existed: {}",
            if response.already_existed {
                "yes (same name, version and digest; nothing was written)"
            } else {
                "no"
            }
        ))?;
    }
    Ok(())
}

async fn list(
    conn: &Connection,
    args: ListDatasetsArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.datasets();
    let name = args.name.unwrap_or_default();
    let organization_id = args.org.map(|id| id.to_string()).unwrap_or_default();
    let listed = fetch_pages(&args.page, out, dataset_row, async |page_token| {
        let page = client
            .list_datasets(pb::ListDatasetsRequest {
                page_size: args.page.page_size.unwrap_or(0),
                page_token,
                name: name.clone(),
                organization_id: organization_id.clone(),
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner();
        Ok((page.datasets, page.next_page_token))
    })
    .await?;
    if out.is_json() {
        // The pages as one answer: with --all, every page's datasets and no next page.
        out.message(&pb::ListDatasetsResponse {
            datasets: listed.items,
            next_page_token: listed.next_page_token,
        })?;
    } else {
        hint_more("datasets", &listed.next_page_token);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn parents_come_first_and_visibility_is_explicit() {
        let parent = Uuid::now_v7();
        let request = register_request(
            RegisterArgs {
                name: None,
                version: None,
                digest: Some("sha256:00".into()),
                path: None,
                hashing: crate::cli::HashingArgs {
                    skip_symlinks: false,
                    manifest_out: None,
                },
                size: Some(3),
                description: None,
                license: Some("MIT".into()),
                public: false,
                parents: vec![parent],
                sources: vec![SourceArg::Human],
                quiet: false,
                from_file: None,
                batch_size: None,
            },
            "n".into(),
            "v".into(),
            "sha256:00".into(),
        );
        assert_eq!(request.visibility, pb::Visibility::Private as i32);
        assert_eq!(request.size_bytes, Some(3));
        let kinds: Vec<i32> = request.sources.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                pb::SourceKind::Dataset as i32,
                pb::SourceKind::HumanAuthored as i32
            ]
        );
        assert_eq!(request.sources[0].dataset_id, parent.to_string());
    }

    #[test]
    fn report_request_carries_statement_and_evidence() {
        let id = Uuid::now_v7();
        let request = report_request(ReportArgs {
            id,
            statement: "R1 traces found".into(),
            evidence: vec![
                "https://x/scan.log".parse().expect("a bare URI"),
                format!("https://x/b=sha256:{}", "0".repeat(64))
                    .parse()
                    .expect("a URI and a digest"),
            ],
        });
        assert_eq!(request.dataset_id, id.to_string());
        assert_eq!(request.statement, "R1 traces found");
        assert_eq!(request.evidence.len(), 2);
        assert_eq!(request.evidence[0].content_digest, "");
        assert_eq!(
            request.evidence[1].content_digest,
            format!("sha256:{}", "0".repeat(64))
        );
    }
}
