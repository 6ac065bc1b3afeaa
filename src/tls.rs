//! TLS for everything the server serves (gRPC and the plain-HTTP JWKS on the same port), with
//! rustls: certificate files are re-read when they change, or on SIGHUP (handled in
//! [`crate::server`], with or without TLS), without dropping the connections already established,
//! because operators rotate certificates while buyers stay connected.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// Longest a client may take to complete its handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes waiting to be handed to the server.
const ACCEPTED_BACKLOG: usize = 128;

/// The certificate and key files of the server's TLS identity.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM certificate(s) of the CA clients' certificates must be signed by (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// What tells changed files apart: a rotation usually renames new files over the old ones.
type Stamp = Option<(u64, i64, i64, u64)>;

fn stamp(path: &Path) -> Stamp {
    fs::metadata(path)
        .ok()
        .map(|m| (m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
}

/// The server's TLS configuration, re-read from its files when they change.
pub struct ReloadingTls {
    files: TlsFiles,
    current: RwLock<((Stamp, Stamp), Arc<ServerConfig>)>,
}

impl ReloadingTls {
    /// Reads the files; a start-up with unreadable or mismatched files fails, naming the file. The
    /// client CA file is re-read with the others.
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let config = server_config(&files)?;
        let stamps = (stamp(&files.cert), stamp(&files.key));
        Ok(Self {
            files,
            current: RwLock::new((stamps, Arc::new(config))),
        })
    }

    /// The configuration for a new connection: re-read first if a file changed (or `force`). A
    /// change that does not load keeps the last good configuration in use and logs why.
    pub fn config(&self, force: bool) -> Arc<ServerConfig> {
        let stamps = (stamp(&self.files.cert), stamp(&self.files.key));
        {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            if !force && current.0 == stamps {
                return current.1.clone();
            }
        }
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        match server_config(&self.files) {
            Ok(config) => {
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate loaded");
                *current = (stamps, Arc::new(config));
            }
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "cannot reload the TLS certificate; keeping the one in use"
                );
                // Not again for the same files.
                current.0 = stamps;
            }
        }
        current.1.clone()
    }
}

fn server_config(files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let chain = read_certificates(&files.cert, "TLS certificate")?;
    if chain.is_empty() {
        anyhow::bail!(
            "the TLS certificate file {} holds no certificate",
            files.cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| pem_error(e, &files.key, "TLS key"))?;
    let provider = Arc::new(ring::default_provider());
    // Loaded apart from the certificate, so that a key that does not parse is not reported as
    // one that does not fit.
    provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| {
            anyhow::anyhow!(
                "the TLS key file {} does not parse as a private key: {e}",
                files.key.display()
            )
        })?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version available")?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            let certificates = read_certificates(path, "client CA")?;
            for certificate in certificates {
                roots.add(certificate).with_context(|| {
                    format!("{} holds a certificate that is not a CA", path.display())
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .with_context(|| format!("the client CA {} is unusable", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).with_context(|| {
        format!(
            "the TLS key {} does not fit the certificate {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    // gRPC needs HTTP/2; the JWKS is also served to HTTP/1.1 clients.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of the PEM file at `path` (`what` names it in errors), each checked to be a
/// parsable X.509 certificate: rustls takes any bytes as a certificate until it pairs the first
/// with the key, and then reported garbage as a key that "does not fit".
fn read_certificates(path: &Path, what: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error(e, path, what))?;
    for (n, certificate) in certificates.iter().enumerate() {
        if let Err(error) = ParsedCertificate::try_from(certificate) {
            anyhow::bail!(
                "the {what} file {} does not parse: certificate {} of the file is not an X.509 \
                 certificate ({error})",
                path.display(),
                n + 1
            );
        }
    }
    Ok(certificates)
}

/// A PEM file's error: unreadable, or not PEM (a block whose body is not base64, say).
fn pem_error(error: pem::Error, path: &Path, what: &str) -> anyhow::Error {
    match error {
        pem::Error::Io(error) => {
            anyhow::anyhow!("cannot read the {what} file {}: {error}", path.display())
        }
        error => anyhow::anyhow!(
            "the {what} file {} does not parse as PEM: {error}",
            path.display()
        ),
    }
}

/// Accepts TCP connections on `listener`, completes their TLS handshakes concurrently (a slow
/// client holds up nobody) and yields the established streams, until `shutdown`.
pub fn incoming(
    listener: TcpListener,
    tls: Arc<ReloadingTls>,
    shutdown: CancellationToken,
) -> ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
    let (accepted, stream) = mpsc::channel(ACCEPTED_BACKLOG);
    tokio::spawn(async move {
        loop {
            let connection = tokio::select! {
                () = shutdown.cancelled() => break,
                connection = listener.accept() => connection,
            };
            let (tcp, peer) = match connection {
                Ok(connection) => connection,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = TlsAcceptor::from(tls.config(false));
            let accepted = accepted.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = accepted.send(Ok(stream)).await;
                    }
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                    }
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(stream)
}
