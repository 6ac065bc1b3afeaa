"""Signing keys in a hardware security module: a registry started with `--signing-key pkcs11:...`
against a fresh SoftHSM2 token issues certificates that PyJWT verifies against the published JWKS,
and whose DSSE envelope verifies with the same key (the `cryptography` package's Ed25519).

SoftHSM2 (Debian's `softhsm2`) must be installed: in CI (`CI=true`) its absence fails the test,
elsewhere the test is skipped with a message saying so."""

import base64
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import Server, auth, digest

POLICY = "deepseek-r1-anti-distillation"
MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]


def softhsm_module():
    module = next((m for m in MODULES if os.path.exists(m)), None)
    if module and shutil.which("softhsm2-util"):
        return module
    message = "SoftHSM2 is not installed (Debian: apt-get install softhsm2)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI installs it in .ci/run")
    pytest.skip(message)


@pytest.fixture
def hsm_server(monkeypatch):
    """A server whose keys are in a fresh token of its own SoftHSM2 configuration."""
    module = softhsm_module()
    home = pathlib.Path(tempfile.mkdtemp(prefix="provenance-softhsm-"))
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "interop", "--so-pin", "5678", "--pin", "1234"],
        check=True, capture_output=True,
    )
    # The environment, not a flag: the admin commands that make the registry use the token too.
    monkeypatch.setenv("PROVENANCE_SIGNING_KEY", f"pkcs11:token=interop;object=registry?module-path={module}&pin-value=1234")
    server = Server()
    yield server
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_certificates_signed_in_the_token_verify_with_pyjwt_against_the_jwks(hsm_server, pb):
    server = hsm_server
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)

    raw = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(name="raw", version="1", content_digest=digest("raw")), metadata=admin
    ).dataset
    attestations.RecordAttestation(
        pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=raw.id, policy_id=POLICY, method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
            statement="reviewed", evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))]),
        metadata=admin)
    certificate = certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(dataset_id=raw.id, policy_id=POLICY), metadata=admin)

    jwks = requests.get(f"http://{server.address}/.well-known/jwks.json", timeout=10).json()
    signing = [k for k in jwks["keys"] if k.get("use") == "sig"]
    assert len(signing) == 1 and signing[0]["kty"] == "OKP" and signing[0]["crv"] == "Ed25519"
    header = jwt.get_unverified_header(certificate.token)
    assert header["alg"] == "EdDSA" and header["kid"] == signing[0]["kid"]
    claims = jwt.decode(certificate.token, key=jwt.PyJWK(signing[0]), algorithms=["EdDSA"], options={"verify_aud": False})
    assert claims["jti"] == certificate.id
    assert claims["sub"] == f"datasets/{raw.id}"
    # One changed byte of the payload fails, so the signature is what was checked.
    head, payload, signature = certificate.token.split(".")
    forged = json.loads(b64decode(payload))
    forged["verdict"] = "forged"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged_payload}.{signature}", key=jwt.PyJWK(signing[0]), algorithms=["EdDSA"],
                   options={"verify_aud": False})

    # The DSSE envelope: the same key signed the PAE of its payload (DSSE v1).
    envelope = json.loads(certificate.dsse_envelope)
    body = base64.b64decode(envelope["payload"])
    pae = b"DSSEv1 %d %s %d %s" % (len(envelope["payloadType"]), envelope["payloadType"].encode(), len(body), body)
    (entry,) = envelope["signatures"]
    assert entry["keyid"] == signing[0]["kid"]
    Ed25519PublicKey.from_public_bytes(b64decode(signing[0]["x"])).verify(base64.b64decode(entry["sig"]), pae)
