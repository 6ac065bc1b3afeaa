"""Token status lists read with a decoder written from the IETF draft (draft-ietf-oauth-status-list,
not from the registry's code): after a random mix of revocations (direct, through a revoked
attestation, through a contamination report's cascade), the bit of every certificate in its signed
`statuslist+jwt` agrees with `VerifyCertificate`. The list's signature is checked with PyJWT and the
published JWKS."""

import base64
import random
import time
import urllib.parse
import zlib

import jwt
import pytest
import requests

from conftest import Server, auth, digest

POLICY = "deepseek-r1-anti-distillation"
PUBLIC_URL = "https://registry.example"


@pytest.fixture
def published():
    s = Server(extra_args=("--public-url", PUBLIC_URL))
    yield s
    s.stop()


def decode_status_list(token, keys, uri):
    """Section 5 of the draft: a JWT of typ statuslist+jwt whose sub is the list's URI; status_list.lst
    is base64url of the ZLIB-compressed byte array; with bits 1, status i is bit i % 8 (least
    significant first) of byte i // 8."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "statuslist+jwt"
    claims = jwt.decode(token, key=keys[header["kid"]], algorithms=["EdDSA"], options={"require": ["sub", "iat", "exp"]})
    assert claims["sub"] == uri
    assert claims["ttl"] > 0 and claims["exp"] > time.time()
    lst = claims["status_list"]
    assert lst["bits"] == 1
    raw = zlib.decompress(base64.urlsafe_b64decode(lst["lst"] + "=" * (-len(lst["lst"]) % 4)))
    return lambda idx: (raw[idx // 8] >> (idx % 8)) & 1


def test_every_certificates_bit_agrees_with_verify_certificate(published, pb):
    server = published
    rng = random.Random(24)
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)

    def register(name, parents=()):
        sources = [pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_DATASET, dataset_id=p.id) for p in parents]
        request = pb.dataset_pb2.RegisterDatasetRequest(name=name, version="1", content_digest=digest(name), sources=sources)
        return datasets.RegisterDataset(request, metadata=admin).dataset

    def attest(dataset):
        return attestations.RecordAttestation(
            pb.attestation_pb2.RecordAttestationRequest(
                dataset_id=dataset.id, policy_id=POLICY,
                method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW, statement="reviewed",
                evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest(dataset.name))]),
            metadata=admin)

    def issue(dataset):
        return certificates.IssueCertificate(
            pb.certificate_pb2.IssueCertificateRequest(dataset_id=dataset.id, policy_id=POLICY), metadata=admin)

    roots, attestation_of, issued = [], {}, []
    for i in range(12):
        root = register(f"root-{i}")
        attestation_of[root.id] = attest(root)
        roots.append(root)
        issued += [issue(root) for _ in range(2)]
    derived = []
    for i in range(8):
        parent = rng.choice(roots)
        child = register(f"child-{i}", [parent])
        attest(child)
        derived.append(child)
        issued.append(issue(child))

    # Positions: distinct, and not in issuance order.
    positions = [jwt.decode(c.token, options={"verify_signature": False})["status"]["status_list"] for c in issued]
    assert len({(p["uri"], p["idx"]) for p in positions}) == len(issued)
    indices = [p["idx"] for p in positions]
    assert indices != sorted(indices)

    # A random mix: certificates revoked one by one, an attestation revoked, a dataset reported
    # contaminated (each cascading to every certificate over it).
    for certificate in rng.sample(issued, 7):
        try:
            certificates.RevokeCertificate(pb.certificate_pb2.RevokeCertificateRequest(id=certificate.id, reason="test"), metadata=admin)
        except Exception as error:  # already revoked by an earlier step is fine
            assert "revoked" in str(error).lower(), error
    victim = rng.choice(roots)
    attestations.RevokeAttestation(pb.attestation_pb2.RevokeAttestationRequest(id=attestation_of[victim.id].id, reason="wrong"), metadata=admin)
    contaminated = rng.choice([r for r in roots if r.id != victim.id])
    datasets.ReportContamination(
        pb.dataset_pb2.ReportContaminationRequest(
            dataset_id=contaminated.id, statement="found",
            evidence=[pb.dataset_pb2.ContaminationEvidence(uri="https://evidence.example/c")]),
        metadata=admin)

    # The lists as any verifier fetches them: served without a token, within the documented delay.
    time.sleep(6)
    jwks = requests.get(f"http://{server.address}/.well-known/jwks.json", timeout=10).json()
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"] if k.get("use") == "sig"}
    lists = {}
    revoked = 0
    for certificate, position in zip(issued, positions):
        uri = position["uri"]
        if uri not in lists:
            assert uri.startswith(PUBLIC_URL + "/statuslists/")
            path = urllib.parse.urlparse(uri).path
            answer = requests.get(f"http://{server.address}{path}", timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.headers["Content-Type"] == "application/statuslist+jwt"
            lists[uri] = decode_status_list(answer.text, keys, uri)
        verdict = certificates.VerifyCertificate(pb.certificate_pb2.VerifyCertificateRequest(token=certificate.token))
        is_revoked = verdict.status == pb.certificate_pb2.CERTIFICATE_STATUS_REVOKED
        assert lists[uri](position["idx"]) == int(is_revoked), (certificate.id, verdict.status)
        revoked += is_revoked
    assert 7 <= revoked < len(issued)


def test_unknown_or_misspelt_lists_are_refused(published):
    for path, status in [("/statuslists/999", 404), ("/statuslists/01", 400), ("/statuslists/0", 400), ("/statuslists/x", 400)]:
        answer = requests.get(f"http://{published.address}{path}", timeout=10)
        assert answer.status_code == status, (path, answer.text)
