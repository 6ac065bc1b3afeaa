//! A QR code as inline SVG, for the verification address on a certificate's first page: a phone
//! opens the registry's page for this certificate without typing its id.

use qrcode::{Color, EcLevel, QrCode};

use crate::html::escape;

/// Modules of white border around the code, as the QR standard asks, so that scanners find it.
const QUIET_ZONE: usize = 4;

/// `text` as a QR code (error correction level M), drawn as an `<svg>` element whose dark modules
/// are one path; its title says what it holds. A text too long for any QR code gives a note
/// instead.
pub fn svg(text: &str) -> String {
    let code = match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code,
        Err(_) => return "<span class=\"note\">(too long for a QR code)</span>".into(),
    };
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                // One rectangle per run of dark modules in a row keeps the path short.
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr-code\" role=\"img\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\"><title>QR code of {}</title><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
        escape(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_address_becomes_a_square_code_with_a_quiet_zone() {
        let url =
            "https://registry.example/verify?certificate=0192f0c1-7a2b-7c3d-8e4f-0123456789ab";
        let svg = svg(url);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(&format!("<title>QR code of {url}</title>")));
        // 78 bytes at level M need version 5: 37 modules, 45 with the quiet zone.
        assert!(svg.contains("viewBox=\"0 0 45 45\""), "{svg}");
        // The finder pattern's top row: seven dark modules from the quiet zone's edge.
        assert!(svg.contains("M4 4h7v1h-7z"));
    }

    #[test]
    fn hostile_text_is_escaped_and_an_impossible_one_is_said() {
        assert!(!svg("\"><script>").contains("<script>"));
        assert!(svg(&"x".repeat(5000)).contains("too long"));
    }
}
