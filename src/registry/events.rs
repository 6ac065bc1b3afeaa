//! Use cases of the event log: pages and live watches, within what the caller may see.

use tokio::sync::mpsc;

use super::{Registry, viewer_of};
use crate::domain::access::Caller;
use crate::domain::event::{Event, MAX_SEQUENCE, log_position};
use crate::domain::paging::PageTokens;
use crate::error::{Error, Result};

impl Registry {
    /// One page of the events the caller may see.
    pub async fn list_events(
        &self,
        caller: &Caller,
        after_sequence: u64,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Event>, Option<String>)> {
        let after_sequence = log_position("after_sequence", after_sequence)?;
        let tokens = PageTokens::new("events", &[&after_sequence.to_string()]);
        let after = match tokens.decode(page_token)? {
            // Tokens are not signed: one naming a position no event can have was not ours.
            Some(cursor) => cursor
                .parse::<u64>()
                .ok()
                .filter(|&cursor| cursor <= MAX_SEQUENCE)
                .ok_or_else(|| Error::invalid("page_token", "is not a page token of this list"))?,
            None => after_sequence,
        };
        let events = self
            .store
            .list_events(viewer_of(caller), after, page_size + 1)
            .await?;
        Ok(tokens.page(events, page_size, |e| e.sequence.to_string()))
    }

    /// Streams the events the caller may see after `after_sequence`, then live.
    pub fn watch_events(
        &self,
        caller: &Caller,
        after_sequence: u64,
    ) -> Result<mpsc::Receiver<Result<Event>>> {
        let after_sequence = log_position("after_sequence", after_sequence)?;
        self.feed
            .watch(self.store.clone(), viewer_of(caller), after_sequence)
    }
}
