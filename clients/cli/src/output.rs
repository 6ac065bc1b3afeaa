//! Printing results: lines for people, JSON for programs.
//!
//! The generated messages do not implement `Serialize`, so the JSON forms are built here by hand.
//! They follow the proto JSON mapping with the original (snake_case) field names, enum values by
//! their proto names and times in RFC 3339, except that 64-bit integers are JSON numbers (which
//! `jq` reads more easily than the mapping's strings).

use std::fmt::Display;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use prost_types::Timestamp;
use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};

use crate::cli::OutputFormat;

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

    /// Prints one item of a stream as a single line of JSON, and flushes it at once so that a
    /// reader sees each item as it arrives.
    pub fn json_line(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    /// Pushes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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

fn time_json(ts: Option<&Timestamp>) -> Value {
    ts.map_or(Value::Null, |t| Value::String(format_time(t)))
}

fn time_text(ts: Option<&Timestamp>) -> String {
    ts.map_or_else(|| "-".to_owned(), format_time)
}

/// An enum value by its proto name, or its number if this client does not know it.
fn enum_json<E>(value: i32, name: impl Fn(&E) -> &'static str) -> Value
where
    E: TryFrom<i32>,
{
    E::try_from(value).map_or_else(|_| json!(value), |e| json!(name(&e)))
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

/// A dataset as JSON.
pub fn dataset_json(d: &pb::Dataset) -> Value {
    json!({
        "id": d.id,
        "organization_id": d.organization_id,
        "name": d.name,
        "version": d.version,
        "content_digest": d.content_digest,
        "size_bytes": d.size_bytes,
        "description": d.description,
        "license": d.license,
        "visibility": enum_json(d.visibility, pb::Visibility::as_str_name),
        "sources": d.sources.iter().map(source_json).collect::<Vec<_>>(),
        "create_time": time_json(d.create_time.as_ref()),
        "creator_token_id": d.creator_token_id,
        "creator_subject": d.creator_subject,
    })
}

fn source_json(s: &pb::Source) -> Value {
    json!({
        "kind": enum_json(s.kind, pb::SourceKind::as_str_name),
        "dataset_id": s.dataset_id,
        "model": s.model.as_ref().map(|m| json!({
            "model_id": m.model_id,
            "version": m.version,
            "provider": m.provider,
        })),
        "uri": s.uri,
        "license": s.license,
        "collect_time": time_json(s.collect_time.as_ref()),
        "content_digest": s.content_digest,
        "description": s.description,
    })
}

/// One source on one line, spelled as `--source` takes it.
pub fn source_text(s: &pb::Source) -> String {
    let mut text = match pb::SourceKind::try_from(s.kind) {
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

/// A lineage node as JSON.
pub fn lineage_node_json(n: &pb::LineageNode) -> Value {
    json!({
        "dataset": n.dataset.as_ref().map(dataset_json),
        "depth": n.depth,
        "next_ids": n.next_ids,
        "hidden_next_count": n.hidden_next_count,
    })
}

// ----- events ------------------------------------------------------------------------------------

/// An event as JSON; the payload is parsed, so that `jq` can reach into it.
pub fn event_json(e: &pb::Event) -> Value {
    let payload = serde_json::from_str::<Value>(&e.payload_json)
        .unwrap_or_else(|_| Value::String(e.payload_json.clone()));
    json!({
        "sequence": e.sequence,
        "type": e.r#type,
        "subject": e.subject,
        "organization_id": e.organization_id,
        "public": e.public,
        "payload": payload,
        "time": time_json(e.time.as_ref()),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    })
}

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

/// An organisation as JSON.
pub fn organization_json(o: &pb::Organization) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "create_time": time_json(o.create_time.as_ref()),
    })
}

/// An organisation as labelled lines.
pub fn organization_lines(o: &pb::Organization) -> Vec<String> {
    vec![
        format!("id:      {}", o.id),
        format!("name:    {}", o.name),
        format!("created: {}", time_text(o.create_time.as_ref())),
    ]
}

/// A token's record as JSON (never the token itself).
pub fn token_info_json(t: &pb::AccessTokenInfo) -> Value {
    json!({
        "id": t.id,
        "organization_id": t.organization_id,
        "role": enum_json(t.role, pb::Role::as_str_name),
        "subject": t.subject,
        "create_time": time_json(t.create_time.as_ref()),
        "expire_time": time_json(t.expire_time.as_ref()),
        "revoke_time": time_json(t.revoke_time.as_ref()),
    })
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
    fn json_uses_proto_names_and_parses_payloads() {
        let event = pb::Event {
            sequence: 7,
            r#type: "dataset.registered".into(),
            payload_json: r#"{"name":"raw"}"#.into(),
            ..Default::default()
        };
        let value = event_json(&event);
        assert_eq!(value["sequence"], 7);
        assert_eq!(value["payload"]["name"], "raw");
        assert_eq!(value["time"], Value::Null);
        let dataset = pb::Dataset {
            visibility: pb::Visibility::Public as i32,
            ..Default::default()
        };
        assert_eq!(dataset_json(&dataset)["visibility"], "VISIBILITY_PUBLIC");
        let unknown = pb::Dataset {
            visibility: 99,
            ..Default::default()
        };
        assert_eq!(dataset_json(&unknown)["visibility"], 99);
    }
}
