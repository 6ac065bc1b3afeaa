//! `status-list`: building one token status list of `--status-list-size` certificates with 1 %
//! revoked at random positions, as the registry builds each list it publishes (the bit array, its
//! ZLIB compression and base64url; the registry adds one SELECT of the revoked positions and one
//! Ed25519 signature). No calls: it reports the list's size and the build time, best of three.

use std::time::{Duration, Instant};

use provenance_api::status_list::{decode_list, encode_list};
use serde_json::{Value, json};

use crate::rng::Rng;

/// Share of certificates revoked in the list built.
const REVOKED_PER_MILLE: u64 = 10;

/// What `status-list` measured.
pub struct StatusListReport {
    size: u64,
    revoked: u64,
    raw_bytes: u64,
    compressed_bytes: u64,
    lst_chars: usize,
    build: Duration,
    decode: Duration,
}

/// Builds the list three times and keeps the fastest.
pub fn run(size: u64, seed: u64) -> anyhow::Result<StatusListReport> {
    eprintln!("provbench: status-list: a list of {size} certificates, 1 % revoked");
    let mut rng = Rng(seed);
    let revoked_count = size * REVOKED_PER_MILLE / 1000;
    let mut revoked: Vec<u64> = (0..revoked_count)
        .map(|_| rng.below(size as usize) as u64)
        .collect();
    revoked.sort_unstable();
    revoked.dedup();
    let mut best = Duration::MAX;
    let mut list = encode_list(size, []);
    for _ in 0..3 {
        let start = Instant::now();
        list = encode_list(size, revoked.iter().copied());
        best = best.min(start.elapsed());
    }
    let start = Instant::now();
    let bytes = decode_list(&list)?;
    let decode = start.elapsed();
    anyhow::ensure!(
        bytes.len() as u64 == size.div_ceil(8),
        "the list decodes to another size"
    );
    Ok(StatusListReport {
        size,
        revoked: revoked.len() as u64,
        raw_bytes: size.div_ceil(8),
        compressed_bytes: (list.lst.len() as u64 * 3) / 4,
        lst_chars: list.lst.len(),
        build: best,
        decode,
    })
}

impl StatusListReport {
    pub fn describe(&self) -> String {
        format!(
            "status-list: {} certificates, {} revoked: {} bytes of bits, {} bytes compressed \
             ({} base64url characters in the token); built in {:.1} ms (best of 3), decoded in \
             {:.1} ms",
            self.size,
            self.revoked,
            self.raw_bytes,
            self.compressed_bytes,
            self.lst_chars,
            self.build.as_secs_f64() * 1e3,
            self.decode.as_secs_f64() * 1e3
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "certificates": self.size,
            "revoked": self.revoked,
            "raw_bytes": self.raw_bytes,
            "compressed_bytes": self.compressed_bytes,
            "lst_chars": self.lst_chars,
            "build_ms": (self.build.as_secs_f64() * 1e6).round() / 1e3,
            "decode_ms": (self.decode.as_secs_f64() * 1e6).round() / 1e3,
        })
    }
}
