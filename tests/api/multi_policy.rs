//! One evaluation across several policies: one read and walk of the lineage, one verdict per
//! policy with its paths and obligations, the worst verdict on top.

use provenance_registry::proto::v1 as pb;
use tonic::{Code, Status};

use crate::helpers::*;
use crate::policies::{POLICY, attestation_request, generated_by};

pub const LLAMA_2: &str = "llama-2-community-license";
pub const LLAMA_3_1: &str = "llama-3.1-community-license";
pub const OPENAI: &str = "openai-terms-of-use";

/// Every shipped policy, by id (the order `ListPolicies` and `all_policies` give).
const SHIPPED: [&str; 10] = [
    POLICY,
    "gemini-api-additional-terms",
    "gemma-terms-of-use",
    LLAMA_2,
    "llama-3-community-license",
    LLAMA_3_1,
    "llama-3.2-community-license",
    "llama-3.3-community-license",
    OPENAI,
    "tongyi-qianwen-license",
];

/// Policy references by id, each for the only version loaded.
pub fn refs(ids: &[&str]) -> Vec<pb::PolicyRef> {
    ids.iter()
        .map(|id| pb::PolicyRef {
            id: (*id).into(),
            version: String::new(),
        })
        .collect()
}

fn verdict_of(e: &pb::Evaluation) -> pb::Verdict {
    pb::Verdict::try_from(e.verdict).expect("a known verdict")
}

/// The evaluation of `policy` among an evaluation's `policy_evaluations`.
fn under<'e>(e: &'e pb::Evaluation, policy: &str) -> &'e pb::Evaluation {
    e.policy_evaluations
        .iter()
        .find(|p| p.policy_id == policy)
        .unwrap_or_else(|| panic!("no evaluation under {policy} in {e:?}"))
}

fn names(path: &[pb::PathStep]) -> Vec<&str> {
    path.iter().map(|s| s.name.as_str()).collect()
}

impl TestApp {
    async fn evaluate_request(
        &self,
        request: pb::EvaluateDatasetRequest,
    ) -> Result<pb::Evaluation, Status> {
        self.policies()
            .evaluate_dataset(authed(&self.admin, request))
            .await
            .map(|r| r.into_inner())
    }

    /// Evaluates `dataset` under every loaded policy for `target` and `purpose`.
    async fn evaluate_all(
        &self,
        dataset: &pb::Dataset,
        target: &str,
        purpose: pb::Purpose,
    ) -> pb::Evaluation {
        self.evaluate_request(pb::EvaluateDatasetRequest {
            dataset_id: dataset.id.clone(),
            all_policies: true,
            target_model: target.into(),
            declared_purpose: purpose as i32,
            ..Default::default()
        })
        .await
        .expect("evaluation under all policies")
    }

    /// Attests each of `datasets` under each of `policies`.
    async fn attest_under(&self, datasets: &[&pb::Dataset], policies: &[&str]) {
        for policy in policies {
            for d in datasets {
                self.attestations()
                    .record_attestation(authed(
                        &self.admin,
                        pb::RecordAttestationRequest {
                            policy_id: (*policy).into(),
                            ..attestation_request(d)
                        },
                    ))
                    .await
                    .unwrap_or_else(|s| panic!("attested under {policy}: {s:?}"));
            }
        }
    }

    /// `raw <- mix`, `raw` holding outputs of `model`, attested under every shipped policy but
    /// those of `except`.
    async fn chain_attested_except(&self, name: &str, model: &str, except: &[&str]) -> pb::Dataset {
        let raw = self
            .register(&self.admin, generated_by(&format!("{name}-raw"), model))
            .await;
        let mix = self.register(&self.admin, derived(name, &[&raw])).await;
        let policies: Vec<&str> = SHIPPED
            .into_iter()
            .filter(|p| !except.contains(p))
            .collect();
        self.attest_under(&[&raw, &mix], &policies).await;
        mix
    }
}

#[tokio::test]
async fn llama_2_outputs_training_a_qwen_model_are_contaminated_under_llama_2_and_clean_under_the_others()
 {
    let app = spawn_app().await;
    let mix = app
        .chain_attested_except("qwen-sft", "meta-llama/Llama-2-70b-chat-hf", &[LLAMA_2])
        .await;
    let e = app
        .evaluate_all(&mix, "Qwen/Qwen2.5-7B-Instruct", pb::Purpose::Unspecified)
        .await;
    let judged: Vec<&str> = e
        .policy_evaluations
        .iter()
        .map(|p| p.policy_id.as_str())
        .collect();
    assert_eq!(judged, SHIPPED, "every loaded policy, by id");
    assert_eq!(
        verdict_of(&e),
        pb::Verdict::Contaminated,
        "the worst verdict"
    );
    assert_eq!(e.closure_size, 2);
    assert_eq!(e.dataset_id, mix.id);
    assert!(e.policy_id.is_empty() && e.offenders.is_empty() && e.obligations.is_empty());

    let llama_2 = under(&e, LLAMA_2);
    assert_eq!(verdict_of(llama_2), pb::Verdict::Contaminated);
    assert_eq!(llama_2.offender_count, 1);
    assert_eq!(
        names(&llama_2.offenders[0].path),
        ["qwen-sft", "qwen-sft-raw"]
    );
    assert!(!llama_2.clause_sha256.is_empty());
    for other in SHIPPED.iter().filter(|p| **p != LLAMA_2) {
        let e = under(&e, other);
        assert_eq!(verdict_of(e), pb::Verdict::Clean, "{other}");
        assert_eq!(e.offender_count, 0, "{other}");
        assert!(e.obligations.is_empty(), "{other}");
        assert_eq!(e.attestation_count, 2, "{other}");
    }
}

#[tokio::test]
async fn llama_3_1_outputs_are_clean_everywhere_with_the_naming_obligation_met_or_unmet() {
    let app = spawn_app().await;
    let mix = app
        .chain_attested_except("acme-sft", "meta-llama/Llama-3.1-8B-Instruct", &[])
        .await;
    for (target, status) in [
        ("Llama-3.1-Acme-8B", pb::ObligationStatus::Met),
        ("Acme-8B", pb::ObligationStatus::Unmet),
    ] {
        let e = app
            .evaluate_all(&mix, target, pb::Purpose::Unspecified)
            .await;
        assert_eq!(verdict_of(&e), pb::Verdict::Clean, "{target}");
        let llama = under(&e, LLAMA_3_1);
        assert_eq!(verdict_of(llama), pb::Verdict::Clean, "{target}");
        assert_eq!(llama.obligations.len(), 1, "{target}");
        let o = &llama.obligations[0];
        assert_eq!(
            (o.kind(), o.status()),
            (pb::ObligationKind::NamePrefix, status),
            "{target}"
        );
        assert_eq!(names(&o.sources[0].path), ["acme-sft", "acme-sft-raw"]);
        for other in SHIPPED.iter().filter(|p| **p != LLAMA_3_1) {
            let e = under(&e, other);
            assert_eq!(verdict_of(e), pb::Verdict::Clean, "{other} {target}");
            assert!(e.obligations.is_empty(), "{other} {target}");
        }
    }
}

#[tokio::test]
async fn the_hosted_model_terms_react_to_the_declared_purpose_among_the_others() {
    let app = spawn_app().await;
    let mix = app
        .chain_attested_except("gpt-answers", "gpt-4o-2024-08-06", &[])
        .await;
    let competing = app
        .evaluate_all(&mix, "", pb::Purpose::CompetingModel)
        .await;
    assert_eq!(verdict_of(&competing), pb::Verdict::Contaminated);
    assert_eq!(competing.declared_purpose(), pb::Purpose::CompetingModel);
    let openai = under(&competing, OPENAI);
    assert_eq!(verdict_of(openai), pb::Verdict::Contaminated);
    assert_eq!(openai.offenders[0].matched, "gpt-4o");
    assert_eq!(verdict_of(under(&competing, POLICY)), pb::Verdict::Clean);

    let allowed = app.evaluate_all(&mix, "", pb::Purpose::NonCompeting).await;
    assert_eq!(verdict_of(&allowed), pb::Verdict::Clean);
    let openai = under(&allowed, OPENAI);
    assert_eq!(
        (openai.obligations[0].kind(), openai.obligations[0].status()),
        (
            pb::ObligationKind::NoCompetingUse,
            pb::ObligationStatus::Met
        )
    );

    let undeclared = app.evaluate_all(&mix, "", pb::Purpose::Unspecified).await;
    assert_eq!(verdict_of(&undeclared), pb::Verdict::Incomplete);
    assert_eq!(
        under(&undeclared, OPENAI).obligations[0].status(),
        pb::ObligationStatus::Undetermined
    );
}

#[tokio::test]
async fn each_policy_of_a_shared_walk_answers_as_its_own_evaluation_does() {
    let app = spawn_app().await;
    // Llama 2 and DeepSeek-R1 outputs two steps apart, attested under nothing.
    let llama = app
        .register(
            &app.admin,
            generated_by("l2", "Llama-2-13b-chat.Q4_K_M.gguf"),
        )
        .await;
    let r1 = app
        .register(&app.admin, generated_by("r1", "deepseek-r1:70b"))
        .await;
    let mid = app.register(&app.admin, derived("mid", &[&r1])).await;
    let top = app
        .register(&app.admin, derived("top", &[&mid, &llama]))
        .await;
    let several = [LLAMA_3_1, POLICY, LLAMA_2];
    let shared = app
        .evaluate_request(pb::EvaluateDatasetRequest {
            dataset_id: top.id.clone(),
            policies: refs(&several),
            target_model: "Acme-8B".into(),
            ..Default::default()
        })
        .await
        .expect("evaluation under several policies");
    let order: Vec<&str> = shared
        .policy_evaluations
        .iter()
        .map(|p| p.policy_id.as_str())
        .collect();
    assert_eq!(order, several, "in the order asked");
    for policy in several {
        let alone = app
            .evaluate_request(pb::EvaluateDatasetRequest {
                dataset_id: top.id.clone(),
                policy_id: policy.into(),
                target_model: "Acme-8B".into(),
                ..Default::default()
            })
            .await
            .expect("evaluation under one policy");
        assert!(
            alone.policy_evaluations.is_empty(),
            "the one-policy answer is as before"
        );
        let mut one = under(&shared, policy).clone();
        one.evaluate_time = alone.evaluate_time;
        assert_eq!(one, alone, "{policy}");
    }
    assert_eq!(
        names(&under(&shared, POLICY).offenders[0].path),
        ["top", "mid", "r1"]
    );
    assert_eq!(
        names(&under(&shared, LLAMA_2).offenders[0].path),
        ["top", "l2"]
    );
}

#[tokio::test]
async fn each_policy_of_several_lists_fewer_offenders_and_counts_them_all() {
    let app = spawn_app().await;
    let mut leaves = Vec::new();
    for i in 0..30 {
        leaves.push(
            app.register(
                &app.admin,
                generated_by(&format!("leaf-{i:02}"), "DeepSeek-R1"),
            )
            .await,
        );
    }
    let parents: Vec<&pb::Dataset> = leaves.iter().collect();
    let top = app.register(&app.admin, derived("top", &parents)).await;
    let e = app
        .evaluate_request(pb::EvaluateDatasetRequest {
            dataset_id: top.id.clone(),
            all_policies: true,
            ..Default::default()
        })
        .await
        .expect("evaluation");
    // Together the policies list no more than one evaluation does (100 of each list).
    let listed_each = 100 / e.policy_evaluations.len();
    assert!(listed_each < 30, "{listed_each}");
    let r1 = under(&e, POLICY);
    assert_eq!(r1.offender_count, 30);
    assert_eq!(r1.offenders.len(), listed_each);
    assert_eq!(r1.missing_attestation_count, 31);
    assert_eq!(r1.missing_attestations.len(), listed_each);
    assert_eq!(verdict_of(under(&e, LLAMA_2)), pb::Verdict::Incomplete);
}

#[tokio::test]
async fn bad_policy_lists_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let request = |policies: Vec<pb::PolicyRef>| pb::EvaluateDatasetRequest {
        dataset_id: d.id.clone(),
        policies,
        ..Default::default()
    };
    let (_, outsider) = app.other_org("Globex").await;
    let before = app.snapshot().await;
    let too_many: Vec<&str> = std::iter::repeat_n(POLICY, 17).collect();
    for (bad, code, needle) in [
        (
            request(refs(&too_many)),
            Code::InvalidArgument,
            "policies: must name at most 16 policies, not 17",
        ),
        (
            request(refs(&[POLICY, "no-such-policy"])),
            Code::NotFound,
            "policies[1]: policy \"no-such-policy\" not found",
        ),
        (
            request(vec![
                pb::PolicyRef {
                    id: LLAMA_2.into(),
                    version: String::new(),
                },
                pb::PolicyRef {
                    id: LLAMA_2.into(),
                    version: "no-such-version".into(),
                },
            ]),
            Code::NotFound,
            "policies[1]: policy \"llama-2-community-license\" version \"no-such-version\" not found",
        ),
        (
            request(refs(&[POLICY, LLAMA_2, POLICY])),
            Code::InvalidArgument,
            "policies[2]: names policy \"deepseek-r1-anti-distillation\"",
        ),
        (
            request(refs(&[LLAMA_2, ""])),
            Code::InvalidArgument,
            "policies[1].id: is required",
        ),
        (
            pb::EvaluateDatasetRequest {
                policy_id: POLICY.into(),
                ..request(refs(&[LLAMA_2]))
            },
            Code::InvalidArgument,
            "policy_id: must be empty",
        ),
        (
            pb::EvaluateDatasetRequest {
                policy_version: "1".into(),
                all_policies: true,
                ..request(Vec::new())
            },
            Code::InvalidArgument,
            "policy_version: must be empty",
        ),
        (
            pb::EvaluateDatasetRequest {
                all_policies: true,
                ..request(refs(&[LLAMA_2]))
            },
            Code::InvalidArgument,
            "policies: must be empty when all_policies is set",
        ),
        (
            pb::EvaluateDatasetRequest {
                dataset_id: "nope".into(),
                ..request(refs(&[LLAMA_2]))
            },
            Code::InvalidArgument,
            "dataset_id",
        ),
    ] {
        assert_status(app.evaluate_request(bad).await, code, needle);
    }
    // A caller who may not see the dataset learns nothing about it from a policy list.
    let hidden = app
        .policies()
        .evaluate_dataset(authed(&outsider, request(refs(&[POLICY, LLAMA_2]))))
        .await;
    assert_status(hidden, Code::NotFound, "not found");
    assert_eq!(app.snapshot().await, before, "an evaluation stores nothing");
}
