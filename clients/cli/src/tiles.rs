//! Reading the log from a C2SP tlog-tiles mirror (`--tiles URL`): any static copy of the
//! registry's `/checkpoint` and `/tile/...` files, over `http://`, `https://` (the system's CAs)
//! or from a local directory. Nothing read is trusted: checkpoints are opened with the pinned key,
//! and proofs computed from tiles are verified against them.

use std::path::PathBuf;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper_util::rt::TokioIo;
use transparency_log::{
    Hash, MAX_NOTE_BYTES, Tile, TileSet, consistency_proof, decode_entry_bundle, inclusion_proof,
    tiles_read_by,
};

use crate::error::CliError;

/// Largest file read from a mirror: an entry bundle of 256 entries of up to 64 KiB.
const MAX_TILE_FILE_BYTES: usize = 256 * (2 + 65_535);

/// How long one file may take.
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A tiles mirror.
pub enum Mirror {
    /// `http://` or `https://`, with the path prefix the files sit under.
    Http {
        /// `http` or `https`.
        tls: bool,
        host: String,
        port: u16,
        prefix: String,
    },
    /// A local directory holding `checkpoint` and `tile/`.
    Directory(PathBuf),
}

impl Mirror {
    /// Reads `--tiles URL`: `http://host[:port][/prefix]`, `https://...`, or a directory.
    pub fn parse(url: &str) -> Result<Self, CliError> {
        let bad = |why: &str| CliError::Input(format!("--tiles {url}: {why}"));
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if url.contains("://") {
            return Err(bad("only http://, https:// or a directory"));
        } else {
            let dir = PathBuf::from(url);
            if !dir.is_dir() {
                return Err(bad("not a directory"));
            }
            return Ok(Self::Directory(dir));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let prefix = path.trim_end_matches('/');
        Ok(Self::Http {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            },
        })
    }

    /// Where the mirror is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Http {
                tls,
                host,
                port,
                prefix,
            } => format!(
                "{}://{host}:{port}{prefix}",
                if *tls { "https" } else { "http" }
            ),
            Self::Directory(dir) => dir.display().to_string(),
        }
    }

    /// The file at `path` (`checkpoint`, `tile/...`), at most `limit` bytes.
    pub async fn get(&self, path: &str, limit: usize) -> Result<Vec<u8>, CliError> {
        match self {
            Self::Directory(dir) => {
                let file = dir.join(path);
                let bytes = std::fs::read(&file).map_err(|e| {
                    CliError::BadAnswer(format!("cannot read {}: {e}", file.display()))
                })?;
                if bytes.len() > limit {
                    return Err(CliError::BadAnswer(format!(
                        "{} is larger than {limit} bytes",
                        file.display()
                    )));
                }
                Ok(bytes)
            }
            Self::Http { .. } => tokio::time::timeout(FETCH_TIMEOUT, self.http_get(path, limit))
                .await
                .map_err(|_| self.unreachable(path, "timed out".into()))?,
        }
    }

    fn unreachable(&self, path: &str, reason: String) -> CliError {
        CliError::Connect {
            url: format!("{}/{path}", self.describe()),
            reason,
        }
    }

    async fn http_get(&self, path: &str, limit: usize) -> Result<Vec<u8>, CliError> {
        let Self::Http {
            tls,
            host,
            port,
            prefix,
        } = self
        else {
            return Err(CliError::Input("not an HTTP mirror".into()));
        };
        let fail = |e: &dyn std::fmt::Display| self.unreachable(path, e.to_string());
        let tcp = tokio::net::TcpStream::connect((host.as_str(), *port))
            .await
            .map_err(|e| fail(&e))?;
        let request = hyper::Request::get(format!("{prefix}/{path}"))
            .header(hyper::header::HOST, host.as_str())
            .header(hyper::header::USER_AGENT, "provctl")
            .body(http_body_util::Empty::<hyper::body::Bytes>::new())
            .map_err(|e| fail(&e))?;
        let response = if *tls {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                // A system certificate rustls cannot read is skipped, as tonic does.
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| fail(&e))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name =
                rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| fail(&e))?;
            let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| fail(&e))?;
            send(TokioIo::new(stream), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
        .map_err(|e| fail(&e))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|e| CliError::BadAnswer(format!("{}/{path}: {e}", self.describe())))?
            .to_bytes();
        if !status.is_success() {
            return Err(CliError::BadAnswer(format!(
                "{}/{path} answered HTTP {status}",
                self.describe()
            )));
        }
        Ok(body.to_vec())
    }

    /// The `checkpoint` file: a signed note, not yet verified.
    pub async fn checkpoint(&self) -> Result<String, CliError> {
        let bytes = self.get("checkpoint", MAX_NOTE_BYTES).await?;
        String::from_utf8(bytes).map_err(|_| {
            CliError::BadAnswer(format!("{}/checkpoint is not UTF-8", self.describe()))
        })
    }

    /// The leaf data of entries `start..start + count` of the tree of `tree_size` leaves.
    pub async fn leaves(
        &self,
        start: u64,
        count: u64,
        tree_size: u64,
    ) -> Result<Vec<Vec<u8>>, CliError> {
        let end = start.saturating_add(count).min(tree_size);
        let mut leaves = Vec::new();
        let mut index = start;
        while index < end {
            let number = index / transparency_log::TILE_WIDTH;
            let Some(tile) = Tile::entries(number, tree_size) else {
                break;
            };
            let bytes = self
                .get(&format!("tile/{tile}"), MAX_TILE_FILE_BYTES)
                .await?;
            let entries = decode_entry_bundle(&bytes, usize::from(tile.width)).map_err(|e| {
                CliError::BadAnswer(format!("{}/tile/{tile}: {e}", self.describe()))
            })?;
            let first = number * transparency_log::TILE_WIDTH;
            for (i, entry) in entries.into_iter().enumerate() {
                let at = first + i as u64;
                if (index..end).contains(&at) {
                    leaves.push(entry.to_vec());
                }
            }
            index = first + u64::from(tile.width);
        }
        Ok(leaves)
    }

    /// The hash tiles `compute` reads in the tree of `tree_size` leaves, fetched.
    async fn tiles_for(
        &self,
        tree_size: u64,
        compute: impl FnOnce(&dyn transparency_log::NodeSource<Error = std::convert::Infallible>),
    ) -> Result<TileSet, CliError> {
        let mut set = TileSet::new();
        for tile in tiles_read_by(tree_size, compute) {
            let bytes = self
                .get(&format!("tile/{tile}"), MAX_TILE_FILE_BYTES)
                .await?;
            set.add(tile, &bytes)
                .map_err(|e| CliError::BadAnswer(format!("{}: {e}", self.describe())))?;
        }
        Ok(set)
    }

    /// The audit path of leaf `leaf_index` in the tree of `tree_size` leaves, computed from the
    /// mirror's tiles.
    pub async fn inclusion(&self, leaf_index: u64, tree_size: u64) -> Result<Vec<Hash>, CliError> {
        let set = self
            .tiles_for(tree_size, |source| {
                let _ = inclusion_proof(leaf_index, tree_size, source);
            })
            .await?;
        inclusion_proof(leaf_index, tree_size, &set).map_err(|e| {
            CliError::BadAnswer(format!(
                "the tiles at {} do not prove leaf {leaf_index} in {tree_size} leaves: {e}",
                self.describe()
            ))
        })
    }

    /// The consistency proof from `first` to `second` leaves, computed from the mirror's tiles.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<Vec<Hash>, CliError> {
        let set = self
            .tiles_for(second, |source| {
                let _ = consistency_proof(first, second, source);
            })
            .await?;
        consistency_proof(first, second, &set).map_err(|e| {
            CliError::BadAnswer(format!(
                "the tiles at {} do not give a proof from {first} to {second} leaves: {e}",
                self.describe()
            ))
        })
    }
}

async fn send<IO>(
    io: TokioIo<IO>,
    request: hyper::Request<http_body_util::Empty<hyper::body::Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(connection);
    sender.send_request(request).await
}
