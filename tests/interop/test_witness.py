"""Witness cosignatures checked by a verifier written from the C2SP specifications
(tlog-cosignature, tlog-witness, signed-note), with `cryptography`'s Ed25519: two `provctl witness
serve` processes cosign the registry's checkpoints, and the cosigned checkpoint the registry
publishes at /checkpoint carries cosignature/v1 lines that verify with the witnesses' keys. The
witness is also driven directly with request bodies built from the spec."""

import base64
import hashlib
import pathlib
import shutil
import signal
import subprocess
import tempfile

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import BINARY, PROVCTL, Server, digest
from server_process import serve, stop
from tlog_spec import EM_DASH, parse_checkpoint, split_note, verify_note

COSIGNATURE_V1 = 0x04


def cosigner_key_id(name, public_key):
    """tlog-cosignature: SHA-256(name || "\\n" || 0x04 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def parse_cosigner_vkey(text):
    name, kid, key = text.split("+", 2)
    raw = base64.b64decode(key, validate=True)
    assert raw[0] == COSIGNATURE_V1 and len(raw) == 33, "an Ed25519 cosignature/v1 verifier key"
    assert bytes.fromhex(kid) == cosigner_key_id(name, raw[1:])
    return name, raw[1:]


def cosignatures(note, witnesses):
    """{name: timestamp} of the cosignature/v1 lines by `witnesses` ([(name, key)]) that verify;
    a line by a trusted name and key ID that does not verify raises."""
    body, lines = split_note(note)
    found = {}
    for name, key in witnesses:
        kid = cosigner_key_id(name, key)
        for line_name, line_kid, payload in lines:
            if (line_name, line_kid) != (name, kid):
                continue
            assert len(payload) == 8 + 64, "timestamp and Ed25519 signature"
            timestamp = int.from_bytes(payload[:8], "big")
            assert 0 < timestamp < 2**63
            message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
            Ed25519PublicKey.from_public_bytes(key).verify(payload[8:], message)
            found[name] = timestamp
    return found


class Witness:
    def __init__(self, directory, name, log_vkey):
        self.name = name
        self.process = subprocess.Popen(
            [
                str(PROVCTL), "witness", "serve", "--listen", "127.0.0.1:0", "--name", name,
                "--key-file", str(directory / f"{name.replace('/', '_')}.key"),
                "--state", str(directory / f"{name.replace('/', '_')}.state"),
                "--log", log_vkey,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.address = self.process.stdout.readline().strip().removeprefix("listening on ")
        self.vkey = self.process.stdout.readline().strip().removeprefix("witness key ")
        self.key = parse_cosigner_vkey(self.vkey)

    def post(self, body):
        return requests.post(f"http://{self.address}/add-checkpoint", data=body.encode(), timeout=10)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)


def register(server, name):
    answer = requests.post(
        f"http://{server.address}/v1/datasets:batchRegister",
        json={"registrations": [{"ref": "r", "dataset": {"name": name, "version": "1", "contentDigest": digest(name)}}]},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_witnesses_cosign_the_published_checkpoint_as_the_spec_says():
    first = Server()
    log_vkey = subprocess.run(
        [str(PROVCTL), "--url", f"http://{first.address}", "log", "key"], capture_output=True, text=True, check=True
    ).stdout.strip()
    log_name, kid, log_key = log_vkey.split("+", 2)
    log_key = base64.b64decode(log_key)[1:]
    # Restarted on the same data with two witnesses.
    first.channel.close()
    first.process.terminate()
    first.process.wait(timeout=20)
    directory = pathlib.Path(tempfile.mkdtemp(prefix="provenance-witnesses-"))
    witnesses = [Witness(directory, f"w{i}.example/interop", log_vkey) for i in (1, 2)]
    args = ["--witness-allow-loopback"]
    for w in witnesses:
        args += ["--witness", f"{w.vkey}=http://{w.address}"]
    process, first.address = serve(BINARY, first.dir, args)
    try:
        register(first, "witnessed-1")
        note = requests.get(f"http://{first.address}/checkpoint", timeout=30).text
        body = verify_note(note, log_name, log_key)
        origin, size, root, _ = parse_checkpoint(body)
        assert origin == log_name and size >= 1
        found = cosignatures(note, [w.key for w in witnesses])
        assert set(found) == {w.name for w in witnesses}, note

        # The witness, driven from the spec: a stale old size gets 409 and its size.
        own = [line for line in note.rstrip("\n").rpartition("\n\n")[2].split("\n") if line.startswith(f"{EM_DASH} {log_name} ")]
        bare = body + "\n" + "\n".join(own) + "\n"
        answer = witnesses[0].post(f"old 0\n\n{bare}")
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "text/x.tlog.size"
        assert answer.text == f"{size}\n"
        # The same checkpoint at its own size: 200 and one cosignature/v1 line that verifies.
        answer = witnesses[0].post(f"old {size}\n\n{bare}")
        assert answer.status_code == 200, answer.text
        assert answer.text.startswith(f"{EM_DASH} {witnesses[0].name} ") and answer.text.endswith("\n")
        assert set(cosignatures(bare + answer.text, [witnesses[0].key])) == {witnesses[0].name}
        # An old size of zero with a proof line: 409 first (the size is checked before the proof).
        answer = witnesses[0].post(f"old 0\n{base64.b64encode(bytes(32)).decode()}\n\n{bare}")
        assert answer.status_code == 409
        # A forged root at the cosigned size: the signature no longer verifies, 403.
        forged = bare.replace(base64.b64encode(root).decode(), base64.b64encode(bytes(32)).decode(), 1)
        assert witnesses[0].post(f"old {size}\n\n{forged}").status_code == 403
    finally:
        for w in witnesses:
            w.stop()
        stop(process, first.dir)
        shutil.rmtree(directory, ignore_errors=True)
