//! The registry's one error type. Every layer returns it; `grpc::status` turns it into a gRPC status.

use std::fmt;

/// Why a request could not be served. Each variant maps to exactly one gRPC code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is missing, malformed or out of bounds.
    #[error("{}", .0)]
    InvalidArgument(FieldViolations),
    /// The resource does not exist, or the caller may not know that it exists.
    #[error("{0}")]
    NotFound(String),
    /// A different resource already holds the requested identity.
    #[error("{0}")]
    AlreadyExists(String),
    /// No valid access token came with the call.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but its role does not allow the call.
    #[error("{0}")]
    PermissionDenied(String),
    /// The request is well formed but the registry's state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The request is well formed but the registry's state does not allow it, for reasons that
    /// each name a subject (e.g. the contamination paths that forbid an attestation).
    #[error("{message}")]
    PreconditionFailed {
        /// What was refused and why, with counts, for people; bounded (see
        /// `domain::refusal`), the details carry the subjects.
        message: String,
        /// One entry per reason, for programs.
        violations: Vec<PreconditionViolation>,
    },
    /// A configured limit was reached; retrying later may succeed.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The server is shutting down or otherwise cannot take the call now.
    #[error("{0}")]
    Unavailable(String),
    /// A fault inside the registry. Logged with its cause chain; the client sees a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One invalid field: `field` is the request path (`sources[2].dataset_id`), `reason` says why.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument(FieldViolations(vec![FieldViolation {
            field: field.into(),
            reason: reason.into(),
        }]))
    }

    /// Wraps a storage or I/O failure whose details must not reach the client.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Error::Internal(error.into())
    }

    /// Prefixes every field path in an `InvalidArgument` error (`name` becomes `sources[1].name`);
    /// leaves other errors alone.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Error::InvalidArgument(FieldViolations(list)) => {
                Error::InvalidArgument(FieldViolations(
                    list.into_iter()
                        .map(|v| FieldViolation {
                            field: format!("{prefix}.{}", v.field),
                            reason: v.reason,
                        })
                        .collect(),
                ))
            }
            other => other,
        }
    }

    /// Says which item of a request an error is about: field paths are prefixed as by
    /// [`Error::within`], and other refusals' messages start with `item: `. Internal faults and
    /// unavailability are left alone: they are not about any item.
    pub fn at_item(self, item: &str) -> Self {
        let name = |message: String| format!("{item}: {message}");
        match self {
            Error::InvalidArgument(_) => self.within(item),
            Error::NotFound(m) => Error::NotFound(name(m)),
            Error::AlreadyExists(m) => Error::AlreadyExists(name(m)),
            Error::PermissionDenied(m) => Error::PermissionDenied(name(m)),
            Error::FailedPrecondition(m) => Error::FailedPrecondition(name(m)),
            Error::PreconditionFailed {
                message,
                violations,
            } => Error::PreconditionFailed {
                message: name(message),
                violations,
            },
            Error::ResourceExhausted(m) => Error::ResourceExhausted(name(m)),
            other @ (Error::Unauthenticated(_) | Error::Unavailable(_) | Error::Internal(_)) => {
                other
            }
        }
    }
}

impl From<sqlx::Error> for Error {
    /// A database that cannot be reached, or has no free connection in time (PostgreSQL failing
    /// over, or saturated), is `UNAVAILABLE`: the call did nothing and may be retried. Anything
    /// else is an internal fault.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("no database connection became free in time");
                Error::Unavailable("the database is busy; retry shortly".into())
            }
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %error, "the database cannot be reached");
                Error::Unavailable("the database cannot be reached; retry shortly".into())
            }
            other => Error::Internal(anyhow::Error::new(other).context("database call failed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_saturated_database_is_unavailable_and_other_faults_internal() {
        assert!(matches!(
            Error::from(sqlx::Error::PoolTimedOut),
            Error::Unavailable(_)
        ));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            Error::from(sqlx::Error::Io(refused)),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            Error::from(sqlx::Error::RowNotFound),
            Error::Internal(_)
        ));
    }
}

/// One reason a precondition failed (`google.rpc.PreconditionFailure.Violation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionViolation {
    /// A machine-readable kind, e.g. `RESTRICTED_MODEL_OUTPUT`.
    pub kind: String,
    /// What it is about, e.g. the path from a dataset to an offending one.
    pub subject: String,
    /// What is wrong, for people.
    pub description: String,
}

/// One field of a request and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `sources[0].uri`.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub reason: String,
}

/// The fields of a request that failed validation (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolations(pub Vec<FieldViolation>);

impl fmt::Display for FieldViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.reason)?;
        }
        Ok(())
    }
}
