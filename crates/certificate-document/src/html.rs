//! The one escaping function every interpolated string goes through, and the pieces of markup and
//! style the certificate document and the verification page share.

use chrono::{DateTime, SecondsFormat, Utc};

/// Escapes `text` for HTML and SVG text and for double- or single-quoted attribute values.
///
/// Every string that did not come from this program's own source (names, tokens, reasons, URIs)
/// goes through here before it reaches markup. Control characters other than tab and newline
/// become U+FFFD, and characters that change the direction of text are written out as
/// `\u{...}`, so that nothing invisible reaches a reader or an XML parser and a name cannot make
/// the text after it read backwards.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when shortened (not escaped).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A time for people and machines alike: RFC 3339 in UTC, to the second.
pub fn time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time given in seconds since the epoch, as tokens carry it.
pub fn epoch(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(|| format!("{seconds} (out of range)"), time)
}

/// The Content-Security-Policy of a document opened from a file: no scripts, no fetches, only its
/// own inline styles. (`frame-ancestors` and `form-action` only work as headers; the server sends
/// them.)
pub const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// Styles shared by the certificate document and the verification page: readable on screen,
/// printable on A4 without cutting tables or the lineage picture, and status conveyed by words as
/// well as colour.
pub const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #111;
  margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; border: 1px solid #bbb; padding: .25rem .45rem; }
th { background: #f0f0f0; width: 14rem; }
thead th { width: auto; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em; }
td, .mono { overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; border: 1px solid #ccc;
  padding: .5rem; margin: .3rem 0 .8rem; }
blockquote { margin: .3rem 0 .8rem; padding: .4rem .8rem; border-left: 4px solid #555; background: #fafafa; }
.verdict { display: inline-block; font-weight: bold; padding: .2rem .6rem; border: 2px solid; border-radius: .3rem; }
.ok { color: #0a5c1a; border-color: #0a5c1a; background: #e8f5ea; }
.bad { color: #8b0000; border-color: #8b0000; background: #fdeaea; }
.neutral { color: #333; border-color: #666; background: #f2f2f2; }
.pass { color: #0a5c1a; font-weight: bold; }
.fail { color: #8b0000; font-weight: bold; }
.note { color: #444; font-size: .92em; }
.lineage { display: block; margin: 0 auto; max-width: 100%; height: auto; border: 1px solid #ccc; background: #fff; }
table.checks th[scope=row] { width: 8rem; }
table.checks td.result { width: 8rem; white-space: nowrap; }
form { margin: 1rem 0; }
label { display: block; font-weight: bold; margin: .8rem 0 .2rem; }
textarea, input[type=text] { width: 100%; box-sizing: border-box; font-family: monospace; font-size: .9rem; padding: .4rem; }
button { margin-top: .8rem; font-size: 1rem; padding: .4rem 1.2rem; }
.hint { font-weight: normal; color: #444; font-size: .9em; }
fieldset { border: 1px solid #bbb; margin: 1rem 0; padding: .5rem 1rem 1rem; }
legend { font-weight: bold; padding: 0 .3rem; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  table, tr, figure, blockquote, pre, svg { break-inside: avoid; }
  thead { display: table-header-group; }
  .lineage { max-height: 230mm; border: none; }
  .screen-only { display: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A complete HTML document: `title` (escaped here), `body` (markup, already escaped).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        csp = DOCUMENT_CSP,
        title = escape(title),
    )
}

/// A two-column table of labelled rows; each value is markup, already escaped.
pub fn facts_table(caption: &str, rows: &[(&str, String)]) -> String {
    let mut out = format!(
        "<table class=\"facts\">\n<caption class=\"note\">{}</caption>\n",
        escape(caption)
    );
    for (label, value) in rows {
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{value}</td></tr>\n",
            escape(label)
        ));
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn control_characters_are_replaced_but_text_stays() {
        assert_eq!(
            escape("a\u{0}b\u{1b}c\nd\u{202e}é"),
            "a\u{FFFD}b\u{FFFD}c\nd\\u{202e}é"
        );
    }

    #[test]
    fn shortening_counts_characters_not_bytes() {
        assert_eq!(shorten("ééééé", 5), "ééééé");
        assert_eq!(shorten("éééééé", 5), "éééé…");
    }

    #[test]
    fn the_title_of_a_document_is_escaped_and_scripts_are_forbidden() {
        let page = document("<b>", "<p>x</p>");
        assert!(page.contains("<title>&lt;b&gt;</title>"));
        assert!(page.contains("default-src 'none'"));
        assert!(page.contains("@page { size: A4"));
    }
}
