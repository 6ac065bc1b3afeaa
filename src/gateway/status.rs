//! Errors over HTTP: `google.rpc.Status` as JSON (`{"code", "message", "details"}`, the details as
//! `Any` with their `@type`), under the HTTP status of the standard gRPC-to-HTTP mapping.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

/// The HTTP status of a gRPC code, as `google.rpc.Code` documents the mapping.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Aborted | Code::AlreadyExists => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        // 499 Client Closed Request: no constant, but valid.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A status as `google.rpc.Status` JSON, its details (field violations, precondition failures)
/// included.
pub fn status_json(status: &tonic::Status) -> Value {
    let details = status.get_error_details();
    let mut list = Vec::new();
    if let Some(bad) = details.bad_request() {
        list.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": bad.field_violations.iter().map(|v| json!({
                "field": v.field,
                "description": v.description,
            })).collect::<Vec<_>>(),
        }));
    }
    if let Some(failure) = details.precondition_failure() {
        list.push(json!({
            "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
            "violations": failure.violations.iter().map(|v| json!({
                "type": v.r#type,
                "subject": v.subject,
                "description": v.description,
            })).collect::<Vec<_>>(),
        }));
    }
    let mut body = json!({"code": status.code() as i32, "message": status.message()});
    if !list.is_empty() {
        body["details"] = Value::Array(list);
    }
    body
}

/// The answer for a failed call: its status as JSON under the mapped HTTP status.
pub fn error_response(status: &tonic::Status) -> Response {
    with_status(http_status(status.code()), &status_json(status))
}

/// A refusal by the gateway itself (before any handler ran): `code` in the body, `http` as the
/// status, and `field` named in a `BadRequest` detail when given.
pub fn refusal(http: StatusCode, code: Code, message: String, field: Option<&str>) -> Response {
    let mut body = json!({"code": code as i32, "message": message});
    if let Some(field) = field {
        body["details"] = json!([{
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}],
        }]);
    }
    with_status(http, &body)
}

/// A JSON answer with the security headers every answer of the server carries.
pub fn with_status(http: StatusCode, body: &Value) -> Response {
    let mut response = crate::http::json(http, body);
    if http == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_standard_http_statuses() {
        for (code, http) in [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::ResourceExhausted, 429),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::Internal, 500),
        ] {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }

    #[test]
    fn field_violations_become_a_bad_request_detail() {
        let status = tonic::Status::with_error_details(
            Code::InvalidArgument,
            "name: is required",
            tonic_types::ErrorDetails::with_bad_request_violation("name", "is required"),
        );
        let json = status_json(&status);
        assert_eq!(json["code"], 3);
        assert_eq!(
            json["details"][0]["@type"],
            "type.googleapis.com/google.rpc.BadRequest"
        );
        assert_eq!(json["details"][0]["fieldViolations"][0]["field"], "name");
    }
}
