//! HTML for people: the certificate document attached to contracts and the public verification
//! page, with the lineage drawn as inline SVG. Pure functions from facts to markup; every string
//! they did not write themselves goes through [`html::escape`]. The HTTP handlers that serve the
//! page are in [`crate::http`]; `provctl cert render` writes the document.

pub mod certificate_html;
pub mod extract;
pub mod html;
pub mod lineage_svg;
pub mod verify_page;
