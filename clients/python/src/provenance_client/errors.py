"""Errors of the registry client: one exception class per gRPC status code the registry uses.

Every failed call raises a subclass of :class:`RegistryError` carrying the gRPC code, the server's
message (which names the field and the reason) and, when the server sent them, the structured
details: the ``google.rpc.BadRequest`` field violations of ``INVALID_ARGUMENT`` and the
``google.rpc.PreconditionFailure`` violations of ``FAILED_PRECONDITION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = [
    "AlreadyExists",
    "Cancelled",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "PreconditionViolation",
    "RegistryError",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "error_from_rpc",
]


@dataclass(frozen=True)
class FieldViolation:
    """One entry of a ``google.rpc.BadRequest`` detail: which request field is wrong, and why."""

    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One entry of a ``google.rpc.PreconditionFailure`` detail (e.g. a contaminated path)."""

    type: str
    subject: str
    description: str


class RegistryError(Exception):
    """A call the registry refused or could not answer.

    Attributes:
        code: the gRPC status code.
        message: the server's message, e.g. ``"id: must be a UUID"``.
        field_violations: for ``INVALID_ARGUMENT``, the fields named by the server's
            ``google.rpc.BadRequest`` detail (empty when it sent none).
        precondition_violations: for ``FAILED_PRECONDITION``, the server's
            ``google.rpc.PreconditionFailure`` entries (empty when it sent none).
    """

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
        precondition_violations: tuple[PreconditionViolation, ...] = (),
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field_violations = tuple(field_violations)
        self.precondition_violations = tuple(precondition_violations)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    @property
    def fields(self) -> list[str]:
        """The names of the fields the server rejected (from ``field_violations``)."""
        return [v.field for v in self.field_violations]


class Unknown(RegistryError):
    """``UNKNOWN``: an error the server or the transport did not classify."""

    code = grpc.StatusCode.UNKNOWN


class Aborted(RegistryError):
    """``ABORTED``: the operation was aborted (e.g. a conflicting concurrent change); retrying may help."""

    code = grpc.StatusCode.ABORTED


class DataLoss(RegistryError):
    """``DATA_LOSS``: unrecoverable data loss or corruption."""

    code = grpc.StatusCode.DATA_LOSS


class Cancelled(RegistryError):
    """``CANCELLED``: the call was cancelled."""

    code = grpc.StatusCode.CANCELLED


class InvalidArgument(RegistryError):
    """``INVALID_ARGUMENT``: bad input; the message and ``field_violations`` name the fields."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(RegistryError):
    """``DEADLINE_EXCEEDED``: no answer within the client's timeout."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(RegistryError):
    """``NOT_FOUND``: no such resource, or another organisation's private one (indistinguishable)."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(RegistryError):
    """``ALREADY_EXISTS``: e.g. the same dataset name and version with another digest."""

    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(RegistryError):
    """``PERMISSION_DENIED``: the token is valid but its role may not make this call."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(RegistryError):
    """``RESOURCE_EXHAUSTED``: too many concurrent calls or watchers on the server."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(RegistryError):
    """``FAILED_PRECONDITION``: e.g. a certificate refused because the lineage is not clean."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class OutOfRange(RegistryError):
    """``OUT_OF_RANGE``: e.g. a request larger than the server accepts."""

    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(RegistryError):
    """``UNIMPLEMENTED``: the server does not know the method (an older server?)."""

    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(RegistryError):
    """``INTERNAL``: the server failed; its log has the details."""

    code = grpc.StatusCode.INTERNAL


class Unavailable(RegistryError):
    """``UNAVAILABLE``: the server cannot be reached, or is shutting down. Retrying may help."""

    code = grpc.StatusCode.UNAVAILABLE


class Unauthenticated(RegistryError):
    """``UNAUTHENTICATED``: missing, malformed, expired, revoked or wrongly signed access token."""

    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE: dict[grpc.StatusCode, type[RegistryError]] = {
    cls.code: cls
    for cls in (
        Unknown,
        Aborted,
        DataLoss,
        Cancelled,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        Unauthenticated,
    )
}


def error_from_rpc(error: grpc.RpcError) -> RegistryError:
    """The :class:`RegistryError` subclass for a failed gRPC call, with the server's details
    (``google.rpc.BadRequest`` and ``google.rpc.PreconditionFailure``, read with grpcio-status)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = (error.details() if hasattr(error, "details") else None) or str(error)
    fields: list[FieldViolation] = []
    preconditions: list[PreconditionViolation] = []
    try:
        status = rpc_status.from_call(cast(grpc.Call, error)) if hasattr(error, "trailing_metadata") else None
    except ValueError:
        status = None  # details that contradict the code or message: the message still says what went wrong
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields.extend(
                FieldViolation(field=v.field, description=v.description) for v in bad_request.field_violations
            )
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            preconditions.extend(
                PreconditionViolation(type=v.type, subject=v.subject, description=v.description)
                for v in failure.violations
            )
    cls = _BY_CODE.get(code, RegistryError)
    return cls(
        message,
        code=code,
        field_violations=tuple(fields),
        precondition_violations=tuple(preconditions),
    )
