# Rewritten by clients/python/scripts/generate_stubs.py: package-relative imports. DO NOT EDIT.
import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import policy_pb2 as _policy_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SigningKeyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNING_KEY_STATUS_UNSPECIFIED: _ClassVar[SigningKeyStatus]
    SIGNING_KEY_STATUS_ACTIVE: _ClassVar[SigningKeyStatus]
    SIGNING_KEY_STATUS_RETIRED: _ClassVar[SigningKeyStatus]

class CertificateStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CERTIFICATE_STATUS_UNSPECIFIED: _ClassVar[CertificateStatus]
    CERTIFICATE_STATUS_VALID: _ClassVar[CertificateStatus]
    CERTIFICATE_STATUS_REVOKED: _ClassVar[CertificateStatus]
    CERTIFICATE_STATUS_EXPIRED: _ClassVar[CertificateStatus]

class PublicLineageStanding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUBLIC_LINEAGE_STANDING_UNSPECIFIED: _ClassVar[PublicLineageStanding]
    PUBLIC_LINEAGE_STANDING_ATTESTED: _ClassVar[PublicLineageStanding]
    PUBLIC_LINEAGE_STANDING_UNATTESTED: _ClassVar[PublicLineageStanding]
    PUBLIC_LINEAGE_STANDING_MADE_FROM_CONTAMINATED: _ClassVar[PublicLineageStanding]
    PUBLIC_LINEAGE_STANDING_CONTAMINATED: _ClassVar[PublicLineageStanding]

class RevocationCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVOCATION_CAUSE_UNSPECIFIED: _ClassVar[RevocationCause]
    REVOCATION_CAUSE_CERTIFICATE_REVOKED: _ClassVar[RevocationCause]
    REVOCATION_CAUSE_ATTESTATION_REVOKED: _ClassVar[RevocationCause]
    REVOCATION_CAUSE_CONTAMINATION_REPORTED: _ClassVar[RevocationCause]
SIGNING_KEY_STATUS_UNSPECIFIED: SigningKeyStatus
SIGNING_KEY_STATUS_ACTIVE: SigningKeyStatus
SIGNING_KEY_STATUS_RETIRED: SigningKeyStatus
CERTIFICATE_STATUS_UNSPECIFIED: CertificateStatus
CERTIFICATE_STATUS_VALID: CertificateStatus
CERTIFICATE_STATUS_REVOKED: CertificateStatus
CERTIFICATE_STATUS_EXPIRED: CertificateStatus
PUBLIC_LINEAGE_STANDING_UNSPECIFIED: PublicLineageStanding
PUBLIC_LINEAGE_STANDING_ATTESTED: PublicLineageStanding
PUBLIC_LINEAGE_STANDING_UNATTESTED: PublicLineageStanding
PUBLIC_LINEAGE_STANDING_MADE_FROM_CONTAMINATED: PublicLineageStanding
PUBLIC_LINEAGE_STANDING_CONTAMINATED: PublicLineageStanding
REVOCATION_CAUSE_UNSPECIFIED: RevocationCause
REVOCATION_CAUSE_CERTIFICATE_REVOKED: RevocationCause
REVOCATION_CAUSE_ATTESTATION_REVOKED: RevocationCause
REVOCATION_CAUSE_CONTAMINATION_REPORTED: RevocationCause

class SigningKey(_message.Message):
    __slots__ = ("kid", "kty", "crv", "x", "use", "alg", "status", "valid_from", "valid_until")
    KID_FIELD_NUMBER: _ClassVar[int]
    KTY_FIELD_NUMBER: _ClassVar[int]
    CRV_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    USE_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    kid: str
    kty: str
    crv: str
    x: str
    use: str
    alg: str
    status: SigningKeyStatus
    valid_from: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    def __init__(self, kid: _Optional[str] = ..., kty: _Optional[str] = ..., crv: _Optional[str] = ..., x: _Optional[str] = ..., use: _Optional[str] = ..., alg: _Optional[str] = ..., status: _Optional[_Union[SigningKeyStatus, str]] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSigningKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSigningKeysResponse(_message.Message):
    __slots__ = ("keys", "jwks_json")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    JWKS_JSON_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SigningKey]
    jwks_json: str
    def __init__(self, keys: _Optional[_Iterable[_Union[SigningKey, _Mapping]]] = ..., jwks_json: _Optional[str] = ...) -> None: ...

class Certificate(_message.Message):
    __slots__ = ("id", "dataset_id", "organization_id", "audience_organization_id", "policy_id", "policy_version", "verdict", "target_model", "contract_reference", "lineage_digest", "closure_size", "kid", "token", "issue_time", "not_before", "expire_time", "status", "revoke_time", "revoke_reason", "revoke_cause", "status_history", "log_index", "dsse_envelope")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_SIZE_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKE_CAUSE_FIELD_NUMBER: _ClassVar[int]
    STATUS_HISTORY_FIELD_NUMBER: _ClassVar[int]
    LOG_INDEX_FIELD_NUMBER: _ClassVar[int]
    DSSE_ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_id: str
    organization_id: str
    audience_organization_id: str
    policy_id: str
    policy_version: str
    verdict: _policy_pb2.Verdict
    target_model: str
    contract_reference: str
    lineage_digest: str
    closure_size: int
    kid: str
    token: str
    issue_time: _timestamp_pb2.Timestamp
    not_before: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    status: CertificateStatus
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    revoke_cause: str
    status_history: _containers.RepeatedCompositeFieldContainer[CertificateStatusChange]
    log_index: int
    dsse_envelope: str
    def __init__(self, id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., audience_organization_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., verdict: _Optional[_Union[_policy_pb2.Verdict, str]] = ..., target_model: _Optional[str] = ..., contract_reference: _Optional[str] = ..., lineage_digest: _Optional[str] = ..., closure_size: _Optional[int] = ..., kid: _Optional[str] = ..., token: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[CertificateStatus, str]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., revoke_cause: _Optional[str] = ..., status_history: _Optional[_Iterable[_Union[CertificateStatusChange, _Mapping]]] = ..., log_index: _Optional[int] = ..., dsse_envelope: _Optional[str] = ...) -> None: ...

class CertificateStatusChange(_message.Message):
    __slots__ = ("status", "time", "reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    status: CertificateStatus
    time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, status: _Optional[_Union[CertificateStatus, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class IssueCertificateRequest(_message.Message):
    __slots__ = ("dataset_id", "policy_id", "policy_version", "audience_organization_id", "contract_reference", "target_model", "validity")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    policy_id: str
    policy_version: str
    audience_organization_id: str
    contract_reference: str
    target_model: str
    validity: _duration_pb2.Duration
    def __init__(self, dataset_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., audience_organization_id: _Optional[str] = ..., contract_reference: _Optional[str] = ..., target_model: _Optional[str] = ..., validity: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetCertificateRequest(_message.Message):
    __slots__ = ("id", "as_of")
    ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    id: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VerifyCertificateRequest(_message.Message):
    __slots__ = ("token", "audience_organization_id", "as_of", "include_public_lineage")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PUBLIC_LINEAGE_FIELD_NUMBER: _ClassVar[int]
    token: str
    audience_organization_id: str
    as_of: _timestamp_pb2.Timestamp
    include_public_lineage: bool
    def __init__(self, token: _Optional[str] = ..., audience_organization_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., include_public_lineage: _Optional[bool] = ...) -> None: ...

class PublicLineageNode(_message.Message):
    __slots__ = ("key", "dataset_id", "name", "version", "hidden_count", "standing", "contamination_reason")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    CONTAMINATION_REASON_FIELD_NUMBER: _ClassVar[int]
    key: str
    dataset_id: str
    name: str
    version: str
    hidden_count: int
    standing: PublicLineageStanding
    contamination_reason: str
    def __init__(self, key: _Optional[str] = ..., dataset_id: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., hidden_count: _Optional[int] = ..., standing: _Optional[_Union[PublicLineageStanding, str]] = ..., contamination_reason: _Optional[str] = ...) -> None: ...

class PublicLineageEdge(_message.Message):
    __slots__ = ("from_key", "to_key")
    FROM_KEY_FIELD_NUMBER: _ClassVar[int]
    TO_KEY_FIELD_NUMBER: _ClassVar[int]
    from_key: str
    to_key: str
    def __init__(self, from_key: _Optional[str] = ..., to_key: _Optional[str] = ...) -> None: ...

class PublicLineage(_message.Message):
    __slots__ = ("root", "nodes", "edges")
    ROOT_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    root: str
    nodes: _containers.RepeatedCompositeFieldContainer[PublicLineageNode]
    edges: _containers.RepeatedCompositeFieldContainer[PublicLineageEdge]
    def __init__(self, root: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[PublicLineageNode, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[PublicLineageEdge, _Mapping]]] = ...) -> None: ...

class VerificationCheck(_message.Message):
    __slots__ = ("name", "passed", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    passed: bool
    detail: str
    def __init__(self, name: _Optional[str] = ..., passed: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class VerifyCertificateResponse(_message.Message):
    __slots__ = ("valid", "status", "checks", "claims_json", "certificate_id", "revoke_time", "revoke_reason", "revoke_cause", "revoke_cause_kind", "revoke_cause_id", "status_history", "public_lineage")
    VALID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_JSON_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKE_CAUSE_FIELD_NUMBER: _ClassVar[int]
    REVOKE_CAUSE_KIND_FIELD_NUMBER: _ClassVar[int]
    REVOKE_CAUSE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_HISTORY_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_LINEAGE_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    status: CertificateStatus
    checks: _containers.RepeatedCompositeFieldContainer[VerificationCheck]
    claims_json: str
    certificate_id: str
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    revoke_cause: str
    revoke_cause_kind: RevocationCause
    revoke_cause_id: str
    status_history: _containers.RepeatedCompositeFieldContainer[CertificateStatusChange]
    public_lineage: PublicLineage
    def __init__(self, valid: _Optional[bool] = ..., status: _Optional[_Union[CertificateStatus, str]] = ..., checks: _Optional[_Iterable[_Union[VerificationCheck, _Mapping]]] = ..., claims_json: _Optional[str] = ..., certificate_id: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., revoke_cause: _Optional[str] = ..., revoke_cause_kind: _Optional[_Union[RevocationCause, str]] = ..., revoke_cause_id: _Optional[str] = ..., status_history: _Optional[_Iterable[_Union[CertificateStatusChange, _Mapping]]] = ..., public_lineage: _Optional[_Union[PublicLineage, _Mapping]] = ...) -> None: ...

class RevokeCertificateRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
