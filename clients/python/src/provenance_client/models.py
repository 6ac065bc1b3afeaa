"""The results of the client's calls, as plain dataclasses (no protobuf objects to learn).

Times are timezone-aware ``datetime`` objects in UTC; a time the registry leaves unset is ``None``.
Enumerations are ``str`` enums whose values are the proto names without their prefix
(``CertificateStatus.REVOKED == "REVOKED"``), so they compare with and print as plain strings.
Each result class has a ``from_proto`` class method, for answers obtained through
``Registry.call`` and the generated stubs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from . import pb

__all__ = [
    "Certificate",
    "CertificateStatus",
    "CertifiedObligation",
    "CertifiedPolicy",
    "Dataset",
    "Evaluation",
    "Lineage",
    "LineageNode",
    "ModelRef",
    "Offender",
    "OfflineVerification",
    "PathStep",
    "Revocation",
    "RevocationCause",
    "Source",
    "StatusChange",
    "Verdict",
    "Verification",
    "VerificationCheck",
]


class CertificateStatus(str, Enum):
    """Where a certificate stands (``certificate.proto``'s ``CertificateStatus``)."""

    #: The registry does not know the certificate (e.g. verifying a forged token).
    UNSPECIFIED = "UNSPECIFIED"
    #: Within its validity window and not revoked.
    VALID = "VALID"
    #: Revoked by its owner, or by a revoked attestation or a contamination report (the cascade).
    REVOKED = "REVOKED"
    #: Past its expiry.
    EXPIRED = "EXPIRED"

    def __str__(self) -> str:
        return self.value


class RevocationCause(str, Enum):
    """What caused a certificate's revocation (``certificate.proto``'s ``RevocationCause``)."""

    #: Not revoked, or not known to the registry.
    UNSPECIFIED = "UNSPECIFIED"
    #: Revoked directly by its owner; the cause's id is the certificate's own.
    CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED"
    #: An attestation it rests on was revoked; the cause's id is the attestation's.
    ATTESTATION_REVOKED = "ATTESTATION_REVOKED"
    #: Its owner reported a dataset of its lineage contaminated; the id is the report's.
    CONTAMINATION_REPORTED = "CONTAMINATION_REPORTED"

    def __str__(self) -> str:
        return self.value


class Verdict(str, Enum):
    """A policy's judgement of a dataset's lineage (``policy.proto``'s ``Verdict``)."""

    UNSPECIFIED = "UNSPECIFIED"
    CLEAN = "CLEAN"
    CONTAMINATED = "CONTAMINATED"
    INCOMPLETE = "INCOMPLETE"
    EXEMPT = "EXEMPT"

    def __str__(self) -> str:
        return self.value


def _enum_name(enum_type: Any, value: int, prefix: str) -> str:
    try:
        name = enum_type.Name(value)
    except ValueError:
        return "UNSPECIFIED"
    return str(name).removeprefix(prefix)


def _status(value: int) -> CertificateStatus:
    name = _enum_name(pb.certificate_pb2.CertificateStatus, value, "CERTIFICATE_STATUS_")
    return CertificateStatus(name) if name in CertificateStatus.__members__ else CertificateStatus.UNSPECIFIED


def _revocation_cause(value: int) -> RevocationCause:
    name = _enum_name(pb.certificate_pb2.RevocationCause, value, "REVOCATION_CAUSE_")
    return RevocationCause(name) if name in RevocationCause.__members__ else RevocationCause.UNSPECIFIED


def _verdict(value: int) -> Verdict:
    name = _enum_name(pb.policy_pb2.Verdict, value, "VERDICT_")
    return Verdict(name) if name in Verdict.__members__ else Verdict.UNSPECIFIED


def _verdict_named(name: Any) -> Verdict:
    return Verdict(name) if isinstance(name, str) and name in Verdict.__members__ else Verdict.UNSPECIFIED


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(message: Message, name: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime, or None when it is unset."""
    if not message.HasField(name):
        return None
    stamp: Timestamp = getattr(message, name)
    moment: datetime = stamp.ToDatetime(tzinfo=timezone.utc)
    return moment


def _timestamp(moment: datetime, argument: str) -> Timestamp:
    """An aware datetime as a Timestamp; a naive one is a programming error."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{argument} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{argument} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(timezone.utc))
    return stamp


@dataclass(frozen=True)
class VerificationCheck:
    """One check of a verification: ``format``, ``algorithm``, ``type``, ``key``, ``signature``,
    ``key_window``, ``validity``, ``audience`` and (online only) ``status``, ``lineage``; offline
    verification adds ``issuer`` when an issuer is expected."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """The registry's answer to ``VerifyCertificate`` (online verification).

    Attributes:
        valid: every check passed.
        status: the certificate's status in the registry, now or at ``as_of``
            (``UNSPECIFIED`` when the registry does not know the token).
        checks: every check in order, passed or not.
        claims: the token's claims, when its signature verified; else ``None``.
        certificate_id: the certificate's id (``jti``) when known, else ``""``.
        revoke_time: when it was revoked (now, or by ``as_of``); ``None`` while it is not.
        revoke_reason: why; ``""`` while it is not revoked.
        revoke_cause: what caused it, as a resource name: ``certificates/<id>`` (its owner),
            ``attestations/<id>`` or ``contamination_reports/<id>`` (the cascade); ``""`` while
            it is not revoked.
        revoke_cause_kind: the kind of cause ``revoke_cause`` names.
        revoke_cause_id: the id of the certificate, attestation or report that caused it.
        status_history: its status changes, oldest first, each with its time (and reason).

    The registry tells the revocation and history to anyone who holds the token it issued, with
    no access token; for a token it did not issue under that id, they are empty.
    """

    valid: bool
    status: CertificateStatus
    checks: list[VerificationCheck]
    claims: dict[str, Any] | None
    certificate_id: str
    revoke_time: datetime | None = None
    revoke_reason: str = ""
    revoke_cause: str = ""
    revoke_cause_kind: RevocationCause = RevocationCause.UNSPECIFIED
    revoke_cause_id: str = ""
    status_history: list[StatusChange] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[VerificationCheck]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    @property
    def reasons(self) -> list[str]:
        """``"name: detail"`` of every failed check (empty when valid)."""
        return [f"{c.name}: {c.detail}" for c in self.failed_checks]

    def check(self, name: str) -> VerificationCheck | None:
        """The check of that name, if the answer has it."""
        return next((c for c in self.checks if c.name == name), None)

    @classmethod
    def from_proto(cls, answer: pb.certificate_pb2.VerifyCertificateResponse) -> Verification:
        return cls(
            valid=answer.valid,
            status=_status(answer.status),
            checks=[VerificationCheck(c.name, c.passed, c.detail) for c in answer.checks],
            claims=json.loads(answer.claims_json) if answer.claims_json else None,
            certificate_id=answer.certificate_id,
            revoke_time=_time(answer, "revoke_time"),
            revoke_reason=answer.revoke_reason,
            revoke_cause=answer.revoke_cause,
            revoke_cause_kind=_revocation_cause(answer.revoke_cause_kind),
            revoke_cause_id=answer.revoke_cause_id,
            status_history=[StatusChange(_status(h.status), _time(h, "time"), h.reason) for h in answer.status_history],
        )


@dataclass(frozen=True)
class CertifiedObligation:
    """An obligation a certificate's lineage brings under one of its policies, as the certificate
    states it: met, or applying whatever the trained model is.

    Attributes:
        kind: ``NAME_PREFIX``, ``INHERITED_TERMS`` or ``NO_COMPETING_USE``.
        status: ``MET`` (by the target model's name, or by the declared purpose) or ``APPLIES``.
        name_prefix: for ``NAME_PREFIX``, what the trained model's name must begin with; else empty.
    """

    kind: str
    status: str
    name_prefix: str = ""


@dataclass(frozen=True)
class CertifiedPolicy:
    """One policy version a certificate covers, and the judgement under it (``CertifiedPolicy`` in
    ``certificate.proto``, the ``policies`` claim of the token).

    Attributes:
        policy_id: the policy's id.
        policy_version: its version.
        clause_sha256: SHA-256 of its clause (lower-case hex), as loaded at issuance.
        kind: what its clause does: ``PROHIBITION``, ``NAMING_OBLIGATION``, ``INHERITED_TERMS`` or
            ``COMPETING_USE_PROHIBITION``; empty for a certificate issued before policies were
            listed, which does not say.
        verdict: ``CLEAN``, or ``EXEMPT`` for the certificate's target model.
        obligations: what the lineage's restricted outputs oblige the trained model to.
    """

    policy_id: str
    policy_version: str
    clause_sha256: str
    kind: str
    verdict: Verdict
    obligations: list[CertifiedObligation] = field(default_factory=list)

    @classmethod
    def from_proto(cls, p: pb.certificate_pb2.CertifiedPolicy) -> CertifiedPolicy:
        return cls(
            policy_id=p.policy_id,
            policy_version=p.policy_version,
            clause_sha256=p.clause_sha256,
            kind=_enum_name(pb.policy_pb2.PolicyKind, p.kind, "POLICY_KIND_"),
            verdict=_verdict(p.verdict),
            obligations=[
                CertifiedObligation(
                    kind=_enum_name(pb.policy_pb2.ObligationKind, o.kind, "OBLIGATION_KIND_"),
                    status=_enum_name(pb.policy_pb2.ObligationStatus, o.status, "OBLIGATION_STATUS_"),
                    name_prefix=o.name_prefix,
                )
                for o in p.obligations
            ],
        )

    @classmethod
    def from_claim(cls, entry: dict[str, Any]) -> CertifiedPolicy:
        """One entry of :func:`covered_policy_claims`."""
        obligations = entry.get("obligations")
        return cls(
            policy_id=_text(entry.get("id")),
            policy_version=_text(entry.get("version")),
            clause_sha256=_text(entry.get("clause_sha256")),
            kind=_text(entry.get("kind")),
            verdict=_verdict_named(entry.get("verdict")),
            obligations=[
                CertifiedObligation(_text(o.get("kind")), _text(o.get("status")), _text(o.get("name_prefix")))
                for o in (obligations if isinstance(obligations, list) else [])
                if isinstance(o, dict)
            ],
        )

    def __str__(self) -> str:
        """``id@version KIND VERDICT`` and the obligations, e.g.
        ``llama-3.1@2024-07-23 NAMING_OBLIGATION CLEAN (NAME_PREFIX "Llama": MET)``."""
        said = f"{self.policy_id}@{self.policy_version} {self.kind or '-'} {self.verdict}"
        if self.obligations:
            owed = ", ".join(
                f"{o.kind} {json.dumps(o.name_prefix, ensure_ascii=False)}: {o.status}"
                if o.name_prefix
                else f"{o.kind}: {o.status}"
                for o in self.obligations
            )
            said += f" ({owed})"
        return said


def covered_policy_claims(claims: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every policy signed certificate claims cover, as claims: their ``policies``, or for a
    certificate issued before they were listed, its one ``policy`` with the ``verdict`` (``kind``
    empty, no obligations). The Rust ``CertificateClaims::covered_policies``."""
    listed = claims.get("policies")
    if isinstance(listed, list):
        return [
            dict(entry, obligations=list(entry.get("obligations") or [])) for entry in listed if isinstance(entry, dict)
        ]
    policy = claims.get("policy")
    policy = policy if isinstance(policy, dict) else {}
    return [
        {
            "id": policy.get("id", ""),
            "version": policy.get("version", ""),
            "clause_sha256": policy.get("clause_sha256", ""),
            "kind": "",
            "verdict": claims.get("verdict", ""),
            "obligations": [],
        }
    ]


@dataclass(frozen=True)
class OfflineVerification:
    """The result of :func:`provenance_client.verify_offline`.

    Attributes:
        valid: every check passed.
        checks: the checks in order; those after a failed format, algorithm, type, key or
            signature check are reported as not checked.
        header: the token's (unverified) JOSE header, when it could be read.
        claims: the claims, only when the signature verified (never untrusted claims).
    """

    valid: bool
    checks: list[VerificationCheck]
    header: dict[str, Any] | None
    claims: dict[str, Any] | None

    @property
    def failed_checks(self) -> list[VerificationCheck]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    @property
    def reasons(self) -> list[str]:
        """``"name: detail"`` of every failed check (empty when valid)."""
        return [f"{c.name}: {c.detail}" for c in self.failed_checks]

    def check(self, name: str) -> VerificationCheck | None:
        """The check of that name, if the result has it."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def certificate_id(self) -> str | None:
        """The certificate's id (``jti``), when the signature verified."""
        jti = None if self.claims is None else self.claims.get("jti")
        return jti if isinstance(jti, str) else None

    @property
    def dataset_id(self) -> str | None:
        """The certified dataset's id, when the signature verified."""
        if self.claims is None or not isinstance(self.claims.get("dataset"), dict):
            return None
        dataset_id = self.claims["dataset"].get("id")
        return dataset_id if isinstance(dataset_id, str) else None

    @property
    def expires_at(self) -> datetime | None:
        """``exp`` as a UTC datetime, when the signature verified."""
        if self.claims is None or not isinstance(self.claims.get("exp"), int):
            return None
        return datetime.fromtimestamp(self.claims["exp"], tz=timezone.utc)

    @property
    def policies(self) -> list[CertifiedPolicy]:
        """Every policy the certificate covers, with its verdict and obligations (its ``policies``
        claim, or its one ``policy`` for a certificate issued before they were listed), when the
        signature verified; the ``policies`` check says whether they are ones a certificate is
        issued on. Empty when the signature did not verify."""
        if self.claims is None:
            return []
        return [CertifiedPolicy.from_claim(entry) for entry in covered_policy_claims(self.claims)]

    @property
    def purpose(self) -> str:
        """The purpose the verdicts were judged for (``COMPETING_MODEL`` or ``NON_COMPETING``), when
        the signature verified and the certificate states one; else empty."""
        return "" if self.claims is None else _text(self.claims.get("purpose"))


@dataclass(frozen=True)
class StatusChange:
    """One change of a certificate's status: the status from ``time`` on, and why (revocations)."""

    status: CertificateStatus
    time: datetime | None
    reason: str


@dataclass(frozen=True)
class Certificate:
    """A lineage certificate as the registry keeps it (``GetCertificate``).

    ``status`` and ``status_history`` are as of now, or as of the ``as_of`` the call gave.
    ``revoke_cause`` is ``certificates/<id>`` (revoked by its owner), ``attestations/<id>`` or
    ``contamination_reports/<id>`` (the cascade).
    """

    id: str
    dataset_id: str
    organization_id: str
    audience_organization_id: str
    policy_id: str
    policy_version: str
    verdict: Verdict
    target_model: str
    contract_reference: str
    lineage_digest: str
    closure_size: int
    kid: str
    token: str
    issue_time: datetime | None
    not_before: datetime | None
    expire_time: datetime | None
    status: CertificateStatus
    revoke_time: datetime | None
    revoke_reason: str
    revoke_cause: str
    status_history: list[StatusChange]
    #: The same certificate as an in-toto Statement in a DSSE envelope (JSON), signed by the same
    #: key; :func:`verify_offline` checks it as it checks ``token``. Empty when not given.
    dsse_envelope: str = ""
    #: Every policy version the certificate covers, ``policy_id``/``policy_version`` first, each
    #: with its clause digest, kind, verdict and obligations (the token's ``policies`` claim). A
    #: certificate issued before certificates listed their policies lists its one policy.
    policies: list[CertifiedPolicy] = field(default_factory=list)
    #: The purpose the verdicts were judged for: ``COMPETING_MODEL``, ``NON_COMPETING``, or
    #: ``UNSPECIFIED`` when none was declared.
    declared_purpose: str = "UNSPECIFIED"

    @classmethod
    def from_proto(cls, c: pb.certificate_pb2.Certificate) -> Certificate:
        return cls(
            id=c.id,
            dataset_id=c.dataset_id,
            organization_id=c.organization_id,
            audience_organization_id=c.audience_organization_id,
            policy_id=c.policy_id,
            policy_version=c.policy_version,
            verdict=_verdict(c.verdict),
            target_model=c.target_model,
            contract_reference=c.contract_reference,
            lineage_digest=c.lineage_digest,
            closure_size=c.closure_size,
            kid=c.kid,
            token=c.token,
            issue_time=_time(c, "issue_time"),
            not_before=_time(c, "not_before"),
            expire_time=_time(c, "expire_time"),
            status=_status(c.status),
            revoke_time=_time(c, "revoke_time"),
            revoke_reason=c.revoke_reason,
            revoke_cause=c.revoke_cause,
            status_history=[StatusChange(_status(h.status), _time(h, "time"), h.reason) for h in c.status_history],
            dsse_envelope=c.dsse_envelope,
            policies=[CertifiedPolicy.from_proto(p) for p in c.policies],
            declared_purpose=_enum_name(pb.policy_pb2.Purpose, c.declared_purpose, "PURPOSE_"),
        )


@dataclass(frozen=True)
class ModelRef:
    """The model that generated a ``MODEL_GENERATED`` source, as the registrant named it."""

    model_id: str
    version: str
    provider: str


@dataclass(frozen=True)
class Source:
    """One source of a dataset. ``kind`` is ``DATASET``, ``EXTERNAL_DATASET``, ``WEB_CRAWL``,
    ``LICENSED_CORPUS``, ``HUMAN_AUTHORED`` or ``MODEL_GENERATED``. ``parent_hidden`` marks a parent
    the reader may not see (then ``dataset_id`` is empty)."""

    kind: str
    dataset_id: str
    model: ModelRef | None
    uri: str
    license: str
    collect_time: datetime | None
    content_digest: str
    description: str
    parent_hidden: bool

    @classmethod
    def from_proto(cls, s: pb.dataset_pb2.Source) -> Source:
        return cls(
            kind=_enum_name(pb.dataset_pb2.SourceKind, s.kind, "SOURCE_KIND_"),
            dataset_id=s.dataset_id,
            model=ModelRef(s.model.model_id, s.model.version, s.model.provider) if s.HasField("model") else None,
            uri=s.uri,
            license=s.license,
            collect_time=_time(s, "collect_time"),
            content_digest=s.content_digest,
            description=s.description,
            parent_hidden=s.parent_hidden,
        )


@dataclass(frozen=True)
class Dataset:
    """A registered dataset with its sources. ``visibility`` is ``PRIVATE`` or ``PUBLIC``."""

    id: str
    organization_id: str
    name: str
    version: str
    content_digest: str
    size_bytes: int | None
    description: str
    license: str
    visibility: str
    sources: list[Source]
    create_time: datetime | None
    contaminated: bool
    contamination_report_ids: list[str]
    creator_subject: str
    warnings: list[str]
    """What to look at twice, one sentence each: e.g. a model-generated source whose model id mixes
    scripts or holds look-alike characters (policies match it as ``confusable``)."""

    @property
    def parent_ids(self) -> list[str]:
        """Ids of the visible parent datasets, in registration order."""
        return [s.dataset_id for s in self.sources if s.kind == "DATASET" and s.dataset_id]

    @classmethod
    def from_proto(cls, d: pb.dataset_pb2.Dataset) -> Dataset:
        return cls(
            id=d.id,
            organization_id=d.organization_id,
            name=d.name,
            version=d.version,
            content_digest=d.content_digest,
            size_bytes=d.size_bytes if d.HasField("size_bytes") else None,
            description=d.description,
            license=d.license,
            visibility=_enum_name(pb.common_pb2.Visibility, d.visibility, "VISIBILITY_"),
            sources=[Source.from_proto(s) for s in d.sources],
            create_time=_time(d, "create_time"),
            contaminated=d.contaminated,
            contamination_report_ids=[r.id for r in d.contamination_reports],
            creator_subject=d.creator_subject,
            warnings=list(d.warnings),
        )


@dataclass(frozen=True)
class LineageNode:
    """One dataset of a lineage walk: its shortest distance from the start, and its visible
    neighbours one step further (parents upstream, children downstream)."""

    dataset: Dataset
    depth: int
    next_ids: list[str]
    hidden_next_count: int


@dataclass(frozen=True)
class Lineage:
    """A whole lineage walk, every page fetched. Iterating it yields the nodes, ordered by depth
    and then id; the first is the starting dataset at depth 0.

    Attributes:
        dataset_id: the starting dataset.
        direction: ``"upstream"`` or ``"downstream"``.
        nodes: the visible datasets of the walk.
        total_count: visible datasets in the walk, the starting one included.
        hidden_count: datasets in the walk the caller may not see (counted, never shown).
    """

    dataset_id: str
    direction: str
    nodes: list[LineageNode]
    total_count: int
    hidden_count: int

    def __iter__(self) -> Iterator[LineageNode]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def dataset_ids(self) -> list[str]:
        """The ids of the nodes, in walk order."""
        return [n.dataset.id for n in self.nodes]


@dataclass(frozen=True)
class Revocation:
    """A ``certificate.revoked`` event about one of the watched certificates.

    Attributes:
        certificate_id: the revoked certificate.
        sequence: the event's position in the log (resume a watch after it).
        event_time: when the event was committed.
        revoke_time: when the certificate was revoked.
        reason: why (for a cascade, the registry prefixes the cause, e.g.
            ``"attestation <id> was revoked: <its reason>"``).
        cause: ``certificates/<id>`` (its owner revoked it), ``attestations/<id>`` (an attestation
            it rests on was revoked) or ``contamination_reports/<id>``.
        dataset_id: the certified dataset.
        organization_id: the certificate's owner (the vendor).
        audience_organization_id: the buyer it was issued for, or ``""``.
        payload: the event's whole payload.
    """

    certificate_id: str
    sequence: int
    event_time: datetime | None
    revoke_time: datetime | None
    reason: str
    cause: str
    dataset_id: str
    organization_id: str
    audience_organization_id: str
    payload: dict[str, Any] = field(repr=False)

    @classmethod
    def from_event(cls, event: pb.event_pb2.Event, certificate_id: str) -> Revocation:
        try:
            payload = json.loads(event.payload_json) if event.payload_json else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        revoke_time = None
        if isinstance(payload.get("revoke_time"), str):
            try:
                revoke_time = datetime.fromisoformat(payload["revoke_time"].replace("Z", "+00:00"))
            except ValueError:
                revoke_time = None
        return cls(
            certificate_id=certificate_id,
            sequence=event.sequence,
            event_time=_time(event, "time"),
            revoke_time=revoke_time,
            reason=str(payload.get("reason") or ""),
            cause=str(payload.get("cause") or ""),
            dataset_id=str(payload.get("dataset_id") or ""),
            organization_id=str(payload.get("organization_id") or ""),
            audience_organization_id=str(payload.get("audience_organization_id") or ""),
            payload=payload,
        )


@dataclass(frozen=True)
class PathStep:
    """A dataset on a path; another organisation's private one is ``hidden`` with no id or name."""

    dataset_id: str
    name: str
    version: str
    hidden: bool

    def __str__(self) -> str:
        return "[hidden dataset]" if self.hidden else f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Offender:
    """A restricted source or contaminated dataset reached from the evaluated dataset.

    ``kind`` is ``RESTRICTED_MODEL_OUTPUT`` or ``REPORTED_CONTAMINATED``; ``path`` runs from the
    evaluated dataset (first) to the offending one (last). A path of more than 6 steps holds its
    first 3 and last 3 steps only; ``path_length`` is the whole path's number of datasets.
    ``match_rule`` is ``canonical``, ``alias``, ``pattern`` or ``confusable`` (a look-alike
    spelling of the ``matched`` entry)."""

    kind: str
    path: list[PathStep]
    model_id: str
    source_index: int
    match_rule: str
    matched: str
    derivative: bool
    report_id: str
    path_length: int


def _step(s: pb.policy_pb2.PathStep) -> PathStep:
    return PathStep(s.dataset_id, s.name, s.version, s.hidden)


@dataclass(frozen=True)
class Evaluation:
    """The registry's judgement of a dataset's whole upstream lineage under a policy."""

    verdict: Verdict
    dataset_id: str
    policy_id: str
    policy_version: str
    clause_sha256: str
    target_model: str
    target_exempt: bool
    exemption: str
    offenders: list[Offender]
    offender_count: int
    missing_attestations: list[PathStep]
    missing_attestation_count: int
    attestation_ids: list[str]
    """At most 1000, sorted; ``attestation_count`` is how many there are in all."""
    attestation_count: int
    closure_size: int
    evaluate_time: datetime | None
    policy_evaluations: list[Evaluation] = field(default_factory=list)
    """Under several policies at once: one evaluation per policy, in the order asked (``verdict``
    is then the worst of theirs, and the policy's own fields are empty); empty under one."""

    @classmethod
    def from_proto(cls, e: pb.policy_pb2.Evaluation) -> Evaluation:
        return cls(
            verdict=_verdict(e.verdict),
            dataset_id=e.dataset_id,
            policy_id=e.policy_id,
            policy_version=e.policy_version,
            clause_sha256=e.clause_sha256,
            target_model=e.target_model,
            target_exempt=e.target_exempt,
            exemption=e.exemption,
            offenders=[
                Offender(
                    kind=_enum_name(pb.policy_pb2.OffenceKind, o.kind, "OFFENCE_KIND_"),
                    path=[_step(s) for s in o.path],
                    model_id=o.model_id,
                    source_index=o.source_index,
                    match_rule=o.match_rule,
                    matched=o.matched,
                    derivative=o.derivative,
                    report_id=o.report_id,
                    path_length=o.path_length,
                )
                for o in e.offenders
            ],
            offender_count=e.offender_count,
            missing_attestations=[_step(s) for s in e.missing_attestations],
            missing_attestation_count=e.missing_attestation_count,
            attestation_ids=list(e.attestation_ids),
            attestation_count=e.attestation_count,
            closure_size=e.closure_size,
            evaluate_time=_time(e, "evaluate_time"),
            policy_evaluations=[cls.from_proto(p) for p in e.policy_evaluations],
        )
