//! A bounded cache of what verification needs to know of stored certificates.
//!
//! `VerifyCertificate` is the hottest call of the API (buyers check every certificate they hold,
//! often), and without this cache each call reads the certificate row. What a certificate was
//! issued as never changes; only its revocation does, and every revocation in this process goes
//! through the registry, which empties the cache in the same step. A generation counter keeps a
//! read that raced a revocation from putting a stale entry back. On a database shared by replicas
//! another process may revoke at any moment, so there the registry makes the cache hold nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::certificate::{self, CertificateRecord, CertificateStatus};
use provenance_api::certificate::dsse;

/// Certificates kept (each about 300 bytes).
pub const DEFAULT_CAPACITY: usize = 200_000;

/// The facts of one stored certificate that verification compares the token with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFacts {
    /// The certified dataset.
    pub dataset_id: Uuid,
    /// Lineage digest recorded at issuance.
    pub lineage_digest: String,
    /// SHA-256 of the stored token: the whole token is not kept, to keep entries small.
    pub token_sha256: [u8; 32],
    /// SHA-256 of the in-toto Statement signed beside the token (its DSSE envelope's payload);
    /// `None` when there is none.
    pub statement_sha256: Option<[u8; 32]>,
    /// `nbf`, as stored (to the microsecond): where the status history starts.
    pub not_before: DateTime<Utc>,
    /// `exp`.
    pub expire_time: DateTime<Utc>,
    /// When revoked.
    pub revoke_time: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// What caused it.
    pub revoke_cause: Option<String>,
}

impl StoredFacts {
    /// The facts of a stored certificate.
    pub fn of(record: &CertificateRecord) -> Self {
        Self {
            dataset_id: record.dataset_id,
            lineage_digest: record.lineage_digest.clone(),
            token_sha256: token_sha256(&record.token),
            statement_sha256: record
                .statement()
                .map(|statement| Sha256::digest(&statement).into()),
            not_before: record.not_before,
            expire_time: record.expire_time,
            revoke_time: record.revoke_time,
            revoke_reason: record.revoke_reason.clone(),
            revoke_cause: record.revoke_cause.clone(),
        }
    }

    /// Status at `time`.
    pub fn status_at(&self, time: DateTime<Utc>) -> CertificateStatus {
        certificate::status_at(self.revoke_time, self.expire_time, time)
    }

    /// Status changes up to `time`, as `GetCertificate` tells them.
    pub fn history(
        &self,
        time: DateTime<Utc>,
    ) -> Vec<(CertificateStatus, DateTime<Utc>, Option<String>)> {
        certificate::status_history(
            self.not_before,
            self.revoke_time,
            self.revoke_reason.as_deref(),
            self.expire_time,
            time,
        )
    }

    /// Whether `token` is the token stored under this id: the same header and claims. The
    /// signature is not compared: it was checked under the one Ed25519 rule before, and another
    /// valid signature of the same header and claims (which only the key's holder can make) is the
    /// same certificate, so that online and offline verification agree on it.
    pub fn holds_token(&self, token: &str) -> bool {
        self.token_sha256 == token_sha256(token)
    }

    /// Whether `presented`, in either form, is this certificate: a JWS as [`Self::holds_token`]
    /// says; a DSSE envelope when `signed` (its payload, as its signature covers it) is the
    /// Statement signed at issuance. As for the token, the signature is not compared.
    pub fn holds(&self, presented: &str, signed: &str) -> bool {
        if dsse::looks_like_envelope(presented) {
            self.statement_sha256
                .is_some_and(|stored| stored == <[u8; 32]>::from(Sha256::digest(signed.as_bytes())))
        } else {
            self.holds_token(presented)
        }
    }
}

/// SHA-256 of a token's signing input (`header.claims`, everything before the last `.`).
fn token_sha256(token: &str) -> [u8; 32] {
    let signing_input = token.rsplit_once('.').map_or(token, |(input, _)| input);
    Sha256::digest(signing_input.as_bytes()).into()
}

/// Where the cache stood when a read of the store began; see [`CertificateCache::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// Stored certificates' facts by id, oldest evicted first.
pub struct CertificateCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<Uuid, StoredFacts>,
    order: VecDeque<Uuid>,
}

impl CertificateCache {
    /// A cache of at most `capacity` certificates.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The cached facts of certificate `id`, if any.
    pub fn get(&self, id: Uuid) -> Option<StoredFacts> {
        self.lock().entries.get(&id).cloned()
    }

    /// Take this before reading the store and hand it to [`Self::insert`] afterwards.
    pub fn generation(&self) -> Generation {
        Generation(self.lock().generation)
    }

    /// Keeps `facts` read from the store, unless a revocation emptied the cache since `read_at`:
    /// then they may be out of date and the next call reads the store again.
    pub fn insert(&self, id: Uuid, facts: StoredFacts, read_at: Generation) {
        let mut inner = self.lock();
        if inner.generation != read_at.0 || self.capacity == 0 {
            return;
        }
        if inner.entries.insert(id, facts).is_none() {
            inner.order.push_back(id);
        }
        while inner.order.len() > self.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.entries.remove(&oldest);
            }
        }
    }

    /// Forgets everything: called after every revocation, whatever it revoked, because a cascade
    /// can revoke certificates the caller never named.
    pub fn invalidate_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.order.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map is consistent after every statement, so a panic elsewhere cannot corrupt it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn facts(token: &str, revoked: Option<DateTime<Utc>>) -> StoredFacts {
        StoredFacts {
            dataset_id: Uuid::nil(),
            lineage_digest: "sha256:00".into(),
            token_sha256: token_sha256(token),
            statement_sha256: None,
            not_before: DateTime::from_timestamp(1_900_000_000, 0).unwrap_or_default(),
            expire_time: DateTime::from_timestamp(2_000_000_000, 0).unwrap_or_default(),
            revoke_time: revoked,
            revoke_reason: None,
            revoke_cause: None,
        }
    }

    #[test]
    fn an_entry_read_before_a_revocation_is_not_kept() {
        let cache = CertificateCache::new(10);
        let id = Uuid::now_v7();
        let before = cache.generation();
        cache.invalidate_all();
        cache.insert(id, facts("t", None), before);
        assert_eq!(cache.get(id), None);
        cache.insert(id, facts("t", None), cache.generation());
        assert!(cache.get(id).is_some());
    }

    #[test]
    fn a_revocation_empties_the_cache() {
        let cache = CertificateCache::new(10);
        let id = Uuid::now_v7();
        cache.insert(id, facts("t", None), cache.generation());
        cache.invalidate_all();
        assert_eq!(cache.get(id), None);
    }

    #[test]
    fn the_oldest_entries_go_first_beyond_capacity() {
        let cache = CertificateCache::new(2);
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            cache.insert(*id, facts("t", None), cache.generation());
        }
        assert_eq!(cache.get(ids[0]), None);
        assert!(cache.get(ids[1]).is_some() && cache.get(ids[2]).is_some());
    }

    #[test]
    fn status_and_token_follow_the_stored_certificate() {
        let now = Utc::now();
        let revoked = facts("token", Some(now - Duration::hours(1)));
        assert_eq!(revoked.status_at(now), CertificateStatus::Revoked);
        assert_eq!(
            revoked.status_at(now - Duration::hours(2)),
            CertificateStatus::Valid
        );
        assert!(revoked.holds_token("token"));
        assert!(!revoked.holds_token("token2"));
    }
}
