"""Fixtures: the real `provenance-registry` binary on a free port with its own data directory, two
organisations (a vendor and a buyer) bootstrapped with the operator commands, and helpers that set
up datasets, attestations and certificates through the API (the generated stubs the package ships).

The binary comes from $PROVENANCE_BIN, by default <repo>/target/debug/provenance-registry. Nothing
here builds it and nothing is mocked.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pathlib
import subprocess
import sys
import tempfile
from datetime import timedelta

import pytest
from google.protobuf.duration_pb2 import Duration

from provenance_client import DEFAULT_POLICY, Certificate, Registry, pb

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "support"))
from server_process import serve, stop  # noqa: E402

BINARY = pathlib.Path(os.environ.get("PROVENANCE_BIN", REPO / "target" / "debug" / "provenance-registry"))
_names = itertools.count(1)


def digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def unique(prefix: str) -> str:
    """A dataset name no other test uses (tests share one server)."""
    return f"{prefix}-{next(_names)}"


def _admin(data_dir: pathlib.Path, *args: str) -> str:
    result = subprocess.run(
        [str(BINARY), "--data-dir", str(data_dir), "admin", *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def _create_org(data_dir: pathlib.Path, name: str) -> tuple[str, str]:
    # --init: the first command on a fresh directory creates the registry, as the server's first start would.
    out = _admin(data_dir, "create-org", name, "--init")
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return fields["organization_id"], fields["admin_token"]


class Server:
    """A `provenance-registry serve` process on 127.0.0.1:0 with a fresh data directory."""

    def __init__(self, configure=None) -> None:
        """`configure(server)`, if given, returns more `serve` arguments; it runs once the data
        directory and the two organisations exist, before the process starts."""
        if not BINARY.is_file():
            pytest.exit(
                f"the server binary {BINARY} is missing: build it (cargo build --bin provenance-registry) "
                "or point PROVENANCE_BIN at one",
                returncode=1,
            )
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="provenance-client-data-"))
        self.vendor_org, self.vendor_admin = _create_org(self.dir, "Vendor Data Ltd")
        self.buyer_org, self.buyer_admin = _create_org(self.dir, "Buyer Models Inc")
        extra = list(configure(self)) if configure else []
        try:
            self.process, self.address = serve(BINARY, self.dir, extra)
        except AssertionError as failure:
            pytest.exit(str(failure), returncode=1)
        self.url = f"http://{self.address}"

    def stop(self) -> None:
        stop(self.process, self.dir)


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def vendor(server):
    """The vendor's client, with its admin token: it registers, attests and certifies."""
    with Registry(server.url, token=server.vendor_admin) as registry:
        registry.wait_until_ready(30)
        yield Vendor(registry, server)


@pytest.fixture(scope="session")
def buyer_token(server):
    """An auditor token of the buyer's organisation, made by the buyer's admin over the API."""
    with Registry(server.url, token=server.buyer_admin) as admin:
        answer = admin.call(
            admin.stubs.organizations.CreateAccessToken,
            pb.organization_pb2.CreateAccessTokenRequest(
                role=pb.organization_pb2.ROLE_AUDITOR, subject="procurement-system"
            ),
        )
    return answer.token


@pytest.fixture
def buyer(server, buyer_token):
    """The buyer's client (auditor role): what a procurement system runs."""
    with Registry(server.url, token=buyer_token) as registry:
        yield registry


class Vendor:
    """The vendor's side, through the API: datasets, attestations, certificates, revocations."""

    def __init__(self, registry: Registry, server: Server) -> None:
        self.registry = registry
        self.org = server.vendor_org
        self.buyer_org = server.buyer_org

    def register(self, name: str, parents=(), *, sources=(), public: bool = False):
        request = pb.dataset_pb2.RegisterDatasetRequest(
            name=name,
            visibility=pb.common_pb2.VISIBILITY_PUBLIC if public else pb.common_pb2.VISIBILITY_PRIVATE,
            version="1",
            content_digest=digest(name),
            sources=[pb.dataset_pb2.Source(kind=pb.dataset_pb2.SOURCE_KIND_DATASET, dataset_id=p) for p in parents]
            + list(sources),
        )
        return self.registry.call(self.registry.stubs.datasets.RegisterDataset, request).dataset

    def attest(self, dataset_id: str):
        request = pb.attestation_pb2.RecordAttestationRequest(
            dataset_id=dataset_id,
            policy_id=DEFAULT_POLICY,
            method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
            statement="Reviewed: no model outputs.",
            evidence=[
                pb.attestation_pb2.Evidence(uri="https://evidence.example/review", content_digest=digest("review"))
            ],
        )
        return self.registry.call(self.registry.stubs.attestations.RecordAttestation, request)

    def revoke_attestation(self, attestation_id: str, reason: str):
        request = pb.attestation_pb2.RevokeAttestationRequest(id=attestation_id, reason=reason)
        return self.registry.call(self.registry.stubs.attestations.RevokeAttestation, request)

    def issue(
        self, dataset_id: str, *, audience: str | None = "buyer", contract: str = "", validity: timedelta | None = None
    ):
        request = pb.certificate_pb2.IssueCertificateRequest(
            dataset_id=dataset_id,
            policy_id=DEFAULT_POLICY,
            audience_organization_id=self.buyer_org if audience == "buyer" else (audience or ""),
            contract_reference=contract,
        )
        if validity is not None:
            request.validity.CopyFrom(Duration(seconds=int(validity.total_seconds())))
        return Certificate.from_proto(self.registry.call(self.registry.stubs.certificates.IssueCertificate, request))

    def certified_dataset(self, prefix: str = "corpus", *, contract: str = "", validity: timedelta | None = None):
        """A fresh attested dataset and a certificate for the buyer: (dataset, attestation, certificate)."""
        dataset = self.register(unique(prefix))
        attestation = self.attest(dataset.id)
        return dataset, attestation, self.issue(dataset.id, contract=contract, validity=validity)

    def revoke(self, certificate_id: str, reason: str):
        request = pb.certificate_pb2.RevokeCertificateRequest(id=certificate_id, reason=reason)
        return self.registry.call(self.registry.stubs.certificates.RevokeCertificate, request)
