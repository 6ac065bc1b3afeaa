//! Black-box tests of the gRPC API: each test starts the real server on a free port with its own
//! data directory and talks to it over gRPC. Set `TEST_LOG=1` to see the server's log.
//!
//! The suite runs on SQLite by default; `TEST_API_BACKEND=postgres` with `TEST_POSTGRES_URL` set runs
//! it on PostgreSQL, each test in a fresh database of its own.

mod attestation_policies;
mod auth;
mod backups;
mod batches;
mod certificates;
mod command_line;
mod crash;
mod datasets;
mod dsse;
mod events;
mod exports;
mod gateway;
mod helpers;
mod hsm;
mod ids;
mod integers;
mod isolation;
mod licenses;
mod limits;
mod lineage;
mod load;
mod log;
mod metrics;
mod multi_policy;
mod multi_policy_certificates;
mod openlineage;
mod operator;
mod organizations;
mod policies;
mod process;
mod replicas;
mod routing;
mod secrets;
mod status_lists;
#[path = "../support/postgres.rs"]
mod support_postgres;
mod tiles;
mod tls;
mod traces;
mod verify_page;
mod webhooks;
