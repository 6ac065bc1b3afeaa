//! Licences as SPDX licence expressions (SPDX 2.3 Annex D, the `spdx` crate's licence list): the
//! one rule every registration path applies to a dataset's and its sources' `license`
//! (`RegisterDataset`, `RegisterDatasets`, OpenLineage ingestion, and so `provctl`'s
//! `--from-file`), and how a stored value is shown.
//!
//! - Identifiers are matched without regard to case, as the specification says, and stored in the
//!   list's spelling (`mit` becomes `MIT`); operators are stored upper-case (`and` becomes `AND`);
//!   whitespace is collapsed to single spaces, none inside parentheses. That is the normalised form.
//! - Licence identifiers must be on the SPDX licence list (deprecated ones, such as `GPL-2.0`,
//!   included), exceptions on its exception list; `LicenseRef-`, `DocumentRef-...:LicenseRef-` and
//!   `AdditionRef-` name licences that are not. Anything else is refused, naming the field and the
//!   offending identifier.
//! - Values stored before this rule stay as they were, and are shown as they were (the lineage
//!   digest covers sources' licences as stored); [`is_unparsed`] flags those that are not an
//!   expression in normalised form, which every value stored since is.

use spdx::identifiers::{EXCEPTIONS, LICENSES};
use spdx::{Expression, ParseMode};

use super::dataset::limits;
use super::text::optional_line;
use crate::error::{Error, Result};

/// How expressions are parsed: the specification's grammar, deprecated identifiers allowed.
const MODE: ParseMode = ParseMode {
    allow_deprecated: true,
    ..ParseMode::STRICT
};

/// A licence as given for `field`: `None` when empty, otherwise its normalised form; refused when
/// it is too long, holds control characters, or is not an SPDX licence expression.
pub fn parse_license(field: &str, text: &str) -> Result<Option<String>> {
    let Some(text) = optional_line(field, text, limits::LICENSE)? else {
        return Ok(None);
    };
    normalise(&text).map(Some).map_err(|why| {
        Error::invalid(
            field,
            format!(
                "{why}: must be an SPDX licence expression, e.g. \"MIT\", \"Apache-2.0 OR MIT\" or \"GPL-2.0-or-later WITH Classpath-exception-2.0\" (LicenseRef-<name> for a licence not on the SPDX list)"
            ),
        )
    })
}

/// Whether a stored licence was stored before licences were parsed and is not an SPDX expression
/// in normalised form (free text, or an expression spelt otherwise): the API shows it as stored
/// and flags it.
pub fn is_unparsed(stored: &str) -> bool {
    !normalise(stored).is_ok_and(|normalised| normalised == stored)
}

/// The normalised form of `text`, or why it is not an SPDX licence expression.
fn normalise(text: &str) -> std::result::Result<String, String> {
    let mut normalised = String::with_capacity(text.len());
    for token in tokens(text) {
        let word = match token {
            "(" => {
                if !normalised.is_empty() && !normalised.ends_with('(') {
                    normalised.push(' ');
                }
                normalised.push('(');
                continue;
            }
            ")" => {
                normalised.push(')');
                continue;
            }
            word => canonical_word(word),
        };
        if !normalised.is_empty() && !normalised.ends_with('(') {
            normalised.push(' ');
        }
        normalised.push_str(&word);
    }
    if normalised.is_empty() {
        return Err("an empty expression".into());
    }
    match Expression::parse_mode(&normalised, MODE) {
        Ok(_) => Ok(normalised),
        Err(error) => {
            let offending = normalised.get(error.span.clone()).unwrap_or("").trim();
            Err(match error.reason {
                spdx::error::Reason::UnknownTerm | spdx::error::Reason::UnknownLicense => {
                    format!("{offending:?} is not an SPDX licence identifier")
                }
                spdx::error::Reason::UnknownException => {
                    format!("{offending:?} is not an SPDX licence exception")
                }
                reason if offending.is_empty() => format!("not an expression ({reason})"),
                reason => format!("at {offending:?}: {reason}"),
            })
        }
    }
}

/// The words and parentheses of `text`.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        rest = rest.trim_start();
        let first = rest.chars().next()?;
        let end = if first == '(' || first == ')' {
            1
        } else {
            rest.find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .unwrap_or(rest.len())
        };
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some(token)
    })
}

/// An operator upper-cased, an identifier in the list's spelling (keeping a trailing `+`), or the
/// word as it is (references, and anything the parser will refuse).
fn canonical_word(word: &str) -> String {
    for operator in ["AND", "OR", "WITH"] {
        if word.eq_ignore_ascii_case(operator) {
            return operator.to_owned();
        }
    }
    let (base, plus) = match word.strip_suffix('+') {
        Some(base) => (base, "+"),
        None => (word, ""),
    };
    let listed = LICENSES
        .iter()
        .map(|l| l.name)
        .chain(EXCEPTIONS.iter().map(|e| e.name))
        .find(|name| name.eq_ignore_ascii_case(base));
    match listed {
        Some(name) => format!("{name}{plus}"),
        None => word.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> String {
        match parse_license("license", text) {
            Err(Error::InvalidArgument(violations)) => format!("{violations:?}"),
            other => panic!("{text:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn expressions_are_stored_in_normalised_form() {
        for (given, stored) in [
            ("MIT", "MIT"),
            ("mit", "MIT"),
            ("apache-2.0 or mit", "Apache-2.0 OR MIT"),
            ("Apache-2.0  OR   MIT", "Apache-2.0 OR MIT"),
            (
                "( MIT OR Apache-2.0 ) and cc-by-4.0",
                "(MIT OR Apache-2.0) AND CC-BY-4.0",
            ),
            (
                "gpl-2.0-or-later with classpath-exception-2.0",
                "GPL-2.0-or-later WITH Classpath-exception-2.0",
            ),
            ("GPL-2.0", "GPL-2.0"),
            ("Apache-1.0+", "Apache-1.0+"),
            ("LicenseRef-Internal-1", "LicenseRef-Internal-1"),
            (
                "CC-BY-4.0 AND LicenseRef-scraped",
                "CC-BY-4.0 AND LicenseRef-scraped",
            ),
        ] {
            assert_eq!(
                parse_license("license", given).ok().flatten().as_deref(),
                Some(stored),
                "{given}"
            );
        }
        assert_eq!(parse_license("license", "").ok(), Some(None));
    }

    #[test]
    fn unknown_identifiers_and_bad_expressions_are_refused_naming_them() {
        let unknown = refusal("MIT OR Frobnicate-1.0");
        assert!(
            unknown.contains("\\\"Frobnicate-1.0\\\" is not an SPDX licence identifier"),
            "{unknown}"
        );
        assert!(unknown.contains("license"), "{unknown}");
        for bad in [
            "MIT OR",
            "(MIT",
            "MIT AND AND Apache-2.0",
            "MIT WITH Apache-2.0",
            "Apache 2",
            "MIT/Apache-2.0",
        ] {
            let why = refusal(bad);
            assert!(why.contains("SPDX licence expression"), "{bad}: {why}");
        }
        let exception = refusal("GPL-2.0-or-later WITH No-Such-exception");
        assert!(exception.contains("No-Such-exception"), "{exception}");
    }

    #[test]
    fn stored_values_not_in_normalised_form_are_flagged() {
        assert!(!is_unparsed("Apache-2.0 OR MIT"));
        assert!(is_unparsed("mit"));
        assert!(is_unparsed("Creative Commons, see website"));
    }
}
