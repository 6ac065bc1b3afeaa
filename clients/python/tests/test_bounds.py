"""Wide and deep contaminated lineages read by a default grpcio client (a plain channel, no
options): every refusal and every answer arrives whole, with its documented status and verdict.

A 40-shard mix's refusal once carried ~30 KB of trailing metadata, which grpcio refuses
("received metadata size exceeds hard limit"), and a 1,000-deep chain's evaluation was 6 MB, over
grpcio's 4 MiB default. The registry now bounds both (README, "Answers that stay small").
"""

from __future__ import annotations

import grpc
import pytest

from conftest import digest, unique
from provenance_client import DEFAULT_POLICY, pb
from provenance_client.errors import error_from_rpc

DISTILLED = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"


@pytest.fixture(scope="module")
def plain(server):
    """Stubs on a channel with grpcio's defaults, and the vendor admin's call metadata."""
    channel = grpc.insecure_channel(server.address)
    metadata = (("authorization", f"Bearer {server.vendor_admin}"),)
    yield (
        pb.dataset_pb2_grpc.DatasetServiceStub(channel),
        pb.policy_pb2_grpc.PolicyServiceStub(channel),
        pb.attestation_pb2_grpc.AttestationServiceStub(channel),
        metadata,
    )
    channel.close()


def _register(datasets, metadata, name, parents=(), models=()):
    sources = [pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_DATASET, dataset_id=p) for p in parents] + [
        pb.dataset_pb2.Source(
            kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED, model=pb.dataset_pb2.ModelRef(model_id=m)
        )
        for m in models
    ]
    request = pb.dataset_pb2.RegisterDatasetRequest(
        name=name, version="1", content_digest=digest(name), sources=sources
    )
    return datasets.RegisterDataset(request, metadata=metadata).dataset.id


def _attest_refusal(attestations, metadata, dataset_id):
    request = pb.attestation_pb2.RecordAttestationRequest(
        dataset_id=dataset_id,
        policy_id=DEFAULT_POLICY,
        method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
        statement="no DeepSeek-R1 output was used",
        evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/review", content_digest=digest("review"))],
    )
    with pytest.raises(grpc.RpcError) as refused:
        attestations.RecordAttestation(request, metadata=metadata)
    error = refused.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, (error.code(), error.details())
    trailers = error.trailing_metadata() or ()
    size = sum(len(key) + (len(value) if isinstance(value, (bytes, str)) else 0) for key, value in trailers)
    assert size < 8 * 1024, f"{size} bytes of trailing metadata"
    assert dict(trailers).get("grpc-status-details-bin"), "the refusal carries its details"
    return error.details(), error_from_rpc(error).precondition_violations


def _evaluate(policies, metadata, dataset_id):
    request = pb.policy_pb2.EvaluateDatasetRequest(dataset_id=dataset_id, policy_id=DEFAULT_POLICY)
    return policies.EvaluateDataset(request, metadata=metadata)


def test_a_forty_shard_mix_and_a_thousand_wide_one_are_refused_and_judged_whole(plain):
    datasets, policies, attestations, metadata = plain
    # Long names, so that a refusal listing every path would be far over every limit.
    shards = [_register(datasets, metadata, unique("shard-" + "x" * 150), models=[DISTILLED]) for _ in range(1000)]
    for width in (40, 1000):
        mix = _register(datasets, metadata, unique(f"mix-{width}"), parents=shards[:width])
        message, violations = _attest_refusal(attestations, metadata, mix)
        assert f"{width} offender(s) in all" in message, message
        assert "EvaluateDataset" in message
        assert 1 <= len(violations) <= 5
        assert all(v.type == "RESTRICTED_MODEL_OUTPUT" for v in violations)
        evaluation = _evaluate(policies, metadata, mix)
        assert evaluation.verdict == pb.policy_pb2.VERDICT_CONTAMINATED
        assert evaluation.offender_count == width
        assert len(evaluation.offenders) == min(width, 100)


def test_a_ten_thousand_deep_chain_over_a_wide_contaminated_root_is_refused_and_judged_whole(plain):
    datasets, policies, attestations, metadata = plain
    root = _register(datasets, metadata, unique("root"), models=[DISTILLED] * 120)
    top = root
    for _ in range(10_000):
        top = _register(datasets, metadata, unique("level"), parents=[top])

    evaluation = _evaluate(policies, metadata, top)
    assert evaluation.verdict == pb.policy_pb2.VERDICT_CONTAMINATED
    assert (evaluation.offender_count, evaluation.closure_size) == (120, 10_001)
    assert len(evaluation.offenders) == 100
    assert {(o.path_length, len(o.path)) for o in evaluation.offenders} == {(10_001, 6)}
    assert evaluation.ByteSize() < 4 * 1024 * 1024

    message, violations = _attest_refusal(attestations, metadata, top)
    assert "120 offender(s) in all" in message, message
    assert "(9999 dataset(s) between)" in violations[0].subject
