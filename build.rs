//! Compiles the API in `proto/` into Rust, plus the descriptor set that server reflection serves.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh machine has no protoc: take the vendored one unless the builder chose their own.
    if env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
        unsafe { env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let protos = [
        "proto/provenance/v1/common.proto",
        "proto/provenance/v1/organization.proto",
        "proto/provenance/v1/dataset.proto",
        "proto/provenance/v1/lineage.proto",
        "proto/provenance/v1/event.proto",
        "proto/provenance/v1/policy.proto",
        "proto/provenance/v1/attestation.proto",
        "proto/provenance/v1/certificate.proto",
        "proto/provenance/v1/log.proto",
    ];
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("provenance_descriptor.bin"))
        .compile_protos(&protos, &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
