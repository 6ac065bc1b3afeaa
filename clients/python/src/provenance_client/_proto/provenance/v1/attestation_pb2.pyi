# Rewritten by clients/python/scripts/generate_stubs.py: package-relative imports. DO NOT EDIT.
import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttestationMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTESTATION_METHOD_UNSPECIFIED: _ClassVar[AttestationMethod]
    ATTESTATION_METHOD_MANUAL_REVIEW: _ClassVar[AttestationMethod]
    ATTESTATION_METHOD_AUTOMATED_SCAN: _ClassVar[AttestationMethod]
    ATTESTATION_METHOD_SUPPLIER_DECLARATION: _ClassVar[AttestationMethod]
    ATTESTATION_METHOD_PROCESS_AUDIT: _ClassVar[AttestationMethod]
ATTESTATION_METHOD_UNSPECIFIED: AttestationMethod
ATTESTATION_METHOD_MANUAL_REVIEW: AttestationMethod
ATTESTATION_METHOD_AUTOMATED_SCAN: AttestationMethod
ATTESTATION_METHOD_SUPPLIER_DECLARATION: AttestationMethod
ATTESTATION_METHOD_PROCESS_AUDIT: AttestationMethod

class Evidence(_message.Message):
    __slots__ = ("uri", "content_digest", "description")
    URI_FIELD_NUMBER: _ClassVar[int]
    CONTENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    uri: str
    content_digest: str
    description: str
    def __init__(self, uri: _Optional[str] = ..., content_digest: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class Attestation(_message.Message):
    __slots__ = ("id", "dataset_id", "organization_id", "policy_id", "policy_version", "method", "evidence", "statement", "create_time", "expire_time", "attester_token_id", "attester_subject", "revoke_time", "revoke_reason", "valid")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTESTER_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTESTER_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_id: str
    organization_id: str
    policy_id: str
    policy_version: str
    method: AttestationMethod
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    statement: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    attester_token_id: str
    attester_subject: str
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    valid: bool
    def __init__(self, id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., method: _Optional[_Union[AttestationMethod, str]] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., statement: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attester_token_id: _Optional[str] = ..., attester_subject: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., valid: _Optional[bool] = ...) -> None: ...

class RecordAttestationRequest(_message.Message):
    __slots__ = ("dataset_id", "policy_id", "policy_version", "method", "evidence", "statement", "expire_time")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    policy_id: str
    policy_version: str
    method: AttestationMethod
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    statement: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, dataset_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., method: _Optional[_Union[AttestationMethod, str]] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., statement: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAttestationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListAttestationsRequest(_message.Message):
    __slots__ = ("dataset_id", "page_size", "page_token")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    page_size: int
    page_token: str
    def __init__(self, dataset_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAttestationsResponse(_message.Message):
    __slots__ = ("attestations", "next_page_token")
    ATTESTATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    attestations: _containers.RepeatedCompositeFieldContainer[Attestation]
    next_page_token: str
    def __init__(self, attestations: _Optional[_Iterable[_Union[Attestation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeAttestationRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
