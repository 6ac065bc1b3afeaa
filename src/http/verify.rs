//! `GET /verify` (the form) and `POST /verify` (the result page); the same verification as JSON is
//! `POST /v1/certificates:verify`, `VerifyCertificate` through the HTTP gateway. Public: no access
//! token, and nothing shown that an anonymous viewer may not see (see
//! [`crate::domain::public_lineage`]).

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::html;
use super::request::{RequestError, content_type, media_type, read_body};
use crate::domain::text::{UUID_FORM, parse_hyphenated_uuid};
use crate::registry::Registry;
use crate::registry::certificates::MAX_TOKEN_LEN;
use crate::web::extract::token_from_upload;
use crate::web::verify_page::{
    self, CheckRow, MAX_BODY_BYTES, VerifyOutcome, form_page, result_page,
};

/// A verification request, from whichever form it came in.
struct VerifyRequest {
    token: String,
    source: String,
    audience: Option<Uuid>,
    as_of: Option<DateTime<Utc>>,
}

/// `GET /verify`.
pub async fn form() -> Response {
    html(StatusCode::OK, form_page(None))
}

/// `POST /verify`: a form, multipart (paste or upload) or urlencoded (paste).
pub async fn submit(State(registry): State<Registry>, request: Request) -> Response {
    let parsed = match read_form(request).await {
        Ok(parsed) => parsed,
        Err(e) => return html(e.status(), form_page(Some(&e.to_string()))),
    };
    let verification = match registry
        .verify_certificate(&parsed.token, parsed.audience, parsed.as_of)
        .await
    {
        Ok(verification) => verification,
        Err(e) => return internal(&e),
    };
    let now = Utc::now();
    let document = match (&verification.claims, verification.claims_json.is_some()) {
        (Some(claims), true) => match registry
            .public_certificate_facts(&parsed.token, claims)
            .await
        {
            Ok(facts) => facts.map(|facts| {
                verify_page::public_document(&parsed.token, claims, &facts, parsed.as_of, now)
            }),
            Err(e) => return internal(&e),
        },
        _ => None,
    };
    let outcome = VerifyOutcome {
        valid: verification.valid,
        status: verification
            .status
            .map(|s| verify_page::status_name(s).to_owned()),
        checks: verification
            .checks
            .iter()
            .map(|c| CheckRow {
                name: c.name.to_string(),
                passed: c.passed,
                detail: c.detail.clone(),
            })
            .collect(),
        source: parsed.source,
        as_of: parsed.as_of,
        document,
    };
    html(StatusCode::OK, result_page(&outcome))
}

fn internal(error: &crate::error::Error) -> Response {
    tracing::error!(error = %error, "the verification page failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        form_page(Some("internal error: please try again later")),
    )
}

/// The fields of the page's form, urlencoded or multipart.
#[derive(Default)]
struct FormFields {
    token: String,
    file: Option<(String, Bytes)>,
    audience: String,
    as_of: String,
}

async fn read_form(request: Request) -> Result<VerifyRequest, RequestError> {
    let (parts, body) = request.into_parts();
    let kind = content_type(&parts.headers);
    let media = media_type(&kind);
    if media != "application/x-www-form-urlencoded" && media != "multipart/form-data" {
        return Err(RequestError::UnsupportedMediaType(format!(
            "send the form as multipart/form-data or application/x-www-form-urlencoded (got {kind:?})"
        )));
    }
    let bytes = read_body(&parts.headers, body, MAX_BODY_BYTES).await?;
    let mut fields = FormFields::default();
    if media == "multipart/form-data" {
        let boundary =
            multer::parse_boundary(&kind).map_err(|e| RequestError::Unreadable(e.to_string()))?;
        let stream = tokio_stream::once(Ok::<Bytes, std::convert::Infallible>(bytes));
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| RequestError::Unreadable(e.to_string()))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let value = field
                .bytes()
                .await
                .map_err(|e| RequestError::Unreadable(e.to_string()))?;
            let text = || String::from_utf8_lossy(&value).into_owned();
            match name.as_str() {
                "token" => fields.token = text(),
                "audience_organization_id" => fields.audience = text(),
                "as_of" => fields.as_of = text(),
                // A browser sends an empty file part when no file was chosen.
                "file" if !value.is_empty() => {
                    fields.file = Some((file_name.unwrap_or_default(), value));
                }
                _ => {}
            }
        }
    } else {
        for (name, value) in form_urlencoded::parse(&bytes) {
            match name.as_ref() {
                "token" => fields.token = value.into_owned(),
                "audience_organization_id" => fields.audience = value.into_owned(),
                "as_of" => fields.as_of = value.into_owned(),
                _ => {}
            }
        }
    }
    // A token never holds whitespace: a pasted one may have been wrapped by a mail client.
    let pasted: String = fields
        .token
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (token, source) = if !pasted.is_empty() {
        (pasted, "the pasted token".to_owned())
    } else if let Some((name, content)) = &fields.file {
        let token = token_from_upload(content).map_err(|e| {
            RequestError::InvalidArgument(format!("the uploaded file {name:?}: {e}"))
        })?;
        (token, format!("the token in the uploaded file {name:?}"))
    } else {
        return Err(RequestError::MissingToken(
            "paste a certificate token or choose a certificate file".into(),
        ));
    };
    checked(
        token,
        source,
        Some(fields.audience.as_str()),
        Some(fields.as_of.as_str()),
    )
}

/// The request with its optional fields parsed; errors name the field.
fn checked(
    token: String,
    source: String,
    audience: Option<&str>,
    as_of: Option<&str>,
) -> Result<VerifyRequest, RequestError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(RequestError::InvalidArgument(format!(
            "token: must be at most {MAX_TOKEN_LEN} bytes"
        )));
    }
    let audience = match audience.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        // The same spellings as the gRPC API takes (crate::domain::text::required_uuid).
        Some(text) => Some(parse_hyphenated_uuid(text).ok_or_else(|| {
            RequestError::InvalidArgument(format!(
                "audience_organization_id: must be an organisation id, {UUID_FORM}"
            ))
        })?),
    };
    let as_of = match as_of.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    RequestError::InvalidArgument(
                        "as_of: must be an RFC 3339 time, e.g. 2027-03-01T00:00:00Z".into(),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    Ok(VerifyRequest {
        token,
        source,
        audience,
        as_of,
    })
}
