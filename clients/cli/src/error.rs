//! Why a command failed, the message a person reads on stderr, and the exit code a script reads.

use std::io;
use std::path::PathBuf;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Exit codes (also listed in `--help`, see `cli.rs`).
pub mod exit {
    /// The command did what was asked.
    pub const SUCCESS: u8 = 0;
    /// Any failure without a more specific code.
    pub const OTHER: u8 = 1;
    /// Bad flags or arguments; clap uses it for its own errors too.
    pub const USAGE: u8 = 2;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: u8 = 3;
    /// No token, or the server refused it (`UNAUTHENTICATED`, `PERMISSION_DENIED`).
    pub const ACCESS: u8 = 4;
    /// The server refused the request (`INVALID_ARGUMENT`, `ALREADY_EXISTS`,
    /// `FAILED_PRECONDITION`).
    pub const REFUSED: u8 = 5;
    /// The server cannot be reached (`UNAVAILABLE`, connection failure, wrong scheme), or `health`
    /// found it not serving.
    pub const UNAVAILABLE: u8 = 6;
    /// `policy evaluate` judged the dataset `CONTAMINATED`.
    pub const CONTAMINATED: u8 = 7;
    /// `policy evaluate` judged the dataset `INCOMPLETE`: some datasets lack an attestation.
    pub const INCOMPLETE: u8 = 8;
    /// `cert verify` (or `cert bundle`) found the certificate not valid.
    pub const INVALID_CERTIFICATE: u8 = 9;
    /// `log verify` or `log monitor`: a checkpoint or a proof does not verify (a fork, a bad
    /// signature, a tampered proof).
    pub const LOG_VERIFICATION_FAILED: u8 = 10;
}

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Neither `--token` nor `PROVENANCE_TOKEN` was given.
    #[error(
        "no access token: set PROVENANCE_TOKEN, pass --token, or name a token_file in the config file (see `provctl --help`)"
    )]
    NoToken,
    /// The token cannot travel in a gRPC header. The message must not quote the token.
    #[error(
        "the access token contains characters that cannot be sent in a header; check PROVENANCE_TOKEN or --token"
    )]
    MalformedToken,
    /// The connection to the server could not be opened.
    #[error(
        "cannot connect to {url}: is the server running? set --url, PROVENANCE_URL or the config file's url ({reason})"
    )]
    Connect {
        /// The address tried.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The server is not where the URL's scheme says: TLS behind `http://`, or plaintext behind
    /// `https://` (found by [`crate::scheme::probe`] after the call failed).
    #[error(
        "cannot connect to {url}: the server there speaks {speaks}: use {suggestion} instead (in --url, PROVENANCE_URL or the config file's url){hint}"
    )]
    WrongScheme {
        /// The address tried.
        url: String,
        /// What the server speaks: "TLS" or "plaintext (no TLS)".
        speaks: &'static str,
        /// The same address with the other scheme.
        suggestion: String,
        /// What else the other scheme may need.
        hint: &'static str,
    },
    /// The server answered the health check, but not that it is serving, or not in time.
    #[error("the registry at {url} is not serving: {reason}")]
    NotServing {
        /// The address checked.
        url: String,
        /// What it answered, or that it did not.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{}", describe_status(.status, .url))]
    Rpc {
        /// The status received.
        status: Status,
        /// The server's address, for the hint of `UNAVAILABLE`.
        url: String,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
    /// The server answered something this client cannot use.
    #[error("unexpected answer from the server: {0}")]
    BadAnswer(String),
    /// An argument that names a file or a value this client reads itself (a token, a JWKS, a
    /// bundle) cannot be used. The message says what to pass instead.
    #[error("{0}")]
    Input(String),
    /// A call of `dataset register --from-file` failed: where in the file, and what was stored.
    #[error("{place}: {cause}; {stored}")]
    InFile {
        /// The line of the refused registration, or the lines of the call.
        place: String,
        /// Why the call failed; it sets the exit code.
        cause: Box<CliError>,
        /// What the calls before it stored, what this one did not, and that running the file
        /// again is safe.
        stored: String,
    },
    /// A file asked for with `--out` could not be written.
    #[error("cannot write {}: {source}; check the directory exists and is writable", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl CliError {
    /// The exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NoToken | Self::MalformedToken => exit::ACCESS,
            Self::Connect { .. } | Self::WrongScheme { .. } | Self::NotServing { .. } => {
                exit::UNAVAILABLE
            }
            Self::Rpc { status, .. } => exit_code_for(status.code()),
            Self::Input(_) => exit::USAGE,
            Self::InFile { cause, .. } => cause.exit_code(),
            Self::Output(_) | Self::BadAnswer(_) | Self::WriteFile { .. } => exit::OTHER,
        }
    }

    /// True when stdout was closed by its reader (e.g. `provctl events watch | head`): not a
    /// failure worth reporting, the reader has what it wanted.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// The exit code of a gRPC status code.
pub fn exit_code_for(code: Code) -> u8 {
    match code {
        Code::Ok => exit::SUCCESS,
        Code::NotFound => exit::NOT_FOUND,
        Code::Unauthenticated | Code::PermissionDenied => exit::ACCESS,
        Code::InvalidArgument | Code::AlreadyExists | Code::FailedPrecondition => exit::REFUSED,
        Code::Unavailable => exit::UNAVAILABLE,
        _ => exit::OTHER,
    }
}

/// The server's message plus what the user can do about it.
fn describe_status(status: &Status, url: &str) -> String {
    let message = status.message();
    match status.code() {
        Code::NotFound => format!(
            "not found: {message} (what another organisation keeps private is reported as not found too)"
        ),
        Code::Unauthenticated => format!(
            "the server refused the access token: {message}; get a valid token (provctl token create, or `provenance-registry admin create-org` on the server) and set PROVENANCE_TOKEN"
        ),
        Code::PermissionDenied => {
            format!("permission denied: {message}; use a token whose role allows this call")
        }
        Code::InvalidArgument => format!("invalid request: {message}"),
        Code::AlreadyExists => format!("already exists: {message}"),
        Code::FailedPrecondition => {
            let mut text = format!("refused in the current state: {message}");
            // The subjects of the refusal (offending paths, datasets lacking an attestation) travel
            // in the details, not in the message.
            if let Some(failure) = status.get_details_precondition_failure() {
                for violation in &failure.violations {
                    text.push_str(&format!(
                        "\n  - {} {}: {}",
                        violation.r#type, violation.subject, violation.description
                    ));
                }
            }
            text
        }
        Code::Unavailable => format!(
            "cannot reach the registry at {url}: {message}; is the server running? set --url, PROVENANCE_URL or the config file's url"
        ),
        Code::ResourceExhausted => format!("the server is busy: {message}; retry later"),
        code => format!("call failed ({code:?}): {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_scripts_rely_on() {
        assert_eq!(exit_code_for(Code::NotFound), 3);
        assert_eq!(exit_code_for(Code::Unauthenticated), 4);
        assert_eq!(exit_code_for(Code::PermissionDenied), 4);
        assert_eq!(exit_code_for(Code::InvalidArgument), 5);
        assert_eq!(exit_code_for(Code::AlreadyExists), 5);
        assert_eq!(exit_code_for(Code::FailedPrecondition), 5);
        assert_eq!(exit_code_for(Code::Unavailable), 6);
        for code in [
            Code::Internal,
            Code::Unknown,
            Code::ResourceExhausted,
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Unimplemented,
        ] {
            assert_eq!(exit_code_for(code), 1, "{code:?}");
        }
    }

    #[test]
    fn local_failures_have_codes_too() {
        assert_eq!(CliError::NoToken.exit_code(), 4);
        assert_eq!(CliError::MalformedToken.exit_code(), 4);
        let connect = CliError::Connect {
            url: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        };
        assert_eq!(connect.exit_code(), 6);
        assert!(connect.to_string().contains("PROVENANCE_URL"));
        let rpc = CliError::Rpc {
            status: Status::invalid_argument("content_digest: must be sha256"),
            url: String::new(),
        };
        assert_eq!(rpc.exit_code(), 5);
        assert!(rpc.to_string().contains("content_digest"));
        assert_eq!(CliError::Input("no such file".into()).exit_code(), 2);
        let write = CliError::WriteFile {
            path: "/nowhere/cert.jws".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(write.exit_code(), 1);
        assert!(write.to_string().contains("/nowhere/cert.jws"));
        let in_file = CliError::InFile {
            place: "f.jsonl line 9".into(),
            cause: Box::new(CliError::Rpc {
                status: Status::not_found("registrations[3]: sources[0].dataset_id"),
                url: String::new(),
            }),
            stored: "nothing was stored".into(),
        };
        assert_eq!(in_file.exit_code(), 3, "the cause's code");
        assert!(
            in_file
                .to_string()
                .starts_with("f.jsonl line 9: not found: registrations[3]")
        );
    }

    #[test]
    fn an_invalid_certificate_has_a_code_of_its_own() {
        let others = [
            exit::SUCCESS,
            exit::OTHER,
            exit::USAGE,
            exit::NOT_FOUND,
            exit::ACCESS,
            exit::REFUSED,
            exit::UNAVAILABLE,
            exit::CONTAMINATED,
            exit::INCOMPLETE,
        ];
        assert!(!others.contains(&exit::INVALID_CERTIFICATE));
    }

    #[test]
    fn a_failed_log_verification_has_a_code_of_its_own() {
        let others = [
            exit::SUCCESS,
            exit::OTHER,
            exit::USAGE,
            exit::NOT_FOUND,
            exit::ACCESS,
            exit::REFUSED,
            exit::UNAVAILABLE,
            exit::CONTAMINATED,
            exit::INCOMPLETE,
            exit::INVALID_CERTIFICATE,
        ];
        assert!(!others.contains(&exit::LOG_VERIFICATION_FAILED));
        assert_eq!(exit::LOG_VERIFICATION_FAILED, 10);
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let error = CliError::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(error.is_broken_pipe());
        assert!(!CliError::NoToken.is_broken_pipe());
    }
}
