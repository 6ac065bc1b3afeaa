"""The gRPC client: :class:`Registry`."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, Literal, TypeVar

import grpc

from . import pb
from ._transport import Endpoint
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


def _certificate_id(value: str) -> str:
    """A certificate id in canonical form; accepts ``certificates/<id>`` too."""
    if not isinstance(value, str):
        raise TypeError(f"certificate ids are str, not {type(value).__name__}")
    text = value.strip().removeprefix("certificates/")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"not a certificate id (UUID): {value!r}") from None


def verify_request(
    token: str, audience: str | None, as_of: datetime | None
) -> pb.certificate_pb2.VerifyCertificateRequest:
    """The ``VerifyCertificate`` request both clients send."""
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {type(token).__name__}")
    request = pb.certificate_pb2.VerifyCertificateRequest(token=token, audience_organization_id=audience or "")
    if as_of is not None:
        request.as_of.CopyFrom(_timestamp(as_of, "as_of"))
    return request


def certificate_request(certificate_id: str, as_of: datetime | None) -> pb.certificate_pb2.GetCertificateRequest:
    """The ``GetCertificate`` request both clients send."""
    request = pb.certificate_pb2.GetCertificateRequest(id=certificate_id)
    if as_of is not None:
        request.as_of.CopyFrom(_timestamp(as_of, "as_of"))
    return request


def lineage_request(
    dataset_id: str, direction: str, max_depth: int | None, page_size: int
) -> pb.lineage_pb2.GetLineageRequest:
    """The first ``GetLineage`` request both clients send, its arguments checked."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
    if max_depth is not None and max_depth < 1:
        raise ValueError("max_depth must be at least 1 (None for no limit)")
    if not 1 <= page_size <= _MAX_PAGE:
        raise ValueError(f"page_size must be between 1 and {_MAX_PAGE}")
    return pb.lineage_pb2.GetLineageRequest(
        dataset_id=dataset_id,
        direction=_DIRECTIONS[direction],
        max_depth=max_depth or 0,
        page_size=page_size,
    )


def lineage_nodes(page: pb.lineage_pb2.GetLineageResponse) -> list[LineageNode]:
    """The nodes of one ``GetLineage`` page."""
    return [
        LineageNode(Dataset.from_proto(n.dataset), n.depth, list(n.next_ids), n.hidden_next_count) for n in page.nodes
    ]


def watched_ids(certificate_ids: Iterable[str] | str, after_sequence: int) -> set[str]:
    """The certificate ids a watch waits for, checked."""
    ids = {_certificate_id(i) for i in ([certificate_ids] if isinstance(certificate_ids, str) else certificate_ids)}
    if not ids:
        raise ValueError("no certificate to watch")
    if after_sequence < 0:
        raise ValueError("after_sequence must be >= 0")
    return ids


def take_revocation(event: pb.event_pb2.Event, pending: set[str]) -> Revocation | None:
    """The revocation ``event`` announces of a pending certificate (removed from ``pending``), or
    ``None`` for any other event, or one already reported (the event for the other organisation)."""
    if event.type != "certificate.revoked" or not event.subject.startswith("certificates/"):
        return None
    certificate_id = event.subject.removeprefix("certificates/")
    if certificate_id not in pending:
        return None
    pending.discard(certificate_id)
    return Revocation.from_event(event, certificate_id)


def inclusion_request(
    leaf_index: int | None, event_sequence: int | None, tree_size: int
) -> pb.log_pb2.GetInclusionProofRequest:
    """The ``GetInclusionProof`` request both clients send: exactly one of the leaf's index or its
    event's sequence."""
    if (leaf_index is None) == (event_sequence is None):
        raise ValueError("give exactly one of leaf_index and event_sequence")
    if tree_size < 0:
        raise ValueError("tree_size must be >= 0 (0 for the newest checkpoint's)")
    if leaf_index is not None:
        return pb.log_pb2.GetInclusionProofRequest(leaf_index=leaf_index, tree_size=tree_size)
    return pb.log_pb2.GetInclusionProofRequest(event_sequence=event_sequence or 0, tree_size=tree_size)


def evaluate_request(
    dataset_id: str,
    policy_id: str,
    policy_version: str,
    target_model: str | None,
    policies: Sequence[str] | None,
    all_policies: bool,
) -> pb.policy_pb2.EvaluateDatasetRequest:
    """The ``EvaluateDataset`` request both clients send: by one policy (``policy_id``), or by
    several at once (``policies``, each ``id`` or ``id@version``; or ``all_policies``)."""
    if policies and all_policies:
        raise ValueError("give policies or all_policies, not both")
    if policies or all_policies:
        refs = [pb.policy_pb2.PolicyRef(id=p.partition("@")[0], version=p.partition("@")[2]) for p in policies or []]
        return pb.policy_pb2.EvaluateDatasetRequest(
            dataset_id=dataset_id, policies=refs, all_policies=all_policies, target_model=target_model or ""
        )
    return pb.policy_pb2.EvaluateDatasetRequest(
        dataset_id=dataset_id, policy_id=policy_id, policy_version=policy_version, target_model=target_model or ""
    )


class Registry:
    """A client of one provenance registry, over gRPC.

    Args:
        url: ``https://host:port`` for TLS, or ``http://host:port`` for a plaintext channel (the
            server's default; with a token, only to a loopback address such as 127.0.0.1, lest the
            token cross the network in the clear).
        token: an access token (``Bearer``) for the calls that need one: ``certificate``,
            ``lineage``, ``dataset``, ``evaluate``, ``watch_revocations``. Over TLS it travels as
            ``grpc.access_token_call_credentials``, over loopback plaintext as ``authorization``
            metadata. Verification, the keys and the log need none, and are sent without it.
        timeout: seconds allowed for each unary call (streams have no deadline).
        root_certificates: TLS only: PEM file of the CAs to trust (default: the system's).
        client_cert, client_key: TLS only: PEM files of a client certificate and its key, for
            servers that ask for mutual TLS. A certificate the registry's operator mapped to an
            organisation and role stands in for ``token``.
        options: extra gRPC channel options, e.g. ``[("grpc.max_receive_message_length", 8 << 20)]``.

    Use it as a context manager, or call :meth:`close`, to close the channel::

        with Registry("https://registry.example", token=os.environ["PROVENANCE_TOKEN"]) as registry:
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
        self._endpoint = Endpoint.parse(url, token, root_certificates, client_cert, client_key, options)
        self.url = url
        self.target = self._endpoint.target
        self.timeout = timeout
        if self._endpoint.credentials is not None:
            self.channel: grpc.Channel = grpc.secure_channel(
                self.target, self._endpoint.credentials, options=self._endpoint.options
            )
        else:
            self.channel = grpc.insecure_channel(self.target, options=self._endpoint.options)
        #: The generated service stubs, for calls the typed API does not cover (see :meth:`call`).
        self.stubs = SimpleNamespace(
            organizations=pb.organization_pb2_grpc.OrganizationServiceStub(self.channel),
            datasets=pb.dataset_pb2_grpc.DatasetServiceStub(self.channel),
            lineage=pb.lineage_pb2_grpc.LineageServiceStub(self.channel),
            events=pb.event_pb2_grpc.EventServiceStub(self.channel),
            policies=pb.policy_pb2_grpc.PolicyServiceStub(self.channel),
            attestations=pb.attestation_pb2_grpc.AttestationServiceStub(self.channel),
            certificates=pb.certificate_pb2_grpc.CertificateServiceStub(self.channel),
            log=pb.log_pb2_grpc.TransparencyLogServiceStub(self.channel),
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
        return f"Registry({self.url!r}, token={'<set>' if self._endpoint.token else None})"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The explicit call metadata carrying the token over loopback plaintext (empty over TLS,
        where the token travels as call credentials): prefer :meth:`call_options`."""
        return self._endpoint.metadata()

    def call_options(self, authenticated: bool = True) -> dict[str, Any]:
        """The keyword arguments that authenticate a call made through :attr:`stubs` directly
        (e.g. the ``StreamLineage`` stream): ``registry.stubs.lineage.StreamLineage(request,
        **registry.call_options())``. Over TLS the token travels as
        ``grpc.access_token_call_credentials``; over loopback plaintext as metadata.

        Raises:
            ValueError: the client has no token and no client certificate.
        """
        return self._endpoint.call_auth(authenticated)

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
                timeout=self.timeout if timeout is None else timeout,
                **self._endpoint.call_auth(authenticated),
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
        request = verify_request(token, audience, as_of)
        answer = self.call(self.stubs.certificates.VerifyCertificate, request, authenticated=False)
        return Verification.from_proto(answer)

    def certificate(self, certificate_id: str, *, as_of: datetime | None = None) -> Certificate:
        """Read a certificate with its status and status history (``GetCertificate``), now or as of
        a moment (timezone-aware). Readable by the owner's and the audience's members.

        Raises:
            InvalidArgument: the id is not a UUID.
            NotFound: no such certificate, or not one the caller may read.
        """
        request = certificate_request(certificate_id, as_of)
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
        request = lineage_request(dataset_id, direction, max_depth, page_size)
        nodes: list[LineageNode] = []
        total = hidden = 0
        while True:
            page = self.call(self.stubs.lineage.GetLineage, request)
            nodes.extend(lineage_nodes(page))
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
        policies: Sequence[str] | None = None,
        all_policies: bool = False,
    ) -> Evaluation:
        """Judge a dataset's whole upstream lineage under a policy (``EvaluateDataset``): the
        verdict, offending paths, datasets lacking an attestation.

        Args:
            policy_version: may stay empty when one version of the policy is loaded.
            target_model: the model the data will train, for an exemption.
            policies: several policies at once (each ``id`` or ``id@version``, at most 16), in
                place of ``policy_id``: one walk of the lineage, one evaluation per policy in
                ``policy_evaluations``, the worst verdict in ``verdict``.
            all_policies: every loaded policy at once, likewise.
        """
        request = evaluate_request(dataset_id, policy_id, policy_version, target_model, policies, all_policies)
        return Evaluation.from_proto(self.call(self.stubs.policies.EvaluateDataset, request))

    # -- transparency log ----------------------------------------------------------------------

    def checkpoint(self) -> pb.log_pb2.Checkpoint:
        """The log's newest signed checkpoint (``GetCheckpoint``); needs no token. Verify its
        ``note`` with a pinned key: :class:`provenance_client.LogKey` ``.open_checkpoint``."""
        answer: pb.log_pb2.Checkpoint = self.call(
            self.stubs.log.GetCheckpoint, pb.log_pb2.GetCheckpointRequest(), authenticated=False
        )
        return answer

    def inclusion_proof(
        self, *, leaf_index: int | None = None, event_sequence: int | None = None, tree_size: int = 0
    ) -> pb.log_pb2.InclusionProof:
        """The audit path of one leaf (``GetInclusionProof``), by leaf index or event sequence,
        against the tree of ``tree_size`` leaves (0: the newest checkpoint's); needs no token.
        Check it with :func:`provenance_client.verify_inclusion` against a verified checkpoint."""
        request = inclusion_request(leaf_index, event_sequence, tree_size)
        answer: pb.log_pb2.InclusionProof = self.call(self.stubs.log.GetInclusionProof, request, authenticated=False)
        return answer

    def consistency_proof(self, first_tree_size: int, second_tree_size: int) -> pb.log_pb2.ConsistencyProof:
        """The proof that the tree of ``second_tree_size`` leaves extends that of
        ``first_tree_size`` (``GetConsistencyProof``); needs no token. Check it with
        :func:`provenance_client.verify_consistency` between two verified checkpoints."""
        request = pb.log_pb2.GetConsistencyProofRequest(
            first_tree_size=first_tree_size, second_tree_size=second_tree_size
        )
        answer: pb.log_pb2.ConsistencyProof = self.call(
            self.stubs.log.GetConsistencyProof, request, authenticated=False
        )
        return answer

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
        ids = watched_ids(certificate_ids, after_sequence)
        call = self.stubs.events.WatchEvents(
            pb.event_pb2.WatchEventsRequest(after_sequence=after_sequence), **self._endpoint.call_auth(True)
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
            revocation = take_revocation(event, self.pending)
            if revocation is not None:
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
