"""The asyncio client against the real server: the procurement flow (register, certify, verify
offline, watch for the revocation), typed errors with their details, and the transparency log
verified with a pinned key."""

from __future__ import annotations

import asyncio

import pytest

from conftest import unique
from provenance_client import (
    AsyncRegistry,
    CertificateStatus,
    InvalidArgument,
    LogKey,
    NotFound,
    ProofError,
    Registry,
    Unauthenticated,
    Verdict,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
    verify_offline,
)

WATCHDOG = 20.0  # seconds a watch may wait for a revocation before the test fails


async def test_the_async_procurement_flow(vendor, server, buyer_token):
    dataset, _, certificate = vendor.certified_dataset("async-procured")
    async with AsyncRegistry(server.url, token=buyer_token) as buyer:
        await buyer.wait_until_ready(10)
        jwks = await buyer.jwks()
        offline = verify_offline(certificate.token, jwks, audience=server.buyer_org)
        assert offline.valid, offline.reasons
        assert offline.certificate_id == certificate.id

        online = await buyer.verify(certificate.token, audience=server.buyer_org)
        assert online.valid and online.status is CertificateStatus.VALID
        # The offline checks are the registry's, by name and outcome.
        assert [(c.name, c.passed) for c in offline.checks] == [(c.name, c.passed) for c in online.checks][:9]

        read = await buyer.certificate(certificate.id)
        assert read.status is CertificateStatus.VALID and read.dataset_id == dataset.id
        # The dataset is the vendor's and private: the buyer cannot read it, its owner can.
        with pytest.raises(NotFound):
            await buyer.lineage(dataset.id)
        async with AsyncRegistry(server.url, token=server.vendor_admin) as owner:
            lineage = await owner.lineage(dataset.id)
            assert [n.dataset.id for n in lineage] == [dataset.id]
            assert (await owner.dataset(dataset.id)).name == dataset.name
            evaluation = await owner.evaluate(dataset.id)
            assert evaluation.verdict is Verdict.CLEAN

        async with buyer.watch_revocations([certificate.id]) as watch:
            revoker = asyncio.get_running_loop().run_in_executor(
                None, vendor.revoke, certificate.id, "supplier contract ended"
            )
            revocation = await asyncio.wait_for(watch.__anext__(), WATCHDOG)
            await revoker
        assert revocation.certificate_id == certificate.id
        assert revocation.reason == "supplier contract ended"
        assert watch.pending == set() and watch.last_sequence == revocation.sequence
        assert (await buyer.certificate(certificate.id)).status is CertificateStatus.REVOKED


async def test_a_watch_replays_and_ends_and_a_closed_watch_yields_nothing(vendor, server, buyer_token):
    _, _, revoked = vendor.certified_dataset("async-replayed")
    _, _, kept = vendor.certified_dataset("async-kept")
    vendor.revoke(revoked.id, "superseded")
    async with AsyncRegistry(server.url, token=buyer_token) as buyer:
        seen = [r async for r in buyer.watch_revocations(revoked.id)]
        assert [r.certificate_id for r in seen] == [revoked.id]

        watch = buyer.watch_revocations([kept.id])
        closer = asyncio.get_running_loop().call_later(0.5, lambda: asyncio.ensure_future(watch.close()))
        try:
            assert [r async for r in watch] == []  # closed while waiting: ends, no error
        finally:
            closer.cancel()
        assert watch.pending == {kept.id} and not watch.interrupted


async def test_async_errors_are_typed_and_carry_the_field(server, buyer_token):
    async with AsyncRegistry(server.url, token=buyer_token) as buyer:
        with pytest.raises(InvalidArgument) as bad:
            await buyer.dataset("not-a-uuid")
        assert bad.value.fields == ["id"] and "id" in bad.value.message
        with pytest.raises(NotFound):
            await buyer.dataset("0190a5c4-0000-7000-8000-00000000dead")
        with pytest.raises(ValueError, match="page_size"):
            await buyer.lineage("0190a5c4-0000-7000-8000-00000000dead", page_size=0)
    async with AsyncRegistry(server.url, token="not-a-token") as stranger:
        with pytest.raises(Unauthenticated):
            await stranger.dataset("0190a5c4-0000-7000-8000-00000000dead")
        with pytest.raises(Unauthenticated):
            async for _ in stranger.watch_revocations("0190a5c4-0000-7000-8000-00000000dead"):
                pass
    async with AsyncRegistry(server.url) as anonymous:
        assert (await anonymous.jwks())["keys"]  # needs no token
        with pytest.raises(ValueError, match="access token"):
            await anonymous.dataset("0190a5c4-0000-7000-8000-00000000dead")


@pytest.mark.parametrize("client", [Registry, AsyncRegistry])
def test_a_token_is_never_sent_in_plaintext_beyond_loopback(client):
    with pytest.raises(ValueError, match="plaintext"):
        client("http://registry.example:50051", token="secret")
    with pytest.raises(ValueError, match="plaintext"):
        client("http://10.0.0.1:50051", token="secret")
    with pytest.raises(ValueError, match="http://host:port"):
        client("ftp://127.0.0.1:1", token="secret")


async def test_the_log_is_verified_with_a_pinned_key_sync_and_async(vendor, server):
    vendor.certified_dataset("logged")
    async with AsyncRegistry(server.url) as registry:
        first = await registry.checkpoint()
        key = LogKey.from_vkey(first.verifier_key)
        opened = key.open_checkpoint(first.note)
        assert (opened.size, opened.root) == (first.tree_size, first.root_hash)
        assert opened.origin == first.origin and opened.time is not None

        last = opened.size - 1
        proof = await registry.inclusion_proof(leaf_index=last, tree_size=opened.size)
        hashes = list(proof.hashes)
        verify_inclusion(hash_leaf(proof.leaf_data), last, opened.size, hashes, opened.root)
        with pytest.raises(ProofError) as tampered:
            verify_inclusion(hash_leaf(b"\x00" * 32), last, opened.size, hashes, opened.root)
        assert tampered.value.code == "root_mismatch"
        by_sequence = await registry.inclusion_proof(event_sequence=last + 1, tree_size=opened.size)
        assert by_sequence.leaf_index == last

        vendor.register(unique("grows-the-log"))
        later = key.open_checkpoint((await registry.checkpoint()).note)
        assert later.size > opened.size
        consistency = await registry.consistency_proof(opened.size, later.size)
        verify_consistency(opened.size, later.size, list(consistency.hashes), opened.root, later.root)

        with pytest.raises(InvalidArgument) as bad:
            await registry.inclusion_proof(leaf_index=later.size + 10, tree_size=later.size)
        assert bad.value.fields

    with Registry(server.url) as registry:
        same = registry.checkpoint()
        assert key.open_checkpoint(same.note).size >= later.size
        proof = registry.consistency_proof(later.size, key.open_checkpoint(same.note).size)
        assert proof.first_tree_size == later.size


def test_the_async_client_has_the_sync_clients_methods_with_the_same_signatures():
    import inspect

    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_")
        }

    sync, async_ = public(Registry), public(AsyncRegistry)
    assert set(sync) <= set(async_), set(sync) - set(async_)
    for name, signature in sync.items():
        assert list(signature.parameters) == list(async_[name].parameters), name
        is_coroutine = inspect.iscoroutinefunction(getattr(AsyncRegistry, name))
        # Everything that talks to the registry is awaited; starting a watch is not (it is iterated).
        assert is_coroutine == (name not in {"call_options", "watch_revocations"}), name
