//! Finding a certificate's token in what a person hands over: the token itself, its DSSE envelope
//! (JSON, returned whole), a bundle written by
//! `provctl cert bundle`, or a certificate document rendered by [`crate::certificate_html`] (as
//! saved or printed to HTML). Pure; the input is untrusted and bounded by the caller.

use crate::certificate_html::TOKEN_ELEMENT_ID;

/// The `format` member of a certificate bundle.
pub const BUNDLE_FORMAT: &str = "provenance-certificate-bundle/v1";

/// Why no token was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Nothing given.
    #[error("the file is empty")]
    Empty,
    /// Not text.
    #[error(
        "the file is not UTF-8 text: expected a token, a certificate bundle (JSON) or a rendered certificate (HTML)"
    )]
    NotText,
    /// JSON, but not a bundle with a token.
    #[error("{0}")]
    NotABundle(String),
    /// Nothing that looks like a token.
    #[error(
        "no certificate token found: expected a token, a certificate bundle (JSON) or a rendered certificate (HTML)"
    )]
    NoToken,
}

/// Whether `text` has the shape of a compact JWS: three base64url parts, a JSON header first.
pub fn looks_like_token(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && text.starts_with("eyJ")
        && parts[..2].iter().all(|p| !p.is_empty())
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The token in `bytes`.
pub fn token_from_upload(bytes: &[u8]) -> Result<String, ExtractError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ExtractError::NotText)?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(ExtractError::Empty);
    }
    if looks_like_token(text) {
        return Ok(text.to_owned());
    }
    if text.starts_with('{') {
        return token_from_bundle(text);
    }
    token_from_document(text).ok_or(ExtractError::NoToken)
}

fn token_from_bundle(text: &str) -> Result<String, ExtractError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ExtractError::NotABundle(format!("the file is not valid JSON: {e}")))?;
    // The certificate as a DSSE envelope (`provctl cert get ID --format dsse`), which the
    // verification reads as it is.
    if value.get("payloadType").is_some() {
        return Ok(text.to_owned());
    }
    match value.get("format").and_then(serde_json::Value::as_str) {
        Some(BUNDLE_FORMAT) => {}
        Some(other) => {
            return Err(ExtractError::NotABundle(format!(
                "a bundle of format {other:?}; this registry reads {BUNDLE_FORMAT}"
            )));
        }
        None => {
            return Err(ExtractError::NotABundle(format!(
                "JSON, but not a certificate bundle: no \"format\": \"{BUNDLE_FORMAT}\""
            )));
        }
    }
    value
        .get("token")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ExtractError::NotABundle("the bundle holds no token".into()))
}

/// The text of the element holding the token in a rendered certificate. A token is made of
/// characters HTML never escapes, so the element's text is the token itself.
fn token_from_document(text: &str) -> Option<String> {
    let marker = format!("id=\"{TOKEN_ELEMENT_ID}\"");
    let start = text.find(&marker)?;
    let after_tag = start + text[start..].find('>')? + 1;
    let end = after_tag + text[after_tag..].find('<')?;
    let token = text[after_tag..end].trim();
    looks_like_token(token).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl";

    #[test]
    fn a_bare_token_with_whitespace_around_it_is_taken() {
        assert_eq!(
            token_from_upload(format!("\n {TOKEN}\n").as_bytes()),
            Ok(TOKEN.into())
        );
    }

    #[test]
    fn a_bundle_gives_its_token_and_other_json_says_why_not() {
        let bundle = format!(r#"{{"format": "{BUNDLE_FORMAT}", "token": "{TOKEN}", "log": null}}"#);
        assert_eq!(token_from_upload(bundle.as_bytes()), Ok(TOKEN.into()));
        assert!(matches!(
            token_from_upload(br#"{"token": "x"}"#),
            Err(ExtractError::NotABundle(m)) if m.contains("not a certificate bundle")
        ));
        assert!(matches!(
            token_from_upload(b"{not json"),
            Err(ExtractError::NotABundle(m)) if m.contains("not valid JSON")
        ));
    }

    #[test]
    fn a_rendered_certificate_gives_the_token_of_its_token_element() {
        let html = format!(
            "<html><p>eyJfake.decoy.x</p><pre id=\"{TOKEN_ELEMENT_ID}\" class=\"token\">{TOKEN}</pre></html>"
        );
        assert_eq!(token_from_upload(html.as_bytes()), Ok(TOKEN.into()));
    }

    #[test]
    fn anything_else_is_refused_without_panicking() {
        assert_eq!(token_from_upload(b""), Err(ExtractError::Empty));
        assert_eq!(
            token_from_upload(&[0xff, 0xfe, 0x00]),
            Err(ExtractError::NotText)
        );
        assert_eq!(
            token_from_upload(b"<html>hello</html>"),
            Err(ExtractError::NoToken)
        );
        let broken = format!("<pre id=\"{TOKEN_ELEMENT_ID}\"");
        assert_eq!(
            token_from_upload(broken.as_bytes()),
            Err(ExtractError::NoToken)
        );
        let evil = format!("<pre id=\"{TOKEN_ELEMENT_ID}\">eyJ<script>.a.b</pre>");
        assert_eq!(
            token_from_upload(evil.as_bytes()),
            Err(ExtractError::NoToken)
        );
    }
}
