//! Live event delivery for `WatchEvents`: a wake-up when this process commits, and a periodic poll
//! for events committed by other processes (the admin command, other replicas).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::domain::event::Event;
use crate::error::{Error, Result};
use crate::store::{Store, Viewer};

/// Events read per query while catching up.
const CATCH_UP_BATCH: u32 = 500;
/// How often a watcher looks for events written by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Wakes watchers when events are committed.
#[derive(Clone)]
pub struct EventFeed {
    commits: watch::Sender<u64>,
    watchers: Arc<Semaphore>,
    max_watchers: usize,
    shutdown: CancellationToken,
}

impl EventFeed {
    /// A feed allowing `max_watchers` concurrent watchers, all ended by `shutdown`.
    pub fn new(max_watchers: usize, shutdown: CancellationToken) -> Self {
        Self {
            commits: watch::Sender::new(0),
            watchers: Arc::new(Semaphore::new(max_watchers)),
            max_watchers,
            shutdown,
        }
    }

    /// Tells watchers that new events were committed.
    pub fn notify(&self) {
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Streams the events `viewer` may see after `after`, then follows new ones until the receiver
    /// is dropped or the server shuts down. `ResourceExhausted` when too many watchers are open.
    pub fn watch(
        &self,
        store: Arc<dyn Store>,
        viewer: Viewer,
        after: u64,
    ) -> Result<mpsc::Receiver<Result<Event>>> {
        let permit = self.watchers.clone().try_acquire_owned().map_err(|_| {
            Error::ResourceExhausted(format!(
                "too many event watchers are open ({}); close one or retry later",
                self.max_watchers
            ))
        })?;
        let (sender, receiver) = mpsc::channel(64);
        let mut commits = self.commits.subscribe();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut cursor = after;
            loop {
                // Mark the wake-up seen before reading, so a commit during the read is not missed.
                commits.borrow_and_update();
                let events = match store.list_events(viewer, cursor, CATCH_UP_BATCH).await {
                    Ok(events) => events,
                    Err(error) => {
                        let _ = sender.send(Err(error)).await;
                        return;
                    }
                };
                let caught_up = events.len() < CATCH_UP_BATCH as usize;
                for event in events {
                    cursor = event.sequence;
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                if caught_up {
                    tokio::select! {
                        _ = commits.changed() => {}
                        _ = tokio::time::sleep(POLL_INTERVAL) => {}
                        _ = sender.closed() => return,
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        });
        Ok(receiver)
    }
}
