//! Which scheme a server speaks, for the message when a connection or a call fails because the
//! URL's scheme is the wrong one: `http://` against a TLS server fails with an HTTP/2 protocol
//! error, `https://` against a plaintext one with a corrupt TLS record, and neither says why.
//!
//! After such a failure, [`explain`] opens one more connection to the same host and port and sends
//! the other scheme's opening: a TLS ClientHello, or the HTTP/2 client preface. A TLS server
//! answers a ClientHello with a TLS record (a ServerHello, or an alert); a plaintext HTTP/2 server
//! answers the preface with its SETTINGS frame (or, speaking HTTP/1 only, with an HTTP/1 status
//! line). Only an answer of the other scheme's own shape changes the message; anything else (no
//! answer, a refused connection, garbage) leaves the original error as it was.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;

use crate::error::CliError;

/// How long the probe may take, connection and answer together.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The HTTP/2 client preface followed by an empty SETTINGS frame (RFC 9113, section 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// `error` itself, or, when it may come from the wrong scheme and the server at `url` answers the
/// other one, [`CliError::WrongScheme`] saying which scheme to use.
pub async fn explain(url: &str, error: CliError) -> CliError {
    let may_be_wrong_scheme = match &error {
        CliError::Connect { .. } => true,
        // What tonic makes of a connection that broke off (`transport error`, `h2 protocol
        // error`); a server's own INTERNAL costs one more connection, and changes nothing.
        CliError::Rpc { status, .. } => matches!(
            status.code(),
            Code::Unknown | Code::Internal | Code::Unavailable
        ),
        _ => false,
    };
    if !may_be_wrong_scheme {
        return error;
    }
    match probe(url).await {
        Some(speaks) => {
            let (scheme, speaks_text, hint) = match speaks {
                Speaks::Tls => (
                    "https",
                    "TLS",
                    ", with --ca-file FILE if a private CA signed its certificate",
                ),
                Speaks::Plaintext => ("http", "plaintext (no TLS)", ""),
            };
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            CliError::WrongScheme {
                url: url.to_owned(),
                speaks: speaks_text,
                suggestion: format!("{scheme}://{rest}"),
                hint,
            }
        }
        None => error,
    }
}

/// What a server speaks instead of the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaks {
    /// TLS, behind an `http://` URL.
    Tls,
    /// Plaintext HTTP/2, behind an `https://` URL.
    Plaintext,
}

/// Sends the opening of the scheme `url` does not name to its host and port; what the server
/// turned out to speak, if it answered that scheme.
pub async fn probe(url: &str) -> Option<Speaks> {
    let uri: tonic::transport::Uri = url.parse().ok()?;
    let https = uri.scheme_str()?.eq_ignore_ascii_case("https");
    // `[::1]` as the URL writes it, `::1` as the socket wants it.
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let opening = if https {
        H2_PREFACE.to_vec()
    } else {
        client_hello(host)?
    };
    let answer = tokio::time::timeout(PROBE_TIMEOUT, exchange(host, port, &opening))
        .await
        .ok()?
        .ok()?;
    if https {
        is_http(&answer).then_some(Speaks::Plaintext)
    } else {
        is_tls(&answer).then_some(Speaks::Tls)
    }
}

/// Connects, sends `opening`, and reads the first bytes of the answer (up to a frame header).
async fn exchange(host: &str, port: u16, opening: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect((host, port)).await?;
    stream.write_all(opening).await?;
    let mut answer = vec![0; 9];
    let mut read = 0;
    while read < answer.len() {
        match stream.read(&mut answer[read..]).await? {
            0 => break,
            n => read += n,
        }
    }
    answer.truncate(read);
    Ok(answer)
}

/// A TLS ClientHello for `host`, as rustls would open a connection (nothing is verified: no
/// handshake is completed).
fn client_hello(host: &str) -> Option<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).ok()?;
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).ok()?;
    Some(hello)
}

/// A TLS record: content type handshake (22) or alert (21), protocol version 3.x.
fn is_tls(answer: &[u8]) -> bool {
    matches!(answer, [0x15 | 0x16, 0x03, ..])
}

/// An HTTP/2 server's SETTINGS frame (type 4, on stream 0), or an HTTP/1 status line.
fn is_http(answer: &[u8]) -> bool {
    answer.starts_with(b"HTTP/1.") || matches!(answer, [_, _, _, 0x04, _, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_apart() {
        // A ServerHello, and an alert.
        assert!(is_tls(&[0x16, 0x03, 0x03, 0x00, 0x7a]));
        assert!(is_tls(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
        assert!(!is_tls(b"HTTP/1.1 400 Bad Request"));
        assert!(!is_tls(&[]));
        // An HTTP/2 server's SETTINGS frame (18 bytes of settings), and an HTTP/1 answer.
        assert!(is_http(&[0, 0, 18, 0x04, 0, 0, 0, 0, 0]));
        assert!(is_http(b"HTTP/1.1 400 Bad Request"));
        // A TLS alert is neither; a SETTINGS frame on a stream is not a server's preface.
        assert!(!is_http(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
        assert!(!is_http(&[0, 0, 0, 0x04, 0, 0, 0, 0, 1]));
    }

    #[test]
    fn the_client_hello_is_a_tls_handshake_record() {
        for host in ["localhost", "127.0.0.1", "::1"] {
            let hello = client_hello(host).expect("a ClientHello");
            assert!(is_tls(&hello), "{host}: {:?}", &hello[..5]);
        }
    }

    #[tokio::test]
    async fn nothing_listening_means_no_hint() {
        // Port 1 of loopback: refused at once.
        assert_eq!(probe("http://127.0.0.1:1").await, None);
        assert_eq!(probe("https://127.0.0.1:1").await, None);
    }
}
