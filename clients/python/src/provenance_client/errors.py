"""Errors of the registry client: one exception class per gRPC status code the registry uses.

Every failed call raises a subclass of :class:`RegistryError` carrying the gRPC code, the server's
message (which names the field and the reason) and, when the server sent them, the structured
details: the ``google.rpc.BadRequest`` field violations of ``INVALID_ARGUMENT`` and the
``google.rpc.PreconditionFailure`` violations of ``FAILED_PRECONDITION``.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

__all__ = [
    "RegistryError",
    "Cancelled",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "Unauthenticated",
    "FieldViolation",
    "PreconditionViolation",
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

_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_PRECONDITION_FAILURE = "type.googleapis.com/google.rpc.PreconditionFailure"


def error_from_rpc(error: grpc.RpcError) -> RegistryError:
    """The :class:`RegistryError` subclass for a failed gRPC call, with the server's details."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = (error.details() if hasattr(error, "details") else None) or str(error)
    fields: list[FieldViolation] = []
    preconditions: list[PreconditionViolation] = []
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            try:
                fields, preconditions = _status_details(value)
            except ValueError:
                pass  # malformed details: the message still says what went wrong
    cls = _BY_CODE.get(code, RegistryError)
    return cls(
        message,
        code=code,
        field_violations=tuple(fields),
        precondition_violations=tuple(preconditions),
    )


# The details come as a serialized google.rpc.Status. Its few messages are decoded here by hand
# (wire format: varint keys, length-delimited strings and messages) rather than by depending on
# googleapis-common-protos for three message types.


def _status_details(data: bytes) -> tuple[list[FieldViolation], list[PreconditionViolation]]:
    fields: list[FieldViolation] = []
    preconditions: list[PreconditionViolation] = []
    for number, value in _fields(data):
        if number != 3 or not isinstance(value, bytes):  # google.rpc.Status.details (Any)
            continue
        any_fields = dict(_fields(value))
        type_url = any_fields.get(1, b"")
        payload = any_fields.get(2, b"")
        if not isinstance(type_url, bytes) or not isinstance(payload, bytes):
            continue
        if type_url.decode() == _BAD_REQUEST:
            for n, violation in _fields(payload):
                if n == 1 and isinstance(violation, bytes):
                    v = _strings(violation)
                    fields.append(FieldViolation(field=v.get(1, ""), description=v.get(2, "")))
        elif type_url.decode() == _PRECONDITION_FAILURE:
            for n, violation in _fields(payload):
                if n == 1 and isinstance(violation, bytes):
                    v = _strings(violation)
                    preconditions.append(
                        PreconditionViolation(type=v.get(1, ""), subject=v.get(2, ""), description=v.get(3, ""))
                    )
    return fields, preconditions


def _strings(data: bytes) -> dict[int, str]:
    return {n: v.decode("utf-8", "replace") for n, v in _fields(data) if isinstance(v, bytes)}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out
