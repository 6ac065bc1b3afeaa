"""The policies a certificate covers, as the client shows them: from verified claims (the shared
vectors' multi-policy and legacy certificates) and from GetCertificate's answer."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime, timezone
from typing import Any

from conftest import digest, unique
from provenance_client import (
    OFFLINE_CHECKS,
    Certificate,
    CertifiedObligation,
    CertifiedPolicy,
    Verdict,
    pb,
    verify_offline,
)

LLAMA_2 = "llama-2-community-license"
LLAMA_3_1 = "llama-3.1-community-license"
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


def test_a_certificate_the_registry_issued_under_two_policies_verifies_each_offline_and_online(vendor, buyer):
    """Llama 3.1 dialogues, certified under the Llama 3.1 licence (its naming obligation met by the
    target model) and the Llama 2 one: both verifiers pass the policies check and show the same
    covered policies as GetCertificate."""
    llama_outputs = pb.dataset_pb2.Source(
        kind=pb.dataset_pb2.SOURCE_KIND_MODEL_GENERATED,
        model=pb.dataset_pb2.ModelRef(model_id="meta-llama/Llama-3.1-8B-Instruct"),
    )
    dialogues = vendor.register(unique("dialogues"), sources=[llama_outputs])
    stubs = vendor.registry.stubs
    for policy in (LLAMA_3_1, LLAMA_2):
        vendor.registry.call(
            stubs.attestations.RecordAttestation,
            pb.attestation_pb2.RecordAttestationRequest(
                dataset_id=dialogues.id,
                policy_id=policy,
                method=pb.attestation_pb2.ATTESTATION_METHOD_MANUAL_REVIEW,
                statement="Reviewed: Llama 3.1 outputs, for a model named Llama.",
                evidence=[pb.attestation_pb2.Evidence(uri="https://evidence.example/r", content_digest=digest("r"))],
            ),
        )
    issued = Certificate.from_proto(
        vendor.registry.call(
            stubs.certificates.IssueCertificate,
            pb.certificate_pb2.IssueCertificateRequest(
                dataset_id=dialogues.id,
                policies=[pb.policy_pb2.PolicyRef(id=LLAMA_3_1), pb.policy_pb2.PolicyRef(id=LLAMA_2)],
                target_model="Llama-3.1-Acme-8B",
                declared_purpose=pb.policy_pb2.PURPOSE_NON_COMPETING,
                audience_organization_id=vendor.buyer_org,
            ),
        )
    )
    assert [(p.policy_id, p.kind, p.verdict) for p in issued.policies] == [
        (LLAMA_3_1, "NAMING_OBLIGATION", Verdict.CLEAN),
        (LLAMA_2, "PROHIBITION", Verdict.CLEAN),
    ]
    assert issued.policies[0].obligations == [CertifiedObligation("NAME_PREFIX", "MET", "Llama")]
    assert issued.declared_purpose == "NON_COMPETING"

    offline = verify_offline(issued.token, vendor.registry.jwks(), audience=vendor.buyer_org)
    assert offline.valid, offline.reasons
    assert offline.policies == issued.policies
    assert offline.purpose == "NON_COMPETING"
    detail = offline.check("policies").detail
    assert detail.startswith(f"2 policies: {LLAMA_3_1}@") and 'name begins with "Llama": met' in detail, detail

    online = buyer.verify(issued.token, audience=vendor.buyer_org)
    assert online.valid, online.reasons
    assert [c.name for c in online.checks][:9] == list(OFFLINE_CHECKS)
    assert online.check("policies").passed
    assert buyer.certificate(issued.id).policies == issued.policies
