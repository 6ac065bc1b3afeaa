//! Reading plain-HTTP requests: bounded bodies, media types, and the 4xx answers for requests that
//! cannot be read.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// Why a request could not be read: each is a 4xx answer that names the problem.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is larger than the route takes (the limit, in bytes).
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// Not a content type this route reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is not well-formed JSON.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    /// No token given.
    #[error("{0}")]
    MissingToken(String),
    /// A field is malformed; the message names it.
    #[error("{0}")]
    InvalidArgument(String),
    /// The body could not be read (the connection broke, a malformed multipart body).
    #[error("cannot read the request: {0}")]
    Unreadable(String),
}

impl RequestError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RequestError::InvalidJson(_)
            | RequestError::MissingToken(_)
            | RequestError::InvalidArgument(_)
            | RequestError::Unreadable(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The answer: a `google.rpc.Status` under [`RequestError::status`], as every plain-HTTP
    /// refusal of the server is.
    pub fn response(&self) -> axum::response::Response {
        let code = match self {
            RequestError::TooLarge(_) => tonic::Code::ResourceExhausted,
            _ => tonic::Code::InvalidArgument,
        };
        crate::gateway::status::refusal(self.status(), code, self.to_string(), None)
    }

    /// The `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::TooLarge(_) => "body_too_large",
            RequestError::UnsupportedMediaType(_) => "unsupported_media_type",
            RequestError::InvalidJson(_) => "invalid_json",
            RequestError::MissingToken(_) => "missing_token",
            RequestError::InvalidArgument(_) => "invalid_argument",
            RequestError::Unreadable(_) => "unreadable_body",
        }
    }
}

/// The body, at most `limit` bytes; a declared length over it is refused before reading.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, RequestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(RequestError::TooLarge(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(RequestError::TooLarge(limit))
        }
        Err(e) => Err(RequestError::Unreadable(e.to_string())),
    }
}

/// The `Content-Type` header as text, empty when absent.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The media type alone, lower case: `multipart/form-data; boundary=x` gives `multipart/form-data`.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
