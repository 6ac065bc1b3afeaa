"""The generated protobuf and gRPC modules, for calls the typed API does not cover.

    from provenance_client import pb
    request = pb.dataset_pb2.GetDatasetRequest(id=...)
    registry.call(registry.stubs.datasets.GetDataset, request)

The modules are generated from the repository's ``proto/`` by ``scripts/generate_stubs.py`` and
committed under ``provenance_client/_proto/provenance/v1/``.
"""

from ._proto.provenance.v1 import (
    attestation_pb2,
    attestation_pb2_grpc,
    certificate_pb2,
    certificate_pb2_grpc,
    common_pb2,
    dataset_pb2,
    dataset_pb2_grpc,
    event_pb2,
    event_pb2_grpc,
    lineage_pb2,
    lineage_pb2_grpc,
    log_pb2,
    log_pb2_grpc,
    organization_pb2,
    organization_pb2_grpc,
    policy_pb2,
    policy_pb2_grpc,
)

__all__ = [
    "attestation_pb2",
    "attestation_pb2_grpc",
    "certificate_pb2",
    "certificate_pb2_grpc",
    "common_pb2",
    "dataset_pb2",
    "dataset_pb2_grpc",
    "event_pb2",
    "event_pb2_grpc",
    "lineage_pb2",
    "lineage_pb2_grpc",
    "log_pb2",
    "log_pb2_grpc",
    "organization_pb2",
    "organization_pb2_grpc",
    "policy_pb2",
    "policy_pb2_grpc",
]
