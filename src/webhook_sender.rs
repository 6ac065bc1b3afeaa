//! Sending one webhook delivery without becoming a way into anyone's network: the host is resolved
//! here, every address it resolves to is checked against the operator's policy
//! ([`refused_address`]), and the connection goes to an address that was checked (so a name that
//! resolves elsewhere a moment later, DNS rebinding, changes nothing). One HTTP/1.1 POST per
//! connection, no redirects followed (a 3xx is a failed attempt), connect and total timeouts, and
//! at most [`MAX_ANSWER_BYTES`] of the answer read. Witnesses (`crate::registry::witnesses`) are
//! called through the same [`Sender`], reading whole answers of at most
//! [`MAX_WHOLE_ANSWER_BYTES`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

use crate::domain::webhook::{AddressPolicy, EndpointUrl, refused_address};

/// Most bytes of an answer read (its status line and headers must fit; the body is not needed).
pub const MAX_ANSWER_BYTES: usize = 8 * 1024;
/// Most bytes of an answer [`Sender::exchange`] reads, head and body: a witness's cosignature
/// lines take a few hundred.
pub const MAX_WHOLE_ANSWER_BYTES: usize = 64 * 1024;
/// Longest a name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The addresses `endpoint` may be reached at: its host resolved, each address checked. Refused,
/// with the reason for people, when the name does not resolve or any address it resolves to is
/// refused (one bad address is enough: which one a connection would use is not ours to choose).
pub async fn resolve_checked(
    endpoint: &EndpointUrl,
    policy: &AddressPolicy,
) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = match endpoint.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, endpoint.port)],
        Err(_) => {
            let lookup = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port));
            match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(e)) => {
                    return Err(format!("host {:?} does not resolve ({e})", endpoint.host));
                }
                Err(_) => return Err(format!("host {:?} took too long to resolve", endpoint.host)),
            }
        }
    };
    if addresses.is_empty() {
        return Err(format!("host {:?} resolves to no address", endpoint.host));
    }
    for address in &addresses {
        if let Some(reason) = refused_address(address.ip(), policy) {
            return Err(format!(
                "host {:?} resolves to a {reason} address ({}), which webhooks may not reach",
                endpoint.host,
                address.ip()
            ));
        }
    }
    Ok(addresses)
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// The answer's status, when one came.
    pub status: Option<u16>,
    /// What went wrong, for people.
    pub reason: String,
}

impl SendError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            status: None,
            reason: reason.into(),
        }
    }
}

/// Posts deliveries.
#[derive(Clone)]
pub struct Sender {
    tls: TlsConnector,
    policy: AddressPolicy,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Sender {
    /// A sender under `policy` with the system's CA roots.
    pub fn new(
        policy: AddressPolicy,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "webhooks: cannot load a system CA certificate");
        }
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            tracing::warn!("webhooks: no system CA certificates; HTTPS endpoints will fail");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
            policy,
            connect_timeout,
            request_timeout,
        })
    }

    /// Posts `body` with `headers` to `url`; the 2xx status that acknowledged it, or why not.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<u16, SendError> {
        let request = Request {
            url,
            content_type: "application/json",
            user_agent: "provenance-registry-webhooks",
            headers,
            body,
        };
        let answer = self.timed(self.send(request, Read::Head)).await?;
        let status = answer.status;
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(refused_status(status))
        }
    }

    /// Posts `body` (of `content_type`) to `url` and reads the whole answer, at most
    /// [`MAX_WHOLE_ANSWER_BYTES`]: for calls whose answer matters (a witness's cosignatures). Any
    /// status comes back as an answer, except redirects, which are not followed.
    pub async fn exchange(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Answer, SendError> {
        let request = Request {
            url,
            content_type,
            user_agent: "provenance-registry",
            headers: &[],
            body,
        };
        let answer = self.timed(self.send(request, Read::Whole)).await?;
        if (300..400).contains(&answer.status) {
            return Err(refused_status(answer.status));
        }
        Ok(answer)
    }

    async fn timed(
        &self,
        sending: impl Future<Output = Result<Answer, SendError>>,
    ) -> Result<Answer, SendError> {
        match tokio::time::timeout(self.request_timeout, sending).await {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::new(format!(
                "no answer within {}s",
                self.request_timeout.as_secs()
            ))),
        }
    }

    async fn send(&self, request: Request<'_>, read: Read) -> Result<Answer, SendError> {
        // Checked again: the operator's policy may have changed since the endpoint was created.
        let endpoint = EndpointUrl::parse("url", request.url, &self.policy)
            .map_err(|e| SendError::new(format!("refused: {e}")))?;
        let addresses = resolve_checked(&endpoint, &self.policy)
            .await
            .map_err(|reason| SendError::new(format!("refused: {reason}")))?;
        let stream = self.connect(&addresses).await?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: {}\r\n\
             content-length: {}\r\nuser-agent: {}\r\n\
             connection: close\r\n",
            endpoint.target(),
            endpoint.host_header(),
            request.content_type,
            request.body.len(),
            request.user_agent,
        );
        for (name, value) in request.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        if endpoint.tls {
            let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
                .map_err(|e| SendError::new(format!("not a TLS server name: {e}")))?;
            let stream = self
                .tls
                .connect(name, stream)
                .await
                .map_err(|e| SendError::new(format!("TLS handshake failed: {e}")))?;
            exchange(stream, head.as_bytes(), request.body, read).await
        } else {
            exchange(stream, head.as_bytes(), request.body, read).await
        }
    }

    /// A connection to the first of `addresses` that answers within the connect timeout.
    async fn connect(&self, addresses: &[SocketAddr]) -> Result<TcpStream, SendError> {
        let mut last = String::new();
        for address in addresses {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = format!("cannot connect to {address}: {e}"),
                Err(_) => {
                    last = format!(
                        "cannot connect to {address} within {}s",
                        self.connect_timeout.as_secs()
                    )
                }
            }
        }
        Err(SendError::new(last))
    }
}

/// What to read of an answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The status line and headers, at most [`MAX_ANSWER_BYTES`].
    Head,
    /// Everything until the server closes, at most [`MAX_WHOLE_ANSWER_BYTES`].
    Whole,
}

/// One request to send.
struct Request<'a> {
    url: &'a str,
    content_type: &'a str,
    user_agent: &'a str,
    headers: &'a [(&'a str, String)],
    body: &'a [u8],
}

/// An answer: its status, content type and (for [`Sender::exchange`]) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type` header, if any.
    pub content_type: Option<String>,
    /// The body (empty when only the head was read).
    pub body: Vec<u8>,
}

/// A non-2xx status as a failed attempt.
fn refused_status(status: u16) -> SendError {
    let reason = if (300..400).contains(&status) {
        format!("answered {status}; redirects are not followed")
    } else {
        format!("answered {status}")
    };
    SendError {
        status: Some(status),
        reason,
    }
}

/// Writes the request and reads the answer: its head, or all of it.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &[u8],
    body: &[u8],
    read: Read,
) -> Result<Answer, SendError> {
    let io = |e: std::io::Error| SendError::new(format!("connection failed: {e}"));
    stream.write_all(head).await.map_err(io)?;
    stream.write_all(body).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let limit = match read {
        Read::Head => MAX_ANSWER_BYTES,
        Read::Whole => MAX_WHOLE_ANSWER_BYTES,
    };
    let mut buffer = vec![0u8; limit];
    let mut filled = 0;
    loop {
        let got = stream.read(&mut buffer[filled..]).await.map_err(io)?;
        let closed = got == 0;
        filled += got;
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut answer = httparse::Response::new(&mut headers);
        match answer.parse(&buffer[..filled]) {
            Ok(httparse::Status::Complete(head_len)) if read == Read::Head || closed => {
                let content_type = answer
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-type"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .map(str::to_owned);
                let mut body = Vec::new();
                if read == Read::Whole {
                    body = buffer[head_len..filled].to_vec();
                    let length = answer
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    if let Some(length) = length {
                        if body.len() < length {
                            return Err(SendError::new("the answer's body was cut short"));
                        }
                        body.truncate(length);
                    }
                }
                return Ok(Answer {
                    status: answer.code.unwrap_or(0),
                    content_type,
                    body,
                });
            }
            Ok(httparse::Status::Complete(_)) | Ok(httparse::Status::Partial)
                if !closed && filled < buffer.len() =>
            {
                continue;
            }
            Ok(httparse::Status::Complete(_)) if !closed => {
                return Err(SendError::new(format!(
                    "the answer is larger than {limit} bytes"
                )));
            }
            Ok(httparse::Status::Partial) if !closed => {
                return Err(SendError::new(format!(
                    "the answer's head is larger than {limit} bytes"
                )));
            }
            Ok(_) => {
                return Err(SendError::new(
                    "the connection closed before a complete answer",
                ));
            }
            Err(e) => return Err(SendError::new(format!("not an HTTP answer: {e}"))),
        }
    }
}
