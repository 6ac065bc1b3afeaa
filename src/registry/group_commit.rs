//! Group commit: concurrent writes of one kind (registrations, certificate issuances) are gathered
//! into one database transaction, so the write rate is set by transactions (and their `fsync`), not
//! by calls.
//!
//! One task takes whatever requests are waiting (up to a bound), writes them as one batch, answers
//! each, and repeats. While a batch commits, the next one gathers; a lone request is written at once.
//!
//! Each batch's size goes to a histogram of `/metrics`, and its transaction is a `store.transaction`
//! span of the trace of the first call in it (linked from the others' traces).

use std::future::Future;

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::error::{Error, Result};

/// Requests gathered into one transaction at most.
pub const MAX_BATCH: usize = 256;

struct Job<Request, Outcome> {
    request: Request,
    reply: oneshot::Sender<Result<Outcome>>,
    /// The trace of the call that submitted it.
    trace: opentelemetry::Context,
}

/// Handle for submitting requests to the committing task.
pub struct GroupCommit<Request, Outcome> {
    jobs: mpsc::Sender<Job<Request, Outcome>>,
}

impl<Request, Outcome> Clone for GroupCommit<Request, Outcome> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<Request: Send + 'static, Outcome: Send + 'static> GroupCommit<Request, Outcome> {
    /// Starts the committing task. `write` stores a batch in one transaction and answers each
    /// request in order; when it fails as a whole, nothing of the batch was written. `what` names
    /// the requests in the log and the spans; `sizes` gets the size of each batch.
    pub fn start<Write, Written>(what: &'static str, sizes: Histogram, write: Write) -> Self
    where
        Write: Fn(Vec<Request>) -> Written + Send + 'static,
        Written: Future<Output = Result<Vec<Result<Outcome>>>> + Send,
    {
        let (jobs, mut queue) = mpsc::channel::<Job<Request, Outcome>>(MAX_BATCH * 4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
                sizes.observe(batch.len() as f64);
                let span = batch_span(what, &batch);
                let (requests, replies): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|job| (job.request, job.reply)).unzip();
                match write(requests).instrument(span).await {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.into_iter().zip(outcomes) {
                            // A caller that went away no longer needs its answer.
                            let _ = reply.send(outcome);
                        }
                    }
                    Err(error) => {
                        tracing::error!(
                            error = format!("{error:#}"),
                            "a batch of {what}s failed; nothing of it was written"
                        );
                        for reply in replies {
                            let _ = reply.send(Err(Error::internal(anyhow::anyhow!(
                                "the {what} batch failed"
                            ))));
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Submits one request to the next batch and waits until that batch is committed.
    pub async fn submit(&self, request: Request) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        let unavailable = || Error::Unavailable("the registry is shutting down".into());
        self.jobs
            .send(Job {
                request,
                reply,
                trace: opentelemetry::Context::current(),
            })
            .await
            .map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}

/// The span of a batch's transaction: a child of the first call's, linked from the others'.
fn batch_span<Request, Outcome>(
    what: &'static str,
    batch: &[Job<Request, Outcome>],
) -> tracing::Span {
    let Some(first) = batch.first() else {
        return tracing::Span::none();
    };
    let span = tracing::info_span!(
        target: crate::telemetry::TRACE_TARGET,
        parent: None,
        "store.transaction",
        kind = what,
        batch.size = batch.len()
    );
    crate::telemetry::join_traces(&span, &first.trace, batch[1..].iter().map(|job| &job.trace));
    span
}
