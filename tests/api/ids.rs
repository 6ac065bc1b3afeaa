//! Ids in requests: every id field of every request (gRPC, and the plain-HTTP verification) takes a
//! UUID in its hyphenated form in any letter case and answers with the lower-case spelling; the
//! other spellings (braced, `urn:uuid:`, without hyphens) are refused with `INVALID_ARGUMENT`
//! naming the field, and change nothing.

use provenance_registry::proto::v1 as pb;
use tokio_stream::StreamExt;
use tonic::{Code, Status};

use crate::certificates::{issue, issue_request};
use crate::helpers::*;
use crate::policies::attestation_request;
use crate::verify_page::http;

/// Every id field a request carries, as the refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    GetOrganization,
    RevokeAccessToken,
    RegisterDatasetParent,
    GetDataset,
    ListDatasetsOrganization,
    ReportContamination,
    GetLineage,
    StreamLineage,
    EvaluateDataset,
    RecordAttestation,
    GetAttestation,
    ListAttestations,
    RevokeAttestation,
    IssueCertificateDataset,
    IssueCertificateAudience,
    GetCertificate,
    VerifyCertificateAudience,
    RevokeCertificate,
    HttpJsonVerifyAudience,
    HttpFormVerifyAudience,
}

const FIELDS: [Field; 20] = [
    Field::GetOrganization,
    Field::RevokeAccessToken,
    Field::RegisterDatasetParent,
    Field::GetDataset,
    Field::ListDatasetsOrganization,
    Field::ReportContamination,
    Field::GetLineage,
    Field::StreamLineage,
    Field::EvaluateDataset,
    Field::RecordAttestation,
    Field::GetAttestation,
    Field::ListAttestations,
    Field::RevokeAttestation,
    Field::IssueCertificateDataset,
    Field::IssueCertificateAudience,
    Field::GetCertificate,
    Field::VerifyCertificateAudience,
    Field::RevokeCertificate,
    Field::HttpJsonVerifyAudience,
    Field::HttpFormVerifyAudience,
];

impl Field {
    /// The field's name, as a refusal names it.
    fn name(self) -> &'static str {
        match self {
            Field::GetOrganization
            | Field::RevokeAccessToken
            | Field::GetDataset
            | Field::GetAttestation
            | Field::RevokeAttestation
            | Field::GetCertificate
            | Field::RevokeCertificate => "id",
            Field::RegisterDatasetParent => "sources[0].dataset_id",
            Field::ListDatasetsOrganization => "organization_id",
            Field::ReportContamination
            | Field::GetLineage
            | Field::StreamLineage
            | Field::EvaluateDataset
            | Field::RecordAttestation
            | Field::ListAttestations
            | Field::IssueCertificateDataset => "dataset_id",
            Field::IssueCertificateAudience
            | Field::VerifyCertificateAudience
            | Field::HttpJsonVerifyAudience
            | Field::HttpFormVerifyAudience => "audience_organization_id",
        }
    }
}

/// What the calls name. The calls that change something get a target of their own per accepted
/// spelling, so that each acts on something it has not acted on yet.
struct Fixture {
    app: TestApp,
    buyer: String,
    dataset: pb::Dataset,
    attestation: pb::Attestation,
    certificate: pb::Certificate,
    tokens: Vec<String>,
    attestations: Vec<pb::Attestation>,
    certificates: Vec<pb::Certificate>,
    reportable: Vec<pb::Dataset>,
}

/// How many accepted spellings each id is tried in.
const ACCEPTED: usize = 2;

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let (buyer, _) = app.other_org("Buyer").await;
    let corpus = app.register(&app.admin, dataset("corpus")).await;
    let attestation = app.attest(&app.admin, &corpus).await;
    let certificate = issue(
        &app,
        pb::IssueCertificateRequest {
            audience_organization_id: buyer.clone(),
            ..issue_request(&corpus)
        },
    )
    .await;
    let mut fixture = Fixture {
        buyer,
        dataset: corpus,
        attestation,
        certificate,
        tokens: Vec::new(),
        attestations: Vec::new(),
        certificates: Vec::new(),
        reportable: Vec::new(),
        app,
    };
    for n in 0..ACCEPTED {
        let app = &fixture.app;
        let token = app
            .orgs()
            .create_access_token(authed(
                &app.admin,
                pb::CreateAccessTokenRequest {
                    role: pb::Role::Auditor as i32,
                    subject: format!("to revoke {n}"),
                    ttl: None,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        fixture.tokens.push(token.info.unwrap().id);
        // Each on a dataset of its own, so that revoking one revokes no other certificate.
        let attested = app
            .register(&app.admin, dataset(&format!("attested-{n}")))
            .await;
        fixture
            .attestations
            .push(app.attest(&app.admin, &attested).await);
        let certified = app
            .register(&app.admin, dataset(&format!("certified-{n}")))
            .await;
        app.attest(&app.admin, &certified).await;
        fixture
            .certificates
            .push(issue(app, issue_request(&certified)).await);
        fixture.reportable.push(
            app.register(&app.admin, dataset(&format!("reported-{n}")))
                .await,
        );
    }
    fixture
}

/// The call of `field` with its id spelled by `spell`, on the `n`th target where it has several.
/// Answers the pairs (the id's lower-case spelling, the id as the answer spells it).
async fn call(
    f: &Fixture,
    field: Field,
    spell: &dyn Fn(&str) -> String,
    n: usize,
) -> Result<Vec<(String, String)>, Status> {
    let app = &f.app;
    let admin = app.admin.as_str();
    let pair = |id: &str, echoed: String| vec![(id.to_owned(), echoed)];
    match field {
        Field::GetOrganization => {
            let id = &app.org_id;
            let org = app
                .orgs()
                .get_organization(authed(admin, pb::GetOrganizationRequest { id: spell(id) }))
                .await?
                .into_inner();
            Ok(pair(id, org.id))
        }
        Field::RevokeAccessToken => {
            let id = &f.tokens[n];
            let info = app
                .orgs()
                .revoke_access_token(authed(
                    admin,
                    pb::RevokeAccessTokenRequest { id: spell(id) },
                ))
                .await?
                .into_inner();
            Ok(pair(id, info.id))
        }
        Field::RegisterDatasetParent => {
            let id = &f.dataset.id;
            let child = app
                .datasets()
                .register_dataset(authed(
                    admin,
                    derived(
                        &format!("child-{n}"),
                        &[&pb::Dataset {
                            id: spell(id),
                            ..Default::default()
                        }],
                    ),
                ))
                .await?
                .into_inner()
                .dataset
                .unwrap();
            Ok(pair(id, child.sources[0].dataset_id.clone()))
        }
        Field::GetDataset => {
            let id = &f.dataset.id;
            let dataset = app
                .datasets()
                .get_dataset(authed(admin, pb::GetDatasetRequest { id: spell(id) }))
                .await?
                .into_inner();
            Ok(pair(id, dataset.id))
        }
        Field::ListDatasetsOrganization => {
            let id = &app.org_id;
            let page = app
                .datasets()
                .list_datasets(authed(
                    admin,
                    pb::ListDatasetsRequest {
                        organization_id: spell(id),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            assert!(!page.datasets.is_empty());
            Ok(page
                .datasets
                .into_iter()
                .map(|d| (id.clone(), d.organization_id))
                .collect())
        }
        Field::ReportContamination => {
            let id = &f.reportable[n].id;
            let report = app
                .datasets()
                .report_contamination(authed(
                    admin,
                    pb::ReportContaminationRequest {
                        dataset_id: spell(id),
                        statement: "found traces".into(),
                        evidence: Vec::new(),
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, report.dataset_id))
        }
        Field::GetLineage | Field::StreamLineage => {
            let id = &f.dataset.id;
            let request = authed(
                admin,
                pb::GetLineageRequest {
                    dataset_id: spell(id),
                    direction: pb::LineageDirection::Upstream as i32,
                    ..Default::default()
                },
            );
            let nodes = if field == Field::GetLineage {
                app.lineage().get_lineage(request).await?.into_inner().nodes
            } else {
                let mut stream = app.lineage().stream_lineage(request).await?.into_inner();
                let mut nodes = Vec::new();
                while let Some(node) = stream.next().await {
                    nodes.push(node?);
                }
                nodes
            };
            Ok(pair(id, nodes[0].dataset.as_ref().unwrap().id.clone()))
        }
        Field::EvaluateDataset => {
            let id = &f.dataset.id;
            let evaluation = app
                .policies()
                .evaluate_dataset(authed(
                    admin,
                    pb::EvaluateDatasetRequest {
                        dataset_id: spell(id),
                        policy_id: crate::policies::POLICY.into(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, evaluation.dataset_id))
        }
        Field::RecordAttestation => {
            let id = &f.dataset.id;
            let attestation = app
                .attestations()
                .record_attestation(authed(
                    admin,
                    pb::RecordAttestationRequest {
                        dataset_id: spell(id),
                        ..attestation_request(&f.dataset)
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, attestation.dataset_id))
        }
        Field::GetAttestation => {
            let id = &f.attestation.id;
            let attestation = app
                .attestations()
                .get_attestation(authed(admin, pb::GetAttestationRequest { id: spell(id) }))
                .await?
                .into_inner();
            Ok(pair(id, attestation.id))
        }
        Field::ListAttestations => {
            let id = &f.dataset.id;
            let page = app
                .attestations()
                .list_attestations(authed(
                    admin,
                    pb::ListAttestationsRequest {
                        dataset_id: spell(id),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            assert!(!page.attestations.is_empty());
            Ok(page
                .attestations
                .into_iter()
                .map(|a| (id.clone(), a.dataset_id))
                .collect())
        }
        Field::RevokeAttestation => {
            let id = &f.attestations[n].id;
            let attestation = app
                .attestations()
                .revoke_attestation(authed(
                    admin,
                    pb::RevokeAttestationRequest {
                        id: spell(id),
                        reason: "superseded".into(),
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, attestation.id))
        }
        Field::IssueCertificateDataset | Field::IssueCertificateAudience => {
            let (dataset, audience) = if field == Field::IssueCertificateDataset {
                (spell(&f.dataset.id), f.buyer.clone())
            } else {
                (f.dataset.id.clone(), spell(&f.buyer))
            };
            let certificate = app
                .certificates()
                .issue_certificate(authed(
                    admin,
                    pb::IssueCertificateRequest {
                        dataset_id: dataset,
                        audience_organization_id: audience,
                        ..issue_request(&f.dataset)
                    },
                ))
                .await?
                .into_inner();
            Ok(if field == Field::IssueCertificateDataset {
                pair(&f.dataset.id, certificate.dataset_id)
            } else {
                pair(&f.buyer, certificate.audience_organization_id)
            })
        }
        Field::GetCertificate => {
            let id = &f.certificate.id;
            let certificate = app
                .certificates()
                .get_certificate(authed(
                    admin,
                    pb::GetCertificateRequest {
                        id: spell(id),
                        as_of: None,
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, certificate.id))
        }
        Field::VerifyCertificateAudience => {
            let answer = app
                .certificates()
                .verify_certificate(pb::VerifyCertificateRequest {
                    token: f.certificate.token.clone(),
                    audience_organization_id: spell(&f.buyer),
                    as_of: None,
                    include_public_lineage: false,
                })
                .await?
                .into_inner();
            // The audience matched: the spelling named the buyer the token names in lower case.
            assert!(answer.valid, "{answer:?}");
            Ok(Vec::new())
        }
        Field::RevokeCertificate => {
            let id = &f.certificates[n].id;
            let certificate = app
                .certificates()
                .revoke_certificate(authed(
                    admin,
                    pb::RevokeCertificateRequest {
                        id: spell(id),
                        reason: "contract ended".into(),
                    },
                ))
                .await?
                .into_inner();
            Ok(pair(id, certificate.id))
        }
        Field::HttpJsonVerifyAudience | Field::HttpFormVerifyAudience => {
            let audience = spell(&f.buyer);
            let (content_type, body) = if field == Field::HttpJsonVerifyAudience {
                let body = serde_json::json!({
                    "token": f.certificate.token,
                    "audience_organization_id": audience,
                });
                ("application/json", body.to_string())
            } else {
                let body = form_urlencoded::Serializer::new(String::new())
                    .append_pair("token", &f.certificate.token)
                    .append_pair("audience_organization_id", &audience)
                    .finish();
                ("application/x-www-form-urlencoded", body)
            };
            let path = if field == Field::HttpJsonVerifyAudience {
                "/v1/certificates:verify"
            } else {
                "/verify"
            };
            let answer = http(
                app,
                "POST",
                path,
                &[
                    format!("Content-Type: {content_type}"),
                    format!("Content-Length: {}", body.len()),
                ],
                body.as_bytes(),
            )
            .await;
            match answer.status {
                200 if field == Field::HttpJsonVerifyAudience => {
                    let answer: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                    assert_eq!(answer["valid"], true, "{answer}");
                }
                200 => assert!(
                    answer.body.contains("VALID: every check passed"),
                    "{}",
                    answer.body
                ),
                400 => return Err(Status::invalid_argument(answer.body)),
                other => panic!("{path}: HTTP {other}: {}", answer.body),
            }
            Ok(Vec::new())
        }
    }
}

/// A way of spelling an id, by name.
type Spelling<'a> = (&'a str, &'a dyn Fn(&str) -> String);

fn upper(id: &str) -> String {
    id.to_uppercase()
}

/// Every other letter upper-case.
fn mixed(id: &str) -> String {
    id.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

#[tokio::test]
async fn every_id_field_takes_any_letter_case_and_answers_in_lower_case() {
    let f = fixture().await;
    let spellings: [Spelling; ACCEPTED] = [("upper-case", &upper), ("mixed-case", &mixed)];
    for field in FIELDS {
        for (n, (name, spell)) in spellings.iter().enumerate() {
            let echoed = call(&f, field, spell, n)
                .await
                .unwrap_or_else(|status| panic!("{field:?} {name}: refused: {status:?}"));
            for (canonical, echoed) in echoed {
                assert_eq!(canonical, canonical.to_lowercase());
                assert_eq!(echoed, canonical, "{field:?} {name}");
            }
        }
    }
}

#[tokio::test]
async fn every_id_field_refuses_braced_urn_and_hyphenless_spellings_naming_the_field() {
    let f = fixture().await;
    let before = f.app.snapshot().await;
    let refused: [Spelling; 5] = [
        ("braced", &|id| format!("{{{id}}}")),
        ("braced upper-case", &|id| {
            format!("{{{}}}", id.to_uppercase())
        }),
        ("urn", &|id| format!("urn:uuid:{id}")),
        ("without hyphens", &|id| id.replace('-', "")),
        ("without hyphens, upper-case", &|id| {
            id.replace('-', "").to_uppercase()
        }),
    ];
    for field in FIELDS {
        for (name, spell) in &refused {
            let status = call(&f, field, spell, 0)
                .await
                .expect_err(&format!("{field:?}: the {name} spelling was accepted"));
            assert_eq!(status.code(), Code::InvalidArgument, "{field:?} {name}");
            let needle = format!("{}: must be", field.name());
            assert!(
                status.message().contains(&needle),
                "{field:?} {name}: {:?} does not contain {needle:?}",
                status.message()
            );
            assert!(
                status.message().contains("hyphenated"),
                "{field:?} {name}: {:?}",
                status.message()
            );
        }
    }
    assert_eq!(
        f.app.snapshot().await,
        before,
        "a refused call changed something"
    );
}
