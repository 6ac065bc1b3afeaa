"""Offline verification with the registry's JWKS: what a buyer does with a certificate attached
to a contract, without calling the registry."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance_client import CERTIFICATE_TYPE, fetch_jwks_http, verify_offline


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")

    def pad(part: str) -> str:
        return part + "=" * (-len(part) % 4)

    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def failed(result) -> list[str]:
    return [c.name for c in result.checks if not c.passed and not c.detail.startswith("not checked")]


@pytest.fixture(scope="module")
def issued(vendor):
    dataset, _, certificate = vendor.certified_dataset("offline", contract="PO-2026-0042")
    return dataset, certificate


@pytest.fixture(scope="module")
def jwks(vendor):
    return vendor.registry.jwks()


def test_the_jwks_over_grpc_and_over_http_are_the_same(server, jwks):
    assert fetch_jwks_http(server.url) == jwks
    assert fetch_jwks_http(server.url + "/.well-known/jwks.json") == jwks
    [key] = [k for k in jwks["keys"] if k["use"] == "sig"]
    assert (key["kty"], key["crv"], key["alg"], key["status"]) == ("OKP", "Ed25519", "EdDSA", "active")
    # The transparency log's checkpoint key is listed too, for another use.
    [log_key] = [k for k in jwks["keys"] if k["use"] == "log"]
    assert log_key["kid"] != key["kid"]


def test_a_valid_certificate_verifies_with_its_claims(server, issued, jwks):
    dataset, certificate = issued
    result = verify_offline(certificate.token, jwks, audience=server.buyer_org, issuer="provenance-registry")
    assert result.valid, result.reasons
    assert result.reasons == []
    assert [c.name for c in result.checks] == [
        "format",
        "algorithm",
        "type",
        "key",
        "signature",
        "key_window",
        "validity",
        "audience",
        "policies",
        "issuer",
    ]
    assert result.header["typ"] == CERTIFICATE_TYPE == "lineage-cert+jwt"
    assert result.certificate_id == certificate.id
    assert result.dataset_id == dataset.id
    assert result.claims["dataset"]["content_digest"] == dataset.content_digest
    assert result.claims["verdict"] == "CLEAN"
    assert result.claims["contract_reference"] == "PO-2026-0042"
    assert result.claims["lineage"]["digest"] == certificate.lineage_digest
    assert result.expires_at == certificate.expire_time.replace(microsecond=0)
    [covered] = result.policies
    assert (covered.policy_id, covered.policy_version) == (certificate.policy_id, certificate.policy_version)
    assert covered.verdict == "CLEAN" and covered.clause_sha256 == certificate.policies[0].clause_sha256
    assert result.check("policies").detail == f"1 policy: {certificate.policy_id}@{certificate.policy_version} CLEAN"
    # PyJWT alone agrees (the README's recipe).
    key = jwt.PyJWK({k["kid"]: k for k in jwks["keys"] if k.get("use") == "sig"}[result.header["kid"]])
    assert jwt.decode(certificate.token, key=key, algorithms=["EdDSA"], audience=server.buyer_org) == result.claims


def test_the_dsse_envelope_verifies_under_the_same_check_names_with_the_same_claims(server, issued, jwks):
    _, certificate = issued
    by_token = verify_offline(certificate.token, jwks, audience=server.buyer_org)
    by_envelope = verify_offline(certificate.dsse_envelope, jwks, audience=server.buyer_org)
    assert by_envelope.valid, by_envelope.reasons
    assert [c.name for c in by_envelope.checks] == [c.name for c in by_token.checks]
    signed = {k: v for k, v in by_envelope.claims.items() if k not in ("log_index", "token_sha256")}
    assert signed == by_token.claims
    # A Statement altered after signing, and an envelope with a second signature, are refused.
    envelope = json.loads(certificate.dsse_envelope)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verdict"] = "EXEMPT"
    altered = dict(envelope, payload=base64.b64encode(json.dumps(statement).encode()).decode())
    assert failed(verify_offline(json.dumps(altered), jwks)) == ["signature"]
    doubled = dict(envelope, signatures=envelope["signatures"] * 2)
    assert failed(verify_offline(json.dumps(doubled), jwks))[0] == "format"


def test_a_tampered_certificate_fails_the_signature_and_yields_no_claims(issued, jwks):
    _, certificate = issued
    header, _, signature = certificate.token.split(".")
    claims = segments(certificate.token)[1]
    claims["verdict"] = "EXEMPT"
    forged = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    result = verify_offline(forged, jwks)
    assert not result.valid
    assert failed(result) == ["signature"]
    assert result.claims is None and result.certificate_id is None
    assert any("signature" in reason and "altered" in reason for reason in result.reasons)
    # A flipped signature byte, too.
    flipped = certificate.token[:-2] + ("A" if certificate.token[-2] != "A" else "B") + certificate.token[-1]
    assert failed(verify_offline(flipped, jwks)) == ["signature"]


def test_another_audience_fails_only_the_audience_check(issued, jwks, vendor):
    _, certificate = issued
    result = verify_offline(certificate.token, jwks, audience=vendor.org)
    assert not result.valid
    assert failed(result) == ["audience"]
    assert result.claims is not None  # the signature is fine; the buyer is not the one named
    assert vendor.org in result.check("audience").detail


def test_expiry_and_not_before_are_judged_at_the_given_moment(issued, jwks):
    _, certificate = issued
    after_expiry = certificate.expire_time + timedelta(seconds=1)
    expired = verify_offline(certificate.token, jwks, at=after_expiry)
    assert failed(expired) == ["validity"] and "expired" in expired.check("validity").detail
    before = verify_offline(certificate.token, jwks, at=certificate.not_before - timedelta(days=1))
    assert failed(before) == ["validity"] and "not valid yet" in before.check("validity").detail
    # On the contract date, within the window, it holds; a leeway widens the window.
    assert verify_offline(certificate.token, jwks, at=certificate.not_before + timedelta(days=30)).valid
    assert verify_offline(certificate.token, jwks, at=after_expiry, leeway=timedelta(minutes=1)).valid


def test_an_unknown_key_is_refused_before_the_signature(issued, jwks):
    _, certificate = issued
    header, claims, _ = segments(certificate.token)
    stranger = Ed25519PrivateKey.generate()
    forged = jwt.encode(
        claims, stranger, algorithm="EdDSA", headers={"typ": CERTIFICATE_TYPE, "kid": "someone-elses-key"}
    )
    result = verify_offline(forged, jwks)
    assert failed(result) == ["key"]
    assert "someone-elses-key" in result.check("key").detail
    # Claiming the registry's kid with another key fails the signature instead.
    impostor = jwt.encode(claims, stranger, algorithm="EdDSA", headers={"typ": CERTIFICATE_TYPE, "kid": header["kid"]})
    assert failed(verify_offline(impostor, jwks)) == ["signature"]
    # The transparency log's key is in the JWKS but never signs certificates.
    [log_key] = [k for k in jwks["keys"] if k["use"] == "log"]
    as_log = jwt.encode(claims, stranger, algorithm="EdDSA", headers={"typ": CERTIFICATE_TYPE, "kid": log_key["kid"]})
    result = verify_offline(as_log, jwks)
    assert failed(result) == ["key"]
    # The registry's wording: "key <kid> is not a signing key: its use is \"log\"".
    assert f"key {log_key['kid']} is not a signing key" in result.check("key").detail


def test_alg_none_and_other_algorithms_are_refused(server, issued, jwks):
    _, certificate = issued
    header, claims, _ = segments(certificate.token)
    unsigned = f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}."
    result = verify_offline(unsigned, jwks)
    assert not result.valid and failed(result) == ["algorithm"]
    assert '"none" is not allowed' in result.check("algorithm").detail  # the registry's wording
    # An access token (HS256, typ at+jwt) is not a certificate.
    assert failed(verify_offline(server.vendor_admin, jwks)) == ["algorithm"]
    # An EdDSA token of another type is not one either.
    other_type = jwt.encode(
        claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"typ": "JWT", "kid": header["kid"]}
    )
    assert failed(verify_offline(other_type, jwks)) == ["type"]


def test_garbage_never_raises_but_programming_errors_do(jwks):
    for garbage in ["", "not-a-jwt", "a.b.c", "....", "é.é.é"]:
        result = verify_offline(garbage, jwks)
        assert not result.valid and failed(result) == ["format"], garbage
    with pytest.raises(TypeError):
        verify_offline(b"bytes", jwks)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        verify_offline("a.b.c", {"not": "a jwks"})
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_offline("a.b.c", jwks, at=datetime(2026, 1, 1))
    assert verify_offline("a.b.c", jwks, at=datetime(2026, 1, 1, tzinfo=timezone.utc)).valid is False
