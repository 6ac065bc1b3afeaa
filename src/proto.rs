//! The API's wire types and service stubs, generated from `proto/provenance/v1/` at build time.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// Package `provenance.v1`.
pub mod v1 {
    tonic::include_proto!("provenance.v1");
}

/// Encoded descriptors of the API, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("provenance_descriptor");
