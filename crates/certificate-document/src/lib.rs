//! A lineage certificate as a document for people. Pure functions from facts to markup; every
//! string they did not write themselves goes through [`html::escape`].
//!
//! - [`certificate_html`]: the self-contained HTML document attached to contracts (`provctl cert
//!   render`), whose sections the registry's public verification page reuses;
//! - [`lineage_svg`]: the lineage drawn as inline SVG;
//! - [`html`]: escaping, measuring and shortening, how ids, hashes and names are set, and the
//!   shared fragments and styles;
//! - [`qr`]: the QR code of the verification address;
//! - [`extract`]: reading a certificate's token back out of an uploaded file (a token, a bundle or
//!   a rendered document).

pub mod certificate_html;
pub mod extract;
pub mod html;
pub mod lineage_svg;
pub mod qr;
