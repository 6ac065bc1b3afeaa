//! Authentication: from the `authorization` metadata of a call to a verified [`Caller`].

pub mod client_certificates;
pub mod token;

use std::sync::Arc;

use chrono::Utc;
use tonic::metadata::MetadataMap;
use uuid::Uuid;

use crate::domain::access::{Caller, Role};
use crate::error::{Error, Result};
use crate::store::Store;
use client_certificates::ClientIdentities;
use token::TokenKeys;

/// Longest `authorization` value read; real tokens are well under 1 KiB.
const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

/// Checks bearer tokens: signature and claims first (no I/O), then the registry's record of the
/// token, so that revocation takes effect at once.
#[derive(Clone)]
pub struct Authenticator {
    keys: TokenKeys,
    store: Arc<dyn Store>,
    clients: Arc<ClientIdentities>,
}

impl Authenticator {
    /// An authenticator over `keys`, looking token records up in `store`, and taking the client
    /// certificates `clients` lists for the callers they stand for.
    pub fn new(keys: TokenKeys, store: Arc<dyn Store>, clients: ClientIdentities) -> Self {
        Self {
            keys,
            store,
            clients: Arc::new(clients),
        }
    }

    /// The keys, for issuing tokens.
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The caller behind `metadata`, or `Unauthenticated` saying what is wrong.
    /// A bearer token wins over a client certificate: a token names exactly one grant.
    pub async fn authenticate(
        &self,
        metadata: &MetadataMap,
        client_certificate: Option<&[u8]>,
    ) -> Result<Caller> {
        let unauthenticated = |reason: &str| Error::Unauthenticated(reason.to_owned());
        let Some(value) = metadata.get("authorization") else {
            return match client_certificate {
                Some(certificate) => self
                    .clients
                    .identify(certificate)
                    .map_err(Error::Unauthenticated),
                None => Err(unauthenticated(
                    "missing access token: send the metadata entry `authorization: Bearer <token>`",
                )),
            };
        };
        let value = value
            .to_str()
            .ok()
            .filter(|v| v.len() <= MAX_AUTHORIZATION_LEN)
            .ok_or_else(|| unauthenticated("the access token is malformed"))?;
        let token = value.strip_prefix("Bearer ").ok_or_else(|| {
            unauthenticated("the authorization metadata must read `Bearer <token>`")
        })?;
        let claims = self
            .keys
            .verify(token.trim())
            .map_err(|e| Error::Unauthenticated(e.to_string()))?;

        let malformed = || unauthenticated("the access token is malformed");
        let id = Uuid::try_parse(&claims.jti).map_err(|_| malformed())?;
        let role = Role::parse(&claims.role).ok_or_else(malformed)?;
        let organization_id = match claims.org.as_str() {
            "" => None,
            org => Some(Uuid::try_parse(org).map_err(|_| malformed())?),
        };
        let record = self
            .store
            .get_access_token(id)
            .await?
            .ok_or_else(|| unauthenticated("the access token is not known to this registry"))?;
        if record.revoke_time.is_some() {
            return Err(unauthenticated("the access token has been revoked"));
        }
        if record.expire_time <= Utc::now() {
            return Err(unauthenticated("the access token has expired"));
        }
        // A signed token always matches its record; a mismatch means the record was tampered with.
        if record.role != role || record.organization_id != organization_id {
            return Err(malformed());
        }
        Ok(Caller {
            token_id: id,
            subject: claims.sub,
            organization_id,
            role,
        })
    }
}
