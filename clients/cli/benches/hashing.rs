//! How fast `provctl digest` hashes a dataset, against `openssl dgst -sha256` on the same files.
//!
//! In one go: writes test data to a temporary directory (one large file; many files of equal
//! size), runs each tool once to bring the data into the page cache, then times each several
//! times, alternating the two, and prints MB/s (10^6 bytes a second, median of the runs) and
//! provctl's rate over openssl's. On many files, openssl hashes them all in one process, one after the other: the
//! baseline a single `openssl dgst` gives.
//!
//! ```sh
//! cargo bench -p provctl --bench hashing
//! ```
//!
//! Sizes from the environment: `HASH_BENCH_LARGE_MIB` (default 1024), `HASH_BENCH_FILES` (2000),
//! `HASH_BENCH_FILE_KIB` (512), `HASH_BENCH_RUNS` (5). The data goes where `TMPDIR` says.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn setting(name: &str, default: u64) -> BenchResult<u64> {
    match std::env::var(name) {
        Ok(text) => Ok(text.parse().map_err(|e| format!("{name}={text}: {e}"))?),
        Err(_) => Ok(default),
    }
}

/// Writes `bytes` of pseudo-random data (xorshift: cheap, and not a run of zeros a file system
/// could store sparsely).
fn write_file(path: &Path, bytes: u64, seed: u64) -> BenchResult {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state = seed | 1;
    let mut block = vec![0u8; 1 << 16];
    let mut left = bytes;
    while left > 0 {
        for chunk in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let take = left.min(block.len() as u64) as usize;
        out.write_all(&block[..take])?;
        left -= take as u64;
    }
    out.flush()?;
    Ok(())
}

/// Runs a command to its end, its output discarded; fails if it fails.
fn run(command: &mut Command) -> BenchResult<Duration> {
    let started = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()?;
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(format!("{command:?} failed: {status}").into());
    }
    Ok(elapsed)
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Median MB/s of `runs` timed runs of each command, after one untimed run of each that warms
/// the page cache. The two alternate, so that whatever else the machine does weighs on both.
fn rates(
    bytes: u64,
    runs: u64,
    mut baseline: impl FnMut() -> Command,
    mut ours: impl FnMut() -> Command,
) -> BenchResult<(f64, f64)> {
    run(&mut baseline())?;
    run(&mut ours())?;
    let mb_per_s = |elapsed: Duration| bytes as f64 / elapsed.as_secs_f64() / 1e6;
    let (mut theirs, mut mine) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        theirs.push(mb_per_s(run(&mut baseline())?));
        mine.push(mb_per_s(run(&mut ours())?));
    }
    Ok((median(theirs), median(mine)))
}

fn provctl(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provctl"));
    command.args(["digest", "-q"]).arg(dir);
    command
}

fn openssl(files: &[PathBuf]) -> Command {
    let mut command = Command::new("openssl");
    command.args(["dgst", "-sha256"]).args(files);
    command
}

fn main() -> BenchResult {
    let large_mib = setting("HASH_BENCH_LARGE_MIB", 1024)?;
    let file_count = setting("HASH_BENCH_FILES", 2000)?;
    let file_kib = setting("HASH_BENCH_FILE_KIB", 512)?;
    let runs = setting("HASH_BENCH_RUNS", 5)?.max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let root = tempfile::tempdir()?;
    let large_dir = root.path().join("large");
    let many_dir = root.path().join("many");
    fs::create_dir(&large_dir)?;
    fs::create_dir(&many_dir)?;
    let large = large_dir.join("large.bin");
    let large_bytes = large_mib << 20;
    eprintln!(
        "writing {large_mib} MiB and {file_count} x {file_kib} KiB to {} ...",
        root.path().display()
    );
    write_file(&large, large_bytes, 0x9e37_79b9_7f4a_7c15)?;
    let mut many = Vec::new();
    for i in 0..file_count {
        let path = many_dir.join(format!("part-{i:05}.bin"));
        write_file(&path, file_kib << 10, i + 1)?;
        many.push(path);
    }
    let many_bytes = file_count * (file_kib << 10);

    let openssl_version = Command::new("openssl").arg("version").output()?;
    println!(
        "hashing benchmark: {threads} hardware thread(s), {}, median of {runs} run(s) after one warm-up run",
        String::from_utf8_lossy(&openssl_version.stdout).trim()
    );
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "data", "openssl MB/s", "provctl MB/s", "ratio"
    );
    let cases = [
        (
            format!("1 file of {large_mib} MiB"),
            large_bytes,
            vec![large.clone()],
            large_dir,
        ),
        (
            format!("{file_count} files of {file_kib} KiB"),
            many_bytes,
            many,
            many_dir,
        ),
    ];
    for (name, bytes, files, dir) in &cases {
        let (baseline, ours) = rates(*bytes, runs, || openssl(files), || provctl(dir))?;
        println!(
            "{name:<34} {baseline:>12.0} {ours:>12.0} {:>7.2}x",
            ours / baseline
        );
    }
    Ok(())
}
