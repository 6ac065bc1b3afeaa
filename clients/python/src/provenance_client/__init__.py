"""Python client of provenance-registry: lineage certificates for procurement.

    from provenance_client import Registry, verify_offline

    with Registry("http://registry:50051", token=TOKEN) as registry:
        jwks = registry.jwks()
        offline = verify_offline(certificate, jwks, audience=MY_ORG_ID)
        online = registry.verify(certificate, audience=MY_ORG_ID, as_of=contract_date)

See the README (clients/python/README.md) for a whole procurement example.
"""

from .client import DEFAULT_POLICY, DEFAULT_URL, Registry, RevocationWatch
from .errors import (
    AlreadyExists,
    Cancelled,
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
    error_from_rpc,
)
from .models import (
    Certificate,
    CertificateStatus,
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
from .offline import ALGORITHM, CERTIFICATE_TYPE, JWKS_PATH, fetch_jwks_http, verify_offline

__version__ = "0.1.0"

__all__ = [
    "ALGORITHM",
    "CERTIFICATE_TYPE",
    "DEFAULT_POLICY",
    "DEFAULT_URL",
    "JWKS_PATH",
    "AlreadyExists",
    "Cancelled",
    "Certificate",
    "CertificateStatus",
    "Dataset",
    "DeadlineExceeded",
    "Evaluation",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "Lineage",
    "LineageNode",
    "ModelRef",
    "NotFound",
    "Offender",
    "OfflineVerification",
    "OutOfRange",
    "PathStep",
    "PermissionDenied",
    "PreconditionViolation",
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
    "Verdict",
    "Verification",
    "VerificationCheck",
    "error_from_rpc",
    "fetch_jwks_http",
    "verify_offline",
]
