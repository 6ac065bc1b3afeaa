//! `provctl witness serve`: a C2SP tlog-witness that anyone can run. It cosigns a log's
//! checkpoint only when it is consistent with the last one it cosigned for that log, and keeps
//! that last checkpoint per log in a state directory (written atomically and synced before it
//! answers), so a restarted witness refuses the same forks.
//!
//! HTTP/1.1, two routes: `POST /add-checkpoint` (c2sp.org/tlog-witness; the checks are
//! [`transparency_log::check_add_checkpoint`]) and `GET /<hex SHA-256 of origin>/checkpoint`, the
//! last cosigned checkpoint with the log's signature and the witness's cosignature. Bodies are
//! bounded ([`MAX_ADD_CHECKPOINT_BYTES`]), headers must arrive within a timeout, and connections
//! are capped.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Semaphore};
use transparency_log::{
    COSIGNATURE_V1_ED25519, CosignerKey, Hash, MAX_ADD_CHECKPOINT_BYTES, NoteVerifier, Refusal,
    SIZE_CONTENT_TYPE, SigningKey, check_add_checkpoint, note_origin, open_checkpoint,
    parse_add_checkpoint,
};

use crate::error::CliError;

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 256;
/// Longest a client may take to send a request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a client may take to send a request's body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest key or state file read.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// First word of a witness key file, as in signed-note private keys.
const KEY_PREFIX: &str = "PRIVATE+KEY+";

/// A log the witness cosigns: its origin and the key it trusts for it.
#[derive(Clone, Debug)]
pub struct WitnessedLog {
    /// The checkpoint origin line.
    pub origin: String,
    /// The log's key.
    pub key: NoteVerifier,
}

impl WitnessedLog {
    /// Parses `[ORIGIN=]VKEY`: the origin defaults to the key's name, as the registry names its
    /// log key after its origin. (A vkey holds no `=`: its key is 33 bytes, base64 without
    /// padding.)
    pub fn parse(text: &str) -> Result<Self, String> {
        let (origin, vkey) = match text.split_once('=') {
            Some((origin, vkey)) => (Some(origin), vkey),
            None => (None, text),
        };
        let key = NoteVerifier::from_vkey(vkey).map_err(|e| format!("--log {text:?}: {e}"))?;
        let origin = origin.unwrap_or(key.name()).to_owned();
        if origin.is_empty() || origin.bytes().any(|b| b < 0x20) {
            return Err(format!(
                "--log {text:?}: the origin must be one non-empty line"
            ));
        }
        Ok(Self { origin, key })
    }
}

/// Loads the witness key from `path`, or creates it there (mode 0600) under `name` when the file
/// does not exist. A key file is `PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)`.
pub fn load_or_create_key(path: &Path, name: Option<&str>) -> Result<CosignerKey, CliError> {
    match fs::metadata(path) {
        Ok(_) => load_key(path, name),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let Some(name) = name else {
                return Err(CliError::Input(format!(
                    "{} does not exist: give --name NAME (e.g. witness.example/w1) to create the \
                     witness key",
                    path.display()
                )));
            };
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| CliError::Input(format!("no randomness for a new key: {e}")))?;
            let key = CosignerKey::new(name, SigningKey::from_bytes(&seed))
                .map_err(|e| CliError::Input(format!("--name: {e}")))?;
            let mut raw = vec![COSIGNATURE_V1_ED25519];
            raw.extend_from_slice(&seed);
            let text = format!(
                "{KEY_PREFIX}{name}+{:08x}+{}\n",
                key.verifier().key_id(),
                STANDARD.encode(raw)
            );
            write_private(path, text.as_bytes()).map_err(|source| CliError::WriteFile {
                path: path.to_owned(),
                source,
            })?;
            Ok(key)
        }
        Err(e) => Err(CliError::Input(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn load_key(path: &Path, expected_name: Option<&str>) -> Result<CosignerKey, CliError> {
    let bad = |why: &str| {
        CliError::Input(format!(
            "{} is not a witness key file: {why}",
            path.display()
        ))
    };
    let text = read_bounded(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    let rest = text
        .trim_end_matches('\n')
        .strip_prefix(KEY_PREFIX)
        .ok_or_else(|| bad("it does not start with PRIVATE+KEY+"))?;
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected PRIVATE+KEY+<name>+<key id>+<key>"));
    };
    let raw = STANDARD
        .decode(encoded)
        .map_err(|_| bad("the key is not base64"))?;
    let Some((&COSIGNATURE_V1_ED25519, seed)) = raw.split_first() else {
        return Err(bad(
            "the key is not an Ed25519 cosignature/v1 key (type 0x04)",
        ));
    };
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| bad("the key is not 32 bytes"))?;
    let key =
        CosignerKey::new(name, SigningKey::from_bytes(&seed)).map_err(|e| bad(&e.to_string()))?;
    if format!("{:08x}", key.verifier().key_id()) != id {
        return Err(bad("the key id does not match the key"));
    }
    if let Some(expected) = expected_name.filter(|expected| *expected != name) {
        return Err(CliError::Input(format!(
            "{} holds the key of {name:?}, not {expected:?}",
            path.display()
        )));
    }
    Ok(key)
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_FILE_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `path` with `bytes` atomically: a synced temporary file renamed over it, then the
/// directory synced, so a crash leaves the old state or the new one, never a mix.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temporary = path.with_extension("tmp");
    {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    fs::File::open(dir)?.sync_all()
}

/// The witness: its key, the logs it knows and their last cosigned checkpoints.
pub struct Witness {
    key: CosignerKey,
    logs: HashMap<String, NoteVerifier>,
    state_dir: PathBuf,
    /// Checking the old size and keeping the new checkpoint happen under this lock, as the spec
    /// requires (otherwise two requests could roll the state back).
    latest: Mutex<()>,
}

impl Witness {
    /// A witness cosigning with `key` for `logs`, keeping its state in `state_dir` (created).
    pub fn new(
        key: CosignerKey,
        logs: Vec<WitnessedLog>,
        state_dir: PathBuf,
    ) -> Result<Self, CliError> {
        fs::create_dir_all(&state_dir).map_err(|source| CliError::WriteFile {
            path: state_dir.clone(),
            source,
        })?;
        let logs = logs.into_iter().map(|log| (log.origin, log.key)).collect();
        Ok(Self {
            key,
            logs,
            state_dir,
            latest: Mutex::new(()),
        })
    }

    /// The file holding the last checkpoint cosigned for `origin`.
    fn state_file(&self, origin: &str) -> PathBuf {
        self.state_dir.join(format!(
            "{}.checkpoint",
            hex::encode(Sha256::digest(origin))
        ))
    }

    /// The last cosigned checkpoint of `origin` (the log's note with the witness's cosignature),
    /// verified again with the log's key: a state file that does not verify stops the witness
    /// from cosigning that log rather than letting it start over.
    fn stored(
        &self,
        origin: &str,
        log: &NoteVerifier,
    ) -> Result<Option<(String, u64, Hash)>, String> {
        let path = self.state_file(origin);
        let note = match read_bounded(&path) {
            Ok(note) => note,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let checkpoint = open_checkpoint(&note, log)
            .map_err(|e| format!("{} does not verify: {e}", path.display()))?;
        Ok(Some((note, checkpoint.size, checkpoint.root)))
    }

    /// `POST /add-checkpoint`: the status and the body to answer.
    pub async fn add_checkpoint(&self, body: &[u8]) -> (StatusCode, &'static str, String) {
        let request = match parse_add_checkpoint(body) {
            Ok(request) => request,
            Err(refusal) => return refused(&refusal),
        };
        let origin = note_origin(&request.note).unwrap_or_default().to_owned();
        let Some(log) = self.logs.get(&origin) else {
            return refused(&Refusal::UnknownOrigin(origin));
        };
        let _held = self.latest.lock().await;
        let latest = match self.stored(&origin, log) {
            Ok(latest) => latest,
            Err(reason) => {
                eprintln!("provctl witness: {reason}");
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the witness's state is unreadable\n",
                );
            }
        };
        let checkpoint =
            match check_add_checkpoint(&request, log, latest.map(|(_, size, root)| (size, root))) {
                Ok(checkpoint) => checkpoint,
                Err(refusal) => {
                    eprintln!("provctl witness: refused a checkpoint of {origin:?}: {refusal}");
                    return refused(&refusal);
                }
            };
        let now = chrono::Utc::now().timestamp().max(1) as u64;
        let line = match self.key.cosign(&checkpoint.body(), now) {
            Ok(line) => line,
            Err(e) => return refused(&Refusal::BadRequest(e.to_string())),
        };
        // The log's note as signed (its text and the trusted key's lines only would do; the
        // whole note keeps every signature the log sent) with this witness's cosignature.
        let kept = format!("{}{line}", request.note);
        if let Err(e) = replace_file(&self.state_file(&origin), kept.as_bytes()) {
            eprintln!("provctl witness: cannot keep the checkpoint of {origin:?}: {e}");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the witness cannot keep its state\n",
            );
        }
        eprintln!(
            "provctl witness: cosigned {origin:?} at size {}",
            checkpoint.size
        );
        (StatusCode::OK, "text/plain; charset=utf-8", line)
    }

    /// `GET /<origin hash>/checkpoint`.
    fn checkpoint(&self, origin_hash: &str) -> (StatusCode, &'static str, String) {
        for (origin, log) in &self.logs {
            if hex::encode(Sha256::digest(origin)) == origin_hash {
                return match self.stored(origin, log) {
                    Ok(Some((note, _, _))) => (StatusCode::OK, "text/plain; charset=utf-8", note),
                    Ok(None) => plain(StatusCode::NOT_FOUND, "no checkpoint cosigned yet\n"),
                    Err(_) => plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the witness's state is unreadable\n",
                    ),
                };
            }
        }
        plain(StatusCode::NOT_FOUND, "unknown log\n")
    }

    /// Serves on `listener` until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<(), CliError> {
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = connections
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("provctl witness: accept failed: {e}");
                    continue;
                }
            };
            let witness = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let witness = witness.clone();
                    async move { Ok::<_, std::convert::Infallible>(witness.answer(request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop(permit);
            });
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let (status, content_type, body) = match (request.method(), path.as_str()) {
            (&Method::POST, "/add-checkpoint") if declared_too_large(&request) => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than the witness reads\n",
            ),
            (&Method::POST, "/add-checkpoint") => {
                let limited = Limited::new(request.into_body(), MAX_ADD_CHECKPOINT_BYTES);
                match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
                    Ok(Ok(body)) => self.add_checkpoint(&body.to_bytes()).await,
                    Ok(Err(_)) => plain(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the body is larger than the witness reads\n",
                    ),
                    Err(_) => plain(StatusCode::REQUEST_TIMEOUT, "the body came too slowly\n"),
                }
            }
            (_, "/add-checkpoint") => plain(StatusCode::METHOD_NOT_ALLOWED, "use POST\n"),
            (&Method::GET, path) => match path
                .strip_prefix('/')
                .and_then(|rest| rest.strip_suffix("/checkpoint"))
            {
                Some(hash) => self.checkpoint(hash),
                None => plain(StatusCode::NOT_FOUND, "not found\n"),
            },
            _ => plain(StatusCode::NOT_FOUND, "not found\n"),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        if let Ok(value) = content_type.parse() {
            response
                .headers_mut()
                .insert(hyper::header::CONTENT_TYPE, value);
        }
        response
    }
}

/// Whether the request announces a body above [`MAX_ADD_CHECKPOINT_BYTES`]: refused before any
/// of it is read.
fn declared_too_large(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .is_some_and(|length| length > MAX_ADD_CHECKPOINT_BYTES as u64)
}

fn plain(status: StatusCode, body: &str) -> (StatusCode, &'static str, String) {
    (status, "text/plain; charset=utf-8", body.to_owned())
}

/// The answer to a refusal: its status, and for a 409 the witness's size as the spec says.
fn refused(refusal: &Refusal) -> (StatusCode, &'static str, String) {
    let status =
        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match refusal {
        Refusal::Conflict(size) => (status, SIZE_CONTENT_TYPE, format!("{size}\n")),
        other => (status, "text/plain; charset=utf-8", format!("{other}\n")),
    }
}

/// Binds `listen` and returns the listener with its actual address.
pub async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), CliError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Input(format!("cannot listen on {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Input(e.to_string()))?;
    Ok((listener, address))
}
