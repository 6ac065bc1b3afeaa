//! A dataset's content digest from a directory: the manifest of its regular files (path, size,
//! SHA-256), and the SHA-256 over the manifest's canonical text.
//!
//! The canonical text has one line per regular file, sorted by the bytes of the path:
//!
//! ```text
//! <64 lower-case hex digits of the file's SHA-256>  <size in decimal>  <path>\n
//! ```
//!
//! with two spaces between fields and `path` relative to the directory, `/`-separated, UTF-8.
//! The digest is `sha256:` and the lower-case hex SHA-256 of the whole text. Directories are not
//! listed (an empty one adds nothing); symbolic links are never followed.
//!
//! Files are hashed in parallel by a pool of threads sized to the machine, largest files first so
//! that no thread is left with a big one at the end, each file streamed in [`READ_BYTES`] reads;
//! a large file is read on a second thread while it is hashed.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::CliError;

/// Size of each read. 64-128 KiB keeps the buffer in the CPU's cache while it is hashed; 1 MiB
/// reads spill it and are measurably slower.
pub const READ_BYTES: usize = 128 * 1024;

/// Files from this size on are read on a thread of their own while they are hashed, so that the
/// copy out of the page cache overlaps the hashing: a single large file is otherwise bound by
/// one thread doing both.
const PIPELINE_FROM_BYTES: u64 = 16 << 20;

/// What the reading thread hands to the hashing one at a time, filled by [`READ_BYTES`] reads.
/// Large enough that hand-offs are rare (waking a thread costs about 86 µs on this machine), small
/// enough to stay in the hashing core's cache: measured here, 128-256 KiB chunks beat both 1 MiB
/// chunks and no second thread at all.
const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks in flight between the two: enough for the reader to stay ahead.
const CHUNKS: usize = 4;

/// How long a thread of the pair polls for the other's next chunk before it sleeps. Longer than
/// hashing one chunk takes, so that neither sleeps while the other is working: on this machine,
/// waking a sleeping thread costs the waker more than hashing a chunk saves.
const POLL_FOR: Duration = Duration::from_micros(400);

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// What to do with a symbolic link met in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Fail, naming it: a link's target may lie outside the directory, or change.
    Refuse,
    /// Leave it out of the manifest (and report it).
    Skip,
}

/// One regular file of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the directory, `/`-separated.
    pub path: String,
    /// Bytes hashed.
    pub size: u64,
    /// SHA-256 of its bytes.
    pub sha256: [u8; 32],
}

/// The files of a directory, sorted by path bytes, and the links left out.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Every regular file, sorted by the bytes of `path`.
    pub entries: Vec<Entry>,
    /// Symbolic links skipped with [`Symlinks::Skip`], as relative paths.
    pub skipped_symlinks: Vec<String>,
}

impl Manifest {
    /// The canonical text the digest is computed over (see the module's documentation).
    pub fn text(&self) -> String {
        let mut text = String::with_capacity(self.entries.len() * 96);
        for entry in &self.entries {
            text.push_str(&entry_line(entry));
        }
        text
    }

    /// `sha256:` and the hex SHA-256 of [`Manifest::text`], as the registry takes digests.
    pub fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(self.text())))
    }

    /// Bytes over all files.
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

/// One line of the canonical text.
pub fn entry_line(entry: &Entry) -> String {
    format!(
        "{}  {}  {}\n",
        hex::encode(entry.sha256),
        entry.size,
        entry.path
    )
}

/// A regular file found by the walk, before it is hashed.
struct Found {
    path: String,
    absolute: PathBuf,
    size: u64,
}

/// Walks `root` and hashes every regular file in it. A progress line goes to stderr when
/// `progress` is set and stderr is a terminal.
pub fn build(root: &Path, symlinks: Symlinks, progress: bool) -> Result<Manifest, CliError> {
    let (mut found, skipped_symlinks) = walk(root, symlinks)?;
    if found.is_empty() {
        return Err(CliError::Input(format!(
            "{} holds no regular file: there is nothing to digest (empty directories are not part of a manifest)",
            root.display()
        )));
    }
    found.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let hashes = hash_all(&found, progress && io::stderr().is_terminal())?;
    let entries = found
        .into_iter()
        .zip(hashes)
        .map(|(file, (size, sha256))| Entry {
            path: file.path,
            size,
            sha256,
        })
        .collect();
    Ok(Manifest {
        entries,
        skipped_symlinks,
    })
}

/// The regular files under `root`, by an explicit stack rather than recursion, so that a deep
/// tree cannot exhaust the stack. Links are never followed, so the walk cannot loop or leave
/// the directory.
fn walk(root: &Path, symlinks: Symlinks) -> Result<(Vec<Found>, Vec<String>), CliError> {
    let unreadable = |path: &Path, e: io::Error| {
        CliError::Input(format!(
            "cannot read {}: {e}; every file of the dataset must be readable",
            path.display()
        ))
    };
    let metadata = fs::metadata(root).map_err(|e| unreadable(root, e))?;
    if !metadata.is_dir() {
        return Err(CliError::Input(format!(
            "{} is not a directory: pass the dataset's directory (for a single file, `sha256sum FILE` gives its digest)",
            root.display()
        )));
    }
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        for item in fs::read_dir(&dir).map_err(|e| unreadable(&dir, e))? {
            let item = item.map_err(|e| unreadable(&dir, e))?;
            let absolute = item.path();
            let name = relative_name(&item.file_name(), &absolute)?;
            let path = format!("{prefix}{name}");
            let kind = item.file_type().map_err(|e| unreadable(&absolute, e))?;
            if kind.is_dir() {
                pending.push((absolute, format!("{path}/")));
            } else if kind.is_file() {
                let size = item.metadata().map_err(|e| unreadable(&absolute, e))?.len();
                found.push(Found {
                    path,
                    absolute,
                    size,
                });
            } else if kind.is_symlink() {
                match symlinks {
                    Symlinks::Skip => skipped.push(path),
                    Symlinks::Refuse => {
                        return Err(CliError::Input(format!(
                            "{} is a symbolic link: links are not followed, since their targets may lie outside the directory; replace it with the file, or pass --skip-symlinks to leave links out",
                            absolute.display()
                        )));
                    }
                }
            } else {
                return Err(CliError::Input(format!(
                    "{} is not a regular file (a device, socket or pipe): remove it from the dataset's directory",
                    absolute.display()
                )));
            }
        }
    }
    skipped.sort_by(|a: &String, b| a.as_bytes().cmp(b.as_bytes()));
    Ok((found, skipped))
}

/// A file name as the manifest writes it: UTF-8, and without control characters, which would
/// break the one-line-per-file text (a newline) or hide in it.
fn relative_name(name: &std::ffi::OsStr, absolute: &Path) -> Result<String, CliError> {
    let Some(name) = name.to_str() else {
        return Err(CliError::Input(format!(
            "the file name {} is not UTF-8: the manifest names files in UTF-8; rename it",
            absolute.display()
        )));
    };
    if name.chars().any(char::is_control) {
        return Err(CliError::Input(format!(
            "the file name {:?} (in {}) holds a control character such as a newline: the manifest has one line per file; rename it",
            name,
            absolute.parent().unwrap_or(absolute).display()
        )));
    }
    Ok(name.to_owned())
}

/// Hashes every file on a pool of threads; the answer is in `files`' order.
fn hash_all(files: &[Found], show_progress: bool) -> Result<Vec<(u64, [u8; 32])>, CliError> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(files.len());
    // Largest first: a large file taken last would leave the other threads idle.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));

    // A reading thread for a large file needs a core of its own, which it has only while large
    // files are fewer than the cores.
    let large_files = files
        .iter()
        .filter(|f| f.size >= PIPELINE_FROM_BYTES)
        .count();
    let pipeline = large_files < cores;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let hashed_bytes = AtomicU64::new(0);
    let hashed_files = AtomicUsize::new(0);
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();

    let outcomes = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut buffer = vec![0u8; READ_BYTES];
                    let mut results = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let file = &files[index];
                        let outcome = if pipeline && file.size >= PIPELINE_FROM_BYTES {
                            hash_file_pipelined(&file.absolute, &hashed_bytes)
                        } else {
                            hash_file(&file.absolute, &mut buffer, &hashed_bytes)
                        };
                        if outcome.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        hashed_files.fetch_add(1, Ordering::Relaxed);
                        results.push((index, outcome));
                    }
                    results
                })
            })
            .collect();
        if show_progress {
            scope.spawn(|| {
                let started = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    thread::sleep(PROGRESS_EVERY);
                    draw_progress(
                        hashed_bytes.load(Ordering::Relaxed),
                        total_bytes,
                        hashed_files.load(Ordering::Relaxed),
                        files.len(),
                        started.elapsed(),
                    );
                }
                // Erases the line, so that what follows starts clean.
                let _ = write!(io::stderr(), "\r\x1b[2K");
            });
        }
        let outcomes: Vec<_> = workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect();
        done.store(true, Ordering::Relaxed);
        outcomes
    });

    let mut hashes: Vec<Option<(u64, [u8; 32])>> = vec![None; files.len()];
    let mut first_error: Option<(usize, CliError)> = None;
    for (index, outcome) in outcomes {
        match outcome {
            Ok(hash) => hashes[index] = Some(hash),
            // The first in path order, so that the same directory always reports the same file.
            Err(e) if first_error.as_ref().is_none_or(|(i, _)| index < *i) => {
                first_error = Some((index, e));
            }
            Err(_) => {}
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    hashes
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            CliError::BadAnswer("a hashing thread stopped before its files were done".into())
        })
}

/// Streams one file through SHA-256; the size is what was read, so that it always matches the
/// hash even if the file changed since the walk.
fn hash_file(
    path: &Path,
    buffer: &mut [u8],
    progress: &AtomicU64,
) -> Result<(u64, [u8; 32]), CliError> {
    let unreadable = |e: io::Error| {
        CliError::Input(format!(
            "cannot read {}: {e}; every file of the dataset must be readable",
            path.display()
        ))
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let read = match file.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unreadable(e)),
        };
        hasher.update(&buffer[..read]);
        size += read as u64;
        progress.fetch_add(read as u64, Ordering::Relaxed);
    }
    Ok((size, hasher.finalize().into()))
}

/// [`hash_file`] with the reading on a second thread, handing over [`CHUNK_BYTES`] at a time.
fn hash_file_pipelined(path: &Path, progress: &AtomicU64) -> Result<(u64, [u8; 32]), CliError> {
    let unreadable = |e: io::Error| {
        CliError::Input(format!(
            "cannot read {}: {e}; every file of the dataset must be readable",
            path.display()
        ))
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let (full_sender, full) = mpsc::sync_channel::<io::Result<Vec<u8>>>(CHUNKS);
    let (empty_sender, empty) = mpsc::channel::<Vec<u8>>();
    for _ in 0..CHUNKS {
        // Cannot fail: the receiver is alive.
        let _ = empty_sender.send(vec![0; CHUNK_BYTES]);
    }
    thread::scope(|scope| {
        scope.spawn(move || {
            // Ends at the end of the file, on an error, or when the hasher has gone (its
            // channels closed): it never outlives the scope.
            while let Ok(mut chunk) = receive(&empty) {
                chunk.resize(CHUNK_BYTES, 0);
                let mut filled = 0;
                while filled < CHUNK_BYTES {
                    let end = (filled + READ_BYTES).min(CHUNK_BYTES);
                    match file.read(&mut chunk[filled..end]) {
                        Ok(0) => break,
                        Ok(read) => filled += read,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = full_sender.send(Err(e));
                            return;
                        }
                    }
                }
                chunk.truncate(filled);
                if full_sender.send(Ok(chunk)).is_err() || filled < CHUNK_BYTES {
                    return;
                }
            }
        });
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Ok(chunk) = receive(&full) {
            let chunk = chunk.map_err(unreadable)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            // The reader may have finished; then the chunk is simply dropped.
            let _ = empty_sender.send(chunk);
        }
        Ok((size, hasher.finalize().into()))
    })
}

/// The next message, polled for [`POLL_FOR`] before sleeping until it comes: a sender wakes a
/// sleeping receiver, which is slow here, but not a polling one.
fn receive<T>(from: &mpsc::Receiver<T>) -> Result<T, mpsc::RecvError> {
    let started = Instant::now();
    loop {
        match from.try_recv() {
            Ok(message) => return Ok(message),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::TryRecvError::Empty) if started.elapsed() < POLL_FOR => {
                std::hint::spin_loop();
            }
            Err(mpsc::TryRecvError::Empty) => return from.recv(),
        }
    }
}

fn draw_progress(bytes: u64, total: u64, files: usize, total_files: usize, elapsed: Duration) {
    let percent = (bytes * 100).checked_div(total).unwrap_or(100);
    let rate = bytes as f64 / elapsed.as_secs_f64().max(0.001) / 1e6;
    let _ = write!(
        io::stderr(),
        "\r\x1b[2Khashing: {percent:>3}%  {} of {} MB  {files} of {total_files} files  {rate:.0} MB/s",
        bytes / 1_000_000,
        total / 1_000_000,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, bytes: &[u8]) {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).expect("a temporary directory");
        }
        fs::write(full, bytes).expect("a temporary file");
    }

    #[test]
    fn the_digest_is_sha256_over_sorted_lines() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        write(dir.path(), "b.txt", b"bee");
        write(dir.path(), "a/z.bin", b"");
        write(dir.path(), "a.txt", b"ay");
        let manifest = build(dir.path(), Symlinks::Refuse, false).expect("a manifest");
        let paths: Vec<&str> = manifest.entries.iter().map(|e| e.path.as_str()).collect();
        // `.` (0x2e) sorts before `/` (0x2f): byte order, not a directory walk's order.
        assert_eq!(paths, ["a.txt", "a/z.bin", "b.txt"]);
        let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
        let text = format!(
            "{}  2  a.txt\n{}  0  a/z.bin\n{}  3  b.txt\n",
            sha(b"ay"),
            sha(b""),
            sha(b"bee")
        );
        assert_eq!(manifest.text(), text);
        assert_eq!(
            manifest.digest(),
            format!("sha256:{}", sha(text.as_bytes()))
        );
        assert_eq!(manifest.total_bytes(), 5);
    }

    #[test]
    fn files_larger_than_one_read_hash_whole() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let bytes: Vec<u8> = (0..READ_BYTES * 3 + 17).map(|i| (i % 251) as u8).collect();
        write(dir.path(), "big", &bytes);
        let manifest = build(dir.path(), Symlinks::Refuse, false).expect("a manifest");
        assert_eq!(manifest.entries[0].size, bytes.len() as u64);
        assert_eq!(
            manifest.entries[0].sha256,
            <[u8; 32]>::from(Sha256::digest(&bytes))
        );
    }

    #[test]
    fn large_files_hash_the_same_on_two_threads() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // Not a whole number of chunks, so that the last one is short.
        let len = PIPELINE_FROM_BYTES as usize + CHUNK_BYTES / 2 + 3;
        let bytes: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
        let path = dir.path().join("big");
        fs::write(&path, &bytes).expect("a temporary file");
        let progress = AtomicU64::new(0);
        let (size, hash) = hash_file_pipelined(&path, &progress).expect("readable");
        assert_eq!(size, len as u64);
        assert_eq!(progress.load(Ordering::Relaxed), len as u64);
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(&bytes)));
        let exact = &bytes[..CHUNK_BYTES * 16];
        fs::write(&path, exact).expect("a temporary file");
        let (size, hash) = hash_file_pipelined(&path, &progress).expect("readable");
        assert_eq!(size, exact.len() as u64);
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(exact)));
    }

    #[test]
    fn control_characters_in_names_are_refused() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        write(dir.path(), "two\nlines", b"x");
        let error = build(dir.path(), Symlinks::Refuse, false).expect_err("refused");
        assert!(error.to_string().contains("control character"), "{error}");
    }
}
