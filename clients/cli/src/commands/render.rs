//! `provctl cert render FILE`: the certificate as one self-contained HTML document (or a PDF
//! printed from it) to attach to a contract. The document itself is written by the registry's
//! library (`certificate_document::certificate_html`); this command gathers the facts: from
//! the file (a token or a bundle), and, unless `--offline`, from the registry as far as the
//! caller's token may read (status and history, the clause, the lineage, the attestations).

use std::path::{Path, PathBuf};

use certificate_document::certificate_html::{
    self, AttestationEntry, CertificateDocument, EvidenceEntry, Judgement, LogEntry, PolicyText,
    Standing, StatusChange,
};
use certificate_document::extract::token_from_upload;
use certificate_document::lineage_svg::{
    LineageGraph, PublicStanding, ShownDataset, public_node, public_note,
};
use chrono::{DateTime, Utc};
use provenance_api::certificate::{CertificateClaims, signed_claims};
use provenance_api::policies::BUILTIN;
use provenance_api::v1 as pb;
use provenance_api::wkt::Timestamp;
use serde_json::Value;
use tonic::Code;

use super::{pretty, write_file};
use crate::bundle::Bundle;
use crate::client::Connection;
use crate::config::Settings;
use crate::error::{CliError, exit};
use crate::output::Printer;

/// Attestations read for one document at most.
const MAX_ATTESTATIONS: usize = 100;

/// The largest input file read.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RenderFormat {
    /// One self-contained HTML file: no script, nothing fetched; prints on A4.
    Html,
    /// The HTML printed to an A4 PDF by headless Chromium (`chromium` on PATH, or
    /// `PROVCTL_CHROMIUM`).
    Pdf,
}

/// `provctl cert render`
#[derive(Debug, clap::Args)]
pub struct RenderCertificateArgs {
    /// A file holding the token (`cert issue --out`) or a bundle (`cert bundle --out`).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// `html` or `pdf`.
    #[arg(long, value_enum, default_value_t = RenderFormat::Html)]
    pub format: RenderFormat,
    /// Where to write the document (default: FILE with the extension `.html` or `.pdf`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Render from the file alone, without the network: the signature is checked with a bundle's
    /// keys, and the status, attestations and lineage picture are left out.
    #[arg(long)]
    pub offline: bool,
}

/// Runs `cert render`; exit code 9 when the certificate does not verify (nothing is written).
pub async fn run(
    global: &Settings,
    args: RenderCertificateArgs,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let name = args.input.display().to_string();
    let bytes = read_limited(&args.input)?;
    let token = token_from_upload(&bytes).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let bundle = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|value| Bundle::from_json(&value).ok());
    // A token whose claims do not even decode fails verification below, like any altered token.
    let (signing_input, _) = token.rsplit_once('.').unwrap_or((token.as_str(), ""));
    let claims = signed_claims(signing_input).ok().map(|(claims, _)| claims);
    let now = Utc::now();
    let conn = if args.offline {
        None
    } else {
        Some(Connection::open_public(global).await?)
    };
    // The lineage anyone who holds the token may see, as the verification page draws it: the same
    // picture whoever renders the document, with or without a token, so that a vendor's own view
    // of its private lineage never reaches a document it hands out.
    let mut public_lineage = None;
    let refused = match (&conn, &bundle) {
        (Some(conn), _) => {
            let verification = conn
                .certificates()
                .verify_certificate(pb::VerifyCertificateRequest {
                    token: token.clone(),
                    include_public_lineage: true,
                    ..Default::default()
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            public_lineage = verification.public_lineage.clone();
            failed_checks(
                verification.valid,
                verification
                    .checks
                    .iter()
                    .map(|c| (c.name.as_str(), c.passed, c.detail.as_str())),
            )
        }
        (None, Some(bundle)) => {
            let check = crate::offline::verify(&token, &bundle.jwks, None, now);
            failed_checks(
                check.valid,
                check
                    .checks
                    .iter()
                    .map(|c| (c.name.as_ref(), c.passed, c.detail.as_str())),
            )
        }
        (None, None) => {
            return Err(CliError::Input(
                "--offline renders a bundle (`provctl cert bundle`), whose keys check the signature; a token file needs the registry".into(),
            ));
        }
    };
    let claims = match (refused, claims) {
        (None, Some(claims)) => claims,
        (refused, _) => {
            for line in refused.unwrap_or_default() {
                out.line(line)?;
            }
            eprintln!(
                "provctl: not rendered: the certificate does not verify (see the checks above)"
            );
            return Ok(exit::INVALID_CERTIFICATE);
        }
    };
    let mut doc = CertificateDocument {
        token: token.clone(),
        claims: claims.clone(),
        // Rendered only once it verified: online, every check the registry makes; offline, the
        // signature with the bundle's keys.
        judgement: if conn.is_some() {
            Judgement::Valid {
                at: now,
                caveat: None,
            }
        } else {
            Judgement::Offline {
                what: "the signature verified with the keys in the bundle; whether the certificate was revoked since was not asked".into(),
            }
        },
        jwks_json: bundle.as_ref().map(|b| pretty(&b.jwks)),
        policy: builtin_policy(&claims),
        lineage: None,
        lineage_note: Some("rendered offline: the lineage picture needs the registry".into()),
        attestations: Vec::new(),
        attestations_not_shown: claims.attestation_total(),
        standing: None,
        log: None,
        produced_at: now,
    };
    if let Some(conn) = &conn {
        match &public_lineage {
            Some(lineage) => {
                let graph = lineage_graph(lineage);
                doc.lineage_note = public_note(&graph);
                doc.lineage = Some(graph);
            }
            None => {
                doc.lineage_note = Some(
                    "the registry no longer loads the policy it was judged under, so it cannot mark the lineage".into(),
                );
            }
        }
        gather(conn, &claims, &mut doc, global.token.is_some()).await?;
    }
    let html = certificate_html::render(&doc);
    let path = args.out.clone().unwrap_or_else(|| {
        args.input.with_extension(match args.format {
            RenderFormat::Html => "html",
            RenderFormat::Pdf => "pdf",
        })
    });
    match args.format {
        RenderFormat::Html => write_file(&path, &html)?,
        RenderFormat::Pdf => print_to_pdf(&html, &path)?,
    }
    out.line(format!("wrote: {}", path.display()))?;
    Ok(exit::SUCCESS)
}

/// The failed checks as lines, or `None` when the certificate verified.
fn failed_checks<'a>(
    valid: bool,
    checks: impl Iterator<Item = (&'a str, bool, &'a str)>,
) -> Option<Vec<String>> {
    (!valid).then(|| {
        checks
            // A check that could not be made (after a failed one) is no reason of its own.
            .filter(|(_, passed, detail)| !passed && !detail.starts_with("not checked"))
            .map(|(name, _, detail)| format!("FAILED  {name}: {detail}"))
            .collect()
    })
}

fn read_limited(path: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let name = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Input(format!("cannot read {name}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Input(format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Input(format!(
            "{name} is larger than {MAX_INPUT_BYTES} bytes: not a token or a bundle"
        )));
    }
    Ok(bytes)
}

/// What a built-in policy file says that the document shows.
#[derive(serde::Deserialize)]
struct PolicyFile {
    id: String,
    version: String,
    title: String,
    clause: String,
    clause_sha256: String,
    source: PolicyFileSource,
}

#[derive(serde::Deserialize)]
struct PolicyFileSource {
    publisher: String,
    #[serde(default)]
    record_id: String,
    document: String,
    #[serde(default)]
    document_updated: String,
    #[serde(default)]
    url: String,
}

/// The built-in policy's clause, when the certificate names it (for offline rendering): the one
/// with its id, version and clause digest.
fn builtin_policy(claims: &CertificateClaims) -> Option<PolicyText> {
    let policy = BUILTIN
        .iter()
        .filter_map(|(_, text)| toml::from_str::<PolicyFile>(text).ok())
        .find(|p| {
            p.id == claims.policy.id
                && p.version == claims.policy.version
                && p.clause_sha256 == claims.policy.clause_sha256
        })?;
    let s = &policy.source;
    Some(PolicyText {
        title: policy.title,
        source: PolicyText::source_line(&[
            &s.publisher,
            &s.record_id,
            &s.document,
            &s.document_updated,
            &s.url,
        ]),
        clause: policy.clause,
    })
}

/// Whether a refusal only means the caller may not read this.
fn not_readable(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::NotFound | Code::PermissionDenied | Code::Unauthenticated
    )
}

fn time(ts: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    let ts = ts?;
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

fn status_word(value: i32) -> String {
    pb::CertificateStatus::try_from(value)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("CERTIFICATE_STATUS_")
                .to_owned()
        })
        .unwrap_or_else(|_| "UNKNOWN".into())
}

/// Fills `doc` with what the registry says and the caller may read.
async fn gather(
    conn: &Connection,
    claims: &CertificateClaims,
    doc: &mut CertificateDocument,
    has_token: bool,
) -> Result<(), CliError> {
    let keys = conn
        .certificates()
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    doc.jwks_json = Some(
        serde_json::from_str::<Value>(&keys.jwks_json)
            .map(|v| pretty(&v))
            .unwrap_or(keys.jwks_json),
    );
    let checked_at = Utc::now();
    match conn
        .certificates()
        .get_certificate(pb::GetCertificateRequest {
            id: claims.jti.clone(),
            as_of: None,
        })
        .await
    {
        Ok(record) => {
            let record = record.into_inner();
            doc.standing = Some(Standing {
                status: status_word(record.status),
                checked_at,
                history: record
                    .status_history
                    .iter()
                    .filter_map(|c| {
                        Some(StatusChange {
                            status: status_word(c.status),
                            time: time(c.time.as_ref())?,
                            reason: Some(c.reason.clone()).filter(|r| !r.is_empty()),
                        })
                    })
                    .collect(),
                revoke_cause: Some(record.revoke_cause).filter(|c| !c.is_empty()),
            });
            doc.log = Some(LogEntry {
                log_index: record.log_index,
                checkpoint: None,
                inclusion: Some(format!(
                    "Prove it against a checkpoint with provctl log prove --certificate {} and check the proof offline with provctl log verify.",
                    claims.jti
                )),
            });
        }
        Err(s) if not_readable(&s) => {
            // Only its owner's and its audience's members read the history; the status is public.
            doc.standing = Some(Standing {
                status: "VALID".into(),
                checked_at,
                history: Vec::new(),
                revoke_cause: None,
            });
        }
        Err(s) => return Err(conn.fail(s)),
    }
    if !has_token {
        return Ok(());
    }
    match conn
        .policies()
        .get_policy(pb::GetPolicyRequest {
            id: claims.policy.id.clone(),
            version: claims.policy.version.clone(),
        })
        .await
    {
        Ok(policy) => {
            let policy = policy.into_inner();
            let source = policy.source.unwrap_or_default();
            doc.policy = Some(PolicyText {
                title: policy.title,
                clause: policy.clause,
                source: [
                    source.publisher,
                    source.record_id,
                    source.document,
                    source.document_updated,
                    source.url,
                ]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            });
        }
        Err(s) if not_readable(&s) => {}
        Err(s) => return Err(conn.fail(s)),
    }
    // Attestations name their dataset by id; the lineage knows the names.
    let names: std::collections::HashMap<String, String> = doc
        .lineage
        .iter()
        .flat_map(|g| g.nodes.iter())
        .filter(|n| !n.id.is_empty())
        .map(|n| (n.id.clone(), n.label()))
        .collect();
    doc.attestations_not_shown = 0;
    for (i, id) in claims.attestations.iter().enumerate() {
        if i >= MAX_ATTESTATIONS {
            doc.attestations_not_shown += 1;
            continue;
        }
        match conn
            .attestations()
            .get_attestation(pb::GetAttestationRequest { id: id.clone() })
            .await
        {
            Ok(a) => {
                let mut entry = attestation_entry(a.into_inner());
                if let Some(label) = names.get(&entry.dataset) {
                    entry.dataset = format!("{label} ({})", entry.dataset);
                }
                doc.attestations.push(entry);
            }
            Err(s) if not_readable(&s) => doc.attestations_not_shown += 1,
            Err(s) => return Err(conn.fail(s)),
        }
    }
    Ok(())
}

fn attestation_entry(a: pb::Attestation) -> AttestationEntry {
    AttestationEntry {
        method: pb::AttestationMethod::try_from(a.method)
            .map(|m| {
                m.as_str_name()
                    .trim_start_matches("ATTESTATION_METHOD_")
                    .to_owned()
            })
            .unwrap_or_else(|_| "UNKNOWN".into()),
        time: time(a.create_time.as_ref()).unwrap_or_default(),
        expires: time(a.expire_time.as_ref()),
        revoked: time(a.revoke_time.as_ref())
            .map(|t| format!("at {}: {}", t.to_rfc3339(), a.revoke_reason)),
        evidence: a
            .evidence
            .into_iter()
            .map(|e| EvidenceEntry {
                uri: e.uri,
                digest: Some(e.content_digest).filter(|d| !d.is_empty()),
                description: Some(e.description).filter(|d| !d.is_empty()),
            })
            .collect(),
        dataset: a.dataset_id,
        id: a.id,
        organization_id: a.organization_id,
        attester: a.attester_subject,
        statement: a.statement,
    }
}

/// The picture of the public lineage the registry answered.
fn lineage_graph(lineage: &pb::PublicLineage) -> LineageGraph {
    use pb::PublicLineageStanding as S;
    LineageGraph {
        root: lineage.root.clone(),
        nodes: lineage
            .nodes
            .iter()
            .map(|n| {
                let reason = Some(n.contamination_reason.clone()).filter(|r| !r.is_empty());
                public_node(
                    n.key.clone(),
                    (!n.dataset_id.is_empty()).then(|| ShownDataset {
                        id: n.dataset_id.clone(),
                        name: n.name.clone(),
                        version: n.version.clone(),
                    }),
                    n.hidden_count as usize,
                    match S::try_from(n.standing).unwrap_or(S::Unspecified) {
                        S::Attested => PublicStanding::Attested,
                        S::MadeFromContaminated => PublicStanding::MadeFromContaminated,
                        S::Contaminated => PublicStanding::Contaminated(reason),
                        // A standing this client does not know is not vouched for.
                        S::Unattested | S::Unspecified => PublicStanding::Unattested,
                    },
                )
            })
            .collect(),
        edges: lineage
            .edges
            .iter()
            .map(|e| (e.from_key.clone(), e.to_key.clone()))
            .collect(),
    }
}

/// Prints `html` to an A4 PDF at `path` with headless Chromium, whose print engine honours the
/// document's print styles (`@page`, no cut tables).
fn print_to_pdf(html: &str, path: &Path) -> Result<(), CliError> {
    let chromium = std::env::var_os("PROVCTL_CHROMIUM").unwrap_or_else(|| "chromium".into());
    let source = std::env::temp_dir().join(format!("provctl-render-{}.html", uuid::Uuid::now_v7()));
    write_file(&source, html)?;
    let target = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut command = std::process::Command::new(&chromium);
    command.args([
        "--headless",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--disable-extensions",
        "--no-first-run",
    ]);
    // Chromium refuses to run as root inside its sandbox; the document runs no script.
    if running_as_root() {
        command.arg("--no-sandbox");
    }
    let result = command
        .arg(format!("--print-to-pdf={}", target.display()))
        .arg(format!("file://{}", source.display()))
        .output();
    let _ = std::fs::remove_file(&source);
    let output = result.map_err(|e| {
        CliError::Input(format!(
            "cannot run {} to print the PDF ({e}): install Chromium (`apt-get install chromium`) or set PROVCTL_CHROMIUM, or render --format html and print it from a browser",
            chromium.to_string_lossy()
        ))
    })?;
    let written = std::fs::metadata(&target).is_ok_and(|m| m.len() > 0);
    if !output.status.success() || !written {
        return Err(CliError::BadAnswer(format!(
            "Chromium did not print {}: {}",
            target.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use certificate_document::lineage_svg::NodeState;

    #[test]
    fn the_public_lineage_becomes_a_picture_with_marks_and_hidden_groups() {
        let node = |key: &str, id: &str, hidden: u32, standing: pb::PublicLineageStanding| {
            pb::PublicLineageNode {
                key: key.into(),
                dataset_id: id.into(),
                name: id.into(),
                version: if id.is_empty() { "" } else { "1" }.into(),
                hidden_count: hidden,
                standing: standing as i32,
                contamination_reason: if id == "r" {
                    "output of DeepSeek-R1".into()
                } else {
                    String::new()
                },
            }
        };
        use pb::PublicLineageStanding as S;
        let lineage = pb::PublicLineage {
            root: "datasets/m".into(),
            nodes: vec![
                node("datasets/m", "m", 0, S::MadeFromContaminated),
                node("datasets/r", "r", 0, S::Contaminated),
                node("hidden/1", "", 2, S::Unattested),
                node("datasets/x", "x", 0, S::Unspecified),
            ],
            edges: vec![pb::PublicLineageEdge {
                from_key: "datasets/r".into(),
                to_key: "datasets/m".into(),
            }],
        };
        let graph = lineage_graph(&lineage);
        let state = |key: &str| {
            graph
                .nodes
                .iter()
                .find(|n| n.key == key)
                .map(|n| n.state.clone())
        };
        assert_eq!(
            state("datasets/r"),
            Some(NodeState::Contaminated("output of DeepSeek-R1".into()))
        );
        assert_eq!(state("datasets/m"), Some(NodeState::MadeFromContaminated));
        assert_eq!(state("hidden/1"), Some(NodeState::Hidden(2)));
        assert_eq!(state("datasets/x"), Some(NodeState::Unattested));
        assert!(
            graph
                .edges
                .contains(&("datasets/r".into(), "datasets/m".into()))
        );
        assert_eq!(graph.nodes[2].label(), "2 hidden dataset(s)");
    }
}
