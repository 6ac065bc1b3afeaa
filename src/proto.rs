//! The API's wire types and service stubs: the `provenance-api` crate, which the clients share.

pub use provenance_api::{FILE_DESCRIPTOR_SET, v1, wkt};
