//! Ed25519 signature checks of concurrent requests, verified together.
//!
//! Checking n signatures as one batch costs about half of checking them one by one, and
//! `VerifyCertificate` is called by many verifiers at once. Requests queue here; one thread takes
//! whatever has queued (up to [`MAX_BATCH`]) and checks it as a batch, so a lone request waits for
//! nobody and a crowd shares the work. When a batch fails, each of its signatures is checked on its
//! own, so that one forged token never fails another caller's.

use std::thread;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use tokio::sync::{mpsc, oneshot};

/// Most signatures checked in one batch: beyond this the saving per signature is small and a
/// failed batch costs more to retry.
pub const MAX_BATCH: usize = 64;

struct Job {
    message: Vec<u8>,
    signature: Signature,
    key: VerifyingKey,
    answer: oneshot::Sender<bool>,
}

/// A handle on the verifying thread; cloning shares it.
#[derive(Clone)]
pub struct BatchVerifier {
    jobs: mpsc::UnboundedSender<Job>,
}

impl BatchVerifier {
    /// Starts the verifying thread. It stops when the last handle is dropped.
    pub fn start() -> std::io::Result<Self> {
        // Unbounded, because the server's limit on concurrent calls already bounds it.
        let (jobs, queue) = mpsc::unbounded_channel();
        thread::Builder::new()
            .name("signature-batch".into())
            .spawn(move || run(queue))?;
        Ok(Self { jobs })
    }

    /// Whether `signature` is `key`'s Ed25519 signature of `message`.
    pub async fn verify(&self, message: Vec<u8>, signature: &[u8], key: VerifyingKey) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        let (answer, answered) = oneshot::channel();
        let job = Job {
            message,
            signature,
            key,
            answer,
        };
        if let Err(mpsc::error::SendError(job)) = self.jobs.send(job) {
            // The thread is gone (only if it panicked): check here rather than fail the call.
            return verify_one(&job);
        }
        // A dropped sender means the thread died mid-batch; the signature was not accepted.
        answered.await.unwrap_or(false)
    }
}

fn run(mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let verdicts = verify_all(&batch);
        for (job, valid) in batch.drain(..).zip(verdicts) {
            // The caller may have gone (its call was cancelled); nothing to tell.
            let _ = job.answer.send(valid);
        }
    }
}

/// Each job's verdict, in order.
fn verify_all(batch: &[Job]) -> Vec<bool> {
    if batch.len() > 1 {
        let messages: Vec<&[u8]> = batch.iter().map(|job| job.message.as_slice()).collect();
        let signatures: Vec<Signature> = batch.iter().map(|job| job.signature).collect();
        let keys: Vec<VerifyingKey> = batch.iter().map(|job| job.key).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            return vec![true; batch.len()];
        }
    }
    batch.iter().map(verify_one).collect()
}

fn verify_one(job: &Job) -> bool {
    job.key.verify(&job.message, &job.signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[tokio::test]
    async fn a_forged_signature_fails_alone_among_concurrent_good_ones() {
        let verifier = BatchVerifier::start().expect("thread");
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let mut calls = Vec::new();
        for i in 0..200u32 {
            let message = format!("certificate {i}").into_bytes();
            // Every tenth is signed by another key: a forgery under `key`.
            let signer = if i % 10 == 3 { &other } else { &key };
            let signature = signer.sign(&message).to_bytes();
            let verifier = verifier.clone();
            let public = key.verifying_key();
            calls.push(tokio::spawn(async move {
                (i, verifier.verify(message, &signature, public).await)
            }));
        }
        for call in calls {
            let (i, valid) = call.await.expect("task");
            assert_eq!(valid, i % 10 != 3, "signature {i}");
        }
    }

    #[tokio::test]
    async fn a_signature_of_the_wrong_length_is_refused() {
        let verifier = BatchVerifier::start().expect("thread");
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert!(!verifier.verify(b"m".to_vec(), &[0; 63], key).await);
        assert!(!verifier.verify(b"m".to_vec(), &[], key).await);
    }
}
