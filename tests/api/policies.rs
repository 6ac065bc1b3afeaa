//! Policies, evaluation, attestations and contamination reports.

use provenance_registry::proto::v1 as pb;
use tonic::Code;

use crate::helpers::*;

pub const POLICY: &str = "deepseek-r1-anti-distillation";

/// A dataset whose one source is output of `model`.
pub fn generated_by(name: &str, model: &str) -> pb::RegisterDatasetRequest {
    pb::RegisterDatasetRequest {
        sources: vec![pb::Source {
            kind: pb::SourceKind::ModelGenerated as i32,
            model: Some(pb::ModelRef {
                model_id: model.into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..dataset(name)
    }
}

pub fn attestation_request(dataset: &pb::Dataset) -> pb::RecordAttestationRequest {
    pb::RecordAttestationRequest {
        dataset_id: dataset.id.clone(),
        policy_id: POLICY.into(),
        method: pb::AttestationMethod::ManualReview as i32,
        evidence: vec![pb::Evidence {
            uri: "https://evidence.example/review.pdf".into(),
            content_digest: digest("review"),
            description: "the review".into(),
        }],
        statement: "No output of DeepSeek-R1 was used.".into(),
        ..Default::default()
    }
}

impl TestApp {
    pub async fn attest(&self, token: &str, dataset: &pb::Dataset) -> pb::Attestation {
        self.attestations()
            .record_attestation(authed(token, attestation_request(dataset)))
            .await
            .expect("attestation recorded")
            .into_inner()
    }

    pub async fn evaluate(
        &self,
        token: &str,
        dataset: &pb::Dataset,
        target: &str,
    ) -> pb::Evaluation {
        self.policies()
            .evaluate_dataset(authed(
                token,
                pb::EvaluateDatasetRequest {
                    dataset_id: dataset.id.clone(),
                    policy_id: POLICY.into(),
                    target_model: target.into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("evaluation")
            .into_inner()
    }
}

fn verdict(e: &pb::Evaluation) -> pb::Verdict {
    pb::Verdict::try_from(e.verdict).unwrap()
}

fn path_names(path: &[pb::PathStep]) -> Vec<String> {
    path.iter()
        .map(|s| {
            if s.hidden {
                "?".to_owned()
            } else {
                s.name.clone()
            }
        })
        .collect()
}

#[tokio::test]
async fn the_builtin_policy_is_listed_with_its_clause_digest_and_source() {
    let app = spawn_app().await;
    let auditor = app.token(pb::Role::Auditor).await;
    let list = app
        .policies()
        .list_policies(authed(&auditor, pb::ListPoliciesRequest {}))
        .await
        .unwrap()
        .into_inner();
    let policy = list
        .policies
        .iter()
        .find(|p| p.id == POLICY)
        .expect("built-in policy listed");
    assert!(policy.builtin);
    assert_eq!(
        policy.clause,
        "You will not use the Model or any output of the Model to improve any other large language model (excluding DeepSeek-R1 and its derivatives)."
    );
    use sha2::Digest;
    assert_eq!(
        policy.clause_sha256,
        hex::encode(sha2::Sha256::digest(policy.clause.as_bytes()))
    );
    let source = policy.source.as_ref().unwrap();
    assert_eq!(
        (
            source.record_id.as_str(),
            source.document.as_str(),
            source.document_updated.as_str()
        ),
        ("CA-P-012027", "DeepSeek Model License", "2026-05-12")
    );
    assert_eq!(
        policy.exempt.as_ref().unwrap().description,
        "DeepSeek-R1 and its derivatives"
    );

    let got = app
        .policies()
        .get_policy(authed(
            &auditor,
            pb::GetPolicyRequest {
                id: POLICY.into(),
                version: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&got, policy);
    assert_status(
        app.policies()
            .get_policy(authed(
                &auditor,
                pb::GetPolicyRequest {
                    id: "nope".into(),
                    version: String::new(),
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_status(
        app.policies()
            .get_policy(authed(
                &auditor,
                pb::GetPolicyRequest {
                    id: POLICY.into(),
                    version: "1999".into(),
                },
            ))
            .await,
        Code::NotFound,
        "1999",
    );
}

#[tokio::test]
async fn every_spelling_of_the_name_table_is_judged_as_the_table_says() {
    let app = spawn_app().await;
    let table = include_str!("../data/model_names.tsv");
    let mut failures = Vec::new();
    let mut rows = 0;
    for (line_number, line) in table.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line == "policy\tspelling\texpected" {
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(policy), Some(spelling), Some(expected)) =
            (fields.next(), fields.next(), fields.next())
        else {
            panic!("line {line_number} has not three columns: {line:?}");
        };
        rows += 1;
        let name = format!("row-{line_number}");
        let request = generated_by(&name, spelling);
        let registered = match app
            .datasets()
            .register_dataset(authed(&app.admin, request))
            .await
        {
            Ok(answer) => answer.into_inner().dataset.unwrap(),
            Err(status) => {
                failures.push(format!(
                    "{spelling:?}: refused at registration: {}",
                    status.message()
                ));
                continue;
            }
        };
        // A competing purpose, so that a competing-use prohibition's outputs offend as a
        // prohibition's do; the other kinds of policy list them under their obligation.
        let e = app
            .policies()
            .evaluate_dataset(authed(
                &app.admin,
                pb::EvaluateDatasetRequest {
                    dataset_id: registered.id.clone(),
                    policy_id: policy.into(),
                    declared_purpose: pb::Purpose::CompetingModel as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("evaluation")
            .into_inner();
        let obligation_sources = e.obligations.first().map(|o| o.sources.as_slice());
        let found = match e
            .offenders
            .first()
            .or(obligation_sources.and_then(<[_]>::first))
        {
            None => "-".to_owned(),
            Some(o) => format!(
                "{}:{}:{}",
                o.match_rule,
                o.matched,
                if o.derivative { "derivative" } else { "model" }
            ),
        };
        let expected_verdict = if expected == "-" || obligation_sources.is_some() {
            pb::Verdict::Incomplete
        } else {
            pb::Verdict::Contaminated
        };
        if found != expected || verdict(&e) != expected_verdict {
            failures.push(format!(
                "{policy}: {spelling:?}: expected {expected}, got {found} ({:?})",
                verdict(&e)
            ));
        }
    }
    assert!(rows >= 300, "the table has only {rows} rows");
    assert!(
        failures.is_empty(),
        "{} of {rows} spellings misjudged:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn look_alike_model_names_contaminate_refuse_attestation_and_are_flagged_on_the_record() {
    let app = spawn_app().await;
    // The spellings that once evaluated INCOMPLETE and, attested, CLEAN.
    let spellings = [
        (
            "cyrillic-e",
            "DeepSe\u{0435}k-R1",
            "mixes scripts (Latin, Cyrillic)",
        ),
        (
            "cyrillic-dze",
            "Deep\u{0405}eek-R1",
            "mixes scripts (Latin, Cyrillic)",
        ),
        (
            "cyrillic-er",
            "DeepSeek-\u{0420}1",
            "mixes scripts (Latin, Cyrillic)",
        ),
        (
            "arabic-one",
            "DeepSeek-R\u{0661}",
            "mixes scripts (Latin, Arabic)",
        ),
    ];
    for (name, spelling, reason) in spellings {
        let registered = app.register(&app.admin, generated_by(name, spelling)).await;
        assert_eq!(
            registered.warnings.len(),
            1,
            "{spelling:?}: {:?}",
            registered.warnings
        );
        let warning = &registered.warnings[0];
        assert!(
            warning.starts_with("sources[0].model.model_id: ") && warning.contains(reason),
            "{spelling:?}: {warning}"
        );
        // The warning is part of the record, read back the same way.
        let read = app
            .datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest {
                    id: registered.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.warnings, registered.warnings);

        let e = app.evaluate(&app.admin, &registered, "").await;
        assert_eq!(verdict(&e), pb::Verdict::Contaminated, "{spelling:?}");
        let offender = &e.offenders[0];
        assert_eq!(
            (
                offender.match_rule.as_str(),
                offender.matched.as_str(),
                offender.model_id.as_str()
            ),
            ("confusable", "deepseek-r1", spelling)
        );
        let refused = app
            .attestations()
            .record_attestation(authed(&app.admin, attestation_request(&registered)))
            .await;
        assert_status(refused, Code::FailedPrecondition, "offender");
        let attestations = app
            .attestations()
            .list_attestations(authed(
                &app.admin,
                pb::ListAttestationsRequest {
                    dataset_id: registered.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(attestations.attestations.is_empty(), "nothing was recorded");
    }

    // Mathematical letters are the model's name under NFKC: matched, and said so on the record.
    let styled = app
        .register(&app.admin, generated_by("styled", "𝐃𝐞𝐞𝐩𝐒𝐞𝐞𝐤-𝐑𝟏"))
        .await;
    let e = app.evaluate(&app.admin, &styled, "").await;
    assert_eq!(verdict(&e), pb::Verdict::Contaminated);
    assert_eq!(e.offenders[0].match_rule, "canonical");

    // A look-alike target is no claim to train the exempt model.
    let r1 = app
        .register(&app.admin, generated_by("r1", "DeepSeek-R1"))
        .await;
    assert!(r1.warnings.is_empty(), "{:?}", r1.warnings);
    let disguised_target = app.evaluate(&app.admin, &r1, "DeepSe\u{0435}k-R1").await;
    assert_eq!(verdict(&disguised_target), pb::Verdict::Contaminated);
    assert!(!disguised_target.target_exempt);
    let real_target = app
        .evaluate(&app.admin, &r1, "deepseek-ai/DeepSeek-R1")
        .await;
    assert_eq!(verdict(&real_target), pb::Verdict::Exempt);
}

#[tokio::test]
async fn a_fully_attested_lineage_without_restricted_outputs_is_clean() {
    let app = spawn_app().await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    let qwen = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                sources: vec![parent_source(&raw.id)],
                ..generated_by("qwen-sft", "Qwen/Qwen2.5-72B-Instruct")
            },
        )
        .await;
    let mix = app
        .register(&app.admin, derived("mix", &[&raw, &qwen]))
        .await;
    let incomplete = app.evaluate(&app.admin, &mix, "").await;
    assert_eq!(verdict(&incomplete), pb::Verdict::Incomplete);
    assert_eq!(incomplete.missing_attestation_count, 3);
    assert_eq!(
        path_names(&incomplete.missing_attestations),
        ["mix", "raw", "qwen-sft"]
    );

    let mut ids = Vec::new();
    for d in [&raw, &qwen, &mix] {
        ids.push(app.attest(&app.admin, d).await.id);
    }
    let clean = app.evaluate(&app.admin, &mix, "").await;
    assert_eq!(verdict(&clean), pb::Verdict::Clean, "{clean:?}");
    ids.sort();
    assert_eq!(clean.attestation_ids, ids);
    assert_eq!(clean.closure_size, 3);
    assert!(clean.offenders.is_empty() && clean.missing_attestations.is_empty());
}

#[tokio::test]
async fn a_restricted_grandparent_contaminates_and_each_offender_has_a_shortest_path() {
    let app = spawn_app().await;
    let r1 = app
        .register(
            &app.admin,
            generated_by("r1-traces", "deepseek-ai/DeepSeek-R1"),
        )
        .await;
    let distill = app
        .register(
            &app.admin,
            generated_by("distill-traces", "DeepSeek-R1-Distill-Qwen-7B"),
        )
        .await;
    let clean = app.register(&app.admin, derived("clean", &[&r1])).await;
    let longer = app.register(&app.admin, derived("longer", &[&clean])).await;
    // Two routes to r1-traces: through `clean` (2 steps) and through `longer` (3 steps).
    let mix = app
        .register(&app.admin, derived("mix", &[&longer, &clean, &distill]))
        .await;

    let e = app.evaluate(&app.admin, &mix, "").await;
    assert_eq!(verdict(&e), pb::Verdict::Contaminated);
    assert_eq!(e.offender_count, 2);
    let paths: Vec<Vec<String>> = e.offenders.iter().map(|o| path_names(&o.path)).collect();
    assert!(paths.contains(&vec!["mix".into(), "distill-traces".into()]));
    assert!(paths.contains(&vec!["mix".into(), "clean".into(), "r1-traces".into()]));
    assert_eq!(paths[0].len(), 2, "shorter paths first");
    let r1_offender = e
        .offenders
        .iter()
        .find(|o| o.model_id == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(
        (
            r1_offender.match_rule.as_str(),
            r1_offender.matched.as_str(),
            r1_offender.derivative
        ),
        ("canonical", "deepseek-r1", false)
    );
    assert_eq!(
        r1_offender.kind,
        pb::OffenceKind::RestrictedModelOutput as i32
    );
    assert_eq!(r1_offender.path.last().unwrap().dataset_id, r1.id);
    // The same state gives the same answer.
    let again = app.evaluate(&app.admin, &mix, "").await;
    assert_eq!(again.offenders, e.offenders);
}

#[tokio::test]
async fn a_deep_chain_is_walked_to_its_root() {
    let app = spawn_app().await;
    let mut previous = app
        .register(&app.admin, generated_by("bottom", "deepseek-r1:70b"))
        .await;
    for i in 0..60 {
        previous = app
            .register(&app.admin, derived(&format!("level-{i}"), &[&previous]))
            .await;
    }
    let e = app.evaluate(&app.admin, &previous, "").await;
    assert_eq!(verdict(&e), pb::Verdict::Contaminated);
    assert_eq!(e.closure_size, 61);
    // The path's ends, and its whole length.
    assert_eq!(e.offenders[0].path_length, 61);
    assert_eq!(
        path_names(&e.offenders[0].path),
        [
            "level-59", "level-58", "level-57", "level-1", "level-0", "bottom"
        ]
    );
}

#[tokio::test]
async fn an_exempt_target_allows_restricted_outputs_and_says_why() {
    let app = spawn_app().await;
    let traces = app
        .register(&app.admin, generated_by("traces", "DeepSeek R1"))
        .await;
    let exempt = app
        .evaluate(
            &app.admin,
            &traces,
            "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        )
        .await;
    assert_eq!(verdict(&exempt), pb::Verdict::Exempt);
    assert!(exempt.target_exempt);
    assert!(
        exempt.exemption.contains("DeepSeek-R1 and its derivatives"),
        "{}",
        exempt.exemption
    );
    assert_eq!(exempt.offender_count, 1);
    let other = app
        .evaluate(&app.admin, &traces, "meta-llama/Llama-3.1-70B")
        .await;
    assert_eq!(verdict(&other), pb::Verdict::Contaminated);
    assert!(!other.target_exempt);
}

#[tokio::test]
async fn an_attestation_on_a_contaminated_lineage_is_refused_with_the_paths_and_nothing_is_stored()
{
    let app = spawn_app().await;
    let r1 = app
        .register(&app.admin, generated_by("r1-traces", "deepseek-reasoner"))
        .await;
    let child = app.register(&app.admin, derived("child", &[&r1])).await;
    let before = app.snapshot().await;
    let status = assert_status(
        app.attestations()
            .record_attestation(authed(&app.admin, attestation_request(&child)))
            .await,
        Code::FailedPrecondition,
        "1 offender(s) in all",
    );
    assert!(
        status.message().contains(&child.id) && status.message().contains("EvaluateDataset"),
        "{}",
        status.message()
    );
    use tonic_types::StatusExt;
    let details = status
        .get_details_precondition_failure()
        .expect("PreconditionFailure details");
    assert_eq!(details.violations.len(), 1);
    assert_eq!(details.violations[0].r#type, "RESTRICTED_MODEL_OUTPUT");
    assert!(
        details.violations[0].subject.contains("child@1")
            && details.violations[0].subject.contains("r1-traces@1")
            && details.violations[0].subject.contains(&r1.id)
    );
    assert!(
        details.violations[0]
            .description
            .contains("deepseek-reasoner")
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn revoked_and_expired_attestations_no_longer_count() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let attestation = app.attest(&app.admin, &d).await;
    assert!(attestation.valid);
    assert_eq!(
        verdict(&app.evaluate(&app.admin, &d, "").await),
        pb::Verdict::Clean
    );

    let revoked = app
        .attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: attestation.id.clone(),
                reason: "supplier withdrew its declaration".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!revoked.valid && revoked.revoke_time.is_some());
    assert_eq!(revoked.revoke_reason, "supplier withdrew its declaration");
    assert_eq!(
        verdict(&app.evaluate(&app.admin, &d, "").await),
        pb::Verdict::Incomplete
    );
    assert_status(
        app.attestations()
            .revoke_attestation(authed(
                &app.admin,
                pb::RevokeAttestationRequest {
                    id: attestation.id.clone(),
                    reason: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "reason",
    );

    // An attestation that expired yesterday, written straight into the database as time would have
    // left it, counts no more than a revoked one.
    let Some(url) = app.sqlite_url() else {
        return;
    };
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let day = chrono::Duration::days(1);
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    sqlx::query(
        "INSERT INTO attestations (id, dataset_id, organization_id, policy_id, policy_version, method, evidence, \
         statement, create_time, expire_time, attester_token_id, attester_subject) \
         SELECT $1, dataset_id, organization_id, policy_id, policy_version, method, evidence, statement, $2, $3, \
         attester_token_id, attester_subject FROM attestations WHERE id = $4",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(at(chrono::Utc::now() - day * 2))
    .bind(at(chrono::Utc::now() - day))
    .bind(&attestation.id)
    .execute(&mut conn)
    .await
    .unwrap();
    let listed = app
        .attestations()
        .list_attestations(authed(
            &app.admin,
            pb::ListAttestationsRequest {
                dataset_id: d.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.attestations.len(), 2);
    assert!(listed.attestations.iter().all(|a| !a.valid));
    assert_eq!(
        verdict(&app.evaluate(&app.admin, &d, "").await),
        pb::Verdict::Incomplete
    );

    // A fresh one restores the verdict.
    app.attest(&app.admin, &d).await;
    assert_eq!(
        verdict(&app.evaluate(&app.admin, &d, "").await),
        pb::Verdict::Clean
    );
}

#[tokio::test]
async fn malformed_attestations_name_their_field_and_store_nothing() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let auditor = app.token(pb::Role::Auditor).await;
    let before = app.snapshot().await;
    let good = attestation_request(&d);
    let past = provenance_registry::proto::wkt::Timestamp {
        seconds: 1_000_000_000,
        nanos: 0,
    };
    let cases: Vec<(pb::RecordAttestationRequest, Code, &str)> = vec![
        (
            pb::RecordAttestationRequest {
                dataset_id: "x".into(),
                ..good.clone()
            },
            Code::InvalidArgument,
            "dataset_id",
        ),
        (
            pb::RecordAttestationRequest {
                method: 0,
                ..good.clone()
            },
            Code::InvalidArgument,
            "method",
        ),
        (
            pb::RecordAttestationRequest {
                evidence: vec![],
                ..good.clone()
            },
            Code::InvalidArgument,
            "evidence: must hold 1 to 20",
        ),
        (
            pb::RecordAttestationRequest {
                evidence: vec![good.evidence[0].clone(); 21],
                ..good.clone()
            },
            Code::InvalidArgument,
            "evidence",
        ),
        (
            pb::RecordAttestationRequest {
                evidence: vec![pb::Evidence {
                    content_digest: "sha256:1".into(),
                    ..good.evidence[0].clone()
                }],
                ..good.clone()
            },
            Code::InvalidArgument,
            "evidence[0].content_digest",
        ),
        (
            pb::RecordAttestationRequest {
                evidence: vec![pb::Evidence {
                    uri: String::new(),
                    ..good.evidence[0].clone()
                }],
                ..good.clone()
            },
            Code::InvalidArgument,
            "evidence[0].uri",
        ),
        (
            pb::RecordAttestationRequest {
                statement: String::new(),
                ..good.clone()
            },
            Code::InvalidArgument,
            "statement",
        ),
        (
            pb::RecordAttestationRequest {
                expire_time: Some(past),
                ..good.clone()
            },
            Code::InvalidArgument,
            "expire_time",
        ),
        (
            pb::RecordAttestationRequest {
                policy_id: String::new(),
                ..good.clone()
            },
            Code::InvalidArgument,
            "policy_id",
        ),
        (
            pb::RecordAttestationRequest {
                policy_id: "unknown".into(),
                ..good.clone()
            },
            Code::NotFound,
            "policy",
        ),
        (
            pb::RecordAttestationRequest {
                dataset_id: uuid::Uuid::now_v7().to_string(),
                ..good.clone()
            },
            Code::NotFound,
            "not found",
        ),
    ];
    for (request, code, needle) in cases {
        assert_status(
            app.attestations()
                .record_attestation(authed(&app.admin, request))
                .await,
            code,
            needle,
        );
    }
    assert_status(
        app.attestations()
            .record_attestation(authed(&auditor, good))
            .await,
        Code::PermissionDenied,
        "registrar",
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn only_the_owner_attests_and_outsiders_see_attestations_of_public_datasets_only() {
    let app = spawn_app().await;
    let (_, b_admin) = app.other_org("Globex").await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("public")
            },
        )
        .await;
    let private = app.register(&app.admin, dataset("private")).await;
    let before = app.snapshot().await;
    assert_status(
        app.attestations()
            .record_attestation(authed(&b_admin, attestation_request(&public)))
            .await,
        Code::PermissionDenied,
        "owner",
    );
    assert_status(
        app.attestations()
            .record_attestation(authed(&b_admin, attestation_request(&private)))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_eq!(app.snapshot().await, before);

    let on_public = app.attest(&app.admin, &public).await;
    let on_private = app.attest(&app.admin, &private).await;
    let get = |id: &str| pb::GetAttestationRequest { id: id.into() };
    app.attestations()
        .get_attestation(authed(&b_admin, get(&on_public.id)))
        .await
        .unwrap();
    assert_status(
        app.attestations()
            .get_attestation(authed(&b_admin, get(&on_private.id)))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_status(
        app.attestations()
            .revoke_attestation(authed(
                &b_admin,
                pb::RevokeAttestationRequest {
                    id: on_public.id.clone(),
                    reason: "r".into(),
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    let own = app
        .attestations()
        .list_attestations(authed(&app.admin, pb::ListAttestationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.attestations.len(), 2);
    let theirs = app
        .attestations()
        .list_attestations(authed(&b_admin, pb::ListAttestationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.attestations.is_empty());
}

#[tokio::test]
async fn a_third_party_report_changes_no_verdict_while_the_owners_poisons_everything_downstream() {
    let app = spawn_app().await;
    let (_, b_admin) = app.other_org("Globex").await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("public")
            },
        )
        .await;
    let downstream = app
        .register(&b_admin, derived("built-by-b", &[&public]))
        .await;
    app.attest(&app.admin, &public).await;
    app.attest(&b_admin, &downstream).await;
    assert_eq!(
        verdict(&app.evaluate(&b_admin, &downstream, "").await),
        pb::Verdict::Clean
    );

    let report = |statement: &str| pb::ReportContaminationRequest {
        dataset_id: public.id.clone(),
        statement: statement.into(),
        evidence: vec![pb::ContaminationEvidence {
            uri: "https://evidence.example/scan".into(),
            content_digest: digest("scan"),
        }],
    };
    let complaint = app
        .datasets()
        .report_contamination(authed(&b_admin, report("we think so")))
        .await
        .unwrap()
        .into_inner();
    assert!(!complaint.effective);
    assert_eq!(
        verdict(&app.evaluate(&b_admin, &downstream, "").await),
        pb::Verdict::Clean,
        "a complaint changes nothing"
    );

    let owned = app
        .datasets()
        .report_contamination(authed(&app.admin, report("confirmed: R1 traces")))
        .await
        .unwrap()
        .into_inner();
    assert!(owned.effective);
    let e = app.evaluate(&b_admin, &downstream, "").await;
    assert_eq!(verdict(&e), pb::Verdict::Contaminated);
    assert_eq!(path_names(&e.offenders[0].path), ["built-by-b", "public"]);
    assert_eq!(
        e.offenders[0].kind,
        pb::OffenceKind::ReportedContaminated as i32
    );
    assert_eq!(e.offenders[0].report_id, owned.id);
    // An exempt target does not excuse a reported contamination: the report does not say whose outputs.
    assert_eq!(
        verdict(&app.evaluate(&b_admin, &downstream, "DeepSeek-R1").await),
        pb::Verdict::Contaminated
    );

    let read = app
        .datasets()
        .get_dataset(authed(
            &b_admin,
            pb::GetDatasetRequest {
                id: public.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(read.contaminated);
    let listed: Vec<(bool, String)> = read
        .contamination_reports
        .iter()
        .map(|r| (r.effective, r.statement.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (false, "we think so".into()),
            (true, "confirmed: R1 traces".into())
        ]
    );

    let events = app.all_events(&b_admin).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.r#type == "dataset.contamination_reported")
            .count(),
        2
    );
}

#[tokio::test]
async fn an_outsider_sees_a_contaminated_public_ancestor_by_name_and_a_private_one_as_hidden() {
    let app = spawn_app().await;
    let (_, b_admin) = app.other_org("Globex").await;
    let secret = app
        .register(
            &app.admin,
            generated_by("secret-r1", "unsloth/DeepSeek-R1-GGUF"),
        )
        .await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..derived("public-mix", &[&secret])
            },
        )
        .await;
    let theirs = app
        .register(&b_admin, derived("b-product", &[&public]))
        .await;
    let e = app.evaluate(&b_admin, &theirs, "").await;
    assert_eq!(verdict(&e), pb::Verdict::Contaminated);
    assert_eq!(
        path_names(&e.offenders[0].path),
        ["b-product", "public-mix", "?"]
    );
    assert!(e.offenders[0].path[2].dataset_id.is_empty());
    assert_eq!(e.offenders[0].model_id, "unsloth/DeepSeek-R1-GGUF");
    assert!(
        !format!("{e:?}").contains(&secret.id),
        "the private dataset's id leaked"
    );
    // The owner sees the whole path.
    let owner_view = app.evaluate(&app.admin, &public, "").await;
    assert_eq!(
        path_names(&owner_view.offenders[0].path),
        ["public-mix", "secret-r1"]
    );
}

#[tokio::test]
async fn evaluation_requests_name_their_bad_fields() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let (_, b_admin) = app.other_org("Globex").await;
    let request = |id: &str, policy: &str| pb::EvaluateDatasetRequest {
        dataset_id: id.into(),
        policy_id: policy.into(),
        ..Default::default()
    };
    let evaluate = |token: String, r: pb::EvaluateDatasetRequest| {
        let mut client = app.policies();
        async move { client.evaluate_dataset(authed(&token, r)).await }
    };
    assert_status(
        evaluate(app.admin.clone(), request("nope", POLICY)).await,
        Code::InvalidArgument,
        "dataset_id",
    );
    assert_status(
        evaluate(app.admin.clone(), request(&d.id, "")).await,
        Code::InvalidArgument,
        "policy_id",
    );
    assert_status(
        evaluate(app.admin.clone(), request(&d.id, "other")).await,
        Code::NotFound,
        "policy",
    );
    assert_status(
        evaluate(b_admin, request(&d.id, POLICY)).await,
        Code::NotFound,
        "not found",
    );
    let long_target = pb::EvaluateDatasetRequest {
        target_model: "m".repeat(201),
        ..request(&d.id, POLICY)
    };
    assert_status(
        evaluate(app.admin.clone(), long_target).await,
        Code::InvalidArgument,
        "target_model",
    );
    let unknown_purpose = pb::EvaluateDatasetRequest {
        declared_purpose: 9,
        ..request(&d.id, POLICY)
    };
    assert_status(
        evaluate(app.admin.clone(), unknown_purpose).await,
        Code::InvalidArgument,
        "declared_purpose",
    );
}

const LLAMA_3_1: &str = "llama-3.1-community-license";
const OPENAI: &str = "openai-terms-of-use";
const GEMMA: &str = "gemma-terms-of-use";
const GEMINI: &str = "gemini-api-additional-terms";

impl TestApp {
    /// Evaluates `dataset` under `policy` for `target` (empty for none) and `purpose`.
    async fn evaluate_under(
        &self,
        dataset: &pb::Dataset,
        policy: &str,
        target: &str,
        purpose: pb::Purpose,
    ) -> pb::Evaluation {
        self.policies()
            .evaluate_dataset(authed(
                &self.admin,
                pb::EvaluateDatasetRequest {
                    dataset_id: dataset.id.clone(),
                    policy_id: policy.into(),
                    target_model: target.into(),
                    declared_purpose: purpose as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("evaluation")
            .into_inner()
    }

    /// `raw <- mix`, `raw` holding outputs of `model`, both attested under `policy`.
    async fn attested_chain_under(&self, policy: &str, model: &str) -> pb::Dataset {
        let raw = self
            .register(&self.admin, generated_by(&format!("raw-{policy}"), model))
            .await;
        let mix = self
            .register(&self.admin, derived(&format!("mix-{policy}"), &[&raw]))
            .await;
        for d in [&raw, &mix] {
            self.attestations()
                .record_attestation(authed(
                    &self.admin,
                    pb::RecordAttestationRequest {
                        policy_id: policy.into(),
                        ..attestation_request(d)
                    },
                ))
                .await
                .expect("attested: outputs a policy allows at a price do not contaminate");
        }
        mix
    }
}

fn only_obligation(e: &pb::Evaluation) -> (pb::ObligationKind, pb::ObligationStatus, i32) {
    assert_eq!(e.obligations.len(), 1, "{e:?}");
    let o = &e.obligations[0];
    assert_eq!(o.sources.len(), 1);
    assert_eq!(path_names(&o.sources[0].path).len(), 2);
    (o.kind(), o.status(), o.source_count)
}

#[tokio::test]
async fn every_shipped_policy_is_listed_with_its_kind_section_and_source() {
    let app = spawn_app().await;
    let policies = app
        .policies()
        .list_policies(authed(&app.admin, pb::ListPoliciesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .policies;
    let kinds: Vec<(&str, pb::PolicyKind)> =
        policies.iter().map(|p| (p.id.as_str(), p.kind())).collect();
    for expected in [
        (POLICY, pb::PolicyKind::Prohibition),
        ("llama-2-community-license", pb::PolicyKind::Prohibition),
        ("llama-3-community-license", pb::PolicyKind::Prohibition),
        (LLAMA_3_1, pb::PolicyKind::NamingObligation),
        (
            "llama-3.2-community-license",
            pb::PolicyKind::NamingObligation,
        ),
        (
            "llama-3.3-community-license",
            pb::PolicyKind::NamingObligation,
        ),
        ("tongyi-qianwen-license", pb::PolicyKind::Prohibition),
        (OPENAI, pb::PolicyKind::CompetingUseProhibition),
        (GEMMA, pb::PolicyKind::InheritedTerms),
        (GEMINI, pb::PolicyKind::CompetingUseProhibition),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
    }
    let llama = policies.iter().find(|p| p.id == LLAMA_3_1).unwrap();
    assert_eq!(llama.section, "1.b.i");
    assert_eq!(llama.name_prefix, "Llama");
    let source = llama.source.as_ref().unwrap();
    assert_eq!(
        source.document_version,
        "Llama 3.1 Version Release Date: July 23, 2024"
    );
    assert!(
        source.url.contains("models/llama3_1/LICENSE"),
        "{}",
        source.url
    );
    assert!(
        llama
            .clause
            .ends_with("at the beginning of any such AI model name.")
    );
}

#[tokio::test]
async fn llama_3_1_outputs_are_clean_with_the_naming_obligation_judged_against_the_target() {
    let app = spawn_app().await;
    let mix = app
        .attested_chain_under(LLAMA_3_1, "meta-llama/Llama-3.1-8B-Instruct")
        .await;
    let met = app
        .evaluate_under(
            &mix,
            LLAMA_3_1,
            "Llama-3.1-Acme-8B",
            pb::Purpose::Unspecified,
        )
        .await;
    assert_eq!(verdict(&met), pb::Verdict::Clean);
    assert_eq!(met.policy_kind(), pb::PolicyKind::NamingObligation);
    assert_eq!(
        only_obligation(&met),
        (pb::ObligationKind::NamePrefix, pb::ObligationStatus::Met, 1)
    );
    assert_eq!(met.obligations[0].name_prefix, "Llama");
    assert_eq!(met.offender_count, 0);

    let unmet = app
        .evaluate_under(&mix, LLAMA_3_1, "Acme-8B", pb::Purpose::Unspecified)
        .await;
    assert_eq!(verdict(&unmet), pb::Verdict::Clean);
    assert_eq!(
        only_obligation(&unmet),
        (
            pb::ObligationKind::NamePrefix,
            pb::ObligationStatus::Unmet,
            1
        )
    );
    assert!(unmet.obligations[0].description.contains("not met"));

    let untold = app
        .evaluate_under(&mix, LLAMA_3_1, "", pb::Purpose::Unspecified)
        .await;
    assert_eq!(
        only_obligation(&untold).1,
        pb::ObligationStatus::Undetermined
    );

    // The same lineage under the DeepSeek policy: nothing restricted, nothing owed, not attested.
    let other = app
        .evaluate_under(&mix, POLICY, "Acme-8B", pb::Purpose::Unspecified)
        .await;
    assert_eq!(verdict(&other), pb::Verdict::Incomplete);
    assert!(other.obligations.is_empty());
}

#[tokio::test]
async fn a_certificate_is_refused_while_an_obligation_is_unmet_or_undetermined() {
    let app = spawn_app().await;
    let mix = app.attested_chain_under(LLAMA_3_1, "llama3.1:8b").await;
    let issue = |target: &str| {
        let mut client = app.certificates();
        let request = pb::IssueCertificateRequest {
            dataset_id: mix.id.clone(),
            policy_id: LLAMA_3_1.into(),
            target_model: target.into(),
            ..Default::default()
        };
        let token = app.admin.clone();
        async move { client.issue_certificate(authed(&token, request)).await }
    };
    let before = app.snapshot().await;
    for (target, needle) in [
        ("Acme-8B", "NAME_PREFIX_UNMET"),
        ("", "TARGET_MODEL_REQUIRED"),
    ] {
        let status = issue(target).await.expect_err("refused");
        assert_eq!(status.code(), Code::FailedPrecondition, "{target}");
        let details = tonic_types::StatusExt::get_details_precondition_failure(&status)
            .expect("precondition details");
        assert_eq!(details.violations[0].r#type, needle, "{target}");
        assert!(
            status.message().contains("obligation"),
            "{}",
            status.message()
        );
    }
    assert_eq!(app.snapshot().await, before, "a refusal stores nothing");
    issue("Llama-3.1-Acme-8B").await.expect("met: issued");
}

#[tokio::test]
async fn the_hosted_model_terms_react_to_the_declared_purpose() {
    let app = spawn_app().await;
    for (policy, model, matched) in [
        (OPENAI, "gpt-4o-2024-08-06", "gpt-4o"),
        (GEMINI, "models/gemini-2.5-pro", "gemini-2.5-pro"),
    ] {
        let mix = app.attested_chain_under(policy, model).await;
        let competing = app
            .evaluate_under(&mix, policy, "", pb::Purpose::CompetingModel)
            .await;
        assert_eq!(verdict(&competing), pb::Verdict::Contaminated, "{policy}");
        assert_eq!(competing.offender_count, 1, "{policy}");
        assert_eq!(competing.offenders[0].matched, matched);
        assert!(competing.obligations.is_empty(), "{policy}");
        assert_eq!(competing.declared_purpose(), pb::Purpose::CompetingModel);

        let allowed = app
            .evaluate_under(&mix, policy, "", pb::Purpose::NonCompeting)
            .await;
        assert_eq!(verdict(&allowed), pb::Verdict::Clean, "{policy}");
        assert_eq!(
            only_obligation(&allowed),
            (
                pb::ObligationKind::NoCompetingUse,
                pb::ObligationStatus::Met,
                1
            ),
            "{policy}"
        );

        let undeclared = app
            .evaluate_under(&mix, policy, "", pb::Purpose::Unspecified)
            .await;
        assert_eq!(verdict(&undeclared), pb::Verdict::Incomplete, "{policy}");
        assert_eq!(undeclared.missing_attestation_count, 0, "{policy}");
        assert_eq!(
            only_obligation(&undeclared).1,
            pb::ObligationStatus::Undetermined,
            "{policy}"
        );
    }
}

#[tokio::test]
async fn gemma_outputs_bring_the_gemma_terms_to_any_target_and_never_contaminate() {
    let app = spawn_app().await;
    let mix = app
        .attested_chain_under(GEMMA, "google/gemma-2-9b-it")
        .await;
    for (target, purpose) in [
        ("Acme-8B", pb::Purpose::CompetingModel),
        ("google/gemma-2-27b", pb::Purpose::Unspecified),
        ("", pb::Purpose::NonCompeting),
    ] {
        let e = app.evaluate_under(&mix, GEMMA, target, purpose).await;
        assert_eq!(verdict(&e), pb::Verdict::Clean, "{target}");
        assert_eq!(e.offender_count, 0, "{target}");
        assert_eq!(e.policy_kind(), pb::PolicyKind::InheritedTerms);
        assert_eq!(
            only_obligation(&e),
            (
                pb::ObligationKind::InheritedTerms,
                pb::ObligationStatus::Applies,
                1
            ),
            "{target}"
        );
        assert_eq!(e.obligations[0].sources[0].matched, "gemma-2-*");
    }
}

#[tokio::test]
async fn llama_2_outputs_training_a_qwen_model_contaminate_under_llama_2_only() {
    let app = spawn_app().await;
    let raw = app
        .register(
            &app.admin,
            generated_by("llama2-traces", "meta-llama/Llama-2-70b-chat-hf"),
        )
        .await;
    let mix = app.register(&app.admin, derived("qwen-sft", &[&raw])).await;
    let target = "Qwen/Qwen2.5-7B-Instruct";
    let under_llama_2 = app
        .evaluate_under(
            &mix,
            "llama-2-community-license",
            target,
            pb::Purpose::CompetingModel,
        )
        .await;
    assert_eq!(verdict(&under_llama_2), pb::Verdict::Contaminated);
    assert_eq!(
        path_names(&under_llama_2.offenders[0].path),
        ["qwen-sft", "llama2-traces"]
    );
    for other in [
        POLICY,
        "llama-3-community-license",
        LLAMA_3_1,
        "tongyi-qianwen-license",
        OPENAI,
    ] {
        let e = app
            .evaluate_under(&mix, other, target, pb::Purpose::CompetingModel)
            .await;
        // Not attested under these policies: INCOMPLETE, with nothing restricted or owed.
        assert_eq!(verdict(&e), pb::Verdict::Incomplete, "{other}");
        assert_eq!(e.offender_count, 0, "{other}");
        assert!(e.obligations.is_empty(), "{other}");
    }
}

#[tokio::test]
async fn attestation_and_contamination_events_are_appended_in_order() {
    let app = spawn_app().await;
    let d = app.register(&app.admin, dataset("d")).await;
    let a = app.attest(&app.admin, &d).await;
    app.attestations()
        .revoke_attestation(authed(
            &app.admin,
            pb::RevokeAttestationRequest {
                id: a.id.clone(),
                reason: "wrong scan".into(),
            },
        ))
        .await
        .unwrap();
    app.datasets()
        .report_contamination(authed(
            &app.admin,
            pb::ReportContaminationRequest {
                dataset_id: d.id.clone(),
                statement: "found traces".into(),
                evidence: vec![],
            },
        ))
        .await
        .unwrap();
    let events = app.all_events(&app.operator).await;
    let tail: Vec<&str> = events[events.len() - 3..]
        .iter()
        .map(|e| e.r#type.as_str())
        .collect();
    assert_eq!(
        tail,
        [
            "attestation.recorded",
            "attestation.revoked",
            "dataset.contamination_reported"
        ]
    );
    crate::events::assert_chain_verifies(&events);
}
