//! Compiles the API in `proto/` into Rust, the descriptor set that server reflection serves, and
//! from that set the proto3 canonical JSON mapping of every message (pbjson).

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh machine has no protoc: take the vendored one unless the builder chose their own.
    if env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
        unsafe { env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("provenance_descriptor.bin");
    let protos: Vec<PathBuf> = [
        "common",
        "organization",
        "dataset",
        "lineage",
        "event",
        "policy",
        "attestation",
        "certificate",
        "log",
        "webhook",
    ]
    .iter()
    .map(|name| root.join(format!("provenance/v1/{name}.proto")))
    .collect();
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        // The well-known types, with the same JSON mapping (see `wkt`).
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "crate::wkt")
        .compile_protos(&protos, std::slice::from_ref(&root))?;
    let descriptors = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)?
        .build(&[".provenance.v1"])?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
