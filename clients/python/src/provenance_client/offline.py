"""Offline verification of lineage certificates with a JWKS, under the registry's Ed25519 rule.

A certificate is a compact JWS: header ``alg: EdDSA``, ``typ: lineage-cert+jwt``, ``kid`` = the
RFC 7638 thumbprint of the registry's Ed25519 signing key. Offline verification needs only the
registry's published JWKS (fetch it once, e.g. with :func:`fetch_jwks_http` or
``Registry.jwks()``, and keep it); it cannot know about revocations, for which ask the registry
(``Registry.verify``) or watch its events (``Registry.watch_revocations``).

Signatures are checked by the rule the registry and ``provctl`` apply (RFC 8032 cofactored
verification, canonical encodings, ``S`` < L, no small-order key: see ``_ed25519``), not by PyJWT's
default, so that every signature gets the same answer here as online.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from . import _ed25519
from .models import OfflineVerification, VerificationCheck

__all__ = ["ALGORITHM", "CERTIFICATE_TYPE", "JWKS_PATH", "fetch_jwks_http", "verify_offline"]

#: The ``typ`` header of lineage certificates (the server's ``CERTIFICATE_TYPE``). Access tokens
#: are ``at+jwt``, so neither passes for the other.
CERTIFICATE_TYPE = "lineage-cert+jwt"
#: The only signature algorithm certificates use (Ed25519).
ALGORITHM = "EdDSA"
#: Where the registry serves its JWKS over plain HTTP, on its gRPC port.
JWKS_PATH = "/.well-known/jwks.json"

# The checks, in order. The first five stop the verification when they fail (there is nothing
# trustworthy to check after them); the later ones are all reported.
_GATES = ("format", "algorithm", "type", "key", "signature")


class _Checks:
    def __init__(self) -> None:
        self.done: list[VerificationCheck] = []

    def record(self, name: str, passed: bool, detail: str) -> bool:
        self.done.append(VerificationCheck(name, passed, detail))
        return passed

    def finish(
        self, header: dict[str, Any] | None, claims: dict[str, Any] | None, later: list[str]
    ) -> OfflineVerification:
        names = [c.name for c in self.done]
        for name in [*_GATES, *later]:
            if name not in names:
                self.done.append(VerificationCheck(name, False, "not checked: an earlier check failed"))
        return OfflineVerification(
            valid=all(c.passed for c in self.done),
            checks=self.done,
            header=header,
            claims=claims,
        )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _base64url(text: str) -> bytes | None:
    """Strict unpadded base64url, as the registry decodes: ``None`` for padding, other characters,
    an impossible length or non-zero trailing bits (which a lenient decoder would ignore, letting
    two spellings pass for one signature)."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != text:
        return None
    return raw


def _find_key(jwks: Mapping[str, Any], kid: Any) -> Mapping[str, Any] | None:
    if not isinstance(kid, str) or not kid:
        return None
    for key in jwks["keys"]:
        if isinstance(key, Mapping) and key.get("kid") == kid:
            return key
    return None


def verify_offline(
    token: str,
    jwks: Mapping[str, Any],
    *,
    audience: str | None = None,
    at: datetime | None = None,
    issuer: str | None = None,
    leeway: timedelta = timedelta(0),
) -> OfflineVerification:
    """Verify a lineage certificate with the registry's public keys only, without a network call.

    Checks, in order (the names match the registry's ``VerifyCertificate``):

    ``format``
        a compact JWS with a readable header;
    ``algorithm``
        ``alg`` is ``EdDSA`` (``none``, ``HS256`` and all others are refused);
    ``type``
        ``typ`` is ``lineage-cert+jwt``;
    ``key``
        ``kid`` names an Ed25519 key of the JWKS whose public key the signature rule accepts
        (canonically encoded, not of small order);
    ``signature``
        the signature verifies under the registry's rule (RFC 8032 section 5.1.7, cofactored,
        canonical ``R``, ``S`` < L: the same answer as the registry and ``provctl``) and the claims
        are a certificate's;
    ``key_window``
        the key was active when the certificate was issued (from the JWKS's ``valid_from`` and
        ``valid_until`` members; passes when the JWKS does not carry them);
    ``validity``
        ``nbf <= at < exp``, in whole seconds like the registry, widened by ``leeway``;
    ``audience``
        ``aud`` is ``audience``, when one is expected;
    ``issuer``
        ``iss`` is ``issuer``, when one is expected.

    A bad token never raises: the result has ``valid=False`` and the failed checks (see
    ``result.reasons``). The claims are returned only when the signature verified.

    Args:
        token: the certificate (compact JWS) as the vendor handed it over.
        jwks: the registry's JWKS, ``{"keys": [...]}`` (see :func:`fetch_jwks_http`).
        audience: the buyer's organisation id the certificate must have been issued for.
        at: judge the validity window at this moment (timezone-aware), e.g. a contract's date;
            default now.
        issuer: the registry's ``iss`` (its ``--issuer``, ``provenance-registry`` by default),
            checked when given.
        leeway: clock skew tolerated on ``nbf`` and ``exp``.

    Raises:
        TypeError, ValueError: only for programming errors (a token that is not a string, a JWKS
            without a ``keys`` list, a naive ``at``), never for a bad token.
    """
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {type(token).__name__}")
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ValueError('jwks must be a JWKS: a mapping with a "keys" list')
    if at is None:
        at = datetime.now(timezone.utc)
    elif not isinstance(at, datetime):
        raise TypeError(f"at must be a datetime, not {type(at).__name__}")
    elif at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware (e.g. datetime(2026, 5, 1, tzinfo=timezone.utc))")
    if audience is not None and not isinstance(audience, str):
        raise TypeError("audience must be a str or None")
    if issuer is not None and not isinstance(issuer, str):
        raise TypeError("issuer must be a str or None")
    later = ["key_window", "validity", "audience"] + (["issuer"] if issuer is not None else [])

    checks = _Checks()
    token = token.strip()
    # format
    try:
        header = jwt.get_unverified_header(token)
        if not isinstance(header, dict) or token.count(".") != 2:
            raise jwt.DecodeError("not three segments with a JSON object header")
    except Exception as error:  # noqa: BLE001 - whatever the library says, the token is unreadable
        checks.record("format", False, f"not a compact JWS with a readable header: {error}")
        return checks.finish(None, None, later)
    checks.record("format", True, "a compact JWS")
    # algorithm
    alg = header.get("alg")
    if alg != ALGORITHM:
        checks.record("algorithm", False, f"{alg!r} is not allowed; certificates use {ALGORITHM}")
        return checks.finish(header, None, later)
    checks.record("algorithm", True, ALGORITHM)
    # type
    typ = header.get("typ")
    if typ != CERTIFICATE_TYPE:
        checks.record("type", False, f"typ {typ!r} is not {CERTIFICATE_TYPE!r}: not a lineage certificate")
        return checks.finish(header, None, later)
    checks.record("type", True, CERTIFICATE_TYPE)
    # key
    kid = header.get("kid")
    jwk = _find_key(jwks, kid)
    if jwk is None:
        checks.record("key", False, f"kid {kid!r} is not a key of the JWKS")
        return checks.finish(header, None, later)
    if jwk.get("use", "sig") != "sig":
        # The registry's JWKS also lists its transparency log's checkpoint key ("use": "log"),
        # which never signs certificates.
        checks.record("key", False, f"key {kid} is not a certificate signing key (use {jwk.get('use')!r})")
        return checks.finish(header, None, later)
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        checks.record("key", False, f"key {kid} is not an Ed25519 key (kty {jwk.get('kty')!r}, crv {jwk.get('crv')!r})")
        return checks.finish(header, None, later)
    if "alg" in jwk and jwk.get("alg") != ALGORITHM:
        checks.record("key", False, f"key {kid} is for {jwk.get('alg')!r}, not {ALGORITHM}")
        return checks.finish(header, None, later)
    public_key = _base64url(jwk.get("x"))
    if public_key is None:
        checks.record("key", False, f"key {kid} holds no Ed25519 public key in x: not base64url")
        return checks.finish(header, None, later)
    try:
        _ed25519.check_public_key(public_key)
    except _ed25519.Rejection as why:
        checks.record("key", False, f"key {kid} holds no usable Ed25519 public key in x: {why}")
        return checks.finish(header, None, later)
    checks.record("key", True, f"signed with key {kid}")
    # signature (time, audience and issuer are checked below, at `at`, and reported): the
    # registry's rule over the first two parts as sent.
    signing_input, _, encoded_signature = token.rpartition(".")
    signature = _base64url(encoded_signature)
    if signature is None or not _ed25519.verify(public_key, signing_input.encode("utf-8"), signature):
        checks.record("signature", False, "the signature does not verify: the token was altered")
        return checks.finish(header, None, later)
    payload = _base64url(signing_input.partition(".")[2])
    try:
        claims = json.loads(payload.decode("utf-8")) if payload is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        claims = None
    if not isinstance(claims, dict):
        checks.record("signature", False, "the signed claims are not a lineage certificate's: not a JSON object")
        return checks.finish(header, None, later)
    missing = [
        name
        for name, kind in (("iat", int), ("nbf", int), ("exp", int), ("jti", str), ("sub", str))
        if not isinstance(claims.get(name), kind) or isinstance(claims.get(name), bool)
    ]
    if missing:
        checks.record(
            "signature",
            False,
            f"the signed claims are not a lineage certificate's: missing or bad {', '.join(missing)}",
        )
        return checks.finish(header, None, later)
    checks.record("signature", True, "the signature verifies")
    # key_window: `iat` is in whole seconds and the key's start in microseconds, hence the second.
    issued = datetime.fromtimestamp(claims["iat"], tz=timezone.utc)
    valid_from, valid_until = _parse_time(jwk.get("valid_from")), _parse_time(jwk.get("valid_until"))
    if valid_from is None and valid_until is None:
        checks.record("key_window", True, "the JWKS does not say when the key was active")
    else:
        within = (valid_from is None or valid_from <= issued + timedelta(seconds=1)) and (
            valid_until is None or issued < valid_until
        )
        checks.record(
            "key_window",
            within,
            f"key {kid} was active when the certificate was issued"
            if within
            else f"key {kid} was not active at the certificate's issue time ({issued.isoformat()})",
        )
    # validity
    now = int(at.timestamp() // 1)
    slack = int(leeway.total_seconds())
    if now + slack < claims["nbf"]:
        checks.record("validity", False, f"not valid yet at {at.isoformat()} (nbf {claims['nbf']})")
    elif now - slack >= claims["exp"]:
        checks.record("validity", False, f"expired at {at.isoformat()} (exp {claims['exp']})")
    else:
        checks.record("validity", True, "within its validity window")
    # audience
    aud = claims.get("aud")
    if audience is None:
        checks.record("audience", True, "no audience expected")
    else:
        audiences = aud if isinstance(aud, list) else [aud]
        if audience in audiences:
            checks.record("audience", True, "issued for the expected organisation")
        else:
            checks.record("audience", False, f"issued for {aud or 'no audience'}, not for {audience}")
    # issuer
    if issuer is not None:
        iss = claims.get("iss")
        checks.record("issuer", iss == issuer, f"issued by {iss!r}" + ("" if iss == issuer else f", not {issuer!r}"))
    return checks.finish(header, claims, later)


def fetch_jwks_http(url: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Fetch the registry's JWKS over plain HTTP(S) with urllib.

    Args:
        url: the JWKS's address, or the registry's base address, to which ``/.well-known/jwks.json``
            is appended when it has no path (``http://registry:50051`` works).
        timeout: seconds.

    Raises:
        urllib.error.URLError: the address cannot be reached (or answered with an HTTP error).
        ValueError: the answer is not a JWKS.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    if parts.path in ("", "/"):
        url = urllib.parse.urlunsplit(parts._replace(path=JWKS_PATH))
    request = urllib.request.Request(url, headers={"Accept": "application/jwk-set+json, application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only, checked above
        document = json.loads(response.read().decode("utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f"{url} did not answer a JWKS")
    return document
