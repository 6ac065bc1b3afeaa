//! Organisations and access tokens.

use provenance_registry::proto::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn an_operator_creates_organisations_with_unique_names() {
    let app = spawn_app().await;
    let operator = app.operator.clone();
    let created = app
        .orgs()
        .create_organization(authed(
            &operator,
            pb::CreateOrganizationRequest {
                name: "Globex".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.name, "Globex");
    assert!(Uuid::try_parse(&created.id).is_ok());
    let read = app
        .orgs()
        .get_organization(authed(
            &operator,
            pb::GetOrganizationRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, created);

    let before = app.snapshot().await;
    for (name, code, needle) in [
        ("Globex", Code::AlreadyExists, "already exists"),
        ("", Code::InvalidArgument, "name: is required"),
        (" padded", Code::InvalidArgument, "name:"),
        (&"x".repeat(201), Code::InvalidArgument, "at most 200"),
    ] {
        let request = pb::CreateOrganizationRequest {
            name: name.to_owned(),
        };
        assert_status(
            app.orgs()
                .create_organization(authed(&operator, request))
                .await,
            code,
            needle,
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_member_reads_its_own_organisation_and_not_another() {
    let app = spawn_app().await;
    let (other_id, _) = app.other_org("Globex").await;
    let auditor = app.token(pb::Role::Auditor).await;
    let own = app
        .orgs()
        .get_organization(authed(&auditor, pb::GetOrganizationRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (own.id.as_str(), own.name.as_str()),
        (app.org_id.as_str(), "Acme")
    );
    assert_status(
        app.orgs()
            .get_organization(authed(
                &auditor,
                pb::GetOrganizationRequest { id: other_id },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_status(
        app.orgs()
            .get_organization(authed(
                &auditor,
                pb::GetOrganizationRequest { id: "nope".into() },
            ))
            .await,
        Code::InvalidArgument,
        "id:",
    );
}

#[tokio::test]
async fn an_admin_issues_tokens_that_carry_their_role_and_expiry() {
    let app = spawn_app().await;
    let answer = app
        .orgs()
        .create_access_token(authed(
            &app.admin,
            pb::CreateAccessTokenRequest {
                role: pb::Role::Registrar as i32,
                subject: "ci-pipeline".into(),
                ttl: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let info = answer.info.unwrap();
    assert_eq!(info.role, pb::Role::Registrar as i32);
    assert_eq!(info.subject, "ci-pipeline");
    assert_eq!(info.organization_id, app.org_id);
    let lifetime = info.expire_time.unwrap().seconds - info.create_time.unwrap().seconds;
    assert_eq!(lifetime, 3600);
    // The new token works, with its role.
    let registered = app.register(&answer.token, dataset("from-ci")).await;
    assert_eq!(registered.creator_subject, "ci-pipeline");
    assert_eq!(registered.creator_token_id, info.id);
}

#[tokio::test]
async fn token_requests_with_bad_fields_are_refused_and_issue_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let cases = [
        (
            pb::CreateAccessTokenRequest {
                role: 0,
                subject: "s".into(),
                ttl: None,
            },
            "role:",
        ),
        (
            pb::CreateAccessTokenRequest {
                role: 99,
                subject: "s".into(),
                ttl: None,
            },
            "role:",
        ),
        (
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: String::new(),
                ttl: None,
            },
            "subject: is required",
        ),
        (
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: "s".into(),
                ttl: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 10,
                    nanos: 0,
                }),
            },
            "ttl:",
        ),
        (
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: "s".into(),
                ttl: Some(provenance_registry::proto::wkt::Duration {
                    seconds: 400 * 86_400,
                    nanos: 0,
                }),
            },
            "ttl:",
        ),
        (
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: "s".into(),
                ttl: Some(provenance_registry::proto::wkt::Duration {
                    seconds: i64::MAX,
                    nanos: 0,
                }),
            },
            "ttl:",
        ),
    ];
    for (request, needle) in cases {
        assert_status(
            app.orgs()
                .create_access_token(authed(&app.admin, request))
                .await,
            Code::InvalidArgument,
            needle,
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn revoking_a_token_locks_it_out_at_once_and_is_idempotent() {
    let app = spawn_app().await;
    let issued = app
        .orgs()
        .create_access_token(authed(
            &app.admin,
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: "s".into(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let id = issued.info.unwrap().id;
    app.datasets()
        .list_datasets(authed(&issued.token, pb::ListDatasetsRequest::default()))
        .await
        .unwrap();

    let revoked = app
        .orgs()
        .revoke_access_token(authed(
            &app.admin,
            pb::RevokeAccessTokenRequest { id: id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoke_time.is_some());
    assert_status(
        app.datasets()
            .list_datasets(authed(&issued.token, pb::ListDatasetsRequest::default()))
            .await,
        Code::Unauthenticated,
        "revoked",
    );
    let events_before = app.all_events(&app.admin).await.len();
    let again = app
        .orgs()
        .revoke_access_token(authed(&app.admin, pb::RevokeAccessTokenRequest { id }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.revoke_time, revoked.revoke_time);
    assert_eq!(
        app.all_events(&app.admin).await.len(),
        events_before,
        "a second revocation writes nothing"
    );
}

#[tokio::test]
async fn an_admin_cannot_revoke_another_organisations_token() {
    let app = spawn_app().await;
    let (_, other_admin) = app.other_org("Globex").await;
    let theirs = app
        .orgs()
        .create_access_token(authed(
            &other_admin,
            pb::CreateAccessTokenRequest {
                role: 1,
                subject: "s".into(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let before = app.snapshot().await;
    assert_status(
        app.orgs()
            .revoke_access_token(authed(
                &app.admin,
                pb::RevokeAccessTokenRequest {
                    id: theirs.info.unwrap().id,
                },
            ))
            .await,
        Code::NotFound,
        "not found",
    );
    assert_eq!(app.snapshot().await, before);
    app.datasets()
        .list_datasets(authed(&theirs.token, pb::ListDatasetsRequest::default()))
        .await
        .unwrap();
}
