"""gRPC status codes become RegistryError subclasses with the server's message and details."""

from __future__ import annotations

import socket
import sys
import uuid

import grpc
import pytest

from conftest import unique
from provenance_client import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Registry,
    RegistryError,
    Unauthenticated,
    Unavailable,
    pb,
)


def test_a_bad_id_is_invalid_argument_naming_the_field(buyer):
    with pytest.raises(InvalidArgument) as bad:
        buyer.certificate("not-a-uuid")
    assert bad.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert bad.value.message.startswith("id:")
    assert bad.value.fields == ["id"]
    assert "UUID" in bad.value.field_violations[0].description
    assert isinstance(bad.value, RegistryError)
    assert str(bad.value).startswith("INVALID_ARGUMENT: id:")

    with pytest.raises(InvalidArgument) as lineage:
        buyer.lineage("42")
    assert lineage.value.fields == ["dataset_id"] and "dataset_id" in lineage.value.message

    with pytest.raises(InvalidArgument) as audience:
        buyer.verify("a.b.c", audience="the buyer")
    assert audience.value.fields == ["audience_organization_id"]

    with pytest.raises(InvalidArgument) as empty:
        buyer.verify("")
    assert empty.value.fields == ["token"]


def test_each_refusal_has_its_class(server, vendor, buyer):
    with pytest.raises(NotFound):
        buyer.certificate(str(uuid.uuid4()))

    with Registry(server.url, token="not-a-token") as stranger:
        with pytest.raises(Unauthenticated):
            stranger.certificate(str(uuid.uuid4()))

    # The buyer's auditor token may read but not revoke.
    _, _, certificate = vendor.certified_dataset("refusals")
    request = pb.certificate_pb2.RevokeCertificateRequest(id=certificate.id, reason="not mine")
    with pytest.raises(PermissionDenied):
        buyer.call(buyer.stubs.certificates.RevokeCertificate, request)

    # An unattested dataset cannot be certified: the message counts what is missing, the details
    # name it.
    dataset = vendor.register(unique("unattested"))
    with pytest.raises(FailedPrecondition) as refused:
        vendor.issue(dataset.id)
    assert "1 dataset(s) without a valid attestation in all" in refused.value.message
    (missing,) = refused.value.precondition_violations
    assert missing.type == "MISSING_ATTESTATION" and dataset.id in missing.subject


def test_an_unreachable_registry_is_unavailable_and_a_missing_token_a_programming_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Registry(f"http://127.0.0.1:{port}", token="t", timeout=5) as nowhere:
        with pytest.raises(Unavailable):
            nowhere.jwks()
    with Registry(f"http://127.0.0.1:{port}") as anonymous:
        with pytest.raises(ValueError, match="access token"):
            anonymous.certificate(str(uuid.uuid4()))
    with pytest.raises(ValueError):
        Registry("127.0.0.1:50051")  # a scheme is required: http:// or https://


def test_the_stubs_are_self_contained():
    import provenance_client  # noqa: F401

    assert "provenance" not in sys.modules  # no top-level package from the generated code
    assert pb.certificate_pb2.Certificate.__module__ == "provenance_client._proto.provenance.v1.certificate_pb2"


def test_every_status_code_has_its_own_class():
    """Typed per status code: each non-OK gRPC code maps to one RegistryError subclass whose `code`
    is that code, carrying the message."""
    import provenance_client
    from provenance_client.errors import _BY_CODE

    codes = [code for code in grpc.StatusCode if code is not grpc.StatusCode.OK]
    assert sorted(_BY_CODE, key=lambda c: c.value[0]) == codes
    for code, cls in _BY_CODE.items():
        assert issubclass(cls, RegistryError) and cls.code is code
        assert getattr(provenance_client, cls.__name__) is cls
        error = cls("field: why", code=code)
        assert str(error) == f"{code.name}: field: why" and error.fields == []
