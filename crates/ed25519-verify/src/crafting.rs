//! Signatures that a key's holder can craft to tell Ed25519 verifiers apart, and the rule's
//! answer to each: for tests that run the same crafted signature through every verifier (the
//! registry online, `provctl` and the Python client offline). Test support only: the feature
//! `crafting` is enabled by dev-dependencies alone.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use crate::Rejection;

/// How a signature is crafted from an honest key's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Craft {
    /// RFC 8032 signing: every verifier accepts it.
    Honest,
    /// `R` the identity (small order), `S` = k·a: valid under the rule (and cofactorless).
    SmallOrderR,
    /// `R` = [r]B plus a point of order 8, `S` = r + k·a: valid under the cofactored rule only.
    MixedOrderR,
    /// `R` the identity encoded with y = p + 1, `S` = k·a with k over `R` as sent: a verifier
    /// that reduces y mod p accepts it; the rule refuses it.
    NonCanonicalR,
    /// `R` the point (0, −1) encoded with its sign bit set ("negative zero"), `S` = k·a: a lenient
    /// cofactored verifier accepts it; the rule refuses it.
    NegativeZeroR,
    /// The honest signature with L added to `S`: the same equation, a second encoding.
    SPlusL,
}

impl Craft {
    /// Every way, in a fixed order.
    pub const ALL: [Craft; 6] = [
        Craft::Honest,
        Craft::SmallOrderR,
        Craft::MixedOrderR,
        Craft::NonCanonicalR,
        Craft::NegativeZeroR,
        Craft::SPlusL,
    ];

    /// A name for test messages and file names.
    pub fn name(self) -> &'static str {
        match self {
            Craft::Honest => "honest",
            Craft::SmallOrderR => "small-order-r",
            Craft::MixedOrderR => "mixed-order-r",
            Craft::NonCanonicalR => "non-canonical-r-y-at-least-p",
            Craft::NegativeZeroR => "negative-zero-r",
            Craft::SPlusL => "s-plus-l",
        }
    }

    /// The rule's answer.
    pub fn expected(self) -> Result<(), Rejection> {
        match self {
            Craft::Honest | Craft::SmallOrderR | Craft::MixedOrderR => Ok(()),
            Craft::NonCanonicalR | Craft::NegativeZeroR => Err(Rejection::RNotCanonical),
            Craft::SPlusL => Err(Rejection::SNotReduced),
        }
    }
}

/// The group order L, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A point of order 8, as published with the speccheck vectors.
const ORDER_8: [u8; 32] = [
    0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
    0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
];

/// `seed`'s key's signature of `message`, crafted as `how` says.
pub fn craft(seed: &[u8; 32], message: &[u8], how: Craft) -> [u8; 64] {
    let expanded = Sha512::digest(seed);
    let mut clamped = [0u8; 32];
    clamped.copy_from_slice(&expanded[..32]);
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    let a = Scalar::from_bytes_mod_order(clamped);
    let public = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
    let k = |r: &[u8; 32]| {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(
            &Sha512::new()
                .chain_update(r)
                .chain_update(public)
                .chain_update(message)
                .finalize(),
        );
        Scalar::from_bytes_mod_order_wide(&wide)
    };
    let signature = |r: [u8; 32], s: Scalar| {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r);
        out[32..].copy_from_slice(s.as_bytes());
        out
    };
    let honest = || {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(
            &Sha512::new()
                .chain_update(&expanded[32..])
                .chain_update(message)
                .finalize(),
        );
        let r = Scalar::from_bytes_mod_order_wide(&wide);
        let big_r = (ED25519_BASEPOINT_POINT * r).compress().to_bytes();
        signature(big_r, r + k(&big_r) * a)
    };
    match how {
        Craft::Honest => honest(),
        Craft::SmallOrderR => {
            let mut r = [0u8; 32];
            r[0] = 1;
            signature(r, k(&r) * a)
        }
        Craft::MixedOrderR => {
            // The nonce the shared vectors' case holder-mixed-order-r was made with.
            let mut wide = [0u8; 64];
            wide.copy_from_slice(&Sha512::digest(b"nonce"));
            let r = Scalar::from_bytes_mod_order_wide(&wide);
            let torsion = CompressedEdwardsY(ORDER_8).decompress().unwrap_or_default();
            let big_r = (ED25519_BASEPOINT_POINT * r + torsion)
                .compress()
                .to_bytes();
            signature(big_r, r + k(&big_r) * a)
        }
        Craft::NonCanonicalR => {
            // y = p + 1 = 2²⁵⁵ − 18.
            let mut r = [0xffu8; 32];
            r[0] = 0xee;
            r[31] = 0x7f;
            signature(r, k(&r) * a)
        }
        Craft::NegativeZeroR => {
            // y = p − 1 with the sign bit set.
            let mut r = [0xffu8; 32];
            r[0] = 0xec;
            signature(r, k(&r) * a)
        }
        Craft::SPlusL => {
            let mut out = honest();
            let mut carry = 0u16;
            for (byte, l) in out[32..].iter_mut().zip(L) {
                let sum = u16::from(*byte) + u16::from(l) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
            out
        }
    }
}
