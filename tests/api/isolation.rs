//! Organisation B never sees organisation A's private datasets: not by id, not in lists, not as a
//! parent, not in lineage, not in events; and every RPC answers B about A's private resources
//! exactly as about ids that exist nowhere (`NOT_FOUND`).

use provenance_registry::proto::v1 as pb;
use tonic::Code;

use crate::helpers::*;

struct TwoOrgs {
    app: TestApp,
    secret: pb::Dataset,
    public: pb::Dataset,
    /// A's public dataset made from its private one.
    public_child: pb::Dataset,
    b_admin: String,
}

async fn two_orgs() -> TwoOrgs {
    let app = spawn_app().await;
    let secret = app.register(&app.admin, dataset("a-secret")).await;
    let public = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("a-public")
            },
        )
        .await;
    let public_child = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..derived("a-public-child", &[&secret, &public])
            },
        )
        .await;
    let (_, b_admin) = app.other_org("Globex").await;
    TwoOrgs {
        app,
        secret,
        public,
        public_child,
        b_admin,
    }
}

#[tokio::test]
async fn another_organisation_cannot_read_or_list_a_private_dataset_but_sees_public_ones() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let hidden = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: t.secret.id.clone(),
            },
        ))
        .await;
    let absent = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await;
    assert_eq!(hidden.unwrap_err().code(), Code::NotFound);
    assert_eq!(absent.unwrap_err().code(), Code::NotFound);

    let listed: Vec<_> = t
        .app
        .all_datasets(&b)
        .await
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(listed, ["a-public", "a-public-child"]);
    let filtered = t
        .app
        .datasets()
        .list_datasets(authed(
            &b,
            pb::ListDatasetsRequest {
                name: "a-secret".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(filtered.datasets.is_empty());
}

#[tokio::test]
async fn another_organisation_cannot_use_a_private_dataset_as_a_parent_but_may_use_a_public_one() {
    let t = two_orgs().await;
    let before = t.app.snapshot().await;
    let status = assert_status(
        t.app
            .datasets()
            .register_dataset(authed(&t.b_admin, derived("stolen", &[&t.secret])))
            .await,
        Code::NotFound,
        "sources[0].dataset_id",
    );
    // The refusal reads exactly like the one for a dataset that does not exist.
    let missing = uuid::Uuid::now_v7().to_string();
    let absent = t
        .app
        .datasets()
        .register_dataset(authed(
            &t.b_admin,
            crate::datasets::derived_from_ids("stolen", &[&missing]),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        status.message().replace(&t.secret.id, "ID"),
        absent.message().replace(&missing, "ID")
    );
    assert_eq!(t.app.snapshot().await, before);

    t.app
        .register(&t.b_admin, derived("built-on-public", &[&t.public]))
        .await;
}

#[tokio::test]
async fn lineage_counts_what_another_organisation_may_not_see_and_never_shows_it() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let up = t
        .app
        .lineage()
        .get_lineage(authed(
            &b,
            pb::GetLineageRequest {
                dataset_id: t.public_child.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let shown: Vec<_> = up
        .nodes
        .iter()
        .map(|n| n.dataset.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(shown, ["a-public-child", "a-public"]);
    assert_eq!((up.total_count, up.hidden_count), (2, 1));
    assert_eq!(up.nodes[0].next_ids, [t.public.id.as_str()]);
    assert_eq!(up.nodes[0].hidden_next_count, 1);
    let json = format!("{up:?}");
    assert!(
        !json.contains(&t.secret.id) && !json.contains("a-secret"),
        "the hidden dataset leaked"
    );
    // The public child's record names its private parent to its owner only.
    let seen_by_b = t
        .app
        .datasets()
        .get_dataset(authed(
            &b,
            pb::GetDatasetRequest {
                id: t.public_child.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        seen_by_b.sources[0],
        pb::Source {
            kind: pb::SourceKind::Dataset as i32,
            parent_hidden: true,
            ..Default::default()
        }
    );
    assert_eq!(seen_by_b.sources[1], t.public_child.sources[1]);
    let seen_by_owner = t
        .app
        .datasets()
        .get_dataset(authed(
            &t.app.admin,
            pb::GetDatasetRequest {
                id: t.public_child.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen_by_owner.sources[0].dataset_id, t.secret.id);
    // Its owner sees everything.
    let owner = t
        .app
        .lineage()
        .get_lineage(authed(
            &t.app.admin,
            pb::GetLineageRequest {
                dataset_id: t.public_child.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((owner.total_count, owner.hidden_count), (3, 0));
    // Walking from the private dataset itself is refused as not found.
    assert_status(
        t.app
            .lineage()
            .get_lineage(authed(
                &b,
                pb::GetLineageRequest {
                    dataset_id: t.secret.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
}

#[tokio::test]
async fn events_show_another_organisation_only_what_is_public() {
    let t = two_orgs().await;
    let b = token_for(&t.app, &t.b_admin, pb::Role::Auditor).await;
    let events = t.app.all_events(&b).await;
    let text = format!("{events:?}");
    assert!(
        !text.contains(&t.secret.id),
        "a private dataset's id leaked through events"
    );
    assert!(
        !text.contains(&t.app.org_id)
            || events
                .iter()
                .all(|e| e.public || e.organization_id != t.app.org_id)
    );
    let public_subjects: Vec<_> = events
        .iter()
        .filter(|e| e.r#type == "dataset.registered")
        .map(|e| e.subject.clone())
        .collect();
    assert_eq!(
        public_subjects,
        [
            format!("datasets/{}", t.public.id),
            format!("datasets/{}", t.public_child.id)
        ]
    );
    // B's own organisation and token events are there; A's tokens are not.
    assert!(
        events
            .iter()
            .all(|e| e.public || !e.organization_id.is_empty())
    );
}

/// The ids one probe of every RPC is aimed at.
struct Target {
    organization: String,
    dataset: String,
    attestation: String,
    certificate: String,
    token: String,
}

impl Target {
    /// Ids that exist nowhere.
    fn absent() -> Self {
        let id = || uuid::Uuid::now_v7().to_string();
        Self {
            organization: id(),
            dataset: id(),
            attestation: id(),
            certificate: id(),
            token: id(),
        }
    }

    fn ids(&self) -> [&str; 5] {
        [
            &self.organization,
            &self.dataset,
            &self.attestation,
            &self.certificate,
            &self.token,
        ]
    }
}

/// What a caller learns from one call: its code and message with the target's ids blanked, or how
/// many items it returned.
type Answer = std::result::Result<usize, (Code, String)>;

fn answer<T>(
    target: &Target,
    outcome: Result<tonic::Response<T>, tonic::Status>,
    count: impl Fn(&T) -> usize,
) -> Answer {
    match outcome {
        Ok(response) => Ok(count(response.get_ref())),
        Err(status) => {
            let mut message = status.message().to_owned();
            for id in target.ids() {
                message = message.replace(id, "<id>");
            }
            Err((status.code(), message))
        }
    }
}

/// Calls every RPC that names a resource, aimed at `target`'s ids, as `token`.
async fn probe(app: &TestApp, token: &str, target: &Target) -> Vec<(&'static str, Answer)> {
    let mut certificates =
        pb::certificate_service_client::CertificateServiceClient::new(app.channel.clone());
    let lineage_request = || pb::GetLineageRequest {
        dataset_id: target.dataset.clone(),
        ..Default::default()
    };
    let stream = app
        .lineage()
        .stream_lineage(authed(token, lineage_request()))
        .await;
    let stream_answer = match stream {
        Ok(response) => {
            let mut nodes = response.into_inner();
            let mut count = 0;
            let mut failure = None;
            while let Some(item) = tokio_stream::StreamExt::next(&mut nodes).await {
                match item {
                    Ok(_) => count += 1,
                    Err(status) => {
                        failure = Some(status);
                        break;
                    }
                }
            }
            match failure {
                Some(status) => answer::<()>(target, Err(status), |_| 0),
                None => Ok(count),
            }
        }
        Err(status) => answer::<()>(target, Err(status), |_| 0),
    };
    vec![
        (
            "GetOrganization",
            answer(
                target,
                app.orgs()
                    .get_organization(authed(
                        token,
                        pb::GetOrganizationRequest {
                            id: target.organization.clone(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "RevokeAccessToken",
            answer(
                target,
                app.orgs()
                    .revoke_access_token(authed(
                        token,
                        pb::RevokeAccessTokenRequest {
                            id: target.token.clone(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "GetDataset",
            answer(
                target,
                app.datasets()
                    .get_dataset(authed(
                        token,
                        pb::GetDatasetRequest {
                            id: target.dataset.clone(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "ListDatasets (by owner)",
            answer(
                target,
                app.datasets()
                    .list_datasets(authed(
                        token,
                        pb::ListDatasetsRequest {
                            organization_id: target.organization.clone(),
                            ..Default::default()
                        },
                    ))
                    .await,
                |page| page.datasets.len(),
            ),
        ),
        (
            "RegisterDataset (as a parent)",
            answer(
                target,
                app.datasets()
                    .register_dataset(authed(
                        token,
                        pb::RegisterDatasetRequest {
                            sources: vec![parent_source(&target.dataset)],
                            ..dataset(&format!("probe-{}", uuid::Uuid::now_v7()))
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "ReportContamination",
            answer(
                target,
                app.datasets()
                    .report_contamination(authed(
                        token,
                        pb::ReportContaminationRequest {
                            dataset_id: target.dataset.clone(),
                            statement: "probe".into(),
                            evidence: Vec::new(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "GetLineage",
            answer(
                target,
                app.lineage()
                    .get_lineage(authed(token, lineage_request()))
                    .await,
                |page| page.nodes.len(),
            ),
        ),
        ("StreamLineage", stream_answer),
        (
            "EvaluateDataset",
            answer(
                target,
                app.policies()
                    .evaluate_dataset(authed(
                        token,
                        pb::EvaluateDatasetRequest {
                            dataset_id: target.dataset.clone(),
                            policy_id: crate::policies::POLICY.into(),
                            ..Default::default()
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "RecordAttestation",
            answer(
                target,
                app.attestations()
                    .record_attestation(authed(
                        token,
                        pb::RecordAttestationRequest {
                            dataset_id: target.dataset.clone(),
                            ..crate::policies::attestation_request(&pb::Dataset::default())
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "GetAttestation",
            answer(
                target,
                app.attestations()
                    .get_attestation(authed(
                        token,
                        pb::GetAttestationRequest {
                            id: target.attestation.clone(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "ListAttestations (of the dataset)",
            answer(
                target,
                app.attestations()
                    .list_attestations(authed(
                        token,
                        pb::ListAttestationsRequest {
                            dataset_id: target.dataset.clone(),
                            ..Default::default()
                        },
                    ))
                    .await,
                |page| page.attestations.len(),
            ),
        ),
        (
            "RevokeAttestation",
            answer(
                target,
                app.attestations()
                    .revoke_attestation(authed(
                        token,
                        pb::RevokeAttestationRequest {
                            id: target.attestation.clone(),
                            reason: "probe".into(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "IssueCertificate",
            answer(
                target,
                certificates
                    .issue_certificate(authed(
                        token,
                        pb::IssueCertificateRequest {
                            dataset_id: target.dataset.clone(),
                            policy_id: crate::policies::POLICY.into(),
                            ..Default::default()
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "GetCertificate",
            answer(
                target,
                certificates
                    .get_certificate(authed(
                        token,
                        pb::GetCertificateRequest {
                            id: target.certificate.clone(),
                            as_of: None,
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
        (
            "RevokeCertificate",
            answer(
                target,
                certificates
                    .revoke_certificate(authed(
                        token,
                        pb::RevokeCertificateRequest {
                            id: target.certificate.clone(),
                            reason: "probe".into(),
                        },
                    ))
                    .await,
                |_| 1,
            ),
        ),
    ]
}

/// Every RPC that names a resource answers another organisation's admin, registrar and auditor
/// about the first organisation's private resources exactly as it answers about ids that exist
/// nowhere (the registry's rule: `NOT_FOUND`, never `PERMISSION_DENIED`, for what the caller may
/// not see), and nothing is stored by the attempts.
#[tokio::test]
async fn every_rpc_answers_another_organisation_as_if_private_resources_did_not_exist() {
    let app = spawn_app().await;
    let (raw, mix) = crate::certificates::certifiable(&app).await;
    let certificate =
        crate::certificates::issue(&app, crate::certificates::issue_request(&mix)).await;
    let attestation = app
        .attestations()
        .list_attestations(authed(
            &app.admin,
            pb::ListAttestationsRequest {
                dataset_id: raw.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .attestations
        .remove(0);
    let registrar = app.token(pb::Role::Registrar).await;
    let token_id = provenance_registry::auth::token::TokenKeys::new(
        "provenance-registry",
        &provenance_registry::key_file::load_or_create_secret(
            &app.dir.path().join("access-token.key"),
        )
        .unwrap(),
    )
    .unwrap()
    .verify(&registrar)
    .unwrap()
    .jti;
    let private = Target {
        organization: app.org_id.clone(),
        dataset: raw.id.clone(),
        attestation: attestation.id,
        certificate: certificate.id,
        token: token_id,
    };
    let (_, b_admin) = app.other_org("Globex").await;
    let mut callers = Vec::new();
    for role in [pb::Role::Admin, pb::Role::Registrar, pb::Role::Auditor] {
        callers.push((role, token_for(&app, &b_admin, role).await));
    }
    let before = app.snapshot().await;
    for (role, b) in &callers {
        let about_private = probe(&app, b, &private).await;
        let about_nothing = probe(&app, b, &Target::absent()).await;
        for ((rpc, seen), (_, absent)) in about_private.iter().zip(&about_nothing) {
            assert_eq!(
                seen, absent,
                "{rpc} as {role:?} tells a private resource from a missing one"
            );
            if let Err((code, _)) = seen {
                assert!(
                    matches!(code, Code::NotFound | Code::PermissionDenied),
                    "{rpc} as {role:?}: {code:?}"
                );
            }
        }
        // Reads of another organisation's private resources are refused outright.
        for (rpc, seen) in &about_private {
            if [
                "GetOrganization",
                "GetDataset",
                "GetAttestation",
                "GetCertificate",
                "GetLineage",
                "StreamLineage",
                "EvaluateDataset",
                "ListAttestations (of the dataset)",
            ]
            .contains(rpc)
            {
                assert!(
                    matches!(seen, Err((Code::NotFound, _))),
                    "{rpc} as {role:?}: {seen:?}"
                );
            }
        }
    }
    assert_eq!(app.snapshot().await, before, "the probes stored nothing");
    // The owner still sees everything as it was.
    assert_eq!(
        app.datasets()
            .get_dataset(authed(
                &app.admin,
                pb::GetDatasetRequest { id: raw.id.clone() }
            ))
            .await
            .unwrap()
            .into_inner()
            .id,
        raw.id
    );
}
