//! The one escaping function every interpolated string goes through, how wide a text is drawn
//! (for shortening labels to the room they have), how ids, hashes, names and times are set for a
//! reader, and the pieces of markup and style the certificate document and the verification page
//! share.

use chrono::{DateTime, SecondsFormat, Utc};
use unicode_script::{Script, UnicodeScript};

/// What a reader is shown of `text`: control characters other than tab and newline become
/// U+FFFD, and characters that change the direction of text are written out as `\u{...}`, so
/// that nothing invisible reaches a reader or an XML parser and a name cannot make the text after
/// it read backwards. Not escaped for markup: [`escape`] does both.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_direction_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escapes `text` for HTML and SVG text and for double- or single-quoted attribute values, after
/// making it [`visible`].
///
/// Every string that did not come from this program's own source (names, tokens, reasons, URIs)
/// goes through here before it reaches markup.
pub fn escape(text: &str) -> String {
    markup(&visible(text))
}

/// Escapes text that is already [`visible`] for markup.
fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Advance widths of DejaVu Sans Bold for U+0020..U+007E, in thousandths of an em (measured in
/// Chromium); the pictures name DejaVu Sans first.
const BOLD_ASCII: [u16; 95] = [
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683,
    683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771,
    724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665,
    343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
];

/// The same for DejaVu Sans (Book).
const BOOK_ASCII: [u16; 95] = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632,
    575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685,
    611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579,
    278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];

/// How wide `text` (already [`visible`]) is drawn at `size` pixels, in pixels. Exact for ASCII in
/// DejaVu Sans; other characters are given the width of the widest of their kind (a wide East
/// Asian character a full em, combining marks none), so that a label measured here never
/// overflows the room it was shortened to, whichever font the reader's machine substitutes.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let table = if bold { &BOLD_ASCII } else { &BOOK_ASCII };
    let thousandths: u32 = text
        .chars()
        .map(|c| match c as u32 {
            code @ 0x20..=0x7e => u32::from(table[(code - 0x20) as usize]),
            0x300..=0x36f | 0x200b..=0x200d | 0xfe00..=0xfe0f => 0,
            _ if is_wide(c) => 1000,
            // Cyrillic and Greek capitals run to 1.1 em in DejaVu Sans (Ж, Ш, Щ).
            0x370..=0x52f => 1110,
            _ => 1000,
        })
        .sum();
    f64::from(thousandths) * size / 1000.0
}

/// Whether `c` takes a full em: East Asian wide and full-width characters, and emoji.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f | 0x2e80..=0x303e | 0x3041..=0x33ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60
        | 0xffe0..=0xffe6 | 0x1f300..=0x1faff | 0x20000..=0x3fffd)
}

/// `text` made [`visible`] and shortened to at most `room` pixels at `size` pixels, with an
/// ellipsis when shortened; not escaped. Measured after making it visible, since a direction
/// control becomes eight characters of `\u{202e}`.
pub fn fit(text: &str, room: f64, size: f64, bold: bool) -> String {
    let shown = visible(text);
    if text_width(&shown, size, bold) <= room {
        return shown;
    }
    let ellipsis = text_width("…", size, bold).max(size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in shown.chars() {
        let width = text_width(c.encode_utf8(&mut [0; 4]), size, bold);
        if used + width + ellipsis > room {
            break;
        }
        used += width;
        out.push(c);
    }
    out.push('…');
    out
}

/// Scripts whose letters the documents' fonts (DejaVu, or any system sans-serif) are sure to
/// have. Text in any other script may show as empty boxes on a machine without a font for it, so
/// it is also given as code points ([`name`]).
fn always_drawn(script: Script) -> bool {
    matches!(
        script,
        Script::Common | Script::Inherited | Script::Latin | Script::Greek | Script::Cyrillic
    )
}

/// The scripts of `text` that a reader's machine may lack a font for, in order of appearance.
pub fn scripts_needing_fonts(text: &str) -> Vec<Script> {
    let mut found = Vec::new();
    for c in text.chars() {
        let script = c.script();
        if !always_drawn(script) && !found.contains(&script) {
            found.push(script);
        }
    }
    found
}

/// A name from outside (a dataset's, an organisation's) as markup: escaped, isolated so that a
/// right-to-left name cannot reorder the words around it, and, when it has letters of a script a
/// reader's machine may have no font for, followed by a note naming the script and giving the
/// name as code points, so that empty boxes never pass for a name.
pub fn name(text: &str) -> String {
    let scripts = scripts_needing_fonts(text);
    let mut out = format!("<bdi>{}</bdi>", escape(text));
    if !scripts.is_empty() {
        out.push_str(&format!(
            " <span class=\"glyphs\">({} script; as code points: {})</span>",
            scripts
                .iter()
                .map(|s| s.full_name())
                .collect::<Vec<_>>()
                .join(", "),
            code_points(text, 48)
        ));
    }
    out
}

/// `U+XXXX` for each character of `text`, at most `max` of them.
fn code_points(text: &str, max: usize) -> String {
    let mut points: Vec<String> = text
        .chars()
        .take(max)
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    if text.chars().count() > max {
        points.push("…".into());
    }
    points.join(" ")
}

/// A time for people and machines alike: RFC 3339 in UTC, to the second.
pub fn time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time as a reader says it: `2026-12-04 19:16 UTC`.
pub fn human_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A time given in seconds since the epoch, as tokens carry it.
pub fn epoch(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(|| format!("{seconds} (out of range)"), time)
}

/// A time given in seconds since the epoch, as a reader says it.
pub fn human_epoch(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map_or_else(|| format!("{seconds} (out of range)"), human_time)
}

/// An enum's name as words: `AUTOMATED_SCAN` gives `Automated scan`.
pub fn words(name: &str) -> String {
    let lower = name.trim().to_lowercase().replace(['_', '-'], " ");
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An id set so that ids that share a prefix can be told apart: a UUID's five groups are set
/// apart, and its last (the random part that differs between ids made in the same millisecond)
/// in bold; any other id is grouped by eight characters. Breaks only between groups; copying it
/// gives the id unchanged.
pub fn id(text: &str) -> String {
    let shown = visible(text);
    let groups: Vec<&str> = shown.split('-').collect();
    let is_uuid = groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !is_uuid {
        return grouped("id", &shown, 8);
    }
    let mut out = String::from("<span class=\"id\">");
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str("-<wbr>");
        }
        if i == 4 {
            out.push_str(&format!("<b>{}</b>", markup(group)));
        } else {
            out.push_str(&markup(group));
        }
    }
    out.push_str("</span>");
    out
}

/// A digest (`sha256:` and hex) or a key id, in groups of eight characters that a line may break
/// between and nowhere else; copying it gives the text unchanged.
pub fn hash(text: &str) -> String {
    let shown = visible(text);
    match shown.split_once(':') {
        Some((algorithm, hex)) if !algorithm.is_empty() && algorithm.len() <= 16 => format!(
            "<span class=\"hash\">{}:<wbr>{}</span>",
            markup(algorithm),
            groups_of(hex, 8)
        ),
        _ => grouped("hash", &shown, 8),
    }
}

fn grouped(class: &str, shown: &str, size: usize) -> String {
    format!("<span class=\"{class}\">{}</span>", groups_of(shown, size))
}

/// `shown` (already visible) escaped, in spans of `size` characters with a break point between.
fn groups_of(shown: &str, size: usize) -> String {
    let chars: Vec<char> = shown.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|chunk| format!("<span>{}</span>", markup(&chunk.iter().collect::<String>())))
        .collect::<Vec<_>>()
        .join("<wbr>")
}

/// The text of `markup` as a reader copies it: tags dropped, entities left as they are. For
/// checking that grouped ids and hashes read whole.
pub fn text_of(markup: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `text` as a CSS string literal (with its quotes), for `content:` in a style sheet: every
/// character but letters, digits and spaces is written as a CSS escape, so that nothing can end
/// the string, the rule or the `<style>` element.
pub fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in visible(text).chars() {
        if c.is_ascii_alphanumeric() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", c as u32));
        }
    }
    out.push('"');
    out
}

/// The Content-Security-Policy of a document opened from a file: no scripts, no fetches, only its
/// own inline styles. (`frame-ancestors` and `form-action` only work as headers; the server sends
/// them.)
pub const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// Styles shared by the certificate document and the verification page: readable on screen and
/// at phone width (tables stack below 600 px, long values wrap, the lineage picture scrolls in its
/// own box), printable on A4 without cutting tables or the picture, and status conveyed by words
/// as well as colour.
pub const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #111;
  margin: 0 auto; max-width: 62rem; padding: 1.5rem; overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; border: 1px solid #bbb; padding: .25rem .45rem; }
th { background: #f0f0f0; width: 13rem; }
thead th { width: auto; }
caption { text-align: left; }
code, pre, .mono, .id, .hash { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em; }
td { overflow-wrap: anywhere; }
.id, .hash { overflow-wrap: normal; word-break: normal; white-space: normal; }
.id b { font-weight: bold; background: #eef; }
.hash > span + span, .id > span + span { margin-left: .25em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; border: 1px solid #ccc;
  padding: .5rem; margin: .3rem 0 .8rem; }
blockquote { margin: .3rem 0 .8rem; padding: .4rem .8rem; border-left: 4px solid #555; background: #fafafa; }
.verdict { display: inline-block; font-weight: bold; padding: .2rem .6rem; border: 2px solid; border-radius: .3rem; }
.headline { display: block; font-size: 1.15rem; margin: .5rem 0; overflow-wrap: anywhere; }
.ok { color: #0a5c1a; border-color: #0a5c1a; background: #e8f5ea; }
.bad { color: #8b0000; border-color: #8b0000; background: #fdeaea; }
.neutral { color: #333; border-color: #666; background: #f2f2f2; }
.pass { color: #0a5c1a; font-weight: bold; }
.fail { color: #8b0000; font-weight: bold; }
.note { color: #444; font-size: .92em; }
.glyphs { color: #6a4a00; font-size: .85em; }
.banner { display: block; margin: .2rem 0 .6rem; padding: .3rem .6rem; font-weight: bold; color: #8b0000;
  background: #fdeaea; border: 2px solid #8b0000; overflow-wrap: anywhere; }
.not-valid .ok, .not-valid .pass { color: #555; border-color: #888; background: #eee; }
.lineage-box { overflow-x: auto; border: 1px solid #ccc; max-width: 100%; }
.lineage { display: block; margin: 0 auto; background: #fff; }
.first-page .qr { float: right; margin: 0 0 .5rem 1rem; text-align: center; font-size: .8em; }
.first-page .qr svg { display: block; width: 34mm; height: 34mm; }
.first-page::after { content: ""; display: block; clear: both; }
table.checks th[scope=row] { width: 8rem; }
table.checks td.result { width: 8rem; white-space: nowrap; }
form { margin: 1rem 0; }
label { display: block; font-weight: bold; margin: .8rem 0 .2rem; }
textarea, input[type=text] { width: 100%; font-family: monospace; font-size: .9rem; padding: .4rem; }
input[type=file] { max-width: 100%; }
button { margin-top: .8rem; font-size: 1rem; padding: .4rem 1.2rem; }
.hint { font-weight: normal; color: #444; font-size: .9em; }
fieldset { border: 1px solid #bbb; margin: 1rem 0; padding: .5rem 1rem 1rem; min-width: 0; }
legend { font-weight: bold; padding: 0 .3rem; }
@media (max-width: 600px) {
  body { padding: .8rem; }
  table, thead, tbody, tr, th, td, caption { display: block; width: 100%; }
  th, table.checks th[scope=row] { width: 100%; border-bottom: none; }
  thead { display: none; }
  td[data-label]::before { content: attr(data-label) ": "; font-weight: bold; }
  table.checks td.result { width: 100%; white-space: normal; }
  tr { margin-bottom: .4rem; }
  .first-page .qr { float: none; margin: .5rem 0; }
}
@page { size: A4; margin: 18mm 14mm 18mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  table, tr, figure, blockquote, svg, .first-page { break-inside: avoid; }
  .first-page { break-after: page; }
  thead { display: table-header-group; }
  .lineage-box { overflow: visible; border: none; }
  .lineage { max-width: 100%; max-height: 230mm; height: auto; }
  .screen-only { display: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// What every printed page carries in its margins: a footer naming the certificate with the
/// page's number (`page n of m`, from CSS paged media, which Chromium prints), and, when the
/// certificate is not valid, the reason in the top margin of every page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMarks {
    /// Left of the footer, e.g. `Lineage certificate 0192…`.
    pub footer: Option<String>,
    /// Top of every page, e.g. `NOT VALID — REVOKED on …`.
    pub banner: Option<String>,
}

impl PageMarks {
    /// The `@page` rules that print the marks.
    fn css(&self) -> String {
        let mut rules = String::from(
            "@page { @bottom-right { content: \"page \" counter(page) \" of \" counter(pages); font: 8pt sans-serif; color: #333; } ",
        );
        if let Some(footer) = &self.footer {
            rules.push_str(&format!(
                "@bottom-left {{ content: {}; font: 8pt sans-serif; color: #333; }} ",
                css_string(footer)
            ));
        }
        if let Some(banner) = &self.banner {
            rules.push_str(&format!(
                "@top-center {{ content: {}; font: bold 9pt sans-serif; color: #8b0000; border-bottom: 1.5pt solid #8b0000; }} ",
                css_string(banner)
            ));
        }
        rules.push('}');
        rules
    }
}

/// A complete HTML document: `title` (escaped here), `body` (markup, already escaped), and what
/// its printed pages carry in their margins.
pub fn document(title: &str, body: &str, marks: &PageMarks) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<style>{STYLE}{marks}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        csp = DOCUMENT_CSP,
        title = escape(title),
        marks = marks.css(),
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
    fn labels_are_shortened_by_measured_width_after_direction_controls_are_made_visible() {
        // ASCII is measured exactly: "mm" is 1.948 em in bold.
        assert!((text_width("mm", 10.0, true) - 20.84).abs() < 1e-9);
        assert_eq!(fit("short", 100.0, 10.0, true), "short");
        let long = "books-licensed-and-more-books-licensed";
        let fitted = fit(long, 120.0, 12.0, true);
        assert!(
            fitted.ends_with('…') && text_width(&fitted, 12.0, true) <= 120.0,
            "{fitted}"
        );
        // Narrow letters fit more than wide ones in the same room.
        assert!(
            fit(&"i".repeat(60), 120.0, 12.0, true).chars().count()
                > fit(&"W".repeat(60), 120.0, 12.0, true).chars().count()
        );
        // A direction control is eight characters once visible, and is measured as such.
        let fitted = fit("ab\u{202e}cdefghijklmnopqrstuvwxyz", 90.0, 12.0, false);
        assert!(fitted.starts_with("ab\\u{202e}"), "{fitted}");
        assert!(text_width(&fitted, 12.0, false) <= 90.0);
        // Wide characters take a full em.
        let fitted = fit("数据集数据集数据集数据集", 60.0, 12.0, true);
        assert_eq!(fitted, "数据集数…");
    }

    #[test]
    fn names_in_scripts_a_machine_may_lack_are_flagged_with_their_code_points() {
        assert_eq!(name("Müller & Co"), "<bdi>Müller &amp; Co</bdi>");
        assert_eq!(name("Завод"), "<bdi>Завод</bdi>");
        let flagged = name("数据");
        assert!(
            flagged.starts_with("<bdi>数据</bdi> <span class=\"glyphs\">(Han script"),
            "{flagged}"
        );
        assert!(flagged.contains("U+6570 U+636E"));
        assert!(name("بيانات").contains("Arabic script"));
    }

    #[test]
    fn ids_and_hashes_break_only_between_groups_and_keep_their_text() {
        let uuid = "0192f0c1-7a2b-7c3d-8e4f-0123456789ab";
        let set = id(uuid);
        assert!(set.contains("<b>0123456789ab</b>"), "{set}");
        let text: String = text_of(&set);
        assert_eq!(text, uuid);
        let digest = format!("sha256:{}", "ab".repeat(32));
        let set = hash(&digest);
        assert_eq!(text_of(&set), digest);
        assert_eq!(set.matches("<wbr>").count(), 8, "{set}");
        assert!(hash("<script>").contains("&lt;scrip"));
    }

    #[test]
    fn enum_names_become_words_and_times_read_as_people_say_them() {
        assert_eq!(words("AUTOMATED_SCAN"), "Automated scan");
        assert_eq!(words("VALID"), "Valid");
        assert_eq!(words(""), "");
        let t = DateTime::from_timestamp(1_796_411_760, 0).expect("a time");
        assert_eq!(human_time(t), "2026-12-04 19:16 UTC");
    }

    #[test]
    fn css_strings_cannot_end_the_rule_or_the_style_element() {
        let s = css_string("a\"; } </style><script>\\");
        let inner = &s[1..s.len() - 1];
        assert!(!inner.contains(['"', '<', '>', '}', ';']), "{s}");
        assert_eq!(css_string("page 1"), "\"page 1\"");
    }

    #[test]
    fn the_title_of_a_document_is_escaped_and_scripts_are_forbidden() {
        let marks = PageMarks {
            footer: Some("Lineage certificate x".into()),
            banner: Some("NOT VALID".into()),
        };
        let page = document("<b>", "<p>x</p>", &marks);
        assert!(page.contains("<title>&lt;b&gt;</title>"));
        assert!(page.contains("default-src 'none'"));
        assert!(page.contains("@page { size: A4"));
        assert!(page.contains("counter(page) \" of \" counter(pages)"));
        assert!(page.contains("@top-center { content: \"NOT VALID\""));
    }
}
