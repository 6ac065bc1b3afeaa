"""The shared verification cases of tests/data/verification_vectors.json, which the Rust suites read
too (crates/provenance-api/tests/shared_vectors.rs, crates/transparency-log/tests/shared_vectors.rs,
provctl's bundle tests): the Python verifiers must give each case its expected verdict and check
names, so both sides agree case by case."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime, timezone
from typing import Any

import pytest

from provenance_client import (
    BundleError,
    CheckpointError,
    LogKey,
    ProofError,
    hash_leaf,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
    verify_offline,
)

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "data" / "verification_vectors.json"
CASES: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))


def ids(section: str) -> list[str]:
    return [case["name"] for case in CASES[section]]


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def test_every_section_has_cases_that_pass_and_cases_that_fail():
    for section in ("certificates", "inclusion_proofs", "consistency_proofs", "checkpoints", "bundles"):
        outcomes = {json.dumps(case["expect"], sort_keys=True) for case in CASES[section]}
        assert len(outcomes) >= 3, section


@pytest.mark.parametrize("case", CASES["certificates"], ids=ids("certificates"))
def test_certificate(case):
    result = verify_offline(case["token"], case["jwks"], audience=case["audience"], at=moment(case["at"]))
    assert [[c.name, c.passed] for c in result.checks] == case["expect"]["checks"]
    assert result.valid is case["expect"]["valid"]
    assert (result.claims is not None) == all(passed for _, passed in case["expect"]["checks"][:5])


@pytest.mark.parametrize("case", CASES["inclusion_proofs"], ids=ids("inclusion_proofs"))
def test_inclusion_proof(case):
    args = (
        hash_leaf(bytes.fromhex(case["leaf_data"])),
        case["leaf_index"],
        case["tree_size"],
        [bytes.fromhex(h) for h in case["hashes"]],
        bytes.fromhex(case["root"]),
    )
    if case["expect"] == "ok":
        verify_inclusion(*args)
    else:
        with pytest.raises(ProofError) as refused:
            verify_inclusion(*args)
        assert refused.value.code == case["expect"]


@pytest.mark.parametrize("case", CASES["consistency_proofs"], ids=ids("consistency_proofs"))
def test_consistency_proof(case):
    args = (
        case["first_size"],
        case["second_size"],
        [bytes.fromhex(h) for h in case["hashes"]],
        bytes.fromhex(case["first_root"]),
        bytes.fromhex(case["second_root"]),
    )
    if case["expect"] == "ok":
        verify_consistency(*args)
    else:
        with pytest.raises(ProofError) as refused:
            verify_consistency(*args)
        assert refused.value.code == case["expect"]


def _open(case: dict[str, Any]):
    return LogKey.from_vkey(case["verifier_key"]).open_checkpoint(case["note"], check_origin=False)


@pytest.mark.parametrize("case", CASES["checkpoints"], ids=ids("checkpoints"))
def test_checkpoint(case):
    if isinstance(case["expect"], dict):
        checkpoint = _open(case)
        assert {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": checkpoint.root.hex(),
            "extensions": list(checkpoint.extensions),
        } == case["expect"]
    else:
        with pytest.raises(CheckpointError) as refused:
            _open(case)
        assert refused.value.code == case["expect"]


@pytest.mark.parametrize("case", CASES["bundles"], ids=ids("bundles"))
def test_bundle(case):
    def run():
        return verify_bundle(case["bundle"], log_key=case["log_key"], audience=case["audience"], at=moment(case["at"]))

    if "error" in case["expect"]:
        with pytest.raises(BundleError, match=case["expect"]["error"]):
            run()
        return
    result = run()
    assert [[c.name, c.passed] for c in result.checks] == case["expect"]["checks"]
    assert result.valid is case["expect"]["valid"]


def test_a_bundle_reads_from_its_json_text_as_from_its_value():
    case = CASES["bundles"][0]
    from_text = verify_bundle(json.dumps(case["bundle"]), audience=case["audience"], at=moment(case["at"]))
    assert from_text.valid and [c.name for c in from_text.checks] == [n for n, _ in case["expect"]["checks"]]
