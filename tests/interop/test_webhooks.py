"""Webhooks as a receiver sees them: signatures checked with the Standard Webhooks project's own
library (`standardwebhooks`), order and at-least-once delivery across a SIGKILL of the server, an
endpoint that was down catching up, a secret rotated mid-stream, and SSRF attempts refused without
anything being sent. Run on SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set (required when
CI=true).

The receiver is a plain HTTP server the test starts on 127.0.0.1.
"""

import http.server
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import grpc
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conftest import BINARY, auth, digest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "support"))
from server_process import serve, stop  # noqa: E402

PATIENCE = 40  # seconds; retries back off from 2.5-5 s and double


class Receiver:
    """Records every request; answers with `status` (and `location`, for redirects)."""

    def __init__(self, status=200):
        self.status = status
        self.location = ""
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("location", receiver.location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def received(self):
        with self.lock:
            return list(self.requests)

    def wait_for(self, what, done):
        deadline = time.time() + PATIENCE
        while time.time() < deadline:
            got = self.received()
            if done(got):
                return got
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {PATIENCE} s; got {len(self.received())} requests")

    def close(self):
        self.server.shutdown()


def sequence(body):
    return int(json.loads(body)["data"]["sequence"])


def distinct_sequences(requests):
    seen = []
    for _, body in requests:
        s = sequence(body)
        if s not in seen:
            seen.append(s)
    return seen


def postgres_database():
    """A fresh PostgreSQL database's URL, or None to run on SQLite."""
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI") == "true":
            raise AssertionError("CI=true: TEST_POSTGRES_URL is required for the PostgreSQL webhook cases")
        pytest.skip("TEST_POSTGRES_URL is not set")
    name = f"webhooks_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url):
    """Drops a database `postgres_database` made, so that runs leave none behind."""
    server = os.environ["TEST_POSTGRES_URL"]
    name = url.rsplit("/", 1)[1]
    subprocess.run(["psql", server, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True, capture_output=True)


class Registry:
    """A server process with the webhook loopback allowance (unless told otherwise)."""

    def __init__(self, backend, loopback=True):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="provenance-webhooks-"))
        self.database = ["--database-url", postgres_database()] if backend == "postgres" else []
        out = run_admin_with(self.dir, self.database, "create-org", "Acme", "--init")
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        self.admin = fields["admin_token"]
        self.serve_args = [*self.database, *(["--webhook-allow-loopback"] if loopback else [])]
        self.start()

    def start(self):
        self.process, address = serve(BINARY, self.dir, self.serve_args)
        self.channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(self.channel).result(timeout=30)

    def kill(self):
        self.channel.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        self.channel.close()
        stop(self.process, self.dir)
        if self.database:
            drop_postgres_database(self.database[1])


def run_admin_with(data_dir, options, *args):
    result = subprocess.run(
        [str(BINARY), "--data-dir", str(data_dir), *options, "admin", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def registry(backend):
    r = Registry(backend)
    yield r
    r.stop()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def hooks(pb, registry):
    return pb.webhook_pb2_grpc.WebhookServiceStub(registry.channel)


def create_webhook(pb, registry, url, types=("dataset.registered",)):
    return hooks(pb, registry).CreateWebhook(
        pb.webhook_pb2.CreateWebhookRequest(
            webhook=pb.webhook_pb2.Webhook(url=url, event_types=list(types), description="procurement")
        ),
        metadata=auth(registry.admin),
    )


def register(pb, registry, name, channel=None):
    stub = pb.dataset_pb2_grpc.DatasetServiceStub(channel or registry.channel)
    return stub.RegisterDataset(
        pb.dataset_pb2.RegisterDatasetRequest(name=name, version="1", content_digest=digest(name)),
        metadata=auth(registry.admin),
    ).dataset


def verify(secret, headers, body):
    """The payload as standardwebhooks verified it (raises on a bad signature)."""
    return Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})


def test_deliveries_verify_with_the_standard_webhooks_library_and_carry_the_logged_event(pb, registry, receiver):
    created = create_webhook(pb, registry, receiver.url)
    assert created.secret.startswith("whsec_")
    names = [f"signed-{n}" for n in range(5)]
    for name in names:
        register(pb, registry, name)
    got = receiver.wait_for("five deliveries", lambda r: len(r) >= 5)
    events = pb.event_pb2_grpc.EventServiceStub(registry.channel).ListEvents(
        pb.event_pb2.ListEventsRequest(page_size=1000), metadata=auth(registry.admin)
    ).events
    by_sequence = {e.sequence: e for e in events}
    sequences = distinct_sequences(got)
    assert sequences == sorted(sequences)
    for headers, body in got:
        payload = verify(created.secret, headers, body)
        assert payload["type"] == "dataset.registered"
        event = by_sequence[int(payload["data"]["sequence"])]
        assert payload["data"]["hash"] == event.hash
        assert payload["data"]["prevHash"] == event.prev_hash
        assert payload["data"]["payloadJson"] == event.payload_json
        assert headers["webhook-id"].startswith("msg_")
    # A changed body, or a wrong secret, does not verify.
    headers, body = got[0]
    with pytest.raises(WebhookVerificationError):
        verify(created.secret, headers, body.replace(b"dataset", b"datasat"))
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "QUJD" * 8, headers, body)


def test_after_sigkill_with_deliveries_pending_every_event_arrives_at_least_once_in_order(pb, registry):
    receiver = Receiver(status=503)
    try:
        created = create_webhook(pb, registry, receiver.url)
        ids = [register(pb, registry, f"killed-{n}").id for n in range(15)]
        receiver.wait_for("a first attempt", lambda r: len(r) >= 1)
        registry.kill()
        receiver.status = 200
        registry.start()
        got = receiver.wait_for("every event", lambda r: len(distinct_sequences(r)) >= 15)
        sequences = distinct_sequences(got)
        assert sequences == sorted(sequences), sequences
        delivered = set()
        for headers, body in got:
            payload = verify(created.secret, headers, body)
            delivered.add(json.loads(payload["data"]["payloadJson"])["id"])
        assert set(ids) <= delivered
    finally:
        receiver.close()


def test_an_endpoint_down_for_a_while_catches_up_in_order(pb, registry):
    receiver = Receiver(status=500)
    try:
        created = create_webhook(pb, registry, receiver.url)
        for n in range(4):
            register(pb, registry, f"down-{n}")
        first = receiver.wait_for("a failed attempt", lambda r: len(r) >= 1)
        first_id = first[0][0]["webhook-id"]
        receiver.status = 200
        got = receiver.wait_for("the catch-up", lambda r: len(distinct_sequences(r)) >= 4)
        sequences = distinct_sequences(got)
        assert sequences == sorted(sequences)
        assert sum(1 for h, _ in got if h["webhook-id"] == first_id) >= 2, "retried under the same id"
        for headers, body in got:
            verify(created.secret, headers, body)
    finally:
        receiver.close()


def test_a_secret_rotated_mid_stream_keeps_every_delivery_verifiable(pb, registry, receiver):
    created = create_webhook(pb, registry, receiver.url)
    register(pb, registry, "before-rotation")
    receiver.wait_for("one delivery", lambda r: len(r) >= 1)
    rotated = hooks(pb, registry).RotateWebhookSecret(
        pb.webhook_pb2.RotateWebhookSecretRequest(id=created.webhook.id, grace_period={"seconds": 3600}),
        metadata=auth(registry.admin),
    )
    register(pb, registry, "after-rotation")
    got = receiver.wait_for("two deliveries", lambda r: len(r) >= 2)
    # During the grace period a receiver that still holds the old secret and one that already
    # switched both verify the new delivery (two signatures, separated by a space).
    headers, body = got[1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(created.secret, headers, body)
    verify(rotated.secret, headers, body)
    # The delivery before the rotation verifies with the old secret only.
    with pytest.raises(WebhookVerificationError):
        verify(rotated.secret, *got[0])


def test_ssrf_attempts_are_refused_and_nothing_is_sent(pb, backend):
    strict = Registry(backend, loopback=False)
    receiver = Receiver()
    try:
        for url in [
            receiver.url,  # plain http to loopback
            f"https://127.0.0.1:{receiver.port}/hook",
            f"https://localhost:{receiver.port}/hook",  # a name that resolves to loopback
            "https://10.0.0.1/hook",
            "https://192.168.0.10/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00:ec2::254]/latest/meta-data/",
            "https://100.100.100.200/",
            "https://[::ffff:127.0.0.1]/",
        ]:
            with pytest.raises(grpc.RpcError) as refused:
                create_webhook(pb, strict, url)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, url
            assert "webhook.url" in refused.value.details(), url
        listed = hooks(pb, strict).ListWebhooks(pb.webhook_pb2.ListWebhooksRequest(), metadata=auth(strict.admin))
        assert len(listed.webhooks) == 0
        assert receiver.received() == []
    finally:
        receiver.close()
        strict.stop()


def test_redirects_are_not_followed(pb, registry):
    target = Receiver()
    redirecting = Receiver(status=302)
    redirecting.location = target.url
    try:
        created = create_webhook(pb, registry, redirecting.url)
        register(pb, registry, "redirected")
        redirecting.wait_for("an attempt", lambda r: len(r) >= 1)
        deadline = time.time() + PATIENCE
        while True:
            deliveries = hooks(pb, registry).ListDeliveries(
                pb.webhook_pb2.ListDeliveriesRequest(webhook_id=created.webhook.id), metadata=auth(registry.admin)
            ).deliveries
            tried = [d for d in deliveries if d.attempts > 0]
            if tried:
                break
            assert time.time() < deadline
            time.sleep(0.05)
        assert tried[0].last_status_code == 302
        assert tried[0].state == pb.webhook_pb2.DELIVERY_STATE_PENDING
        assert target.received() == []
    finally:
        target.close()
        redirecting.close()
