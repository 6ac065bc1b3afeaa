"""The registry's Ed25519 acceptance rule, the same as the Rust verifiers' (crates/ed25519-verify).

A signature ``R || S`` (64 bytes) of message ``M`` by public key ``A`` (32 bytes) is accepted if and
only if:

1. ``A`` is the canonical encoding of a curve point (``y`` < p = 2**255 - 19, sign bit clear when
   ``x`` = 0);
2. ``A`` is not of small order;
3. ``R`` is the canonical encoding of a curve point (it may be of small order);
4. ``S`` < L, the group order;
5. the cofactored equation of RFC 8032 section 5.1.7 holds: [8]([S]B - R - [k]A) is the identity,
   with ``k`` = SHA-512(R || A || M) mod L.

``cryptography`` (OpenSSL) checks the cofactorless equation [S]B = R + [k]A and decides small-order
keys and non-canonical encodings its own way, so it cannot be the rule by itself. It stays the fast
path: checks 1 to 4 run here first, and once they pass, a signature OpenSSL accepts also satisfies
check 5 (multiply its equation by 8). Only a signature OpenSSL refuses is checked again here, with
the cofactored equation over integers (a few milliseconds): the signatures on which the two
equations differ are those a key's holder crafted with a torsion component.

This is not constant-time code, and need not be: verification handles only public values.
"""

from __future__ import annotations

import hashlib

__all__ = ["Rejection", "check", "check_public_key", "verify"]

_P = 2**255 - 19
#: The order of the prime-order subgroup.
_L = 2**252 + 27742317777372353535851937790883648493
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_BASE_Y = (4 * pow(5, _P - 2, _P)) % _P

# Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
_Point = tuple[int, int, int, int]
_IDENTITY: _Point = (0, 1, 1, 0)


class Rejection(ValueError):
    """Why the rule refuses a key or a signature: ``code`` names the failed check as the Rust
    implementation and ``tests/data/ed25519_speccheck.json`` do, the message says it in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _add(p: _Point, q: _Point) -> _Point:
    # RFC 8032 section 5.1.4, complete for a = -1.
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _double(p: _Point) -> _Point:
    x1, y1, z1, _ = p
    a = x1 * x1 % _P
    b = y1 * y1 % _P
    c = 2 * z1 * z1 % _P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1)
    g = a - b
    f = c + g
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _negate(p: _Point) -> _Point:
    x, y, z, t = p
    return ((-x) % _P, y, z, (-t) % _P)


def _multiply(scalar: int, p: _Point) -> _Point:
    result = _IDENTITY
    while scalar > 0:
        if scalar & 1:
            result = _add(result, p)
        p = _double(p)
        scalar >>= 1
    return result


def _is_identity(p: _Point) -> bool:
    x, y, z, _ = p
    return x % _P == 0 and (y - z) % _P == 0


def _times_cofactor(p: _Point) -> _Point:
    return _double(_double(_double(p)))


def _decode(encoding: bytes) -> _Point | None:
    """The point whose ``y`` is the encoding's mod p and whose ``x`` has its sign bit, as
    curve25519-dalek decodes (so that a non-canonical encoding is refused as such, not as no point);
    ``None`` when that ``y`` belongs to no point."""
    y = int.from_bytes(encoding, "little") & ((1 << 255) - 1)
    sign = encoding[31] >> 7
    y %= _P
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    # RFC 8032 section 5.1.3, step 3.
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P == 0:
        pass
    elif (v * x * x + u) % _P == 0:
        x = x * _SQRT_M1 % _P
    else:
        return None
    if (x & 1) != sign:
        x = (-x) % _P
    return (x, y, 1, x * y % _P)


def _is_canonical(encoding: bytes) -> bool:
    y = int.from_bytes(encoding, "little") & ((1 << 255) - 1)
    sign = encoding[31] >> 7
    return y < _P and not (sign == 1 and y in (1, _P - 1))


_DECODED_BASE = _decode(_BASE_Y.to_bytes(32, "little"))
if _DECODED_BASE is None:  # pragma: no cover - the base point is a point
    raise ImportError("the Ed25519 base point does not decode")
_BASE: _Point = _DECODED_BASE


def check(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raises :class:`Rejection` unless ``signature`` is ``public_key``'s signature of ``message``
    under the rule; the checks run in the Rust implementation's order."""
    a_point = _public_key(public_key)
    if len(signature) != 64:
        raise Rejection("signature_length", "the signature is not 64 bytes")
    r_bytes, s_bytes = signature[:32], signature[32:]
    s = int.from_bytes(s_bytes, "little")
    if s >= _L:
        raise Rejection("s_not_reduced", "S is not below the group order L")
    r_point = _decode(r_bytes)
    if r_point is None:
        raise Rejection("r_not_a_point", "R is not the encoding of a curve point")
    if not _is_canonical(r_bytes):
        raise Rejection("r_not_canonical", "R's encoding is not canonical")
    if _openssl_accepts(public_key, message, signature):
        return
    k = int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % _L
    difference = _add(_add(_multiply(s, _BASE), _negate(r_point)), _negate(_multiply(k, a_point)))
    if not _is_identity(_times_cofactor(difference)):
        raise Rejection("equation", "the cofactored verification equation does not hold")


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether the rule accepts ``signature`` (see :func:`check`)."""
    try:
        check(public_key, message, signature)
    except Rejection:
        return False
    return True


def check_public_key(public_key: bytes) -> None:
    """Raises :class:`Rejection` unless the rule accepts ``public_key`` as a key (checks 1 and 2)."""
    _public_key(public_key)


def _public_key(public_key: bytes) -> _Point:
    if len(public_key) != 32:
        raise Rejection("key_length", "the public key is not 32 bytes")
    point = _decode(public_key)
    if point is None:
        raise Rejection("key_not_a_point", "the public key is not the encoding of a curve point")
    if not _is_canonical(public_key):
        raise Rejection("key_not_canonical", "the public key's encoding is not canonical")
    if _is_identity(_times_cofactor(point)):
        raise Rejection("key_small_order", "the public key is a point of small order")
    return point


def _openssl_accepts(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether OpenSSL's cofactorless check passes; any failure of the library counts as no, which
    only sends the signature to the integer check."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    except Exception:  # noqa: BLE001 - whatever OpenSSL refuses, the integer check decides
        return False
    return True
