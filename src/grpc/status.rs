//! The one place where registry errors become gRPC statuses.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, StatusExt};

use crate::error::Error;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => {
                let details = ErrorDetails::with_bad_request(
                    violations
                        .0
                        .iter()
                        .map(|v| FieldViolation::new(v.field.clone(), v.reason.clone()))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, violations.to_string(), details)
            }
            Error::NotFound(message) => Status::not_found(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::PreconditionFailed {
                message,
                violations,
            } => {
                let details = ErrorDetails::with_precondition_failure(
                    violations
                        .into_iter()
                        .map(|v| PreconditionViolation::new(v.kind, v.subject, v.description))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            Error::ResourceExhausted(message) => Status::resource_exhausted(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(cause) => {
                // The chain can name files, SQL and addresses: it goes to the log, not the client.
                tracing::error!(error = format!("{cause:#}"), "internal error");
                Status::internal("internal error; the server log has the details")
            }
        }
    }
}
