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

/// `ListOrganizations` as `token`, one page.
async fn list_organizations(
    app: &TestApp,
    token: &str,
    request: pb::ListOrganizationsRequest,
) -> Result<pb::ListOrganizationsResponse, tonic::Status> {
    app.orgs()
        .list_organizations(authed(token, request))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn an_operator_lists_organisations_oldest_first_page_by_page_or_one_by_name() {
    let app = spawn_app().await;
    let (globex, _) = app.other_org("Globex").await;
    let (buyer, _) = app.other_org("Buyer Ltd").await;
    let operator = app.operator.clone();

    let all = list_organizations(&app, &operator, Default::default())
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = all
        .organizations
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (app.org_id.as_str(), "Acme"),
            (globex.as_str(), "Globex"),
            (buyer.as_str(), "Buyer Ltd"),
        ]
    );
    assert!(all.next_page_token.is_empty());
    // Each as GetOrganization answers it.
    for organization in &all.organizations {
        let read = app
            .orgs()
            .get_organization(authed(
                &operator,
                pb::GetOrganizationRequest {
                    id: organization.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&read, organization);
    }

    // Pages of one, resumed with each answer's token, give the same list.
    let client = app.orgs();
    let paged = all_pages(|page_token| {
        let mut client = client.clone();
        let request = pb::ListOrganizationsRequest {
            page_size: 1,
            page_token,
            ..Default::default()
        };
        let operator = operator.clone();
        async move {
            let page = client
                .list_organizations(authed(&operator, request))
                .await
                .unwrap()
                .into_inner();
            assert!(page.organizations.len() <= 1);
            (page.organizations, page.next_page_token)
        }
    })
    .await;
    assert_eq!(paged, all.organizations);

    // By exact name: the one organisation, or none.
    let named = list_organizations(
        &app,
        &operator,
        pb::ListOrganizationsRequest {
            name: "Buyer Ltd".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(named.organizations, [all.organizations[2].clone()]);
    for absent in ["Buyer", "buyer ltd", "Buyer Ltd."] {
        let none = list_organizations(
            &app,
            &operator,
            pb::ListOrganizationsRequest {
                name: absent.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(none.organizations.is_empty(), "{absent}: {none:?}");
        assert!(none.next_page_token.is_empty());
    }
}

#[tokio::test]
async fn only_an_operator_lists_organisations_and_bad_requests_name_the_field() {
    let app = spawn_app().await;
    let (_, globex_admin) = app.other_org("Globex").await;
    let mut members = vec![globex_admin];
    for role in [pb::Role::Admin, pb::Role::Registrar, pb::Role::Auditor] {
        members.push(app.token(role).await);
    }
    for token in &members {
        assert_status(
            list_organizations(&app, token, Default::default()).await,
            Code::PermissionDenied,
            "operator token",
        );
    }
    assert_status(
        app.orgs()
            .list_organizations(pb::ListOrganizationsRequest::default())
            .await,
        Code::Unauthenticated,
        "",
    );

    let operator = app.operator.clone();
    let first = list_organizations(
        &app,
        &operator,
        pb::ListOrganizationsRequest {
            page_size: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!first.next_page_token.is_empty());
    let bad = |change: fn(&mut pb::ListOrganizationsRequest, &str)| {
        let mut request = pb::ListOrganizationsRequest::default();
        change(&mut request, &first.next_page_token);
        request
    };
    for (request, needle) in [
        (bad(|r, _| r.page_size = -1), "page_size: must be between 0"),
        (
            bad(|r, _| r.page_size = 1001),
            "page_size: must be between 0",
        ),
        (
            bad(|r, _| r.name = " Globex".into()),
            "name: must not start",
        ),
        (bad(|r, _| r.name = "x".repeat(201)), "name:"),
        (
            bad(|r, _| r.name = "Glo\nbex".into()),
            "name: must not contain",
        ),
        (bad(|r, _| r.page_token = "nope".into()), "page_token:"),
        // A token is bound to the query it came from.
        (
            bad(|r, token| {
                r.page_token = token.into();
                r.name = "Acme".into();
            }),
            "page_token: belongs to a query with other fields",
        ),
    ] {
        assert_status(
            list_organizations(&app, &operator, request).await,
            Code::InvalidArgument,
            needle,
        );
    }
    // A page token of another list is refused too.
    let datasets_token = {
        for name in ["a", "b"] {
            app.register(&app.admin, dataset(name)).await;
        }
        app.datasets()
            .list_datasets(authed(
                &app.admin,
                pb::ListDatasetsRequest {
                    page_size: 1,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .next_page_token
    };
    assert_status(
        list_organizations(
            &app,
            &operator,
            pb::ListOrganizationsRequest {
                page_token: datasets_token,
                ..Default::default()
            },
        )
        .await,
        Code::InvalidArgument,
        "page_token: is not a page token of this list",
    );
}
