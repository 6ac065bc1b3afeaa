//! Paged listings: one page from `--page-token`, or with `--all` every page to the end, the same
//! way for every `list` command.

use crate::cli::PageArgs;
use crate::error::CliError;
use crate::output::Printer;

/// What a listing gathered: the items, and the token of the page after them (empty at the end).
pub struct Pages<T> {
    /// The items, in the order the pages gave them.
    pub items: Vec<T>,
    /// Where the next page starts; empty when there is none.
    pub next_page_token: String,
}

/// Fetches the pages `page` asks for with `fetch` (given a page token, the page's items and the
/// next token). Text rows (`row`) are printed page by page, so a long `--all` shows progress; JSON
/// waits for every page, as one answer.
pub async fn fetch_pages<T>(
    page: &PageArgs,
    out: &mut Printer,
    row: impl Fn(&T) -> String,
    mut fetch: impl AsyncFnMut(String) -> Result<(Vec<T>, String), CliError>,
) -> Result<Pages<T>, CliError> {
    let mut next_page_token = page.page_token.clone().unwrap_or_default();
    let mut items = Vec::new();
    loop {
        let (batch, next) = fetch(next_page_token).await?;
        if !out.is_json() {
            for item in &batch {
                out.line(row(item))?;
            }
        }
        items.extend(batch);
        next_page_token = next;
        if !page.all || next_page_token.is_empty() {
            break;
        }
    }
    Ok(Pages {
        items,
        next_page_token,
    })
}

/// Tells a person that the listing goes on, and how to see the rest. On stderr, so that the rows
/// on stdout stay clean for scripts.
pub fn hint_more(what: &str, next_page_token: &str) {
    if !next_page_token.is_empty() {
        eprintln!("more {what}: pass --page-token {next_page_token}, or --all");
    }
}
