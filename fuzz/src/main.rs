//! A mutation fuzzer for the targets of this crate, on stable Rust: starting from each target's
//! seeds (and the files of `--corpus DIR`), it flips, inserts, deletes, duplicates and splices
//! bytes, runs the target on each result, and on a panic writes the input that caused it to
//! `crash-<target>-<n>` and exits with status 1.
//!
//! It is a blind mutator: it has no coverage signal (stable Rust gives none without an
//! instrumented build), so it does not keep the inputs that reach new code; it mutates the seeds
//! and the corpus only. The same seed gives the same inputs, so a run is repeated exactly with its
//! `--seed`, which it prints first.
//!
//! ```sh
//! cargo run --release -p provenance-fuzz -- access_token --iterations 10000000
//! cargo run --release -p provenance-fuzz -- all --iterations 100000 --seed 42
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;

use provenance_fuzz::{TARGETS, Target};

/// Inputs never grow past this, so that a run stays fast and bounded.
const MAX_INPUT: usize = 64 * 1024;

/// xorshift64*: deterministic for a seed, which is all a mutator needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make parsers take their other branches.
const INTERESTING: &[&[u8]] = &[
    b".",
    b"=",
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\n",
    b"\0",
    b"-",
    b"+",
    b"/",
    b"~",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xae",
    b"9999999999999999999999",
    b"-1",
    b"null",
    b"true",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(6) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                input.splice(at..at, piece.iter().copied());
            }
            2 if !input.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(input.len());
                input.drain(at.min(end)..end);
            }
            3 if !input.is_empty() => {
                let start = rng.below(input.len());
                let end = (start + 1 + rng.below(64)).min(input.len());
                let piece = input[start..end].to_vec();
                input.splice(at..at, piece);
            }
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(other.len() + 1);
                input.truncate(at);
                input.extend_from_slice(&other[cut..]);
            }
            _ => input.truncate(at),
        }
    }
    input.truncate(MAX_INPUT);
}

/// Fuzzes `target` for `iterations` inputs; the input that made it panic, if any.
fn fuzz(target: &Target, corpus: &[Vec<u8>], iterations: u64, seed: u64) -> Option<Vec<u8>> {
    let mut inputs = (target.seeds)();
    inputs.extend_from_slice(corpus);
    let mut rng = Rng(seed | 1);
    for input in &inputs {
        if catch_unwind(AssertUnwindSafe(|| (target.run)(input))).is_err() {
            return Some(input.clone());
        }
    }
    for _ in 0..iterations {
        let mut input = inputs[rng.below(inputs.len())].clone();
        mutate(&mut rng, &mut input, &inputs);
        if catch_unwind(AssertUnwindSafe(|| (target.run)(&input))).is_err() {
            return Some(input);
        }
    }
    None
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        eprintln!(
            "usage: provenance-fuzz TARGET|all [--iterations N] [--seed S] [--corpus DIR]\ntargets: {}",
            TARGETS
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(2);
    };
    let (mut iterations, mut seed, mut corpus_dir) = (100_000u64, 0x5eed_u64, None::<PathBuf>);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--iterations" => iterations = value.parse().unwrap_or(iterations),
            "--seed" => seed = value.parse().unwrap_or(seed),
            "--corpus" => corpus_dir = Some(PathBuf::from(value)),
            other => {
                eprintln!("unknown option {other}");
                return ExitCode::from(2);
            }
        }
    }
    let corpus: Vec<Vec<u8>> = corpus_dir
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .collect();
    let targets: Vec<&Target> = TARGETS
        .iter()
        .filter(|t| name == "all" || t.name == name)
        .collect();
    if targets.is_empty() {
        eprintln!("no target named {name}");
        return ExitCode::from(2);
    }
    println!("seed {seed} (blind mutation: no coverage signal)");
    // The panics are expected to be caught and reported here, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    for target in targets {
        if let Some(input) = fuzz(target, &corpus, iterations, seed) {
            let path = format!("crash-{}-{seed}", target.name);
            let _ = std::fs::write(&path, &input);
            eprintln!("{}: panicked; the input is in {path}", target.name);
            return ExitCode::FAILURE;
        }
        println!("{}: {iterations} inputs, no panic", target.name);
    }
    ExitCode::SUCCESS
}
