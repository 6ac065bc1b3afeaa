"""The policies a certificate covers, as the client shows them: from verified claims (the shared
vectors' multi-policy and legacy certificates) and from GetCertificate's answer."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime, timezone
from typing import Any

from provenance_client import (
    OFFLINE_CHECKS,
    Certificate,
    CertifiedObligation,
    CertifiedPolicy,
    Verdict,
    pb,
    verify_offline,
)

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "data" / "verification_vectors.json"
CASES = {case["name"]: case for case in json.loads(VECTORS.read_text(encoding="utf-8"))["certificates"]}


def verified(name: str) -> Any:
    case = CASES[name]
    at = datetime.fromtimestamp(case["at"], tz=timezone.utc)
    return verify_offline(case["token"], case["jwks"], audience=case["audience"], at=at)


def test_the_policies_check_is_the_ninth_and_last_offline_check():
    assert OFFLINE_CHECKS[-1] == "policies" and len(OFFLINE_CHECKS) == 9


def test_a_certificate_of_four_policies_shows_each_with_its_verdict_and_obligations():
    result = verified("policies: four covered, EXEMPT with a target model, obligations met or applying")
    assert result.valid, result.reasons
    assert result.purpose == "NON_COMPETING"
    assert [str(p) for p in result.policies] == [
        "deepseek-r1-anti-distillation@2026-05-12 PROHIBITION CLEAN",
        "llama-2-community@2023-07-18 PROHIBITION EXEMPT",
        'llama-3.1-community@2024-07-23 NAMING_OBLIGATION CLEAN (NAME_PREFIX "Llama": MET, INHERITED_TERMS: APPLIES)',
        "openai-terms@2024-10-23 COMPETING_USE_PROHIBITION CLEAN (NO_COMPETING_USE: MET)",
    ]
    naming = result.policies[2]
    assert naming.verdict is Verdict.CLEAN and naming.clause_sha256 == "34" * 32
    assert naming.obligations == [
        CertifiedObligation("NAME_PREFIX", "MET", "Llama"),
        CertifiedObligation("INHERITED_TERMS", "APPLIES", ""),
    ]
    assert result.check("policies").detail == (
        "4 policies: deepseek-r1-anti-distillation@2026-05-12 CLEAN; llama-2-community@2023-07-18 EXEMPT; "
        'llama-3.1-community@2024-07-23 CLEAN, name begins with "Llama": met, bound by its terms; '
        "openai-terms@2024-10-23 CLEAN, no competing use: met"
    )


def test_a_certificate_issued_before_policies_were_listed_covers_its_one_policy():
    result = verified("policies: a certificate issued before policies were listed")
    assert result.valid, result.reasons
    assert result.policies == [
        CertifiedPolicy("deepseek-r1-anti-distillation", "2026-05-12", "ef" * 32, "", Verdict.CLEAN, [])
    ]
    assert result.purpose == ""
    assert result.check("policies").detail == "1 policy: deepseek-r1-anti-distillation@2026-05-12 CLEAN"


def test_a_failed_policies_check_says_which_policy_and_why():
    cases = {
        "policies: an empty list": "the policies claim lists no policy",
        "policies: 17 covered, more than 16": "the policies claim lists 17 policies, more than 16",
        "policies: the first is not the policy claim": (
            "the first of the policies claim is not the policy and verdict claims"
        ),
        "policies: a policy version listed twice": "llama-3.1-community@2024-07-23 is listed twice",
        "policies: a clause digest in upper-case hex": (
            "llama-2-community@2023-07-18: the clause digest is not 64 lower-case hex digits"
        ),
        "policies: a verdict CONTAMINATED": (
            'llama-2-community@2023-07-18: the verdict "CONTAMINATED" is not one a certificate is issued on'
        ),
        "policies: EXEMPT without a target model": "llama-2-community@2023-07-18: EXEMPT without a target model",
        "policies: a naming obligation UNMET": (
            "llama-3.1-community@2024-07-23: the obligation NAME_PREFIX is UNMET, not shown met"
        ),
        "policies: no competing use MET without a purpose": (
            "openai-terms@2024-10-23: the obligation NO_COMPETING_USE is MET, not shown met"
        ),
    }
    for name, detail in cases.items():
        result = verified(name)
        assert not result.valid and [c.name for c in result.failed_checks] == ["policies"], name
        assert result.check("policies").detail == detail, name
        # The claims are still returned: the signature verified; what they state is judged.
        assert result.claims is not None


def test_get_certificate_answers_the_covered_policies_and_the_purpose():
    message = pb.certificate_pb2.Certificate(
        id="c1",
        policy_id="llama-3.1-community",
        policy_version="2024-07-23",
        policies=[
            pb.certificate_pb2.CertifiedPolicy(
                policy_id="llama-3.1-community",
                policy_version="2024-07-23",
                clause_sha256="34" * 32,
                kind=pb.policy_pb2.POLICY_KIND_NAMING_OBLIGATION,
                verdict=pb.policy_pb2.VERDICT_CLEAN,
                obligations=[
                    pb.policy_pb2.Obligation(
                        kind=pb.policy_pb2.OBLIGATION_KIND_NAME_PREFIX,
                        status=pb.policy_pb2.OBLIGATION_STATUS_MET,
                        name_prefix="Llama",
                    )
                ],
            ),
            pb.certificate_pb2.CertifiedPolicy(
                policy_id="gemma",
                policy_version="2024-04-01",
                clause_sha256="78" * 32,
                kind=pb.policy_pb2.POLICY_KIND_INHERITED_TERMS,
                verdict=pb.policy_pb2.VERDICT_CLEAN,
                obligations=[
                    pb.policy_pb2.Obligation(
                        kind=pb.policy_pb2.OBLIGATION_KIND_INHERITED_TERMS,
                        status=pb.policy_pb2.OBLIGATION_STATUS_APPLIES,
                    )
                ],
            ),
        ],
        declared_purpose=pb.policy_pb2.PURPOSE_NON_COMPETING,
    )
    certificate = Certificate.from_proto(message)
    assert certificate.declared_purpose == "NON_COMPETING"
    assert certificate.policies == [
        CertifiedPolicy(
            "llama-3.1-community",
            "2024-07-23",
            "34" * 32,
            "NAMING_OBLIGATION",
            Verdict.CLEAN,
            [CertifiedObligation("NAME_PREFIX", "MET", "Llama")],
        ),
        CertifiedPolicy(
            "gemma",
            "2024-04-01",
            "78" * 32,
            "INHERITED_TERMS",
            Verdict.CLEAN,
            [CertifiedObligation("INHERITED_TERMS", "APPLIES", "")],
        ),
    ]
    assert Certificate.from_proto(pb.certificate_pb2.Certificate()).declared_purpose == "UNSPECIFIED"
