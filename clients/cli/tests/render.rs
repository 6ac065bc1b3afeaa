//! `provctl cert render`, end to end against the real server: a token file and a bundle become one
//! self-contained HTML document; a tampered token is refused and nothing is written.

mod common;

use common::{Registry, TestResult, clean_dataset, field, path_str, run_without_network};

/// Exit code of a certificate that does not verify.
const NOT_VALID: i32 = 9;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_and_a_bundle_render_as_one_self_contained_document() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let cert_file = dir.path().join("cert.jws");
    let cert = path_str(&cert_file)?;
    let derived = clean_dataset(&registry).await?;
    let issued = registry
        .run(&[
            "cert",
            "issue",
            &derived,
            "--contract",
            "MSA-2027-001",
            "--out",
            cert,
        ])
        .await?
        .ok();
    let id = field(&issued, "id")?;
    let token = std::fs::read_to_string(&cert_file)?.trim().to_owned();

    // Online, with the owner's token: everything, read from the registry.
    let html_file = dir.path().join("cert.html");
    let rendered = registry
        .run(&["cert", "render", cert, "--out", path_str(&html_file)?])
        .await?
        .ok();
    assert!(rendered.stdout.contains("wrote:"), "{}", rendered.stdout);
    let html = std::fs::read_to_string(&html_file)?;
    for needle in [
        "<h1>Lineage certificate</h1>",
        "derived@1",
        // The picture is the public lineage, as the verification page draws it: the private
        // parent is counted, not named, even for its owner's token.
        "1 hidden dataset(s)",
        "<svg",
        "MSA-2027-001",
        "You will not use the Model",
        "matches the certificate",
        "written by our annotators; no model output",
        "Status history",
        "How to verify this certificate independently",
        "@page { size: A4",
        "Content-Security-Policy\" content=\"default-src 'none'",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
    assert!(html.contains(&format!(
        "<pre id=\"certificate-token\" class=\"token\">{token}</pre>"
    )));
    assert!(html.contains(&id));
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing fetched"
    );
    assert!(!html.contains("base@1"), "a private parent is not named");
    // Without a token: the same picture.
    let anonymous_file = dir.path().join("anonymous.html");
    registry
        .run_with(
            None,
            &["cert", "render", cert, "--out", path_str(&anonymous_file)?],
        )
        .await?
        .ok();
    let anonymous = std::fs::read_to_string(&anonymous_file)?;
    let picture = |page: &str| -> TestResult<String> {
        let start = page
            .find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\"")
            .ok_or("a picture")?;
        let end = start + page[start..].find("</svg>").ok_or("its end")?;
        Ok(page[start..end].to_owned())
    };
    assert_eq!(picture(&anonymous)?, picture(&html)?);
    // The rendered document verifies as it stands, like the token it carries.
    let verified = registry
        .run(&["cert", "verify", path_str(&html_file)?])
        .await?
        .ok();
    assert!(verified.stdout.contains(&id), "{}", verified.stdout);

    // A bundle, offline: its own keys check the signature; no network at all.
    let bundle_file = dir.path().join("bundle.json");
    registry
        .run(&["cert", "bundle", &id, "--out", path_str(&bundle_file)?])
        .await?
        .ok();
    let offline_file = dir.path().join("offline.html");
    run_without_network(&[
        "cert",
        "render",
        path_str(&bundle_file)?,
        "--offline",
        "--out",
        path_str(&offline_file)?,
    ])
    .await?
    .ok();
    let offline = std::fs::read_to_string(&offline_file)?;
    assert!(offline.contains(&token) && offline.contains("rendered offline"));
    assert!(
        offline.contains("&quot;use&quot;: &quot;sig&quot;"),
        "the bundle's keys are embedded"
    );

    // A tampered token is refused, and nothing is written.
    let mut chars: Vec<char> = token.chars().collect();
    let middle = token.find('.').ok_or("a token")? + 20;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let tampered_file = dir.path().join("tampered.jws");
    std::fs::write(&tampered_file, chars.into_iter().collect::<String>())?;
    let refused_file = dir.path().join("refused.html");
    let refused = registry
        .run(&[
            "cert",
            "render",
            path_str(&tampered_file)?,
            "--out",
            path_str(&refused_file)?,
        ])
        .await?
        .expect_code(NOT_VALID);
    assert!(refused.stdout.contains("FAILED"), "{}", refused.stdout);
    assert!(!refused_file.exists());
    registry.stop().await
}
