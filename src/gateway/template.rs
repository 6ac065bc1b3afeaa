//! Path templates of `google.api.http` rules: literal segments, `{field}` variables and an optional
//! `:verb` at the end (`/v1/datasets/{id}:evaluate`). The registry's rules bind single segments only,
//! so `{field=**}` and multi-segment patterns are refused when the rules are read.

use percent_encoding::percent_decode_str;

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must appear as written.
    Literal(String),
    /// Any one non-empty segment, bound to the request field of this name.
    Field(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    /// The segments after the leading `/`.
    pub segments: Vec<Segment>,
    /// The custom verb after the last segment's `:`, if any.
    pub verb: Option<String>,
    /// The template as written in the rule (also the OpenAPI path, whose `{field}` syntax is the
    /// same).
    pub text: String,
}

impl PathTemplate {
    /// Parses `/v1/things/{id}:verb`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| format!("{text:?}: a path template starts with /"))?;
        // The verb follows the last `:` that is not inside a variable.
        let (path, verb) = match rest.rfind(':') {
            Some(at) if !rest[at..].contains('}') && !rest[at..].contains('/') => {
                (&rest[..at], Some(rest[at + 1..].to_owned()))
            }
            _ => (rest, None),
        };
        let mut segments = Vec::new();
        for part in path.split('/') {
            if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(format!(
                        "{text:?}: only single-segment variables ({{field}}) are supported"
                    ));
                }
                segments.push(Segment::Field(inner.to_owned()));
            } else if part.is_empty() || part.contains(['{', '}', '*']) {
                return Err(format!("{text:?}: malformed segment {part:?}"));
            } else {
                segments.push(Segment::Literal(part.to_owned()));
            }
        }
        Ok(Self {
            segments,
            verb,
            text: text.to_owned(),
        })
    }

    /// The variables bound by `path` (percent-decoded), or `None` when it does not match.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let rest = path.strip_prefix('/')?;
        let rest = match &self.verb {
            Some(verb) => rest.strip_suffix(verb.as_str())?.strip_suffix(':')?,
            None => rest,
        };
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut bound = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) => {
                    if literal != part {
                        return None;
                    }
                }
                Segment::Field(field) => {
                    let value = percent_decode_str(part).decode_utf8().ok()?;
                    // Without a verb in the template, a `:` in the last segment belongs to another
                    // rule's verb (`/v1/datasets:batchRegister` is not dataset `:batchRegister`).
                    if value.is_empty() || (self.verb.is_none() && part.contains(':')) {
                        return None;
                    }
                    bound.push((field.clone(), value.into_owned()));
                }
            }
        }
        Some(bound)
    }

    /// The fields the path binds.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Field(field) => Some(field.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_bind_single_segments_and_a_verb() {
        let evaluate = PathTemplate::parse("/v1/datasets/{dataset_id}:evaluate").unwrap();
        assert_eq!(
            evaluate.matches("/v1/datasets/0196-ab:evaluate"),
            Some(vec![("dataset_id".into(), "0196-ab".into())])
        );
        assert_eq!(evaluate.matches("/v1/datasets/x:revoke"), None);
        assert_eq!(evaluate.matches("/v1/datasets/x"), None);
        assert_eq!(evaluate.matches("/v1/datasets/:evaluate"), None);

        let get = PathTemplate::parse("/v1/datasets/{id}").unwrap();
        assert_eq!(
            get.matches("/v1/datasets/a%20b"),
            Some(vec![("id".into(), "a b".into())])
        );
        assert_eq!(get.matches("/v1/datasets/a/b"), None);
        assert_eq!(get.matches("/v1/datasets/x:evaluate"), None);

        let batch = PathTemplate::parse("/v1/datasets:batchRegister").unwrap();
        assert_eq!(batch.matches("/v1/datasets:batchRegister"), Some(vec![]));
        assert_eq!(batch.matches("/v1/datasets"), None);
        assert_eq!(get.fields().collect::<Vec<_>>(), ["id"]);
    }

    #[test]
    fn unsupported_templates_are_refused() {
        for bad in ["v1/x", "/v1/{name=**}", "/v1//x", "/v1/{}", "/v1/*"] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
