//! Token status lists (IETF OAuth Token Status List): a position reserved for each certificate
//! before it is signed, and each list published as a signed `statuslist+jwt`, rebuilt from the
//! stored revocations at most [`REFRESH`] after the last build.
//!
//! Freshness: a revocation (a cascade's included: they are stored in the revoking transaction)
//! shows in the list the registry serves at most [`REFRESH`] after it commits; a verifier holding
//! a copy uses it for `ttl` ([`TTL`]) seconds and never after `exp` ([`VALIDITY`]).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header};
use provenance_api::status_list::{
    STATUS_LIST_TYPE, StatusClaim, StatusListClaims, StatusListReference, encode_list,
};
use uuid::Uuid;

use super::Registry;
use crate::error::{Error, Result};

/// Where lists are published under the registry's public URL: `/statuslists/<n>`.
pub const STATUS_LIST_PATH: &str = "/statuslists";

/// How long a built list is served before it is rebuilt: the longest a revocation takes to show.
pub const REFRESH: Duration = Duration::seconds(5);

/// The `ttl` claim: how long a verifier may rely on a copy before fetching the list again.
pub const TTL: Duration = Duration::minutes(5);

/// From `iat` to `exp`: a copy older than this must not be used at all.
pub const VALIDITY: Duration = Duration::days(1);

/// Signed lists, by number, with when they were built.
#[derive(Default)]
pub struct StatusListCache {
    built: Mutex<HashMap<u64, (DateTime<Utc>, String)>>,
}

impl Registry {
    /// The `status` claim of a new certificate `id`, when the operator published the registry's
    /// URL (a list's `uri` must be absolute): a position reserved in the current list.
    pub(crate) async fn reserve_status(&self, id: Uuid) -> Result<Option<StatusClaim>> {
        let Some(base) = &self.certificates.public_url else {
            return Ok(None);
        };
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
        let position = self.store.reserve_status_position(id, key).await?;
        Ok(Some(StatusClaim {
            status_list: StatusListReference {
                idx: position.idx,
                uri: format!("{base}{STATUS_LIST_PATH}/{}", position.list),
            },
        }))
    }

    /// Status list `list` as a signed `statuslist+jwt`, or `NotFound`.
    pub async fn status_list_token(&self, list: u64) -> Result<String> {
        let now = Utc::now();
        if let Ok(built) = self.status_lists.built.lock()
            && let Some((at, token)) = built.get(&list)
            && now - *at < REFRESH
        {
            return Ok(token.clone());
        }
        let not_found = || Error::NotFound(format!("status list {list} not found"));
        let base = self
            .certificates
            .public_url
            .as_ref()
            .ok_or_else(not_found)?;
        let (capacity, revoked) = self
            .store
            .revoked_status_positions(list)
            .await?
            .ok_or_else(not_found)?;
        let claims = StatusListClaims {
            sub: format!("{base}{STATUS_LIST_PATH}/{list}"),
            iat: now.timestamp(),
            exp: (now + VALIDITY).timestamp(),
            ttl: TTL.num_seconds(),
            status_list: encode_list(capacity, revoked),
        };
        let keys = self.keys_for_signing().await;
        let key = keys.active();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(STATUS_LIST_TYPE.to_owned());
        header.kid = Some(key.kid.clone());
        let token = key.sign_jws(&header, &claims).await?;
        if let Ok(mut built) = self.status_lists.built.lock() {
            built.insert(list, (now, token.clone()));
        }
        Ok(token)
    }
}
