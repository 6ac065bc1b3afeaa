# Rewritten by clients/python/scripts/generate_stubs.py: package-relative imports. DO NOT EDIT.
import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SourceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_KIND_UNSPECIFIED: _ClassVar[SourceKind]
    SOURCE_KIND_DATASET: _ClassVar[SourceKind]
    SOURCE_KIND_EXTERNAL_DATASET: _ClassVar[SourceKind]
    SOURCE_KIND_WEB_CRAWL: _ClassVar[SourceKind]
    SOURCE_KIND_LICENSED_CORPUS: _ClassVar[SourceKind]
    SOURCE_KIND_HUMAN_AUTHORED: _ClassVar[SourceKind]
    SOURCE_KIND_MODEL_GENERATED: _ClassVar[SourceKind]
SOURCE_KIND_UNSPECIFIED: SourceKind
SOURCE_KIND_DATASET: SourceKind
SOURCE_KIND_EXTERNAL_DATASET: SourceKind
SOURCE_KIND_WEB_CRAWL: SourceKind
SOURCE_KIND_LICENSED_CORPUS: SourceKind
SOURCE_KIND_HUMAN_AUTHORED: SourceKind
SOURCE_KIND_MODEL_GENERATED: SourceKind

class ContaminationReport(_message.Message):
    __slots__ = ("id", "dataset_id", "reporter_organization_id", "reporter_subject", "effective", "statement", "evidence", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REPORTER_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_id: str
    reporter_organization_id: str
    reporter_subject: str
    effective: bool
    statement: str
    evidence: _containers.RepeatedCompositeFieldContainer[ContaminationEvidence]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., reporter_organization_id: _Optional[str] = ..., reporter_subject: _Optional[str] = ..., effective: _Optional[bool] = ..., statement: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[ContaminationEvidence, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContaminationEvidence(_message.Message):
    __slots__ = ("uri", "content_digest")
    URI_FIELD_NUMBER: _ClassVar[int]
    CONTENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    uri: str
    content_digest: str
    def __init__(self, uri: _Optional[str] = ..., content_digest: _Optional[str] = ...) -> None: ...

class ReportContaminationRequest(_message.Message):
    __slots__ = ("dataset_id", "statement", "evidence")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    statement: str
    evidence: _containers.RepeatedCompositeFieldContainer[ContaminationEvidence]
    def __init__(self, dataset_id: _Optional[str] = ..., statement: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[ContaminationEvidence, _Mapping]]] = ...) -> None: ...

class ModelRef(_message.Message):
    __slots__ = ("model_id", "version", "provider")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    version: str
    provider: str
    def __init__(self, model_id: _Optional[str] = ..., version: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ("kind", "dataset_id", "model", "uri", "license", "collect_time", "content_digest", "description", "parent_hidden", "batch_ref", "license_unparsed")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    COLLECT_TIME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    BATCH_REF_FIELD_NUMBER: _ClassVar[int]
    LICENSE_UNPARSED_FIELD_NUMBER: _ClassVar[int]
    kind: SourceKind
    dataset_id: str
    model: ModelRef
    uri: str
    license: str
    collect_time: _timestamp_pb2.Timestamp
    content_digest: str
    description: str
    parent_hidden: bool
    batch_ref: str
    license_unparsed: bool
    def __init__(self, kind: _Optional[_Union[SourceKind, str]] = ..., dataset_id: _Optional[str] = ..., model: _Optional[_Union[ModelRef, _Mapping]] = ..., uri: _Optional[str] = ..., license: _Optional[str] = ..., collect_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., content_digest: _Optional[str] = ..., description: _Optional[str] = ..., parent_hidden: _Optional[bool] = ..., batch_ref: _Optional[str] = ..., license_unparsed: _Optional[bool] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ("id", "organization_id", "name", "version", "content_digest", "size_bytes", "description", "license", "visibility", "sources", "create_time", "contaminated", "contamination_reports", "creator_token_id", "creator_subject", "warnings", "license_unparsed")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONTAMINATED_FIELD_NUMBER: _ClassVar[int]
    CONTAMINATION_REPORTS_FIELD_NUMBER: _ClassVar[int]
    CREATOR_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATOR_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    LICENSE_UNPARSED_FIELD_NUMBER: _ClassVar[int]
    id: str
    organization_id: str
    name: str
    version: str
    content_digest: str
    size_bytes: int
    description: str
    license: str
    visibility: _common_pb2.Visibility
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    create_time: _timestamp_pb2.Timestamp
    contaminated: bool
    contamination_reports: _containers.RepeatedCompositeFieldContainer[ContaminationReport]
    creator_token_id: str
    creator_subject: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    license_unparsed: bool
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., content_digest: _Optional[str] = ..., size_bytes: _Optional[int] = ..., description: _Optional[str] = ..., license: _Optional[str] = ..., visibility: _Optional[_Union[_common_pb2.Visibility, str]] = ..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contaminated: _Optional[bool] = ..., contamination_reports: _Optional[_Iterable[_Union[ContaminationReport, _Mapping]]] = ..., creator_token_id: _Optional[str] = ..., creator_subject: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., license_unparsed: _Optional[bool] = ...) -> None: ...

class RegisterDatasetRequest(_message.Message):
    __slots__ = ("name", "version", "content_digest", "size_bytes", "description", "license", "visibility", "sources")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    content_digest: str
    size_bytes: int
    description: str
    license: str
    visibility: _common_pb2.Visibility
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., content_digest: _Optional[str] = ..., size_bytes: _Optional[int] = ..., description: _Optional[str] = ..., license: _Optional[str] = ..., visibility: _Optional[_Union[_common_pb2.Visibility, str]] = ..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ...) -> None: ...

class RegisterDatasetResponse(_message.Message):
    __slots__ = ("dataset", "already_existed")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    ALREADY_EXISTED_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    already_existed: bool
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ..., already_existed: _Optional[bool] = ...) -> None: ...

class RegisterDatasetsRequest(_message.Message):
    __slots__ = ("registrations",)
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    registrations: _containers.RepeatedCompositeFieldContainer[BatchRegistration]
    def __init__(self, registrations: _Optional[_Iterable[_Union[BatchRegistration, _Mapping]]] = ...) -> None: ...

class BatchRegistration(_message.Message):
    __slots__ = ("ref", "dataset")
    REF_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    ref: str
    dataset: RegisterDatasetRequest
    def __init__(self, ref: _Optional[str] = ..., dataset: _Optional[_Union[RegisterDatasetRequest, _Mapping]] = ...) -> None: ...

class RegisterDatasetsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RegisterDatasetResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[RegisterDatasetResponse, _Mapping]]] = ...) -> None: ...

class GetDatasetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "name", "organization_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    name: str
    organization_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name: _Optional[str] = ..., organization_id: _Optional[str] = ...) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ("datasets", "next_page_token")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    next_page_token: str
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
