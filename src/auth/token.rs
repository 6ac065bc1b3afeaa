//! Access tokens: HS256 JWTs with their own `typ` and audience, signed with a secret that no other
//! part of the registry uses (certificates have keys of their own).

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::access::Role;

/// The `typ` header of access tokens (RFC 9068's media type for JWT access tokens).
pub const TOKEN_TYPE: &str = "at+jwt";
/// The `aud` claim of access tokens, so that no other JWT of the registry passes for one.
pub const AUDIENCE: &str = "provenance-registry/access";

/// The claims of an access token, as DESIGN.md lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the registry's configured name.
    pub iss: String,
    /// Who holds the token.
    pub sub: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// Organisation id, empty for operator tokens.
    pub org: String,
    /// Role name.
    pub role: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Token id.
    pub jti: String,
}

/// Why a token was not accepted. Shown to the caller: says what is wrong, never anything secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or not one of ours.
    #[error("the access token is malformed")]
    Malformed,
    /// Signed by another key, or altered.
    #[error("the access token's signature does not verify")]
    BadSignature,
    /// Past its `exp`.
    #[error("the access token has expired")]
    Expired,
    /// Another kind of JWT (wrong `typ`, audience or issuer).
    #[error("the token is not an access token of this registry")]
    WrongKind,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    issuer: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from a 32-byte secret, for tokens naming `issuer`.
    pub fn new(issuer: &str, secret: &[u8; 32]) -> anyhow::Result<Self> {
        crate::jwt_crypto::install()?;
        Ok(Self {
            issuer: issuer.to_owned(),
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
        })
    }

    /// Signs a token for the given record fields.
    pub fn sign(
        &self,
        id: Uuid,
        organization_id: Option<Uuid>,
        role: Role,
        subject: &str,
        issued: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            aud: AUDIENCE.to_owned(),
            org: organization_id.map(|id| id.to_string()).unwrap_or_default(),
            role: role.as_str().to_owned(),
            iat: issued.timestamp(),
            exp: expires.timestamp(),
            jti: id.to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(TOKEN_TYPE.to_owned());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Checks signature, kind, issuer, audience and expiry; returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::WrongKind);
        }
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::WrongKind);
        }
        // Access tokens name no key: there is one secret. A token that names one (a certificate
        // key's `kid`, a `jwk` or a URL to fetch one from) was made for something else, or by
        // someone hoping a verifier would trust the key it brings (RFC 8725, section 2.6).
        if header.kid.is_some()
            || header.jwk.is_some()
            || header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(TokenError::WrongKind);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub", "jti"]);
        validation.leeway = 0;
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAudience
                | ErrorKind::InvalidIssuer
                | ErrorKind::InvalidAlgorithm => TokenError::WrongKind,
                _ => TokenError::Malformed,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn keys(secret: u8) -> TokenKeys {
        TokenKeys::new("test-registry", &[secret; 32]).unwrap()
    }

    fn sign(keys: &TokenKeys, expires_in: Duration) -> String {
        let now = Utc::now();
        keys.sign(
            Uuid::now_v7(),
            Some(Uuid::now_v7()),
            Role::Auditor,
            "ci",
            now,
            now + expires_in,
        )
        .unwrap()
    }

    #[test]
    fn a_signed_token_verifies_with_its_claims() {
        let k = keys(1);
        let claims = k.verify(&sign(&k, Duration::hours(1))).unwrap();
        assert_eq!(claims.role, "auditor");
        assert_eq!(claims.aud, AUDIENCE);
        assert_eq!(claims.sub, "ci");
    }

    #[test]
    fn expired_foreign_altered_and_garbage_tokens_are_refused_with_their_reason() {
        let k = keys(1);
        assert_eq!(
            k.verify(&sign(&k, Duration::seconds(-5))),
            Err(TokenError::Expired)
        );
        assert_eq!(
            k.verify(&sign(&keys(2), Duration::hours(1))),
            Err(TokenError::BadSignature)
        );
        let token = sign(&k, Duration::hours(1));
        let (rest, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let altered = format!("{rest}.{flipped}{}", &signature[1..]);
        assert_eq!(k.verify(&altered), Err(TokenError::BadSignature));
        assert_eq!(k.verify("not a token"), Err(TokenError::Malformed));
        let other_issuer = TokenKeys::new("elsewhere", &[1; 32]).unwrap();
        assert_eq!(
            k.verify(&sign(&other_issuer, Duration::hours(1))),
            Err(TokenError::WrongKind)
        );
    }

    #[test]
    fn a_token_naming_a_key_is_refused_even_when_signed_with_the_secret() {
        let k = keys(1);
        let claims = k.verify(&sign(&k, Duration::hours(1))).unwrap();
        let secret = EncodingKey::from_secret(&[1; 32]).unwrap();
        for named in ["kid", "jku"] {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some(TOKEN_TYPE.into());
            match named {
                "kid" => header.kid = Some("some-key".into()),
                _ => header.jku = Some("https://attacker.example/keys".into()),
            }
            let token = jsonwebtoken::encode(&header, &claims, &secret).unwrap();
            assert_eq!(k.verify(&token), Err(TokenError::WrongKind), "{named}");
        }
    }

    #[test]
    fn a_jwt_of_another_type_does_not_pass_for_an_access_token() {
        let k = keys(1);
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("JWT".into());
        let claims = k.verify(&sign(&k, Duration::hours(1))).unwrap();
        let plain = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(&[1; 32]).unwrap(),
        )
        .unwrap();
        assert_eq!(k.verify(&plain), Err(TokenError::WrongKind));
    }
}
