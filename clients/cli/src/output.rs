//! Printing results: lines for people, JSON for programs.
//!
//! The JSON of an answer is the proto3 canonical JSON mapping of its message, as `provenance_api`
//! serialises every message: names in lowerCamelCase, enums by their full proto name, 64-bit
//! integers as strings, times in RFC 3339 with `Z`, default values (`0`, `false`, `""`, empty
//! lists, unset messages) left out. The few fields provctl adds of its own (a certificate's decoded
//! claims, an event's parsed payload, the summaries of commands that are no one message) are
//! written by the same rules; the README lists them ("JSON output").

use std::fmt::Display;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use provenance_api::v1 as pb;
use provenance_api::wkt::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::error::CliError;

/// Where results go, and in which format.
pub struct Printer {
    format: OutputFormat,
    out: Box<dyn Write>,
}

impl Printer {
    /// A printer writing to `out`.
    pub fn new(format: OutputFormat, out: Box<dyn Write>) -> Self {
        Self { format, out }
    }

    /// True when results should be printed as JSON.
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Prints one line of text.
    pub fn line(&mut self, text: impl Display) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    /// Prints one result as indented JSON.
    pub fn json(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, value)?;
        writeln!(self.out)
    }

    /// Prints one message of the API as indented JSON, in the canonical mapping.
    pub fn message(&mut self, message: &impl Serialize) -> Result<(), CliError> {
        let value = message_json(message)?;
        Ok(self.json(&value)?)
    }

    /// Prints one item of a stream as a single line of JSON, and flushes it at once so that a
    /// reader sees each item as it arrives.
    pub fn json_line(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// Writes bytes as they are, e.g. a document the registry made.
    pub fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// Pushes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

// ----- JSON --------------------------------------------------------------------------------------

/// A message of the API (or an enum, or a time) in the proto3 canonical JSON mapping. Fails only on
/// a value the mapping cannot write: an enum number this provctl does not know (a newer registry's),
/// or a time outside years 1 to 9999.
pub fn message_json(message: &impl Serialize) -> Result<Value, CliError> {
    serde_json::to_value(message).map_err(|e| {
        CliError::BadAnswer(format!(
            "cannot write the answer as JSON ({e}): it holds a value this provctl does not know; upgrade provctl"
        ))
    })
}

/// An enum value as the mapping writes it: its full proto name, or its number when this provctl
/// does not know it (a newer registry's), as protobuf's own printers write an unknown value.
pub fn enum_json<E>(value: i32) -> Value
where
    E: TryFrom<i32> + Serialize,
{
    E::try_from(value)
        .ok()
        .and_then(|known| serde_json::to_value(known).ok())
        .unwrap_or_else(|| Value::from(value))
}

/// An event in the mapping, with `payload`, provctl's own: `payloadJson` parsed (kept as the
/// string it is should it not be JSON), for `jq` to reach into.
pub fn event_json(e: &pb::Event) -> Result<Value, CliError> {
    let mut value = message_json(e)?;
    value["payload"] = serde_json::from_str(&e.payload_json)
        .unwrap_or_else(|_| Value::String(e.payload_json.clone()));
    Ok(value)
}

/// A page of events in the mapping, each event with its `payload` (see [`event_json`]).
pub fn events_json(page: &pb::ListEventsResponse) -> Result<Value, CliError> {
    let mut value = message_json(page)?;
    if let Some(events) = value.get_mut("events").and_then(Value::as_array_mut) {
        *events = page
            .events
            .iter()
            .map(event_json)
            .collect::<Result<_, _>>()?;
    }
    Ok(value)
}

/// A certificate in the mapping, with `claims`, provctl's own: the token's claims as the registry
/// sent them (read, not verified: `cert verify` verifies), or null.
pub fn certificate_json(c: &pb::Certificate, claims: Option<Value>) -> Result<Value, CliError> {
    let mut value = message_json(c)?;
    value["claims"] = claims.unwrap_or(Value::Null);
    Ok(value)
}

// ----- times and enums ---------------------------------------------------------------------------

/// A wire timestamp as RFC 3339 in UTC with microseconds, the registry's own precision.
pub fn format_time(ts: &Timestamp) -> String {
    u32::try_from(ts.nanos)
        .ok()
        .and_then(|nanos| DateTime::<Utc>::from_timestamp(ts.seconds, nanos))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
        .unwrap_or_else(|| format!("(invalid time {}s {}ns)", ts.seconds, ts.nanos))
}

pub fn time_text(ts: Option<&Timestamp>) -> String {
    ts.map_or_else(|| "-".to_owned(), format_time)
}

fn visibility_text(value: i32) -> String {
    match pb::Visibility::try_from(value) {
        Ok(pb::Visibility::Public) => "public".into(),
        Ok(pb::Visibility::Private | pb::Visibility::Unspecified) => "private".into(),
        Err(_) => format!("unknown ({value})"),
    }
}

/// A role as `provctl token create --role` spells it.
pub fn role_text(value: i32) -> String {
    match pb::Role::try_from(value) {
        Ok(pb::Role::Auditor) => "auditor".into(),
        Ok(pb::Role::Registrar) => "registrar".into(),
        Ok(pb::Role::Admin) => "admin".into(),
        Ok(pb::Role::Unspecified) => "unspecified".into(),
        Err(_) => format!("unknown ({value})"),
    }
}

// ----- datasets ----------------------------------------------------------------------------------

/// One source on one line, spelled as `--source` takes it.
pub fn source_text(s: &pb::Source) -> String {
    let mut text = match pb::SourceKind::try_from(s.kind) {
        Ok(pb::SourceKind::Dataset) if s.parent_hidden || s.dataset_id.is_empty() => {
            format!("dataset {HIDDEN_STEP}")
        }
        Ok(pb::SourceKind::Dataset) => format!("dataset {}", s.dataset_id),
        Ok(pb::SourceKind::ExternalDataset) => format!("external {}", s.uri),
        Ok(pb::SourceKind::WebCrawl) => format!("web-crawl {}", s.uri),
        Ok(pb::SourceKind::LicensedCorpus) => format!("licensed {}", s.uri),
        Ok(pb::SourceKind::HumanAuthored) => "human".into(),
        Ok(pb::SourceKind::ModelGenerated) => match &s.model {
            Some(m) if m.version.is_empty() => format!("model {}", m.model_id),
            Some(m) => format!("model {}@{}", m.model_id, m.version),
            None => "model (unnamed)".into(),
        },
        Ok(pb::SourceKind::Unspecified) | Err(_) => format!("unknown kind {}", s.kind),
    };
    // Other kinds may carry a URI too; it is worth seeing.
    let uri_shown = matches!(
        pb::SourceKind::try_from(s.kind),
        Ok(pb::SourceKind::ExternalDataset
            | pb::SourceKind::WebCrawl
            | pb::SourceKind::LicensedCorpus)
    );
    if !uri_shown && !s.uri.is_empty() {
        text.push_str(&format!(" ({})", s.uri));
    }
    if !s.license.is_empty() {
        text.push_str(&format!(" [{}]", s.license));
    }
    text
}

/// A dataset as labelled lines, id first.
pub fn dataset_lines(d: &pb::Dataset) -> Vec<String> {
    let mut lines = vec![
        format!("id:           {}", d.id),
        format!("name:         {}", d.name),
        format!("version:      {}", d.version),
        format!("digest:       {}", d.content_digest),
    ];
    if let Some(size) = d.size_bytes {
        lines.push(format!("size:         {size} bytes"));
    }
    if !d.license.is_empty() {
        lines.push(format!("license:      {}", d.license));
    }
    lines.push(format!("visibility:   {}", visibility_text(d.visibility)));
    lines.push(format!("organization: {}", d.organization_id));
    lines.push(format!(
        "created:      {} by {}",
        time_text(d.create_time.as_ref()),
        d.creator_subject
    ));
    if !d.description.is_empty() {
        lines.push(format!("description:  {}", d.description));
    }
    if d.sources.is_empty() {
        lines.push("sources:      none".into());
    } else {
        lines.push("sources:".into());
        lines.extend(d.sources.iter().map(|s| format!("  - {}", source_text(s))));
    }
    // Right under the sources they are about, so that a look-alike model name is not read past.
    lines.extend(d.warnings.iter().map(|w| format!("WARNING:      {w}")));
    // Shown only when there is something to say: `contaminated: no` on a dataset made from a
    // contaminated one would read as a clean bill; `policy evaluate` judges the lineage.
    if d.contaminated {
        lines.push(
            "contaminated: yes (reported by its owner or the operator; everything made from it is contaminated too)"
                .into(),
        );
    } else if !d.contamination_reports.is_empty() {
        lines.push(format!(
            "contaminated: not by its owner ({} report(s) by other organisations, which change no verdict)",
            d.contamination_reports.len()
        ));
    }
    if !d.contamination_reports.is_empty() {
        lines.push("contamination reports:".into());
        for r in &d.contamination_reports {
            lines.push(format!(
                "  - {}  {}  by {}  {}",
                r.id,
                time_text(r.create_time.as_ref()),
                reporter_text(r),
                if r.effective {
                    "effective"
                } else {
                    "not effective (third party)"
                }
            ));
            lines.push(format!("    statement: {}", r.statement));
            lines.extend(
                r.evidence
                    .iter()
                    .map(|e| format!("    evidence:  {}", contamination_evidence_text(e))),
            );
        }
    }
    lines
}

/// A dataset as one row of a listing.
pub fn dataset_row(d: &pb::Dataset) -> String {
    format!(
        "{}  {}@{}  {}  {}",
        d.id,
        d.name,
        d.version,
        visibility_text(d.visibility),
        time_text(d.create_time.as_ref())
    )
}

// ----- contamination reports ------------------------------------------------------------------

/// Who filed a report: the subject and the organisation, or the operator.
fn reporter_text(r: &pb::ContaminationReport) -> String {
    if r.reporter_organization_id.is_empty() {
        format!("{} (operator)", r.reporter_subject)
    } else {
        format!(
            "{} (organization {})",
            r.reporter_subject, r.reporter_organization_id
        )
    }
}

fn contamination_evidence_text(e: &pb::ContaminationEvidence) -> String {
    if e.content_digest.is_empty() {
        e.uri.clone()
    } else {
        format!("{}  {}", e.uri, e.content_digest)
    }
}

/// A contamination report as labelled lines.
pub fn contamination_report_lines(r: &pb::ContaminationReport) -> Vec<String> {
    let mut lines = vec![
        format!("id:           {}", r.id),
        format!("dataset:      {}", r.dataset_id),
        format!("reporter:     {}", reporter_text(r)),
        format!(
            "effective:    {}",
            if r.effective {
                "yes: the dataset is marked contaminated, and so is everything made from it"
            } else {
                "no: another organisation's report is recorded and announced, but changes no verdict until the dataset's owner reports it"
            }
        ),
        format!("statement:    {}", r.statement),
    ];
    if r.evidence.is_empty() {
        lines.push("evidence:     none".into());
    } else {
        lines.push("evidence:".into());
        lines.extend(
            r.evidence
                .iter()
                .map(|e| format!("  - {}", contamination_evidence_text(e))),
        );
    }
    lines.push(format!(
        "created:      {}",
        time_text(r.create_time.as_ref())
    ));
    lines
}

// ----- policies ----------------------------------------------------------------------------------

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// ` (note)`, or nothing for an empty note.
fn note_suffix(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!("  ({note})")
    }
}

/// A policy as labelled lines: what it says, where that comes from, whom it restricts and exempts.
pub fn policy_lines(p: &pb::Policy) -> Vec<String> {
    let mut lines = vec![
        format!("id:             {}", p.id),
        format!("version:        {}", p.version),
        format!("title:          {}", p.title),
        format!("built in:       {}", yes_no(p.builtin)),
        format!("kind:           {}", policy_kind_text(p.kind)),
    ];
    if !p.section.is_empty() {
        lines.push(format!("section:        {}", p.section));
    }
    if !p.name_prefix.is_empty() {
        lines.push(format!("name prefix:    {}", p.name_prefix));
    }
    lines.extend([
        format!("clause:         {}", p.clause),
        format!("clause sha256:  {}", p.clause_sha256),
    ]);
    match &p.source {
        Some(s) => {
            lines.push("source:".into());
            lines.push(format!("  publisher:    {}", s.publisher));
            lines.push(format!("  record:       {}", s.record_id));
            lines.push(format!("  document:     {}", s.document));
            if !s.document_version.is_empty() {
                lines.push(format!("  version:      {}", s.document_version));
            }
            if !s.document_updated.is_empty() {
                lines.push(format!("  updated:      {}", s.document_updated));
            }
            if !s.url.is_empty() {
                lines.push(format!("  url:          {}", s.url));
            }
            if !s.snapshot_sha256.is_empty() {
                lines.push(format!(
                    "  snapshot:     sha256 {} (the publisher's, of the whole document)",
                    s.snapshot_sha256
                ));
            }
            if !s.note.is_empty() {
                lines.push(format!("  note:         {}", s.note));
            }
        }
        None => lines.push("source:         -".into()),
    }
    lines.push("restricted models (names compared after normalisation):".into());
    let family = p.restricted.clone().unwrap_or_default();
    for id in &family.canonical_ids {
        lines.push(format!("  canonical:    {id}"));
    }
    for a in &family.aliases {
        lines.push(format!(
            "  alias:        {}{}{}",
            a.name,
            if a.derivative { ", a derivative" } else { "" },
            note_suffix(&a.note)
        ));
    }
    for pattern in &family.patterns {
        lines.push(format!(
            "  pattern:      {}{}{}",
            pattern.pattern,
            if pattern.derivative {
                ", derivatives"
            } else {
                ""
            },
            note_suffix(&pattern.note)
        ));
    }
    lines.push(format!(
        "derivatives' outputs restricted: {}",
        yes_no(p.derivative_outputs_restricted)
    ));
    match &p.exempt {
        Some(e) => lines.push(format!(
            "exempt:         {}{}",
            if e.description.is_empty() {
                "-"
            } else {
                &e.description
            },
            if e.restricted_family {
                " (target models in the restricted family)"
            } else {
                ""
            }
        )),
        None => lines.push("exempt:         nobody".into()),
    }
    lines
}

/// A policy as one row of a listing.
pub fn policy_row(p: &pb::Policy) -> String {
    format!(
        "{}  {}  {}{}",
        p.id,
        p.version,
        p.title,
        if p.builtin { "  (built in)" } else { "" }
    )
}

// ----- evaluations -------------------------------------------------------------------------------

/// How a hidden dataset is shown on a path.
pub const HIDDEN_STEP: &str = "[hidden dataset]";

/// A verdict as the first line of `policy evaluate` prints it.
pub fn verdict_text(value: i32) -> String {
    match pb::Verdict::try_from(value) {
        Ok(pb::Verdict::Clean) => "CLEAN".into(),
        Ok(pb::Verdict::Contaminated) => "CONTAMINATED".into(),
        Ok(pb::Verdict::Incomplete) => "INCOMPLETE".into(),
        Ok(pb::Verdict::Exempt) => "EXEMPT".into(),
        Ok(pb::Verdict::Unspecified) | Err(_) => format!("UNKNOWN VERDICT ({value})"),
    }
}

/// One step of a path: `name@version`, or [`HIDDEN_STEP`].
fn step_text(step: &pb::PathStep) -> String {
    if step.hidden {
        HIDDEN_STEP.into()
    } else {
        format!("{}@{}", step.name, step.version)
    }
}

/// A path as `name@version > name@version > ...`, from the evaluated dataset to the offender.
pub fn path_text(path: &[pb::PathStep]) -> String {
    if path.is_empty() {
        return "(empty path)".into();
    }
    path.iter().map(step_text).collect::<Vec<_>>().join(" > ")
}

/// An offender's path; the registry shortens a long one to its first and last steps, and the
/// datasets left out are counted where they stood.
fn offender_path_text(o: &pb::Offender) -> String {
    let shown = o.path.len();
    let left_out = usize::try_from(o.path_length)
        .unwrap_or(0)
        .saturating_sub(shown);
    if left_out == 0 {
        return path_text(&o.path);
    }
    let (head, tail) = o.path.split_at(shown.div_ceil(2));
    format!(
        "{} > ({left_out} more dataset(s)) > {}",
        path_text(head),
        path_text(tail)
    )
}

/// Why an offender offends: the dataset, the model and the policy entry it matched, or the report.
pub fn offence_text(o: &pb::Offender) -> String {
    let place = match o.path.last() {
        Some(step) if !step.hidden => format!("{} {}", step_text(step), step.dataset_id),
        Some(_) => format!("a {HIDDEN_STEP}"),
        None => "the dataset".into(),
    };
    match pb::OffenceKind::try_from(o.kind) {
        Ok(pb::OffenceKind::RestrictedModelOutput) => {
            let rule = match o.match_rule.as_str() {
                "canonical" => "canonical id",
                "confusable" => "entry, spelled with look-alike characters,",
                other => other,
            };
            format!(
                "restricted output: source {} of {place} was generated by {}, matching the policy's {rule} {:?}{}",
                o.source_index,
                o.model_id,
                o.matched,
                if o.derivative {
                    " (a derivative of the restricted model)"
                } else {
                    ""
                }
            )
        }
        Ok(pb::OffenceKind::ReportedContaminated) => {
            if o.report_id.is_empty() {
                format!("reported contaminated: {place}")
            } else {
                format!("reported contaminated: {place}, report {}", o.report_id)
            }
        }
        Ok(pb::OffenceKind::Unspecified) | Err(_) => {
            format!("offence of unknown kind {} at {place}", o.kind)
        }
    }
}

/// How many of `count` were left out of a list of `listed`.
fn not_listed(count: i32, listed: usize) -> Option<i64> {
    let more = i64::from(count) - i64::try_from(listed).unwrap_or(i64::MAX);
    (more > 0).then_some(more)
}

/// A policy kind as policy files write it.
fn policy_kind_text(kind: i32) -> String {
    match pb::PolicyKind::try_from(kind) {
        Ok(pb::PolicyKind::Prohibition) => "prohibition".into(),
        Ok(pb::PolicyKind::NamingObligation) => "naming_obligation".into(),
        Ok(pb::PolicyKind::InheritedTerms) => "inherited_terms".into(),
        Ok(pb::PolicyKind::CompetingUseProhibition) => "competing_use_prohibition".into(),
        Ok(pb::PolicyKind::Unspecified) | Err(_) => format!("unknown ({kind})"),
    }
}

/// An obligation's status in capitals, as verdicts are printed.
fn obligation_status_text(status: i32) -> String {
    match pb::ObligationStatus::try_from(status) {
        Ok(pb::ObligationStatus::Met) => "MET".into(),
        Ok(pb::ObligationStatus::Unmet) => "UNMET".into(),
        Ok(pb::ObligationStatus::Undetermined) => "UNDETERMINED".into(),
        Ok(pb::ObligationStatus::Applies) => "APPLIES".into(),
        Ok(pb::ObligationStatus::Unspecified) | Err(_) => format!("UNKNOWN ({status})"),
    }
}

/// An evaluation as lines: the verdict alone on the first, for `| head -1`; then why.
pub fn evaluation_lines(e: &pb::Evaluation) -> Vec<String> {
    let mut lines = vec![
        verdict_text(e.verdict),
        format!("dataset:      {}", e.dataset_id),
        format!(
            "policy:       {} version {} (clause sha256 {})",
            e.policy_id, e.policy_version, e.clause_sha256
        ),
    ];
    if !e.target_model.is_empty() {
        lines.push(format!(
            "target:       {}{}",
            e.target_model,
            if e.target_exempt {
                " (exempt)"
            } else {
                " (not exempt)"
            }
        ));
    }
    if !e.exemption.is_empty() {
        lines.push(format!("exemption:    {}", e.exemption));
    }

    if e.offender_count == 0 && e.offenders.is_empty() {
        lines.push("offenders:    none".into());
    } else {
        lines.push(format!(
            "offenders:    {}{}",
            e.offender_count,
            if e.verdict == pb::Verdict::Exempt as i32 {
                " (allowed: the target model is exempt)"
            } else {
                ""
            }
        ));
        for o in &e.offenders {
            lines.push(format!("  {}", offender_path_text(o)));
            lines.push(format!("    {}", offence_text(o)));
        }
        if let Some(more) = not_listed(e.offender_count, e.offenders.len()) {
            lines.push(format!("  {more} more offender(s) not listed"));
        }
    }

    for o in &e.obligations {
        lines.push(format!(
            "obligation:   {}: {}",
            obligation_status_text(o.status),
            o.description
        ));
        for source in &o.sources {
            lines.push(format!("  {}", offender_path_text(source)));
            lines.push(format!("    {}", offence_text(source)));
        }
        if let Some(more) = not_listed(o.source_count, o.sources.len()) {
            lines.push(format!("  {more} more source(s) not listed"));
        }
    }

    if e.missing_attestation_count == 0 && e.missing_attestations.is_empty() {
        lines.push("missing attestations: none".into());
    } else {
        // Attesting helps only where nothing offends: the registry refuses the others.
        lines.push(format!(
            "missing attestations: {}{}",
            e.missing_attestation_count,
            if e.offender_count == 0 {
                " (their owners attest them with `provctl attest record`)"
            } else {
                ""
            }
        ));
        for step in &e.missing_attestations {
            lines.push(if step.hidden {
                format!("  {HIDDEN_STEP}")
            } else {
                format!("  {}  {}", step_text(step), step.dataset_id)
            });
        }
        if let Some(more) = not_listed(e.missing_attestation_count, e.missing_attestations.len()) {
            lines.push(format!(
                "  {more} more dataset(s) without an attestation not listed"
            ));
        }
    }

    if e.attestation_ids.is_empty() {
        lines.push("attestations: none".into());
    } else {
        lines.push(format!("attestations: {}", e.attestation_ids.len()));
        lines.extend(e.attestation_ids.iter().map(|id| format!("  {id}")));
    }
    lines.push(format!(
        "closure:      {} dataset(s), the evaluated one included",
        e.closure_size
    ));
    lines.push(format!(
        "evaluated:    {}",
        time_text(e.evaluate_time.as_ref())
    ));
    lines
}

/// One row of a certificate's policy matrix: `  llama-3.1@2024-07-23  naming_obligation  CLEAN
/// NAME_PREFIX MET`.
fn covered_policy_row(p: &pb::CertifiedPolicy) -> String {
    let mut row = format!(
        "  {}@{}  {}  {}",
        p.policy_id,
        p.policy_version,
        policy_kind_text(p.kind),
        verdict_text(p.verdict)
    );
    for owed in &p.obligations {
        row.push_str("  ");
        row.push_str(&obligation_cell(owed));
    }
    row
}

/// An obligation in a matrix cell: `NAME_PREFIX MET`.
fn obligation_cell(o: &pb::Obligation) -> String {
    let kind = pb::ObligationKind::try_from(o.kind).map_or_else(
        |_| format!("UNKNOWN ({})", o.kind),
        |k| {
            k.as_str_name()
                .trim_start_matches("OBLIGATION_KIND_")
                .to_owned()
        },
    );
    format!("{kind} {}", obligation_status_text(o.status))
}

/// An evaluation by several policies as lines: the worst verdict alone on the first, for
/// `| head -1`; then the matrix, one row per policy (verdict, offenders, datasets lacking an
/// attestation, obligations); then, for each policy whose verdict is not CLEAN or that brings an
/// obligation, its evaluation as [`evaluation_lines`] gives it (paths included).
pub fn evaluation_matrix_lines(e: &pb::Evaluation) -> Vec<String> {
    let mut lines = vec![
        verdict_text(e.verdict),
        format!("dataset:      {}", e.dataset_id),
    ];
    if !e.target_model.is_empty() {
        lines.push(format!("target:       {}", e.target_model));
    }
    lines.push(format!(
        "closure:      {} dataset(s), the evaluated one included",
        e.closure_size
    ));
    lines.push(format!(
        "evaluated:    {}",
        time_text(e.evaluate_time.as_ref())
    ));
    lines.push(String::new());
    let rows: Vec<[String; 6]> = e
        .policy_evaluations
        .iter()
        .map(|p| {
            let obligations: Vec<String> = p.obligations.iter().map(obligation_cell).collect();
            [
                p.policy_id.clone(),
                p.policy_version.clone(),
                verdict_text(p.verdict),
                p.offender_count.to_string(),
                p.missing_attestation_count.to_string(),
                if obligations.is_empty() {
                    "-".into()
                } else {
                    obligations.join(", ")
                },
            ]
        })
        .collect();
    let header = [
        "POLICY",
        "VERSION",
        "VERDICT",
        "OFFENDERS",
        "UNATTESTED",
        "OBLIGATIONS",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        lines.push(cells.join("  ").trim_end().to_owned());
    }
    for p in &e.policy_evaluations {
        if p.verdict == pb::Verdict::Clean as i32 && p.obligations.is_empty() {
            continue;
        }
        lines.push(String::new());
        lines.push(format!(
            "== {} version {} ==",
            p.policy_id, p.policy_version
        ));
        lines.extend(evaluation_lines(p));
    }
    lines
}

// ----- attestations ------------------------------------------------------------------------------

/// A method as `attest record --method` spells it.
pub fn method_text(value: i32) -> String {
    match pb::AttestationMethod::try_from(value) {
        Ok(pb::AttestationMethod::ManualReview) => "manual-review".into(),
        Ok(pb::AttestationMethod::AutomatedScan) => "automated-scan".into(),
        Ok(pb::AttestationMethod::SupplierDeclaration) => "supplier-declaration".into(),
        Ok(pb::AttestationMethod::ProcessAudit) => "process-audit".into(),
        Ok(pb::AttestationMethod::Unspecified) => "unspecified".into(),
        Err(_) => format!("unknown ({value})"),
    }
}

/// Whether an attestation counts, and if not why.
fn standing_text(a: &pb::Attestation) -> &'static str {
    if a.valid {
        "valid"
    } else if a.revoke_time.is_some() {
        "revoked"
    } else {
        "expired"
    }
}

/// An attestation as labelled lines.
pub fn attestation_lines(a: &pb::Attestation) -> Vec<String> {
    let mut lines = vec![
        format!("id:           {}", a.id),
        format!("dataset:      {}", a.dataset_id),
        format!("organization: {}", a.organization_id),
        match a.policies.as_slice() {
            [_, _, ..] => format!(
                "policies:     {}",
                a.policies
                    .iter()
                    .map(|p| format!("{} version {}", p.id, p.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!("policy:       {} version {}", a.policy_id, a.policy_version),
        },
        format!("purpose:      {}", purpose_text(a.declared_purpose)),
        format!("method:       {}", method_text(a.method)),
        format!("statement:    {}", a.statement),
    ];
    if a.evidence.is_empty() {
        lines.push("evidence:     none".into());
    } else {
        lines.push("evidence:".into());
        for e in &a.evidence {
            let mut line = format!("  - {}  {}", e.uri, e.content_digest);
            if !e.description.is_empty() {
                line.push_str(&format!("  ({})", e.description));
            }
            lines.push(line);
        }
    }
    lines.push(format!(
        "created:      {} by {}",
        time_text(a.create_time.as_ref()),
        a.attester_subject
    ));
    lines.push(format!(
        "expires:      {}",
        a.expire_time
            .as_ref()
            .map_or_else(|| "never".to_owned(), format_time)
    ));
    lines.push(match &a.revoke_time {
        Some(t) => format!("revoked:      {}: {}", format_time(t), a.revoke_reason),
        None => "revoked:      no".into(),
    });
    lines.push(format!("valid:        {}", yes_no(a.valid)));
    lines
}

/// A declared purpose as people read it.
pub fn purpose_text(value: i32) -> &'static str {
    match pb::Purpose::try_from(value) {
        Ok(pb::Purpose::CompetingModel) => "competing model",
        Ok(pb::Purpose::NonCompeting) => "non-competing",
        Ok(pb::Purpose::Unspecified) | Err(_) => "not declared",
    }
}

/// An attestation as one row of a listing: its first policy, and how many more it covers.
pub fn attestation_row(a: &pb::Attestation) -> String {
    let more = match a.policies.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    format!(
        "{}  dataset {}  {}@{}{}  {}  {}  {}",
        a.id,
        a.dataset_id,
        a.policy_id,
        a.policy_version,
        more,
        method_text(a.method),
        standing_text(a),
        time_text(a.create_time.as_ref())
    )
}

// ----- certificates ------------------------------------------------------------------------------

/// A certificate status as people read it.
pub fn certificate_status_text(value: i32) -> String {
    match pb::CertificateStatus::try_from(value) {
        Ok(pb::CertificateStatus::Valid) => "VALID".into(),
        Ok(pb::CertificateStatus::Revoked) => "REVOKED".into(),
        Ok(pb::CertificateStatus::Expired) => "EXPIRED".into(),
        Ok(pb::CertificateStatus::Unspecified) => {
            "UNKNOWN (the registry has no such certificate)".into()
        }
        Err(_) => format!("UNKNOWN STATUS ({value})"),
    }
}

/// The verdict a certificate states: `CLEAN`, or `EXEMPT for MODEL`.
fn certificate_verdict_text(c: &pb::Certificate) -> String {
    let verdict = verdict_text(c.verdict);
    if c.target_model.is_empty() {
        verdict
    } else {
        format!("{verdict} for {}", c.target_model)
    }
}

/// A certificate as labelled lines: status first, then what it states, its history and the token.
/// `claims` (the token's, as the registry sent them) add the dataset's name and the attestations.
pub fn certificate_lines(c: &pb::Certificate, claims: Option<&Value>) -> Vec<String> {
    let claim = |path: &[&str]| {
        claims
            .and_then(|v| path.iter().try_fold(v, |v, key| v.get(key)))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let dataset = match (claim(&["dataset", "name"]), claim(&["dataset", "version"])) {
        (Some(name), Some(version)) => format!("{}  {name}@{version}", c.dataset_id),
        _ => c.dataset_id.clone(),
    };
    let mut lines = vec![
        format!("id:           {}", c.id),
        format!("status:       {}", certificate_status_text(c.status)),
        format!("dataset:      {dataset}"),
        format!("organization: {}", c.organization_id),
        format!(
            "audience:     {}",
            if c.audience_organization_id.is_empty() {
                "none (any holder may rely on it)"
            } else {
                &c.audience_organization_id
            }
        ),
        format!("policy:       {} version {}", c.policy_id, c.policy_version),
        format!("verdict:      {}", certificate_verdict_text(c)),
    ];
    if c.policies.len() > 1 {
        lines.push(format!("policies:     {} covered", c.policies.len()));
        lines.extend(c.policies.iter().map(covered_policy_row));
    }
    if let Ok(purpose @ (pb::Purpose::CompetingModel | pb::Purpose::NonCompeting)) =
        pb::Purpose::try_from(c.declared_purpose)
    {
        let purpose = purpose.as_str_name().trim_start_matches("PURPOSE_");
        lines.push(format!("purpose:      {purpose}"));
    }
    if !c.contract_reference.is_empty() {
        lines.push(format!("contract:     {}", c.contract_reference));
    }
    lines.push(format!(
        "lineage:      {} over {} dataset(s)",
        c.lineage_digest, c.closure_size
    ));
    if let Some(attestations) = claims
        .and_then(|v| v.get("attestations"))
        .and_then(Value::as_array)
    {
        let total = claims
            .and_then(|v| v.get("attestation_count"))
            .and_then(Value::as_u64)
            .map_or(attestations.len(), |n| n as usize);
        lines.push(format!("attestations: {total}"));
        lines.extend(
            attestations
                .iter()
                .filter_map(Value::as_str)
                .map(|id| format!("  {id}")),
        );
    }
    lines.push(format!(
        "issued:       {}",
        time_text(c.issue_time.as_ref())
    ));
    lines.push(format!(
        "valid:        from {} until {}",
        time_text(c.not_before.as_ref()),
        time_text(c.expire_time.as_ref())
    ));
    lines.push(format!("key:          {}", c.kid));
    lines.push(format!(
        "log:          leaf {} (event {}): `provctl log prove --certificate {}` proves it was logged",
        c.log_index,
        c.log_index.saturating_add(1),
        c.id
    ));
    lines.extend(revocation_lines(
        c.revoke_time.as_ref(),
        &c.revoke_reason,
        &c.revoke_cause,
        &c.status_history,
    ));
    lines.push(format!("token:        {}", c.token));
    lines
}

/// `revoked: when: reason (cause)` or `revoked: no`, then the status history, one change a line:
/// as `cert get` and `cert verify` show them.
pub fn revocation_lines(
    revoke_time: Option<&Timestamp>,
    reason: &str,
    cause: &str,
    history: &[pb::CertificateStatusChange],
) -> Vec<String> {
    let mut lines = vec![match revoke_time {
        Some(t) => format!("revoked:      {}: {reason} ({cause})", format_time(t)),
        None => "revoked:      no".into(),
    }];
    lines.push("history:".into());
    for change in history {
        let mut line = format!(
            "  {}  {}",
            time_text(change.time.as_ref()),
            certificate_status_text(change.status)
        );
        if !change.reason.is_empty() {
            line.push_str(&format!("  {}", change.reason));
        }
        lines.push(line);
    }
    lines
}

// ----- events ------------------------------------------------------------------------------------

/// An event on one line: sequence, type, subject, time.
pub fn event_line(e: &pb::Event) -> String {
    format!(
        "{:>6}  {:<22}  {}  {}",
        e.sequence,
        e.r#type,
        e.subject,
        time_text(e.time.as_ref())
    )
}

// ----- organisations and tokens ------------------------------------------------------------------

/// An organisation as labelled lines.
pub fn organization_lines(o: &pb::Organization) -> Vec<String> {
    vec![
        format!("id:      {}", o.id),
        format!("name:    {}", o.name),
        format!("created: {}", time_text(o.create_time.as_ref())),
    ]
}

/// An organisation as one row of `org list`: id, creation time, name (last: it may hold spaces).
pub fn organization_row(o: &pb::Organization) -> String {
    format!(
        "{}  {}  {}",
        o.id,
        time_text(o.create_time.as_ref()),
        o.name
    )
}

/// A token's record as labelled lines.
pub fn token_info_lines(t: &pb::AccessTokenInfo) -> Vec<String> {
    vec![
        format!("id:           {}", t.id),
        format!("organization: {}", t.organization_id),
        format!("role:         {}", role_text(t.role)),
        format!("subject:      {}", t.subject),
        format!("created:      {}", time_text(t.create_time.as_ref())),
        format!("expires:      {}", time_text(t.expire_time.as_ref())),
        format!(
            "revoked:      {}",
            t.revoke_time
                .as_ref()
                .map_or_else(|| "no".to_owned(), format_time)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_utc_with_microseconds() {
        let ts = Timestamp {
            seconds: 1_795_000_000,
            nanos: 123_456_000,
        };
        assert_eq!(format_time(&ts), "2026-11-18T11:06:40.123456Z");
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(format_time(&bad).starts_with("(invalid time"));
    }

    #[test]
    fn sources_read_like_the_flags() {
        let model = pb::Source {
            kind: pb::SourceKind::ModelGenerated as i32,
            model: Some(pb::ModelRef {
                model_id: "m".into(),
                version: "v1".into(),
                provider: String::new(),
            }),
            ..Default::default()
        };
        assert_eq!(source_text(&model), "model m@v1");
        let crawl = pb::Source {
            kind: pb::SourceKind::WebCrawl as i32,
            uri: "https://x".into(),
            license: "CC0-1.0".into(),
            ..Default::default()
        };
        assert_eq!(source_text(&crawl), "web-crawl https://x [CC0-1.0]");
    }

    #[test]
    fn json_is_the_canonical_mapping_with_parsed_payloads() {
        let event = pb::Event {
            sequence: 7,
            r#type: "dataset.registered".into(),
            payload_json: r#"{"name":"raw"}"#.into(),
            prev_hash: "00".into(),
            ..Default::default()
        };
        let value = event_json(&event).expect("an event");
        // 64-bit integers as strings, lowerCamelCase names, unset fields left out.
        assert_eq!(value["sequence"], "7");
        assert_eq!(value["prevHash"], "00");
        assert_eq!(value["payloadJson"], r#"{"name":"raw"}"#);
        assert_eq!(value["payload"]["name"], "raw");
        assert!(value.get("time").is_none(), "{value}");
        let not_json = event_json(&pb::Event {
            payload_json: "not json".into(),
            ..event.clone()
        })
        .expect("an event");
        assert_eq!(not_json["payload"], "not json");
        let page = events_json(&pb::ListEventsResponse {
            events: vec![event],
            next_page_token: "t".into(),
        })
        .expect("a page");
        assert_eq!(page["events"][0]["payload"]["name"], "raw");
        assert_eq!(page["nextPageToken"], "t");

        let dataset = pb::Dataset {
            visibility: pb::Visibility::Public as i32,
            size_bytes: Some(0),
            ..Default::default()
        };
        let value = message_json(&dataset).expect("a dataset");
        assert_eq!(value["visibility"], "VISIBILITY_PUBLIC");
        // An optional field that is set is written, even at 0.
        assert_eq!(value["sizeBytes"], "0");
        assert!(value.get("contaminated").is_none(), "{value}");
        // An enum number of a newer registry cannot be named: an error that says to upgrade.
        let unknown = pb::Dataset {
            visibility: 99,
            ..Default::default()
        };
        let refused = message_json(&unknown).expect_err("no name for 99");
        assert!(refused.to_string().contains("upgrade provctl"), "{refused}");
    }

    fn step(name: &str) -> pb::PathStep {
        pb::PathStep {
            dataset_id: format!("id-{name}"),
            name: name.into(),
            version: "1".into(),
            hidden: false,
        }
    }

    fn hidden() -> pb::PathStep {
        pb::PathStep {
            hidden: true,
            ..Default::default()
        }
    }

    fn r1_offender(path: Vec<pb::PathStep>) -> pb::Offender {
        pb::Offender {
            kind: pb::OffenceKind::RestrictedModelOutput as i32,
            path,
            model_id: "deepseek-ai/DeepSeek-R1".into(),
            source_index: 0,
            match_rule: "canonical".into(),
            matched: "deepseek-r1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn paths_read_name_at_version_with_hidden_steps() {
        assert_eq!(
            path_text(&[step("top"), hidden(), step("r1-out")]),
            "top@1 > [hidden dataset] > r1-out@1"
        );
        assert_eq!(path_text(&[step("only")]), "only@1");
        assert_eq!(path_text(&[]), "(empty path)");
    }

    #[test]
    fn offences_name_the_model_and_the_policy_entry() {
        let restricted = offence_text(&r1_offender(vec![step("top"), step("r1-out")]));
        assert_eq!(
            restricted,
            "restricted output: source 0 of r1-out@1 id-r1-out was generated by deepseek-ai/DeepSeek-R1, matching the policy's canonical id \"deepseek-r1\""
        );
        let derivative = offence_text(&pb::Offender {
            match_rule: "pattern".into(),
            matched: "deepseek-r1-*".into(),
            derivative: true,
            ..r1_offender(vec![step("top"), hidden()])
        });
        assert!(derivative.contains("of a [hidden dataset]"), "{derivative}");
        assert!(derivative.contains("pattern \"deepseek-r1-*\" (a derivative"));
        let reported = offence_text(&pb::Offender {
            kind: pb::OffenceKind::ReportedContaminated as i32,
            path: vec![step("top"), step("base")],
            report_id: "rep-1".into(),
            ..Default::default()
        });
        assert_eq!(
            reported,
            "reported contaminated: base@1 id-base, report rep-1"
        );
    }

    #[test]
    fn evaluation_text_starts_with_the_verdict_and_counts_what_is_left_out() {
        let evaluation = pb::Evaluation {
            verdict: pb::Verdict::Contaminated as i32,
            dataset_id: "id-top".into(),
            policy_id: "p".into(),
            policy_version: "1".into(),
            offenders: vec![r1_offender(vec![step("top"), step("mid"), step("r1-out")])],
            offender_count: 3,
            missing_attestations: vec![step("top"), hidden()],
            missing_attestation_count: 5,
            closure_size: 7,
            ..Default::default()
        };
        let lines = evaluation_lines(&evaluation);
        assert_eq!(lines[0], "CONTAMINATED");
        let at = |text: &str| {
            lines
                .iter()
                .position(|l| l == text)
                .unwrap_or_else(|| panic!("no line {text:?} in {lines:#?}"))
        };
        let path = at("  top@1 > mid@1 > r1-out@1");
        assert!(lines[path + 1].starts_with("    restricted output: source 0 of r1-out@1"));
        assert!(at("  2 more offender(s) not listed") > path);
        // Nothing to attest while the lineage offends: no hint to try.
        let missing = at("missing attestations: 5");
        assert_eq!(lines[missing + 1], "  top@1  id-top");
        assert_eq!(lines[missing + 2], "  [hidden dataset]");
        assert_eq!(
            lines[missing + 3],
            "  3 more dataset(s) without an attestation not listed"
        );
        at("attestations: none");
        at("closure:      7 dataset(s), the evaluated one included");
    }

    #[test]
    fn clean_and_exempt_evaluations() {
        let clean = evaluation_lines(&pb::Evaluation {
            verdict: pb::Verdict::Clean as i32,
            attestation_ids: vec!["a1".into(), "a2".into()],
            closure_size: 2,
            ..Default::default()
        });
        assert_eq!(clean[0], "CLEAN");
        assert!(clean.contains(&"offenders:    none".to_owned()));
        assert!(clean.contains(&"missing attestations: none".to_owned()));
        assert!(clean.contains(&"attestations: 2".to_owned()));
        assert!(clean.contains(&"  a2".to_owned()));
        assert!(!clean.iter().any(|l| l.starts_with("target:")));

        let exempt = evaluation_lines(&pb::Evaluation {
            verdict: pb::Verdict::Exempt as i32,
            target_model: "DeepSeek-R1-Distill-Qwen-7B".into(),
            target_exempt: true,
            exemption: "DeepSeek-R1 and its derivatives".into(),
            offenders: vec![r1_offender(vec![step("r1-out")])],
            offender_count: 1,
            ..Default::default()
        });
        assert_eq!(exempt[0], "EXEMPT");
        assert!(exempt.contains(&"target:       DeepSeek-R1-Distill-Qwen-7B (exempt)".to_owned()));
        assert!(
            exempt
                .iter()
                .any(|l| l.starts_with("offenders:    1 (allowed"))
        );
        assert!(!exempt.iter().any(|l| l.contains("not listed")));
        assert_eq!(verdict_text(42), "UNKNOWN VERDICT (42)");
    }

    #[test]
    fn contamination_shows_on_the_dataset() {
        let report = pb::ContaminationReport {
            id: "rep-1".into(),
            reporter_subject: "auditor".into(),
            effective: true,
            statement: "R1 answers found".into(),
            evidence: vec![pb::ContaminationEvidence {
                uri: "https://x/audit".into(),
                content_digest: String::new(),
            }],
            ..Default::default()
        };
        let lines = dataset_lines(&pb::Dataset {
            contaminated: true,
            contamination_reports: vec![report.clone()],
            ..Default::default()
        });
        assert!(lines.iter().any(|l| l.starts_with("contaminated: yes")));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("rep-1") && l.contains("effective"))
        );
        assert!(lines.contains(&"    evidence:  https://x/audit".to_owned()));

        let clean = dataset_lines(&pb::Dataset::default());
        assert!(!clean.iter().any(|l| l.contains("contaminat")));
        let third_party = dataset_lines(&pb::Dataset {
            contamination_reports: vec![pb::ContaminationReport {
                effective: false,
                reporter_organization_id: "org-2".into(),
                ..report
            }],
            ..Default::default()
        });
        assert!(
            third_party
                .iter()
                .any(|l| l.starts_with("contaminated: not by its owner (1 report(s)"))
        );
        assert!(
            third_party
                .iter()
                .any(|l| l.contains("not effective (third party)"))
        );
    }

    #[test]
    fn attestations_say_whether_they_count() {
        let valid = pb::Attestation {
            id: "a1".into(),
            method: pb::AttestationMethod::AutomatedScan as i32,
            valid: true,
            ..Default::default()
        };
        assert!(attestation_row(&valid).contains("automated-scan  valid"));
        let lines = attestation_lines(&valid);
        assert!(lines.contains(&"expires:      never".to_owned()));
        assert!(lines.contains(&"revoked:      no".to_owned()));
        let revoked = pb::Attestation {
            valid: false,
            revoke_time: Some(Timestamp::default()),
            revoke_reason: "parent reported".into(),
            ..valid.clone()
        };
        assert!(attestation_row(&revoked).contains("revoked"));
        assert!(
            attestation_lines(&revoked)
                .contains(&"revoked:      1970-01-01T00:00:00.000000Z: parent reported".to_owned())
        );
        let expired = pb::Attestation {
            valid: false,
            ..valid
        };
        assert!(attestation_row(&expired).contains("expired"));
    }

    #[test]
    fn attestations_show_the_policies_they_cover_and_their_purpose() {
        let policy = |id: &str, version: &str| pb::PolicyRef {
            id: id.into(),
            version: version.into(),
        };
        let one = pb::Attestation {
            policy_id: "p".into(),
            policy_version: "1".into(),
            policies: vec![policy("p", "1")],
            ..Default::default()
        };
        let lines = attestation_lines(&one);
        assert!(lines.contains(&"policy:       p version 1".to_owned()));
        assert!(lines.contains(&"purpose:      not declared".to_owned()));
        assert!(attestation_row(&one).contains("  p@1  "));
        let several = pb::Attestation {
            policies: vec![policy("p", "1"), policy("q", "2"), policy("r", "3")],
            declared_purpose: pb::Purpose::NonCompeting as i32,
            ..one
        };
        let lines = attestation_lines(&several);
        assert!(
            lines.contains(&"policies:     p version 1, q version 2, r version 3".to_owned()),
            "{lines:?}"
        );
        assert!(lines.contains(&"purpose:      non-competing".to_owned()));
        assert!(attestation_row(&several).contains("  p@1 (+2 more)  "));
    }

    #[test]
    fn certificates_show_status_history_and_claims() {
        let time = |seconds| Some(Timestamp { seconds, nanos: 0 });
        let certificate = pb::Certificate {
            id: "c1".into(),
            dataset_id: "d1".into(),
            policy_id: "p".into(),
            policy_version: "1".into(),
            verdict: pb::Verdict::Exempt as i32,
            target_model: "DeepSeek-R1-Distill-Qwen-7B".into(),
            status: pb::CertificateStatus::Revoked as i32,
            revoke_time: time(100),
            revoke_reason: "wrong contract".into(),
            revoke_cause: "certificates/c1".into(),
            status_history: vec![
                pb::CertificateStatusChange {
                    status: pb::CertificateStatus::Valid as i32,
                    time: time(0),
                    reason: String::new(),
                },
                pb::CertificateStatusChange {
                    status: pb::CertificateStatus::Revoked as i32,
                    time: time(100),
                    reason: "wrong contract".into(),
                },
            ],
            token: "h.p.s".into(),
            ..Default::default()
        };
        let claims = json!({"dataset": {"name": "sft", "version": "2"}, "attestations": ["a1"]});
        let lines = certificate_lines(&certificate, Some(&claims));
        assert_eq!(lines[1], "status:       REVOKED");
        assert!(lines.contains(&"dataset:      d1  sft@2".to_owned()));
        assert!(lines.contains(&"verdict:      EXEMPT for DeepSeek-R1-Distill-Qwen-7B".to_owned()));
        assert!(lines.contains(&"audience:     none (any holder may rely on it)".to_owned()));
        assert!(lines.contains(&"  a1".to_owned()));
        assert!(
            lines.contains(
                &"revoked:      1970-01-01T00:01:40.000000Z: wrong contract (certificates/c1)"
                    .to_owned()
            )
        );
        assert!(
            lines.contains(&"  1970-01-01T00:01:40.000000Z  REVOKED  wrong contract".to_owned())
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("token:        h.p.s")
        );
        let value = certificate_json(&certificate, Some(claims)).expect("a certificate");
        assert_eq!(value["status"], "CERTIFICATE_STATUS_REVOKED");
        assert_eq!(value["statusHistory"][1]["reason"], "wrong contract");
        assert_eq!(value["statusHistory"][1]["time"], "1970-01-01T00:01:40Z");
        assert!(value["statusHistory"][0].get("reason").is_none());
        assert_eq!(value["revokeCause"], "certificates/c1");
        assert_eq!(value["claims"]["dataset"]["name"], "sft");
        assert_eq!(
            certificate_json(&certificate, None).expect("a certificate")["claims"],
            Value::Null
        );
    }

    #[test]
    fn hidden_parents_are_not_shown_as_empty_ids() {
        let source = pb::Source {
            kind: pb::SourceKind::Dataset as i32,
            parent_hidden: true,
            ..Default::default()
        };
        assert_eq!(source_text(&source), "dataset [hidden dataset]");
    }
}
