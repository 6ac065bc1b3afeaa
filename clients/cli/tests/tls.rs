//! provctl over TLS and mutual TLS, against the real server serving certificates made at run time.

mod common;

use common::{TestResult, authority, issue, provctl, run_to_end};

/// Runs provctl without holding the runtime the in-process server needs.
async fn run(url: &str, args: Vec<String>) -> TestResult<std::process::Output> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = provctl(url, None, &args);
    Ok(tokio::task::spawn_blocking(move || run_to_end(command)).await??)
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}
use provenance_registry::config::{CommonSettings, ServeSettings};
use provenance_registry::server::Application;
use tokio::sync::oneshot;

#[tokio::test]
async fn provctl_speaks_tls_and_mutual_tls() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = |name: &str| dir.path().join(name);
    let text = |name: &str| -> TestResult<String> {
        path(name)
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| "a temporary path that is not UTF-8".into())
    };
    let server_ca = authority("Server CA")?;
    let client_ca = authority("Client CA")?;
    let (server_cert, server_key, _) = issue(&server_ca, &["localhost"])?;
    let (client_cert, client_key, client_sha256) = issue(&client_ca, &[])?;
    for (name, content) in [
        ("server-ca.pem", server_ca.pem()),
        ("server.pem", server_cert),
        ("server.key", server_key),
        ("client-ca.pem", client_ca.pem()),
        ("client.pem", client_cert),
        ("client.key", client_key),
    ] {
        std::fs::write(path(name), content)?;
    }

    // The organisation exists before the operator maps the client certificate to it.
    let common = CommonSettings::for_data_dir(path("data"));
    let org = {
        let registry = provenance_registry::server::open_registry(
            &common,
            1,
            Default::default(),
            Default::default(),
        )
        .await?;
        let (org, _, _) = registry.bootstrap_organization("Acme".into(), None).await?;
        org.id.to_string()
    };
    std::fs::write(
        path("clients.toml"),
        format!(
            "[[client]]\nname = \"ci\"\nsha256 = \"{client_sha256}\"\norganization = \"{org}\"\nrole = \"auditor\"\n"
        ),
    )?;
    let settings = ServeSettings {
        listen: "127.0.0.1:0".parse()?,
        tls_cert: Some(path("server.pem")),
        tls_key: Some(path("server.key")),
        tls_client_ca: Some(path("client-ca.pem")),
        tls_client_identities: Some(path("clients.toml")),
        ..ServeSettings::default()
    };
    let app = Application::build(&common, &settings).await?;
    let url = format!("https://localhost:{}", app.local_addr()?.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let (ca, cert, key) = (
        text("server-ca.pem")?,
        text("client.pem")?,
        text("client.key")?,
    );
    let mutual = [
        "--ca-file",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];

    // Public calls and, with the mapped certificate and no token, the organisation's own.
    let keys = run(&url, owned(&[&mutual[..], &["cert", "keys"]].concat())).await?;
    assert!(
        keys.status.success(),
        "{}",
        String::from_utf8_lossy(&keys.stderr)
    );
    let read = run(&url, owned(&[&mutual[..], &["org", "get", &org]].concat())).await?;
    let stdout = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert!(stdout.contains("Acme"), "{stdout}");

    // Without the CA that signed the server's certificate: a clear error, exit code 6.
    let untrusted = run(
        &url,
        owned(&["--client-cert", &cert, "--client-key", &key, "cert", "keys"]),
    )
    .await?;
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");

    // Plaintext to the TLS port does not get an answer either, and is told the scheme to use.
    let http_url = url.replace("https://", "http://");
    let plaintext = run(&http_url, owned(&["cert", "keys"])).await?;
    let stderr = String::from_utf8_lossy(&plaintext.stderr);
    assert_eq!(plaintext.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("speaks TLS: use {url}")),
        "{stderr}"
    );

    let _ = stop.send(());
    server.await??;
    Ok(())
}
