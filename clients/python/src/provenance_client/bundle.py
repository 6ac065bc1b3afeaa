"""Certificate bundles checked end to end without the registry, as ``provctl cert verify BUNDLE
--offline`` checks them.

A bundle (``provctl cert bundle``) is one JSON file, format ``provenance-certificate-bundle/v1``:
the certificate's token, the registry's JWKS, an unsigned summary and lineage list for people, and
the transparency log's evidence of the issuance (a log key, a signed checkpoint, an inclusion proof
of the issuance leaf and the ``certificate.issued`` event). Only the token and the checkpoint are
signed; everything else is checked against them.

:func:`verify_bundle` reports, in provctl's order: the eight offline certificate checks; ``status``
and ``lineage``, not checked (only the registry can make them); ``bundle`` (the summary agrees
with the signed claims); the log checks ``log_checkpoint``, ``log_origin``, ``log_inclusion``,
``log_issuance`` (or one ``log`` check when the member is malformed or absent). ``valid`` is
provctl's verdict: every check made passed (checks not made do not count against it).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .logproof import INCLUSION_FORMAT, InclusionProofFile, verify_log
from .models import VerificationCheck
from .offline import parse_rfc3339, verify_offline
from .transparency import CheckpointError, LogKey

__all__ = ["BUNDLE_FORMAT", "BundleError", "BundleVerification", "event_hash", "verify_bundle"]

#: The ``format`` of every bundle of this version.
BUNDLE_FORMAT = "provenance-certificate-bundle/v1"
_ISSUANCE_EVENT = "certificate.issued"
_ONLINE_ONLY = (
    ("status", "not checked offline: only the registry knows whether the certificate was revoked"),
    ("lineage", "not checked offline: only the registry can confirm that the lineage digest matches its records"),
)


class BundleError(ValueError):
    """The input is not a bundle this client can check (provctl refuses it with an input error):
    not a bundle, an unknown format, no token, no usable JWKS, or no log key to check its log
    evidence with."""


@dataclass
class BundleVerification:
    """The outcome of :func:`verify_bundle`.

    Attributes:
        valid: every check made passed (a check not made, e.g. ``status``, does not count).
        checks: every check in provctl's order, made or not (``passed`` False with a detail
            starting ``not checked``).
        claims: the signed claims, when the certificate's signature verified.
    """

    valid: bool
    checks: list[VerificationCheck]
    claims: dict[str, Any] | None

    @property
    def failed_checks(self) -> list[VerificationCheck]:
        """The checks made that failed (not those that could not be made)."""
        return [c for c in self.checks if not c.passed and not c.detail.startswith("not checked")]

    def check(self, name: str) -> VerificationCheck | None:
        """The check of that name, if reported."""
        return next((c for c in self.checks if c.name == name), None)


def _canonical_json(value: Any) -> str:
    """JSON with object keys sorted and no whitespace, as the registry hashes events."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _reject(name: str) -> Any:
    raise ValueError(name)


def event_hash(event: Mapping[str, Any]) -> bytes:
    """The chain hash of an event from its fields (``sequence``, ``type``, ``subject``,
    ``organization_id``, ``public``, ``payload_json``, ``time``, ``prev_hash``), as event.proto
    gives the recipe: ``SHA-256(prev_hash || canonical JSON of the fields)``.

    Raises:
        ValueError: a field is missing or of the wrong type.
    """
    fields = _event_fields(event)
    return _hash_fields(fields)


def _event_fields(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("the event is not a JSON object")

    def text(name: str) -> str:
        member = value.get(name)
        if not isinstance(member, str):
            raise ValueError(f"`{name}` is not a string")
        return member

    def digest(name: str) -> bytes:
        member = text(name)
        try:
            raw = bytes.fromhex(member) if all(c in "0123456789abcdefABCDEF" for c in member) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError(f"`{name}` is not 32 bytes in hex")
        return raw

    organization = text("organization_id")
    if organization:
        try:
            organization = str(uuid.UUID(organization))
        except ValueError:
            raise ValueError("`organization_id` is not a UUID") from None
    sequence = value.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence < 2**64:
        raise ValueError("`sequence` is not a whole number")
    event_type, subject = text("type"), text("subject")
    public = value.get("public")
    if not isinstance(public, bool):
        raise ValueError("`public` is not a boolean")
    payload_json = text("payload_json")
    time = parse_rfc3339(text("time"))
    if time is None:
        raise ValueError("`time` is not RFC 3339")
    return {
        "organization_id": organization,
        "sequence": sequence,
        "type": event_type,
        "subject": subject,
        "public": public,
        "payload_json": payload_json,
        "time": time,
        "prev_hash": digest("prev_hash"),
        "hash": digest("hash"),
    }


def _hash_fields(fields: Mapping[str, Any]) -> bytes:
    try:
        payload = json.loads(fields["payload_json"], parse_constant=_reject)
    except ValueError:
        payload = fields["payload_json"]  # hashed as a string, as the registry does
    time: datetime = fields["time"]
    entry = {
        "organization_id": fields["organization_id"],
        "payload": payload,
        "public": fields["public"],
        "sequence": fields["sequence"],
        "subject": fields["subject"],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "type": fields["type"],
    }
    return hashlib.sha256(fields["prev_hash"] + _canonical_json(entry).encode("utf-8")).digest()


def _check_jwks(jwks: Any) -> None:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise BundleError('the bundle\'s jwks: not a JWKS: expected a JSON object with a "keys" list')
    if not any(isinstance(k, Mapping) and k.get("use") == "sig" and isinstance(k.get("kid"), str) for k in keys):
        raise BundleError('the bundle\'s jwks: the JWKS holds no signing key (a key with a kid and "use": "sig")')


def _summary_check(bundle: Mapping[str, Any], claims: dict[str, Any] | None) -> VerificationCheck:
    if claims is None:
        return VerificationCheck("bundle", False, "not checked: an earlier check failed")
    summary = bundle.get("certificate")

    def text(*path: str) -> str | None:
        value: Any = summary
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value if isinstance(value, str) else None

    disagree = []
    if text("id") != claims["jti"]:
        disagree.append("id")
    if text("dataset", "id") != claims["dataset"]["id"]:
        disagree.append("dataset")
    if text("lineage_digest") != claims["lineage"]["digest"]:
        disagree.append("lineage_digest")
    size = summary.get("closure_size") if isinstance(summary, Mapping) else None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0 or size != claims["lineage"]["size"]:
        disagree.append("closure_size")
    if text("verdict") != claims["verdict"]:
        disagree.append("verdict")
    lineage = bundle.get("lineage")
    members = claims["lineage"]["members"]
    if claims["lineage"]["members_complete"] and any(
        not isinstance(m, Mapping) or not isinstance(m.get("id"), str) or m["id"] not in members
        for m in (lineage if isinstance(lineage, list) else [])
    ):
        disagree.append("lineage")
    if not disagree:
        return VerificationCheck(
            "bundle", True, "the bundle's summary and lineage list (unsigned) agree with the signed claims"
        )
    return VerificationCheck(
        "bundle",
        False,
        f"the bundle's summary disagrees with the signed claims on {', '.join(disagree)}: it was edited; "
        "only the token is signed",
    )


def _dsse_check(
    bundle: Mapping[str, Any],
    jwks: Mapping[str, Any],
    claims: dict[str, Any] | None,
    token: str,
    at: datetime | None,
) -> VerificationCheck | None:
    """The ``dsse`` check, when the bundle carries an envelope: it verifies offline with the keys
    the token was checked with, and it is the same certificate (the same claims, and its
    ``token_sha256`` is the token's). ``None`` without an envelope (provctl's ``dsse_check``)."""
    envelope = bundle.get("dsse_envelope")
    if envelope is None:
        return None
    if claims is None:
        return VerificationCheck("dsse", False, "not checked: an earlier check failed")
    if not isinstance(envelope, str):
        envelope = json.dumps(envelope)
    verification = verify_offline(envelope, jwks, at=at)
    failed = [f"{c.name}: {c.detail}" for c in verification.checks if not c.passed and c.name != "validity"]
    predicate = verification.claims or {}
    signed = {k: v for k, v in predicate.items() if k not in ("log_index", "token_sha256")}
    same = (
        verification.claims is not None
        and signed == claims
        and predicate.get("token_sha256") == hashlib.sha256(token.encode("utf-8")).hexdigest()
    )
    if failed:
        return VerificationCheck("dsse", False, f"the bundle's DSSE envelope does not verify ({'; '.join(failed)})")
    if not same:
        return VerificationCheck("dsse", False, "the bundle's DSSE envelope is of another certificate than its token")
    return VerificationCheck("dsse", True, "the bundle's DSSE envelope verifies and states the token's claims")


def _jwks_log_key(jwks: Mapping[str, Any], origin: str) -> LogKey | None:
    """The first ``"use": "log"`` key of a JWKS usable under ``origin`` as the log key."""
    from .offline import _base64url

    for entry in jwks.get("keys", []):
        if not isinstance(entry, Mapping) or entry.get("use") != "log":
            continue
        raw = _base64url(entry.get("x"))
        if raw is None or len(raw) != 32:
            continue
        try:
            return LogKey(origin, raw)
        except CheckpointError:
            continue
    return None


def _issuance_check(event: Any, proof: InclusionProofFile, claims: dict[str, Any], token: str) -> VerificationCheck:
    try:
        fields = _event_fields(event)
    except ValueError as why:
        return VerificationCheck("log_issuance", False, f"the bundle's issuance event is malformed: {why}")
    try:
        payload = json.loads(fields["payload_json"], parse_constant=_reject)
    except ValueError:
        payload = None
    token_sha256 = hashlib.sha256(token.encode("utf-8")).hexdigest()
    subject = f"certificates/{claims['jti']}"
    if _hash_fields(fields) != fields["hash"]:
        problem = "the event's fields do not hash to its hash"
    elif fields["hash"] != proof.leaf_data:
        problem = "the event's hash is not the proven leaf's data"
    elif fields["sequence"] != min(proof.leaf_index + 1, 2**64 - 1):
        problem = (
            f"the event has sequence {fields['sequence']}, but leaf {proof.leaf_index} is event {proof.leaf_index + 1}"
        )
    elif fields["type"] != _ISSUANCE_EVENT or fields["subject"] != subject:
        problem = f"the event is {fields['type']} of {fields['subject']}, not {_ISSUANCE_EVENT} of {subject}"
    elif not isinstance(payload, Mapping) or payload.get("token_sha256") != token_sha256:
        problem = "the event records the SHA-256 of another token"
    else:
        return VerificationCheck(
            "log_issuance",
            True,
            f"leaf {proof.leaf_index} is event {fields['sequence']}, the {_ISSUANCE_EVENT} event of this certificate, "
            "recording this token's SHA-256",
        )
    return VerificationCheck("log_issuance", False, problem)


def verify_bundle(
    bundle: Mapping[str, Any] | str,
    *,
    jwks: Mapping[str, Any] | None = None,
    log_key: LogKey | str | None = None,
    audience: str | None = None,
    at: datetime | None = None,
) -> BundleVerification:
    """Check a certificate bundle end to end, offline, as ``provctl cert verify BUNDLE --offline``.

    Args:
        bundle: the bundle's JSON, parsed or as text.
        jwks: the registry's JWKS pinned by the verifier; the bundle's own keys are used without
            it (then the bundle vouches for itself: pin the registry's keys to trust it). Its
            ``"use": "log"`` key, if any, checks the log evidence when ``log_key`` is not given.
        log_key: the registry's pinned log key (a :class:`LogKey` or its verifier key text); by
            default the pinned JWKS's log key, else the bundle's own ``verifier_key``.
        audience: the buyer's organisation id (a UUID) the certificate must be issued for.
        at: judge validity at this moment (timezone-aware); default now.

    Raises:
        BundleError: not a bundle (see the class), or no log key to check its evidence with.
        ValueError, TypeError: programming errors, as for :func:`verify_offline`.
    """
    if isinstance(bundle, str):
        try:
            bundle = json.loads(bundle, parse_constant=_reject)
        except ValueError as error:
            raise BundleError(f"not valid JSON ({error}): expected a certificate bundle") from None
    if not isinstance(bundle, Mapping):
        raise BundleError(f'not a bundle: no "format": "{BUNDLE_FORMAT}"')
    form = bundle.get("format")
    if not isinstance(form, str):
        raise BundleError(f'not a bundle: no "format": "{BUNDLE_FORMAT}"')
    if form != BUNDLE_FORMAT:
        raise BundleError(f"a bundle of format {form!r}, which this client does not know (it reads {BUNDLE_FORMAT})")
    token = bundle.get("token")
    if not isinstance(token, str) or not token.strip():
        raise BundleError("the bundle holds no token")
    token = token.strip()
    own_jwks = bundle.get("jwks")
    _check_jwks(own_jwks)
    keys: Mapping[str, Any] = jwks if jwks is not None else own_jwks  # type: ignore[assignment]
    if jwks is not None and (not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list)):
        raise ValueError('jwks must be a JWKS: a mapping with a "keys" list')

    offline = verify_offline(token, keys, audience=audience, at=at)
    claims = offline.claims
    valid = offline.valid
    checks = list(offline.checks)
    checks.extend(VerificationCheck(name, False, detail) for name, detail in _ONLINE_ONLY)
    summary = _summary_check(bundle, claims)
    valid &= summary.passed
    checks.append(summary)
    dsse = _dsse_check(bundle, keys, claims, token, at)
    if dsse is not None:
        valid &= dsse.passed
        checks.append(dsse)

    log = bundle.get("log")
    if log is None:
        checks.append(
            VerificationCheck(
                "log",
                False,
                "not checked: the bundle carries no transparency-log evidence (bundled by someone who "
                "could not read the certificate, or by an older provctl)",
            )
        )
        return BundleVerification(valid=valid, checks=checks, claims=claims)

    key, source = _log_key(bundle, log, log_key, jwks)
    made, not_made = _log_checks(log, key, source, claims, token)
    valid &= all(c.passed for c in made)
    checks.extend(made)
    checks.extend(not_made)
    return BundleVerification(valid=valid, checks=checks, claims=claims)


def _log_key(
    bundle: Mapping[str, Any], log: Any, log_key: LogKey | str | None, jwks: Mapping[str, Any] | None
) -> tuple[LogKey, str]:
    if isinstance(log_key, LogKey):
        return log_key, "key pinned by the caller"
    if isinstance(log_key, str):
        try:
            return LogKey.from_vkey(log_key), "key pinned by the caller"
        except CheckpointError as error:
            raise BundleError(f"log_key: {error}") from None
    if jwks is not None:
        note = log.get("checkpoint") if isinstance(log, Mapping) else None
        origin = note.split("\n")[0].removesuffix("\r") if isinstance(note, str) else ""
        pinned = _jwks_log_key(jwks, origin)
        if pinned is not None:
            return pinned, "log key of the pinned jwks"
    vkey = log.get("verifier_key") if isinstance(log, Mapping) else None
    if not isinstance(vkey, str):
        raise BundleError("the bundle's log member names no verifier_key: pass the registry's log key (log_key=...)")
    try:
        return LogKey.from_vkey(vkey), "the bundle's own log key: pin the registry's to trust it"
    except CheckpointError as error:
        raise BundleError(
            f"the bundle's log verifier_key is not a log key: {error}; pass the registry's log key (log_key=...)"
        ) from None


def _log_checks(
    log: Any, key: LogKey, source: str, claims: dict[str, Any] | None, token: str
) -> tuple[list[VerificationCheck], list[VerificationCheck]]:
    def malformed(why: str) -> tuple[list[VerificationCheck], list[VerificationCheck]]:
        return [VerificationCheck("log", False, f"the bundle's log member is malformed: {why}")], []

    log = log if isinstance(log, Mapping) else {}
    note = log.get("checkpoint")
    if not isinstance(note, str):
        return malformed("no signed checkpoint")
    if "inclusion" not in log:
        return malformed("no inclusion proof")
    inclusion = log["inclusion"]
    if not isinstance(inclusion, Mapping) or inclusion.get("format") != INCLUSION_FORMAT:
        return malformed(f"the inclusion proof is not {INCLUSION_FORMAT}")
    verification = verify_log(key, checkpoint=note, inclusion=inclusion)
    made = [VerificationCheck(f"log_{c.name}", c.passed, c.detail) for c in verification.checks]
    if made:
        made[0] = VerificationCheck(made[0].name, made[0].passed, f"{made[0].detail} ({source})")
    not_made = [VerificationCheck(f"log_{c.name}", c.passed, c.detail) for c in verification.not_checked]
    proof_verified = any(c.name == "log_inclusion" and c.passed for c in made)
    try:
        proof: InclusionProofFile | None = InclusionProofFile.from_json(inclusion)
    except ValueError:
        proof = None
    if claims is not None and proof is not None and proof_verified:
        event = log.get("issuance_event")
        if event is not None:
            made.append(_issuance_check(event, proof, claims, token))
        else:
            not_made.append(
                VerificationCheck(
                    "log_issuance",
                    False,
                    f"not checked: the bundle holds no issuance event, so leaf {proof.leaf_index} is shown to be "
                    "logged but not to be this certificate's issuance",
                )
            )
    else:
        not_made.append(
            VerificationCheck(
                "log_issuance",
                False,
                "not checked: it rests on the certificate's claims and a verified inclusion proof",
            )
        )
    return made, not_made
