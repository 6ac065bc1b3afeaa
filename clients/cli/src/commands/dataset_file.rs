//! `provctl dataset register --from-file FILE`: the registrations of a JSON Lines file, sent in
//! file order with `RegisterDatasets`, one call per batch of at most `--batch-size` lines.
//!
//! The whole file is read and checked before anything is sent, so that a typo on line 90,000 does
//! not leave the lines before it stored and the rest not: every non-empty line must be one
//! `BatchRegistration` in the proto3 canonical JSON mapping, without unknown fields (the pbjson
//! mapping refuses them), refs must be unique across the file, and every `batch_ref` must name the
//! ref of an earlier line. The registry resolves a `batch_ref` within one call only, so a source
//! naming a line of an earlier call is sent with that line's stored id as its `dataset_id`.
//!
//! Each call is all or none, and the registry answers a registration it already holds as already
//! existing: when a call is refused, the calls before it stay stored, and running the same file
//! again once it is fixed stores nothing twice. The refusal names the item (`registrations[i]`),
//! which provctl maps back to the file's line.

use std::collections::{HashMap, HashSet};
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use prost::Message;
use provenance_api::v1 as pb;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::cli::RegisterArgs;
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, message_json};

/// Registrations per call when `--batch-size` is not given: the most `RegisterDatasets` takes.
pub const MAX_BATCH: usize = 1000;

/// Bytes of registrations one call may carry: the registry's default message limit (4 MiB) less
/// room for the request's own framing. A registration larger than this on its own is still sent,
/// alone, for the registry to judge against the limit it is configured with.
const CALL_BYTES: usize = 4 * 1024 * 1024 - 16 * 1024;

/// The most bytes each registration adds to a call besides its own: its field tag and length.
const ITEM_FRAMING_BYTES: usize = 11;

/// Bytes an answer may take. An answer repeats each registration with what the registry adds (ids,
/// the time, the creator), so a call near [`CALL_BYTES`] is answered with more than the 4 MiB tonic
/// accepts by default.
const ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// One registration of the file, and the line it is on.
pub struct FileLine {
    /// 1-based, empty lines counted, as an editor numbers them.
    number: usize,
    item: pb::BatchRegistration,
}

/// The registrations of a file, checked, and the file's name for messages.
pub struct Registrations {
    name: String,
    lines: Vec<FileLine>,
}

/// What `dataset register --from-file` takes besides the file.
pub struct Options {
    batch_size: usize,
    quiet: bool,
}

impl Options {
    /// The options of the command line.
    pub fn of(args: &RegisterArgs) -> Self {
        Self {
            batch_size: args.batch_size.map_or(MAX_BATCH, usize::from),
            quiet: args.quiet,
        }
    }
}

/// Reads and checks the registrations of `path` (`-`: standard input). Refuses the whole file,
/// naming the line, when any line is wrong.
pub fn read(path: &Path) -> Result<Registrations, CliError> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::Input(format!("cannot read standard input: {e}")))?;
        ("standard input".to_owned(), bytes)
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
        (path.display().to_string(), bytes)
    };
    let lines = parse(&name, &bytes)?;
    check_refs(&name, &lines)?;
    Ok(Registrations { name, lines })
}

/// The registrations of the file's bytes, one per non-empty line.
fn parse(name: &str, bytes: &[u8]) -> Result<Vec<FileLine>, CliError> {
    let mut lines = Vec::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let refuse = |what: String| CliError::Input(format!("{name} line {number}: {what}"));
        let text = std::str::from_utf8(raw).map_err(|e| refuse(format!("not UTF-8 ({e})")))?;
        // Also skips the `\r` of an empty line ending in CR LF.
        if text.trim().is_empty() {
            continue;
        }
        let item: pb::BatchRegistration = serde_json::from_str(text).map_err(|e| {
            refuse(format!(
                "not a BatchRegistration in proto3 JSON: {}",
                json_error(&e)
            ))
        })?;
        if item.dataset.is_none() {
            return Err(refuse(
                "no \"dataset\": each line registers one dataset".into(),
            ));
        }
        lines.push(FileLine { number, item });
    }
    if lines.is_empty() {
        return Err(CliError::Input(format!(
            "{name} holds no registration: give one BatchRegistration per line (see `provctl \
             dataset register --help`)"
        )));
    }
    Ok(lines)
}

/// serde_json's message with its column but without its `line 1`: each line is parsed alone.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())) {
        Some(message) => format!("{message} (column {})", e.column()),
        None => text,
    }
}

/// Refs unique across the file; every `batch_ref` names an earlier line's ref, on a source that
/// can take a parent. Checked for the whole file, however it is cut into calls, so that whether a
/// file is accepted never depends on `--batch-size`.
fn check_refs(name: &str, lines: &[FileLine]) -> Result<(), CliError> {
    let mut defined: HashMap<&str, usize> = HashMap::new();
    for line in lines {
        let reference = line.item.r#ref.as_str();
        if reference.is_empty() {
            continue;
        }
        if let Some(first) = defined.insert(reference, line.number) {
            return Err(CliError::Input(format!(
                "{name} line {}: ref {reference:?} is already the ref of line {first}; refs must \
                 be unique across the file",
                line.number
            )));
        }
    }
    for line in lines {
        let sources = line.item.dataset.iter().flat_map(|d| &d.sources);
        for (i, source) in sources.enumerate() {
            let reference = source.batch_ref.as_str();
            if reference.is_empty() {
                continue;
            }
            let refuse = |what: String| {
                CliError::Input(format!(
                    "{name} line {}: sources[{i}].batchRef {reference:?} {what}",
                    line.number
                ))
            };
            if source.kind != pb::SourceKind::Dataset as i32 || !source.dataset_id.is_empty() {
                return Err(refuse(
                    "needs kind SOURCE_KIND_DATASET and no datasetId".into(),
                ));
            }
            match defined.get(reference) {
                Some(&parent) if parent < line.number => {}
                Some(&parent) => {
                    return Err(refuse(format!(
                        "names line {parent}, which is not earlier: a parent's line must come \
                         before the lines made from it"
                    )));
                }
                None => return Err(refuse("names no earlier line of the file".into())),
            }
        }
    }
    Ok(())
}

/// Registers the file's lines in order, a call at a time, printing each answer (`--output json`:
/// one `RegisterDatasetResponse` per line, with the file's `line` and `ref`; `-q`: the ids) as its
/// call returns, then in text mode a summary.
pub async fn register(
    conn: &Connection,
    file: &Registrations,
    options: Options,
    out: &mut Printer,
) -> Result<(), CliError> {
    // The answer of a large call may pass tonic's default 4 MiB (see `ANSWER_BYTES`).
    let mut client = conn.datasets().max_decoding_message_size(ANSWER_BYTES);
    let total = file.lines.len();
    // The stored id of each ref answered so far, for the lines of later calls that name it.
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut progress = Progress::new(total);
    let (mut sent, mut existed, mut calls) = (0, 0, 0);
    progress.show(0);
    while sent < total {
        let request = next_call(&file.lines[sent..], options.batch_size, &ids)?;
        let call = &file.lines[sent..sent + request.registrations.len()];
        let answer = match client.register_datasets(request).await {
            Ok(answer) => answer.into_inner(),
            // The bar is erased when `progress` is dropped, before the error is printed.
            Err(status) => return Err(failure(conn, file, sent, call, status)),
        };
        calls += 1;
        if answer.results.len() != call.len() {
            return Err(CliError::BadAnswer(format!(
                "{} results for the {} registrations of lines {}-{}",
                answer.results.len(),
                call.len(),
                call[0].number,
                call[call.len() - 1].number
            )));
        }
        if options.quiet || out.is_json() {
            progress.clear();
        }
        for (line, result) in call.iter().zip(&answer.results) {
            let Some(dataset) = &result.dataset else {
                return Err(CliError::BadAnswer(format!(
                    "the answer for line {} holds no dataset",
                    line.number
                )));
            };
            if !line.item.r#ref.is_empty() {
                ids.insert(&line.item.r#ref, dataset.id.clone());
            }
            existed += usize::from(result.already_existed);
            if options.quiet {
                out.line(&dataset.id)?;
            } else if out.is_json() {
                let mut value = message_json(result)?;
                value["line"] = line.number.into();
                value["ref"] = line.item.r#ref.as_str().into();
                out.json_line(&value)?;
            }
        }
        sent += call.len();
        progress.show(sent);
    }
    progress.clear();
    if !options.quiet && !out.is_json() {
        out.line(format!(
            "registered:      {total} line(s) of {} in {calls} call(s)",
            file.name
        ))?;
        out.line(format!("new:             {}", total - existed))?;
        out.line(format!(
            "already existed: {existed} (same name, version and digest; nothing was written)"
        ))?;
    }
    Ok(())
}

/// The next call: the first lines of `rest`, at most `batch_size` of them and [`CALL_BYTES`] of
/// registrations (at least one), each `batch_ref` naming a line of an earlier call replaced by that
/// line's stored id, since the registry resolves refs within one call only.
fn next_call(
    rest: &[FileLine],
    batch_size: usize,
    ids: &HashMap<&str, String>,
) -> Result<pb::RegisterDatasetsRequest, CliError> {
    let mut registrations: Vec<pb::BatchRegistration> = Vec::new();
    let mut in_call: HashSet<&str> = HashSet::new();
    let mut bytes = 0;
    for line in rest.iter().take(batch_size) {
        let mut item = line.item.clone();
        let sources = item.dataset.iter_mut().flat_map(|d| &mut d.sources);
        for source in sources.filter(|s| !s.batch_ref.is_empty()) {
            if in_call.contains(source.batch_ref.as_str()) {
                continue;
            }
            // `check_refs` made sure the ref is an earlier line's, and every earlier call's
            // answer was checked to hold its datasets: this is a fault of provctl's own.
            let id = ids.get(source.batch_ref.as_str()).ok_or_else(|| {
                CliError::BadAnswer(format!(
                    "line {}: no id was answered for ref {:?}",
                    line.number, source.batch_ref
                ))
            })?;
            source.dataset_id = id.clone();
            source.batch_ref.clear();
        }
        let size = item.encoded_len() + ITEM_FRAMING_BYTES;
        if !registrations.is_empty() && bytes + size > CALL_BYTES {
            break;
        }
        bytes += size;
        if !line.item.r#ref.is_empty() {
            in_call.insert(&line.item.r#ref);
        }
        registrations.push(item);
    }
    Ok(pb::RegisterDatasetsRequest { registrations })
}

/// The error of a failed call: the line of the refused item (from `registrations[i]` in the
/// status), and what was and was not stored. A failure that names no item, before anything was
/// stored, is left as any other command's (so that, e.g., a URL of the wrong scheme is still
/// diagnosed).
fn failure(
    conn: &Connection,
    file: &Registrations,
    stored_before: usize,
    call: &[FileLine],
    status: Status,
) -> CliError {
    let (first, last) = (call[0].number, call[call.len() - 1].number);
    let item = refused_item(&status).filter(|&i| i < call.len());
    // A refusal is decided before anything is written; after any other failure (the connection
    // lost, a timeout) the call may have been stored without its answer arriving.
    let refused = matches!(
        status.code(),
        Code::InvalidArgument
            | Code::NotFound
            | Code::AlreadyExists
            | Code::FailedPrecondition
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::ResourceExhausted
            | Code::OutOfRange
    );
    let cause = conn.fail(status);
    if item.is_none() && stored_before == 0 {
        return cause;
    }
    let place = match item {
        Some(i) => format!(
            "{} line {} (registrations[{i}] of the call of lines {first}-{last})",
            file.name, call[i].number
        ),
        None => format!("{}: the call of lines {first}-{last}", file.name),
    };
    let mut stored = if refused {
        format!("nothing of lines {first}-{last} was stored (each call is all or none)")
    } else {
        format!("lines {first}-{last} may or may not have been stored")
    };
    if stored_before > 0 {
        stored.push_str(&format!(
            "; lines 1-{} ({stored_before} registrations) were stored by earlier calls and stay \
             stored",
            first - 1
        ));
    }
    if stored_before > 0 || !refused {
        stored.push_str(
            "; running the same command again (with the file fixed) is safe: registrations \
             already stored are answered as already existing, never stored twice",
        );
    }
    CliError::InFile {
        place,
        cause: Box::new(cause),
        stored,
    }
}

/// The index `i` of the item a refusal names: the first field violation's `registrations[i]...`,
/// or a message starting `registrations[i]: ` (see `RegisterDatasets` in the proto).
fn refused_item(status: &Status) -> Option<usize> {
    let item = |text: &str| -> Option<usize> {
        let rest = text.strip_prefix("registrations[")?;
        rest.split_once(']')?.0.parse().ok()
    };
    status
        .get_details_bad_request()
        .and_then(|details| details.field_violations.iter().find_map(|v| item(&v.field)))
        .or_else(|| item(status.message()))
}

/// A progress bar on standard error while the calls go, when standard error is a terminal: in a
/// pipe or a log file, redrawn lines would only be noise.
struct Progress {
    total: usize,
    enabled: bool,
    drawn: bool,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new(total: usize) -> Self {
        Self {
            total,
            enabled: io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, done: usize) {
        if !self.enabled {
            return;
        }
        let filled = (done * Self::WIDTH).checked_div(self.total).unwrap_or(0);
        let percent = (done * 100).checked_div(self.total).unwrap_or(100);
        let _ = write!(
            io::stderr(),
            "\r\x1b[2Kregistering [{}{}] {done} of {} ({percent}%)",
            "#".repeat(filled),
            "-".repeat(Self::WIDTH - filled),
            self.total
        );
        self.drawn = true;
    }

    /// Erases the bar, so that what is printed next starts on a clean line.
    fn clear(&mut self) {
        if self.drawn {
            let _ = write!(io::stderr(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn line(reference: &str, name: &str, parent: Option<&str>) -> String {
        let sources = parent.map_or(String::new(), |p| {
            format!(r#","sources":[{{"kind":"SOURCE_KIND_DATASET","batchRef":"{p}"}}]"#)
        });
        format!(
            r#"{{"ref":"{reference}","dataset":{{"name":"{name}","version":"1","contentDigest":"{DIGEST}"{sources}}}}}"#
        )
    }

    fn refused(text: &str) -> String {
        match parse("f.jsonl", text.as_bytes()).and_then(|lines| check_refs("f.jsonl", &lines)) {
            Ok(()) => panic!("accepted: {text}"),
            Err(e) => {
                assert_eq!(e.exit_code(), 2, "{e}");
                e.to_string()
            }
        }
    }

    #[test]
    fn lines_are_numbered_as_in_an_editor_and_empty_ones_skipped() {
        let text = format!(
            "{}\n\n  \r\n{}\r\n",
            line("a", "x", None),
            line("b", "y", Some("a"))
        );
        let lines = parse("f", text.as_bytes()).expect("parses");
        let numbers: Vec<usize> = lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 4]);
        let source = &lines[1].item.dataset.as_ref().expect("a dataset").sources[0];
        assert_eq!(source.batch_ref, "a");
        assert_eq!(source.kind, pb::SourceKind::Dataset as i32);
        assert!(check_refs("f", &lines).is_ok());
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let good = line("a", "x", None);
        let broken = refused(&format!("{good}\n{{\"ref\": \"b\", \n"));
        assert!(
            broken.starts_with("f.jsonl line 2: not a BatchRegistration"),
            "{broken}"
        );
        assert!(!broken.contains("line 1 column"), "{broken}");
        let unknown = refused(&format!(
            "{good}\n\n{}",
            good.replace("\"ref\"", "\"reff\"")
        ));
        assert!(unknown.starts_with("f.jsonl line 3: "), "{unknown}");
        assert!(unknown.contains("unknown field `reff`"), "{unknown}");
        let nested = refused(&good.replace("\"version\"", "\"versoin\""));
        assert!(nested.contains("unknown field `versoin`"), "{nested}");
        let no_dataset = refused(r#"{"ref":"a"}"#);
        assert!(
            no_dataset.contains("line 1: no \"dataset\""),
            "{no_dataset}"
        );
        assert!(
            parse("f", b"{\"ref\":\"\xff\"}")
                .err()
                .is_some_and(|e| e.to_string().contains("line 1: not UTF-8"))
        );
        assert!(refused("\n \n").contains("holds no registration"));
    }

    #[test]
    fn refs_are_unique_and_name_earlier_lines() {
        let twice = refused(&format!(
            "{}\n{}",
            line("a", "x", None),
            line("a", "y", None)
        ));
        assert!(
            twice.contains("line 2: ref \"a\" is already the ref of line 1"),
            "{twice}"
        );
        let nowhere = refused(&format!(
            "{}\n{}",
            line("a", "x", None),
            line("b", "y", Some("c"))
        ));
        assert!(
            nowhere.contains("line 2: sources[0].batchRef \"c\" names no earlier line"),
            "{nowhere}"
        );
        let later = refused(&format!(
            "{}\n{}",
            line("a", "x", Some("b")),
            line("b", "y", None)
        ));
        assert!(
            later.contains("line 1: sources[0].batchRef \"b\" names line 2"),
            "{later}"
        );
        let itself = refused(&line("a", "x", Some("a")));
        assert!(
            itself.contains("names line 1, which is not earlier"),
            "{itself}"
        );
        let kind = refused(&format!(
            "{}\n{}",
            line("a", "x", None),
            line("b", "y", Some("a")).replace("SOURCE_KIND_DATASET", "SOURCE_KIND_HUMAN_AUTHORED")
        ));
        assert!(kind.contains("needs kind SOURCE_KIND_DATASET"), "{kind}");
    }

    #[test]
    fn refs_to_earlier_calls_become_dataset_ids() {
        let text = [
            line("a", "x", None),
            line("b", "y", Some("a")),
            line("c", "z", Some("b")),
        ]
        .join("\n");
        let lines = parse("f", text.as_bytes()).expect("parses");
        let first = next_call(&lines, 2, &HashMap::new()).expect("a call");
        assert_eq!(first.registrations.len(), 2);
        // Within the call, the ref stays for the registry to resolve.
        let sources = |r: &pb::RegisterDatasetsRequest, i: usize| {
            r.registrations[i]
                .dataset
                .clone()
                .expect("a dataset")
                .sources
        };
        assert_eq!(sources(&first, 1)[0].batch_ref, "a");
        let ids = HashMap::from([("a", "id-a".to_owned()), ("b", "id-b".to_owned())]);
        let second = next_call(&lines[2..], 2, &ids).expect("a call");
        assert_eq!(second.registrations.len(), 1);
        let source = &sources(&second, 0)[0];
        assert_eq!(
            (source.dataset_id.as_str(), source.batch_ref.as_str()),
            ("id-b", "")
        );
        assert_eq!(second.registrations[0].r#ref, "c");
    }

    #[test]
    fn a_call_stays_under_the_message_limit() {
        let big = "d".repeat(4096);
        let text: Vec<String> = (0..2000)
            .map(|i| {
                line(&format!("r{i}"), &format!("n{i}"), None).replace(
                    "\"version\"",
                    &format!("\"description\":\"{big}\",\"version\""),
                )
            })
            .collect();
        let lines = parse("f", text.join("\n").as_bytes()).expect("parses");
        let call = next_call(&lines, MAX_BATCH, &HashMap::new()).expect("a call");
        let count = call.registrations.len();
        assert!((900..MAX_BATCH).contains(&count), "{count}");
        assert!(call.encoded_len() <= 4 * 1024 * 1024);
    }

    #[test]
    fn the_refused_item_is_read_from_the_details_or_the_message() {
        use tonic_types::{ErrorDetails, StatusExt};
        let details = ErrorDetails::with_bad_request_violation(
            "registrations[7].dataset.content_digest",
            "must be sha256",
        );
        let invalid = Status::with_error_details(Code::InvalidArgument, "whatever", details);
        assert_eq!(refused_item(&invalid), Some(7));
        let missing =
            Status::not_found("registrations[12]: sources[0].dataset_id: no such dataset");
        assert_eq!(refused_item(&missing), Some(12));
        assert_eq!(refused_item(&Status::unavailable("down")), None);
        assert_eq!(
            refused_item(&Status::not_found("registrations[x]: ...")),
            None
        );
    }
}
