//! Domain rules, free of I/O and of wire types: validation, access, registration, lineage, events.

pub mod access;
pub mod attestation;
pub mod certificate;
pub mod dataset;
pub mod digest;
pub mod evaluation;
pub mod event;
pub mod export;
pub mod key_record;
pub mod license;
pub mod lineage;
pub mod model_name;
pub mod openlineage;
pub mod paging;
pub mod policy;
pub mod public_lineage;
pub mod refusal;
pub mod registration;
pub mod status_list;
pub mod text;
pub mod transparency;
pub mod webhook;
