"""What the wheel carries: CI runs the suite with the wheel installed (PROVENANCE_CLIENT_FROM_WHEEL=1),
and then the package must come from site-packages, not the source tree, with its typed stubs."""

from __future__ import annotations

import importlib.resources
import os
import pathlib

import pytest

import provenance_client
from provenance_client import pb

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "src"


@pytest.mark.skipif(not os.environ.get("PROVENANCE_CLIENT_FROM_WHEEL"), reason="only when CI installed the wheel")
def test_the_package_under_test_is_the_installed_wheel():
    location = pathlib.Path(provenance_client.__file__).resolve()
    assert SOURCE not in location.parents, f"imported from the source tree: {location}"
    assert "site-packages" in location.parts


def test_the_package_ships_its_typed_stubs_and_the_log_service():
    package = importlib.resources.files("provenance_client")
    assert package.joinpath("py.typed").is_file()
    stubs = package.joinpath("_proto", "provenance", "v1")
    for module in ("certificate_pb2", "log_pb2", "event_pb2"):
        assert stubs.joinpath(f"{module}.pyi").is_file()
        assert stubs.joinpath(f"{module}_grpc.pyi").is_file()
    assert pb.log_pb2_grpc.TransparencyLogServiceStub is not None
