//! Group commit of registrations: concurrent `RegisterDataset` calls are gathered into one database
//! transaction with multi-row statements, so the write rate is set by transactions, not by calls.
//!
//! One task takes whatever requests are waiting (up to a bound), writes them as one batch, answers
//! each, and repeats. While a batch commits, the next one gathers; a lone request is written at once.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::domain::registration::{Pending, Registration};
use crate::error::{Error, Result};
use crate::store::Store;

/// Requests gathered into one transaction at most.
pub const MAX_BATCH: usize = 256;

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Registration>>,
}

/// Handle for submitting registrations to the committing task.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the committing task; `committed` runs after each batch that wrote something.
    pub fn start(store: Arc<dyn Store>, committed: impl Fn() + Send + 'static) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(MAX_BATCH * 4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (pending, replies): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|job| (job.pending, job.reply)).unzip();
                match store.register_datasets(pending).await {
                    Ok(outcomes) => {
                        if outcomes
                            .iter()
                            .any(|o| matches!(o, Ok(Registration::Created(_))))
                        {
                            committed();
                        }
                        for (reply, outcome) in replies.into_iter().zip(outcomes) {
                            // A caller that went away no longer needs its answer.
                            let _ = reply.send(outcome);
                        }
                    }
                    Err(error) => {
                        tracing::error!(
                            error = format!("{error:#}"),
                            "a registration batch failed; nothing of it was written"
                        );
                        for reply in replies {
                            let _ = reply.send(Err(Error::internal(anyhow::anyhow!(
                                "the registration batch failed"
                            ))));
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Registers one dataset as part of the next batch and waits until that batch is committed.
    pub async fn submit(&self, pending: Pending) -> Result<Registration> {
        let (reply, answer) = oneshot::channel();
        let unavailable = || Error::Unavailable("the registry is shutting down".into());
        self.jobs
            .send(Job { pending, reply })
            .await
            .map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}
