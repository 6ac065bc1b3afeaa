"""A backup restored into a new data directory, checked from the outside: the event chain read over
gRPC and recomputed with hashlib from event.proto's recipe, the transparency log's leaves read from
the entry tiles, its root recomputed (RFC 6962 MTH, tlog_spec.py) and compared with the checkpoint
signed before the backup, whose signature is checked with `cryptography` and the log key from the
restored server's JWKS. Nothing here uses the registry's code: only its API and its files."""

import pathlib
import shutil
import sqlite3
import subprocess
import tempfile
from types import SimpleNamespace

import grpc
import requests

from conftest import BINARY, auth, run_admin
from server_process import serve, stop
from test_tiles_monitor import log_key, register
from test_walkthrough import recompute_hash
from tlog_spec import leaf_hash, mth, parse_checkpoint, parse_entry_bundle, tile_path, tiles_of_level, verify_note


def all_events(pb, channel, token):
    events = pb.event_pb2_grpc.EventServiceStub(channel)
    found, after = [], 0
    while True:
        page = events.ListEvents(
            pb.event_pb2.ListEventsRequest(page_size=1000, after_sequence=after), metadata=auth(token)
        ).events
        if not page:
            return found
        found += page
        after = page[-1].sequence


def test_a_restored_backup_keeps_the_chain_and_the_signed_log_root(server, pb):
    register(server, 300, "backed-up")
    base = f"http://{server.address}"
    signed = requests.get(f"{base}/checkpoint", timeout=10).text
    original_key = log_key(server)

    work = pathlib.Path(tempfile.mkdtemp(prefix="provenance-backup-"))
    try:
        backup, restored = work / "backup", work / "restored"
        # Taken while the server serves; then restored into a new directory and served from there.
        run_admin(server.dir, "backup", str(backup))
        run_admin(restored, "restore", str(backup))
        process, address = serve(BINARY, restored)
        try:
            channel = grpc.insecure_channel(address)
            grpc.channel_ready_future(channel).result(timeout=30)
            restored_base = f"http://{address}"

            # The chain, end to end, from the events alone.
            events = all_events(pb, channel, server.operator_token)
            previous = "0" * 64
            for position, event in enumerate(events, start=1):
                assert event.sequence == position
                assert event.prev_hash == previous
                assert event.hash == recompute_hash(event)
                previous = event.hash
            assert sum(e.type == "dataset.registered" for e in events) == 300

            # The log: the same key, and the checkpoint signed before the backup verifies over the
            # root of the restored leaves, which are the events' chain hashes.
            public_key = log_key(SimpleNamespace(address=address))
            assert public_key == original_key
            origin = signed.split("\n", 1)[0]
            _, size, root, _ = parse_checkpoint(verify_note(signed, origin, public_key))
            assert size == len(events)
            leaves = []
            for n, width in tiles_of_level(size):
                answer = requests.get(f"{restored_base}/{tile_path('entries', n, width)}", timeout=10)
                assert answer.status_code == 200, answer.text
                leaves += parse_entry_bundle(answer.content, width)
            assert leaves == [bytes.fromhex(e.hash) for e in events]
            assert mth([leaf_hash(leaf) for leaf in leaves]) == root

            # The restored server answers with the very checkpoint it signed before the backup.
            assert requests.get(f"{restored_base}/checkpoint", timeout=10).text == signed
            channel.close()
        finally:
            stop(process, restored)

        # A changed event in a copy of the backup is refused by restore, and nothing is restored.
        tampered = work / "tampered"
        shutil.copytree(backup, tampered)
        db = sqlite3.connect(tampered / "registry.db")
        guard = db.execute("SELECT sql FROM sqlite_master WHERE name = 'events_immutable'").fetchone()[0]
        db.executescript(
            f"DROP TRIGGER events_immutable; UPDATE events SET subject = subject || 'x' WHERE sequence = 5; {guard};"
        )
        db.close()
        target = work / "refused"
        outcome = subprocess.run(
            [str(BINARY), "--data-dir", str(target), "admin", "restore", str(tampered)],
            capture_output=True,
            text=True,
        )
        assert outcome.returncode != 0
        assert "event 5 has a hash that does not match" in outcome.stderr, outcome.stderr
        assert not target.exists()
    finally:
        shutil.rmtree(work, ignore_errors=True)
