#!/usr/bin/env python3
"""Generate (or check) tests/data/verification_vectors.json: the shared cases by which the Rust
verifiers (provenance-api, transparency-log, provctl) and the Python client prove identical verdicts.

    python clients/python/scripts/generate_vectors.py          # rewrite the file
    python clients/python/scripts/generate_vectors.py --check  # exit 1 if it differs

Deterministic: every key comes from a fixed seed, every time is fixed, Ed25519 signatures are
deterministic (RFC 8032), JSON is written with sorted keys; the same run always writes the same
bytes. Needs only `cryptography`.

Every case carries its expected outcome, decided here by what the case does to the evidence (a
tampered payload fails `signature` and leaves the rest not checked, ...), never by running either
verifier: both suites compare their verdicts with it.

Sections:

* `certificates`: `token`, `jwks`, `at` (Unix seconds), `audience` (or null); `expect.valid` and
  `expect.checks` ([name, passed] in order, the not-checked ones as failed).
* `inclusion_proofs`: `leaf_data` (hex; the leaf hash is SHA-256(0x00 || data)), `leaf_index`,
  `tree_size`, `hashes`, `root`; `expect`: "ok" or the error code (the Rust `ProofError` variant in
  snake case).
* `consistency_proofs`: `first_size`, `second_size`, `hashes`, `first_root`, `second_root`; `expect`.
* `checkpoints`: `verifier_key`, `note`; `expect`: {"origin", "size", "root", "extensions"} or the
  error code (the Rust `CheckpointError` variant in snake case). The signature is checked, not
  the origin (that is the log verifier's `origin` check).
* `bundles`: `bundle`, `at`, `audience`, `log_key` (a pinned verifier key, or null for the
  bundle's own); `expect.valid` and `expect.checks` as provctl reports them offline (made and not
  made), or `expect.error` when provctl refuses the input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import pathlib
import sys
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

REPO = pathlib.Path(__file__).resolve().parents[3]
OUT = REPO / "tests" / "data" / "verification_vectors.json"

OFFLINE = ["format", "algorithm", "type", "key", "signature", "key_window", "validity", "audience", "policies"]
GATES = OFFLINE[:5]
L = 2**252 + 27742317777372353535851937790883648493

ISSUED = 1_800_000_000  # 2027-01-15T08:00:00Z
KEY_CREATED = "2027-01-01T00:00:00.000000Z"
KEY_CREATED_SECONDS = 1_798_761_600
EXPIRES = ISSUED + 365 * 86400
AUDIENCE = "0190a5c4-0000-7000-8000-00000000b0b0"
OTHER_ORG = "0190a5c4-0000-7000-8000-00000000c0c0"
VENDOR = "0190a5c4-0000-7000-8000-00000000a0a0"
ORIGIN = "registry.example/log"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"verification-vectors/" + label.encode()).digest())


def public(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(x: str) -> str:
    return b64url(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}').encode()).digest())


def jwk(k: Ed25519PrivateKey | bytes, **extra: Any) -> dict[str, Any]:
    x = b64url(k if isinstance(k, bytes) else public(k))
    entry: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": thumbprint(x),
        "use": "sig",
        "alg": "EdDSA",
        "status": "active",
        "valid_from": KEY_CREATED,
        "valid_until": None,
    }
    entry.update(extra)
    return {k2: v for k2, v in entry.items() if v != "<absent>"}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def claims(jti: str = "0190a5c4-0000-7000-8000-0000000000c1", **changes: Any) -> dict[str, Any]:
    members = ["0190a5c4-0000-7000-8000-0000000000d0", "0190a5c4-0000-7000-8000-0000000000d1"]
    value: dict[str, Any] = {
        "iss": "provenance-registry",
        "sub": f"datasets/{members[1]}",
        "aud": AUDIENCE,
        "iat": ISSUED,
        "nbf": ISSUED,
        "exp": EXPIRES,
        "jti": jti,
        "dataset": {
            "id": members[1],
            "organization_id": VENDOR,
            "organization_name": "Vendor Data Ltd",
            "name": "sft-corpus",
            "version": "1",
            "content_digest": "sha256:" + "ab" * 32,
        },
        "lineage": {"digest": "sha256:" + "cd" * 32, "size": 2, "members": members, "members_complete": True},
        "policy": {"id": "deepseek-r1-anti-distillation", "version": "2026-05-12", "clause_sha256": "ef" * 32},
        "verdict": "CLEAN",
        "attestations": ["0190a5c4-0000-7000-8000-0000000000e1"],
        "attestation_count": 1,
    }
    for name, new in changes.items():
        if new == "<absent>":
            value.pop(name, None)
        else:
            value[name] = new
    return value


def sign_token(k: Ed25519PrivateKey, payload: str, header: dict[str, Any] | None = None) -> str:
    header = header if header is not None else {"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": jwk(k)["kid"]}
    signing_input = b64url(dumps(header).encode()) + "." + b64url(payload.encode())
    return signing_input + "." + b64url(k.sign(signing_input.encode()))


def cert_expect(fail: str | list[str] = (), *, stopped: bool | None = None) -> dict[str, Any]:
    """The expected checks: a failed gate stops (later checks not checked); later checks all run."""
    fails = [fail] if isinstance(fail, str) else list(fail)
    checks = []
    stop = False
    for name in OFFLINE:
        if stop:
            checks.append([name, False])
            continue
        failed = name in fails
        checks.append([name, not failed])
        if failed and name in GATES:
            stop = True
    return {"valid": not fails, "checks": checks}


def certificate_cases() -> list[dict[str, Any]]:
    signer, other = key("certificate-signer"), key("another-signer")
    good_claims = dumps(claims())
    token = sign_token(signer, good_claims)
    jwks = {"keys": [jwk(signer), jwk(key("log-key"), use="log", valid_from="<absent>", valid_until="<absent>")]}
    at = ISSUED + 86400
    cases: list[dict[str, Any]] = []

    def case(
        name: str,
        expect: dict[str, Any],
        *,
        tok: str = token,
        keys: Any = jwks,
        when: int = at,
        audience: str | None = AUDIENCE,
    ) -> None:
        cases.append({"name": name, "token": tok, "jwks": keys, "at": when, "audience": audience, "expect": expect})

    header_b64, payload_b64, signature_b64 = token.split(".")
    case("valid certificate for the expected buyer", cert_expect())
    case("valid certificate, no audience expected", cert_expect(), audience=None)
    case("surrounding whitespace is ignored", cert_expect(), tok=f"  {token}\n")
    case("another buyer expected", cert_expect("audience"), audience=OTHER_ORG)
    case("expired at the moment judged", cert_expect("validity"), when=EXPIRES)
    case("not valid yet at the moment judged", cert_expect("validity"), when=ISSUED - 1)
    case(
        "expired and for another buyer: both reported",
        cert_expect(["validity", "audience"]),
        when=EXPIRES + 10,
        audience=OTHER_ORG,
    )
    tampered = b64url(dumps(claims(verdict="EXEMPT")).encode())
    case("payload edited after signing", cert_expect("signature"), tok=f"{header_b64}.{tampered}.{signature_b64}")
    case(
        "signed by another key under the registry's kid",
        cert_expect("signature"),
        tok=f"{header_b64}.{payload_b64}.{sign_token(other, good_claims).split('.')[2]}",
    )
    case("signature padded with '='", cert_expect("signature"), tok=token + "=")
    signature = base64.urlsafe_b64decode(signature_b64 + "==")
    s = int.from_bytes(signature[32:], "little") + L
    case(
        "S + L: the same signature, not reduced",
        cert_expect("signature"),
        tok=f"{header_b64}.{payload_b64}.{b64url(signature[:32] + s.to_bytes(32, 'little'))}",
    )
    case("two parts", cert_expect("format"), tok=f"{header_b64}.{payload_b64}")
    case("four parts", cert_expect("format"), tok=token + ".e30")
    case("header not base64url", cert_expect("format"), tok=f"!!.{payload_b64}.{signature_b64}")
    case("header a JSON array", cert_expect("format"), tok=f"{b64url(b'[1]')}.{payload_b64}.{signature_b64}")
    case("empty token", cert_expect("format"), tok="")
    for alg in ("none", "HS256", "ES256"):
        header = {"alg": alg, "typ": "lineage-cert+jwt", "kid": jwk(signer)["kid"]}
        case(f"alg {alg}", cert_expect("algorithm"), tok=sign_token(signer, good_claims, header))
    case(
        "an access token's typ",
        cert_expect("type"),
        tok=sign_token(signer, good_claims, {"alg": "EdDSA", "typ": "at+jwt", "kid": jwk(signer)["kid"]}),
    )
    case("no kid", cert_expect("key"), tok=sign_token(signer, good_claims, {"alg": "EdDSA", "typ": "lineage-cert+jwt"}))
    case("kid of no key in the JWKS", cert_expect("key"), tok=sign_token(other, good_claims))
    log_kid = jwk(key("log-key"))["kid"]
    case(
        "signed with the log key (use log)",
        cert_expect("key"),
        tok=sign_token(key("log-key"), good_claims, {"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": log_kid}),
    )
    swapped = {"keys": [dict(jwk(signer), x=jwk(other)["x"])]}
    case("JWKS altered: kid is not the key's thumbprint", cert_expect("key"), keys=swapped)
    case("JWKS key for ES256", cert_expect("key"), keys={"keys": [jwk(signer, alg="ES256")]})
    case("JWKS key without use", cert_expect("key"), keys={"keys": [jwk(signer, use="<absent>")]})
    case("JWKS key of another curve", cert_expect("key"), keys={"keys": [jwk(signer, crv="X25519")]})
    case(
        "JWKS key with a malformed valid_from", cert_expect("key"), keys={"keys": [jwk(signer, valid_from="yesterday")]}
    )
    small_order = bytes(32)  # y = 0: a point of order 4
    small = jwk(small_order)
    case(
        "a small-order key in the JWKS",
        cert_expect("key"),
        keys={"keys": [small]},
        tok=sign_token(signer, good_claims, {"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": small["kid"]}),
    )
    case(
        "JWKS without valid_from: the key window is unknown",
        cert_expect("key_window"),
        keys={"keys": [jwk(signer, valid_from="<absent>", valid_until="<absent>")]},
    )
    case(
        "JWKS with valid_from as RFC 3339 with an offset",
        cert_expect(),
        keys={"keys": [jwk(signer, valid_from="2027-01-01T01:00:00+01:00")]},
    )
    case(
        "issued before the key existed",
        cert_expect("key_window"),
        tok=sign_token(signer, dumps(claims(iat=KEY_CREATED_SECONDS - 2))),
    )
    case(
        "issued in the key's first second",
        cert_expect(),
        tok=sign_token(signer, dumps(claims(iat=KEY_CREATED_SECONDS - 1))),
    )
    case(
        "issued after the key was retired",
        cert_expect("key_window"),
        keys={"keys": [jwk(signer, status="retired", valid_until="2027-01-10T00:00:00Z")]},
    )
    case("claims without lineage", cert_expect("signature"), tok=sign_token(signer, dumps(claims(lineage="<absent>"))))
    case(
        "iat a float",
        cert_expect("signature"),
        tok=sign_token(signer, good_claims.replace(f'"iat":{ISSUED}', f'"iat":{ISSUED}.0')),
    )
    case("exp beyond i64", cert_expect("signature"), tok=sign_token(signer, dumps(claims(exp=2**63))))
    case(
        "closure size negative",
        cert_expect("signature"),
        tok=sign_token(signer, dumps(claims(lineage={**claims()["lineage"], "size": -1}))),
    )
    case("aud not a string", cert_expect("signature"), tok=sign_token(signer, dumps(claims(aud=["x"]))))
    case(
        "aud null, no audience expected", cert_expect(), tok=sign_token(signer, dumps(claims(aud=None))), audience=None
    )
    case("no aud, a buyer expected", cert_expect("audience"), tok=sign_token(signer, dumps(claims(aud="<absent>"))))
    case(
        "a repeated claim", cert_expect("signature"), tok=sign_token(signer, good_claims[:-1] + ',"verdict":"EXEMPT"}')
    )
    case("unknown claims are ignored", cert_expect(), tok=sign_token(signer, dumps(claims(x_extra={"a": 1}))))
    case("payload not JSON", cert_expect("signature"), tok=sign_token(signer, "not json"))
    for name, changes, expect in policies_cases():
        case(name, expect, tok=sign_token(signer, dumps(claims(**changes))))
    return cases


# ---- the policies check: certificates covering several policies ---------------------------------

POLICY = {"id": "deepseek-r1-anti-distillation", "version": "2026-05-12", "clause_sha256": "ef" * 32}


def covered(
    policy_id: str, version: str, digest: str, kind: str, verdict: str, *obligations: dict[str, Any]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": policy_id,
        "version": version,
        "clause_sha256": digest,
        "kind": kind,
        "verdict": verdict,
    }
    if obligations:
        entry["obligations"] = list(obligations)
    return entry


def three_policies() -> list[dict[str, Any]]:
    """A well-formed certificate's three policies: the `policy` claim CLEAN, one EXEMPT for the
    target model, one CLEAN with a naming obligation met and inherited terms applying."""
    return [
        covered(POLICY["id"], POLICY["version"], POLICY["clause_sha256"], "PROHIBITION", "CLEAN"),
        covered("llama-2-community", "2023-07-18", "12" * 32, "PROHIBITION", "EXEMPT"),
        covered(
            "llama-3.1-community",
            "2024-07-23",
            "34" * 32,
            "NAMING_OBLIGATION",
            "CLEAN",
            {"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"},
            {"kind": "INHERITED_TERMS", "status": "APPLIES"},
        ),
    ]


def competing_use(status: str = "MET") -> dict[str, Any]:
    return covered(
        "openai-terms",
        "2024-10-23",
        "56" * 32,
        "COMPETING_USE_PROHIBITION",
        "CLEAN",
        {"kind": "NO_COMPETING_USE", "status": status},
    )


def policies_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, changes to the good claims, expected checks) of the `policies` check; every token is
    signed by the registry's key, so only `policies` can fail."""
    model = {"target_model": "Llama-3.1-Acme-8B"}
    four = three_policies() + [competing_use()]
    several = {**model, "purpose": "NON_COMPETING", "policies": four}
    fail = cert_expect("policies")
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "policies: three covered, EXEMPT with a target model, a naming obligation met, inherited terms",
            {**model, "policies": three_policies()},
            cert_expect(),
        ),
        ("policies: four covered, EXEMPT with a target model, obligations met or applying", several, cert_expect()),
        ("policies: one covered, the policy claim", {"policies": three_policies()[:1]}, cert_expect()),
        ("policies: a certificate issued before policies were listed", {"policies": "<absent>"}, cert_expect()),
        ("policies: null, as a certificate issued before they were listed", {"policies": None}, cert_expect()),
        ("policies: an empty list", {"policies": []}, fail),
        (
            "policies: 17 covered, more than 16",
            {
                "policies": three_policies()[:1]
                + [covered(f"policy-{i:02}", "1", f"{i:02x}" * 32, "PROHIBITION", "CLEAN") for i in range(16)]
            },
            fail,
        ),
        (
            "policies: 16 covered",
            {
                "policies": three_policies()[:1]
                + [covered(f"policy-{i:02}", "1", f"{i:02x}" * 32, "PROHIBITION", "CLEAN") for i in range(15)]
            },
            cert_expect(),
        ),
        ("policies: the first is not the policy claim", {**several, "policies": four[1:] + four[:1]}, fail),
        (
            "policies: the first has another clause digest than the policy claim",
            {**several, "policies": [dict(four[0], clause_sha256="ee" * 32)] + four[1:]},
            fail,
        ),
        (
            "policies: the first's verdict is not the verdict claim",
            {**several, "verdict": "EXEMPT"},
            fail,
        ),
        ("policies: a policy version listed twice", {**several, "policies": four + [four[2]]}, fail),
        (
            "policies: another version of a policy is not a duplicate",
            {**several, "policies": four + [dict(four[1], version="2023-07-19")]},
            cert_expect(),
        ),
        (
            "policies: a clause digest in upper-case hex",
            {**several, "policies": four[:1] + [dict(four[1], clause_sha256="AB" * 32)] + four[2:]},
            fail,
        ),
        (
            "policies: a clause digest of 63 digits",
            {**several, "policies": four[:1] + [dict(four[1], clause_sha256="a" * 63)] + four[2:]},
            fail,
        ),
        (
            "policies: a clause digest with a sha256: prefix",
            {**several, "policies": four[:1] + [dict(four[1], clause_sha256="sha256:" + "ab" * 32)] + four[2:]},
            fail,
        ),
    ]
    for verdict in ("CONTAMINATED", "INCOMPLETE", "UNSPECIFIED", "clean"):
        cases.append(
            (
                f"policies: a verdict {verdict}",
                {**several, "policies": four[:1] + [dict(four[1], verdict=verdict)] + four[2:]},
                fail,
            )
        )
    cases += [
        ("policies: EXEMPT without a target model", {**several, "target_model": "<absent>"}, fail),
        ("policies: EXEMPT with a null target model", {**several, "target_model": None}, fail),
        (
            "policies: a naming obligation MET without a target model",
            {"purpose": "NON_COMPETING", "policies": four[:1] + four[2:]},
            fail,
        ),
        (
            "policies: a naming obligation MET without its prefix",
            {
                **several,
                "policies": four[:2]
                + [dict(four[2], obligations=[{"kind": "NAME_PREFIX", "status": "MET"}])]
                + four[3:],
            },
            fail,
        ),
    ]
    for status in ("UNMET", "UNDETERMINED"):
        cases.append(
            (
                f"policies: a naming obligation {status}",
                {
                    **several,
                    "policies": four[:2]
                    + [dict(four[2], obligations=[{"kind": "NAME_PREFIX", "status": status, "name_prefix": "Llama"}])]
                    + four[3:],
                },
                fail,
            )
        )
        cases.append(
            (
                f"policies: a no-competing-use obligation {status}",
                {**several, "policies": four[:3] + [competing_use(status)]},
                fail,
            )
        )
    cases += [
        ("policies: no competing use MET without a purpose", {**several, "purpose": "<absent>"}, fail),
        ("policies: no competing use MET for a competing model", {**several, "purpose": "COMPETING_MODEL"}, fail),
        (
            "policies: inherited terms MET rather than applying",
            {
                **several,
                "policies": four[:2]
                + [dict(four[2], obligations=[{"kind": "INHERITED_TERMS", "status": "MET"}])]
                + four[3:],
            },
            fail,
        ),
        (
            "policies: an obligation of an unknown kind",
            {**several, "policies": four[:3] + [dict(four[3], obligations=[{"kind": "PAY", "status": "APPLIES"}])]},
            fail,
        ),
        (
            "policies: an empty obligations list",
            {**several, "policies": four[:3] + [dict(four[3], obligations=[])]},
            cert_expect(),
        ),
        # Malformed entries are not a certificate's claims at all: the signature check says so.
        (
            "policies: an entry without a verdict",
            {**several, "policies": four[:3] + [{k: v for k, v in four[3].items() if k != "verdict"}]},
            cert_expect("signature"),
        ),
        ("policies: not a list", {**several, "policies": {"id": POLICY["id"]}}, cert_expect("signature")),
        (
            "policies: obligations null",
            {**several, "policies": four[:3] + [dict(four[3], obligations=None)]},
            cert_expect("signature"),
        ),
        (
            "policies: an obligation's name_prefix a number",
            {
                **several,
                "policies": four[:2]
                + [dict(four[2], obligations=[{"kind": "NAME_PREFIX", "status": "MET", "name_prefix": 7}])]
                + four[3:],
            },
            cert_expect("signature"),
        ),
        ("policies: a purpose that is not a string", {**several, "purpose": 2}, cert_expect("signature")),
    ]
    return cases


# ---- Merkle trees (RFC 9162) -------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(leaves)) else subproof(m, leaves, True)


LEAVES = [hashlib.sha256(f"event {i}".encode()).digest() for i in range(1, 12)]


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def inclusion_cases() -> list[dict[str, Any]]:
    cases = []

    def case(
        name: str,
        index: int,
        size: int,
        expect: str,
        *,
        hashes: list[bytes] | None = None,
        root: bytes | None = None,
        data: bytes | None = None,
    ) -> None:
        leaves = LEAVES[:size]
        proof = path(index, leaves) if hashes is None and index < size else (hashes or [])
        cases.append(
            {
                "name": name,
                "leaf_data": (data if data is not None else LEAVES[min(index, len(LEAVES) - 1)]).hex(),
                "leaf_index": index,
                "tree_size": size,
                "hashes": hexes(proof),
                "root": (root if root is not None else mth(leaves)).hex(),
                "expect": expect,
            }
        )

    for index, size in [(0, 1), (0, 2), (1, 2), (2, 3), (4, 7), (6, 7), (0, 8), (5, 8), (10, 11)]:
        case(f"leaf {index} of {size}", index, size, "ok")
    case("another leaf's data", 4, 7, "root_mismatch", data=LEAVES[3])
    case("a sibling altered", 4, 7, "root_mismatch", hashes=[bytes(32)] + path(4, LEAVES[:7])[1:])
    case("a hash too many", 4, 7, "wrong_proof_length", hashes=path(4, LEAVES[:7]) + [bytes(32)])
    case("a hash too few", 4, 7, "wrong_proof_length", hashes=path(4, LEAVES[:7])[:-1])
    case("index at the tree size", 7, 7, "index_out_of_range", hashes=[])
    case("the root of another size", 2, 5, "root_mismatch", root=mth(LEAVES[:6]))
    case("a single leaf with a proof", 0, 1, "wrong_proof_length", hashes=[bytes(32)])
    return cases


def consistency_cases() -> list[dict[str, Any]]:
    cases = []

    def case(
        name: str,
        m: int,
        n: int,
        expect: str,
        *,
        hashes: list[bytes] | None = None,
        first: bytes | None = None,
        second: bytes | None = None,
    ) -> None:
        cases.append(
            {
                "name": name,
                "first_size": m,
                "second_size": n,
                "hashes": hexes(consistency(m, LEAVES[:n]) if hashes is None else hashes),
                "first_root": (first if first is not None else mth(LEAVES[:m])).hex(),
                "second_root": (second if second is not None else mth(LEAVES[:n])).hex(),
                "expect": expect,
            }
        )

    for m, n in [(1, 2), (3, 7), (4, 7), (4, 8), (6, 8), (5, 11), (1, 11), (7, 7), (0, 7), (0, 0)]:
        case(f"{m} to {n}", m, n, "ok")
    good = consistency(3, LEAVES[:7])
    case("first root of another log", 3, 7, "first_root_mismatch", first=mth(LEAVES[1:4]))
    case("second root of another log", 3, 7, "second_root_mismatch", second=mth(LEAVES[1:8]))
    case("a right-side hash altered", 3, 7, "second_root_mismatch", hashes=good[:-1] + [bytes(32)])
    case("the seed altered", 3, 7, "first_root_mismatch", hashes=[bytes(32)] + good[1:])
    case("a hash too many", 3, 7, "wrong_proof_length", hashes=good + [bytes(32)])
    case("larger to smaller", 7, 3, "size_order", hashes=[])
    case("same size, different roots: a fork", 5, 5, "root_mismatch", hashes=[], second=mth(LEAVES[1:6]))
    case("same size with a proof", 5, 5, "wrong_proof_length", hashes=[bytes(32)])
    case("from the empty tree, a wrong root", 0, 4, "first_root_mismatch", hashes=[], first=bytes(32))
    case("from the empty tree, with a proof", 0, 4, "wrong_proof_length", hashes=[bytes(32)])
    return cases


# ---- checkpoints (C2SP signed notes) ------------------------------------------------------------


def note_key_id(name: str, pub: bytes) -> int:
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4], "big")


def vkey(name: str, k: Ed25519PrivateKey) -> str:
    return f"{name}+{note_key_id(name, public(k)):08x}+" + base64.b64encode(b"\x01" + public(k)).decode()


def signature_line(name: str, k: Ed25519PrivateKey, text: str) -> str:
    raw = note_key_id(name, public(k)).to_bytes(4, "big") + k.sign(text.encode())
    return f"\u2014 {name} {base64.b64encode(raw).decode()}\n"


def checkpoint_text(size: int, root: bytes, origin: str = ORIGIN, time: int = ISSUED) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\ntime {time}\n"


def sign_note(text: str, name: str, k: Ed25519PrivateKey) -> str:
    return text + "\n" + signature_line(name, k, text)


def checkpoint_cases() -> list[dict[str, Any]]:
    log, witness, other = key("log-key"), key("witness-key"), key("another-log-key")
    pinned = vkey(ORIGIN, log)
    root = mth(LEAVES[:7])
    text = checkpoint_text(7, root)
    good = sign_note(text, ORIGIN, log)
    opened = {"origin": ORIGIN, "size": 7, "root": root.hex(), "extensions": [f"time {ISSUED}"]}
    cases = []

    def case(name: str, note: str, expect: Any, *, key_text: str = pinned) -> None:
        cases.append({"name": name, "verifier_key": key_text, "note": note, "expect": expect})

    case("signed by the log key", good, opened)
    case("cosigned by a witness", good + signature_line("witness.example", witness, text), opened)
    case(
        "a witness first, then the log",
        text + "\n" + signature_line("witness.example", witness, text) + signature_line(ORIGIN, log, text),
        opened,
    )
    case(
        "the empty tree",
        sign_note(checkpoint_text(0, mth([])), ORIGIN, log),
        {"origin": ORIGIN, "size": 0, "root": mth([]).hex(), "extensions": [f"time {ISSUED}"]},
    )
    case("signed by another key under the log's name", sign_note(text, ORIGIN, other), "not_signed_by_key")
    case("signed by a witness only", sign_note(text, "witness.example", witness), "not_signed_by_key")
    forged = text.replace("\n7\n", "\n8\n")
    case("the size changed after signing", forged + good[len(text) :], "invalid_signature")
    line = signature_line(ORIGIN, log, text)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    case(
        "a bit of the signature flipped",
        text + "\n" + f"\u2014 {ORIGIN} {base64.b64encode(bytes(raw)).decode()}\n",
        "invalid_signature",
    )
    s = int.from_bytes(base64.b64decode(line.split(" ")[2])[36:], "little") + L
    unreduced = base64.b64decode(line.split(" ")[2])[:36] + s.to_bytes(32, "little")
    case("S + L", text + "\n" + f"\u2014 {ORIGIN} {base64.b64encode(unreduced).decode()}\n", "invalid_signature")
    case(
        "a good line and a bad line by the log key",
        good + f"\u2014 {ORIGIN} {base64.b64encode(bytes(raw)).decode()}\n",
        "invalid_signature",
    )
    case("no blank line", text + signature_line(ORIGIN, log, text), "missing_blank_line")
    case("no final newline", good[:-1], "missing_final_newline")
    case("a carriage return", good.replace(f"time {ISSUED}\n", f"time {ISSUED}\r\n"), "control_character")
    case("no signature lines", text + "\n", "no_signatures")
    case("a signature line without the em dash", text + "\n" + line[2:], "malformed_signature_line")
    case("a signature line without base64", text + "\n" + f"\u2014 {ORIGIN} ***\n", "malformed_signature_line")
    case(
        "a signature of only a key id",
        text + "\n" + f"\u2014 {ORIGIN} {base64.b64encode(raw[:4]).decode()}\n",
        "malformed_signature_line",
    )
    case("101 signature lines", text + "\n" + signature_line("w", witness, text) * 100 + line, "too_many_signatures")
    leading_zero = f"{ORIGIN}\n07\n{base64.b64encode(root).decode()}\n"
    case("a size with a leading zero, signed", sign_note(leading_zero, ORIGIN, log), "invalid_size")
    bad_root = f"{ORIGIN}\n7\n{base64.urlsafe_b64encode(bytes([0xFB]) * 32).decode()}\n"
    case("a root in base64url, signed", sign_note(bad_root, ORIGIN, log), "invalid_root_hash")
    short_root = f"{ORIGIN}\n7\n{base64.b64encode(root[:31]).decode()}\n"
    case("a root of 31 bytes, signed", sign_note(short_root, ORIGIN, log), "invalid_root_hash")
    case("two lines, signed", sign_note(f"{ORIGIN}\n7\n", ORIGIN, log), "too_few_lines")
    case("an empty extension line, signed", sign_note(text + "\n", ORIGIN, log), "invalid_extension")
    wrong_id = pinned.split("+")
    wrong_id[1] = f"{(int(wrong_id[1], 16) ^ 1):08x}"
    case("a verifier key whose id is not the key's", good, "malformed_verifier_key", key_text="+".join(wrong_id))
    case(
        "a verifier key of another type",
        good,
        "malformed_verifier_key",
        key_text=f"{ORIGIN}+00000000+" + base64.b64encode(b"\x02" + public(log)).decode(),
    )
    case("a verifier key with a space in its name", good, "invalid_key_name", key_text="a b+00000000+AQ==")
    return cases


# ---- bundles ------------------------------------------------------------------------------------


def event_hash(event: dict[str, Any]) -> bytes:
    entry = {
        "organization_id": event["organization_id"],
        "payload": json.loads(event["payload_json"]),
        "public": event["public"],
        "sequence": event["sequence"],
        "subject": event["subject"],
        "time": event["time"],
        "type": event["type"],
    }
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(bytes.fromhex(event["prev_hash"]) + canonical.encode()).digest()


def events(token: str, jti: str) -> list[dict[str, Any]]:
    """Five events, the fourth the certificate's issuance, chained."""
    kinds = [
        ("dataset.registered", "datasets/0190a5c4-0000-7000-8000-0000000000d0", {"name": "web-crawl"}),
        ("dataset.registered", "datasets/0190a5c4-0000-7000-8000-0000000000d1", {"name": "sft-corpus"}),
        ("attestation.recorded", "attestations/0190a5c4-0000-7000-8000-0000000000e1", {"method": "MANUAL_REVIEW"}),
        (
            "certificate.issued",
            f"certificates/{jti}",
            {"token_sha256": hashlib.sha256(token.encode()).hexdigest(), "verdict": "CLEAN"},
        ),
        ("certificate.issued", "certificates/0190a5c4-0000-7000-8000-0000000000c2", {"token_sha256": "00" * 32}),
    ]
    chain, prev = [], bytes(32)
    for sequence, (kind, subject, payload) in enumerate(kinds, start=1):
        event = {
            "sequence": sequence,
            "type": kind,
            "subject": subject,
            "organization_id": VENDOR,
            "public": False,
            "payload_json": dumps(payload),
            "time": f"2027-01-15T08:00:{sequence:02d}.000123Z",
            "prev_hash": prev.hex(),
        }
        event["hash"] = event_hash(event).hex()
        prev = bytes.fromhex(event["hash"])
        chain.append(event)
    return chain


def bundle_cases() -> list[dict[str, Any]]:
    signer, log, other_log = key("certificate-signer"), key("log-key"), key("another-log-key")
    jti = "0190a5c4-0000-7000-8000-0000000000c1"
    certificate_claims = claims(jti)
    token = sign_token(signer, dumps(certificate_claims))
    chain = events(token, jti)
    leaves = [bytes.fromhex(e["hash"]) for e in chain]
    size, index = len(leaves), 3
    note = sign_note(checkpoint_text(size, mth(leaves)), ORIGIN, log)
    jwks = {"keys": [jwk(signer), jwk(log, use="log", valid_from="<absent>", valid_until="<absent>")]}

    def inclusion(**changes: Any) -> dict[str, Any]:
        value = {
            "format": "provenance-log-inclusion/v1",
            "leaf_index": index,
            "tree_size": size,
            "leaf_data": leaves[index].hex(),
            "hashes": hexes(path(index, leaves)),
            "checkpoint": None,
        }
        value.update(changes)
        return value

    def bundle(**changes: Any) -> dict[str, Any]:
        value: dict[str, Any] = {
            "format": "provenance-certificate-bundle/v1",
            "token": token,
            "jwks": jwks,
            "certificate": {
                "id": jti,
                "issuer": "provenance-registry",
                "kid": jwk(signer)["kid"],
                "dataset": dict(certificate_claims["dataset"]),
                "audience_organization_id": AUDIENCE,
                "verdict": "CLEAN",
                "lineage_digest": certificate_claims["lineage"]["digest"],
                "closure_size": 2,
                "status": "CERTIFICATE_STATUS_VALID",
            },
            "lineage": [
                {"id": m, "name": m[-2:], "version": "1", "content_digest": "sha256:" + "00" * 32, "depth": d}
                for d, m in enumerate(reversed(certificate_claims["lineage"]["members"]))
            ],
            "log": {
                "verifier_key": vkey(ORIGIN, log),
                "checkpoint": note,
                "inclusion": inclusion(),
                "issuance_event": chain[index],
            },
        }
        for name, new in changes.items():
            value[name] = new
        return value

    def log_member(**changes: Any) -> dict[str, Any]:
        member = dict(bundle()["log"])
        member.update(changes)
        return member

    head = [[name, True] for name in OFFLINE] + [["status", False], ["lineage", False]]
    all_log = [["log_checkpoint", True], ["log_origin", True], ["log_inclusion", True], ["log_issuance", True]]
    cases = []

    def case(
        name: str,
        value: dict[str, Any],
        expect: dict[str, Any],
        *,
        log_key: str | None = None,
        at: int = ISSUED + 86400,
        audience: str | None = AUDIENCE,
    ) -> None:
        cases.append(
            {"name": name, "bundle": value, "at": at, "audience": audience, "log_key": log_key, "expect": expect}
        )

    case("a whole bundle, its own log key", bundle(), {"valid": True, "checks": head + [["bundle", True]] + all_log})
    case(
        "a whole bundle, the registry's log key pinned",
        bundle(),
        {"valid": True, "checks": head + [["bundle", True]] + all_log},
        log_key=vkey(ORIGIN, log),
    )
    case(
        "another log key pinned",
        bundle(),
        {
            "valid": False,
            "checks": head
            + [
                ["bundle", True],
                ["log_checkpoint", False],
                ["log_origin", False],
                ["log_inclusion", False],
                ["log_issuance", False],
            ],
        },
        log_key=vkey(ORIGIN, other_log),
    )
    edited = bundle()
    edited["certificate"] = dict(edited["certificate"], verdict="EXEMPT")
    case("the summary's verdict edited", edited, {"valid": False, "checks": head + [["bundle", False]] + all_log})
    extra = bundle()
    extra["lineage"] = extra["lineage"] + [{"id": "0190a5c4-0000-7000-8000-0000000000ff", "depth": 2}]
    case("a dataset added to the lineage list", extra, {"valid": False, "checks": head + [["bundle", False]] + all_log})
    case("no log evidence", bundle(log=None), {"valid": True, "checks": head + [["bundle", True], ["log", False]]})
    case(
        "no issuance event",
        bundle(log=log_member(issuance_event=None)),
        {"valid": True, "checks": head + [["bundle", True]] + all_log[:3] + [["log_issuance", False]]},
    )
    case(
        "a proof hash altered",
        bundle(log=log_member(inclusion=inclusion(hashes=[bytes(32).hex()] + hexes(path(index, leaves))[1:]))),
        {
            "valid": False,
            "checks": head + [["bundle", True]] + all_log[:2] + [["log_inclusion", False], ["log_issuance", False]],
        },
    )
    case(
        "the proof of another leaf",
        bundle(
            log=log_member(
                inclusion=inclusion(leaf_index=4, leaf_data=leaves[4].hex(), hashes=hexes(path(4, leaves))),
                issuance_event=chain[4],
            )
        ),
        {"valid": False, "checks": head + [["bundle", True]] + all_log[:3] + [["log_issuance", False]]},
    )
    retold = dict(chain[index], payload_json=dumps({"token_sha256": "11" * 32, "verdict": "CLEAN"}))
    case(
        "the issuance event's payload edited",
        bundle(log=log_member(issuance_event=retold)),
        {"valid": False, "checks": head + [["bundle", True]] + all_log[:3] + [["log_issuance", False]]},
    )
    rehashed = dict(retold, hash=event_hash(retold).hex())
    case(
        "the issuance event edited and rehashed",
        bundle(log=log_member(issuance_event=rehashed)),
        {"valid": False, "checks": head + [["bundle", True]] + all_log[:3] + [["log_issuance", False]]},
    )
    case(
        "the issuance event without a type",
        bundle(log=log_member(issuance_event={k: v for k, v in chain[index].items() if k != "type"})),
        {"valid": False, "checks": head + [["bundle", True]] + all_log[:3] + [["log_issuance", False]]},
    )
    case(
        "a checkpoint signed by another key",
        bundle(log=log_member(checkpoint=sign_note(checkpoint_text(size, mth(leaves)), ORIGIN, other_log))),
        {
            "valid": False,
            "checks": head
            + [
                ["bundle", True],
                ["log_checkpoint", False],
                ["log_origin", False],
                ["log_inclusion", False],
                ["log_issuance", False],
            ],
        },
    )
    case(
        "a checkpoint of another log, signed by the key",
        bundle(
            log=log_member(
                checkpoint=sign_note(checkpoint_text(size, mth(leaves), origin="other.example/log"), ORIGIN, log)
            )
        ),
        {
            "valid": False,
            "checks": head
            + [
                ["bundle", True],
                ["log_checkpoint", True],
                ["log_origin", False],
                ["log_inclusion", False],
                ["log_issuance", False],
            ],
        },
    )
    case(
        "a checkpoint of a larger tree",
        bundle(log=log_member(checkpoint=sign_note(checkpoint_text(size + 1, mth(leaves + [bytes(32)])), ORIGIN, log))),
        {
            "valid": False,
            "checks": head + [["bundle", True]] + all_log[:2] + [["log_inclusion", False], ["log_issuance", False]],
        },
    )
    case(
        "an inclusion proof of another format",
        bundle(log=log_member(inclusion=inclusion(format="x"))),
        {"valid": False, "checks": head + [["bundle", True], ["log", False]]},
    )
    case(
        "an inclusion proof with a short hash",
        bundle(log=log_member(inclusion=inclusion(hashes=["00"]))),
        {
            "valid": False,
            "checks": head + [["bundle", True]] + all_log[:2] + [["log_inclusion", False], ["log_issuance", False]],
        },
    )
    case(
        "no checkpoint",
        bundle(log=log_member(checkpoint=None)),
        {"valid": False, "checks": head + [["bundle", True], ["log", False]]},
    )
    tampered_token = token.split(".")
    tampered_token[1] = b64url(dumps(claims(jti, verdict="EXEMPT")).encode())
    stopped = [[n, n in GATES[:4]] for n in OFFLINE] + [["status", False], ["lineage", False]]
    case(
        "the token's payload edited",
        bundle(token=".".join(tampered_token)),
        {"valid": False, "checks": stopped + [["bundle", False]] + all_log[:3] + [["log_issuance", False]]},
    )
    case(
        "expired at the moment judged",
        bundle(),
        {
            "valid": False,
            "checks": [[n, n != "validity"] for n in OFFLINE]
            + [["status", False], ["lineage", False], ["bundle", True]]
            + all_log,
        },
        at=EXPIRES,
    )
    case("not a bundle", {"keys": []}, {"error": "not a bundle"})
    case("a bundle of a newer format", bundle(format="provenance-certificate-bundle/v9"), {"error": "format"})
    case("a bundle without a token", bundle(token="  "), {"error": "no token"})
    case("a bundle whose JWKS has no signing key", bundle(jwks={"keys": [jwks["keys"][1]]}), {"error": "jwks"})
    case("a bundle whose log names no key", bundle(log=log_member(verifier_key=None)), {"error": "verifier_key"})
    return cases


def generate() -> str:
    document = {
        "about": (
            "Shared verification cases, read by the Rust tests (crates/provenance-api, crates/transparency-log, "
            "clients/cli) and the Python client's suite: identical verdicts and check names on both sides. "
            "Generated by clients/python/scripts/generate_vectors.py; do not edit by hand."
        ),
        "certificates": certificate_cases(),
        "inclusion_proofs": inclusion_cases(),
        "consistency_proofs": consistency_cases(),
        "checkpoints": checkpoint_cases(),
        "bundles": bundle_cases(),
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is not what generate_vectors.py writes: run it and commit the result", file=sys.stderr)
            return 1
        print(f"{OUT.name} is current")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
