//! Ed25519 signature checks of concurrent requests, verified together, under the one rule of the
//! crate `ed25519-verify` (SECURITY.md, "Ed25519 signatures"): a batch passes exactly when each of
//! its signatures would pass alone, so batching never changes an answer, only its cost.
//!
//! Checking n signatures as one batch costs less than checking them one by one (measured here
//! with 1.3 KB certificate payloads: 33 µs for one, 21 µs each in a batch of 8, 19 µs in a batch
//! of 16), and `VerifyCertificate` is called by many verifiers at once. Requests queue here and
//! one of the waiting callers at a time checks whatever has queued (up to [`MAX_BATCH`]) as a
//! batch, on its own runtime thread. Each caller first lets the calls already runnable queue
//! theirs, so a crowd shares batches while a lone request waits for nobody, and no thread
//! hand-off is paid per signature (a dedicated checking thread was measured slower). When a batch
//! fails, each of its signatures is checked on its own, so that one forged token never fails
//! another caller's.

use std::sync::{Arc, Mutex, MutexGuard};

use ed25519_verify::{Item, PublicKey, SIGNATURE_LENGTH};
use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{Notify, oneshot};

/// Most signatures checked in one batch: the saving per signature stops growing at about 16 (it
/// shrinks again beyond 32), a failed batch costs more to retry, and the checking caller holds
/// its runtime thread longer.
pub const MAX_BATCH: usize = 16;

struct Job {
    message: Vec<u8>,
    signature: Vec<u8>,
    key: PublicKey,
    answer: oneshot::Sender<bool>,
}

/// The queue of signatures to check; cloning shares it.
#[derive(Clone, Default)]
pub struct BatchVerifier {
    shared: Arc<Shared>,
    /// The sizes of the batches checked, for `/metrics`.
    sizes: Option<Histogram>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Told when a checker finished while jobs were still queued: one waiting caller takes over.
    checker_left: Notify,
}

#[derive(Default)]
struct State {
    queue: Vec<Job>,
    /// Whether some caller is checking a batch now.
    checking: bool,
}

impl BatchVerifier {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// This queue, recording the size of each batch in `metrics`.
    pub fn with_metrics(self, metrics: &crate::metrics::Metrics) -> Self {
        Self {
            sizes: Some(metrics.signature_batches()),
            ..self
        }
    }

    /// Whether `signature` is `key`'s Ed25519 signature of `message` under the rule of
    /// [`ed25519_verify`]: [`ed25519_verify::verify`]'s answer, whatever it is batched with.
    pub async fn verify(&self, message: Vec<u8>, signature: &[u8], key: PublicKey) -> bool {
        if signature.len() != SIGNATURE_LENGTH {
            return false;
        }
        let (answer, mut answered) = oneshot::channel();
        self.state().queue.push(Job {
            message,
            signature: signature.to_vec(),
            key,
            answer,
        });
        // Let the calls already runnable on this thread queue their signatures first.
        tokio::task::yield_now().await;
        loop {
            // Registered before looking at the queue, so that a checker leaving in between is
            // not missed.
            let checker_left = self.shared.checker_left.notified();
            self.check_one_batch();
            tokio::select! {
                // The answer first: a caller answered never takes over, and a notification it
                // was given passes on to another waiter when `checker_left` is dropped.
                biased;
                verdict = &mut answered => return verdict.unwrap_or(false),
                () = checker_left => {}
            }
        }
    }

    /// Checks the oldest queued signatures, unless another caller is checking. Never awaits, so
    /// a cancelled call cannot leave the queue without a checker.
    fn check_one_batch(&self) {
        let batch = {
            let mut state = self.state();
            if state.checking || state.queue.is_empty() {
                return;
            }
            state.checking = true;
            let take = state.queue.len().min(MAX_BATCH);
            state.queue.drain(..take).collect::<Vec<_>>()
        };
        let _leaving = LeaveChecking(self);
        if let Some(sizes) = &self.sizes {
            sizes.observe(batch.len() as f64);
        }
        // A child of the span of the call whose caller checks the batch.
        let _span = tracing::info_span!(
            target: crate::telemetry::TRACE_TARGET,
            "signature_batch",
            batch.size = batch.len()
        )
        .entered();
        #[cfg(test)]
        if tests::PANIC_IN_NEXT_BATCH.swap(false, std::sync::atomic::Ordering::SeqCst) {
            panic!("a check failed unexpectedly");
        }
        let verdicts = verify_all(&batch);
        for (job, valid) in batch.into_iter().zip(verdicts) {
            // The caller may have gone (its call was cancelled); nothing to tell.
            let _ = job.answer.send(valid);
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across code that can panic, so a poisoned state is still whole.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Ends a caller's turn at checking, handing over when jobs are left. A guard, so that even a
/// panic while checking (whose batch's callers then get "not verified") leaves no one waiting.
struct LeaveChecking<'a>(&'a BatchVerifier);

impl Drop for LeaveChecking<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.checking = false;
        if !state.queue.is_empty() {
            self.0.shared.checker_left.notify_one();
        }
    }
}

/// Each job's verdict, in order: signatures the rule refuses on their own (a non-canonical `R`,
/// `S` not below L) never enter the batch, the others are checked as one batch, and one by one only
/// when the batch fails.
fn verify_all(batch: &[Job]) -> Vec<bool> {
    let items: Vec<Item<'_>> = batch
        .iter()
        .map(|job| Item {
            message: &job.message,
            signature: &job.signature,
            key: &job.key,
        })
        .collect();
    ed25519_verify::verify_each(&items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn public(key: &SigningKey) -> PublicKey {
        PublicKey::from_bytes(key.verifying_key().as_bytes()).expect("an honest key")
    }

    #[tokio::test]
    async fn a_forged_signature_fails_alone_among_concurrent_good_ones() {
        let verifier = BatchVerifier::new();
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let mut calls = Vec::new();
        for i in 0..200u32 {
            let message = format!("certificate {i}").into_bytes();
            // Every tenth is signed by another key: a forgery under `key`.
            let signer = if i % 10 == 3 { &other } else { &key };
            let signature = signer.sign(&message).to_bytes();
            let verifier = verifier.clone();
            let public = public(&key);
            calls.push(tokio::spawn(async move {
                (i, verifier.verify(message, &signature, public).await)
            }));
        }
        for call in calls {
            let (i, valid) = call.await.expect("task");
            assert_eq!(valid, i % 10 != 3, "signature {i}");
        }
    }

    /// Callers that give up (their call cancelled) while others wait must leave no one waiting
    /// for a checker: every call that is not cancelled gets its answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_callers_leave_no_waiting_caller_unanswered() {
        let verifier = BatchVerifier::new();
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = public(&key);
        for round in 0..20u32 {
            let mut calls = Vec::new();
            for i in 0..64u32 {
                let message = format!("round {round} certificate {i}").into_bytes();
                let signature = key.sign(&message).to_bytes();
                let verifier = verifier.clone();
                calls.push(tokio::spawn(async move {
                    verifier.verify(message, &signature, public).await
                }));
            }
            // Cancel every third, at whatever point it has reached.
            for (i, call) in calls.iter().enumerate() {
                if i % 3 == 0 {
                    call.abort();
                }
            }
            for (i, call) in calls.into_iter().enumerate() {
                let answer = tokio::time::timeout(std::time::Duration::from_secs(10), call)
                    .await
                    .unwrap_or_else(|_| panic!("round {round}: call {i} was left waiting"));
                match answer {
                    Ok(valid) => assert!(valid, "round {round}: call {i}"),
                    Err(error) => assert!(error.is_cancelled() && i % 3 == 0, "{error}"),
                }
            }
        }
    }

    /// Set by a test to make the next batch panic as it is checked.
    pub(super) static PANIC_IN_NEXT_BATCH: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_while_checking_refuses_that_batch_and_leaves_no_one_waiting() {
        let verifier = BatchVerifier::new();
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = public(&key);
        let message = b"certificate".to_vec();
        let signature = key.sign(&message).to_bytes();
        PANIC_IN_NEXT_BATCH.store(true, std::sync::atomic::Ordering::SeqCst);
        let calls: Vec<_> = (0..32)
            .map(|_| {
                let verifier = verifier.clone();
                let message = message.clone();
                tokio::spawn(async move { verifier.verify(message, &signature, public).await })
            })
            .collect();
        let mut refused = 0;
        for call in calls {
            match tokio::time::timeout(std::time::Duration::from_secs(10), call).await {
                Err(_) => panic!("a caller was left waiting after the panic"),
                // The checking caller's own task panicked.
                Ok(Err(error)) => assert!(error.is_panic(), "{error}"),
                Ok(Ok(valid)) => refused += usize::from(!valid),
            }
        }
        assert!(refused < 32, "only the panicking batch is refused");
        // And the queue works on afterwards.
        assert!(verifier.verify(message, &signature, public).await);
    }

    #[tokio::test]
    async fn a_signature_of_the_wrong_length_is_refused() {
        let verifier = BatchVerifier::new();
        let key = public(&SigningKey::from_bytes(&[7; 32]));
        assert!(!verifier.verify(b"m".to_vec(), &[0; 63], key).await);
        assert!(!verifier.verify(b"m".to_vec(), &[], key).await);
    }

    /// The edge cases of `tests/data/ed25519_speccheck.json` (those with a key the rule accepts),
    /// queued at once among honest signatures, in batches of every composition the queue makes:
    /// each gets the single check's answer, which is the outcome the file expects.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edge_cases_batched_with_good_signatures_get_the_single_checks_answer() {
        let document: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/ed25519_speccheck.json"))
                .expect("the vectors are JSON");
        let hex_field = |case: &serde_json::Value, name: &str| {
            hex::decode(case[name].as_str().expect("hex")).expect("hex")
        };
        let mut jobs = Vec::new();
        for case in document["cases"].as_array().expect("cases") {
            let Ok(key) = PublicKey::from_bytes(&hex_field(case, "public_key")) else {
                continue;
            };
            let message = hex_field(case, "message");
            let signature = hex_field(case, "signature");
            let single = ed25519_verify::verify(&key, &message, &signature).is_ok();
            assert_eq!(
                single,
                case["valid"].as_bool().expect("an outcome"),
                "{}",
                case["id"]
            );
            jobs.push((case["id"].to_string(), message, signature, key, single));
        }
        assert!(jobs.len() >= 15, "{} edge cases", jobs.len());
        let signer = SigningKey::from_bytes(&[9; 32]);
        let verifier = BatchVerifier::new();
        for round in 0..8 {
            let mut calls = Vec::new();
            for (i, (id, message, signature, key, single)) in jobs.iter().cloned().enumerate() {
                // An honest signature before each edge case, so batches mix both kinds.
                let good = format!("round {round} good {i}").into_bytes();
                let good_signature = signer.sign(&good).to_bytes();
                let (v, k) = (verifier.clone(), public(&signer));
                calls.push(tokio::spawn(async move {
                    (
                        "honest".to_owned(),
                        v.verify(good, &good_signature, k).await,
                        true,
                    )
                }));
                let v = verifier.clone();
                calls.push(tokio::spawn(async move {
                    (id, v.verify(message, &signature, key).await, single)
                }));
            }
            for call in calls {
                let (id, batched, single) = call.await.expect("task");
                assert_eq!(batched, single, "round {round}: {id}");
            }
        }
    }
}
