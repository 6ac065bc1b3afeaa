"""A client written only from the proto files does everything the foundation promises."""

import hashlib
import json
from datetime import datetime, timezone

import grpc
import pytest

from conftest import auth, digest


def canonical(value):
    """Canonical JSON as event.proto defines it: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def recompute_hash(event):
    time = event.time.ToDatetime(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    entry = {
        "organization_id": event.organization_id,
        "payload": json.loads(event.payload_json),
        "public": event.public,
        "sequence": event.sequence,
        "subject": event.subject,
        "time": time,
        "type": event.type,
    }
    return hashlib.sha256(bytes.fromhex(event.prev_hash) + canonical(entry).encode()).hexdigest()


def test_a_vendor_walkthrough_from_generated_stubs(server, pb):
    orgs = pb.organization_pb2_grpc.OrganizationServiceStub(server.channel)
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    lineage = pb.lineage_pb2_grpc.LineageServiceStub(server.channel)
    events = pb.event_pb2_grpc.EventServiceStub(server.channel)
    admin = auth(server.admin_token)

    org = orgs.GetOrganization(pb.organization_pb2.GetOrganizationRequest(), metadata=admin)
    assert org.id == server.org_id and org.name == "Acme"
    issued = orgs.CreateAccessToken(
        pb.organization_pb2.CreateAccessTokenRequest(role=pb.organization_pb2.ROLE_REGISTRAR, subject="python-ci"),
        metadata=admin,
    )
    registrar = auth(issued.token)

    source_kind = pb.dataset_pb2
    raw = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(
            name="raw-crawl",
            version="1",
            content_digest=digest("raw"),
            sources=[pb.dataset_pb2.Source(kind=source_kind.SOURCE_KIND_WEB_CRAWL, uri="https://example.org/crawl")],
        ),
        metadata=registrar,
    ).dataset
    clean = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(
            name="clean",
            version="1",
            content_digest=digest("clean"),
            sources=[pb.dataset_pb2.Source(kind=source_kind.SOURCE_KIND_DATASET, dataset_id=raw.id)],
        ),
        metadata=registrar,
    ).dataset
    mix = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(
            name="sft-mix",
            version="1",
            content_digest=digest("mix"),
            visibility=pb.common_pb2.VISIBILITY_PUBLIC,
            sources=[
                pb.dataset_pb2.Source(kind=source_kind.SOURCE_KIND_DATASET, dataset_id=clean.id),
                pb.dataset_pb2.Source(
                    kind=source_kind.SOURCE_KIND_MODEL_GENERATED,
                    model=pb.dataset_pb2.ModelRef(model_id="Qwen/Qwen2.5-72B-Instruct"),
                ),
            ],
        ),
        metadata=registrar,
    ).dataset

    again = datasets.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(name="clean", version="1", content_digest=digest("clean"),
                                              sources=[pb.dataset_pb2.Source(kind=source_kind.SOURCE_KIND_DATASET, dataset_id=raw.id)]),
        metadata=registrar,
    )
    assert again.already_existed and again.dataset.id == clean.id

    assert datasets.GetDataset(pb.dataset_pb2.GetDatasetRequest(id=mix.id), metadata=registrar) == mix
    listed = datasets.ListDatasets(pb.dataset_pb2.ListDatasetsRequest(page_size=2), metadata=registrar)
    assert [d.name for d in listed.datasets] == ["raw-crawl", "clean"] and listed.next_page_token
    rest = datasets.ListDatasets(
        pb.dataset_pb2.ListDatasetsRequest(page_size=2, page_token=listed.next_page_token), metadata=registrar
    )
    assert [d.name for d in rest.datasets] == ["sft-mix"] and not rest.next_page_token

    walk = lineage.GetLineage(pb.lineage_pb2.GetLineageRequest(dataset_id=mix.id), metadata=registrar)
    assert [(n.dataset.name, n.depth) for n in walk.nodes] == [("sft-mix", 0), ("clean", 1), ("raw-crawl", 2)]
    streamed = list(lineage.StreamLineage(pb.lineage_pb2.GetLineageRequest(dataset_id=mix.id), metadata=registrar))
    assert list(streamed) == list(walk.nodes)
    down = lineage.GetLineage(
        pb.lineage_pb2.GetLineageRequest(dataset_id=raw.id, direction=pb.lineage_pb2.LINEAGE_DIRECTION_DOWNSTREAM),
        metadata=registrar,
    )
    assert [n.dataset.name for n in down.nodes] == ["raw-crawl", "clean", "sft-mix"]

    # The log, read as an operator, verifies end to end with the documented recipe.
    log = events.ListEvents(pb.event_pb2.ListEventsRequest(page_size=1000), metadata=auth(server.operator_token)).events
    previous = "0" * 64
    for position, event in enumerate(log, start=1):
        assert event.sequence == position
        assert event.prev_hash == previous
        assert event.hash == recompute_hash(event)
        previous = event.hash
    assert [e.type for e in log][-3:] == ["dataset.registered"] * 3

    watch = events.WatchEvents(pb.event_pb2.WatchEventsRequest(after_sequence=log[-2].sequence), metadata=registrar)
    assert next(watch).sequence == log[-1].sequence
    watch.cancel()


def test_refusals_carry_the_documented_codes(server, pb):
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    with pytest.raises(grpc.RpcError) as missing:
        datasets.ListDatasets(pb.dataset_pb2.ListDatasetsRequest())
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED

    with pytest.raises(grpc.RpcError) as bad:
        datasets.RegisterDataset(
            pb.dataset_pb2.RegisterDatasetRequest(name="x", version="1", content_digest="sha256:nothex"),
            metadata=auth(server.admin_token),
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "content_digest" in bad.value.details()

    with pytest.raises(grpc.RpcError) as conflict:
        for content in ("one", "two"):
            datasets.RegisterDataset(
                pb.dataset_pb2.RegisterDatasetRequest(name="x", version="1", content_digest=digest(content)),
                metadata=auth(server.admin_token),
            )
    assert conflict.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_policies_evaluation_and_attestations_from_generated_stubs(server, pb):
    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    policies = pb.policy_pb2_grpc.PolicyServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    admin = auth(server.admin_token)
    kind = pb.dataset_pb2

    listed = policies.ListPolicies(pb.policy_pb2.ListPoliciesRequest(), metadata=admin).policies
    policy = next(p for p in listed if p.id == "deepseek-r1-anti-distillation")
    assert hashlib.sha256(policy.clause.encode()).hexdigest() == policy.clause_sha256

    def register(name, sources):
        request = pb.dataset_pb2.RegisterDatasetRequest(name=name, version="1", content_digest=digest(name), sources=sources)
        return datasets.RegisterDataset(request, metadata=admin).dataset

    def evaluate(dataset, target=""):
        request = pb.policy_pb2.EvaluateDatasetRequest(dataset_id=dataset.id, policy_id=policy.id, target_model=target)
        return policies.EvaluateDataset(request, metadata=admin)

    traces = register("traces", [pb.dataset_pb2.Source(kind=kind.SOURCE_KIND_MODEL_GENERATED, model=pb.dataset_pb2.ModelRef(model_id="deepseek-r1:671b"))])
    child = register("child", [pb.dataset_pb2.Source(kind=kind.SOURCE_KIND_DATASET, dataset_id=traces.id)])
    grandchild = register("grandchild", [pb.dataset_pb2.Source(kind=kind.SOURCE_KIND_DATASET, dataset_id=child.id)])

    contaminated = evaluate(grandchild)
    assert contaminated.verdict == pb.policy_pb2.VERDICT_CONTAMINATED
    assert [step.name for step in contaminated.offenders[0].path] == ["grandchild", "child", "traces"]
    assert evaluate(grandchild, "DeepSeek-R1-Distill-Qwen-7B").verdict == pb.policy_pb2.VERDICT_EXEMPT

    evidence = [pb.attestation_pb2.Evidence(uri="https://evidence.example/review", content_digest=digest("review"))]

    def attest(dataset):
        request = pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=dataset.id, policy_id=policy.id, method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
            evidence=evidence, statement="reviewed")
        return attestations.RecordAttestation(request, metadata=admin)

    with pytest.raises(grpc.RpcError) as refused:
        attest(grandchild)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "1 offender(s) in all" in refused.value.details()
    # The offending path travels in the google.rpc.PreconditionFailure detail, whose subject holds
    # the ids as text.
    details = dict(refused.value.trailing_metadata())["grpc-status-details-bin"]
    assert b"RESTRICTED_MODEL_OUTPUT" in details and traces.id.encode() in details

    clean = register("clean", [pb.dataset_pb2.Source(kind=kind.SOURCE_KIND_HUMAN_AUTHORED)])
    assert evaluate(clean).verdict == pb.policy_pb2.VERDICT_INCOMPLETE
    recorded = attest(clean)
    assert recorded.valid
    assert evaluate(clean).verdict == pb.policy_pb2.VERDICT_CLEAN


def test_signing_keys_over_grpc_and_plain_http_without_a_token(server, pb):
    import base64
    import urllib.request

    keys = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    answer = keys.ListSigningKeys(pb.certificate_pb2.ListSigningKeysRequest())
    assert [k.status for k in answer.keys] == [pb.certificate_pb2.SIGNING_KEY_STATUS_ACTIVE]
    key = answer.keys[0]
    thumbprint = base64.urlsafe_b64encode(
        hashlib.sha256(canonical({"crv": "Ed25519", "kty": "OKP", "x": key.x}).encode()).digest()
    ).rstrip(b"=").decode()
    assert key.kid == thumbprint

    with urllib.request.urlopen(f"http://{server.address}/.well-known/jwks.json", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/jwk-set+json"
        served = json.load(response)
    assert served == json.loads(answer.jwks_json)
    assert served["keys"][0]["kid"] == key.kid


def test_a_certificate_verifies_offline_with_pyjwt_and_the_published_jwks(server, pb):
    import urllib.request

    import jwt

    datasets = pb.dataset_pb2_grpc.DatasetServiceStub(server.channel)
    attestations = pb.attestation_pb2_grpc.AttestationServiceStub(server.channel)
    certificates = pb.certificate_pb2_grpc.CertificateServiceStub(server.channel)
    admin = auth(server.admin_token)
    request = pb.dataset_pb2.RegisterDatasetRequest(name="corpus", version="1", content_digest=digest("corpus"))
    dataset = datasets.RegisterDataset(request, metadata=admin).dataset
    attestations.RecordAttestation(
        pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=dataset.id, policy_id="deepseek-r1-anti-distillation",
            method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW, statement="reviewed",
            evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))]),
        metadata=admin)
    issued = certificates.IssueCertificate(
        pb.certificate_pb2.IssueCertificateRequest(
            dataset_id=dataset.id, policy_id="deepseek-r1-anti-distillation", audience_organization_id=server.org_id),
        metadata=admin)

    # Offline: only the JWKS fetched once over plain HTTP and a standard JWT library.
    with urllib.request.urlopen(f"http://{server.address}/.well-known/jwks.json", timeout=10) as response:
        jwks = json.load(response)
    header = jwt.get_unverified_header(issued.token)
    assert header["typ"] == "lineage-cert+jwt" and header["alg"] == "EdDSA"
    # Certificate signing keys only: the JWKS also carries the transparency log's key.
    key = jwt.PyJWK({k["kid"]: k for k in jwks["keys"] if k.get("use") == "sig"}[header["kid"]])
    claims = jwt.decode(issued.token, key=key, algorithms=["EdDSA"], audience=server.org_id, issuer="provenance-registry")
    assert claims["jti"] == issued.id
    assert claims["dataset"]["content_digest"] == dataset.content_digest
    assert claims["verdict"] == "CLEAN"

    # A tampered token fails the same library.
    header_part, payload_part, signature = issued.token.split(".")
    tampered = f"{header_part}.{payload_part[:-4]}AAAA.{signature}"
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(tampered, key=key, algorithms=["EdDSA"], audience=server.org_id)

    # And the registry's own verification agrees, without an access token.
    answer = certificates.VerifyCertificate(pb.certificate_pb2.VerifyCertificateRequest(token=issued.token))
    assert answer.valid and answer.status == pb.certificate_pb2.CERTIFICATE_STATUS_VALID
