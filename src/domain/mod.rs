//! Domain rules, free of I/O and of wire types: validation, access, registration, lineage, events.

pub mod access;
pub mod dataset;
pub mod digest;
pub mod event;
pub mod lineage;
pub mod paging;
pub mod registration;
pub mod text;
