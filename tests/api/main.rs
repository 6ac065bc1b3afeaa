//! Black-box tests of the gRPC API: each test starts the real server on a free port with its own
//! data directory and talks to it over gRPC. Set `TEST_LOG=1` to see the server's log.

mod auth;
mod certificates;
mod datasets;
mod events;
mod helpers;
mod isolation;
mod limits;
mod lineage;
mod log;
mod organizations;
mod policies;
mod process;
mod tls;
