//! Page sizes and page tokens, one rule for every list of the API.
//!
//! A page token is opaque to clients: base64url of a small JSON object naming the list it belongs to,
//! a fingerprint of the query's other fields, and where the next page starts. A token used with
//! another list or other filters is refused rather than silently giving a wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Page size when the request says 0.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Longest page token accepted; real ones are far shorter.
const MAX_TOKEN_LEN: usize = 1024;

/// Checks `page_size`: 0 means the default, negative or above the maximum is refused.
pub fn page_size(value: i32) -> Result<u32> {
    match value {
        0 => Ok(DEFAULT_PAGE_SIZE),
        1.. if value as u32 <= MAX_PAGE_SIZE => Ok(value as u32),
        _ => Err(Error::invalid(
            "page_size",
            format!("must be between 0 (the default, {DEFAULT_PAGE_SIZE}) and {MAX_PAGE_SIZE}"),
        )),
    }
}

#[derive(Serialize, Deserialize)]
struct TokenBody {
    /// Which list.
    k: String,
    /// Fingerprint of the query's other fields.
    q: String,
    /// Where the next page starts.
    c: String,
}

/// The page tokens of one list, bound to the query's other fields.
pub struct PageTokens {
    list: &'static str,
    fingerprint: String,
}

impl PageTokens {
    /// Tokens for the list named `list` (e.g. `datasets`), queried with `query` (the other fields
    /// of the request, in a fixed order).
    pub fn new(list: &'static str, query: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        for part in query {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Self {
            list,
            fingerprint: hex::encode(&hasher.finalize()[..8]),
        }
    }

    /// A token that resumes at `cursor`.
    pub fn encode(&self, cursor: &str) -> String {
        let body = TokenBody {
            k: self.list.to_owned(),
            q: self.fingerprint.clone(),
            c: cursor.to_owned(),
        };
        // Serialising three strings cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
    }

    /// Cuts `items`, fetched with a limit of `size + 1`, to one page of `size`, with the token of
    /// the next page (resuming after the page's last item) when there was more.
    pub fn page<T>(
        &self,
        mut items: Vec<T>,
        size: u32,
        cursor_of: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        if items.len() <= size as usize {
            return (items, None);
        }
        items.truncate(size as usize);
        let next = items.last().map(|last| self.encode(&cursor_of(last)));
        (items, next)
    }

    /// The id inside `token` of a list resumed by id; `None` for the first page.
    pub fn decode_id(&self, token: &str) -> Result<Option<uuid::Uuid>> {
        self.decode(token)?
            .map(|cursor| {
                uuid::Uuid::try_parse(&cursor)
                    .map_err(|_| Error::invalid("page_token", "is not a page token of this list"))
            })
            .transpose()
    }

    /// The cursor inside `token`; `None` for the empty token (first page).
    pub fn decode(&self, token: &str) -> Result<Option<String>> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = |reason: &str| Error::invalid("page_token", reason.to_owned());
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid("is not a page token of this list"));
        }
        let body: TokenBody = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| invalid("is not a page token of this list"))?;
        if body.k != self.list {
            return Err(invalid("is not a page token of this list"));
        }
        if body.q != self.fingerprint {
            return Err(invalid(
                "belongs to a query with other fields; repeat the request with the same fields, or drop the token",
            ));
        }
        Ok(Some(body.c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_zero_is_the_default_and_bounds_are_enforced() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(1).unwrap(), 1);
        assert_eq!(page_size(1000).unwrap(), 1000);
        for bad in [-1, 1001, i32::MIN, i32::MAX] {
            assert!(
                page_size(bad)
                    .unwrap_err()
                    .to_string()
                    .starts_with("page_size:")
            );
        }
    }

    #[test]
    fn a_page_is_cut_to_size_and_knows_whether_more_follow() {
        let tokens = PageTokens::new("numbers", &[]);
        let (page, next) = tokens.page(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page, [1, 2]);
        assert_eq!(tokens.decode(&next.unwrap()).unwrap().as_deref(), Some("2"));
        let (page, next) = tokens.page(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((page, next), (vec![1, 2], None));
        assert!(tokens.decode_id(&tokens.encode("not-a-uuid")).is_err());
    }

    #[test]
    fn a_token_resumes_its_own_query_only() {
        let tokens = PageTokens::new("datasets", &["name-a", ""]);
        let token = tokens.encode("cursor-1");
        assert_eq!(tokens.decode(&token).unwrap().as_deref(), Some("cursor-1"));
        assert_eq!(tokens.decode("").unwrap(), None);

        let other_filter = PageTokens::new("datasets", &["name-b", ""]);
        assert!(
            other_filter
                .decode(&token)
                .unwrap_err()
                .to_string()
                .contains("other fields")
        );
        let other_list = PageTokens::new("events", &["name-a", ""]);
        assert!(other_list.decode(&token).is_err());
        for garbage in ["!!!", "e30", &"A".repeat(5000)] {
            assert!(
                tokens
                    .decode(garbage)
                    .unwrap_err()
                    .to_string()
                    .starts_with("page_token:")
            );
        }
    }
}
