//! Live event delivery for `WatchEvents`: a wake-up when this process commits, and one task per
//! process that looks for events committed by other processes (the admin command, other replicas)
//! and wakes the watchers when it finds some. Watchers read the store only when woken, so idle
//! watchers cost the database nothing however many are open; the one task costs a cheap query per
//! [`POLL_INTERVAL`] while anyone watches.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::domain::event::Event;
use crate::error::{Error, Result};
use crate::store::{Store, Viewer};

/// Events read per query while catching up.
const CATCH_UP_BATCH: u32 = 500;
/// How often the process looks for events written by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Wakes watchers when events are committed.
#[derive(Clone)]
pub struct EventFeed {
    commits: watch::Sender<u64>,
    watchers: Arc<Semaphore>,
    max_watchers: usize,
    shutdown: CancellationToken,
}

impl EventFeed {
    /// A feed allowing `max_watchers` concurrent watchers, all ended by `shutdown`, that also
    /// delivers what other processes commit to `store` (call inside a Tokio runtime: it starts the
    /// task that looks for those).
    pub fn start(store: Arc<dyn Store>, max_watchers: usize, shutdown: CancellationToken) -> Self {
        Self::start_with(max_watchers, shutdown, move || {
            let store = store.clone();
            async move { store.chain_head().await.map(|head| head.sequence) }
        })
    }

    /// [`Self::start`] with the last committed sequence read by `last_sequence`.
    fn start_with<F, Fut>(
        max_watchers: usize,
        shutdown: CancellationToken,
        last_sequence: F,
    ) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64>> + Send + 'static,
    {
        let feed = Self {
            commits: watch::Sender::new(0),
            watchers: Arc::new(Semaphore::new(max_watchers)),
            max_watchers,
            shutdown,
        };
        tokio::spawn(feed.clone().follow_other_writers(last_sequence));
        feed
    }

    /// How many watchers are open now.
    pub fn open_watchers(&self) -> usize {
        self.max_watchers
            .saturating_sub(self.watchers.available_permits())
    }

    /// Tells watchers that new events were committed.
    pub fn notify(&self) {
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever this process commits events (for the webhook sender,
    /// which also looks on its own for what other processes commit).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Wakes the watchers whenever the last committed sequence moves, whoever committed it. Local
    /// commits have woken them already; the extra wake-up costs each watcher one empty read. A
    /// sequence never seen before counts as a move, so a watcher that read the store while the
    /// last look failed or was skipped still hears of what came after its read.
    async fn follow_other_writers<F, Fut>(self, last_sequence: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<u64>>,
    {
        let look = || async {
            last_sequence()
                .await
                .inspect_err(|error| {
                    tracing::warn!(%error, "cannot look for events committed by other processes")
                })
                .ok()
        };
        let mut seen = look().await;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = self.shutdown.cancelled() => return,
            }
            if self.watchers.available_permits() == self.max_watchers {
                continue; // no one to wake
            }
            if let Some(sequence) = look().await
                && seen != Some(sequence)
            {
                seen = Some(sequence);
                self.notify();
            }
        }
    }

    /// Streams the events `viewer` may see after `after`, then follows new ones until the receiver
    /// is dropped or the server shuts down. `ResourceExhausted` when too many watchers are open.
    pub fn watch(
        &self,
        store: Arc<dyn Store>,
        viewer: Viewer,
        after: u64,
    ) -> Result<mpsc::Receiver<Result<Event>>> {
        self.watch_with(after, move |cursor| {
            let store = store.clone();
            async move { store.list_events(viewer, cursor, CATCH_UP_BATCH).await }
        })
    }

    /// [`Self::watch`] with the events after a sequence read by `events_after` (up to
    /// [`CATCH_UP_BATCH`] of them).
    fn watch_with<F, Fut>(
        &self,
        after: u64,
        events_after: F,
    ) -> Result<mpsc::Receiver<Result<Event>>>
    where
        F: Fn(u64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<Event>>> + Send + 'static,
    {
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
                let events = match events_after(cursor).await {
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
                        changed = commits.changed() => if changed.is_err() { return },
                        _ = sender.closed() => return,
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        });
        Ok(receiver)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;

    use super::*;

    /// A log other processes append to: what the store would hold.
    #[derive(Clone, Default)]
    struct SharedLog {
        events: Arc<Mutex<Vec<Event>>>,
        reads: Arc<AtomicUsize>,
        head_reads: Arc<AtomicUsize>,
        /// Looks at the head that fail before they succeed again.
        head_failures: Arc<AtomicUsize>,
    }

    impl SharedLog {
        fn append_elsewhere(&self) -> u64 {
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            let sequence = events.len() as u64 + 1;
            events.push(Event {
                sequence,
                event_type: "dataset.registered".into(),
                subject: format!("datasets/{sequence}"),
                organization_id: None,
                public: true,
                payload_json: "{}".into(),
                time: Utc::now(),
                prev_hash: [0; 32],
                hash: [0; 32],
            });
            sequence
        }

        fn feed(&self, shutdown: CancellationToken) -> EventFeed {
            let log = self.clone();
            EventFeed::start_with(8, shutdown, move || {
                let log = log.clone();
                async move {
                    log.head_reads.fetch_add(1, Ordering::SeqCst);
                    let failing = log.head_failures.load(Ordering::SeqCst) > 0;
                    if failing {
                        log.head_failures.fetch_sub(1, Ordering::SeqCst);
                        return Err(Error::Unavailable("the database is unreachable".into()));
                    }
                    Ok(log.events.lock().unwrap_or_else(|p| p.into_inner()).len() as u64)
                }
            })
        }

        fn watch(&self, feed: &EventFeed) -> mpsc::Receiver<Result<Event>> {
            let log = self.clone();
            feed.watch_with(0, move |after| {
                let log = log.clone();
                async move {
                    log.reads.fetch_add(1, Ordering::SeqCst);
                    let events = log.events.lock().unwrap_or_else(|p| p.into_inner());
                    Ok(events
                        .iter()
                        .filter(|e| e.sequence > after)
                        .cloned()
                        .collect())
                }
            })
            .expect("a watcher")
        }
    }

    /// The next event `watcher` receives within `limit`, failing the test with `why` otherwise.
    async fn next_event(
        watcher: &mut mpsc::Receiver<Result<Event>>,
        limit: Duration,
        why: &str,
    ) -> Event {
        tokio::time::timeout(limit, watcher.recv())
            .await
            .unwrap_or_else(|_| panic!("no event within {limit:?}: {why}"))
            .expect("open")
            .expect("an event")
    }

    #[tokio::test(start_paused = true)]
    async fn idle_watchers_do_not_read_the_store_and_nobody_polls_without_watchers() {
        let log = SharedLog::default();
        let feed = log.feed(CancellationToken::new());
        // Off the poll's beat, so that no look and no step of the test fall on the same instant.
        tokio::time::sleep(POLL_INTERVAL * 20 + POLL_INTERVAL / 4).await;
        assert_eq!(
            log.head_reads.load(Ordering::SeqCst),
            1,
            "one look at start only"
        );

        let _watchers: Vec<_> = (0..5).map(|_| log.watch(&feed)).collect();
        tokio::time::sleep(POLL_INTERVAL * 20).await;
        assert_eq!(
            log.reads.load(Ordering::SeqCst),
            5,
            "one catch-up read each"
        );
        assert_eq!(
            log.head_reads.load(Ordering::SeqCst),
            21,
            "one look per interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn events_committed_by_another_process_reach_every_watcher() {
        let log = SharedLog::default();
        log.append_elsewhere();
        let feed = log.feed(CancellationToken::new());
        let mut watchers: Vec<_> = (0..3).map(|_| log.watch(&feed)).collect();
        for watcher in &mut watchers {
            let first = watcher.recv().await.expect("open").expect("an event");
            assert_eq!(first.sequence, 1);
        }
        // Let the poller see the head once, so the next append is a move of it.
        tokio::time::sleep(POLL_INTERVAL * 2).await;

        let appended = log.append_elsewhere();
        for watcher in &mut watchers {
            let next = next_event(watcher, POLL_INTERVAL * 3, "woken by the poll").await;
            assert_eq!(next.sequence, appended);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_successful_look_wakes_watchers_who_read_while_looks_failed() {
        let log = SharedLog::default();
        log.head_failures.store(2, Ordering::SeqCst); // at start and at the first poll
        let feed = log.feed(CancellationToken::new());
        let mut watcher = log.watch(&feed);
        tokio::time::sleep(POLL_INTERVAL + POLL_INTERVAL / 4).await; // caught up; one look failed

        let appended = log.append_elsewhere();
        let next = next_event(
            &mut watcher,
            POLL_INTERVAL * 2,
            "woken by the first good look",
        )
        .await;
        assert_eq!(next.sequence, appended);
    }

    #[tokio::test(start_paused = true)]
    async fn a_local_commit_wakes_watchers_at_once_and_shutdown_ends_them() {
        let log = SharedLog::default();
        let shutdown = CancellationToken::new();
        let feed = log.feed(shutdown.clone());
        let mut watcher = log.watch(&feed);
        tokio::time::sleep(POLL_INTERVAL / 10).await; // the watcher has caught up and waits

        let appended = log.append_elsewhere();
        feed.notify();
        let next = next_event(&mut watcher, POLL_INTERVAL / 10, "woken before any poll").await;
        assert_eq!(next.sequence, appended);

        shutdown.cancel();
        let end = tokio::time::timeout(POLL_INTERVAL, watcher.recv())
            .await
            .expect("ended at shutdown");
        assert!(end.is_none());
    }
}
