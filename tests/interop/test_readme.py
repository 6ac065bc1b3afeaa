"""The README's Python verification samples, run as printed against a real server.

Each sample is read from README.md (so an edit there is what gets tested), its placeholders
replaced with the test server's address and a certificate file, and run in a fresh interpreter as a
reader would. A certificate forged with the transparency log's key, which the JWKS also publishes
("use": "log"), must not pass: the samples pick keys among "use": "sig" only.
"""

import base64
import json
import pathlib
import subprocess
import sys
import urllib.request

import pytest

from conftest import REPO, auth, digest

POLICY = "deepseek-r1-anti-distillation"


def readme_sample(marker):
    """The first ```python block after the line containing `marker`, dedented."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    opening = next(i for i in range(start, len(lines)) if lines[i].strip() == "```python")
    indent = len(lines[opening]) - len(lines[opening].lstrip())
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == "```")
    return "\n".join(line[indent:] for line in lines[opening + 1 : closing]) + "\n"


def certified(server, pb):
    """A certificate for a clean, attested dataset, issued for the server's organisation."""
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)
    request = pb.dataset_pb2.RegisterDatasetRequest(name="mix", version="1", content_digest=digest("mix"))
    dataset = datasets.RegisterDataset(request, metadata=admin).dataset
    attestations.RecordAttestation(
        pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=dataset.id,
            policy_id=POLICY,
            method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
            statement="reviewed",
            evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))],
        ),
        metadata=admin,
    )
    return certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(
            dataset_id=dataset.id, policy_id=POLICY, audience_organization_id=server.org_id
        ),
        metadata=admin,
    )


def published_keys(server):
    with urllib.request.urlopen(f"http://{server.address}/.well-known/jwks.json", timeout=10) as response:
        return json.load(response)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_with_the_log_key(server, token):
    """`token`'s claims, re-signed with the transparency log's key and naming it as `kid`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = bytes.fromhex((server.dir / "log-signing.key").read_text().strip())
    keys = published_keys(server)["keys"]
    log_key = next(k for k in keys if k.get("use") == "log")
    payload = token.split(".")[1]
    header = b64(json.dumps({"alg": "EdDSA", "typ": "lineage-cert+jwt", "kid": log_key["kid"]}).encode())
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(f"{header}.{payload}".encode())
    return f"{header}.{payload}.{b64(signature)}"


def run_ten_lines(server, tmp_path, token):
    code = readme_sample("**Ten lines of Python**")
    assert '"http://127.0.0.1:50051"' in code and '"mix.cert.jws"' in code, code
    token_file = tmp_path / "mix.cert.jws"
    token_file.write_text(token + "\n")
    code = code.replace('"http://127.0.0.1:50051"', json.dumps(f"http://{server.address}"))
    code = code.replace('"mix.cert.jws"', json.dumps(str(token_file)))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_ten_line_sample_verifies_a_certificate_and_refuses_one_signed_with_the_log_key(server, pb, tmp_path):
    issued = certified(server, pb)
    run = run_ten_lines(server, tmp_path, issued.token)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "mix CLEAN VALID\n"

    forged = run_ten_lines(server, tmp_path, forged_with_the_log_key(server, issued.token))
    assert forged.returncode != 0, forged.stdout
    assert "KeyError" in forged.stderr, forged.stderr


def test_the_offline_sample_decodes_with_a_signing_key_only(server, pb):
    import jwt

    issued = certified(server, pb)
    code = readme_sample("**Verifying offline**")
    assert '"http://registry:50051' in code, code
    code = code.replace("http://registry:50051", f"http://{server.address}")

    scope = {"token": issued.token, "MY_ORG_ID": server.org_id}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["claims"]["jti"] == issued.id
    assert scope["claims"]["verdict"] == "CLEAN"

    scope = {"token": forged_with_the_log_key(server, issued.token), "MY_ORG_ID": server.org_id}
    with pytest.raises(KeyError):
        exec(compile(code, "README.md", "exec"), scope)
    # The forgery is a good signature by a published key: only the key's use tells it apart.
    jwks = jwt.PyJWKSet.from_dict(published_keys(server))
    forged = forged_with_the_log_key(server, issued.token)
    kid = jwt.get_unverified_header(forged)["kid"]
    assert jwt.decode(forged, key=jwks[kid], algorithms=["EdDSA"], options={"verify_aud": False})["jti"] == issued.id
