"""The asyncio client: :class:`AsyncRegistry`, over ``grpc.aio``.

The same methods, arguments, return types and exceptions as the synchronous
:class:`provenance_client.Registry`, awaited::

    async with AsyncRegistry("https://registry.example:443", token=TOKEN) as registry:
        jwks = await registry.jwks()
        async for revocation in registry.watch_revocations([certificate_id]):
            ...

Create it inside a running event loop (``grpc.aio`` channels belong to the loop they were made in).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, Literal, TypeVar

import grpc
import grpc.aio

from . import pb
from ._transport import Endpoint
from .client import (
    _MAX_PAGE,
    certificate_request,
    evaluate_request,
    inclusion_request,
    lineage_nodes,
    lineage_request,
    take_revocation,
    verify_request,
    watched_ids,
)
from .client import DEFAULT_POLICY as DEFAULT_POLICY
from .client import DEFAULT_URL as DEFAULT_URL
from .errors import Unavailable, error_from_rpc
from .models import Certificate, Dataset, Evaluation, Lineage, LineageNode, Revocation, Verification

__all__ = ["AsyncRegistry", "AsyncRevocationWatch"]

Response = TypeVar("Response")
#: What a stream's ``read()`` answers at its end (grpc-stubs does not declare it).
_EOF: object = grpc.aio.EOF  # type: ignore[attr-defined]


class AsyncRegistry:
    """A client of one provenance registry over ``grpc.aio``: :class:`provenance_client.Registry`'s
    twin for asyncio code, with the same arguments.

    Args:
        url: ``https://host:port`` (TLS), or ``http://host:port`` (plaintext: with a token, only
            to a loopback address).
        token: an access token. Over TLS it travels as ``grpc.access_token_call_credentials``,
            only with the calls that need it; over loopback plaintext as ``authorization``
            metadata.
        timeout: seconds allowed for each unary call (streams have no deadline).
        root_certificates, client_cert, client_key: TLS only, PEM files (see ``Registry``).
        options: extra gRPC channel options.

    Every failed call raises the :class:`provenance_client.RegistryError` subclass of its status
    code (``NotFound``, ``InvalidArgument``, ...), with the server's message and details.
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
            self.channel: grpc.aio.Channel = grpc.aio.secure_channel(
                self.target, self._endpoint.credentials, options=self._endpoint.options
            )
        else:
            self.channel = grpc.aio.insecure_channel(self.target, options=self._endpoint.options)
        #: The generated service stubs on the asyncio channel (their calls are awaitable).
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

    async def close(self) -> None:
        """Close the channel; open watches end."""
        await self.channel.close(None)

    async def __aenter__(self) -> AsyncRegistry:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncRegistry({self.url!r}, token={'<set>' if self._endpoint.token else None})"

    def call_options(self, authenticated: bool = True) -> dict[str, Any]:
        """The keyword arguments that authenticate a call made through :attr:`stubs` directly
        (see ``Registry.call_options``)."""
        return self._endpoint.call_auth(authenticated)

    async def call(
        self,
        method: Callable[..., Awaitable[Response]],
        request: Any,
        *,
        authenticated: bool = True,
        timeout: float | None = None,
    ) -> Response:
        """Make a unary call through a generated stub with this client's token, timeout and error
        mapping, e.g. ``await registry.call(registry.stubs.datasets.GetDataset,
        pb.dataset_pb2.GetDatasetRequest(id=...))``.

        Raises:
            RegistryError: the subclass for the gRPC status, with the server's message.
        """
        try:
            return await method(
                request,
                timeout=self.timeout if timeout is None else timeout,
                **self._endpoint.call_auth(authenticated),
            )
        except grpc.RpcError as error:
            raise error_from_rpc(error) from None

    async def wait_until_ready(self, timeout: float | None = None) -> None:
        """Wait until the channel is connected.

        Raises:
            Unavailable: not connected within ``timeout`` seconds (default: the client's timeout).
        """
        try:
            await asyncio.wait_for(self.channel.channel_ready(), self.timeout if timeout is None else timeout)
        except asyncio.TimeoutError:
            raise Unavailable(f"{self.url} is not reachable", code=grpc.StatusCode.UNAVAILABLE) from None

    # -- keys and certificates -----------------------------------------------------------------

    async def jwks(self) -> dict[str, Any]:
        """The registry's public signing keys as a JWKS (see ``Registry.jwks``). Needs no token."""
        answer = await self.call(
            self.stubs.certificates.ListSigningKeys, pb.certificate_pb2.ListSigningKeysRequest(), authenticated=False
        )
        jwks: dict[str, Any] = json.loads(answer.jwks_json)
        return jwks

    async def verify(self, token: str, *, audience: str | None = None, as_of: datetime | None = None) -> Verification:
        """Ask the registry to verify a certificate (see ``Registry.verify``); needs no token."""
        request = verify_request(token, audience, as_of)
        answer = await self.call(self.stubs.certificates.VerifyCertificate, request, authenticated=False)
        return Verification.from_proto(answer)

    async def certificate(self, certificate_id: str, *, as_of: datetime | None = None) -> Certificate:
        """A certificate with its status and history (see ``Registry.certificate``)."""
        request = certificate_request(certificate_id, as_of)
        return Certificate.from_proto(await self.call(self.stubs.certificates.GetCertificate, request))

    # -- datasets, lineage, policies -----------------------------------------------------------

    async def dataset(self, dataset_id: str) -> Dataset:
        """One dataset with its sources (``GetDataset``)."""
        request = pb.dataset_pb2.GetDatasetRequest(id=dataset_id)
        return Dataset.from_proto(await self.call(self.stubs.datasets.GetDataset, request))

    async def lineage(
        self,
        dataset_id: str,
        *,
        direction: Literal["upstream", "downstream"] = "upstream",
        max_depth: int | None = None,
        page_size: int = _MAX_PAGE,
    ) -> Lineage:
        """The whole lineage walk from a dataset, every page fetched (see ``Registry.lineage``)."""
        request = lineage_request(dataset_id, direction, max_depth, page_size)
        nodes: list[LineageNode] = []
        total = hidden = 0
        while True:
            page = await self.call(self.stubs.lineage.GetLineage, request)
            nodes.extend(lineage_nodes(page))
            total, hidden = page.total_count, page.hidden_count
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        return Lineage(dataset_id, direction, nodes, total, hidden)

    async def evaluate(
        self,
        dataset_id: str,
        policy_id: str = DEFAULT_POLICY,
        *,
        policy_version: str = "",
        target_model: str | None = None,
        policies: Sequence[str] | None = None,
        all_policies: bool = False,
    ) -> Evaluation:
        """Judge a dataset's upstream lineage under a policy, or several at once (see
        ``Registry.evaluate``)."""
        request = evaluate_request(dataset_id, policy_id, policy_version, target_model, policies, all_policies)
        return Evaluation.from_proto(await self.call(self.stubs.policies.EvaluateDataset, request))

    # -- transparency log ----------------------------------------------------------------------

    async def checkpoint(self) -> pb.log_pb2.Checkpoint:
        """The log's newest signed checkpoint (see ``Registry.checkpoint``); needs no token."""
        answer: pb.log_pb2.Checkpoint = await self.call(
            self.stubs.log.GetCheckpoint, pb.log_pb2.GetCheckpointRequest(), authenticated=False
        )
        return answer

    async def inclusion_proof(
        self, *, leaf_index: int | None = None, event_sequence: int | None = None, tree_size: int = 0
    ) -> pb.log_pb2.InclusionProof:
        """One leaf's audit path (see ``Registry.inclusion_proof``); needs no token."""
        request = inclusion_request(leaf_index, event_sequence, tree_size)
        answer: pb.log_pb2.InclusionProof = await self.call(
            self.stubs.log.GetInclusionProof, request, authenticated=False
        )
        return answer

    async def consistency_proof(self, first_tree_size: int, second_tree_size: int) -> pb.log_pb2.ConsistencyProof:
        """A consistency proof between two tree sizes (see ``Registry.consistency_proof``)."""
        request = pb.log_pb2.GetConsistencyProofRequest(
            first_tree_size=first_tree_size, second_tree_size=second_tree_size
        )
        answer: pb.log_pb2.ConsistencyProof = await self.call(
            self.stubs.log.GetConsistencyProof, request, authenticated=False
        )
        return answer

    # -- revocations ---------------------------------------------------------------------------

    def watch_revocations(
        self, certificate_ids: Iterable[str] | str, *, after_sequence: int = 0
    ) -> AsyncRevocationWatch:
        """Watch the event log for the revocation of any of these certificates (``WatchEvents``):
        ``async for revocation in registry.watch_revocations(ids)``. The same semantics as
        ``Registry.watch_revocations``: past revocations replayed from ``after_sequence``, each
        certificate reported once, the iteration ends when all are reported, when the watch is
        closed (``await watch.close()``, or leaving ``async with``) or when the server ends the
        stream (``interrupted`` is then True: resume from ``last_sequence``).

        Raises:
            ValueError: an id is not a UUID.
            RegistryError: when iterating, if the stream fails.
        """
        ids = watched_ids(certificate_ids, after_sequence)
        call = self.stubs.events.WatchEvents(
            pb.event_pb2.WatchEventsRequest(after_sequence=after_sequence), **self._endpoint.call_auth(True)
        )
        return AsyncRevocationWatch(call, ids, after_sequence)


class AsyncRevocationWatch(AsyncIterator[Revocation]):
    """The async iterator :meth:`AsyncRegistry.watch_revocations` returns; an async context manager.

    Attributes:
        pending: the watched certificates not reported revoked yet.
        reported: the revocations yielded so far.
        last_sequence: the last event sequence read, for resuming after a disconnect.
        interrupted: True when the server ended the stream while certificates were still pending.
    """

    def __init__(self, call: Any, certificate_ids: set[str], after_sequence: int) -> None:
        self._call = call
        self._closed = False
        self.pending: set[str] = set(certificate_ids)
        self.reported: list[Revocation] = []
        self.last_sequence = after_sequence
        self.interrupted = False

    def __aiter__(self) -> AsyncRevocationWatch:
        return self

    async def __anext__(self) -> Revocation:
        while True:
            if self._closed or not self.pending:
                self._cancel()
                raise StopAsyncIteration
            try:
                event = await self._call.read()
            except asyncio.CancelledError:
                if self._closed:
                    raise StopAsyncIteration from None
                raise
            except grpc.RpcError as error:
                cancelled_by_us = self._closed and error.code() == grpc.StatusCode.CANCELLED
                self._cancel()
                if cancelled_by_us:
                    raise StopAsyncIteration from None
                raise error_from_rpc(error) from None
            if event is _EOF:
                self.interrupted = not self._closed
                self._cancel()
                raise StopAsyncIteration
            self.last_sequence = event.sequence
            revocation = take_revocation(event, self.pending)
            if revocation is not None:
                self.reported.append(revocation)
                return revocation

    def _cancel(self) -> None:
        self._closed = True
        self._call.cancel()

    async def close(self) -> None:
        """Stop watching: cancels the stream; safe more than once, and from another task."""
        self._cancel()

    async def __aenter__(self) -> AsyncRevocationWatch:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()
