//! Signing keys in a hardware security module, through its PKCS#11 module (the `cryptoki`
//! crate): Ed25519 key pairs (`CKK_EC_EDWARDS`) made in the token as sensitive and
//! non-extractable, used with `CKM_EDDSA`, so that the private keys never leave it.
//!
//! The token named by `--signing-key` (see [`uri`]) holds the certificate keys under the label
//! `object` and the checkpoint key under `<object>.log`. Each key's `CKA_ID` is the time it was
//! made (microseconds since 1970, 8 bytes big-endian): the newest certificate key is the active
//! one, and each older one was retired when the next was made, as rotation does with key files.
//!
//! Every call here blocks (a module may do I/O); the async side reaches it only through
//! [`crate::signing_keys::off_runtime`], bounded in number and time.

pub mod uri;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::Context;
use chrono::{DateTime, Utc};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::signing_keys::SignError;
pub use uri::{Pin, Pkcs11Uri, UriError};

/// DER of the Ed25519 curve's object identifier (1.3.101.112, RFC 8410): the key pairs'
/// `CKA_EC_PARAMS`.
const ED25519_OID: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];

/// An Ed25519 key pair in the token.
#[derive(Debug, Clone)]
pub struct TokenKey {
    /// Its `CKA_ID`.
    pub id: Vec<u8>,
    /// When it was made (read from its id).
    pub created: DateTime<Utc>,
    /// The public key (RFC 8032 encoding), read from the public object's `CKA_EC_POINT`.
    pub public: [u8; 32],
}

/// A logged-in connection to the token; one session, used by one call at a time.
pub struct Token {
    uri: Pkcs11Uri,
    context: Pkcs11,
    slot: Slot,
    pin: Option<AuthPin>,
    /// The open session (`None` after a failure: the next call opens a new one and logs in).
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("uri", &self.uri.redacted())
            .finish_non_exhaustive()
    }
}

/// A module is initialised once per process; every token of it shares the context.
fn context_of(module: &Path) -> anyhow::Result<Pkcs11> {
    static CONTEXTS: OnceLock<Mutex<Vec<(PathBuf, Pkcs11)>>> = OnceLock::new();
    let mut contexts = CONTEXTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some((_, context)) = contexts.iter().find(|(path, _)| path == module) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(module)
        .with_context(|| format!("cannot load the PKCS#11 module {}", module.display()))?;
    context
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| anyhow::anyhow!("{}", described(&e)))
        .with_context(|| format!("cannot initialise the PKCS#11 module {}", module.display()))?;
    contexts.push((module.to_path_buf(), context.clone()));
    Ok(context)
}

/// A module's error in a line: the function and the return value's name.
fn described(error: &CkError) -> String {
    match error {
        CkError::Pkcs11(rv, function) => format!("{function:?} returned {rv:?}"),
        other => other.to_string(),
    }
}

fn failed(what: &str, error: &CkError) -> SignError {
    SignError(format!("{what}: {}", described(error)))
}

/// The id of a key made at `created`.
fn id_of(created: DateTime<Utc>) -> Vec<u8> {
    created.timestamp_micros().to_be_bytes().to_vec()
}

/// The creation time a key's id holds; `None` for an id the registry did not make.
fn created_of(id: &[u8]) -> Option<DateTime<Utc>> {
    let micros = i64::from_be_bytes(id.try_into().ok()?);
    DateTime::from_timestamp_micros(micros)
}

/// The 32-byte public key in a `CKA_EC_POINT`: DER OCTET STRING (as PKCS#11 3.0 and SoftHSM
/// write it), or the bare key (as some modules do).
fn unwrap_ec_point(point: &[u8]) -> Option<[u8; 32]> {
    match point {
        [0x04, 0x20, key @ ..] if key.len() == 32 => key.try_into().ok(),
        key => key.try_into().ok(),
    }
}

impl Token {
    /// Loads the module, finds the one token `uri` selects and logs in as its user.
    pub fn open(uri: &Pkcs11Uri) -> anyhow::Result<Arc<Self>> {
        let shown = uri.redacted();
        let context = context_of(&uri.module_path)?;
        let slots = context
            .get_slots_with_token()
            .map_err(|e| anyhow::anyhow!("{}", described(&e)))
            .with_context(|| format!("cannot list the tokens of {shown}"))?;
        let mut matching = Vec::new();
        let mut seen = Vec::new();
        for slot in slots {
            let Ok(info) = context.get_token_info(slot) else {
                continue;
            };
            seen.push(format!("{:?} (slot-id {})", info.label(), slot.id()));
            let wanted = |want: &Option<String>, have: &str| {
                want.as_deref()
                    .is_none_or(|w| w.trim_end() == have.trim_end())
            };
            if wanted(&uri.token, info.label())
                && wanted(&uri.manufacturer, info.manufacturer_id())
                && wanted(&uri.serial, info.serial_number())
                && wanted(&uri.model, info.model())
                && uri.slot_id.is_none_or(|id| id == slot.id())
            {
                matching.push(slot);
            }
        }
        let slot = match matching[..] {
            [slot] => slot,
            [] => anyhow::bail!(
                "no token matches {shown}; the module has these: {}",
                if seen.is_empty() {
                    "none".to_owned()
                } else {
                    seen.join(", ")
                }
            ),
            _ => anyhow::bail!(
                "several tokens match {shown}: add `serial` or `slot-id` to the URI to choose one"
            ),
        };
        let pin = match &uri.pin {
            None => None,
            Some(Pin::Value(pin)) => Some(AuthPin::new(pin.clone().into())),
            Some(Pin::File(path)) => {
                let text = crate::key_file::read_private(path)
                    .with_context(|| format!("pin-source of {shown}"))?;
                Some(AuthPin::new(
                    text.trim_end_matches(['\r', '\n']).to_owned().into(),
                ))
            }
        };
        let token = Arc::new(Self {
            uri: uri.clone(),
            context,
            slot,
            pin,
            session: Mutex::new(None),
        });
        // Log in now, so that a wrong PIN stops the start rather than the first signature.
        token
            .with_session(|_| Ok(()))
            .map_err(|e| anyhow::anyhow!("cannot use the token {shown}: {}", e.0))?;
        Ok(token)
    }

    /// The URI the token was opened with, without its PIN.
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    /// Runs `call` with the session, opening one and logging in first if there is none. After a
    /// failure the session is dropped, so that a token that came back is used again.
    fn with_session<T>(
        &self,
        call: impl FnOnce(&Session) -> Result<T, SignError>,
    ) -> Result<T, SignError> {
        let mut guard: MutexGuard<'_, Option<Session>> =
            self.session.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let session = self
                .context
                .open_rw_session(self.slot)
                .map_err(|e| failed("cannot open a session", &e))?;
            match session.login(UserType::User, self.pin.as_ref()) {
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                Err(e) => return Err(failed("cannot log in", &e)),
            }
            *guard = Some(session);
        }
        let Some(session) = guard.as_ref() else {
            return Err(SignError("no session".into()));
        };
        let outcome = call(session);
        if outcome.is_err() {
            *guard = None;
        }
        outcome
    }

    /// The registry's key pairs labelled `label`, oldest first. Refuses a private key that could
    /// leave the token (not sensitive, or extractable) and one whose id the registry did not make.
    pub fn keys(&self, label: &str) -> Result<Vec<TokenKey>, SignError> {
        self.with_session(|session| {
            let private = session
                .find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::KeyType(KeyType::EC_EDWARDS),
                    Attribute::Label(label.as_bytes().to_vec()),
                ])
                .map_err(|e| failed("cannot list the keys", &e))?;
            let mut keys = Vec::with_capacity(private.len());
            for handle in private {
                let attributes = session
                    .get_attributes(
                        handle,
                        &[
                            AttributeType::Id,
                            AttributeType::Sensitive,
                            AttributeType::Extractable,
                        ],
                    )
                    .map_err(|e| failed("cannot read a key's attributes", &e))?;
                let mut id = None;
                let mut contained = (false, false);
                for attribute in attributes {
                    match attribute {
                        Attribute::Id(value) => id = Some(value),
                        Attribute::Sensitive(value) => contained.0 = value,
                        Attribute::Extractable(value) => contained.1 = !value,
                        _ => {}
                    }
                }
                let id = id.unwrap_or_default();
                let created = created_of(&id).ok_or_else(|| {
                    SignError(format!(
                        "a key labelled {label:?} has the id {}, which the registry did not make \
                         (it makes 8-byte ids holding the creation time)",
                        hex::encode(&id)
                    ))
                })?;
                if contained != (true, true) {
                    return Err(SignError(format!(
                        "the key labelled {label:?} with id {} can leave the token (it must be \
                         sensitive and not extractable)",
                        hex::encode(&id)
                    )));
                }
                let public = public_key(session, label, &id)?;
                keys.push(TokenKey {
                    id,
                    created,
                    public,
                });
            }
            keys.sort_by_key(|k| k.created);
            Ok(keys)
        })
    }

    /// Makes a new key pair labelled `label` in the token, its private key sensitive and not
    /// extractable, with `created` as its id.
    pub fn generate(&self, label: &str, created: DateTime<Utc>) -> Result<TokenKey, SignError> {
        let id = id_of(created);
        self.with_session(|session| {
            let common = [
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.clone()),
            ];
            let public_template = [
                &common[..],
                &[
                    Attribute::Verify(true),
                    Attribute::EcParams(ED25519_OID.to_vec()),
                ],
            ]
            .concat();
            let private_template = [
                &common[..],
                &[
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Sign(true),
                ],
            ]
            .concat();
            session
                .generate_key_pair(
                    &Mechanism::EccEdwardsKeyPairGen,
                    &public_template,
                    &private_template,
                )
                .map_err(|e| failed("cannot make an Ed25519 key pair", &e))?;
            let public = public_key(session, label, &id)?;
            Ok(TokenKey {
                id: id.clone(),
                created,
                public,
            })
        })
    }

    /// Removes the key pair labelled `label` with id `id` (a rotation whose record failed).
    pub fn destroy(&self, label: &str, id: &[u8]) -> Result<(), SignError> {
        self.with_session(|session| {
            for handle in session
                .find_objects(&[
                    Attribute::Label(label.as_bytes().to_vec()),
                    Attribute::Id(id.to_vec()),
                ])
                .map_err(|e| failed("cannot find the key", &e))?
            {
                session
                    .destroy_object(handle)
                    .map_err(|e| failed("cannot remove the key", &e))?;
            }
            Ok(())
        })
    }

    /// The Ed25519 signature (pure EdDSA, `CKM_EDDSA`) of `message` by the key labelled `label`
    /// with id `id`.
    pub fn sign(&self, label: &str, id: &[u8], message: &[u8]) -> Result<[u8; 64], SignError> {
        self.with_session(|session| {
            let key = find_one(session, ObjectClass::PRIVATE_KEY, label, id)?;
            let signature = session
                .sign(
                    &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                    key,
                    message,
                )
                .map_err(|e| failed("cannot sign", &e))?;
            signature.try_into().map_err(|s: Vec<u8>| {
                SignError(format!("the module gave a {}-byte signature", s.len()))
            })
        })
    }
}

fn find_one(
    session: &Session,
    class: ObjectClass,
    label: &str,
    id: &[u8],
) -> Result<ObjectHandle, SignError> {
    let found = session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ])
        .map_err(|e| failed("cannot find the key", &e))?;
    match found[..] {
        [handle] => Ok(handle),
        [] => Err(SignError(format!(
            "the token holds no key labelled {label:?} with id {} (any more)",
            hex::encode(id)
        ))),
        _ => Err(SignError(format!(
            "the token holds several keys labelled {label:?} with id {}",
            hex::encode(id)
        ))),
    }
}

/// The public key of the pair labelled `label` with id `id`.
fn public_key(session: &Session, label: &str, id: &[u8]) -> Result<[u8; 32], SignError> {
    let handle = find_one(session, ObjectClass::PUBLIC_KEY, label, id)?;
    let point = session
        .get_attributes(handle, &[AttributeType::EcPoint])
        .map_err(|e| failed("cannot read a public key", &e))?
        .into_iter()
        .find_map(|a| match a {
            Attribute::EcPoint(point) => Some(point),
            _ => None,
        })
        .ok_or_else(|| SignError("a public key has no CKA_EC_POINT".into()))?;
    unwrap_ec_point(&point).ok_or_else(|| {
        SignError(format!(
            "the public key labelled {label:?} is not an Ed25519 point ({} bytes)",
            point.len()
        ))
    })
}

/// One key of the token as a signer.
pub struct TokenSigner {
    /// The token.
    pub token: Arc<Token>,
    /// The key's label.
    pub label: String,
    /// The key's id.
    pub id: Vec<u8>,
}

impl crate::signing_keys::Ed25519Signer for TokenSigner {
    fn sign_blocking(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        self.token.sign(&self.label, &self.id, message)
    }

    fn blocks(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_holds_its_creation_time_and_other_ids_are_not_the_registrys() {
        let created = DateTime::from_timestamp_micros(1_765_000_000_123_456).unwrap();
        let id = id_of(created);
        assert_eq!(id.len(), 8);
        assert_eq!(created_of(&id), Some(created));
        assert_eq!(created_of(b"abc"), None);
    }

    #[test]
    fn an_ec_point_is_read_wrapped_in_der_or_bare() {
        let key = [7u8; 32];
        let mut der = vec![0x04, 0x20];
        der.extend_from_slice(&key);
        assert_eq!(unwrap_ec_point(&der), Some(key));
        assert_eq!(unwrap_ec_point(&key), Some(key));
        assert_eq!(unwrap_ec_point(&der[..20]), None);
    }
}
