//! A dataset registration from Croissant 1.0 or 1.1 metadata (MLCommons), read in its usual
//! compacted JSON-LD form.
//!
//! What is mapped:
//!
//! - `name` and `version` become the dataset's name and version (`--version` may supply or replace
//!   the version, which the registry requires and Croissant only recommends).
//! - The `distribution`'s top-level `cr:FileObject`s (those not `containedIn` another) become the
//!   manifest of the README's "Dataset digests from a directory": each file's path (its relative
//!   `contentUrl`, or the last segment of an absolute one), its exact `contentSize` in bytes and
//!   its `sha256`. The manifest's digest is the dataset's `content_digest`, the sum of the sizes its
//!   `size_bytes`: the digest `provctl digest` gives for a directory holding those files.
//! - `license` (an SPDX identifier, an `spdx.org/licenses/` URL, a Creative Commons URL, or a list
//!   of those, joined with `AND`) becomes the licence; another URL is kept in the description.
//! - `isBasedOn` and `prov:wasDerivedFrom` (URLs, or objects with `@id` or `url`) become
//!   `EXTERNAL_DATASET` sources, and so do URLs in `rai:dataCollectionRawData`.
//! - `description` and every `rai:` field become the description, the RAI fields one per line
//!   after it; a text over the registry's 4096 characters is refused, not cut.
//!
//! Not mapped: `recordSet` and its fields, `cr:FileSet`s (a glob names no file to hash), files
//! inside archives, `creator`, `publisher`, `datePublished`, `keywords`, `citeAs`, `url`,
//! `sameAs` and `md5`. A file that breaks the rules above or Croissant's own (the `@type`,
//! `conformsTo` a Croissant 1.0 or 1.1 URI, a `name`, FileObjects with `name`, `contentUrl`,
//! `encodingFormat` and a checksum) is refused with the field it breaks.

use std::collections::BTreeSet;

use provenance_api::v1 as pb;
use serde_json::{Map, Value};

use crate::manifest::{Entry, Manifest};

/// The Croissant versions read.
pub const CONFORMS_TO: [&str; 2] = [
    "http://mlcommons.org/croissant/1.0",
    "http://mlcommons.org/croissant/1.1",
];

/// Characters of a dataset description, as the registry bounds it.
const DESCRIPTION_LIMIT: usize = 4096;

/// Bytes of a metadata file read, at most.
pub const FILE_LIMIT: u64 = 16 << 20;

/// What a Croissant file registers.
#[derive(Debug, Clone)]
pub struct Import {
    /// The registration, visibility private.
    pub request: pb::RegisterDatasetRequest,
    /// The manifest the digest was computed over.
    pub manifest: Manifest,
}

/// A field of the file that does not validate, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// Path of the field, e.g. `distribution[1].sha256`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn text<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'a str>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(invalid(field, "must not be empty")),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

fn required<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<&'a str, Invalid> {
    text(object, key, field)?.ok_or_else(|| invalid(field, "is required"))
}

/// The values of a field that may be one value or a list.
fn one_or_many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    }
}

fn type_names(object: &Map<String, Value>) -> Vec<&str> {
    one_or_many(object.get("@type"))
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

fn is_type(object: &Map<String, Value>, short: &str, prefixes: &[&str]) -> bool {
    type_names(object)
        .iter()
        .any(|t| prefixes.iter().any(|p| *t == format!("{p}{short}")))
}

const SCHEMA_ORG: [&str; 5] = [
    "sc:",
    "schema:",
    "https://schema.org/",
    "http://schema.org/",
    "",
];
const CROISSANT: [&str; 3] = ["cr:", "http://mlcommons.org/croissant/", ""];

/// The URL a reference names: a string, or an object's `@id` or `url`.
fn reference_url<'a>(value: &'a Value, field: &str) -> Result<&'a str, Invalid> {
    let url = match value {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o
            .get("@id")
            .or_else(|| o.get("url"))
            .and_then(Value::as_str),
        _ => None,
    };
    match url {
        Some(u) if is_absolute_url(u) => Ok(u),
        _ => Err(invalid(
            field,
            "must be an absolute URL, or an object with an `@id` or `url` that is one",
        )),
    }
}

fn is_absolute_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An SPDX identifier for a licence URL, where one is known.
fn license_id(value: &str) -> Option<String> {
    if !value.contains("://") {
        return Some(value.to_owned());
    }
    let trimmed = value.trim_end_matches('/');
    let after = |prefix: &str| {
        ["https://", "http://"]
            .iter()
            .find_map(|scheme| trimmed.strip_prefix(&format!("{scheme}{prefix}")))
    };
    if let Some(id) = after("spdx.org/licenses/") {
        return Some(
            id.trim_end_matches(".html")
                .trim_end_matches(".json")
                .to_owned(),
        );
    }
    if after("creativecommons.org/publicdomain/zero/1.0").is_some() {
        return Some("CC0-1.0".to_owned());
    }
    let rest = after("creativecommons.org/licenses/")?;
    let (kind, version) = rest.split_once('/')?;
    let version = version.split('/').next()?;
    let known = ["by", "by-sa", "by-nc", "by-nd", "by-nc-sa", "by-nc-nd"];
    let valid_version = ["1.0", "2.0", "2.5", "3.0", "4.0"];
    (known.contains(&kind) && valid_version.contains(&version))
        .then(|| format!("CC-{}-{version}", kind.to_uppercase()))
}

/// The exact byte count of a `contentSize`: digits, optionally followed by `B` or `bytes`.
fn exact_bytes(value: &Value, field: &str) -> Result<u64, Invalid> {
    let refuse = || {
        invalid(
            field,
            "must be the exact size in bytes (e.g. \"1234\" or \"1234 B\") to compute the manifest \
             digest",
        )
    };
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(refuse),
        Value::String(s) => {
            let digits = s
                .trim()
                .trim_end_matches("bytes")
                .trim_end_matches('B')
                .trim_end();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse());
            }
            digits.parse().map_err(|_| refuse())
        }
        _ => Err(refuse()),
    }
}

/// The manifest path of a file: a relative `contentUrl` as it is, or an absolute one's last
/// segment.
fn manifest_path(content_url: &str, field: &str) -> Result<String, Invalid> {
    let path = if is_absolute_url(content_url) {
        let without_query = content_url.split(['?', '#']).next().unwrap_or(content_url);
        without_query
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        content_url.trim_start_matches("./").to_owned()
    };
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(invalid(
            field,
            "must name a file: a relative path without `.` or `..` segments, or a URL ending in a \
             file name",
        ));
    }
    Ok(path)
}

fn sha256(value: &str, field: &str) -> Result<[u8; 32], Invalid> {
    let mut digest = [0u8; 32];
    if value.len() != 64 {
        return Err(invalid(field, "must be 64 hex digits (a SHA-256)"));
    }
    hex::decode_to_slice(value.to_ascii_lowercase(), &mut digest)
        .map_err(|_| invalid(field, "must be 64 hex digits (a SHA-256)"))?;
    Ok(digest)
}

fn files(root: &Map<String, Value>) -> Result<Manifest, Invalid> {
    let items = match root.get("distribution") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(Value::Object(_)) => one_or_many(root.get("distribution")),
        Some(_) => {
            return Err(invalid(
                "distribution",
                "must be a list of FileObjects and FileSets",
            ));
        }
        None => return Err(invalid("distribution", "is required")),
    };
    let mut entries = Vec::new();
    let mut paths = BTreeSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let field = |name: &str| format!("distribution[{i}].{name}");
        let Value::Object(file) = item else {
            return Err(invalid(format!("distribution[{i}]"), "must be an object"));
        };
        if is_type(file, "FileSet", &CROISSANT) {
            continue;
        }
        if !is_type(file, "FileObject", &CROISSANT) {
            return Err(invalid(
                field("@type"),
                "must be cr:FileObject or cr:FileSet",
            ));
        }
        required(file, "name", &field("name"))?;
        let url = required(file, "contentUrl", &field("contentUrl"))?;
        required(file, "encodingFormat", &field("encodingFormat"))?;
        let checksum = text(file, "sha256", &field("sha256"))?;
        let md5 = text(file, "md5", &field("md5"))?;
        if file.contains_key("containedIn") {
            // A file inside an archive: the archive is the file the manifest lists.
            if checksum.is_none() && md5.is_none() {
                return Err(invalid(
                    field("sha256"),
                    "a FileObject needs a sha256 or an md5",
                ));
            }
            continue;
        }
        let Some(checksum) = checksum else {
            return Err(invalid(
                field("sha256"),
                "is required: the manifest digest is made of each file's SHA-256 (an md5 is not enough)",
            ));
        };
        let sha256 = sha256(checksum, &field("sha256"))?;
        let size = file
            .get("contentSize")
            .ok_or_else(|| {
                invalid(
                    field("contentSize"),
                    "is required to compute the manifest digest",
                )
            })
            .and_then(|v| exact_bytes(v, &field("contentSize")))?;
        let path = manifest_path(url, &field("contentUrl"))?;
        if !paths.insert(path.clone()) {
            return Err(invalid(
                field("contentUrl"),
                format!("names the file `{path}` again; each file of the manifest is listed once"),
            ));
        }
        entries.push(Entry { path, size, sha256 });
    }
    if entries.is_empty() {
        return Err(invalid(
            "distribution",
            "holds no top-level cr:FileObject: there is no file to compute the digest from",
        ));
    }
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(Manifest {
        entries,
        skipped_symlinks: Vec::new(),
    })
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(o) => o
            .get("@value")
            .or_else(|| o.get("name"))
            .or_else(|| o.get("@id"))
            .or_else(|| o.get("url"))
            .and_then(value_text),
        Value::Null => None,
    }
}

/// Reads Croissant metadata; `version` replaces the file's own.
pub fn parse(bytes: &[u8], version: Option<&str>) -> Result<Import, Invalid> {
    let root: Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid("(file)", format!("is not JSON: {e}")))?;
    let Value::Object(root) = root else {
        return Err(invalid("(file)", "must be a JSON object"));
    };
    if !matches!(
        root.get("@context"),
        Some(Value::Object(_) | Value::String(_) | Value::Array(_))
    ) {
        return Err(invalid("@context", "is required (Croissant is JSON-LD)"));
    }
    if !is_type(&root, "Dataset", &SCHEMA_ORG) {
        return Err(invalid("@type", "must be sc:Dataset"));
    }
    let conforms: Vec<&str> = one_or_many(
        root.get("conformsTo")
            .or_else(|| root.get("dct:conformsTo")),
    )
    .into_iter()
    .filter_map(Value::as_str)
    .collect();
    if !conforms
        .iter()
        .any(|c| CONFORMS_TO.contains(&c.trim_end_matches('/')))
    {
        return Err(invalid(
            "conformsTo",
            format!("must be {} or {}", CONFORMS_TO[0], CONFORMS_TO[1]),
        ));
    }
    let name = required(&root, "name", "name")?;
    let version = match version {
        Some(v) => v.to_owned(),
        None => match root.get("version") {
            Some(Value::String(v)) if !v.trim().is_empty() => v.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(invalid("version", "must be a non-empty string")),
            None => {
                return Err(invalid(
                    "version",
                    "is required by the registry: add it to the file or pass --version",
                ));
            }
        },
    };
    let manifest = files(&root)?;

    let mut licenses = Vec::new();
    let mut unmapped_licenses = Vec::new();
    for (i, value) in one_or_many(root.get("license")).into_iter().enumerate() {
        let field = format!("license[{i}]");
        let text = match value {
            Value::String(s) => s.trim().to_owned(),
            Value::Object(_) => reference_url(value, &field)?.to_owned(),
            _ => return Err(invalid(field, "must be a string or an object with a URL")),
        };
        if text.is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
        match license_id(&text) {
            Some(id) => licenses.push(id),
            None => unmapped_licenses.push(text),
        }
    }
    let license = match licenses.len() {
        0 => String::new(),
        1 => licenses.remove(0),
        _ => licenses
            .iter()
            .map(|l| {
                if l.contains(' ') {
                    format!("({l})")
                } else {
                    l.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    };

    let mut sources = Vec::new();
    let external = |uri: &str, description: &str| pb::Source {
        kind: pb::SourceKind::ExternalDataset as i32,
        uri: uri.to_owned(),
        description: description.to_owned(),
        ..Default::default()
    };
    for key in ["isBasedOn", "prov:wasDerivedFrom"] {
        for (i, value) in one_or_many(root.get(key)).into_iter().enumerate() {
            let url = reference_url(value, &format!("{key}[{i}]"))?;
            sources.push(external(url, &format!("Croissant {key}")));
        }
    }
    for value in one_or_many(root.get("rai:dataCollectionRawData")) {
        if let Some(url) = value.as_str().filter(|u| is_absolute_url(u)) {
            sources.push(external(url, "Croissant rai:dataCollectionRawData"));
        }
    }

    let mut description = text(&root, "description", "description")?
        .unwrap_or_default()
        .to_owned();
    let mut extra: Vec<String> = root
        .iter()
        .filter(|(key, _)| key.starts_with("rai:"))
        .filter_map(|(key, value)| value_text(value).map(|t| format!("{key}: {t}")))
        .collect();
    extra.extend(unmapped_licenses.iter().map(|l| format!("license: {l}")));
    if !extra.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&extra.join("\n"));
    }
    let length = description.chars().count();
    if length > DESCRIPTION_LIMIT {
        return Err(invalid(
            "description",
            format!(
                "with the rai: fields it takes {length} characters, more than the registry's \
                 {DESCRIPTION_LIMIT}; shorten them"
            ),
        ));
    }

    Ok(Import {
        request: pb::RegisterDatasetRequest {
            name: name.to_owned(),
            version,
            content_digest: manifest.digest(),
            size_bytes: Some(manifest.total_bytes()),
            description,
            license,
            visibility: pb::Visibility::Private as i32,
            sources,
        },
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    fn metadata() -> Value {
        json!({
            "@context": {"@vocab": "https://schema.org/", "sc": "https://schema.org/",
                         "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/"},
            "@type": "sc:Dataset",
            "conformsTo": "http://mlcommons.org/croissant/1.0",
            "name": "reviews",
            "version": "1.2.0",
            "description": "Product reviews.",
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "isBasedOn": ["https://example.org/raw"],
            "rai:dataCollection": "Scraped from shops.",
            "distribution": [
                {"@type": "cr:FileObject", "@id": "b", "name": "b", "contentUrl": "data/b.csv",
                 "encodingFormat": "text/csv", "contentSize": "4 B",
                 "sha256": hex::encode(Sha256::digest(b"b,1\n"))},
                {"@type": "cr:FileObject", "@id": "a", "name": "a", "contentUrl": "https://example.org/files/a.csv",
                 "encodingFormat": "text/csv", "contentSize": "3",
                 "sha256": hex::encode(Sha256::digest(b"a\n\n"))},
                {"@type": "cr:FileSet", "@id": "s", "name": "s", "includes": "*.csv", "encodingFormat": "text/csv"}
            ]
        })
    }

    fn parsed(value: &Value) -> Result<Import, Invalid> {
        parse(value.to_string().as_bytes(), None)
    }

    #[test]
    fn the_digest_is_the_manifest_of_the_file_objects() {
        let import = parsed(&metadata()).unwrap();
        let text = format!(
            "{}  3  a.csv\n{}  4  data/b.csv\n",
            hex::encode(Sha256::digest(b"a\n\n")),
            hex::encode(Sha256::digest(b"b,1\n"))
        );
        assert_eq!(
            import.request.content_digest,
            format!("sha256:{}", hex::encode(Sha256::digest(text)))
        );
        assert_eq!(import.request.size_bytes, Some(7));
        assert_eq!(import.request.license, "CC-BY-4.0");
        assert_eq!(import.request.sources[0].uri, "https://example.org/raw");
        assert!(
            import
                .request
                .description
                .contains("rai:dataCollection: Scraped from shops.")
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Spoil)> = vec![
            (
                "conformsTo",
                Box::new(|m| m["conformsTo"] = json!("http://mlcommons.org/croissant/0.8")),
            ),
            ("@type", Box::new(|m| m["@type"] = json!("sc:Book"))),
            (
                "name",
                Box::new(|m| {
                    m.as_object_mut().map(|o| o.remove("name"));
                }),
            ),
            (
                "version",
                Box::new(|m| {
                    m.as_object_mut().map(|o| o.remove("version"));
                }),
            ),
            (
                "distribution[0].sha256",
                Box::new(|m| m["distribution"][0]["sha256"] = json!("xyz")),
            ),
            (
                "distribution[1].contentSize",
                Box::new(|m| m["distribution"][1]["contentSize"] = json!("1.5 MB")),
            ),
            (
                "distribution[0].encodingFormat",
                Box::new(|m| {
                    m["distribution"][0]
                        .as_object_mut()
                        .map(|o| o.remove("encodingFormat"));
                }),
            ),
            (
                "distribution[0].contentUrl",
                Box::new(|m| m["distribution"][0]["contentUrl"] = json!("../etc/passwd")),
            ),
            (
                "isBasedOn[0]",
                Box::new(|m| m["isBasedOn"] = json!(["not a url"])),
            ),
            (
                "description",
                Box::new(|m| m["rai:dataBiases"] = json!("x".repeat(5000))),
            ),
        ];
        for (field, spoil) in cases {
            let mut m = metadata();
            spoil(&mut m);
            let err = parsed(&m).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn licence_urls_become_spdx_identifiers_where_known() {
        assert_eq!(license_id("MIT").as_deref(), Some("MIT"));
        assert_eq!(
            license_id("https://spdx.org/licenses/Apache-2.0.html").as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            license_id("https://creativecommons.org/licenses/by-sa/3.0/").as_deref(),
            Some("CC-BY-SA-3.0")
        );
        assert_eq!(
            license_id("https://creativecommons.org/publicdomain/zero/1.0/").as_deref(),
            Some("CC0-1.0")
        );
        assert_eq!(license_id("https://example.org/terms"), None);
    }
}
