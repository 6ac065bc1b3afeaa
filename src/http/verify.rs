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
    self, CheckRow, FormValues, MAX_BODY_BYTES, StatusById, VerifyOutcome, form_page, result_page,
};

/// A verification request, from whichever form it came in.
struct VerifyRequest {
    token: String,
    source: String,
    audience: Option<Uuid>,
    as_of: Option<DateTime<Utc>>,
}

/// `GET /verify`, and `GET /verify?certificate=ID` (the address a certificate's QR code holds),
/// which also shows the registry's status of that certificate.
pub async fn form(State(registry): State<Registry>, request: Request) -> Response {
    let asked = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "certificate")
            .map(|(_, value)| value.trim().to_owned())
    });
    let Some(asked) = asked.filter(|a| !a.is_empty()) else {
        return html(
            StatusCode::OK,
            form_page(None, &FormValues::default(), None),
        );
    };
    let Some(id) = parse_hyphenated_uuid(&asked) else {
        return html(
            StatusCode::BAD_REQUEST,
            form_page(
                Some(&format!(
                    "certificate: must be a certificate id, {UUID_FORM}"
                )),
                &FormValues::default(),
                None,
            ),
        );
    };
    let now = Utc::now();
    let found = match registry.certificate_status(id, now).await {
        Ok(found) => found,
        Err(e) => return internal(&e),
    };
    let status = StatusById {
        id: id.to_string(),
        status: found.map(|(status, _, _)| status),
        since: found.map(|(_, since, _)| since),
        until: found.map(|(_, _, until)| until),
    };
    html(
        StatusCode::OK,
        form_page(None, &FormValues::default(), Some(&status)),
    )
}

/// `POST /verify`: a form, multipart (paste or upload) or urlencoded (paste).
pub async fn submit(State(registry): State<Registry>, request: Request) -> Response {
    let fields = match read_form(request).await {
        Ok(fields) => fields,
        Err(e) => {
            return html(
                e.status(),
                form_page(Some(&e.to_string()), &FormValues::default(), None),
            );
        }
    };
    let values = FormValues {
        token: fields.token.clone(),
        audience: fields.audience.clone(),
        as_of: fields.as_of.clone(),
    };
    let parsed = match form_request(fields) {
        Ok(parsed) => parsed,
        Err(e) => return html(e.status(), form_page(Some(&e.to_string()), &values, None)),
    };
    let verification = match registry
        .verify_certificate(&parsed.token, parsed.audience, parsed.as_of)
        .await
    {
        Ok(verification) => verification,
        Err(e) => return internal(&e),
    };
    let now = Utc::now();
    let mut outcome = VerifyOutcome {
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
        checked_at: now,
        // What the page offers to verify again with: the token as read, wherever it came from.
        form: FormValues {
            token: parsed.token.clone(),
            ..values
        },
        revocation: verification
            .standing
            .as_ref()
            .and_then(|s| s.revoke_time.map(|time| (time, s.revoke_reason.clone()))),
        window: verification.claims.as_ref().map(|c| (c.nbf, c.exp)),
        document: None,
    };
    if let (Some(claims), true) = (&verification.claims, verification.claims_json.is_some()) {
        let signed = verification.claims_json.as_deref().unwrap_or_default();
        let facts = match registry
            .public_certificate_facts(&parsed.token, signed, claims)
            .await
        {
            Ok(facts) => facts,
            Err(e) => return internal(&e),
        };
        let judgement = verify_page::judgement(&outcome);
        outcome.document = facts.map(|facts| {
            // The token the registry holds: the one presented, or the JWS of a presented envelope.
            verify_page::public_document(
                &facts.record.token,
                claims,
                &facts,
                parsed.as_of,
                now,
                judgement,
            )
        });
    }
    html(StatusCode::OK, result_page(&outcome))
}

fn internal(error: &crate::error::Error) -> Response {
    tracing::error!(error = %error, "the verification page failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        form_page(
            Some("internal error: please try again later"),
            &FormValues::default(),
            None,
        ),
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

/// Reads the form's fields; [`form_request`] then checks them.
async fn read_form(request: Request) -> Result<FormFields, RequestError> {
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
    Ok(fields)
}

/// The request a form's fields make, or why they make none.
fn form_request(fields: FormFields) -> Result<VerifyRequest, RequestError> {
    // A token never holds whitespace: a pasted one may have been wrapped by a mail client. A DSSE
    // envelope is JSON, read as pasted.
    let pasted: String = if provenance_api::certificate::dsse::looks_like_envelope(&fields.token) {
        fields.token.trim().to_owned()
    } else {
        fields
            .token
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let (token, source) = if !pasted.is_empty() {
        let what = if provenance_api::certificate::dsse::looks_like_envelope(&pasted) {
            "the pasted DSSE envelope"
        } else {
            "the pasted token"
        };
        (pasted, what.to_owned())
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
        Some(text) => Some(parse_as_of(text).ok_or_else(|| {
            RequestError::InvalidArgument(
                "as_of: must be a date, e.g. 2027-03-01 (midnight UTC at its start), or an RFC 3339 time, e.g. 2027-03-01T12:00:00Z".into(),
            )
        })?),
    };
    Ok(VerifyRequest {
        token,
        source,
        audience,
        as_of,
    })
}

/// A moment to judge as of: an RFC 3339 time, or a plain date (`2027-03-01`), which means
/// midnight UTC at its start, as a contract's date is written.
pub fn parse_as_of(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_takes_a_plain_date_as_midnight_utc_or_an_rfc_3339_time() {
        assert_eq!(
            parse_as_of("2027-03-01").map(|t| t.to_rfc3339()),
            Some("2027-03-01T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_as_of("2027-03-01T12:00:00+02:00").map(|t| t.to_rfc3339()),
            Some("2027-03-01T10:00:00+00:00".into())
        );
        for bad in [
            "last tuesday",
            "2027-02-30",
            "01.03.2027",
            "2027-03-01T12:00",
        ] {
            assert_eq!(parse_as_of(bad), None, "{bad}");
        }
    }
}
