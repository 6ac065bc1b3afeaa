//! Bounds on the free-text fields of requests. Every string that enters the registry passes here.

use crate::error::{Error, Result};

/// Checks a required single-line field: 1 to `max_chars` characters, no control characters, no
/// leading or trailing whitespace (which would make two names look equal that are not).
pub fn required_line(field: &str, value: &str, max_chars: usize) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    optional_line(field, value, max_chars).map(|v| v.unwrap_or_default())
}

/// Like [`required_line`], but the empty string is allowed and means "not given".
pub fn optional_line(field: &str, value: &str, max_chars: usize) -> Result<Option<String>> {
    if value.is_empty() {
        return Ok(None);
    }
    check_length(field, value, max_chars)?;
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    if value.trim() != value {
        return Err(Error::invalid(
            field,
            "must not start or end with whitespace",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Free text such as descriptions: may span lines (tabs and newlines allowed), no other control
/// characters, at most `max_chars` characters. Empty means "not given".
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<Option<String>> {
    if value.is_empty() {
        return Ok(None);
    }
    check_length(field, value, max_chars)?;
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::invalid(
            field,
            "must not contain control characters other than tab and newline",
        ));
    }
    Ok(Some(value.to_owned()))
}

fn check_length(field: &str, value: &str, max_chars: usize) -> Result<()> {
    // Byte length bounds the work before counting characters of a hostile megabyte string.
    if value.len() > max_chars * 4 || value.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(())
}

/// The form of an id, as a refusal describes it.
pub const UUID_FORM: &str = "a UUID in its hyphenated form, like \
    0193b6f0-7c1e-7d2a-9f00-5b2a1c3d4e5f (no braces, no urn:uuid: prefix)";

/// Parses a UUID in its hyphenated form, in any letter case.
///
/// RFC 9562 has the hex digits case-insensitive on input and lower case on output: upper- and
/// mixed-case ids are accepted, and everything the registry answers or stores spells an id in
/// lower case, because the parsed value is what is used from here on. The other spellings the
/// `uuid` crate reads (braced, `urn:uuid:`, 32 digits without hyphens) are refused, so that
/// one id has one spelling in requests, logs and stored records.
pub fn required_uuid(field: &str, value: &str) -> Result<uuid::Uuid> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    parse_hyphenated_uuid(value)
        .ok_or_else(|| Error::invalid(field, format!("must be {UUID_FORM}")))
}

/// [`required_uuid`]'s rule without a field: the 36-character hyphenated form, any letter case.
pub fn parse_hyphenated_uuid(value: &str) -> Option<uuid::Uuid> {
    if value.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(value).ok()
}

/// Like [`required_uuid`], but the empty string means "not given".
pub fn optional_uuid(field: &str, value: &str) -> Result<Option<uuid::Uuid>> {
    if value.is_empty() {
        Ok(None)
    } else {
        required_uuid(field, value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::InvalidArgument(v)) => v.to_string(),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn a_required_line_refuses_empty_control_characters_padding_and_excess_length() {
        assert_eq!(reason(required_line("name", "", 5)), "name: is required");
        assert!(reason(required_line("name", "a\u{0}b", 5)).contains("control characters"));
        assert!(reason(required_line("name", " ab", 5)).contains("whitespace"));
        assert!(reason(required_line("name", "abcdef", 5)).contains("at most 5"));
        assert_eq!(required_line("name", "abcde", 5).unwrap(), "abcde");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(required_line("name", "ééééé", 5).unwrap(), "ééééé");
    }

    #[test]
    fn free_text_keeps_newlines_but_refuses_other_control_characters() {
        assert_eq!(
            optional_text("d", "a\nb\tc", 10).unwrap().as_deref(),
            Some("a\nb\tc")
        );
        assert!(reason(optional_text("d", "a\u{7}b", 10)).contains("control"));
        assert_eq!(optional_text("d", "", 10).unwrap(), None);
    }

    #[test]
    fn uuids_must_be_canonical() {
        let id = "0193b6f0-7c1e-7d2a-9f00-5b2a1c3d4e5f";
        assert_eq!(required_uuid("id", id).unwrap().to_string(), id);
        assert!(reason(required_uuid("id", "0193b6f07c1e7d2a9f005b2a1c3d4e5f")).contains("UUID"));
        assert!(
            reason(required_uuid("id", "not-a-uuid-not-a-uuid-not-a-uuid-abc")).contains("UUID")
        );
        assert_eq!(optional_uuid("id", "").unwrap(), None);
    }

    #[test]
    fn uuids_are_read_in_any_letter_case_and_written_in_lower_case_but_in_one_form_only() {
        let id = "0193b6f0-7c1e-7d2a-9f00-5b2a1c3d4e5f";
        for spelling in [
            id.to_uppercase(),
            "0193B6F0-7c1E-7D2a-9F00-5b2A1c3D4e5F".to_owned(),
        ] {
            assert_eq!(required_uuid("id", &spelling).unwrap().to_string(), id);
        }
        for refused in [
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
            id.replace('-', ""),
            id.replace('-', "").to_uppercase(),
            format!(" {id}"),
            format!("{id}\n"),
        ] {
            assert_eq!(
                reason(required_uuid("dataset_id", &refused)),
                format!("dataset_id: must be {UUID_FORM}"),
                "{refused:?}"
            );
        }
    }
}
