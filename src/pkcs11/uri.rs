//! RFC 7512 PKCS#11 URIs, as `--signing-key` takes them: which token holds the registry's keys,
//! under which label, how to log in to it and which module (shared library) speaks to it.
//!
//! `pkcs11:token=Registry;object=provenance-registry?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin`
//!
//! Path attributes (`;`-separated) select the token (`token`, `manufacturer`, `serial`, `model`,
//! `slot-id`) and name the keys (`object`, their `CKA_LABEL`; `type=private` may be given); query
//! attributes (`&`-separated) give the module (`module-path`) and the user PIN (`pin-value` or
//! `pin-source`, a file). Values are percent-encoded where RFC 7512 requires it. Anything else, a
//! repeated attribute, or a character RFC 7512 wants percent-encoded, is refused with a message
//! naming the attribute: a URI that silently matched something else would sign with another key.

use std::fmt;
use std::path::PathBuf;

/// Longest URI accepted: a token label and a path are far shorter.
pub const MAX_URI_BYTES: usize = 4096;

/// Label used when a URI gives none: the certificate keys' `CKA_LABEL`.
pub const DEFAULT_OBJECT: &str = "provenance-registry";

/// Where the user PIN comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Pin {
    /// `pin-value`: the PIN itself (never shown).
    Value(String),
    /// `pin-source`: a file holding it (trailing newline ignored).
    File(PathBuf),
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pin::Value(_) => f.write_str("Pin::Value(..)"),
            Pin::File(path) => f.debug_tuple("Pin::File").field(path).finish(),
        }
    }
}

/// A parsed `pkcs11:` URI naming the token and the label of the registry's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token's label (`CK_TOKEN_INFO.label`).
    pub token: Option<String>,
    /// `manufacturer`: the token's manufacturer id.
    pub manufacturer: Option<String>,
    /// `serial`: the token's serial number.
    pub serial: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `slot-id`: the slot's number.
    pub slot_id: Option<u64>,
    /// `object`: the `CKA_LABEL` of the certificate keys; the checkpoint key is `<object>.log`.
    pub object: String,
    /// `pin-value` or `pin-source`; `None` logs in with no PIN (a protected authentication path).
    pub pin: Option<Pin>,
    /// `module-path`: the PKCS#11 module to load.
    pub module_path: PathBuf,
}

/// Why a URI was refused: the attribute at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PKCS#11 URI attribute `{attribute}`: {reason}")]
pub struct UriError {
    /// The attribute (`scheme` for the URI's start).
    pub attribute: String,
    /// What is wrong with it.
    pub reason: String,
}

fn refuse(attribute: &str, reason: impl Into<String>) -> UriError {
    UriError {
        attribute: attribute.to_owned(),
        reason: reason.into(),
    }
}

/// RFC 7512 `pk11-res-avail`: reserved characters a value may hold unencoded, in path and query.
const RES_AVAIL: &str = ":[]@!$'()*+,=";

fn allowed(c: char, in_query: bool) -> bool {
    c.is_ascii_alphanumeric()
        || "-._~".contains(c)
        || RES_AVAIL.contains(c)
        || (!in_query && c == '&')
        || (in_query && "/?|".contains(c))
}

/// The bytes of a percent-encoded value.
fn decode(attribute: &str, value: &str, in_query: bool) -> Result<Vec<u8>, UriError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| refuse(attribute, "a '%' not followed by two hex digits"))?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| refuse(attribute, "a '%' not followed by two hex digits"))?,
            );
            i += 3;
            continue;
        }
        let c = char::from(bytes[i]);
        if !bytes[i].is_ascii() || !allowed(c, in_query) {
            return Err(refuse(
                attribute,
                format!(
                    "the character {:?} must be percent-encoded (RFC 7512)",
                    value[i..].chars().next().unwrap_or(c)
                ),
            ));
        }
        out.push(bytes[i]);
        i += 1;
    }
    Ok(out)
}

fn text(attribute: &str, value: &str, in_query: bool) -> Result<String, UriError> {
    let bytes = decode(attribute, value, in_query)?;
    let text = String::from_utf8(bytes).map_err(|_| refuse(attribute, "not UTF-8"))?;
    if text.is_empty() {
        return Err(refuse(attribute, "empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(refuse(attribute, "holds a control character"));
    }
    Ok(text)
}

impl Pkcs11Uri {
    /// Parses `uri`, refusing what this registry cannot use with the attribute at fault named.
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        if uri.len() > MAX_URI_BYTES {
            return Err(refuse(
                "scheme",
                format!("the URI is longer than {MAX_URI_BYTES} bytes"),
            ));
        }
        let rest = uri
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("pkcs11:"))
            .map(|_| &uri[7..])
            .ok_or_else(|| refuse("scheme", "a PKCS#11 URI starts with `pkcs11:`"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut seen: Vec<String> = Vec::new();
        let mut attributes = Vec::new();
        for (part, in_query) in path
            .split(';')
            .map(|p| (p, false))
            .chain(query.split('&').map(|p| (p, true)))
        {
            if part.is_empty() {
                continue;
            }
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| refuse(part, "has no value (attributes are written name=value)"))?;
            if seen.iter().any(|s| s == name) {
                return Err(refuse(name, "given twice"));
            }
            seen.push(name.to_owned());
            attributes.push((name, value, in_query));
        }
        let mut parsed = Self {
            token: None,
            manufacturer: None,
            serial: None,
            model: None,
            slot_id: None,
            object: DEFAULT_OBJECT.to_owned(),
            pin: None,
            module_path: PathBuf::new(),
        };
        let mut module_path = None;
        for (name, value, in_query) in attributes {
            let place = if in_query { "query" } else { "path" };
            let expected_in_query = matches!(
                name,
                "pin-value" | "pin-source" | "module-name" | "module-path"
            );
            let known = expected_in_query
                || matches!(
                    name,
                    "token"
                        | "manufacturer"
                        | "serial"
                        | "model"
                        | "slot-id"
                        | "object"
                        | "id"
                        | "type"
                        | "slot-description"
                        | "slot-manufacturer"
                        | "library-manufacturer"
                        | "library-description"
                        | "library-version"
                );
            if known && expected_in_query != in_query {
                return Err(refuse(
                    name,
                    format!(
                        "belongs in the URI's {} (after '?', '&'-separated), not its {place}",
                        if expected_in_query { "query" } else { "path" }
                    ),
                ));
            }
            match name {
                "token" => parsed.token = Some(text(name, value, in_query)?),
                "manufacturer" => parsed.manufacturer = Some(text(name, value, in_query)?),
                "serial" => parsed.serial = Some(text(name, value, in_query)?),
                "model" => parsed.model = Some(text(name, value, in_query)?),
                "slot-id" => {
                    parsed.slot_id = Some(
                        text(name, value, in_query)?
                            .parse()
                            .map_err(|_| refuse(name, "not a decimal slot number"))?,
                    );
                }
                "object" => parsed.object = text(name, value, in_query)?,
                "type" => {
                    let kind = text(name, value, in_query)?;
                    if kind != "private" {
                        return Err(refuse(
                            name,
                            format!(
                                "{kind:?}: the registry signs with private keys (type=private)"
                            ),
                        ));
                    }
                }
                "id" => {
                    return Err(refuse(
                        name,
                        "the registry finds its keys by label (`object`): each rotation makes a \
                         key with a new id, so one id cannot name them",
                    ));
                }
                "pin-value" => parsed.pin = Some(Pin::Value(text(name, value, in_query)?)),
                "pin-source" => {
                    let source = text(name, value, in_query)?;
                    let path = source.strip_prefix("file:").unwrap_or(&source);
                    if source.starts_with('|') || !path.starts_with('/') {
                        return Err(refuse(
                            name,
                            "give an absolute file path (`file:/path` or `/path`); commands \
                             (`|...`) are not run",
                        ));
                    }
                    parsed.pin = Some(Pin::File(PathBuf::from(path)));
                }
                "module-path" => {
                    let path = text(name, value, in_query)?;
                    if !path.starts_with('/') {
                        return Err(refuse(name, "give an absolute path to the module"));
                    }
                    module_path = Some(PathBuf::from(path));
                }
                "module-name" => {
                    return Err(refuse(
                        name,
                        "module names are looked up differently on every system; give \
                         `module-path` instead",
                    ));
                }
                other if known => {
                    return Err(refuse(
                        other,
                        "not supported here: select the token with token, manufacturer, serial, \
                         model or slot-id",
                    ));
                }
                other => return Err(refuse(other, "unknown attribute")),
            }
        }
        if seen.iter().any(|s| s == "pin-value") && seen.iter().any(|s| s == "pin-source") {
            return Err(refuse(
                "pin-source",
                "give pin-value or pin-source, not both",
            ));
        }
        parsed.module_path = module_path.ok_or_else(|| {
            refuse(
                "module-path",
                "missing: say which PKCS#11 module to load (e.g. \
                 ?module-path=/usr/lib/softhsm/libsofthsm2.so)",
            )
        })?;
        Ok(parsed)
    }

    /// The label of the transparency log's checkpoint key: a key of its own (see
    /// [`crate::log_key`]).
    pub fn log_object(&self) -> String {
        format!("{}.log", self.object)
    }

    /// The URI without its PIN, as messages and the database's key records show it.
    pub fn redacted(&self) -> String {
        let encode = |value: &str, in_query: bool| -> String {
            value
                .bytes()
                .map(|b| {
                    let c = char::from(b);
                    if b.is_ascii() && allowed(c, in_query) && c != '%' {
                        c.to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let mut path = Vec::new();
        for (name, value) in [
            ("token", &self.token),
            ("manufacturer", &self.manufacturer),
            ("serial", &self.serial),
            ("model", &self.model),
        ] {
            if let Some(value) = value {
                path.push(format!("{name}={}", encode(value, false)));
            }
        }
        if let Some(slot) = self.slot_id {
            path.push(format!("slot-id={slot}"));
        }
        path.push(format!("object={}", encode(&self.object, false)));
        format!(
            "pkcs11:{}?module-path={}",
            path.join(";"),
            encode(&self.module_path.to_string_lossy(), true)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "module-path=/usr/lib/softhsm/libsofthsm2.so";

    #[test]
    fn a_full_uri_gives_every_attribute_percent_decoded() {
        let uri = Pkcs11Uri::parse(&format!(
            "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=0123;model=SoftHSM%20v2;\
             slot-id=7;object=reg%3Bkeys;type=private?{MODULE}&pin-source=file:/run/pin"
        ))
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("My Token"));
        assert_eq!(uri.manufacturer.as_deref(), Some("SoftHSM project"));
        assert_eq!(uri.serial.as_deref(), Some("0123"));
        assert_eq!(uri.model.as_deref(), Some("SoftHSM v2"));
        assert_eq!(uri.slot_id, Some(7));
        assert_eq!(uri.object, "reg;keys");
        assert_eq!(uri.log_object(), "reg;keys.log");
        assert_eq!(uri.pin, Some(Pin::File("/run/pin".into())));
        assert_eq!(
            uri.module_path,
            PathBuf::from("/usr/lib/softhsm/libsofthsm2.so")
        );
        // Shown without the PIN, and read back the same.
        let shown = uri.redacted();
        assert!(!shown.contains("pin"), "{shown}");
        let again = Pkcs11Uri::parse(&shown).unwrap();
        assert_eq!(again, Pkcs11Uri { pin: None, ..uri });
    }

    #[test]
    fn the_pin_value_is_never_shown_and_the_object_has_a_default() {
        let uri = Pkcs11Uri::parse(&format!("PKCS11:token=t?pin-value=1234&{MODULE}")).unwrap();
        assert_eq!(uri.pin, Some(Pin::Value("1234".into())));
        assert_eq!(uri.object, DEFAULT_OBJECT);
        assert!(!format!("{uri:?}").contains("1234"));
        assert!(!uri.redacted().contains("1234"));
    }

    #[test]
    fn each_bad_uri_is_refused_naming_its_attribute() {
        for (uri, attribute, reason) in [
            (
                "file:/keys.json".to_owned(),
                "scheme",
                "starts with `pkcs11:`",
            ),
            ("pkcs11:token=t".to_owned(), "module-path", "missing"),
            (
                format!("pkcs11:token=t;token=u?{MODULE}"),
                "token",
                "given twice",
            ),
            (
                format!("pkcs11:token=a b?{MODULE}"),
                "token",
                "percent-encoded",
            ),
            (
                format!("pkcs11:token=a%2?{MODULE}"),
                "token",
                "two hex digits",
            ),
            (format!("pkcs11:token=%FF?{MODULE}"), "token", "not UTF-8"),
            (format!("pkcs11:token=?{MODULE}"), "token", "empty"),
            (format!("pkcs11:object?{MODULE}"), "object", "has no value"),
            (format!("pkcs11:id=%01?{MODULE}"), "id", "by label"),
            (format!("pkcs11:type=cert?{MODULE}"), "type", "private keys"),
            (format!("pkcs11:slot-id=x?{MODULE}"), "slot-id", "decimal"),
            (format!("pkcs11:colour=red?{MODULE}"), "colour", "unknown"),
            (
                format!("pkcs11:library-version=2?{MODULE}"),
                "library-version",
                "not supported",
            ),
            (
                format!("pkcs11:token=t;{MODULE}"),
                "module-path",
                "belongs in the URI's query",
            ),
            (
                format!("pkcs11:token=t?object=x&{MODULE}"),
                "object",
                "belongs in the URI's path",
            ),
            (
                "pkcs11:token=t?module-name=softhsm2".to_owned(),
                "module-name",
                "module-path",
            ),
            (
                "pkcs11:token=t?module-path=libsofthsm2.so".to_owned(),
                "module-path",
                "absolute",
            ),
            (
                format!("pkcs11:token=t?{MODULE}&pin-source=|/bin/pin"),
                "pin-source",
                "not run",
            ),
            (
                format!("pkcs11:token=t?{MODULE}&pin-value=1&pin-source=/p"),
                "pin-source",
                "not both",
            ),
            ("x".repeat(5000), "scheme", "longer than"),
        ] {
            let error = Pkcs11Uri::parse(&uri).unwrap_err();
            assert_eq!(error.attribute, attribute, "{uri}: {error}");
            assert!(error.reason.contains(reason), "{uri}: {error}");
            assert!(error.to_string().contains(&format!("`{attribute}`")));
        }
    }
}
