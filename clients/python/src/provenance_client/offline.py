"""Offline verification of lineage certificates with a JWKS, by the registry's own rules.

A certificate is a compact JWS: header ``alg: EdDSA``, ``typ: lineage-cert+jwt``, ``kid`` = the
RFC 7638 thumbprint of the registry's Ed25519 signing key. Offline verification needs only the
registry's published JWKS (fetch it once, e.g. with :func:`fetch_jwks_http` or
``Registry.jwks()``, and keep it); it cannot know about revocations, for which ask the registry
(``Registry.verify``) or watch its events (``Registry.watch_revocations``).

The checks, their names, their order and their outcomes are those of the registry's
``VerifyCertificate`` and ``provctl cert verify --offline`` (both run the Rust crate
``provenance-api``'s ``certificate::checks``); the shared cases in ``tests/data/verification_vectors.json``
prove the same verdicts on both sides. Signatures are checked by the registry's single Ed25519 rule
(see ``_ed25519``), not by a library's default.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from . import _ed25519
from .models import OfflineVerification, VerificationCheck, covered_policy_claims

__all__ = [
    "ALGORITHM",
    "CERTIFICATE_TYPE",
    "JWKS_PATH",
    "MAX_COVERED_POLICIES",
    "NOT_CHECKED",
    "OFFLINE_CHECKS",
    "ONLINE_CHECKS",
    "fetch_jwks_http",
    "verify_offline",
]

#: The ``typ`` header of lineage certificates (the server's ``CERTIFICATE_TYPE``). Access tokens
#: are ``at+jwt``, so neither passes for the other.
CERTIFICATE_TYPE = "lineage-cert+jwt"
#: The only signature algorithm certificates use (Ed25519).
ALGORITHM = "EdDSA"

#: A certificate's other form: an in-toto Statement v1 in a DSSE envelope, signed by the same key.
DSSE_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://provenance-registry.dev/attestation/lineage-certificate/v1"
#: Where the registry serves its JWKS over plain HTTP, on its gRPC port.
JWKS_PATH = "/.well-known/jwks.json"
#: The checks made without the registry, in the order they run (the Rust ``OFFLINE_CHECKS``).
OFFLINE_CHECKS = (
    "format",
    "algorithm",
    "type",
    "key",
    "signature",
    "key_window",
    "validity",
    "audience",
    "policies",
)
#: Policies a certificate covers at most (the Rust ``MAX_COVERED_POLICIES``).
MAX_COVERED_POLICIES = 16
#: The registry's checks that only it can make (``status``: not revoked; ``lineage``: the digest
#: matches its records).
ONLINE_CHECKS = ("status", "lineage")
#: What a check reports when an earlier check failed.
NOT_CHECKED = "not checked: an earlier check failed"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_I64 = (-(2**63), 2**63 - 1)
_USIZE = (0, 2**64 - 1)


class _Unreadable(ValueError):
    """A part of the token that does not decode; the message says why, as the registry words it."""


def _base64url(text: Any) -> bytes | None:
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(data: bytes, *, unique_keys: bool = False) -> Any:
    """Strict JSON as serde_json reads it: UTF-8, no NaN or Infinity; with ``unique_keys``, an
    object repeating a member is refused (serde refuses a struct's repeated field)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if unique_keys and key in result:
                raise ValueError(f"duplicate field `{key}`")
            result[key] = value
        return result

    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=pairs)


def _decode_json(part: str) -> Any:
    raw = _base64url(part)
    if raw is None:
        raise _Unreadable("a part is not base64url")
    try:
        return _json(raw)
    except (UnicodeDecodeError, ValueError):
        raise _Unreadable("a part is not JSON") from None


def parse_rfc3339(text: str) -> datetime | None:
    """An RFC 3339 date-time (UTC), as the registry's JWKS writes ``valid_from``; ``None`` if not one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if not zulu:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        moment -= offset if sign == "+" else -offset
    return moment


def thumbprint(x: str) -> str:
    """RFC 7638 thumbprint of an Ed25519 public key ``x`` (base64url): the registry's key ids."""
    canonical = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class _Key:
    kid: str
    public_key: bytes
    valid_from: datetime | None
    valid_until: datetime | None
    note: str


def _str_member(key: Mapping[str, Any], name: str) -> str:
    value = key.get(name)
    return value if isinstance(value, str) else ""


def _time_member(key: Mapping[str, Any], kid: str, name: str) -> datetime | None:
    value = key.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        moment = parse_rfc3339(value)
        if moment is None:
            raise _Unreadable(f"key {kid} has a malformed {name} {json.dumps(value)}")
        return moment
    raise _Unreadable(f"key {kid} has a malformed {name}")


def _certificate_key(jwks: Mapping[str, Any], kid: str) -> _Key:
    """The JWKS's signing key named ``kid``, or :class:`_Unreadable` saying why there is none usable."""
    keys = jwks.get("keys")
    found = next(
        (k for k in (keys if isinstance(keys, list) else []) if isinstance(k, Mapping) and k.get("kid") == kid),
        None,
    )
    if found is None:
        raise _Unreadable(f"kid {json.dumps(kid)} is not in the JWKS")
    if _str_member(found, "use") != "sig":
        # The registry's JWKS also lists its transparency log's checkpoint key ("use": "log").
        raise _Unreadable(f"key {kid} is not a signing key: its use is {json.dumps(_str_member(found, 'use'))}")
    if _str_member(found, "kty") != "OKP" or _str_member(found, "crv") != "Ed25519":
        raise _Unreadable(f"key {kid} is not an Ed25519 key")
    if "alg" in found and _str_member(found, "alg") != ALGORITHM:
        raise _Unreadable(f"key {kid} is for {json.dumps(_str_member(found, 'alg'))}, not EdDSA")
    x = _str_member(found, "x")
    public_key = _base64url(x)
    if public_key is None:
        raise _Unreadable(f"key {kid} holds no Ed25519 public key in x: not base64url")
    try:
        _ed25519.check_public_key(public_key)
    except _ed25519.Rejection as why:
        raise _Unreadable(f"key {kid} holds no usable Ed25519 public key in x: {why}") from None
    if thumbprint(x) != kid:
        raise _Unreadable(f"kid {kid} is not the RFC 7638 thumbprint of its key: the JWKS was altered")
    status = found.get("status")
    return _Key(
        kid=kid,
        public_key=public_key,
        valid_from=_time_member(found, kid, "valid_from"),
        valid_until=_time_member(found, kid, "valid_until"),
        note=f"{status if isinstance(status, str) else 'no status'} in the JWKS",
    )


# The claims a certificate must carry, with their JSON types, as the Rust `CertificateClaims` reads
# them: "str", "i64", "usize", "bool", "[str]", a nested shape, "str?"/"usize?" for optional
# members (absent or null), or a list of objects of a shape (`_ListOf`).
_DATASET = {
    "id": "str",
    "organization_id": "str",
    "organization_name": "str?",
    "name": "str",
    "version": "str",
    "content_digest": "str",
}
_LINEAGE = {"digest": "str", "size": "usize", "members": "[str]", "members_complete": "bool"}
_POLICY = {"id": "str", "version": "str", "clause_sha256": "str"}


@dataclass(frozen=True)
class _ListOf:
    """A list of objects of ``shape``; absent is allowed (serde's default), and null too when
    ``nullable`` (an ``Option<Vec<_>>``; a plain ``Vec`` refuses null)."""

    shape: dict[str, Any]
    nullable: bool


_OBLIGATION = {"kind": "str", "status": "str", "name_prefix": "str?"}
_COVERED_POLICY: dict[str, Any] = {
    "id": "str",
    "version": "str",
    "clause_sha256": "str",
    "kind": "str",
    "verdict": "str",
    "obligations": _ListOf(_OBLIGATION, nullable=False),
}
_CLAIMS: dict[str, Any] = {
    "iss": "str",
    "sub": "str",
    "aud": "str?",
    "audience_name": "str?",
    "iat": "i64",
    "nbf": "i64",
    "exp": "i64",
    "jti": "str",
    "dataset": _DATASET,
    "lineage": _LINEAGE,
    "policy": _POLICY,
    "policies": _ListOf(_COVERED_POLICY, nullable=True),
    "verdict": "str",
    "target_model": "str?",
    "purpose": "str?",
    "attestations": "[str]",
    "attestation_count": "usize?",
    "contract_reference": "str?",
    "verification_url": "str?",
}


def _is_int(value: Any, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def _shape_error(value: Any, shape: dict[str, Any], path: str) -> str | None:
    if not isinstance(value, dict):
        return f"{path or 'the claims'}: not a JSON object"
    for name, kind in shape.items():
        where = f"{path}{name}"
        if isinstance(kind, dict):
            if name not in value:
                return f"missing field `{name}`"
            problem = _shape_error(value[name], kind, where + ".")
            if problem:
                return problem
            continue
        if isinstance(kind, _ListOf):
            items = value.get(name)
            if name not in value or (items is None and kind.nullable):
                continue
            if not isinstance(items, list):
                return f"invalid type for `{where}`"
            for index, item in enumerate(items):
                problem = _shape_error(item, kind.shape, f"{where}[{index}].")
                if problem:
                    return problem
            continue
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        if name not in value:
            if optional:
                continue
            return f"missing field `{name}`"
        member = value[name]
        if optional and member is None:
            continue
        ok = {
            "str": lambda v: isinstance(v, str),
            "i64": lambda v: _is_int(v, _I64),
            "usize": lambda v: _is_int(v, _USIZE),
            "bool": lambda v: isinstance(v, bool),
            "[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        }[kind](member)
        if not ok:
            return f"invalid type for `{where}`"
    return None


def signed_claims(signing_input: str) -> tuple[dict[str, Any], str]:
    """The claims of a token whose signature verified, and their JSON text as signed; raises
    ``ValueError`` saying why they are not a certificate's (the Rust ``signed_claims``)."""
    payload = signing_input.partition(".")[2]
    raw = _base64url(payload)
    if raw is None:
        raise ValueError("the payload is not base64url")
    try:
        text = raw.decode("utf-8")
        claims = _json(raw, unique_keys=True)
    except UnicodeDecodeError:
        raise ValueError("the payload is not UTF-8") from None
    except ValueError as error:
        raise ValueError(str(error)) from None
    problem = _shape_error(claims, _CLAIMS, "")
    if problem:
        raise ValueError(problem)
    return claims, text


def dsse_pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding, what an envelope's signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass
class _Envelope:
    payload: bytes
    payload_type: str
    keyid: str
    signature: bytes | None


def _read_envelope(text: str) -> _Envelope:
    """An envelope as the registry reads one (the Rust ``read_envelope``); raises ``_Unreadable``."""
    try:
        envelope = _json(text.encode("utf-8"))
    except ValueError as error:
        raise _Unreadable(f"not a DSSE envelope: {error}") from None
    if not isinstance(envelope, dict):
        raise _Unreadable("not a DSSE envelope: not a JSON object")
    payload_text, payload_type, signatures = (
        envelope.get("payload"),
        envelope.get("payloadType"),
        envelope.get("signatures"),
    )
    if not isinstance(payload_text, str) or not isinstance(payload_type, str) or not isinstance(signatures, list):
        raise _Unreadable("not a DSSE envelope: payload, payloadType and signatures are required")
    try:
        payload = base64.b64decode(payload_text, validate=True)
    except (binascii.Error, ValueError):
        raise _Unreadable("the payload is not standard base64") from None
    if len(signatures) != 1:
        raise _Unreadable(f"{len(signatures)} signatures; a certificate's envelope carries exactly one")
    signature = signatures[0]
    if not isinstance(signature, dict) or not isinstance(signature.get("sig"), str):
        raise _Unreadable("not a DSSE envelope: a signature needs its sig")
    keyid = signature.get("keyid", "")
    if not isinstance(keyid, str):
        raise _Unreadable("not a DSSE envelope: keyid is not a string")
    try:
        sig: bytes | None = base64.b64decode(signature["sig"], validate=True)
    except (binascii.Error, ValueError):
        sig = None
    return _Envelope(payload, payload_type, keyid, sig)


def _statement_type(envelope: _Envelope) -> str | None:
    """Why the envelope is not a lineage certificate's Statement, or ``None``."""
    if envelope.payload_type != DSSE_PAYLOAD_TYPE:
        return (
            f"payloadType {json.dumps(envelope.payload_type)} is not {json.dumps(DSSE_PAYLOAD_TYPE)}: "
            "not an in-toto Statement"
        )
    try:
        statement = json.loads(envelope.payload)
    except ValueError:
        return "the payload is not JSON"
    if not isinstance(statement, dict):
        statement = {}

    def member(name: str) -> str:
        value = statement.get(name)
        return value if isinstance(value, str) else ""

    if member("_type") != STATEMENT_TYPE:
        return f"_type {json.dumps(member('_type'))} is not {json.dumps(STATEMENT_TYPE)}"
    if member("predicateType") != PREDICATE_TYPE:
        return (
            f"predicateType {json.dumps(member('predicateType'))} is not {json.dumps(PREDICATE_TYPE)}: "
            "not a lineage certificate"
        )
    return None


def statement_claims(payload: bytes) -> tuple[dict[str, Any], str]:
    """The claims of a Statement whose signature verified, and the Statement as signed; raises
    ``ValueError`` saying why it is not a lineage certificate's (the Rust ``statement_claims``)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the payload is not UTF-8") from None
    statement = _json(payload)
    if not isinstance(statement, dict) or "predicate" not in statement:
        raise ValueError("the Statement has no predicate")
    claims = statement["predicate"]
    problem = _shape_error(claims, _CLAIMS, "")
    if problem:
        raise ValueError(f"the predicate: {problem}")
    dataset = claims["dataset"]
    digest = dataset["content_digest"]
    if not digest.startswith("sha256:"):
        raise ValueError("the content digest is not sha256:<hex>")
    organization = dataset.get("organization_name") or dataset["organization_id"]
    expected = {
        "name": f"{organization}/{dataset['name']}@{dataset['version']}",
        "digest": {"sha256": digest[len("sha256:") :]},
    }
    if statement.get("subject") != [expected]:
        raise ValueError("the subject is not the certified dataset")
    return claims, text


_LOWER_HEX_64 = re.compile(r"[0-9a-f]{64}")


def _policies_problem(claims: Mapping[str, Any], covered: list[dict[str, Any]]) -> str | None:
    """Why the covered policies are not ones a certificate is issued on (the Rust ``policies_problem``)."""
    if not covered:
        return "the policies claim lists no policy"
    if len(covered) > MAX_COVERED_POLICIES:
        return f"the policies claim lists {len(covered)} policies, more than {MAX_COVERED_POLICIES}"
    first, policy = covered[0], claims["policy"]
    if (first["id"], first["version"], first["clause_sha256"]) != (
        policy["id"],
        policy["version"],
        policy["clause_sha256"],
    ) or first["verdict"] != claims["verdict"]:
        return "the first of the policies claim is not the policy and verdict claims"
    target_model, purpose = claims.get("target_model"), claims.get("purpose")
    seen: set[tuple[str, str]] = set()
    for entry in covered:
        name = f"{entry['id']}@{entry['version']}"
        if (entry["id"], entry["version"]) in seen:
            return f"{name} is listed twice"
        seen.add((entry["id"], entry["version"]))
        if not _LOWER_HEX_64.fullmatch(entry["clause_sha256"]):
            return f"{name}: the clause digest is not 64 lower-case hex digits"
        verdict = entry["verdict"]
        if verdict == "EXEMPT" and target_model is None:
            return f"{name}: EXEMPT without a target model"
        if verdict not in ("CLEAN", "EXEMPT"):
            return (
                f"{name}: the verdict {json.dumps(verdict, ensure_ascii=False)} is not one a certificate is issued on"
            )
        for owed in entry["obligations"]:
            kind, status = owed["kind"], owed["status"]
            if (kind, status) == ("NAME_PREFIX", "MET"):
                shown = target_model is not None and owed.get("name_prefix") is not None
            elif (kind, status) == ("NO_COMPETING_USE", "MET"):
                shown = purpose == "NON_COMPETING"
            else:
                shown = (kind, status) == ("INHERITED_TERMS", "APPLIES")
            if not shown:
                return f"{name}: the obligation {kind} is {status}, not shown met"
    return None


def _describe_covered(entry: Mapping[str, Any]) -> str:
    said = f"{entry['id']}@{entry['version']} {entry['verdict']}"
    for owed in entry["obligations"]:
        kind, prefix = owed["kind"], owed.get("name_prefix")
        if kind == "NAME_PREFIX" and prefix is not None:
            said += f", name begins with {json.dumps(prefix, ensure_ascii=False)}: met"
        elif kind == "INHERITED_TERMS":
            said += ", bound by its terms"
        elif kind == "NO_COMPETING_USE":
            said += ", no competing use: met"
        else:
            said += f", {kind}: {owed['status']}"
    return said


def policies_check(claims: Mapping[str, Any]) -> tuple[bool, str]:
    """The ``policies`` check of signed claims, passed and detail: every policy the certificate
    covers was judged in a way a certificate is issued on (the Rust ``policies_check``). The
    ``policies`` claim lists 1 to 16 policy versions, none twice, the first being the ``policy``
    claim with the ``verdict`` claim; each verdict is ``CLEAN`` or ``EXEMPT`` (which needs a
    ``target_model``); each clause digest is 64 lower-case hex digits; each obligation is met or
    applies, a met naming obligation with a ``target_model``, a met no-competing-use obligation with
    the purpose ``NON_COMPETING``. A certificate issued before policies were listed is judged as
    covering its one ``policy``."""
    covered = covered_policy_claims(claims)
    problem = _policies_problem(claims, covered)
    if problem is not None:
        return False, problem
    count = "1 policy" if len(covered) == 1 else f"{len(covered)} policies"
    return True, f"{count}: " + "; ".join(_describe_covered(entry) for entry in covered)


class _Checks:
    def __init__(self) -> None:
        self.done: list[VerificationCheck] = []

    def add(self, name: str, passed: bool, detail: str) -> None:
        self.done.append(VerificationCheck(name, passed, detail))

    def stopped(self, header: dict[str, Any] | None) -> OfflineVerification:
        """Verification stopped by a failed check: the rest reported as not checked."""
        for name in OFFLINE_CHECKS[len(self.done) :]:
            self.done.append(VerificationCheck(name, False, NOT_CHECKED))
        return OfflineVerification(valid=False, checks=self.done, header=header, claims=None)


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

    The checks, in order, by the names of the registry's ``VerifyCertificate`` and of
    ``provctl cert verify --offline``, with the same outcomes:

    ``format``
        a compact JWS (three dot-separated parts) whose header is base64url JSON, an object;
    ``algorithm``
        ``alg`` is ``EdDSA`` (``none``, ``HS256`` and all others are refused);
    ``type``
        ``typ`` is ``lineage-cert+jwt``;
    ``key``
        ``kid`` names a key of the JWKS with ``"use": "sig"``, ``kty`` ``OKP``, ``crv``
        ``Ed25519`` (and ``alg`` ``EdDSA`` if it says), whose ``x`` is an Ed25519 public key the
        signature rule accepts and whose ``kid`` is its RFC 7638 thumbprint;
    ``signature``
        the signature verifies under the registry's Ed25519 rule and the signed claims are a
        certificate's;
    ``key_window``
        the key was active when the certificate was issued (the JWKS's ``valid_from`` and
        ``valid_until``; fails when the JWKS does not give ``valid_from``, since then it is unknown);
    ``validity``
        ``nbf <= at < exp``, in whole seconds, widened by ``leeway`` (0 unless given);
    ``audience``
        ``aud`` is ``audience``, when one is expected;
    ``policies``
        every policy the certificate covers (its ``policies`` claim, or its one ``policy`` for a
        certificate issued before policies were listed; see ``OfflineVerification.policies``) was judged
        in a way a certificate is issued on: 1 to 16 of them, none twice, the first being the
        ``policy`` and ``verdict`` claims, each verdict ``CLEAN`` or ``EXEMPT`` (with a
        ``target_model``), each clause digest 64 lower-case hex digits, each obligation met (a
        naming obligation with a ``target_model``, no competing use with the purpose
        ``NON_COMPETING``) or applying (inherited terms). The registry also compares each clause
        digest with the policy it has loaded, which offline verification cannot;
    ``issuer``
        only when ``issuer`` is given (a check of this client's own): ``iss`` is ``issuer``.

    A failed ``format``, ``algorithm``, ``type``, ``key`` or ``signature`` stops verification:
    the later checks are reported as not checked. A bad token never raises: the result has
    ``valid=False`` and the failed checks (``result.reasons``). The claims are returned only when
    the signature verified.

    The certificate's other form, its in-toto Statement in a DSSE envelope (JSON, as
    ``GetCertificate`` answers it in ``dsse_envelope``), is checked under the same names: ``format``
    reads the envelope (exactly one signature), ``type`` its payload type, ``_type`` and
    ``predicateType``, ``key`` its ``keyid``, and ``signature`` the Ed25519 signature of the DSSE
    pre-authentication encoding and the Statement's subject (the certified dataset).

    Args:
        token: the certificate: a compact JWS, or a DSSE envelope's JSON; surrounding whitespace
            is ignored.
        jwks: the registry's JWKS, ``{"keys": [...]}`` (see :func:`fetch_jwks_http`).
        audience: the buyer's organisation id (a UUID) the certificate must have been issued for.
        at: judge the validity window at this moment (timezone-aware); default now.
        issuer: the registry's ``iss``, checked when given.
        leeway: clock skew tolerated on ``nbf`` and ``exp``.

    Raises:
        TypeError, ValueError: only for programming errors (a token that is not a string, a JWKS
            without a ``keys`` list, a naive ``at``, an audience that is not a UUID), never for a
            bad token.
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
    expected_audience = None
    if audience is not None:
        if not isinstance(audience, str):
            raise TypeError("audience must be a str or None")
        try:
            expected_audience = str(uuid.UUID(audience))
        except ValueError:
            raise ValueError(f"audience must be an organisation id (UUID), not {audience!r}") from None
    if issuer is not None and not isinstance(issuer, str):
        raise TypeError("issuer must be a str or None")

    checks = _Checks()
    token = token.strip()
    if token.lstrip("\ufeff").startswith("{"):
        # The other form: an in-toto Statement in a DSSE envelope, checked under the same names.
        try:
            envelope = _read_envelope(token.lstrip("\ufeff"))
        except _Unreadable as why:
            checks.add("format", False, str(why))
            return checks.stopped(None)
        checks.add("format", True, "a DSSE envelope with one signature")
        checks.add("algorithm", True, "Ed25519 over the DSSE pre-authentication encoding")
        header: dict[str, Any] = {"kid": envelope.keyid, "payloadType": envelope.payload_type}
        wrong_type = _statement_type(envelope)
        if wrong_type:
            checks.add("type", False, wrong_type)
            return checks.stopped(header)
        checks.add("type", True, "an in-toto Statement v1 of a lineage certificate")
        kid = envelope.keyid
        try:
            if not kid:
                raise _Unreadable("the envelope names no key (no keyid in its signature)")
            key = _certificate_key(jwks, kid)
        except _Unreadable as why:
            checks.add("key", False, str(why))
            return checks.stopped(header)
        checks.add("key", True, f"signed with key {key.kid} ({key.note})")
        signed = dsse_pae(envelope.payload_type, envelope.payload)
        if envelope.signature is None or not _ed25519.verify(key.public_key, signed, envelope.signature):
            checks.add(
                "signature", False, "the signature does not verify: the token was altered, or signed by another key"
            )
            return checks.stopped(header)
        try:
            claims, _ = statement_claims(envelope.payload)
        except ValueError as why:
            checks.add("signature", False, f"the signed claims are not a lineage certificate's: {why}")
            return checks.stopped(header)
    else:
        # format
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise _Unreadable(f"{len(parts)} part(s) separated by dots, not 3")
            header = _decode_json(parts[0])
            if not isinstance(header, dict):
                raise _Unreadable("the header is not a JSON object")
        except _Unreadable as why:
            checks.add("format", False, f"not a compact JWS with a readable header: {why}")
            return checks.stopped(None)
        checks.add("format", True, "a compact JWS")
        # algorithm
        alg = _str_member(header, "alg")
        if alg != ALGORITHM:
            checks.add("algorithm", False, f"{json.dumps(alg)} is not allowed; certificates use EdDSA")
            return checks.stopped(header)
        checks.add("algorithm", True, ALGORITHM)
        # type
        typ = _str_member(header, "typ")
        if typ != CERTIFICATE_TYPE:
            checks.add(
                "type",
                False,
                f"typ {json.dumps(typ)} is not {json.dumps(CERTIFICATE_TYPE)}: not a lineage certificate",
            )
            return checks.stopped(header)
        checks.add("type", True, CERTIFICATE_TYPE)
        # key
        kid = _str_member(header, "kid")
        try:
            if not kid:
                raise _Unreadable("the token names no key (no kid in its header)")
            key = _certificate_key(jwks, kid)
        except _Unreadable as why:
            checks.add("key", False, str(why))
            return checks.stopped(header)
        checks.add("key", True, f"signed with key {key.kid} ({key.note})")
        # signature: over the first two parts as sent
        signing_input, _, encoded_signature = token.rpartition(".")
        signature = _base64url(encoded_signature)
        if signature is None or not _ed25519.verify(key.public_key, signing_input.encode("utf-8"), signature):
            checks.add(
                "signature", False, "the signature does not verify: the token was altered, or signed by another key"
            )
            return checks.stopped(header)
        try:
            claims, _ = signed_claims(signing_input)
        except ValueError as why:
            checks.add("signature", False, f"the signed claims are not a lineage certificate's: {why}")
            return checks.stopped(header)
    checks.add("signature", True, "the signature verifies")
    # key_window: `iat` is in whole seconds and the key's start in microseconds, hence the second.
    if key.valid_from is None:
        checks.add(
            "key_window",
            False,
            f"the key set gives no valid_from for key {kid}, so whether it was active at the issue time is "
            "unknown; verify against the registry's JWKS, which gives it",
        )
    else:
        try:
            issued: datetime | None = datetime.fromtimestamp(claims["iat"], tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            issued = None
        if issued is None:
            checks.add("key_window", False, "the issue time is out of range")
        else:
            within = key.valid_from <= issued + timedelta(seconds=1) and (
                key.valid_until is None or issued < key.valid_until
            )
            checks.add(
                "key_window",
                within,
                f"key {kid} was active when the certificate was issued"
                if within
                else f"key {kid} was not active at the certificate's issue time",
            )
    # validity
    now = int(at.timestamp() // 1)
    slack = int(leeway.total_seconds())
    if claims["nbf"] <= now + slack and now - slack < claims["exp"]:
        checks.add("validity", True, "within its validity window")
    else:
        checks.add("validity", False, "expired" if now - slack >= claims["exp"] else "not valid yet")
    # audience
    if expected_audience is None:
        checks.add("audience", True, "no audience expected")
    elif claims.get("aud") == expected_audience:
        checks.add("audience", True, "issued for the expected organisation")
    else:
        checks.add("audience", False, f"issued for {claims.get('aud') or 'no audience'}, not for {expected_audience}")
    checks.add("policies", *policies_check(claims))
    # issuer (this client's own, only when asked)
    if issuer is not None:
        iss = claims.get("iss")
        checks.add("issuer", iss == issuer, f"issued by {iss!r}" + ("" if iss == issuer else f", not {issuer!r}"))
    return OfflineVerification(
        valid=all(c.passed for c in checks.done), checks=checks.done, header=header, claims=claims
    )


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
