//! Attestations that cover several policies, and the purpose an attestation declares: counted
//! under each policy it covers, revoking the certificates that rest on it under any of them, and
//! judged by a competing-use prohibition when the request declares no purpose.

use provenance_registry::proto::v1 as pb;
use tonic::{Code, Status};

use crate::certificates::issue;
use crate::helpers::*;
use crate::multi_policy::{LLAMA_2, LLAMA_3_1, OPENAI, refs};
use crate::policies::{POLICY, attestation_request, generated_by};

const TONGYI: &str = "tongyi-qianwen-license";
const GEMINI: &str = "gemini-api-additional-terms";

fn ids_of(policies: &[pb::PolicyRef]) -> Vec<&str> {
    policies.iter().map(|p| p.id.as_str()).collect()
}

/// An attestation of `dataset` covering `policies`, declaring `purpose`.
fn covering(
    dataset: &pb::Dataset,
    policies: &[&str],
    purpose: pb::Purpose,
) -> pb::RecordAttestationRequest {
    pb::RecordAttestationRequest {
        policy_id: String::new(),
        policies: refs(policies),
        declared_purpose: purpose as i32,
        ..attestation_request(dataset)
    }
}

/// The evaluation of `policy` among an evaluation's `policy_evaluations`.
fn under<'e>(e: &'e pb::Evaluation, policy: &str) -> &'e pb::Evaluation {
    e.policy_evaluations
        .iter()
        .find(|p| p.policy_id == policy)
        .unwrap_or_else(|| panic!("no evaluation under {policy} in {e:?}"))
}

impl TestApp {
    async fn record(
        &self,
        request: pb::RecordAttestationRequest,
    ) -> Result<pb::Attestation, Status> {
        self.attestations()
            .record_attestation(authed(&self.admin, request))
            .await
            .map(|r| r.into_inner())
    }

    /// Every attestation of the admin's organisation, oldest first.
    async fn own_attestations(&self) -> Vec<pb::Attestation> {
        self.attestations()
            .list_attestations(authed(
                &self.admin,
                pb::ListAttestationsRequest {
                    page_size: 1000,
                    ..Default::default()
                },
            ))
            .await
            .expect("attestations listed")
            .into_inner()
            .attestations
    }

    /// Evaluates `dataset` under `policies` for `purpose`.
    async fn judge(
        &self,
        dataset: &pb::Dataset,
        policies: &[&str],
        purpose: pb::Purpose,
    ) -> pb::Evaluation {
        self.policies()
            .evaluate_dataset(authed(
                &self.admin,
                pb::EvaluateDatasetRequest {
                    dataset_id: dataset.id.clone(),
                    policies: refs(policies),
                    declared_purpose: purpose as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("evaluated")
            .into_inner()
    }

    /// Evaluates `dataset` under the one policy `policy` for `purpose`.
    async fn judge_one(
        &self,
        dataset: &pb::Dataset,
        policy: &str,
        purpose: pb::Purpose,
    ) -> pb::Evaluation {
        self.policies()
            .evaluate_dataset(authed(
                &self.admin,
                pb::EvaluateDatasetRequest {
                    dataset_id: dataset.id.clone(),
                    policy_id: policy.into(),
                    declared_purpose: purpose as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("evaluated")
            .into_inner()
    }

    async fn certificate_status(&self, id: &str) -> pb::CertificateStatus {
        self.certificates()
            .get_certificate(authed(
                &self.admin,
                pb::GetCertificateRequest {
                    id: id.into(),
                    as_of: None,
                },
            ))
            .await
            .expect("certificate readable")
            .into_inner()
            .status()
    }

    /// `raw <- mix`, `raw` holding outputs of `model`, `raw` attested under `policy` declaring
    /// nothing.
    async fn chain_with_outputs_of(&self, name: &str, model: &str, policy: &str) -> pb::Dataset {
        let raw = self
            .register(&self.admin, generated_by(&format!("{name}-raw"), model))
            .await;
        let mix = self.register(&self.admin, derived(name, &[&raw])).await;
        self.record(covering(&raw, &[policy], pb::Purpose::Unspecified))
            .await
            .expect("raw attested");
        mix
    }
}

#[tokio::test]
async fn one_attestation_covering_three_policies_counts_under_each_and_not_under_a_fourth() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("corpus")).await;
    let three = [LLAMA_2, POLICY, TONGYI];
    let recorded = app
        .record(covering(&d, &three, pb::Purpose::Unspecified))
        .await
        .expect("recorded");
    assert_eq!(ids_of(&recorded.policies), three, "in the order named");
    assert_eq!(recorded.policy_id, LLAMA_2, "the first is its own");
    assert!(
        recorded.policies.iter().all(|p| !p.version.is_empty()),
        "versions resolved"
    );
    assert_eq!(recorded.policy_version, recorded.policies[0].version);
    assert_eq!(recorded.declared_purpose(), pb::Purpose::Unspecified);

    let e = app
        .judge(
            &d,
            &[LLAMA_2, POLICY, TONGYI, LLAMA_3_1],
            pb::Purpose::Unspecified,
        )
        .await;
    for policy in three {
        let one = under(&e, policy);
        assert_eq!(one.verdict(), pb::Verdict::Clean, "{policy}");
        assert_eq!(
            one.attestation_ids,
            std::slice::from_ref(&recorded.id),
            "{policy}"
        );
    }
    let fourth = under(&e, LLAMA_3_1);
    assert_eq!(fourth.verdict(), pb::Verdict::Incomplete);
    assert!(fourth.attestation_ids.is_empty());
    assert_eq!(fourth.missing_attestation_count, 1);

    // Read back as recorded, and the event lists the policies.
    let read = app
        .attestations()
        .get_attestation(authed(
            &app.admin,
            pb::GetAttestationRequest {
                id: recorded.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, recorded);
    assert_eq!(
        app.own_attestations().await,
        std::slice::from_ref(&recorded)
    );
    let events = app.all_events(&app.admin).await;
    let event = events
        .iter()
        .find(|e| e.r#type == "attestation.recorded")
        .expect("an attestation.recorded event");
    let payload: serde_json::Value = serde_json::from_str(&event.payload_json).unwrap();
    let listed: Vec<&str> = payload["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, three);
    assert_eq!(payload["declared_purpose"], serde_json::Value::Null);
}

#[tokio::test]
async fn all_policies_covers_every_loaded_policy_version_in_order() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("corpus")).await;
    let recorded = app
        .record(pb::RecordAttestationRequest {
            policy_id: String::new(),
            all_policies: true,
            ..attestation_request(&d)
        })
        .await
        .expect("recorded");
    let loaded: Vec<pb::PolicyRef> = app
        .policies()
        .list_policies(authed(&app.admin, pb::ListPoliciesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .policies
        .into_iter()
        .map(|p| pb::PolicyRef {
            id: p.id,
            version: p.version,
        })
        .collect();
    assert_eq!(recorded.policies, loaded);
    let e = app
        .policies()
        .evaluate_dataset(authed(
            &app.admin,
            pb::EvaluateDatasetRequest {
                dataset_id: d.id.clone(),
                all_policies: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(e.verdict(), pb::Verdict::Clean);
    for one in &e.policy_evaluations {
        assert_eq!(
            one.attestation_ids,
            std::slice::from_ref(&recorded.id),
            "{}",
            one.policy_id
        );
    }
}

#[tokio::test]
async fn bad_attestation_requests_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("corpus")).await;
    // Llama 2 outputs upstream: contaminated under Llama 2 only.
    let raw = app
        .register(
            &app.admin,
            generated_by("llama-raw", "meta-llama/Llama-2-70b-chat-hf"),
        )
        .await;
    let mix = app
        .register(&app.admin, derived("llama-mix", &[&raw]))
        .await;
    let before = (app.snapshot().await, app.own_attestations().await);

    let base = || covering(&d, &[POLICY, LLAMA_2], pb::Purpose::Unspecified);
    let seventeen: Vec<&str> = std::iter::repeat_n(POLICY, 17).collect();
    let invalid = [
        (
            "purpose out of range",
            pb::RecordAttestationRequest {
                declared_purpose: 7,
                ..base()
            },
            "declared_purpose",
        ),
        (
            "too many",
            covering(&d, &seventeen, pb::Purpose::Unspecified),
            "policies: must name at most 16",
        ),
        (
            "a repeat",
            covering(&d, &[POLICY, LLAMA_2, POLICY], pb::Purpose::Unspecified),
            "policies[2]: names policy",
        ),
        (
            "policy_id with policies",
            pb::RecordAttestationRequest {
                policy_id: POLICY.into(),
                ..base()
            },
            "policy_id: must be empty",
        ),
        (
            "policy_version with all_policies",
            pb::RecordAttestationRequest {
                policy_version: "1".into(),
                policies: Vec::new(),
                all_policies: true,
                ..base()
            },
            "policy_version: must be empty",
        ),
        (
            "policies with all_policies",
            pb::RecordAttestationRequest {
                all_policies: true,
                ..base()
            },
            "policies: must be empty when all_policies",
        ),
    ];
    for (case, request, needle) in invalid {
        let status = app.record(request).await.expect_err(case);
        assert_invalid_field(&status, case, needle);
    }

    let unknown = app
        .record(covering(
            &d,
            &[POLICY, "no-such-policy"],
            pb::Purpose::Unspecified,
        ))
        .await;
    assert_status(unknown, Code::NotFound, "policies[1]");
    let unknown_version = app
        .record(pb::RecordAttestationRequest {
            policies: vec![
                pb::PolicyRef {
                    id: POLICY.into(),
                    version: String::new(),
                },
                pb::PolicyRef {
                    id: LLAMA_2.into(),
                    version: "1999".into(),
                },
            ],
            ..base()
        })
        .await;
    assert_status(unknown_version, Code::NotFound, "policies[1]");

    // Contaminated under the second policy: refused naming it, with the path.
    let contaminated = app
        .record(covering(
            &mix,
            &[POLICY, LLAMA_2, TONGYI],
            pb::Purpose::Unspecified,
        ))
        .await;
    let status = assert_status(contaminated, Code::FailedPrecondition, LLAMA_2);
    assert!(
        !status.message().contains(POLICY) && !status.message().contains(TONGYI),
        "names the contaminated policy only: {}",
        status.message()
    );

    assert_eq!(
        (app.snapshot().await, app.own_attestations().await),
        before,
        "nothing stored, no event"
    );
}

#[tokio::test]
async fn revoking_an_attestation_revokes_certificates_under_any_policy_it_covers_only() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("corpus")).await;
    let both = app
        .record(covering(&d, &[POLICY, LLAMA_2], pb::Purpose::Unspecified))
        .await
        .expect("recorded");
    // Attested under Tongyi Qianwen on its own, so that a certificate under it rests elsewhere.
    app.record(covering(&d, &[TONGYI], pb::Purpose::Unspecified))
        .await
        .expect("recorded");
    let under_second = issue(
        &app,
        pb::IssueCertificateRequest {
            dataset_id: d.id.clone(),
            policy_id: LLAMA_2.into(),
            ..Default::default()
        },
    )
    .await;
    let uncovered = issue(
        &app,
        pb::IssueCertificateRequest {
            dataset_id: d.id.clone(),
            policy_id: TONGYI.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        app.certificate_status(&under_second.id).await,
        pb::CertificateStatus::Valid
    );

    app.attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: both.id.clone(),
                reason: "scan was wrong".into(),
            },
        ))
        .await
        .expect("revoked");
    assert_eq!(
        app.certificate_status(&under_second.id).await,
        pb::CertificateStatus::Revoked,
        "issued under the attestation's second policy"
    );
    assert_eq!(
        app.certificate_status(&uncovered.id).await,
        pb::CertificateStatus::Valid,
        "issued under a policy the attestation does not cover"
    );
    let e = app.judge_one(&d, LLAMA_2, pb::Purpose::Unspecified).await;
    assert_eq!(e.verdict(), pb::Verdict::Incomplete, "no longer counts");
}

#[tokio::test]
async fn the_roots_declared_purpose_is_judged_by_when_the_request_declares_none() {
    let app = spawn_app().await;
    for (policy, model) in [(OPENAI, "gpt-4o-2024-08-06"), (GEMINI, "gemini-1.5-pro")] {
        // Non-competing: clean, the obligation met.
        let allowed = app
            .chain_with_outputs_of(&format!("{policy}-allowed"), model, policy)
            .await;
        let declared = app
            .record(covering(&allowed, &[policy], pb::Purpose::NonCompeting))
            .await
            .expect("recorded");
        assert_eq!(declared.declared_purpose(), pb::Purpose::NonCompeting);
        let e = app
            .judge_one(&allowed, policy, pb::Purpose::Unspecified)
            .await;
        assert_eq!(e.verdict(), pb::Verdict::Clean, "{policy}");
        assert_eq!(e.declared_purpose(), pb::Purpose::NonCompeting, "{policy}");
        assert_eq!(
            (e.obligations[0].kind(), e.obligations[0].status()),
            (
                pb::ObligationKind::NoCompetingUse,
                pb::ObligationStatus::Met
            ),
            "{policy}"
        );

        // Competing: contaminated; the request's own purpose overrides it.
        let competing = app
            .chain_with_outputs_of(&format!("{policy}-competing"), model, policy)
            .await;
        app.record(covering(&competing, &[policy], pb::Purpose::CompetingModel))
            .await
            .expect("recorded");
        let e = app
            .judge_one(&competing, policy, pb::Purpose::Unspecified)
            .await;
        assert_eq!(e.verdict(), pb::Verdict::Contaminated, "{policy}");
        assert_eq!(e.declared_purpose(), pb::Purpose::CompetingModel);
        assert_eq!(e.offender_count, 1);
        let e = app
            .judge_one(&competing, policy, pb::Purpose::NonCompeting)
            .await;
        assert_eq!(e.verdict(), pb::Verdict::Clean, "{policy}: overridden");
        assert_eq!(e.declared_purpose(), pb::Purpose::NonCompeting);
        // Now contaminated, the dataset takes no further attestation under the policy.
        let again = app
            .record(covering(&competing, &[policy], pb::Purpose::NonCompeting))
            .await;
        assert_status(again, Code::FailedPrecondition, policy);
    }
}

#[tokio::test]
async fn an_upstream_declaration_does_not_count_and_several_policies_each_say_their_own() {
    let app = spawn_app().await;
    let raw = app
        .register(&app.admin, generated_by("answers-raw", "gpt-4o-2024-08-06"))
        .await;
    let mix = app.register(&app.admin, derived("answers", &[&raw])).await;
    app.record(covering(
        &raw,
        &[OPENAI, POLICY],
        pb::Purpose::CompetingModel,
    ))
    .await
    .expect("raw recorded");
    app.record(covering(&mix, &[OPENAI, POLICY], pb::Purpose::Unspecified))
        .await
        .expect("mix recorded");
    let e = app.judge_one(&mix, OPENAI, pb::Purpose::Unspecified).await;
    assert_eq!(e.declared_purpose(), pb::Purpose::Unspecified);
    assert_eq!(e.verdict(), pb::Verdict::Incomplete, "undetermined");
    assert_eq!(
        e.obligations[0].status(),
        pb::ObligationStatus::Undetermined
    );

    // The mix declares non-competing under OpenAI's terms only: each policy says its own purpose,
    // the whole keeps the request's.
    let declared = app
        .record(covering(&mix, &[OPENAI], pb::Purpose::NonCompeting))
        .await
        .expect("mix declared");
    let e = app
        .judge(&mix, &[OPENAI, POLICY], pb::Purpose::Unspecified)
        .await;
    assert_eq!(e.declared_purpose(), pb::Purpose::Unspecified);
    assert_eq!(
        under(&e, OPENAI).declared_purpose(),
        pb::Purpose::NonCompeting
    );
    assert_eq!(under(&e, OPENAI).verdict(), pb::Verdict::Clean);
    assert_eq!(
        under(&e, POLICY).declared_purpose(),
        pb::Purpose::Unspecified
    );
    assert_eq!(e.verdict(), pb::Verdict::Clean);

    let listed = app.own_attestations().await;
    let purposes: Vec<pb::Purpose> = listed.iter().map(|a| a.declared_purpose()).collect();
    assert_eq!(
        purposes,
        [
            pb::Purpose::CompetingModel,
            pb::Purpose::Unspecified,
            pb::Purpose::NonCompeting
        ]
    );
    assert_eq!(listed[2], declared);
}
