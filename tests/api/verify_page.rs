//! The public verification page and its JSON twin, over plain HTTP/1.1 on the gRPC port, as a
//! browser or `curl` would call them: answers, precise errors, security headers, escaping, body
//! limits, and that an anonymous viewer learns nothing private.

use provenance_registry::proto::v1 as pb;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use provenance_registry::web::html::text_of;

use crate::helpers::*;
use crate::policies::{POLICY, attestation_request};

/// An HTTP answer: status code, head (lower-cased) and body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    #[track_caller]
    pub fn assert_secure_headers(&self) {
        for needle in [
            "content-security-policy: default-src 'none'; style-src 'unsafe-inline'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
        ] {
            assert!(
                self.head.contains(needle),
                "{needle:?} missing in\n{}",
                self.head
            );
        }
    }
}

/// One HTTP/1.1 request with `Connection: close`; `headers` are extra header lines.
pub async fn http(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[String],
    body: &[u8],
) -> Answer {
    http_at(app.addr, method, path, headers, body).await
}

/// [`http`] to any address (`/metrics`, a server process).
pub async fn http_at(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[String],
    body: &[u8],
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // The server may answer (e.g. 413) before reading all of a large body, and close.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let head = head.to_ascii_lowercase();
    let status = head[9..12].parse().expect("a status code");
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer { status, head, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

pub async fn post_json(app: &TestApp, body: &str) -> Answer {
    http(
        app,
        "POST",
        "/v1/certificates:verify",
        &[
            "Content-Type: application/json".into(),
            format!("Content-Length: {}", body.len()),
        ],
        body.as_bytes(),
    )
    .await
}

/// The form as a browser without script posts it: urlencoded fields.
async fn post_form(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    http(
        app,
        "POST",
        "/verify",
        &[
            "Content-Type: application/x-www-form-urlencoded".into(),
            format!("Content-Length: {}", body.len()),
        ],
        body.as_bytes(),
    )
    .await
}

/// A pasted token, posted by the form.
pub async fn post_pasted(app: &TestApp, token: &str) -> Answer {
    post_form(app, &[("token", token)]).await
}

/// The form as a browser posts an uploaded file (multipart), with an empty token field.
pub async fn post_upload(app: &TestApp, file_name: &str, content: &[u8]) -> Answer {
    let boundary = "----provenance-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    http(
        app,
        "POST",
        "/verify",
        &[
            format!("Content-Type: multipart/form-data; boundary={boundary}"),
            format!("Content-Length: {}", body.len()),
        ],
        &body,
    )
    .await
}

/// A clean, attested chain `raw <- mix` (the raw dataset public, the mix private), and a
/// certificate for the mix.
pub async fn certified(app: &TestApp) -> (pb::Dataset, pb::Certificate) {
    let public = pb::RegisterDatasetRequest {
        visibility: pb::Visibility::Public as i32,
        ..dataset("raw")
    };
    let raw = app.register(&app.admin, public).await;
    let mix = app.register(&app.admin, derived("mix", &[&raw])).await;
    app.attest(&app.admin, &raw).await;
    app.attest(&app.admin, &mix).await;
    (mix.clone(), issue(app, &app.admin, &mix).await)
}

async fn issue(app: &TestApp, token: &str, dataset: &pb::Dataset) -> pb::Certificate {
    app.certificates()
        .issue_certificate(authed(
            token,
            pb::IssueCertificateRequest {
                dataset_id: dataset.id.clone(),
                policy_id: POLICY.into(),
                contract_reference: "MSA-2027-001".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("certificate issued")
        .into_inner()
}

/// `token` with one character of its payload changed.
fn tampered(token: &str) -> String {
    let (header, rest) = token.split_once('.').unwrap();
    let mut payload: Vec<char> = rest.chars().collect();
    payload[10] = if payload[10] == 'A' { 'B' } else { 'A' };
    format!("{header}.{}", payload.into_iter().collect::<String>())
}

#[tokio::test]
async fn the_form_is_served_with_labelled_controls_and_strict_security_headers() {
    let app = spawn_app().await;
    let answer = http(&app, "GET", "/verify", &[], b"").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .head
            .contains("content-type: text/html; charset=utf-8")
    );
    answer.assert_secure_headers();
    for id in ["token", "file", "audience", "as_of"] {
        assert!(
            answer.body.contains(&format!("<label for=\"{id}\"")),
            "{id}"
        );
    }
    assert!(
        answer
            .body
            .contains("<h1>Verify a lineage certificate</h1>")
    );
    assert!(!answer.body.contains("<script"), "the page needs no script");
    assert!(
        !answer.body.contains("src=\"http"),
        "the page fetches nothing"
    );
}

#[tokio::test]
async fn uploads_over_one_mebibyte_are_refused() {
    let app = spawn_app().await;
    let upload = post_upload(&app, "huge.html", &vec![b'x'; 1024 * 1024 + 1]).await;
    assert_eq!(upload.status, 413);
    upload.assert_secure_headers();
    assert!(
        upload.body.contains("larger than 1048576 bytes"),
        "{}",
        upload.body
    );
}

#[tokio::test]
async fn a_pasted_valid_token_shows_every_check_the_status_the_lineage_and_the_log_entry() {
    let app = spawn_app().await;
    let (mix, certificate) = certified(&app).await;
    let page = post_pasted(&app, &certificate.token).await;
    assert_eq!(page.status, 200);
    page.assert_secure_headers();
    let body = &page.body;
    assert!(
        body.contains("VALID: every check made passed (the audience was not checked)"),
        "{body}"
    );
    // The audience is not checked without an organisation id, and the page asks for one.
    assert_eq!(body.matches(">PASSED<").count(), 10);
    assert!(body.contains("<tr data-check=\"policies\"><th scope=\"row\"><code>policies</code></th><td class=\"result pass\" data-label=\"Result\">PASSED</td>"));
    assert!(body.contains("<tr data-check=\"audience\"><th scope=\"row\"><code>audience</code></th><td class=\"result note\" data-label=\"Result\">NOT CHECKED<"));
    assert!(body.contains("Was it issued for your organisation?"));
    // The first page: who certified what, for whom, under which clause, until when.
    let first = &body[body.find("class=\"first-page").unwrap()..];
    let first = &first[..first.find("</section>").unwrap()];
    for needle in [
        "<strong><bdi>Acme</bdi></strong>",
        "no buyer named",
        "MSA-2027-001",
        "You will not use the Model",
        "<strong>Clean</strong>",
        "Valid</strong>, as the registry answered at",
    ] {
        assert!(first.contains(needle), "{needle:?} missing in {first}");
    }
    assert!(body.contains("<strong id=\"status\">VALID</strong>"));
    assert!(body.contains("<svg") && body.contains("mix@1") && body.contains("raw@1"));
    assert!(
        body.contains("No output of DeepSeek-R1 was used."),
        "the public attestation"
    );
    assert!(body.contains("1 attestation(s) named by the certificate are not shown"));
    // Hashes are set in groups of eight that a line breaks between: the text is whole.
    assert!(text_of(body).contains(&mix.content_digest));
    assert!(body.contains("MSA-2027-001"));
    assert!(
        body.contains("You will not use the Model"),
        "the clause is quoted"
    );
    assert!(body.contains("matches the certificate"));
    // The log entry: the leaf, a checkpoint signed by the log key, and the registry's own proof.
    assert!(body.contains(&format!(
        "leaf <strong class=\"mono\">{}</strong>",
        certificate.log_index
    )));
    assert!(body.contains("provenance-registry/log"));
    assert!(body.contains("The registry proved this leaf is in its tree"));
}

#[tokio::test]
async fn a_tampered_token_fails_its_signature_and_the_page_repeats_none_of_its_claims() {
    let app = spawn_app().await;
    let (mix, certificate) = certified(&app).await;
    let page = post_pasted(&app, &tampered(&certificate.token)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("NOT VALID — SIGNATURE DOES NOT VERIFY: the token was altered"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"nothing-shown\""));
    assert!(!page.body.contains(&mix.id) && !page.body.contains("mix@1"));

    // A token wrapped across lines by a mail client is still read.
    let (head, tail) = certificate.token.split_at(40);
    let wrapped = post_pasted(&app, &format!("  {head}\r\n{tail}\n")).await;
    assert!(
        wrapped.body.contains("VALID: every check made passed"),
        "{}",
        wrapped.body
    );

    let garbage = post_pasted(&app, "not-a-token").await;
    assert!(
        garbage
            .body
            .contains("NOT VALID — NOT A LINEAGE CERTIFICATE")
    );
}

#[tokio::test]
async fn a_revoked_certificate_shows_revoked_with_its_reason_and_history() {
    let app = spawn_app().await;
    let (_, certificate) = certified(&app).await;
    app.certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: certificate.id.clone(),
                reason: "replaced by the amended contract's certificate".into(),
            },
        ))
        .await
        .unwrap();
    let page = post_pasted(&app, &certificate.token).await;
    let body = &page.body;
    assert!(
        body.contains("NOT VALID — REVOKED on ")
            && body.contains(" UTC: replaced by the amended contract&#39;s certificate</p>"),
        "{body}"
    );
    assert!(body.contains("<strong id=\"status\">REVOKED</strong>"));
    // Every section but the first page (whose headline says it above) repeats it; no green
    // mark remains; the lineage check after the failed status check is not relied on.
    assert_eq!(
        body.matches("<p class=\"banner\" role=\"note\">NOT VALID — REVOKED on")
            .count(),
        body.matches("<section").count() - 1
    );
    assert!(body.contains("<div class=\"not-valid\">"));
    assert!(!body.contains("#1b6e2a"), "green lineage marks");
    let lineage = &body[body.find("data-check=\"lineage\"").unwrap()..];
    let lineage = &lineage[..lineage.find("</tr>").unwrap()];
    assert!(lineage.contains(">NOT CHECKED<"), "{lineage}");
    assert!(
        body.contains(&format!("certificates/{}", certificate.id)),
        "the cause"
    );
    let history = &body[body.find("Status history").unwrap()..];
    let valid_at = history.find("<strong>Valid</strong>").unwrap();
    let revoked_at = history.find("<strong>Revoked</strong>").unwrap();
    assert!(valid_at < revoked_at, "history oldest first");

    // The same over HTTP/JSON.
    let json = post_json(&app, &json!({"token": certificate.token}).to_string())
        .await
        .json();
    assert_eq!(json["valid"], false, "{json}");
    assert_eq!(json["status"], "CERTIFICATE_STATUS_REVOKED");
    assert_eq!(
        json["revokeReason"],
        "replaced by the amended contract's certificate"
    );
}

#[tokio::test]
async fn an_uploaded_rendered_certificate_or_bundle_is_verified_by_the_token_inside() {
    use provenance_registry::web::certificate_html::{CertificateDocument, Judgement, render};
    let app = spawn_app().await;
    let (_, certificate) = certified(&app).await;
    let (claims, _) = provenance_registry::domain::certificate::signed_claims(
        certificate.token.rsplit_once('.').unwrap().0,
    )
    .unwrap();
    let rendered = render(&CertificateDocument {
        token: certificate.token.clone(),
        claims,
        judgement: Judgement::Valid {
            at: chrono::Utc::now(),
            caveat: None,
        },
        jwks_json: None,
        policy: None,
        lineage: None,
        lineage_note: None,
        attestations: vec![],
        attestations_not_shown: 0,
        standing: None,
        log: None,
        produced_at: chrono::Utc::now(),
    });
    let page = post_upload(&app, "contract-cert.html", rendered.as_bytes()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("VALID: every check made passed"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("the uploaded file &quot;contract-cert.html&quot;")
    );

    let bundle = json!({"format": "provenance-certificate-bundle/v1", "token": certificate.token, "log": null});
    let page = post_upload(&app, "bundle.json", bundle.to_string().as_bytes()).await;
    assert!(page.body.contains("VALID: every check made passed"));

    let page = post_upload(&app, "holiday.html", b"<html>no certificate here</html>").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("no certificate token found"),
        "{}",
        page.body
    );
    let page = post_upload(&app, "empty.html", b"").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("paste a certificate token or choose a certificate file")
    );
}

#[tokio::test]
async fn hostile_names_and_reasons_are_escaped_everywhere_on_the_page() {
    let app = spawn_app().await;
    let evil = "<script>alert(\"x\")</script>'\"><img src=x onerror=alert(1)>";
    let raw = app
        .register(
            &app.admin,
            pb::RegisterDatasetRequest {
                name: evil.into(),
                visibility: pb::Visibility::Public as i32,
                ..dataset("evil")
            },
        )
        .await;
    app.attest(&app.admin, &raw).await;
    let certificate = issue(&app, &app.admin, &raw).await;
    app.certificates()
        .revoke_certificate(authed(
            &app.admin,
            pb::RevokeCertificateRequest {
                id: certificate.id.clone(),
                reason: evil.into(),
            },
        ))
        .await
        .unwrap();
    let page = post_pasted(&app, &certificate.token).await;
    assert!(page.body.contains("REVOKED"));
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"));
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&gt;&lt;img")
    );
}

#[tokio::test]
async fn an_anonymous_viewer_sees_public_datasets_and_the_certified_one_but_nothing_else_private() {
    let app = spawn_app().await;
    // Another organisation's public corpus, attested by its owner.
    let (_, globex_admin) = app.other_org("Globex").await;
    let corpus = app
        .register(
            &globex_admin,
            pb::RegisterDatasetRequest {
                visibility: pb::Visibility::Public as i32,
                ..dataset("open-corpus")
            },
        )
        .await;
    let attest = |dataset: &pb::Dataset, statement: &str| pb::RecordAttestationRequest {
        statement: statement.into(),
        ..attestation_request(dataset)
    };
    app.attestations()
        .record_attestation(authed(
            &globex_admin,
            attest(&corpus, "public statement about the corpus"),
        ))
        .await
        .unwrap();
    // Acme's private lineage on top of it: a secret intermediate and the certified mix.
    let secret = app
        .register(&app.admin, derived("acme-secret-filtered", &[&corpus]))
        .await;
    let mix = app
        .register(&app.admin, derived("acme-mix", &[&secret]))
        .await;
    for (d, statement) in [
        (&secret, "private statement about the secret"),
        (&mix, "private statement about the mix"),
    ] {
        app.attestations()
            .record_attestation(authed(&app.admin, attest(d, statement)))
            .await
            .unwrap();
    }
    let certificate = issue(&app, &app.admin, &mix).await;

    let page = post_pasted(&app, &certificate.token).await;
    let body = &page.body;
    assert!(body.contains("VALID: every check made passed"), "{body}");
    // The certified dataset (the token names it) and the public corpus are shown.
    assert!(body.contains("acme-mix@1") && body.contains("open-corpus@1"));
    assert!(body.contains("public statement about the corpus"));
    // The private intermediate is counted, never named, nor its id or digest shown; neither
    // private attestation is shown.
    assert!(body.contains("1 hidden dataset(s)"));
    for private in [
        "acme-secret-filtered",
        secret.id.as_str(),
        secret.content_digest.as_str(),
        "private statement about the secret",
        "private statement about the mix",
    ] {
        assert!(
            !body.contains(private),
            "{private:?} leaked to an anonymous viewer"
        );
    }
    assert!(body.contains("2 attestation(s) named by the certificate are not shown"));

    // The same public lineage over gRPC, for `provctl cert render`, with or without a token.
    let verify = |token: String, include_public_lineage| pb::VerifyCertificateRequest {
        token,
        include_public_lineage,
        ..Default::default()
    };
    let answer = app
        .certificates()
        .verify_certificate(verify(certificate.token.clone(), true))
        .await
        .unwrap()
        .into_inner();
    let lineage = answer.public_lineage.expect("asked for");
    assert_eq!(lineage.root, format!("datasets/{}", mix.id));
    let names: Vec<&str> = lineage.nodes.iter().map(|n| n.name.as_str()).collect();
    assert!(
        names.contains(&"acme-mix") && names.contains(&"open-corpus"),
        "{names:?}"
    );
    let group = lineage
        .nodes
        .iter()
        .find(|n| n.dataset_id.is_empty())
        .expect("a hidden group");
    assert_eq!(group.hidden_count, 1);
    assert_eq!(group.standing, pb::PublicLineageStanding::Attested as i32);
    assert!(!format!("{lineage:?}").contains("acme-secret-filtered"));
    assert!(!format!("{lineage:?}").contains(&secret.id));
    assert_eq!(lineage.edges.len(), 2);
    let without = app
        .certificates()
        .verify_certificate(verify(certificate.token.clone(), false))
        .await
        .unwrap()
        .into_inner();
    assert!(without.public_lineage.is_none(), "only when asked for");
    let tampered = app
        .certificates()
        .verify_certificate(verify(tampered(&certificate.token), true))
        .await
        .unwrap()
        .into_inner();
    assert!(
        tampered.public_lineage.is_none(),
        "nothing for a tampered token"
    );

    // Its owner's view over gRPC really holds what was hidden (the test can fail).
    let owner_view = app.evaluate(&app.admin, &mix, "").await;
    assert_eq!(owner_view.verdict, pb::Verdict::Clean as i32);
}

#[tokio::test]
async fn the_form_checks_the_audience_and_judges_as_of_a_date() {
    let app = spawn_app().await;
    let (_, certificate) = certified(&app).await;
    let token = certificate.token.as_str();
    let form = |audience, as_of| {
        [
            ("token", token),
            ("audience_organization_id", audience),
            ("as_of", as_of),
        ]
    };
    let bad = post_form(&app, &form("acme", "")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("role=\"alert\""));
    assert!(
        bad.body
            .contains("audience_organization_id: must be an organisation id")
    );
    let bad = post_form(&app, &form("", "last tuesday")).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("as_of: must be a date, e.g. 2027-03-01 (midnight UTC")
    );
    // What was pasted and typed is kept for the next try.
    assert!(bad.body.contains(&format!(">{token}</textarea>")));
    assert!(bad.body.contains("value=\"last tuesday\""));

    let (buyer, _) = app.other_org("Buyer").await;
    let page = post_form(&app, &form(&buyer, "")).await;
    assert!(
        page.body
            .contains("NOT VALID — NOT ISSUED FOR YOUR ORGANISATION: issued for no audience"),
        "{}",
        page.body
    );
    // A plain date means midnight UTC at its start.
    let page = post_form(&app, &form("", "2001-01-01")).await;
    assert!(
        page.body.contains("NOT VALID — NOT VALID YET: valid from "),
        "{}",
        page.body
    );
    assert!(page.body.contains("judged as of 2001-01-01T00:00:00Z"));
    assert_eq!(
        post_json(
            &app,
            &json!({"token": token, "as_of": "2001-01-01T00:00:00Z"}).to_string()
        )
        .await
        .json()["checks"][6]["detail"],
        "not valid yet"
    );
}

#[tokio::test]
async fn names_are_signed_at_issuance_and_the_operators_address_is_printed_with_a_qr_code() {
    let app = spawn_app_public(
        provenance_registry::config::ServeSettings::default(),
        None,
        Some("https://registry.example".into()),
    )
    .await;
    let raw = app.register(&app.admin, dataset("raw")).await;
    app.attest(&app.admin, &raw).await;
    let (buyer, _) = app.other_org("Buyer GmbH").await;
    let certificate = app
        .certificates()
        .issue_certificate(authed(
            &app.admin,
            pb::IssueCertificateRequest {
                dataset_id: raw.id.clone(),
                policy_id: POLICY.into(),
                audience_organization_id: buyer.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("issued")
        .into_inner();
    let (claims, _) = provenance_registry::domain::certificate::signed_claims(
        certificate.token.rsplit_once('.').unwrap().0,
    )
    .unwrap();
    assert_eq!(claims.dataset.organization_name.as_deref(), Some("Acme"));
    assert_eq!(claims.audience_name.as_deref(), Some("Buyer GmbH"));
    assert_eq!(
        claims.verification_url.as_deref(),
        Some("https://registry.example/verify")
    );

    let page = post_form(
        &app,
        &[
            ("token", certificate.token.as_str()),
            ("audience_organization_id", buyer.as_str()),
        ],
    )
    .await;
    let body = &page.body;
    assert!(body.contains("VALID: every check passed"), "{body}");
    assert!(body.contains("<strong><bdi>Buyer GmbH</bdi></strong>"));
    assert!(body.contains(&format!(
        "https://registry.example/verify?certificate={}",
        certificate.id
    )));
    assert!(body.contains("class=\"qr-code\""));

    // The address the QR code holds: the registry's status of that id, nothing else.
    let asked = http(
        &app,
        "GET",
        &format!("/verify?certificate={}", certificate.id),
        &[],
        b"",
    )
    .await;
    assert_eq!(asked.status, 200);
    asked.assert_secure_headers();
    assert!(asked.body.contains("VALID now, until "), "{}", asked.body);
    assert!(!asked.body.contains("raw@1") && !asked.body.contains("Buyer GmbH"));
    let unknown = http(
        &app,
        "GET",
        &format!("/verify?certificate={}", uuid::Uuid::now_v7()),
        &[],
        b"",
    )
    .await;
    assert!(
        unknown
            .body
            .contains("UNKNOWN: this registry issued no certificate with this id")
    );
}

#[tokio::test]
async fn the_jwks_and_every_error_answer_carry_the_security_headers() {
    let app = spawn_app().await;
    let jwks = http(&app, "GET", "/.well-known/jwks.json", &[], b"").await;
    assert_eq!(jwks.status, 200);
    jwks.assert_secure_headers();
    assert!(jwks.head.contains("content-type: application/jwk-set+json"));
    assert!(jwks.head.contains("cache-control: public, max-age=300"));
    assert!(
        !jwks.head.contains("strict-transport-security"),
        "HSTS only over TLS"
    );
    let cases: [(&str, &str, u16); 5] = [
        ("GET", "/v1/certificates:verify", 405),
        ("DELETE", "/verify", 405),
        ("POST", "/.well-known/jwks.json", 405),
        ("GET", "/nothing-here", 404),
        (
            "GET",
            "/provenance.v1.CertificateService/VerifyCertificate",
            405,
        ),
    ];
    for (method, path, status) in cases {
        let answer = http(&app, method, path, &["Content-Length: 0".into()], b"").await;
        assert_eq!(answer.status, status, "{method} {path}");
        answer.assert_secure_headers();
    }
    let bad_id = http(&app, "GET", "/verify?certificate=nope", &[], b"").await;
    assert_eq!(bad_id.status, 400);
    bad_id.assert_secure_headers();
    assert!(
        bad_id
            .body
            .contains("certificate: must be a certificate id")
    );
}
