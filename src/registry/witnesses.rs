//! Witnessing the registry's checkpoints (c2sp.org/tlog-witness, the log's side): each new
//! checkpoint goes to every witness the operator configured, with a consistency proof from the
//! size that witness last cosigned; the cosignatures that come back are verified with the
//! witness's configured key, kept, and published after the checkpoint's own signature.
//!
//! A witness is tried once per checkpoint size (a failure is logged, and the next checkpoint
//! tries again), so an unreachable witness costs one timeout per new tree size, never one per
//! read. The registry learns a witness's size from the cosignatures it kept, and otherwise from
//! the witness's 409 answer, which it follows once.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::Mutex;
use transparency_log::{
    CosignatureVerifier, SIZE_CONTENT_TYPE, add_checkpoint_body, parse_size_answer,
    verify_cosignatures,
};

use super::Registry;
use crate::domain::transparency::{CheckpointCosignature, SignedCheckpoint};
use crate::domain::webhook::{AddressPolicy, EndpointUrl};
use crate::error::Result;
use crate::webhook_sender::Sender;

/// One witness the operator configured: `VKEY=URL` on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// The witness's `cosignature/v1` verifier key.
    pub key: CosignatureVerifier,
    /// Its submission prefix: `add-checkpoint` is posted to `<url>/add-checkpoint`.
    pub url: String,
}

impl std::str::FromStr for WitnessEndpoint {
    type Err = String;

    /// Parses `VKEY=URL`. A vkey holds no `=` (its 33-byte key is base64 without padding), so the
    /// first `=` separates them.
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (vkey, url) = text
            .split_once('=')
            .ok_or_else(|| "expected VKEY=URL (the witness's key, then its address)".to_owned())?;
        let key = CosignatureVerifier::from_vkey(vkey)
            .map_err(|e| format!("the witness key {vkey:?}: {e}"))?;
        let url = url.trim_end_matches('/').to_owned();
        if url.is_empty() {
            return Err("the witness URL is empty".into());
        }
        Ok(Self { key, url })
    }
}

/// The operator's witnesses and how to reach them.
#[derive(Debug, Clone)]
pub struct WitnessRules {
    /// The witnesses; none means checkpoints are published with the registry's signature only.
    pub witnesses: Vec<WitnessEndpoint>,
    /// Where witnesses may be reached (as for webhooks: public addresses only unless allowed).
    pub addresses: AddressPolicy,
    /// Longest connecting may take.
    pub connect_timeout: Duration,
    /// Longest one call may take in all.
    pub request_timeout: Duration,
}

impl Default for WitnessRules {
    fn default() -> Self {
        Self {
            witnesses: Vec::new(),
            addresses: AddressPolicy::default(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl WitnessRules {
    /// Refuses witness URLs that the address rules would refuse at every call.
    pub fn check(&self) -> anyhow::Result<()> {
        for witness in &self.witnesses {
            EndpointUrl::parse("--witness", &witness.url, &self.addresses)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    }
}

/// Witnessing state shared by the registry's clones.
pub(crate) struct Witnessing {
    rules: WitnessRules,
    sender: Option<Sender>,
    /// Per witness (by vkey): the size it last cosigned as far as the registry knows, and the
    /// checkpoint size last tried. Held across a round, so rounds do not overlap.
    state: Mutex<Option<HashMap<String, Known>>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Known {
    size: Option<u64>,
    tried: Option<u64>,
}

impl Default for Witnessing {
    fn default() -> Self {
        Self::new(WitnessRules::default())
    }
}

impl Witnessing {
    pub(crate) fn new(rules: WitnessRules) -> Self {
        let sender = if rules.witnesses.is_empty() {
            None
        } else {
            Sender::new(
                rules.addresses.clone(),
                rules.connect_timeout,
                rules.request_timeout,
            )
            .map_err(
                |e| tracing::error!(error = %e, "witnesses: no HTTP client; none will be asked"),
            )
            .ok()
        };
        Self {
            rules,
            sender,
            state: Mutex::new(None),
        }
    }
}

/// How one witness answered.
enum Outcome {
    Cosigned(CheckpointCosignature),
    /// The witness's own size, from a 409.
    Conflict(u64),
    Failed(String),
}

impl Registry {
    /// Sets the witnesses (the server's `--witness` flags).
    pub fn with_witnesses(mut self, rules: WitnessRules) -> Self {
        self.witnessing = std::sync::Arc::new(Witnessing::new(rules));
        self
    }

    /// `checkpoint` with every cosignature kept for it appended, after asking the witnesses that
    /// have not cosigned it (and were not tried at its size yet).
    pub(super) async fn cosigned(&self, checkpoint: SignedCheckpoint) -> Result<SignedCheckpoint> {
        let witnessing = self.witnessing.clone();
        let Some(sender) = &witnessing.sender else {
            return self.with_cosignatures(checkpoint).await;
        };
        let mut state = witnessing.state.lock().await;
        if state.is_none() {
            let mut known: HashMap<String, Known> = HashMap::new();
            for (witness, size) in self.store.witnessed_sizes().await? {
                known.entry(witness).or_default().size = Some(size);
            }
            *state = Some(known);
        }
        let Some(known) = state.as_mut() else {
            return self.with_cosignatures(checkpoint).await;
        };
        let kept = self.store.cosignatures(checkpoint.tree_size).await?;
        for witness in &witnessing.rules.witnesses {
            let vkey = witness.key.vkey();
            let entry = known.entry(vkey.clone()).or_default();
            if entry.tried == Some(checkpoint.tree_size) || kept.iter().any(|c| c.witness == vkey) {
                continue;
            }
            entry.tried = Some(checkpoint.tree_size);
            let mut old = entry.size.unwrap_or(0);
            // At most one retry: after a 409 the witness has told its size.
            for attempt in 0..2 {
                match self.submit(sender, witness, old, &checkpoint).await? {
                    Outcome::Cosigned(cosignature) => {
                        self.store.keep_cosignature(cosignature).await?;
                        entry.size = Some(checkpoint.tree_size);
                        break;
                    }
                    Outcome::Conflict(size) if attempt == 0 && size != old => {
                        entry.size = Some(size);
                        old = size;
                    }
                    Outcome::Conflict(size) => {
                        tracing::warn!(witness = %witness.url, size, "witness: size conflict again");
                        break;
                    }
                    Outcome::Failed(reason) => {
                        tracing::warn!(
                            witness = %witness.url,
                            tree_size = checkpoint.tree_size,
                            %reason,
                            "witness did not cosign the checkpoint"
                        );
                        break;
                    }
                }
            }
        }
        drop(state);
        self.with_cosignatures(checkpoint).await
    }

    /// `checkpoint`'s note followed by the cosignature lines kept for it.
    async fn with_cosignatures(
        &self,
        mut checkpoint: SignedCheckpoint,
    ) -> Result<SignedCheckpoint> {
        for cosignature in self.store.cosignatures(checkpoint.tree_size).await? {
            checkpoint.note.push_str(&cosignature.line);
            checkpoint.note.push('\n');
        }
        Ok(checkpoint)
    }

    /// One `add-checkpoint` call: the checkpoint with a proof from `old`.
    async fn submit(
        &self,
        sender: &Sender,
        witness: &WitnessEndpoint,
        old: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<Outcome> {
        if old > checkpoint.tree_size {
            return Ok(Outcome::Failed(format!(
                "the witness has cosigned {old} leaves, more than this log's {}: it saw another \
                 history of this log",
                checkpoint.tree_size
            )));
        }
        let proof = if old == 0 || old == checkpoint.tree_size {
            Vec::new()
        } else {
            self.proof_between(old, checkpoint.tree_size).await?
        };
        let body = add_checkpoint_body(old, &proof, &checkpoint.note);
        let url = format!("{}/add-checkpoint", witness.url);
        let answer = match sender
            .exchange(&url, "text/plain; charset=utf-8", body.as_bytes())
            .await
        {
            Ok(answer) => answer,
            Err(e) => return Ok(Outcome::Failed(e.reason)),
        };
        let text = String::from_utf8_lossy(&answer.body);
        match answer.status {
            200 => Ok(self.check_cosignature(witness, checkpoint, &text)),
            409 if answer.content_type.as_deref() == Some(SIZE_CONTENT_TYPE) => {
                Ok(match parse_size_answer(&text) {
                    Some(size) => Outcome::Conflict(size),
                    None => Outcome::Failed("a 409 without a size".into()),
                })
            }
            status => Ok(Outcome::Failed(format!(
                "answered {status}: {}",
                text.chars().take(200).collect::<String>().trim_end()
            ))),
        }
    }

    /// The witness's cosignature among the lines it answered, verified with its configured key.
    fn check_cosignature(
        &self,
        witness: &WitnessEndpoint,
        checkpoint: &SignedCheckpoint,
        lines: &str,
    ) -> Outcome {
        if !lines.ends_with('\n') || !lines.lines().all(|l| l.starts_with("\u{2014} ")) {
            return Outcome::Failed("the answer is not signature lines".into());
        }
        let note = format!("{}{lines}", checkpoint.note);
        match verify_cosignatures(&note, std::slice::from_ref(&witness.key)) {
            Ok((_, found)) => match found.into_iter().next() {
                Some(cosigned) => Outcome::Cosigned(CheckpointCosignature {
                    tree_size: checkpoint.tree_size,
                    witness: witness.key.vkey(),
                    line: cosigned.line,
                    cosigned_at: i64::try_from(cosigned.timestamp).unwrap_or(i64::MAX),
                }),
                None => Outcome::Failed("no cosignature by the configured key".into()),
            },
            Err(e) => Outcome::Failed(format!("the cosignature does not verify: {e}")),
        }
    }
}
