//! Sending one webhook delivery without becoming a way into anyone's network: the host is resolved
//! here, every address it resolves to is checked against the operator's policy
//! ([`refused_address`]), and the connection goes to an address that was checked (so a name that
//! resolves elsewhere a moment later, DNS rebinding, changes nothing). One HTTP/1.1 POST per
//! connection, no redirects followed (a 3xx is a failed attempt), connect and total timeouts, and
//! at most [`MAX_ANSWER_BYTES`] of the answer read.

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
        match tokio::time::timeout(self.request_timeout, self.post_untimed(url, headers, body))
            .await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::new(format!(
                "no answer within {}s",
                self.request_timeout.as_secs()
            ))),
        }
    }

    async fn post_untimed(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<u16, SendError> {
        // Checked again: the operator's policy may have changed since the endpoint was created.
        let endpoint = EndpointUrl::parse("url", url, &self.policy)
            .map_err(|e| SendError::new(format!("refused: {e}")))?;
        let addresses = resolve_checked(&endpoint, &self.policy)
            .await
            .map_err(|reason| SendError::new(format!("refused: {reason}")))?;
        let stream = self.connect(&addresses).await?;
        let mut request = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nuser-agent: provenance-registry-webhooks\r\n\
             connection: close\r\n",
            endpoint.target(),
            endpoint.host_header(),
            body.len()
        );
        for (name, value) in headers {
            request.push_str(name);
            request.push_str(": ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        if endpoint.tls {
            let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
                .map_err(|e| SendError::new(format!("not a TLS server name: {e}")))?;
            let stream = self
                .tls
                .connect(name, stream)
                .await
                .map_err(|e| SendError::new(format!("TLS handshake failed: {e}")))?;
            exchange(stream, request.as_bytes(), body).await
        } else {
            exchange(stream, request.as_bytes(), body).await
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

/// Writes the request and reads the answer's head (at most [`MAX_ANSWER_BYTES`]).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &[u8],
    body: &[u8],
) -> Result<u16, SendError> {
    let io = |e: std::io::Error| SendError::new(format!("connection failed: {e}"));
    stream.write_all(head).await.map_err(io)?;
    stream.write_all(body).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut buffer = vec![0u8; MAX_ANSWER_BYTES];
    let mut filled = 0;
    loop {
        let read = stream.read(&mut buffer[filled..]).await.map_err(io)?;
        if read == 0 {
            return Err(SendError::new(
                "the connection closed before a complete answer",
            ));
        }
        filled += read;
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut answer = httparse::Response::new(&mut headers);
        match answer.parse(&buffer[..filled]) {
            Ok(httparse::Status::Complete(_)) => {
                let status = answer.code.unwrap_or(0);
                return if (200..300).contains(&status) {
                    Ok(status)
                } else if (300..400).contains(&status) {
                    Err(SendError {
                        status: Some(status),
                        reason: format!("answered {status}; redirects are not followed"),
                    })
                } else {
                    Err(SendError {
                        status: Some(status),
                        reason: format!("answered {status}"),
                    })
                };
            }
            Ok(httparse::Status::Partial) if filled < buffer.len() => continue,
            Ok(httparse::Status::Partial) => {
                return Err(SendError::new(format!(
                    "the answer's head is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            Err(e) => return Err(SendError::new(format!("not an HTTP answer: {e}"))),
        }
    }
}
