//! Certificates covering several policies: issued only when each allows it, read once and judged
//! under each; the claims list every policy's id, version, clause digest, verdict and obligations;
//! verification checks each; revoking an attestation the certificate rests on under any covered
//! policy revokes it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use provenance_registry::proto::v1 as pb;
use tonic::{Code, Status};

use crate::helpers::*;
use crate::multi_policy::{LLAMA_2, LLAMA_3_1, OPENAI, refs};
use crate::policies::{POLICY, attestation_request, generated_by};

const GEMMA: &str = "gemma-terms-of-use";

fn covering(dataset: &pb::Dataset, policies: &[&str]) -> pb::IssueCertificateRequest {
    pb::IssueCertificateRequest {
        dataset_id: dataset.id.clone(),
        policies: refs(policies),
        ..Default::default()
    }
}

/// The claims a compact JWS states.
fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a compact JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn check_names(answer: &pb::VerifyCertificateResponse) -> Vec<&str> {
    answer.checks.iter().map(|c| c.name.as_str()).collect()
}

fn policies_check(answer: &pb::VerifyCertificateResponse) -> &pb::VerificationCheck {
    answer
        .checks
        .iter()
        .find(|c| c.name == "policies")
        .expect("a policies check")
}

const CHECKS: [&str; 11] = [
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
];

impl TestApp {
    async fn issue_request(
        &self,
        request: pb::IssueCertificateRequest,
    ) -> Result<pb::Certificate, Status> {
        self.certificates()
            .issue_certificate(authed(&self.admin, request))
            .await
            .map(|r| r.into_inner())
    }

    async fn verify_token(&self, token: &str) -> pb::VerifyCertificateResponse {
        self.certificates()
            .verify_certificate(pb::VerifyCertificateRequest {
                token: token.into(),
                ..Default::default()
            })
            .await
            .expect("verification answers")
            .into_inner()
    }

    /// Attests each of `datasets` under each of `policies`, one attestation per pair.
    async fn attest_each(
        &self,
        datasets: &[&pb::Dataset],
        policies: &[&str],
    ) -> Vec<pb::Attestation> {
        let mut recorded = Vec::new();
        for policy in policies {
            for d in datasets {
                let attestation = self
                    .attestations()
                    .record_attestation(authed(
                        &self.admin,
                        pb::RecordAttestationRequest {
                            policy_id: (*policy).into(),
                            ..attestation_request(d)
                        },
                    ))
                    .await
                    .unwrap_or_else(|s| panic!("attested under {policy}: {s:?}"))
                    .into_inner();
                recorded.push(attestation);
            }
        }
        recorded
    }

    /// `raw <- mix`, `raw` holding outputs of `model` (or none), both attested under `policies`.
    async fn attested_chain(
        &self,
        name: &str,
        model: Option<&str>,
        policies: &[&str],
    ) -> (pb::Dataset, pb::Dataset, Vec<pb::Attestation>) {
        let raw_name = format!("{name}-raw");
        let raw = match model {
            Some(model) => generated_by(&raw_name, model),
            None => dataset(&raw_name),
        };
        let raw = self.register(&self.admin, raw).await;
        let mix = self.register(&self.admin, derived(name, &[&raw])).await;
        let attestations = self.attest_each(&[&raw, &mix], policies).await;
        (raw, mix, attestations)
    }

    async fn event_count(&self) -> usize {
        self.all_events(&self.operator).await.len()
    }

    async fn clause_digest(&self, policy: &str) -> String {
        self.policies()
            .get_policy(authed(
                &self.admin,
                pb::GetPolicyRequest {
                    id: policy.into(),
                    version: String::new(),
                },
            ))
            .await
            .expect("policy loaded")
            .into_inner()
            .clause_sha256
    }
}

#[tokio::test]
async fn a_certificate_covering_several_policies_states_each_judgement_and_verification_checks_each()
 {
    let app = spawn_app().await;
    let policies = [LLAMA_3_1, POLICY, GEMMA];
    let (_, mix, _) = app
        .attested_chain(
            "llama-distilled",
            Some("meta-llama/Llama-3.1-8B-Instruct"),
            &policies,
        )
        .await;
    let certificate = app
        .issue_request(pb::IssueCertificateRequest {
            target_model: "acme/Llama-3.1-Acme-8B".into(),
            ..covering(&mix, &policies)
        })
        .await
        .expect("certifiable under each policy");

    // The first policy is the certificate's `policy`, as a certificate under one policy states it.
    assert_eq!(certificate.policy_id, LLAMA_3_1);
    assert_eq!(certificate.verdict, pb::Verdict::Clean as i32);
    assert_eq!(certificate.target_model, "acme/Llama-3.1-Acme-8B");
    let listed: Vec<&str> = certificate
        .policies
        .iter()
        .map(|p| p.policy_id.as_str())
        .collect();
    assert_eq!(listed, policies, "in the order asked");
    for covered in &certificate.policies {
        assert_eq!(covered.verdict, pb::Verdict::Clean as i32);
        assert_eq!(
            covered.clause_sha256,
            app.clause_digest(&covered.policy_id).await
        );
        assert!(!covered.policy_version.is_empty());
    }
    let [llama, deepseek, gemma] = &certificate.policies[..] else {
        panic!("three policies: {:?}", certificate.policies)
    };
    assert_eq!(llama.kind, pb::PolicyKind::NamingObligation as i32);
    assert_eq!(llama.obligations.len(), 1);
    let owed = &llama.obligations[0];
    assert_eq!(
        (owed.kind, owed.status, owed.name_prefix.as_str()),
        (
            pb::ObligationKind::NamePrefix as i32,
            pb::ObligationStatus::Met as i32,
            "Llama"
        )
    );
    assert_eq!(deepseek.kind, pb::PolicyKind::Prohibition as i32);
    assert!(deepseek.obligations.is_empty(), "no R1 output in it");
    assert_eq!(gemma.kind, pb::PolicyKind::InheritedTerms as i32);
    assert!(gemma.obligations.is_empty(), "no Gemma output in it");

    // The signed claims say the same.
    let claims = claims_of(&certificate.token);
    assert_eq!(claims["policy"]["id"], LLAMA_3_1);
    assert_eq!(claims["verdict"], "CLEAN");
    assert_eq!(claims["target_model"], "acme/Llama-3.1-Acme-8B");
    let signed = claims["policies"].as_array().expect("a policies claim");
    assert_eq!(signed.len(), 3);
    assert_eq!(signed[0]["id"], LLAMA_3_1);
    assert_eq!(
        signed[0]["clause_sha256"],
        claims["policy"]["clause_sha256"]
    );
    assert_eq!(signed[0]["kind"], "NAMING_OBLIGATION");
    assert_eq!(
        signed[0]["obligations"],
        serde_json::json!([{"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"}])
    );
    assert_eq!(signed[1]["id"], POLICY);
    assert_eq!(signed[2]["kind"], "INHERITED_TERMS");
    // The attestations of every covered policy, each once.
    assert_eq!(claims["attestation_count"], 6);

    // Verification checks each policy, in both forms of the certificate.
    let answer = app.verify_token(&certificate.token).await;
    assert!(answer.valid, "{:?}", answer.checks);
    assert_eq!(check_names(&answer), CHECKS);
    let detail = &policies_check(&answer).detail;
    assert!(detail.starts_with("3 policies: "), "{detail}");
    for policy in policies {
        assert!(detail.contains(policy), "{detail}");
    }
    assert!(
        detail.contains("every clause digest matches the policy loaded here"),
        "{detail}"
    );
    let envelope = app.verify_token(&certificate.dsse_envelope).await;
    assert!(envelope.valid, "{:?}", envelope.checks);
    assert_eq!(check_names(&envelope), CHECKS);
    let statement: serde_json::Value = serde_json::from_str(&envelope.claims_json).unwrap();
    assert_eq!(statement["predicate"]["policies"], claims["policies"]);

    // The issuance event names every covered policy.
    let events = app.all_events(&app.admin).await;
    let issued = events
        .iter()
        .find(|e| e.r#type == "certificate.issued")
        .expect("an issuance event");
    let payload: serde_json::Value = serde_json::from_str(&issued.payload_json).unwrap();
    let named: Vec<&str> = payload["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(named, policies);
}

#[tokio::test]
async fn a_certificate_under_one_policy_lists_it_as_its_only_policy() {
    let app = spawn_app().await;
    let (_, mix, _) = app.attested_chain("plain", None, &[POLICY]).await;
    let certificate = app
        .issue_request(pb::IssueCertificateRequest {
            dataset_id: mix.id.clone(),
            policy_id: POLICY.into(),
            ..Default::default()
        })
        .await
        .expect("issued");
    assert_eq!(certificate.policies.len(), 1);
    assert_eq!(certificate.policies[0].policy_id, POLICY);
    assert_eq!(
        certificate.declared_purpose,
        pb::Purpose::Unspecified as i32
    );
    let claims = claims_of(&certificate.token);
    assert_eq!(claims["policies"][0]["id"], claims["policy"]["id"]);
    assert_eq!(claims["policies"][0]["verdict"], "CLEAN");
    assert!(claims.get("purpose").is_none() && claims.get("target_model").is_none());
    let answer = app.verify_token(&certificate.token).await;
    assert!(answer.valid, "{:?}", answer.checks);
    assert!(policies_check(&answer).detail.starts_with("1 policy: "));
}

#[tokio::test]
async fn every_loaded_policy_can_be_covered_at_once() {
    let app = spawn_app().await;
    let loaded: Vec<String> = app
        .policies()
        .list_policies(authed(&app.admin, pb::ListPoliciesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .policies
        .into_iter()
        .map(|p| p.id)
        .collect();
    let ids: Vec<&str> = loaded.iter().map(String::as_str).collect();
    let (_, mix, _) = app.attested_chain("everything", None, &ids).await;
    let certificate = app
        .issue_request(pb::IssueCertificateRequest {
            dataset_id: mix.id.clone(),
            all_policies: true,
            ..Default::default()
        })
        .await
        .expect("clean and attested under every policy");
    let covered: Vec<&str> = certificate
        .policies
        .iter()
        .map(|p| p.policy_id.as_str())
        .collect();
    assert_eq!(covered, ids, "every loaded policy, by id");
    assert!(app.verify_token(&certificate.token).await.valid);
}

#[tokio::test]
async fn a_certificate_is_refused_when_any_covered_policy_refuses_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, llama_3, _) = app
        .attested_chain(
            "named",
            Some("meta-llama/Llama-3.1-8B-Instruct"),
            &[POLICY, LLAMA_3_1],
        )
        .await;
    let (_, llama_2, _) = app
        .attested_chain(
            "qwen-sft",
            Some("meta-llama/Llama-2-70b-chat-hf"),
            &[POLICY],
        )
        .await;
    let (_, half_attested, _) = app.attested_chain("half", None, &[POLICY]).await;
    let before = app.event_count().await;

    // Llama 3.1 outputs training a model whose name does not begin with "Llama".
    let unmet = app
        .issue_request(pb::IssueCertificateRequest {
            target_model: "acme/Acme-8B".into(),
            ..covering(&llama_3, &[POLICY, LLAMA_3_1])
        })
        .await;
    let status = assert_status(unmet, Code::FailedPrecondition, LLAMA_3_1);
    assert!(
        status.message().contains("obligation is not shown met"),
        "{status:?}"
    );
    // Llama 2 outputs training a Qwen model: contaminated under Llama 2 alone.
    let contaminated = app
        .issue_request(pb::IssueCertificateRequest {
            target_model: "Qwen/Qwen2.5-7B".into(),
            ..covering(&llama_2, &[POLICY, LLAMA_2])
        })
        .await;
    let status = assert_status(contaminated, Code::FailedPrecondition, LLAMA_2);
    assert!(status.message().contains("contaminated"), "{status:?}");
    // Attested under one of the two policies only.
    let incomplete = app
        .issue_request(covering(&half_attested, &[POLICY, GEMMA]))
        .await;
    let status = assert_status(incomplete, Code::FailedPrecondition, GEMMA);
    assert!(
        status.message().contains("not wholly attested"),
        "{status:?}"
    );

    assert_eq!(app.event_count().await, before, "nothing was stored");
    // Each is certifiable under the policy that does not refuse.
    for dataset in [&llama_3, &llama_2, &half_attested] {
        app.issue_request(covering(dataset, &[POLICY]))
            .await
            .expect("certifiable under the DeepSeek policy");
    }
}

#[tokio::test]
async fn bad_policy_lists_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, mix, _) = app.attested_chain("plain", None, &[POLICY]).await;
    let before = app.event_count().await;
    let cases: Vec<(&str, pb::IssueCertificateRequest, Code, &str)> = vec![
        (
            "too many",
            covering(&mix, &[POLICY; 17]),
            Code::InvalidArgument,
            "policies: must name at most 16",
        ),
        (
            "twice",
            covering(&mix, &[LLAMA_2, LLAMA_2]),
            Code::InvalidArgument,
            "policies[1]",
        ),
        (
            "unknown",
            covering(&mix, &[POLICY, "no-such-policy"]),
            Code::NotFound,
            "policies[1]: policy \"no-such-policy\" not found",
        ),
        (
            "both forms",
            pb::IssueCertificateRequest {
                policy_id: POLICY.into(),
                ..covering(&mix, &[LLAMA_2])
            },
            Code::InvalidArgument,
            "policy_id",
        ),
        (
            "all and listed",
            pb::IssueCertificateRequest {
                all_policies: true,
                ..covering(&mix, &[LLAMA_2])
            },
            Code::InvalidArgument,
            "policies: must be empty when all_policies is set",
        ),
        (
            "purpose out of range",
            pb::IssueCertificateRequest {
                declared_purpose: 9,
                ..covering(&mix, &[POLICY])
            },
            Code::InvalidArgument,
            "declared_purpose",
        ),
        (
            "neither form",
            pb::IssueCertificateRequest {
                dataset_id: mix.id.clone(),
                ..Default::default()
            },
            Code::InvalidArgument,
            "policy_id",
        ),
    ];
    for (case, request, code, needle) in cases {
        let refused = app.issue_request(request).await;
        let status = refused.expect_err(case);
        assert_eq!(status.code(), code, "{case}: {status:?}");
        assert!(status.message().contains(needle), "{case}: {status:?}");
    }
    assert_eq!(app.event_count().await, before, "nothing was stored");
}

#[tokio::test]
async fn revoking_an_attestation_under_any_covered_policy_revokes_the_certificate() {
    let app = spawn_app().await;
    let (raw, mix, attestations) = app
        .attested_chain("cascade", None, &[POLICY, LLAMA_2])
        .await;
    let both = app
        .issue_request(covering(&mix, &[POLICY, LLAMA_2]))
        .await
        .expect("issued under both");
    let deepseek_only = app
        .issue_request(covering(&mix, &[POLICY]))
        .await
        .expect("issued under one");
    let under_llama_2 = attestations
        .iter()
        .find(|a| a.dataset_id == raw.id && a.policy_id == LLAMA_2)
        .expect("raw's Llama 2 attestation");
    app.attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: under_llama_2.id.clone(),
                reason: "the supplier withdrew its declaration".into(),
            },
        ))
        .await
        .expect("revoked");

    let revoked = app.verify_token(&both.token).await;
    assert!(!revoked.valid);
    assert_eq!(revoked.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(
        revoked.revoke_cause,
        format!("attestations/{}", under_llama_2.id)
    );
    assert!(
        revoked
            .checks
            .iter()
            .any(|c| c.name == "policies" && c.passed),
        "the judgement as signed still reads well: {:?}",
        revoked.checks
    );
    let untouched = app.verify_token(&deepseek_only.token).await;
    assert!(untouched.valid, "{:?}", untouched.checks);
}

#[tokio::test]
async fn the_hosted_model_terms_are_judged_by_the_purpose_the_request_declares() {
    let app = spawn_app().await;
    let (_, mix, _) = app
        .attested_chain("gpt-traces", Some("gpt-4o-2024-08-06"), &[POLICY, OPENAI])
        .await;
    let with_purpose = |purpose: pb::Purpose| pb::IssueCertificateRequest {
        declared_purpose: purpose as i32,
        ..covering(&mix, &[POLICY, OPENAI])
    };

    let undeclared = app
        .issue_request(with_purpose(pb::Purpose::Unspecified))
        .await;
    let status = assert_status(undeclared, Code::FailedPrecondition, OPENAI);
    assert!(
        status.message().contains("obligation is not shown met"),
        "{status:?}"
    );
    let competing = app
        .issue_request(with_purpose(pb::Purpose::CompetingModel))
        .await;
    let status = assert_status(competing, Code::FailedPrecondition, OPENAI);
    assert!(status.message().contains("contaminated"), "{status:?}");

    let certificate = app
        .issue_request(with_purpose(pb::Purpose::NonCompeting))
        .await
        .expect("outputs used for a model that does not compete");
    assert_eq!(
        certificate.declared_purpose,
        pb::Purpose::NonCompeting as i32
    );
    let openai = &certificate.policies[1];
    assert_eq!(openai.kind, pb::PolicyKind::CompetingUseProhibition as i32);
    assert_eq!(
        (openai.obligations[0].kind, openai.obligations[0].status),
        (
            pb::ObligationKind::NoCompetingUse as i32,
            pb::ObligationStatus::Met as i32
        )
    );
    let claims = claims_of(&certificate.token);
    assert_eq!(claims["purpose"], "NON_COMPETING");
    assert_eq!(
        claims["policies"][1]["obligations"][0],
        serde_json::json!({"kind": "NO_COMPETING_USE", "status": "MET"})
    );
    let answer = app.verify_token(&certificate.token).await;
    assert!(answer.valid, "{:?}", answer.checks);
    assert!(
        policies_check(&answer)
            .detail
            .contains("no competing use: met"),
        "{:?}",
        answer.checks
    );
    // A DSSE envelope's predicate states the purpose too.
    let envelope: serde_json::Value = serde_json::from_str(&certificate.dsse_envelope).unwrap();
    let statement: serde_json::Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["predicate"]["purpose"], "NON_COMPETING");
}

#[tokio::test]
async fn without_a_declared_purpose_the_purpose_the_datasets_own_attestation_declares_is_signed() {
    let app = spawn_app().await;
    let raw = app
        .register(&app.admin, generated_by("gpt-raw", "gpt-4o-2024-08-06"))
        .await;
    let mix = app.register(&app.admin, derived("gpt-mix", &[&raw])).await;
    app.attest_each(&[&raw], &[POLICY, OPENAI]).await;
    app.attest_each(&[&mix], &[POLICY]).await;
    // The certified dataset's owner attests it under the OpenAI terms for a model that does not
    // compete.
    app.attestations()
        .record_attestation(authed(
            &app.admin,
            pb::RecordAttestationRequest {
                policy_id: OPENAI.into(),
                declared_purpose: pb::Purpose::NonCompeting as i32,
                ..attestation_request(&mix)
            },
        ))
        .await
        .expect("attested with a purpose");

    let certificate = app
        .issue_request(covering(&mix, &[POLICY, OPENAI]))
        .await
        .expect("the attestation's purpose meets the obligation");
    assert_eq!(
        certificate.declared_purpose,
        pb::Purpose::NonCompeting as i32
    );
    assert_eq!(claims_of(&certificate.token)["purpose"], "NON_COMPETING");
    assert!(app.verify_token(&certificate.token).await.valid);
}
