//! provenance-registry: a gRPC registry of training-data lineage, attestations and signed lineage
//! certificates.
//!
//! A tour, from the wire inwards:
//!
//! - [`server`] binds the port and serves gRPC with health and reflection; [`config`] is the command
//!   line; [`admin`] holds the operator's commands, [`backup`] their backups, restores and checks;
//!   [`telemetry`] sets up logging and OTLP traces; [`metrics`] keeps the counters and gauges
//!   served on `--metrics-listen`.
//! - [`grpc`] has one thin handler file per service, converting wire messages ([`proto`]) into
//!   domain types and errors ([`error`]) into statuses.
//! - [`registry`] holds the use cases: rights, rules and storage calls, plus group commit of
//!   registrations and the live event feed.
//! - [`auth`] turns a bearer token into a caller; [`key_file`] keeps secrets in the data directory;
//!   [`jwt_crypto`] is the only cryptography jsonwebtoken signs and verifies with;
//!   [`signing_keys`] and [`log_key`] sign with keys in files or, through [`pkcs11`], in a
//!   hardware security module.
//! - [`domain`] holds the rules, free of I/O: validation, access, registration, lineage, events.
//! - [`store`] is the storage interface and its SQLite implementation.
//! - [`http`] serves the public certificate verification page beside gRPC; [`web`] renders it and
//!   the certificate document for contracts (pure HTML and SVG).
//! - [`webhook_sender`] posts webhook deliveries without reaching into private networks; the
//!   outbox behind it is in [`registry::webhook_delivery`] and the stores.

pub mod admin;
pub mod auth;
pub mod backup;
pub mod call_limit;
pub mod call_log;
pub mod config;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod grpc;
pub mod http;
pub mod jwt_crypto;
pub mod key_file;
pub mod key_record;
pub mod log_key;
pub mod metrics;
pub mod pkcs11;
pub mod policy_dir;
pub mod proto;
pub mod registry;
pub mod server;
pub mod signature_batch;
pub mod signing_keys;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;
pub mod webhook_sender;
