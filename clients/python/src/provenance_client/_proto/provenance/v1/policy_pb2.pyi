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

class PolicyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLICY_KIND_UNSPECIFIED: _ClassVar[PolicyKind]
    POLICY_KIND_PROHIBITION: _ClassVar[PolicyKind]
    POLICY_KIND_NAMING_OBLIGATION: _ClassVar[PolicyKind]
    POLICY_KIND_INHERITED_TERMS: _ClassVar[PolicyKind]
    POLICY_KIND_COMPETING_USE_PROHIBITION: _ClassVar[PolicyKind]

class Purpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PURPOSE_UNSPECIFIED: _ClassVar[Purpose]
    PURPOSE_COMPETING_MODEL: _ClassVar[Purpose]
    PURPOSE_NON_COMPETING: _ClassVar[Purpose]

class ObligationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBLIGATION_KIND_UNSPECIFIED: _ClassVar[ObligationKind]
    OBLIGATION_KIND_NAME_PREFIX: _ClassVar[ObligationKind]
    OBLIGATION_KIND_INHERITED_TERMS: _ClassVar[ObligationKind]
    OBLIGATION_KIND_NO_COMPETING_USE: _ClassVar[ObligationKind]

class ObligationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBLIGATION_STATUS_UNSPECIFIED: _ClassVar[ObligationStatus]
    OBLIGATION_STATUS_MET: _ClassVar[ObligationStatus]
    OBLIGATION_STATUS_UNMET: _ClassVar[ObligationStatus]
    OBLIGATION_STATUS_UNDETERMINED: _ClassVar[ObligationStatus]
    OBLIGATION_STATUS_APPLIES: _ClassVar[ObligationStatus]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_CLEAN: _ClassVar[Verdict]
    VERDICT_CONTAMINATED: _ClassVar[Verdict]
    VERDICT_INCOMPLETE: _ClassVar[Verdict]
    VERDICT_EXEMPT: _ClassVar[Verdict]

class OffenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFENCE_KIND_UNSPECIFIED: _ClassVar[OffenceKind]
    OFFENCE_KIND_RESTRICTED_MODEL_OUTPUT: _ClassVar[OffenceKind]
    OFFENCE_KIND_REPORTED_CONTAMINATED: _ClassVar[OffenceKind]
POLICY_KIND_UNSPECIFIED: PolicyKind
POLICY_KIND_PROHIBITION: PolicyKind
POLICY_KIND_NAMING_OBLIGATION: PolicyKind
POLICY_KIND_INHERITED_TERMS: PolicyKind
POLICY_KIND_COMPETING_USE_PROHIBITION: PolicyKind
PURPOSE_UNSPECIFIED: Purpose
PURPOSE_COMPETING_MODEL: Purpose
PURPOSE_NON_COMPETING: Purpose
OBLIGATION_KIND_UNSPECIFIED: ObligationKind
OBLIGATION_KIND_NAME_PREFIX: ObligationKind
OBLIGATION_KIND_INHERITED_TERMS: ObligationKind
OBLIGATION_KIND_NO_COMPETING_USE: ObligationKind
OBLIGATION_STATUS_UNSPECIFIED: ObligationStatus
OBLIGATION_STATUS_MET: ObligationStatus
OBLIGATION_STATUS_UNMET: ObligationStatus
OBLIGATION_STATUS_UNDETERMINED: ObligationStatus
OBLIGATION_STATUS_APPLIES: ObligationStatus
VERDICT_UNSPECIFIED: Verdict
VERDICT_CLEAN: Verdict
VERDICT_CONTAMINATED: Verdict
VERDICT_INCOMPLETE: Verdict
VERDICT_EXEMPT: Verdict
OFFENCE_KIND_UNSPECIFIED: OffenceKind
OFFENCE_KIND_RESTRICTED_MODEL_OUTPUT: OffenceKind
OFFENCE_KIND_REPORTED_CONTAMINATED: OffenceKind

class PolicySource(_message.Message):
    __slots__ = ("publisher", "record_id", "document", "document_updated", "url", "snapshot_sha256", "note", "document_version")
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_UPDATED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_SHA256_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    publisher: str
    record_id: str
    document: str
    document_updated: str
    url: str
    snapshot_sha256: str
    note: str
    document_version: str
    def __init__(self, publisher: _Optional[str] = ..., record_id: _Optional[str] = ..., document: _Optional[str] = ..., document_updated: _Optional[str] = ..., url: _Optional[str] = ..., snapshot_sha256: _Optional[str] = ..., note: _Optional[str] = ..., document_version: _Optional[str] = ...) -> None: ...

class ModelAlias(_message.Message):
    __slots__ = ("name", "derivative", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    derivative: bool
    note: str
    def __init__(self, name: _Optional[str] = ..., derivative: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class ModelPattern(_message.Message):
    __slots__ = ("pattern", "derivative", "note")
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    derivative: bool
    note: str
    def __init__(self, pattern: _Optional[str] = ..., derivative: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class ModelFamily(_message.Message):
    __slots__ = ("canonical_ids", "aliases", "patterns")
    CANONICAL_IDS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    PATTERNS_FIELD_NUMBER: _ClassVar[int]
    canonical_ids: _containers.RepeatedScalarFieldContainer[str]
    aliases: _containers.RepeatedCompositeFieldContainer[ModelAlias]
    patterns: _containers.RepeatedCompositeFieldContainer[ModelPattern]
    def __init__(self, canonical_ids: _Optional[_Iterable[str]] = ..., aliases: _Optional[_Iterable[_Union[ModelAlias, _Mapping]]] = ..., patterns: _Optional[_Iterable[_Union[ModelPattern, _Mapping]]] = ...) -> None: ...

class Exemption(_message.Message):
    __slots__ = ("description", "restricted_family")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RESTRICTED_FAMILY_FIELD_NUMBER: _ClassVar[int]
    description: str
    restricted_family: bool
    def __init__(self, description: _Optional[str] = ..., restricted_family: _Optional[bool] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("id", "version", "title", "clause", "clause_sha256", "source", "restricted", "derivative_outputs_restricted", "exempt", "builtin", "kind", "section", "name_prefix")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RESTRICTED_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_OUTPUTS_RESTRICTED_FIELD_NUMBER: _ClassVar[int]
    EXEMPT_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    title: str
    clause: str
    clause_sha256: str
    source: PolicySource
    restricted: ModelFamily
    derivative_outputs_restricted: bool
    exempt: Exemption
    builtin: bool
    kind: PolicyKind
    section: str
    name_prefix: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ..., title: _Optional[str] = ..., clause: _Optional[str] = ..., clause_sha256: _Optional[str] = ..., source: _Optional[_Union[PolicySource, _Mapping]] = ..., restricted: _Optional[_Union[ModelFamily, _Mapping]] = ..., derivative_outputs_restricted: _Optional[bool] = ..., exempt: _Optional[_Union[Exemption, _Mapping]] = ..., builtin: _Optional[bool] = ..., kind: _Optional[_Union[PolicyKind, str]] = ..., section: _Optional[str] = ..., name_prefix: _Optional[str] = ...) -> None: ...

class ListPoliciesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPoliciesResponse(_message.Message):
    __slots__ = ("policies",)
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[Policy]
    def __init__(self, policies: _Optional[_Iterable[_Union[Policy, _Mapping]]] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("id", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class EvaluateDatasetRequest(_message.Message):
    __slots__ = ("dataset_id", "policy_id", "policy_version", "target_model", "declared_purpose")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    DECLARED_PURPOSE_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    policy_id: str
    policy_version: str
    target_model: str
    declared_purpose: Purpose
    def __init__(self, dataset_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., target_model: _Optional[str] = ..., declared_purpose: _Optional[_Union[Purpose, str]] = ...) -> None: ...

class Obligation(_message.Message):
    __slots__ = ("kind", "status", "description", "name_prefix", "sources", "source_count")
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    kind: ObligationKind
    status: ObligationStatus
    description: str
    name_prefix: str
    sources: _containers.RepeatedCompositeFieldContainer[Offender]
    source_count: int
    def __init__(self, kind: _Optional[_Union[ObligationKind, str]] = ..., status: _Optional[_Union[ObligationStatus, str]] = ..., description: _Optional[str] = ..., name_prefix: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[Offender, _Mapping]]] = ..., source_count: _Optional[int] = ...) -> None: ...

class PathStep(_message.Message):
    __slots__ = ("dataset_id", "name", "version", "hidden")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    name: str
    version: str
    hidden: bool
    def __init__(self, dataset_id: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., hidden: _Optional[bool] = ...) -> None: ...

class Offender(_message.Message):
    __slots__ = ("kind", "path", "path_length", "model_id", "source_index", "match_rule", "matched", "derivative", "report_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    PATH_LENGTH_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    MATCH_RULE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: OffenceKind
    path: _containers.RepeatedCompositeFieldContainer[PathStep]
    path_length: int
    model_id: str
    source_index: int
    match_rule: str
    matched: str
    derivative: bool
    report_id: str
    def __init__(self, kind: _Optional[_Union[OffenceKind, str]] = ..., path: _Optional[_Iterable[_Union[PathStep, _Mapping]]] = ..., path_length: _Optional[int] = ..., model_id: _Optional[str] = ..., source_index: _Optional[int] = ..., match_rule: _Optional[str] = ..., matched: _Optional[str] = ..., derivative: _Optional[bool] = ..., report_id: _Optional[str] = ...) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("verdict", "dataset_id", "policy_id", "policy_version", "clause_sha256", "target_model", "target_exempt", "exemption", "offenders", "offender_count", "missing_attestations", "missing_attestation_count", "attestation_ids", "closure_size", "evaluate_time", "attestation_count", "obligations", "declared_purpose", "policy_kind")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_SHA256_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    TARGET_EXEMPT_FIELD_NUMBER: _ClassVar[int]
    EXEMPTION_FIELD_NUMBER: _ClassVar[int]
    OFFENDERS_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSING_ATTESTATIONS_FIELD_NUMBER: _ClassVar[int]
    MISSING_ATTESTATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_IDS_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_SIZE_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    DECLARED_PURPOSE_FIELD_NUMBER: _ClassVar[int]
    POLICY_KIND_FIELD_NUMBER: _ClassVar[int]
    verdict: Verdict
    dataset_id: str
    policy_id: str
    policy_version: str
    clause_sha256: str
    target_model: str
    target_exempt: bool
    exemption: str
    offenders: _containers.RepeatedCompositeFieldContainer[Offender]
    offender_count: int
    missing_attestations: _containers.RepeatedCompositeFieldContainer[PathStep]
    missing_attestation_count: int
    attestation_ids: _containers.RepeatedScalarFieldContainer[str]
    closure_size: int
    evaluate_time: _timestamp_pb2.Timestamp
    attestation_count: int
    obligations: _containers.RepeatedCompositeFieldContainer[Obligation]
    declared_purpose: Purpose
    policy_kind: PolicyKind
    def __init__(self, verdict: _Optional[_Union[Verdict, str]] = ..., dataset_id: _Optional[str] = ..., policy_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., clause_sha256: _Optional[str] = ..., target_model: _Optional[str] = ..., target_exempt: _Optional[bool] = ..., exemption: _Optional[str] = ..., offenders: _Optional[_Iterable[_Union[Offender, _Mapping]]] = ..., offender_count: _Optional[int] = ..., missing_attestations: _Optional[_Iterable[_Union[PathStep, _Mapping]]] = ..., missing_attestation_count: _Optional[int] = ..., attestation_ids: _Optional[_Iterable[str]] = ..., closure_size: _Optional[int] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attestation_count: _Optional[int] = ..., obligations: _Optional[_Iterable[_Union[Obligation, _Mapping]]] = ..., declared_purpose: _Optional[_Union[Purpose, str]] = ..., policy_kind: _Optional[_Union[PolicyKind, str]] = ...) -> None: ...
