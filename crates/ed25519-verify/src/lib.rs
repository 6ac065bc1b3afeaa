//! The one rule by which provenance-registry accepts an Ed25519 signature, in one place for every
//! verifier written in Rust: the registry's `VerifyCertificate` (batched), `provctl`'s offline
//! verification and the transparency log's checkpoint notes. The Python client implements the same
//! rule (`provenance_client/_ed25519.py`); `tests/data/ed25519_speccheck.json` holds the vectors
//! that every implementation must decide alike.
//!
//! # The rule
//!
//! A signature `R ‖ S` (64 bytes) of message `M` by public key `A` (32 bytes) is accepted if and
//! only if all of these hold:
//!
//! 1. `A` is the canonical encoding of a curve point: its `y` is below p = 2²⁵⁵ − 19, and its sign
//!    bit is clear when `x` = 0;
//! 2. `A` is not of small order (not one of the eight points of the torsion subgroup);
//! 3. `R` is the canonical encoding of a curve point (as in 1; `R` may be of small order);
//! 4. `S`, read as a 256-bit little-endian integer, is below the group order L;
//! 5. with `k` = SHA-512(`R` ‖ `A` ‖ `M`) read as a little-endian integer and reduced mod L,
//!    the cofactored equation of RFC 8032 §5.1.7 holds: [8]([S]B − R − [k]A) is the identity.
//!
//! This is Algorithm 2 of Chalkias, Garillot and Nikolaenko, "Taming the many EdDSAs" (SSR 2020),
//! which recommends rejecting small-order `A` and not small-order `R`: a small-order `A` makes one
//! signature valid for many messages, while a small-order `R` is something only the key's holder
//! can produce and gains it nothing. Cofactored, because only the cofactored equation can be
//! checked in a batch with the same outcome as one by one: a batch multiplies each signature's
//! equation by a random coefficient, and a torsion component left by a cofactorless check would
//! then vanish or not depending on that coefficient. Multiplying the point by 8 (rather than the
//! scalar `8k` reduced mod L) is what makes torsion in `A` vanish.
//!
//! Checks 1 to 4 are cheap and run before a signature enters a batch, so that a batch holds only
//! signatures whose single check reduces to the equation: then a batch passes exactly when each of
//! its signatures would pass alone (but with probability 2⁻¹²⁸), and [`verify_each`] falls back to
//! single checks only to find which one failed.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// Length of an encoded public key.
pub const PUBLIC_KEY_LENGTH: usize = 32;
/// Length of a signature, `R ‖ S`.
pub const SIGNATURE_LENGTH: usize = 64;

/// Why the rule refuses a key or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The public key is not 32 bytes.
    #[error("the public key is not {PUBLIC_KEY_LENGTH} bytes")]
    KeyLength,
    /// The public key's bytes are no curve point.
    #[error("the public key is not the encoding of a curve point")]
    KeyNotAPoint,
    /// The public key encodes a point, but not as its canonical encoding.
    #[error("the public key's encoding is not canonical")]
    KeyNotCanonical,
    /// The public key is one of the eight small-order points.
    #[error("the public key is a point of small order")]
    KeySmallOrder,
    /// The signature is not 64 bytes.
    #[error("the signature is not {SIGNATURE_LENGTH} bytes")]
    SignatureLength,
    /// `R`'s bytes are no curve point.
    #[error("R is not the encoding of a curve point")]
    RNotAPoint,
    /// `R` encodes a point, but not as its canonical encoding.
    #[error("R's encoding is not canonical")]
    RNotCanonical,
    /// `S` is not below the group order L.
    #[error("S is not below the group order L")]
    SNotReduced,
    /// Everything is well formed, but [8]([S]B − R − [k]A) is not the identity.
    #[error("the cofactored verification equation does not hold")]
    Equation,
}

impl Rejection {
    /// A stable name for the failed check, as `tests/data/ed25519_speccheck.json` and the Python
    /// client spell it.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::KeyLength => "key_length",
            Rejection::KeyNotAPoint => "key_not_a_point",
            Rejection::KeyNotCanonical => "key_not_canonical",
            Rejection::KeySmallOrder => "key_small_order",
            Rejection::SignatureLength => "signature_length",
            Rejection::RNotAPoint => "r_not_a_point",
            Rejection::RNotCanonical => "r_not_canonical",
            Rejection::SNotReduced => "s_not_reduced",
            Rejection::Equation => "equation",
        }
    }
}

/// A public key the rule accepts (checks 1 and 2), decoded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    bytes: [u8; PUBLIC_KEY_LENGTH],
    point: EdwardsPoint,
}

impl PublicKey {
    /// Decodes `bytes`, refusing what the rule refuses of a key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Rejection> {
        let bytes: [u8; PUBLIC_KEY_LENGTH] = bytes.try_into().map_err(|_| Rejection::KeyLength)?;
        let point = CompressedEdwardsY(bytes)
            .decompress()
            .ok_or(Rejection::KeyNotAPoint)?;
        if !is_canonical(&bytes) {
            return Err(Rejection::KeyNotCanonical);
        }
        if point.is_small_order() {
            return Err(Rejection::KeySmallOrder);
        }
        Ok(Self { bytes, point })
    }

    /// The encoding, as given (canonical).
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LENGTH] {
        &self.bytes
    }
}

/// A signature that passed checks 3 and 4: what is left of the rule is the equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    r_bytes: [u8; 32],
    r: EdwardsPoint,
    s: Scalar,
}

impl Signature {
    /// Decodes `bytes` (`R ‖ S`), refusing what the rule refuses of a signature on its own.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Rejection> {
        let bytes: &[u8; SIGNATURE_LENGTH] =
            bytes.try_into().map_err(|_| Rejection::SignatureLength)?;
        let (r_bytes, s_bytes) = bytes.split_at(32);
        let r_bytes: [u8; 32] = r_bytes.try_into().map_err(|_| Rejection::SignatureLength)?;
        let s_bytes: [u8; 32] = s_bytes.try_into().map_err(|_| Rejection::SignatureLength)?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
            .ok_or(Rejection::SNotReduced)?;
        let r = CompressedEdwardsY(r_bytes)
            .decompress()
            .ok_or(Rejection::RNotAPoint)?;
        if !is_canonical(&r_bytes) {
            return Err(Rejection::RNotCanonical);
        }
        Ok(Self { r_bytes, r, s })
    }
}

/// Whether `signature` is `key`'s signature of `message` under the rule (see the crate's
/// documentation); if not, the first check that fails.
pub fn verify(key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), Rejection> {
    verify_decoded(key, message, &Signature::from_bytes(signature)?)
}

/// [`verify`] for a signature already decoded.
pub fn verify_decoded(
    key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), Rejection> {
    let k = challenge(signature, key, message);
    // [S]B − [k]A in one variable-time double multiplication (everything here is public).
    let sb_minus_ka =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-key.point, &signature.s);
    if (sb_minus_ka - signature.r).mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(Rejection::Equation)
    }
}

/// Verifies `signature` as [`verify`] does, given as bytes together with its message and key.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The signed bytes.
    pub message: &'a [u8],
    /// `R ‖ S`, as received: any length.
    pub signature: &'a [u8],
    /// The key it claims to be by.
    pub key: &'a PublicKey,
}

/// Each item's verdict under the rule, in order: exactly [`verify`]'s for each, computed as one
/// batch when they all pass, and one by one only when the batch fails.
pub fn verify_each(items: &[Item<'_>]) -> Vec<bool> {
    let decoded: Vec<Option<Signature>> = items
        .iter()
        .map(|item| Signature::from_bytes(item.signature).ok())
        .collect();
    let candidates: Vec<(&Item<'_>, &Signature)> = items
        .iter()
        .zip(&decoded)
        .filter_map(|(item, signature)| signature.as_ref().map(|s| (item, s)))
        .collect();
    let all_hold = candidates.len() > 1 && batch_equation_holds(&candidates);
    items
        .iter()
        .zip(&decoded)
        .map(|(item, signature)| match signature {
            None => false,
            Some(_) if all_hold => true,
            Some(signature) => verify_decoded(item.key, item.message, signature).is_ok(),
        })
        .collect()
}

/// Whether every item passes the rule, checked as one batch: `true` exactly when [`verify`]
/// accepts each of them (but with probability 2⁻¹²⁸). For tests and benchmarks that must see the
/// batch's own answer; [`verify_each`] is what verifiers call.
pub fn verify_batch(items: &[Item<'_>]) -> bool {
    let mut decoded = Vec::with_capacity(items.len());
    for item in items {
        match Signature::from_bytes(item.signature) {
            Ok(signature) => decoded.push((item, signature)),
            Err(_) => return false,
        }
    }
    let candidates: Vec<(&Item<'_>, &Signature)> = decoded
        .iter()
        .map(|(item, signature)| (*item, signature))
        .collect();
    batch_equation_holds(&candidates)
}

/// Whether Σ zᵢ·[8]([Sᵢ]B − Rᵢ − [kᵢ]Aᵢ) is the identity for random 128-bit zᵢ. Each term lies in
/// the prime-order subgroup (the factor 8 removes torsion), so a term that is not the identity
/// makes the sum the identity only when the zᵢ happen to cancel it: probability 2⁻¹²⁸. The
/// coefficients come from the operating system, not from the inputs, so that no one can choose
/// inputs for them.
fn batch_equation_holds(items: &[(&Item<'_>, &Signature)]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut random = vec![0u8; 16 * items.len()];
    if getrandom::fill(&mut random).is_err() {
        // No batch without randomness: the caller checks one by one.
        return false;
    }
    let zs: Vec<Scalar> = random
        .chunks_exact(16)
        .map(|chunk| {
            let mut z = [0u8; 16];
            z.copy_from_slice(chunk);
            Scalar::from(u128::from_le_bytes(z))
        })
        .collect();
    let basepoint_coefficient: Scalar = items
        .iter()
        .zip(&zs)
        .map(|((_, signature), z)| z * signature.s)
        .sum();
    let key_coefficients: Vec<Scalar> = items
        .iter()
        .zip(&zs)
        .map(|((item, signature), z)| z * challenge(signature, item.key, item.message))
        .collect();
    // −(Σ zᵢSᵢ)B + Σ zᵢRᵢ + Σ zᵢkᵢAᵢ, the negation of the sum above before the factor 8.
    let scalars = std::iter::once(-basepoint_coefficient)
        .chain(zs.iter().copied())
        .chain(key_coefficients);
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(items.iter().map(|(_, signature)| signature.r))
        .chain(items.iter().map(|(item, _)| item.key.point));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// k = SHA-512(R ‖ A ‖ M) mod L, over the encodings as received (both canonical by now).
fn challenge(signature: &Signature, key: &PublicKey, message: &[u8]) -> Scalar {
    let digest = Sha512::new()
        .chain_update(signature.r_bytes)
        .chain_update(key.bytes)
        .chain_update(message)
        .finalize();
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&digest);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Whether `bytes`, which decode to a point, are that point's canonical encoding: `y` < p, and
/// the sign bit clear when `x` = 0. `x` = 0 exactly when y = 1 or y = p − 1 (x² = (y² − 1) /
/// (dy² + 1)). Compared as bytes rather than by compressing the point again, which costs a field
/// inversion per signature; the unit tests check that both agree.
fn is_canonical(bytes: &[u8; 32]) -> bool {
    const ONE: [u8; 32] = {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    };
    const P_MINUS_ONE: [u8; 32] = {
        let mut p = [0xffu8; 32];
        p[0] = 0xec;
        p[31] = 0x7f;
        p
    };
    let mut y = *bytes;
    y[31] &= 0x7f;
    let sign = bytes[31] >> 7;
    // p = 2²⁵⁵ − 19 is ed ff … ff 7f little-endian: y ≥ p only when every byte above the lowest
    // is at its maximum and the lowest is at least 0xed.
    let at_least_p = y[31] == 0x7f && y[1..31].iter().all(|b| *b == 0xff) && y[0] >= 0xed;
    !at_least_p && !(sign == 1 && (y == ONE || y == P_MINUS_ONE))
}

#[cfg(feature = "crafting")]
pub mod crafting;

#[cfg(test)]
mod tests;
