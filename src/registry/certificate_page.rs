//! What the public verification page shows of a certificate beyond its checks: its status history,
//! the lineage, the attestations and the log entry, as a viewer without an account may see them
//! (see [`crate::domain::public_lineage`] for the rule). Needs no caller.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Registry;
use crate::domain::attestation::Attestation;
use crate::domain::certificate::{CertificateClaims, CertificateRecord, CertificateStatus};
use crate::domain::policy::Policy;
use crate::domain::public_lineage::{PublicLineage, anonymous_viewer, public_lineage};
use crate::domain::transparency::{SignedCheckpoint, leaf_hash};
use crate::error::Result;

/// Attestations read for one page at most (a certificate names one per dataset of its closure).
pub const MAX_ATTESTATIONS_SHOWN: usize = 100;

/// The registry's facts about a certificate, as an anonymous viewer may see them.
#[derive(Debug, Clone)]
pub struct PublicCertificateFacts {
    /// The stored certificate: its status, history and log entry. Its token is the viewer's own.
    pub record: CertificateRecord,
    /// The policy it was judged under, when still loaded.
    pub policy: Option<Arc<Policy>>,
    /// The lineage as the viewer may see it, marked as things stand now; `None` when the policy
    /// is no longer loaded.
    pub lineage: Option<PublicLineage>,
    /// Attestations of datasets the viewer may see, with the attested dataset's name and version.
    pub attestations: Vec<(Attestation, Option<(String, String)>)>,
    /// Attestations named by the certificate but not shown: of hidden datasets, or beyond the bound.
    pub attestations_not_shown: usize,
    /// The newest checkpoint and whether the certificate's leaf is proved to be in its tree.
    pub log: Option<(SignedCheckpoint, bool)>,
}

impl Registry {
    /// The status of the certificate `id` at `now`, with when that status began (its revocation,
    /// its expiry, or the start of its validity) and until when it is valid; `None` when the
    /// registry holds no such certificate. Public, as a status list is: nothing of what the
    /// certificate states is told, only whether it stands.
    pub async fn certificate_status(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<(CertificateStatus, DateTime<Utc>, DateTime<Utc>)>> {
        let Some(record) = self.store.get_certificate(id).await? else {
            return Ok(None);
        };
        let status = record.status_at(now);
        let since = match status {
            CertificateStatus::Revoked => record.revoke_time.unwrap_or(record.not_before),
            CertificateStatus::Expired => record.expire_time,
            CertificateStatus::Valid => record.not_before,
        };
        Ok(Some((status, since, record.expire_time)))
    }

    /// The facts the verification page shows for a certificate (`presented` in either form, its
    /// signed content `signed`) whose signature verified. `None` when the registry does not hold
    /// exactly this certificate under its id: then nothing of its records is shown, since a page
    /// must not reveal anything to whoever merely guesses or alters an id.
    pub async fn public_certificate_facts(
        &self,
        presented: &str,
        signed: &str,
        claims: &CertificateClaims,
    ) -> Result<Option<PublicCertificateFacts>> {
        let Ok(id) = Uuid::try_parse(&claims.jti) else {
            return Ok(None);
        };
        let Some(record) = self.store.get_certificate(id).await? else {
            return Ok(None);
        };
        if !record.holds(presented, signed) {
            return Ok(None);
        }
        let viewer = anonymous_viewer();
        let now: DateTime<Utc> = Utc::now();
        let policy = self
            .policies
            .get(
                "policy_id",
                &record.policy_id,
                "policy_version",
                &record.policy_version,
            )
            .ok();
        let graph = match &policy {
            Some(policy) => Some(
                self.store
                    .closure_graph(record.dataset_id, &policy.id, &policy.version, now)
                    .await?,
            ),
            None => None,
        };
        let lineage = graph.as_ref().zip(policy.as_ref()).map(|(graph, policy)| {
            public_lineage(graph, policy, record.target_model.as_deref(), &viewer)
        });
        // An attestation is shown when the viewer may see its dataset, as `GetAttestation` shows
        // it to anyone who may see the dataset. The certified dataset's own attestation is not
        // shown when that dataset is private: the token names the dataset, not what its owner
        // attested about it.
        let visible: HashMap<Uuid, (String, String)> = graph
            .iter()
            .flat_map(|g| g.nodes.iter())
            .filter(|n| viewer.can_see(n.organization_id, n.visibility.is_public()))
            .map(|n| (n.id, (n.name.clone(), n.version.clone())))
            .collect();
        let mut attestations = Vec::new();
        let mut not_shown = 0;
        for (i, id) in claims.attestations.iter().enumerate() {
            let found = match Uuid::try_parse(id) {
                Ok(id) if i < MAX_ATTESTATIONS_SHOWN => self.store.get_attestation(id).await?,
                _ => None,
            };
            match found {
                Some(a) if visible.contains_key(&a.dataset_id) => {
                    let dataset = visible.get(&a.dataset_id).cloned();
                    attestations.push((a, dataset));
                }
                _ => not_shown += 1,
            }
        }
        let log = match record.issued_event_sequence {
            Some(sequence) if sequence > 0 => {
                let checkpoint = self.checkpoint().await?;
                let proof = self
                    .inclusion_proof(sequence - 1, Some(checkpoint.tree_size))
                    .await?;
                let included = transparency_log::verify_inclusion(
                    &leaf_hash(&proof.leaf_data),
                    proof.leaf_index,
                    proof.tree_size,
                    &proof.proof,
                    &checkpoint.root,
                )
                .is_ok();
                Some((checkpoint, included))
            }
            _ => None,
        };
        Ok(Some(PublicCertificateFacts {
            record,
            policy,
            lineage,
            attestations,
            attestations_not_shown: not_shown,
            log,
        }))
    }
}
