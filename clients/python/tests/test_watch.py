"""Watching revocations of a set of certificates on the buyer's event stream."""

from __future__ import annotations

import threading
import time

import pytest

from provenance_client import CertificateStatus, Registry, Unauthenticated

WATCHDOG = 20.0  # seconds: a watch that should have yielded by then is closed, failing the test


def test_the_watch_yields_exactly_the_watched_certificates_revoked(vendor, buyer):
    issued = [vendor.certified_dataset("watched") for _ in range(3)]
    (_, _, first), (_, second_attestation, second), (_, _, third) = issued
    _, _, unwatched = vendor.certified_dataset("unwatched")

    watch = buyer.watch_revocations([first.id, second.id, third.id])
    watchdog = threading.Timer(WATCHDOG, watch.close)
    watchdog.start()
    errors: list[BaseException] = []

    def revoke():
        try:
            time.sleep(0.3)  # let the watch reach the live part of the log
            vendor.revoke(unwatched.id, "not watched")  # must be filtered out
            vendor.revoke(first.id, "contract terminated")
            # The cascade: revoking the attestation a certificate rests on revokes it.
            vendor.revoke_attestation(second_attestation.id, "review found model outputs")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    revoker = threading.Thread(target=revoke)
    revoker.start()
    try:
        got = [next(watch), next(watch)]
    finally:
        watchdog.cancel()
        revoker.join(timeout=WATCHDOG)
    assert not errors, errors

    assert [r.certificate_id for r in got] == [first.id, second.id]
    assert got[0].reason == "contract terminated" and got[0].cause == f"certificates/{first.id}"
    assert got[1].cause == f"attestations/{second_attestation.id}"
    assert "review found model outputs" in got[1].reason
    assert all(r.audience_organization_id == vendor.buyer_org and r.organization_id == vendor.org for r in got)
    assert got[0].sequence < got[1].sequence == watch.last_sequence
    assert watch.pending == {third.id}

    watch.close()
    assert list(watch) == []  # closed: nothing more, no error
    assert buyer.certificate(third.id).status is CertificateStatus.VALID


def test_a_watch_replays_past_revocations_and_ends_when_all_are_reported(vendor, buyer):
    _, _, certificate = vendor.certified_dataset("replayed")
    vendor.revoke(certificate.id, "superseded by a new version")
    # From the start of the log: the revocation already happened, and nothing more can.
    with buyer.watch_revocations(f"certificates/{certificate.id}") as watch:
        got = list(watch)
    assert [(r.certificate_id, r.reason) for r in got] == [(certificate.id, "superseded by a new version")]
    # Resuming after it, there is nothing to replay: the watch waits until it is closed.
    resumed = buyer.watch_revocations([certificate.id], after_sequence=got[0].sequence)
    threading.Timer(0.5, resumed.close).start()
    started = time.monotonic()
    assert list(resumed) == []
    assert time.monotonic() - started < WATCHDOG


def test_breaking_out_cancels_the_stream_and_errors_are_mapped(server, vendor, buyer):
    _, _, a = vendor.certified_dataset("break")
    _, _, b = vendor.certified_dataset("break")
    vendor.revoke(a.id, "one")
    vendor.revoke(b.id, "two")
    watch = buyer.watch_revocations([a.id, b.id])
    for revocation in watch:
        assert revocation.certificate_id == a.id
        break
    watch.close()
    assert watch.pending == {b.id}

    with Registry(server.url, token="not-a-token") as stranger:
        with pytest.raises(Unauthenticated):
            next(stranger.watch_revocations([a.id]))
    with pytest.raises(ValueError):
        buyer.watch_revocations(["not-a-uuid"])


def test_a_server_shutdown_ends_the_watch_as_interrupted():
    from conftest import Server, Vendor

    own = Server()  # its own server, to stop it under the watch
    try:
        with Registry(own.url, token=own.vendor_admin) as registry:
            registry.wait_until_ready(30)
            vendor = Vendor(registry, own)
            _, _, gone = vendor.certified_dataset("gone")
            _, _, kept = vendor.certified_dataset("kept")
            vendor.revoke(gone.id, "replaced")
            watch = registry.watch_revocations([gone.id, kept.id])
            assert next(watch).certificate_id == gone.id  # the stream is live
            threading.Timer(0.3, own.stop).start()
            assert list(watch) == []
            assert watch.interrupted and watch.pending == {kept.id}
            assert watch.last_sequence > 0  # resume after it on the next start
    finally:
        own.stop()
