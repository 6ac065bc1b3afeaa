"""Fixtures: stubs generated from the repository's proto files, a real server process, and the
path of the provctl binary, whose JSON output test_provctl_json.py compares with protobuf's.

Nothing here imports the server's code: the tests see only what any other client sees, the proto
files and the network.
"""

import hashlib
import importlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import grpc
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from server_process import serve_logged, stop  # noqa: E402

BINARY = pathlib.Path(os.environ.get("PROVENANCE_BIN", REPO / "target" / "debug" / "provenance-registry"))
# The command-line client, whose --output json is checked against protobuf's own JSON printer.
PROVCTL = pathlib.Path(os.environ.get("PROVCTL_BIN", REPO / "target" / "debug" / "provctl"))


@pytest.fixture(scope="session")
def pb():
    """The generated modules, as a namespace: pb.dataset_pb2, pb.dataset_pb2_grpc, ..."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="provenance-stubs-"))
    protos = sorted(str(p.relative_to(REPO / "proto")) for p in (REPO / "proto").rglob("*.proto"))
    from grpc_tools import protoc

    # grpc_tools ships the well-known types (timestamp, duration); include them explicitly.
    well_known = pathlib.Path(protoc.__file__).parent / "_proto"
    code = protoc.main(
        ["protoc", f"-I{REPO / 'proto'}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}", *protos]
    )
    assert code == 0, "protoc failed on the repository's proto files"
    sys.path.insert(0, str(out))

    class Modules:
        pass

    modules = Modules()
    for name in ["common", "organization", "dataset", "lineage", "event", "policy", "attestation", "certificate", "log", "webhook"]:
        setattr(modules, f"{name}_pb2", importlib.import_module(f"provenance.v1.{name}_pb2"))
        setattr(modules, f"{name}_pb2_grpc", importlib.import_module(f"provenance.v1.{name}_pb2_grpc"))
    yield modules
    shutil.rmtree(out, ignore_errors=True)


def run_admin(data_dir, *args):
    result = subprocess.run(
        [str(BINARY), "--data-dir", str(data_dir), "admin", *args], capture_output=True, text=True, check=True
    )
    return result.stdout


class Server:
    """A `provenance-registry serve` process on a free port with its own data directory."""

    def __init__(self, extra_args=()):
        if not BINARY.exists():
            subprocess.run(["cargo", "build", "--bin", "provenance-registry"], cwd=REPO, check=True)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="provenance-data-"))
        # A new registry: the first admin command creates it (--init), as the server's first start would.
        out = run_admin(self.dir, "create-org", "Acme", "--init")
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        self.org_id = fields["organization_id"]
        self.admin_token = fields["admin_token"]
        self.operator_token = run_admin(self.dir, "operator-token").strip()
        self.process, self.fields = serve_logged(BINARY, self.dir, extra_args)
        self.address = self.fields["address"]
        self.channel = grpc.insecure_channel(self.address)
        grpc.channel_ready_future(self.channel).result(timeout=30)

    def stop(self):
        self.channel.close()
        stop(self.process, self.dir)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


def auth(token):
    """Call metadata carrying a bearer token."""
    return (("authorization", f"Bearer {token}"),)


def digest(seed):
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
