//! Access tokens: every RPC but health and reflection needs a valid one.

use chrono::{Duration, Utc};
use provenance_registry::auth::token::TokenKeys;
use provenance_registry::domain::access::Role;
use provenance_registry::proto::v1 as pb;
use tonic::{Code, Request};
use uuid::Uuid;

use crate::helpers::*;

/// Calls one RPC of every service with `request_for`'s metadata; returns each status code.
async fn codes_of_every_rpc(app: &TestApp, token: Option<&str>) -> Vec<(&'static str, Code)> {
    fn req<T>(token: Option<&str>, message: T) -> Request<T> {
        match token {
            Some(t) => {
                let mut r = Request::new(message);
                r.metadata_mut().insert("authorization", t.parse().unwrap());
                r
            }
            None => Request::new(message),
        }
    }
    let code = |r: Result<tonic::Code, tonic::Status>| r.unwrap_or_else(|s| s.code());
    let id = Uuid::now_v7().to_string();
    vec![
        (
            "CreateOrganization",
            code(
                app.orgs()
                    .create_organization(req(
                        token,
                        pb::CreateOrganizationRequest { name: "x".into() },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetOrganization",
            code(
                app.orgs()
                    .get_organization(req(token, pb::GetOrganizationRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ListOrganizations",
            code(
                app.orgs()
                    .list_organizations(req(token, pb::ListOrganizationsRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "CreateAccessToken",
            code(
                app.orgs()
                    .create_access_token(req(
                        token,
                        pb::CreateAccessTokenRequest {
                            role: 1,
                            subject: "s".into(),
                            ttl: None,
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "RevokeAccessToken",
            code(
                app.orgs()
                    .revoke_access_token(req(
                        token,
                        pb::RevokeAccessTokenRequest { id: id.clone() },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "RegisterDataset",
            code(
                app.datasets()
                    .register_dataset(req(token, dataset("d")))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetDataset",
            code(
                app.datasets()
                    .get_dataset(req(token, pb::GetDatasetRequest { id: id.clone() }))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ListDatasets",
            code(
                app.datasets()
                    .list_datasets(req(token, pb::ListDatasetsRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetLineage",
            code(
                app.lineage()
                    .get_lineage(req(
                        token,
                        pb::GetLineageRequest {
                            dataset_id: id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "StreamLineage",
            code(
                app.lineage()
                    .stream_lineage(req(
                        token,
                        pb::GetLineageRequest {
                            dataset_id: id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ListEvents",
            code(
                app.events()
                    .list_events(req(token, pb::ListEventsRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "WatchEvents",
            code(
                app.events()
                    .watch_events(req(token, pb::WatchEventsRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ReportContamination",
            code(
                app.datasets()
                    .report_contamination(req(
                        token,
                        pb::ReportContaminationRequest {
                            dataset_id: id.clone(),
                            statement: "s".into(),
                            evidence: vec![],
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ListPolicies",
            code(
                app.policies()
                    .list_policies(req(token, pb::ListPoliciesRequest {}))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetPolicy",
            code(
                app.policies()
                    .get_policy(req(
                        token,
                        pb::GetPolicyRequest {
                            id: "deepseek-r1-anti-distillation".into(),
                            version: String::new(),
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "EvaluateDataset",
            code(
                app.policies()
                    .evaluate_dataset(req(
                        token,
                        pb::EvaluateDatasetRequest {
                            dataset_id: id.clone(),
                            policy_id: "deepseek-r1-anti-distillation".into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "RecordAttestation",
            code(
                app.attestations()
                    .record_attestation(req(
                        token,
                        pb::RecordAttestationRequest {
                            dataset_id: id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetAttestation",
            code(
                app.attestations()
                    .get_attestation(req(token, pb::GetAttestationRequest { id: id.clone() }))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "ListAttestations",
            code(
                app.attestations()
                    .list_attestations(req(token, pb::ListAttestationsRequest::default()))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "IssueCertificate",
            code(
                app.certificates()
                    .issue_certificate(req(
                        token,
                        pb::IssueCertificateRequest {
                            dataset_id: id.clone(),
                            policy_id: "deepseek-r1-anti-distillation".into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "GetCertificate",
            code(
                app.certificates()
                    .get_certificate(req(
                        token,
                        pb::GetCertificateRequest {
                            id: id.clone(),
                            as_of: None,
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "RevokeCertificate",
            code(
                app.certificates()
                    .revoke_certificate(req(
                        token,
                        pb::RevokeCertificateRequest {
                            id: id.clone(),
                            reason: "r".into(),
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
        (
            "RevokeAttestation",
            code(
                app.attestations()
                    .revoke_attestation(req(
                        token,
                        pb::RevokeAttestationRequest {
                            id: id.clone(),
                            reason: "r".into(),
                        },
                    ))
                    .await
                    .map(|_| Code::Ok),
            ),
        ),
    ]
}

#[tokio::test]
async fn every_rpc_refuses_a_call_without_a_token_and_stores_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    for (rpc, code) in codes_of_every_rpc(&app, None).await {
        assert_eq!(code, Code::Unauthenticated, "{rpc} without a token");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn malformed_forged_misused_expired_unknown_and_revoked_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let secret = provenance_registry::key_file::load_or_create_secret(
        &app.dir.path().join("access-token.key"),
    )
    .unwrap();
    let ours = TokenKeys::new("provenance-registry", &secret).unwrap();
    let foreign = TokenKeys::new("provenance-registry", &[9; 32]).unwrap();
    let org = Uuid::try_parse(&app.org_id).unwrap();
    let now = Utc::now();

    let expired = ours
        .sign(
            Uuid::now_v7(),
            Some(org),
            Role::Admin,
            "x",
            now - Duration::hours(2),
            now - Duration::hours(1),
        )
        .unwrap();
    let forged = foreign
        .sign(
            Uuid::now_v7(),
            Some(org),
            Role::Admin,
            "x",
            now,
            now + Duration::hours(1),
        )
        .unwrap();
    // Correctly signed, but never issued: the registry has no record of its id.
    let unrecorded = ours
        .sign(
            Uuid::now_v7(),
            Some(org),
            Role::Admin,
            "x",
            now,
            now + Duration::hours(1),
        )
        .unwrap();
    let revoked_id = app
        .orgs()
        .create_access_token(authed(
            &app.admin,
            pb::CreateAccessTokenRequest {
                role: pb::Role::Registrar as i32,
                subject: "r".into(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    app.orgs()
        .revoke_access_token(authed(
            &app.admin,
            pb::RevokeAccessTokenRequest {
                id: revoked_id.info.unwrap().id,
            },
        ))
        .await
        .unwrap();

    let mut cases = vec![
        ("no bearer prefix", app.admin.clone(), "Bearer"),
        ("garbage", "Bearer not.a.token".to_owned(), "malformed"),
        ("expired", format!("Bearer {expired}"), "expired"),
        ("wrong key", format!("Bearer {forged}"), "signature"),
        ("unknown id", format!("Bearer {unrecorded}"), "not known"),
        ("revoked", format!("Bearer {}", revoked_id.token), "revoked"),
    ];
    for (case, token, needle) in attack_list(&app, &secret).await {
        cases.push((case, format!("Bearer {token}"), needle));
    }
    let before = app.snapshot().await;
    for (case, header, needle) in cases {
        let mut request = Request::new(pb::ListDatasetsRequest::default());
        request
            .metadata_mut()
            .insert("authorization", header.parse().unwrap());
        let status = app.datasets().list_datasets(request).await.expect_err(case);
        assert_eq!(status.code(), Code::Unauthenticated, "{case}: {status:?}");
        assert!(
            status.message().contains(needle),
            "{case}: {:?}",
            status.message()
        );
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "refused tokens changed nothing"
    );
}

/// The access-token side of the JWT attack list (RFC 8725): each case with the words its refusal
/// must contain. Forgeries use the registry's real secret where that makes the attack stronger.
async fn attack_list(
    app: &TestApp,
    secret: &[u8; 32],
) -> Vec<(&'static str, String, &'static str)> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use jsonwebtoken::{Algorithm, Header};

    let genuine = app.admin.clone();
    let mut parts = genuine.split('.');
    let (header_b64, claims_b64, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(claims_b64).unwrap()).unwrap();
    let json_b64 = |value: &serde_json::Value| B64.encode(value.to_string());
    let with_secret = |header: Header, claims: &serde_json::Value, key: &[u8]| {
        let input = format!(
            "{}.{}",
            B64.encode(serde_json::to_vec(&header).unwrap()),
            json_b64(claims)
        );
        let signature = crate::helpers::hmac_signature(header.alg, key, &input);
        format!("{input}.{signature}")
    };
    let access_header = |alg: Algorithm| Header {
        typ: Some("at+jwt".into()),
        ..Header::new(alg)
    };
    let signing_keys =
        provenance_registry::signing_keys::KeyRing::load(&app.dir.path().join("signing-keys.json"))
            .unwrap();
    let certificate_key = signing_keys.active();

    let mut operator_claims = claims.clone();
    operator_claims["role"] = "operator".into();
    operator_claims["org"] = "".into();
    let mut foreign_issuer = claims.clone();
    foreign_issuer["iss"] = "another-registry".into();
    let mut foreign_audience = claims.clone();
    foreign_audience["aud"] = "provenance-registry/certificates".into();

    let (_, mix) = crate::certificates::certifiable(app).await;
    let certificate =
        crate::certificates::issue(app, crate::certificates::issue_request(&mix)).await;

    vec![
        (
            "alg none",
            format!(
                "{}.{claims_b64}.",
                json_b64(&serde_json::json!({"alg": "none", "typ": "at+jwt"}))
            ),
            "malformed",
        ),
        (
            "HS512 with the real secret",
            with_secret(access_header(Algorithm::HS512), &claims, secret),
            "not an access token",
        ),
        (
            "HS256 keyed with the certificate key's public bytes",
            with_secret(
                access_header(Algorithm::HS256),
                &claims,
                &B64.decode(certificate_key.x()).unwrap(),
            ),
            "signature",
        ),
        (
            "an unknown kid",
            with_secret(
                Header {
                    kid: Some("no-such-key".into()),
                    ..access_header(Algorithm::HS256)
                },
                &claims,
                secret,
            ),
            "not an access token",
        ),
        (
            "the certificate key's kid",
            with_secret(
                Header {
                    kid: Some(certificate_key.kid.clone()),
                    ..access_header(Algorithm::HS256)
                },
                &claims,
                secret,
            ),
            "not an access token",
        ),
        (
            "tampered payload (role raised to operator)",
            format!("{header_b64}.{}.{signature}", json_b64(&operator_claims)),
            "signature",
        ),
        (
            "tampered header (typ dropped)",
            format!(
                "{}.{claims_b64}.{signature}",
                json_b64(&serde_json::json!({"alg": "HS256"}))
            ),
            "not an access token",
        ),
        (
            "another issuer, signed with the real secret",
            with_secret(access_header(Algorithm::HS256), &foreign_issuer, secret),
            "not an access token",
        ),
        (
            "another audience, signed with the real secret",
            with_secret(access_header(Algorithm::HS256), &foreign_audience, secret),
            "not an access token",
        ),
        (
            "a lineage certificate",
            certificate.token,
            "not an access token",
        ),
    ]
}

#[tokio::test]
async fn health_and_reflection_need_no_token() {
    let app = spawn_app().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone());
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "provenance.v1.DatasetService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(answer)) = tokio_stream::StreamExt::next(&mut answers).await else {
        panic!("no reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected answer")
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for service in [
        "provenance.v1.OrganizationService",
        "provenance.v1.DatasetService",
        "provenance.v1.LineageService",
        "provenance.v1.EventService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == service),
            "{service} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    let app = spawn_app().await;
    let auditor = app.token(pb::Role::Auditor).await;
    let registrar = app.token(pb::Role::Registrar).await;
    let before = app.snapshot().await;

    assert_status(
        app.datasets()
            .register_dataset(authed(&auditor, dataset("a")))
            .await,
        Code::PermissionDenied,
        "registrar",
    );
    for token in [&auditor, &registrar] {
        let create = pb::CreateAccessTokenRequest {
            role: pb::Role::Admin as i32,
            subject: "x".into(),
            ttl: None,
        };
        assert_status(
            app.orgs().create_access_token(authed(token, create)).await,
            Code::PermissionDenied,
            "admin",
        );
        assert_status(
            app.orgs()
                .create_organization(authed(
                    token,
                    pb::CreateOrganizationRequest {
                        name: "Evil".into(),
                    },
                ))
                .await,
            Code::PermissionDenied,
            "operator",
        );
    }
    assert_status(
        app.orgs()
            .create_organization(authed(
                &app.admin,
                pb::CreateOrganizationRequest {
                    name: "Evil".into(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "operator",
    );
    assert_eq!(app.snapshot().await, before);

    // The roles that may, can.
    app.register(&registrar, dataset("by-registrar")).await;
    app.register(&app.admin, dataset("by-admin")).await;
    app.datasets()
        .list_datasets(authed(&auditor, pb::ListDatasetsRequest::default()))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_operator_cannot_register_data_in_an_organisations_name() {
    let app = spawn_app().await;
    let operator = app.operator.clone();
    assert_status(
        app.datasets()
            .register_dataset(authed(&operator, dataset("x")))
            .await,
        Code::PermissionDenied,
        "organisation",
    );
}
