# Rewritten by clients/python/scripts/generate_stubs.py: package-relative imports. DO NOT EDIT.
from google.api import annotations_pb2 as _annotations_pb2
from . import dataset_pb2 as _dataset_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LineageExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_EXPORT_FORMAT_UNSPECIFIED: _ClassVar[LineageExportFormat]
    LINEAGE_EXPORT_FORMAT_SPDX3: _ClassVar[LineageExportFormat]
    LINEAGE_EXPORT_FORMAT_CYCLONEDX: _ClassVar[LineageExportFormat]
    LINEAGE_EXPORT_FORMAT_PROV: _ClassVar[LineageExportFormat]

class LineageDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_DIRECTION_UNSPECIFIED: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_UPSTREAM: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_DOWNSTREAM: _ClassVar[LineageDirection]
LINEAGE_EXPORT_FORMAT_UNSPECIFIED: LineageExportFormat
LINEAGE_EXPORT_FORMAT_SPDX3: LineageExportFormat
LINEAGE_EXPORT_FORMAT_CYCLONEDX: LineageExportFormat
LINEAGE_EXPORT_FORMAT_PROV: LineageExportFormat
LINEAGE_DIRECTION_UNSPECIFIED: LineageDirection
LINEAGE_DIRECTION_UPSTREAM: LineageDirection
LINEAGE_DIRECTION_DOWNSTREAM: LineageDirection

class ExportLineageRequest(_message.Message):
    __slots__ = ("dataset_id", "direction", "max_depth", "format")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    direction: LineageDirection
    max_depth: int
    format: LineageExportFormat
    def __init__(self, dataset_id: _Optional[str] = ..., direction: _Optional[_Union[LineageDirection, str]] = ..., max_depth: _Optional[int] = ..., format: _Optional[_Union[LineageExportFormat, str]] = ...) -> None: ...

class ExportLineageResponse(_message.Message):
    __slots__ = ("media_type", "content")
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    media_type: str
    content: bytes
    def __init__(self, media_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class GetLineageRequest(_message.Message):
    __slots__ = ("dataset_id", "direction", "max_depth", "page_size", "page_token")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    direction: LineageDirection
    max_depth: int
    page_size: int
    page_token: str
    def __init__(self, dataset_id: _Optional[str] = ..., direction: _Optional[_Union[LineageDirection, str]] = ..., max_depth: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class LineageNode(_message.Message):
    __slots__ = ("dataset", "depth", "next_ids", "hidden_next_count")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    NEXT_IDS_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_NEXT_COUNT_FIELD_NUMBER: _ClassVar[int]
    dataset: _dataset_pb2.Dataset
    depth: int
    next_ids: _containers.RepeatedScalarFieldContainer[str]
    hidden_next_count: int
    def __init__(self, dataset: _Optional[_Union[_dataset_pb2.Dataset, _Mapping]] = ..., depth: _Optional[int] = ..., next_ids: _Optional[_Iterable[str]] = ..., hidden_next_count: _Optional[int] = ...) -> None: ...

class GetLineageResponse(_message.Message):
    __slots__ = ("nodes", "next_page_token", "total_count", "hidden_count")
    NODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[LineageNode]
    next_page_token: str
    total_count: int
    hidden_count: int
    def __init__(self, nodes: _Optional[_Iterable[_Union[LineageNode, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_count: _Optional[int] = ..., hidden_count: _Optional[int] = ...) -> None: ...
