//! The provenance-registry API as Rust types: what the server serves and its clients call.
//!
//! - [`v1`]: the messages and service stubs of package `provenance.v1`, generated from
//!   `proto/provenance/v1/` at build time (prost and tonic). Every message also implements
//!   `serde::Serialize` and `Deserialize` in the proto3 canonical JSON mapping (pbjson): field
//!   names in lowerCamelCase, enums by name, 64-bit integers as strings, `Timestamp` as RFC 3339,
//!   `Duration` as `"3600s"`, default values left out, as protobuf's own JSON printers in other
//!   languages write them.
//! - [`wkt`]: the well-known types (`Timestamp`, `Duration`) the messages use, with the same
//!   mapping.
//! - [`FILE_DESCRIPTOR_SET`]: the encoded descriptors, for gRPC server reflection.
//! - [`certificate`]: a lineage certificate's claims and the checks any verifier makes without the
//!   registry, by name: the registry's `VerifyCertificate` and `provctl cert verify --offline` both
//!   run them from here.
//! - [`policies`]: the built-in policy files, so that a client shows the clause a certificate
//!   names without the registry.
//! - [`event_chain`]: the hash rule of the event log, with which anyone holding events (a bundle, a
//!   `WatchEvents` stream) recomputes and links their hashes.

/// Package `provenance.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("provenance.v1");
    include!(concat!(env!("OUT_DIR"), "/provenance.v1.serde.rs"));
}

pub mod certificate;
pub mod event_chain;
pub mod policies;
pub mod status_list;
pub mod wkt;

/// Encoded descriptors of the API, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("provenance_descriptor");

#[cfg(test)]
mod tests;
