"""Signatures a key's holder can craft to tell Ed25519 verifiers apart: the Python twin of
crates/ed25519-verify/src/crafting.rs (same names, same bytes), for tests only."""

from __future__ import annotations

import hashlib

from provenance_client import _ed25519 as ed

#: Each way, and the rule's answer: None when accepted, else the rejection code.
EXPECTED = {
    "honest": None,
    "small-order-r": None,
    "mixed-order-r": None,
    "non-canonical-r-y-at-least-p": "r_not_canonical",
    "negative-zero-r": "r_not_canonical",
    "s-plus-l": "s_not_reduced",
}

_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def encode(point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, ed._P - 2, ed._P)
    x, y = x * inverse % ed._P, y * inverse % ed._P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def craft(seed: bytes, message: bytes, how: str) -> bytes:
    expanded = hashlib.sha512(seed).digest()
    a = int.from_bytes(expanded[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    public = encode(ed._multiply(a, ed._BASE))

    def k(r: bytes) -> int:
        return int.from_bytes(hashlib.sha512(r + public + message).digest(), "little") % ed._L

    def signature(r: bytes, s: int) -> bytes:
        return r + s.to_bytes(32, "little")

    def honest() -> bytes:
        r = int.from_bytes(hashlib.sha512(expanded[32:] + message).digest(), "little") % ed._L
        big_r = encode(ed._multiply(r, ed._BASE))
        return signature(big_r, (r + k(big_r) * a) % ed._L)

    if how == "honest":
        return honest()
    if how == "small-order-r":
        r = (1).to_bytes(32, "little")
        return signature(r, k(r) * a % ed._L)
    if how == "mixed-order-r":
        r = int.from_bytes(hashlib.sha512(b"nonce").digest(), "little") % ed._L
        big_r = encode(ed._add(ed._multiply(r, ed._BASE), ed._decode(_ORDER_8)))
        return signature(big_r, (r + k(big_r) * a) % ed._L)
    if how == "non-canonical-r-y-at-least-p":
        r = (ed._P + 1).to_bytes(32, "little")
        return signature(r, k(r) * a % ed._L)
    if how == "negative-zero-r":
        r = ((ed._P - 1) | (1 << 255)).to_bytes(32, "little")
        return signature(r, k(r) * a % ed._L)
    if how == "s-plus-l":
        good = honest()
        return good[:32] + (int.from_bytes(good[32:], "little") + ed._L).to_bytes(32, "little")
    raise ValueError(how)
