"""Python client of provenance-registry: lineage certificates for procurement.

Synchronous (:class:`Registry`) and asyncio (:class:`AsyncRegistry`) clients with the same
methods, and verification without the registry by the registry's own rules: certificates
(:func:`verify_offline`), transparency-log proofs and checkpoints (:class:`LogKey`,
:func:`verify_inclusion`, :func:`verify_consistency`, :func:`verify_log`) and certificate bundles
end to end (:func:`verify_bundle`)::

    from provenance_client import AsyncRegistry, verify_offline

    async with AsyncRegistry("https://registry.example", token=TOKEN) as registry:
        jwks = await registry.jwks()
        offline = verify_offline(certificate, jwks, audience=MY_ORG_ID)
        online = await registry.verify(certificate, audience=MY_ORG_ID, as_of=contract_date)

See the README (clients/python/README.md) for a whole procurement example.
"""

from .aio import AsyncRegistry, AsyncRevocationWatch
from .bundle import BUNDLE_FORMAT, BundleError, BundleVerification, verify_bundle
from .client import DEFAULT_POLICY, DEFAULT_URL, Registry, RevocationWatch
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    PreconditionViolation,
    RegistryError,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
    error_from_rpc,
)
from .logproof import CONSISTENCY_FORMAT, INCLUSION_FORMAT, LogVerification, verify_log
from .models import (
    Certificate,
    CertificateStatus,
    CertifiedObligation,
    CertifiedPolicy,
    Dataset,
    Evaluation,
    Lineage,
    LineageNode,
    ModelRef,
    Offender,
    OfflineVerification,
    PathStep,
    Revocation,
    RevocationCause,
    Source,
    StatusChange,
    Verdict,
    Verification,
    VerificationCheck,
)
from .offline import (
    ALGORITHM,
    CERTIFICATE_TYPE,
    JWKS_PATH,
    MAX_COVERED_POLICIES,
    NOT_CHECKED,
    OFFLINE_CHECKS,
    ONLINE_CHECKS,
    fetch_jwks_http,
    verify_offline,
)
from .transparency import (
    Checkpoint,
    CheckpointError,
    LogKey,
    ProofError,
    hash_children,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)

__version__ = "0.1.0"

__all__ = [
    "ALGORITHM",
    "BUNDLE_FORMAT",
    "CERTIFICATE_TYPE",
    "CONSISTENCY_FORMAT",
    "DEFAULT_POLICY",
    "DEFAULT_URL",
    "INCLUSION_FORMAT",
    "JWKS_PATH",
    "MAX_COVERED_POLICIES",
    "NOT_CHECKED",
    "OFFLINE_CHECKS",
    "ONLINE_CHECKS",
    "Aborted",
    "AlreadyExists",
    "AsyncRegistry",
    "AsyncRevocationWatch",
    "BundleError",
    "BundleVerification",
    "Cancelled",
    "Certificate",
    "CertificateStatus",
    "CertifiedObligation",
    "CertifiedPolicy",
    "Checkpoint",
    "CheckpointError",
    "DataLoss",
    "Dataset",
    "DeadlineExceeded",
    "Evaluation",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "Lineage",
    "LineageNode",
    "LogKey",
    "LogVerification",
    "ModelRef",
    "NotFound",
    "Offender",
    "OfflineVerification",
    "OutOfRange",
    "PathStep",
    "PermissionDenied",
    "PreconditionViolation",
    "ProofError",
    "Registry",
    "RegistryError",
    "ResourceExhausted",
    "Revocation",
    "RevocationCause",
    "RevocationWatch",
    "Source",
    "StatusChange",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "Verdict",
    "Verification",
    "VerificationCheck",
    "error_from_rpc",
    "fetch_jwks_http",
    "hash_children",
    "hash_leaf",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_offline",
]
