//! HTML for people: the public verification page. The certificate document, the lineage picture
//! and the shared HTML helpers are the `certificate-document` crate's (provctl renders the same
//! document), re-exported here. Every string the page did not write itself goes through
//! [`html::escape`]. The HTTP handlers that serve the page are in [`crate::http`].

pub use certificate_document::{certificate_html, extract, html, lineage_svg};

pub mod verify_page;
