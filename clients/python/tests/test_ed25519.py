"""The registry's Ed25519 rule in Python: the shared edge cases (tests/data/ed25519_speccheck.json)
get the outcome the Rust verifiers give them, with and without OpenSSL's fast path, and signatures
crafted by the key's holder get the same answer offline here as from the registry online."""

from __future__ import annotations

import base64
import json
import pathlib
import urllib.request

import pytest

from _crafting import EXPECTED, craft
from provenance_client import _ed25519 as ed
from provenance_client import verify_offline

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "data" / "ed25519_speccheck.json"
TEST_1_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def cases():
    return json.loads(VECTORS.read_text())["cases"]


def outcome(case) -> str | None:
    try:
        ed.check(*(bytes.fromhex(case[name]) for name in ("public_key", "message", "signature")))
    except ed.Rejection as why:
        return why.code
    return None


@pytest.mark.parametrize("case", cases(), ids=lambda case: case["id"])
def test_each_shared_edge_case_gets_the_rules_outcome(case):
    assert (outcome(case) is None) == case["valid"]
    assert outcome(case) == case["rejection"]


@pytest.mark.parametrize("case", cases(), ids=lambda case: case["id"])
def test_the_integer_check_alone_decides_as_with_openssls_fast_path(case, monkeypatch):
    monkeypatch.setattr(ed, "_openssl_accepts", lambda *_: False)
    assert outcome(case) == case["rejection"]


def test_the_twelve_published_vectors_are_there():
    assert sum(case["id"].startswith("speccheck-") for case in cases()) == 12


def test_the_holder_cases_are_made_as_the_file_says():
    by_id = {case["id"]: case for case in cases()}
    message = b"lineage certificate"
    for how in ("small-order-r", "mixed-order-r", "non-canonical-r-y-at-least-p"):
        case = by_id[f"holder-{how}"]
        assert bytes.fromhex(case["message"]) == message
        assert craft(TEST_1_SEED, message, how).hex() == case["signature"], how
    assert craft(TEST_1_SEED, b"", "honest").hex() == by_id["rfc8032-test-1"]["signature"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signature_check(checks) -> bool:
    return next(c.passed for c in checks if c.name == "signature")


def test_crafted_signatures_get_the_same_answer_offline_and_from_the_registry(server, vendor):
    """The registry's own key signs crafted variants of a real certificate: VerifyCertificate over
    gRPC, POST /v1/certificates:verify and offline verification give each the rule's answer."""
    _, _, certificate = vendor.certified_dataset("crafted")
    token = certificate.token
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))["kid"]
    keys = json.loads((server.dir / "signing-keys.json").read_text())["keys"]
    seed = bytes.fromhex(next(k["private_key"] for k in keys if k["kid"] == kid))
    jwks = vendor.registry.jwks()
    signing_input = token.rpartition(".")[0]
    for how, rejection in EXPECTED.items():
        crafted = f"{signing_input}.{b64(craft(seed, signing_input.encode(), how))}"
        offline = verify_offline(crafted, jwks)
        online = vendor.registry.verify(crafted)
        request = urllib.request.Request(
            server.url + "/v1/certificates:verify",
            data=json.dumps({"token": crafted}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            over_http = json.loads(response.read())
        http_signature = next(c["passed"] for c in over_http["checks"] if c["name"] == "signature")
        expected = rejection is None
        assert signature_check(offline.checks) == expected, how
        assert signature_check(online.checks) == expected, how
        assert http_signature == expected, how
        assert offline.valid == expected, how
        # The whole answer agrees too: another valid signature of the same header and claims
        # (only the key's holder can make one) is the certificate the registry stored.
        assert online.valid == expected, how
        assert over_http["valid"] == expected, how
