"""Online verification and status, now and as of a moment, before and after a revocation."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from provenance_client import CertificateStatus, Registry, RevocationCause, Verdict


def test_verify_and_status_now_and_as_of_around_a_revocation(server, vendor, buyer):
    dataset, _, issued = vendor.certified_dataset("online", contract="PO-7")

    # Verification needs no account at all.
    with Registry(server.url) as anonymous:
        answer = anonymous.verify(issued.token, audience=server.buyer_org)
    assert answer.valid, answer.reasons
    assert answer.status is CertificateStatus.VALID
    assert answer.certificate_id == issued.id
    assert [c.name for c in answer.checks] == [
        "format",
        "algorithm",
        "type",
        "key",
        "signature",
        "key_window",
        "validity",
        "audience",
        "policies",
        "status",
        "lineage",
    ]
    assert answer.claims["dataset"]["id"] == dataset.id

    # The buyer (the certificate's audience) reads it with its status history.
    record = buyer.certificate(issued.id)
    assert record.status is CertificateStatus.VALID and record.verdict is Verdict.CLEAN
    assert record.audience_organization_id == server.buyer_org
    assert record.contract_reference == "PO-7"
    assert [h.status for h in record.status_history] == [CertificateStatus.VALID]
    assert record.token == issued.token
    # One policy covered, as the token's claims state it.
    [covered] = record.policies
    assert (covered.policy_id, covered.policy_version, covered.verdict) == (
        record.policy_id,
        record.policy_version,
        Verdict.CLEAN,
    )
    assert len(covered.clause_sha256) == 64 and covered.obligations == []

    # The contract was signed while it was valid; then the vendor revokes it.
    time.sleep(1.1)  # the registry judges validity in whole seconds: keep the moments apart
    contract_date = datetime.now(timezone.utc)
    time.sleep(1.1)
    vendor.revoke(issued.id, "supplier withdrew the dataset")

    now = buyer.verify(issued.token, audience=server.buyer_org)
    assert not now.valid
    assert now.status is CertificateStatus.REVOKED
    assert [c.name for c in now.failed_checks] == ["status"]
    assert "supplier withdrew the dataset" in now.check("status").detail
    assert f"certificates/{issued.id}" in now.check("status").detail

    then = buyer.verify(issued.token, audience=server.buyer_org, as_of=contract_date)
    assert then.valid, then.reasons
    assert then.status is CertificateStatus.VALID

    revoked = buyer.certificate(issued.id)
    assert revoked.status is CertificateStatus.REVOKED
    assert revoked.revoke_reason == "supplier withdrew the dataset"
    assert revoked.revoke_cause == f"certificates/{issued.id}"
    assert [h.status for h in revoked.status_history] == [CertificateStatus.VALID, CertificateStatus.REVOKED]
    assert revoked.status_history[1].reason == "supplier withdrew the dataset"
    assert contract_date < revoked.revoke_time <= datetime.now(timezone.utc)

    as_of_contract = buyer.certificate(issued.id, as_of=contract_date)
    assert as_of_contract.status is CertificateStatus.VALID
    assert [h.status for h in as_of_contract.status_history] == [CertificateStatus.VALID]

    # Past its expiry, as of a later date, it is expired (and was revoked before).
    later = buyer.verify(issued.token, as_of=issued.expire_time + timedelta(days=1))
    assert not later.valid and {c.name for c in later.failed_checks} == {"validity", "status"}


def test_online_verification_reports_a_wrong_audience_and_a_forged_token(server, vendor, buyer):
    _, _, issued = vendor.certified_dataset("online-aud")
    wrong = buyer.verify(issued.token, audience=vendor.org)
    assert not wrong.valid and [c.name for c in wrong.failed_checks] == ["audience"]
    assert wrong.status is CertificateStatus.VALID  # the certificate itself stands

    forged = buyer.verify(issued.token[:-3] + "AAA")
    assert not forged.valid and forged.claims is None
    assert forged.status is CertificateStatus.UNSPECIFIED
    assert forged.failed_checks[0].name == "signature"


def test_anyone_holding_the_token_reads_the_revocation_time_reason_cause_and_history(server, vendor):
    """Without an account: the revocation's time, reason and cause (kind and id) and the status
    history, as the certificate's owner reads them, and nothing of it as of a moment before."""
    _, attestation, by_owner = vendor.certified_dataset("standing")
    issued_at = datetime.now(timezone.utc)
    with Registry(server.url) as anonymous:
        valid = anonymous.verify(by_owner.token)
        assert valid.valid and valid.revoke_time is None and valid.revoke_cause == ""
        assert valid.revoke_cause_kind is RevocationCause.UNSPECIFIED
        assert [(h.status, h.time) for h in valid.status_history] == [(CertificateStatus.VALID, by_owner.not_before)]

        time.sleep(1.1)
        vendor.revoke(by_owner.id, "contract ended")
        record = vendor.registry.certificate(by_owner.id)
        answer = anonymous.verify(by_owner.token)
        assert not answer.valid and answer.status is CertificateStatus.REVOKED
        assert answer.revoke_time == record.revoke_time
        assert answer.revoke_reason == "contract ended"
        assert answer.revoke_cause == f"certificates/{by_owner.id}"
        assert answer.revoke_cause_kind is RevocationCause.CERTIFICATE_REVOKED
        assert answer.revoke_cause_id == by_owner.id
        assert answer.status_history == record.status_history
        assert [h.status for h in answer.status_history] == [CertificateStatus.VALID, CertificateStatus.REVOKED]

        before = anonymous.verify(by_owner.token, as_of=issued_at)
        assert before.valid and before.revoke_time is None and len(before.status_history) == 1

        # The cascade: revoking the attestation revokes a second certificate of the same dataset.
        second = vendor.issue(by_owner.dataset_id)
        vendor.revoke_attestation(attestation.id, "scan was wrong")
        cascaded = anonymous.verify(second.token)
        assert cascaded.revoke_cause_kind is RevocationCause.ATTESTATION_REVOKED
        assert cascaded.revoke_cause_id == attestation.id
        assert cascaded.revoke_cause == f"attestations/{attestation.id}"
        assert "scan was wrong" in cascaded.revoke_reason
        assert cascaded.status_history[-1].reason == cascaded.revoke_reason
