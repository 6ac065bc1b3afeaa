"""The Python verifiers and provctl give the same verdicts on evidence the real registry produced: a
bundle written by `provctl cert bundle`, as it is and tampered, checked by `provctl cert verify
--offline` and `verify_bundle`; a proof written by `provctl log prove`, checked by `provctl log
verify` and `verify_log`.

Needs provctl ($PROVCTL_BIN, by default <repo>/target/debug/provctl): skipped without it, except in
CI (CI=true), where a missing provctl fails the suite.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import tempfile
from typing import Any

import pytest

from provenance_client import LogKey, verify_bundle, verify_log

REPO = pathlib.Path(__file__).resolve().parents[3]
PROVCTL = pathlib.Path(os.environ.get("PROVCTL_BIN", REPO / "target" / "debug" / "provctl"))


@pytest.fixture(scope="module")
def provctl_binary() -> pathlib.Path:
    if not PROVCTL.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"provctl is missing at {PROVCTL}: CI builds it (cargo build -p provctl)")
        pytest.skip(f"provctl is not built at {PROVCTL} (cargo build -p provctl, or set PROVCTL_BIN)")
    return PROVCTL


def provctl(binary: pathlib.Path, server: Any, *args: str, token: str | None = None) -> tuple[int, Any]:
    with tempfile.TemporaryDirectory() as config_home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
        env.update(XDG_CONFIG_HOME=config_home, PROVENANCE_URL=server.url)
        if token:
            env["PROVENANCE_TOKEN"] = token
        run = subprocess.run(
            [str(binary), "--output", "json", *args], capture_output=True, text=True, env=env, timeout=120
        )
    # 9: a certificate that does not verify; 10: log evidence that does not.
    assert run.returncode in (0, 9, 10), f"provctl {' '.join(args)}: {run.returncode}\n{run.stderr}"
    return run.returncode, json.loads(run.stdout) if run.stdout.strip() else None


def split(checks: list[Any]) -> tuple[list[tuple[str, bool]], list[str]]:
    """provctl's partition: the checks made (name, passed), and the names of those not made."""
    made = [(c.name, c.passed) for c in checks if not c.detail.startswith("not checked")]
    not_made = [c.name for c in checks if c.detail.startswith("not checked")]
    return made, not_made


def test_bundles_get_the_same_verdict_from_provctl_and_python(provctl_binary, server, vendor, tmp_path):
    _, _, certificate = vendor.certified_dataset("bundled")
    path = tmp_path / "bundle.json"
    provctl(provctl_binary, server, "cert", "bundle", certificate.id, "--out", str(path), token=server.vendor_admin)
    original = json.loads(path.read_text())
    assert original["log"] is not None, "the bundle should carry the log's evidence"

    edited_summary = copy.deepcopy(original)
    edited_summary["certificate"]["verdict"] = "EXEMPT"
    altered_proof = copy.deepcopy(original)
    hashes = altered_proof["log"]["inclusion"]["hashes"]
    if hashes:
        hashes[0] = "00" * 32
    else:
        altered_proof["log"]["inclusion"]["leaf_data"] = "00" * 32
    altered_event = copy.deepcopy(original)
    altered_event["log"]["issuance_event"]["subject"] = "certificates/" + "0" * 8 + "-0000-7000-8000-" + "0" * 12
    header, payload, signature = original["token"].split(".")
    altered_token = copy.deepcopy(original)
    altered_token["token"] = f"{header}.{payload}x.{signature}"

    cases = {
        "as bundled": (original, True),
        "summary edited": (edited_summary, False),
        "proof altered": (altered_proof, False),
        "issuance event altered": (altered_event, False),
        "token altered": (altered_token, False),
    }
    for name, (bundle, valid) in cases.items():
        path.write_text(json.dumps(bundle))
        code, report = provctl(provctl_binary, server, "cert", "verify", str(path), "--offline")
        ours = verify_bundle(bundle)
        made, not_made = split(ours.checks)
        assert [(c["name"], c["passed"]) for c in report["checks"]] == made, name
        assert [c["name"] for c in report["notChecked"]] == not_made, name
        assert report["valid"] is ours.valid is valid, name
        assert code == (0 if valid else 9), name


def test_log_proofs_get_the_same_verdict_from_provctl_and_python(provctl_binary, server, vendor, tmp_path):
    vendor.certified_dataset("proved")
    key_file, proof_file = tmp_path / "log.vkey", tmp_path / "proof.json"
    provctl(provctl_binary, server, "log", "key", "--out", str(key_file))
    key = LogKey.from_vkey(key_file.read_text().strip())
    provctl(provctl_binary, server, "log", "prove", "--leaf", "1", "--out", str(proof_file))
    proof = json.loads(proof_file.read_text())
    tampered = copy.deepcopy(proof)
    tampered["leaf_data"] = "00" * 32
    for name, inclusion, verified in (("as proved", proof, True), ("leaf data altered", tampered, False)):
        proof_file.write_text(json.dumps(inclusion))
        _, report = provctl(
            provctl_binary, server, "log", "verify", "--key", str(key_file), "--inclusion", str(proof_file)
        )
        ours = verify_log(key, inclusion=inclusion)
        assert [(c["name"], c["passed"]) for c in report["checks"]] == [(c.name, c.passed) for c in ours.checks], name
        assert [c["name"] for c in report["notChecked"]] == [c.name for c in ours.not_checked], name
        assert report["verified"] is ours.verified is verified, name
