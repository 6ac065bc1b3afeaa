"""The gRPC client: :class:`Registry`."""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, Literal, TypeVar

import grpc

from . import pb
from .errors import Unavailable, error_from_rpc
from .models import Certificate, Dataset, Evaluation, Lineage, LineageNode, Revocation, Verification, _timestamp

__all__ = ["DEFAULT_POLICY", "DEFAULT_URL", "Registry", "RevocationWatch"]

#: Where ``provenance-registry`` listens by default.
DEFAULT_URL = "http://127.0.0.1:50051"
#: The built-in policy's id.
DEFAULT_POLICY = "deepseek-r1-anti-distillation"

_DIRECTIONS = {
    "upstream": pb.lineage_pb2.LINEAGE_DIRECTION_UPSTREAM,
    "downstream": pb.lineage_pb2.LINEAGE_DIRECTION_DOWNSTREAM,
}
_MAX_PAGE = 1000

Response = TypeVar("Response")


def _read(path: str | Path | None) -> bytes | None:
    return None if path is None else Path(path).read_bytes()


def _certificate_id(value: str) -> str:
    """A certificate id in canonical form; accepts ``certificates/<id>`` too."""
    if not isinstance(value, str):
        raise TypeError(f"certificate ids are str, not {type(value).__name__}")
    text = value.strip().removeprefix("certificates/")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"not a certificate id (UUID): {value!r}") from None


class Registry:
    """A client of one provenance registry, over gRPC.

    Args:
        url: ``http://host:port`` for a plaintext channel (the server's default), or
            ``https://host:port`` for TLS.
        token: an access token (``Bearer``) for the calls that need one: ``certificate``,
            ``lineage``, ``dataset``, ``evaluate``, ``watch_revocations``. Verification and the
            keys need none, and are sent without it.
        timeout: seconds allowed for each unary call (streams have no deadline).
        root_certificates: TLS only: PEM file of the CAs to trust (default: the system's).
        client_cert, client_key: TLS only: PEM files of a client certificate and its key, for
            servers that ask for mutual TLS. A certificate the registry's operator mapped to an
            organisation and role stands in for ``token``.
        options: extra gRPC channel options, e.g. ``[("grpc.max_receive_message_length", 8 << 20)]``.

    Use it as a context manager, or call :meth:`close`, to close the channel::

        with Registry("http://registry:50051", token=os.environ["PROVENANCE_TOKEN"]) as registry:
            print(registry.verify(certificate).status)

    Every failed call raises a :class:`provenance_client.RegistryError` subclass
    (``NotFound``, ``InvalidArgument``, ``Unauthenticated``, ...) with the server's message.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        root_certificates: str | Path | None = None,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
        options: Iterable[tuple[str, Any]] = (),
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"url must be http://host:port or https://host:port, not {url!r}")
        if parts.path not in ("", "/"):
            raise ValueError(f"url must not have a path: {url!r}")
        if (client_cert is None) != (client_key is None):
            raise ValueError("client_cert and client_key go together")
        self.url = url
        self.target = parts.netloc
        self.timeout = timeout
        self._token = token
        # Over mutual TLS a client certificate the operator mapped to an organisation stands in
        # for the token.
        self._client_certificate = client_cert is not None
        if parts.scheme == "https":
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(root_certificates),
                private_key=_read(client_key),
                certificate_chain=_read(client_cert),
            )
            self.channel: grpc.Channel = grpc.secure_channel(self.target, credentials, options=list(options))
        else:
            if root_certificates is not None or client_cert is not None:
                raise ValueError("TLS files were given for an http:// url; use https://")
            self.channel = grpc.insecure_channel(self.target, options=list(options))
        #: The generated service stubs, for calls the typed API does not cover (see :meth:`call`).
        self.stubs = SimpleNamespace(
            organizations=pb.organization_pb2_grpc.OrganizationServiceStub(self.channel),
            datasets=pb.dataset_pb2_grpc.DatasetServiceStub(self.channel),
            lineage=pb.lineage_pb2_grpc.LineageServiceStub(self.channel),
            events=pb.event_pb2_grpc.EventServiceStub(self.channel),
            policies=pb.policy_pb2_grpc.PolicyServiceStub(self.channel),
            attestations=pb.attestation_pb2_grpc.AttestationServiceStub(self.channel),
            certificates=pb.certificate_pb2_grpc.CertificateServiceStub(self.channel),
        )

    # -- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the channel; open watches end."""
        self.channel.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Registry({self.url!r}, token={'<set>' if self._token else None})"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The call metadata carrying the token, for calling :attr:`stubs` directly (e.g. the
        ``StreamLineage`` stream): ``registry.stubs.lineage.StreamLineage(request,
        metadata=registry.metadata)``."""
        return self._metadata(True)

    def _metadata(self, authenticated: bool) -> tuple[tuple[str, str], ...]:
        if not authenticated:
            return ()
        if not self._token:
            if self._client_certificate:
                return ()
            raise ValueError(
                "this call needs an access token (Registry(url, token=...)) or a client certificate "
                "the registry maps to an organisation (Registry(https_url, client_cert=..., client_key=...))"
            )
        return (("authorization", f"Bearer {self._token}"),)

    def call(
        self,
        method: Callable[..., Response],
        request: Any,
        *,
        authenticated: bool = True,
        timeout: float | None = None,
    ) -> Response:
        """Make a unary call through a generated stub with this client's token, timeout and
        error mapping, e.g. ``registry.call(registry.stubs.datasets.GetDataset,
        pb.dataset_pb2.GetDatasetRequest(id=...))``.

        Raises:
            RegistryError: the subclass for the gRPC status, with the server's message.
        """
        try:
            return method(
                request,
                metadata=self._metadata(authenticated),
                timeout=self.timeout if timeout is None else timeout,
            )
        except grpc.RpcError as error:
            raise error_from_rpc(error) from None

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Block until the channel is connected (e.g. just after starting a server).

        Raises:
            Unavailable: not connected within ``timeout`` seconds (default: the client's timeout).
        """
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.timeout if timeout is None else timeout)
        except grpc.FutureTimeoutError:
            raise Unavailable(f"{self.url} is not reachable", code=grpc.StatusCode.UNAVAILABLE) from None

    # -- keys and certificates -----------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The registry's public signing keys as a JWKS (``CertificateService.ListSigningKeys``),
        exactly as served at ``/.well-known/jwks.json``: keep it for :func:`verify_offline`.
        Needs no token."""
        answer = self.call(
            self.stubs.certificates.ListSigningKeys, pb.certificate_pb2.ListSigningKeysRequest(), authenticated=False
        )
        jwks: dict[str, Any] = json.loads(answer.jwks_json)
        return jwks

    def verify(self, token: str, *, audience: str | None = None, as_of: datetime | None = None) -> Verification:
        """Ask the registry to verify a certificate (``VerifyCertificate``); needs no access token.

        Beyond what offline verification can see, the registry checks ``status`` (known, not
        revoked, not expired) and ``lineage`` (the dataset and lineage digest match its records).
        A bad token is answered with ``valid=False`` and the failed checks, not an exception.

        Args:
            token: the certificate (compact JWS).
            audience: the buyer's organisation id it must have been issued for.
            as_of: judge validity and status as they stood at this moment (timezone-aware),
                e.g. "was it valid on the contract date?".

        Raises:
            InvalidArgument: an empty or oversized token, or an audience that is not a UUID.
        """
        if not isinstance(token, str):
            raise TypeError(f"token must be a str, not {type(token).__name__}")
        request = pb.certificate_pb2.VerifyCertificateRequest(token=token, audience_organization_id=audience or "")
        if as_of is not None:
            request.as_of.CopyFrom(_timestamp(as_of, "as_of"))
        answer = self.call(self.stubs.certificates.VerifyCertificate, request, authenticated=False)
        return Verification.from_proto(answer)

    def certificate(self, certificate_id: str, *, as_of: datetime | None = None) -> Certificate:
        """Read a certificate with its status and status history (``GetCertificate``), now or as of
        a moment (timezone-aware). Readable by the owner's and the audience's members.

        Raises:
            InvalidArgument: the id is not a UUID.
            NotFound: no such certificate, or not one the caller may read.
        """
        request = pb.certificate_pb2.GetCertificateRequest(id=certificate_id)
        if as_of is not None:
            request.as_of.CopyFrom(_timestamp(as_of, "as_of"))
        return Certificate.from_proto(self.call(self.stubs.certificates.GetCertificate, request))

    # -- datasets, lineage, policies -----------------------------------------------------------

    def dataset(self, dataset_id: str) -> Dataset:
        """Read one dataset with its sources (``GetDataset``)."""
        request = pb.dataset_pb2.GetDatasetRequest(id=dataset_id)
        return Dataset.from_proto(self.call(self.stubs.datasets.GetDataset, request))

    def lineage(
        self,
        dataset_id: str,
        *,
        direction: Literal["upstream", "downstream"] = "upstream",
        max_depth: int | None = None,
        page_size: int = _MAX_PAGE,
    ) -> Lineage:
        """The whole lineage walk from a dataset, every page fetched (``GetLineage``).

        Args:
            dataset_id: where to start; it must be visible to the caller.
            direction: ``"upstream"`` (what it was made from) or ``"downstream"`` (what was made
                from it).
            max_depth: how many edges deep; ``None`` for the registry's maximum.
            page_size: nodes per request, 1 to 1000.

        Returns:
            a :class:`Lineage`: iterate it for the nodes (depth order, the start first); its
            ``hidden_count`` says how many datasets of the walk the caller may not see.
        """
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
        if max_depth is not None and max_depth < 1:
            raise ValueError("max_depth must be at least 1 (None for no limit)")
        if not 1 <= page_size <= _MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {_MAX_PAGE}")
        request = pb.lineage_pb2.GetLineageRequest(
            dataset_id=dataset_id,
            direction=_DIRECTIONS[direction],
            max_depth=max_depth or 0,
            page_size=page_size,
        )
        nodes: list[LineageNode] = []
        total = hidden = 0
        while True:
            page = self.call(self.stubs.lineage.GetLineage, request)
            nodes.extend(
                LineageNode(Dataset.from_proto(n.dataset), n.depth, list(n.next_ids), n.hidden_next_count)
                for n in page.nodes
            )
            total, hidden = page.total_count, page.hidden_count
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        return Lineage(dataset_id, direction, nodes, total, hidden)

    def evaluate(
        self,
        dataset_id: str,
        policy_id: str = DEFAULT_POLICY,
        *,
        policy_version: str = "",
        target_model: str | None = None,
    ) -> Evaluation:
        """Judge a dataset's whole upstream lineage under a policy (``EvaluateDataset``): the
        verdict, offending paths, datasets lacking an attestation.

        Args:
            policy_version: may stay empty when one version of the policy is loaded.
            target_model: the model the data will train, for an exemption.
        """
        request = pb.policy_pb2.EvaluateDatasetRequest(
            dataset_id=dataset_id, policy_id=policy_id, policy_version=policy_version, target_model=target_model or ""
        )
        return Evaluation.from_proto(self.call(self.stubs.policies.EvaluateDataset, request))

    # -- revocations ---------------------------------------------------------------------------

    def watch_revocations(self, certificate_ids: Iterable[str], *, after_sequence: int = 0) -> RevocationWatch:
        """Watch the event log for the revocation of any of these certificates (``WatchEvents``).

        Iterate the result: it yields a :class:`Revocation` for each watched certificate revoked,
        once per certificate, as the registry commits it (after replaying the log from
        ``after_sequence``: with 0, revocations that already happened are reported first, so a
        certificate cannot be revoked unseen between a status check and the watch). It blocks
        while nothing happens, and ends when every watched certificate has been reported, when
        you stop iterating (``break``, ``close()``, or leaving the ``with`` block) or when the
        server ends the stream (e.g. at shutdown: resume with ``after_sequence=watch.last_sequence``).

        The caller's token decides which events it sees: a certificate issued for a buyer
        announces its revocation to the vendor's and the buyer's organisations.

        ``close()`` may be called from another thread to stop a watch blocked waiting.

        Raises:
            ValueError: an id is not a UUID.
            RegistryError: when iterating, if the stream fails (e.g. ``Unauthenticated``,
                ``Unavailable``).
        """
        ids = {_certificate_id(i) for i in ([certificate_ids] if isinstance(certificate_ids, str) else certificate_ids)}
        if not ids:
            raise ValueError("no certificate to watch")
        if after_sequence < 0:
            raise ValueError("after_sequence must be >= 0")
        call = self.stubs.events.WatchEvents(
            pb.event_pb2.WatchEventsRequest(after_sequence=after_sequence), metadata=self._metadata(True)
        )
        return RevocationWatch(call, ids, after_sequence)


class RevocationWatch(Iterator[Revocation]):
    """The iterator :meth:`Registry.watch_revocations` returns. Close it to cancel the stream
    (it is a context manager, and closes itself when garbage-collected).

    Attributes:
        pending: the watched certificates not reported revoked yet.
        reported: the revocations yielded so far.
        last_sequence: the last event sequence read, for resuming after a disconnect.
        interrupted: True when the server ended the stream (e.g. it shut down) while certificates
            were still pending: watch again with ``after_sequence=last_sequence``.
    """

    def __init__(self, call: Any, certificate_ids: set[str], after_sequence: int) -> None:
        self._call = call
        self._closed = threading.Event()
        self.pending: set[str] = set(certificate_ids)
        self.reported: list[Revocation] = []
        self.last_sequence = after_sequence
        self.interrupted = False

    def __iter__(self) -> RevocationWatch:
        return self

    def __next__(self) -> Revocation:
        while True:
            if self._closed.is_set() or not self.pending:
                self.close()
                raise StopIteration
            try:
                event = next(self._call)
            except StopIteration:
                self.interrupted = not self._closed.is_set()
                self.close()
                raise
            except grpc.RpcError as error:
                cancelled_by_us = self._cancelled_by_us(error)
                self.close()
                if cancelled_by_us:
                    raise StopIteration from None
                raise error_from_rpc(error) from None
            self.last_sequence = event.sequence
            if event.type != "certificate.revoked" or not event.subject.startswith("certificates/"):
                continue
            certificate_id = event.subject.removeprefix("certificates/")
            if certificate_id not in self.pending:
                continue  # not watched, or already reported (the event for the other organisation)
            self.pending.discard(certificate_id)
            revocation = Revocation.from_event(event, certificate_id)
            self.reported.append(revocation)
            return revocation

    def _cancelled_by_us(self, error: grpc.RpcError) -> bool:
        return self._closed.is_set() and getattr(error, "code", lambda: None)() == grpc.StatusCode.CANCELLED

    def close(self) -> None:
        """Stop watching: cancels the stream. Safe from any thread, and more than once."""
        self._closed.set()
        self._call.cancel()

    def __enter__(self) -> RevocationWatch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._call.cancel()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
