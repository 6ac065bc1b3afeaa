//! Transport security: certificates made at run time with `rcgen`; a TLS server answers gRPC and the
//! JWKS over TLS only, reloads a replaced certificate for new connections while old ones go on, and
//! a plaintext start on a non-loopback address is refused unless asked for explicitly.

use std::path::Path;

use provenance_registry::config::{CommonSettings, ServeSettings};
use provenance_registry::proto::v1 as pb;
use provenance_registry::server::Application;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::sync::oneshot;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// A throwaway certificate authority.
struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A client certificate: its PEM, its key's PEM, and the SHA-256 of its DER bytes.
    fn issue_client(&self, name: &str) -> ((String, String), String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(cert.der()));
        ((cert.pem(), key.serialize_pem()), fingerprint)
    }

    /// A server certificate for `localhost` and 127.0.0.1, written as `cert.pem` and `key.pem`
    /// into `dir` by renaming over the old files, as operators rotate them.
    fn issue_server_files(&self, dir: &Path) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        for (name, text) in [("cert.pem", cert.pem()), ("key.pem", key.serialize_pem())] {
            let staged = dir.join(format!("{name}.new"));
            std::fs::write(&staged, text).unwrap();
            std::fs::rename(&staged, dir.join(name)).unwrap();
        }
    }
}

struct TlsServer {
    addr: std::net::SocketAddr,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TlsServer {
    async fn start(authority: &Authority) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), authority, |_| {}).await
    }

    /// Starts on `dir` (its `data` subdirectory holds the registry), letting `configure` add to
    /// the TLS settings.
    async fn start_in(
        dir: tempfile::TempDir,
        authority: &Authority,
        configure: impl FnOnce(&mut ServeSettings),
    ) -> Self {
        authority.issue_server_files(dir.path());
        let mut settings = ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: Some(dir.path().join("cert.pem")),
            tls_key: Some(dir.path().join("key.pem")),
            ..ServeSettings::default()
        };
        configure(&mut settings);
        let common = CommonSettings::for_data_dir(dir.path().join("data"));
        let app = Application::build(&common, &settings)
            .await
            .expect("TLS server builds");
        let addr = app.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    async fn connect(&self, trusting: &Authority) -> Result<Channel, tonic::transport::Error> {
        self.connect_as(trusting, None).await
    }

    /// Connects presenting `identity` (certificate and key PEM), if any.
    async fn connect_as(
        &self,
        trusting: &Authority,
        identity: Option<&(String, String)>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(trusting.pem()))
            .domain_name("localhost");
        if let Some((cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        Channel::from_shared(format!("https://localhost:{}", self.addr.port()))
            .unwrap()
            .tls_config(tls)?
            .connect()
            .await
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

async fn list_keys(channel: Channel) -> Result<pb::ListSigningKeysResponse, tonic::Status> {
    pb::certificate_service_client::CertificateServiceClient::new(channel)
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn grpc_is_served_over_tls_and_plaintext_to_the_tls_port_fails_cleanly() {
    let authority = Authority::new("Test CA");
    let server = TlsServer::start(&authority).await;
    let channel = server.connect(&authority).await.expect("TLS connects");
    let keys = list_keys(channel).await.expect("a call over TLS");
    assert!(!keys.keys.is_empty());

    // The JWKS over HTTPS (HTTP/1.1 on the same port), for verifiers that fetch keys that way.
    let jwks = https_get(&authority, server.addr, "/.well-known/jwks.json").await;
    assert!(jwks.starts_with("HTTP/1.1 200"), "{jwks}");
    assert!(jwks.contains("\"keys\""), "{jwks}");
    // HTTPS answers tell browsers to keep to HTTPS, and carry the other security headers.
    let head = jwks.to_ascii_lowercase();
    assert!(
        head.contains("strict-transport-security: max-age=31536000"),
        "{jwks}"
    );
    assert!(head.contains("x-content-type-options: nosniff"), "{jwks}");

    // A client that does not trust the server's CA does not get through.
    let stranger = Authority::new("Other CA");
    assert!(
        server.connect(&stranger).await.is_err(),
        "an untrusted certificate was accepted"
    );

    // Plaintext gRPC to the TLS port: refused, as an error, not a hang.
    let plaintext = Channel::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(5))
        .connect_lazy();
    let refused = list_keys(plaintext)
        .await
        .expect_err("plaintext was answered");
    assert!(
        matches!(
            refused.code(),
            tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Internal
        ),
        "{refused:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_replaced_certificate_serves_new_connections_and_old_ones_go_on() {
    let first = Authority::new("First CA");
    let server = TlsServer::start(&first).await;
    let established = server.connect(&first).await.unwrap();
    list_keys(established.clone()).await.unwrap();

    let second = Authority::new("Second CA");
    second.issue_server_files(server.dir.path());
    let renewed = server
        .connect(&second)
        .await
        .expect("a new connection gets the new certificate");
    list_keys(renewed).await.unwrap();
    assert!(
        server.connect(&first).await.is_err(),
        "new connections still got the old certificate"
    );
    list_keys(established)
        .await
        .expect("the connection made before the rotation still works");

    // A replacement that does not load (a key that does not fit) keeps the last good one.
    std::fs::write(
        server.dir.path().join("key.pem"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    list_keys(server.connect(&second).await.unwrap())
        .await
        .expect("the last good certificate stays in use");
    server.stop().await;
}

#[tokio::test]
async fn a_plaintext_start_off_loopback_needs_the_explicit_flag() {
    let dir = tempfile::tempdir().unwrap();
    let common = CommonSettings::for_data_dir(dir.path().to_path_buf());
    let open = ServeSettings {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..ServeSettings::default()
    };
    let refused = Application::build(&common, &open).await;
    let message = format!("{:#}", refused.err().expect("refused without TLS"));
    assert!(message.contains("refusing to listen"), "{message}");
    assert!(message.contains("--tls-cert"), "{message}");

    let insecure = ServeSettings {
        insecure_plaintext: true,
        ..open
    };
    Application::build(&common, &insecure)
        .await
        .expect("--insecure-plaintext allows it");
}

#[tokio::test]
async fn unreadable_or_mismatched_certificate_files_stop_the_start_naming_the_file() {
    let authority = Authority::new("Test CA");
    let dir = tempfile::tempdir().unwrap();
    authority.issue_server_files(dir.path());
    let common = CommonSettings::for_data_dir(dir.path().join("data"));
    let with = |cert: &str, key: &str| ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls_cert: Some(dir.path().join(cert)),
        tls_key: Some(dir.path().join(key)),
        ..ServeSettings::default()
    };
    let missing = Application::build(&common, &with("absent.pem", "key.pem")).await;
    let message = format!("{:#}", missing.err().expect("a missing certificate"));
    assert!(message.contains("absent.pem"), "{message}");

    std::fs::write(
        dir.path().join("other-key.pem"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let mismatched = Application::build(&common, &with("cert.pem", "other-key.pem")).await;
    let message = format!(
        "{:#}",
        mismatched.err().expect("a key of another certificate")
    );
    assert!(message.contains("does not fit"), "{message}");
}

#[tokio::test]
async fn certificate_and_key_files_that_do_not_parse_are_reported_as_such_naming_the_file() {
    use base64::Engine;
    let authority = Authority::new("Test CA");
    let dir = tempfile::tempdir().unwrap();
    authority.issue_server_files(dir.path());
    let common = CommonSettings::for_data_dir(dir.path().join("data"));
    let pem = |label: &str, body: &str| {
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let good_cert = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
    let key_der = KeyPair::generate().unwrap().serialize_der();
    let files = [
        (
            "garbage-base64.pem",
            pem("CERTIFICATE", "!!!! this is * not base64 ~~~~"),
        ),
        (
            "not-der.pem",
            pem("CERTIFICATE", &b64(b"garbage bytes that are no DER at all")),
        ),
        // A valid PEM block and valid DER, of a private key rather than a certificate.
        ("key-as-cert.pem", pem("CERTIFICATE", &b64(&key_der))),
        (
            "second-broken.pem",
            format!("{good_cert}{}", pem("CERTIFICATE", &b64(b"junk"))),
        ),
        ("garbage-key.pem", pem("PRIVATE KEY", "%%% not base64 %%%")),
        (
            "not-der-key.pem",
            pem("PRIVATE KEY", &b64(b"no key in here")),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let start = |cert: &str, key: &str, client_ca: Option<&str>| {
        let settings = ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: Some(dir.path().join(cert)),
            tls_key: Some(dir.path().join(key)),
            tls_client_ca: client_ca.map(|ca| dir.path().join(ca)),
            ..ServeSettings::default()
        };
        let common = &common;
        async move {
            let refused = Application::build(common, &settings).await;
            format!("{:#}", refused.err().expect("a file that does not parse"))
        }
    };
    for (cert, needles) in [
        (
            "garbage-base64.pem",
            &["does not parse as PEM", "base64"][..],
        ),
        ("not-der.pem", &["not an X.509 certificate"][..]),
        ("key-as-cert.pem", &["not an X.509 certificate"][..]),
        ("second-broken.pem", &["certificate 2 of the file"][..]),
    ] {
        let message = start(cert, "key.pem", None).await;
        for needle in [cert, "TLS certificate file", "does not parse"]
            .iter()
            .chain(needles)
        {
            assert!(
                message.contains(needle),
                "{cert}: {needle:?} not in {message}"
            );
        }
        assert!(!message.contains("does not fit"), "{message}");
    }
    for (key, needle) in [
        ("garbage-key.pem", "does not parse as PEM"),
        ("not-der-key.pem", "does not parse as a private key"),
    ] {
        let message = start("cert.pem", key, None).await;
        assert!(message.contains(key), "{message}");
        assert!(message.contains("TLS key file"), "{message}");
        assert!(message.contains(needle), "{message}");
        assert!(!message.contains("does not fit"), "{message}");
    }
    let message = start("cert.pem", "key.pem", Some("not-der.pem")).await;
    assert!(
        message.contains("client CA file") && message.contains("not-der.pem"),
        "{message}"
    );
    assert!(message.contains("does not parse"), "{message}");
    // The files that parse still start a server.
    start_ok(&common, dir.path()).await;
}

async fn start_ok(common: &CommonSettings, dir: &Path) {
    let settings = ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        ..ServeSettings::default()
    };
    Application::build(common, &settings)
        .await
        .expect("the good files start a server");
}

#[tokio::test]
async fn a_mapped_client_certificate_acts_for_its_organisation_without_a_token() {
    let server_ca = Authority::new("Server CA");
    let client_ca = Authority::new("Client CA");
    let dir = tempfile::tempdir().unwrap();

    // The organisation exists first; the operator then maps the procurement system's certificate.
    let common = CommonSettings::for_data_dir(dir.path().join("data"));
    let (org, admin) = {
        let registry = provenance_registry::server::open_registry(
            &common,
            1,
            Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
        let (org, admin, _) = registry
            .bootstrap_organization("Acme".into(), None)
            .await
            .unwrap();
        (org.id.to_string(), admin)
    };
    let (procurement, procurement_sha256) = client_ca.issue_client("procurement");
    let (unlisted, _) = client_ca.issue_client("unlisted");
    let (foreign, _) = Authority::new("Foreign CA").issue_client("intruder");
    std::fs::write(dir.path().join("client-ca.pem"), client_ca.pem()).unwrap();
    std::fs::write(
        dir.path().join("clients.toml"),
        format!(
            "[[client]]\nname = \"procurement\"\nsha256 = \"{procurement_sha256}\"\n\
             organization = \"{org}\"\nrole = \"auditor\"\n"
        ),
    )
    .unwrap();
    let ca_file = dir.path().join("client-ca.pem");
    let identities = dir.path().join("clients.toml");
    let server = TlsServer::start_in(dir, &server_ca, |settings| {
        settings.tls_client_ca = Some(ca_file);
        settings.tls_client_identities = Some(identities);
    })
    .await;

    let channel = server
        .connect_as(&server_ca, Some(&procurement))
        .await
        .expect("a client certificate of the client CA connects");
    let mut orgs = pb::organization_service_client::OrganizationServiceClient::new(channel.clone());
    let read = orgs
        .get_organization(pb::GetOrganizationRequest { id: org.clone() })
        .await
        .expect("the certificate stands for Acme's auditor")
        .into_inner();
    assert_eq!(read.name, "Acme");
    let mut datasets = pb::dataset_service_client::DatasetServiceClient::new(channel.clone());
    let refused = datasets
        .register_dataset(crate::helpers::dataset("by-auditor"))
        .await
        .expect_err("an auditor cannot register");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    // A bearer token still works over mutual TLS, and wins over the certificate.
    let mut request = tonic::Request::new(crate::helpers::dataset("by-admin"));
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {admin}").parse().unwrap());
    datasets
        .register_dataset(request)
        .await
        .expect("the admin token registers");

    // A certificate of the client CA that the operator did not list: connected, not authenticated.
    let unlisted = server
        .connect_as(&server_ca, Some(&unlisted))
        .await
        .unwrap();
    let refused = pb::organization_service_client::OrganizationServiceClient::new(unlisted)
        .get_organization(pb::GetOrganizationRequest { id: org.clone() })
        .await
        .expect_err("an unlisted certificate is no one");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert!(refused.message().contains("not mapped"), "{refused:?}");

    // A certificate from another CA, or none at all, does not get a connection that answers.
    for identity in [Some(&foreign), None] {
        let outcome = match server.connect_as(&server_ca, identity).await {
            Err(_) => Ok(()),
            Ok(channel) => pb::certificate_service_client::CertificateServiceClient::new(channel)
                .list_signing_keys(pb::ListSigningKeysRequest {})
                .await
                .map(|_| ()),
        };
        assert!(
            outcome.is_err(),
            "a client without a certificate of the client CA was answered"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn over_tls_unknown_paths_get_404_and_wrong_methods_405_on_http1_and_http2() {
    let authority = Authority::new("Test CA");
    let server = TlsServer::start(&authority).await;

    let one = https_request(&authority, server.addr, "GET", "/nonexistent").await;
    assert!(one.starts_with("HTTP/1.1 404"), "{one}");
    let lower = one.to_ascii_lowercase();
    assert!(lower.contains("content-type: application/json"), "{one}");
    assert!(!lower.contains("grpc-status"), "{one}");
    assert!(one.contains(r#""code":5"#), "{one}");
    let one = https_request(&authority, server.addr, "POST", "/api/v2/lineage").await;
    assert!(one.starts_with("HTTP/1.1 404"), "{one}");
    let one = https_request(&authority, server.addr, "DELETE", "/.well-known/jwks.json").await;
    assert!(one.starts_with("HTTP/1.1 405"), "{one}");
    assert!(
        one.to_ascii_lowercase().contains("allow: get,head"),
        "{one}"
    );

    use axum::http::Method;
    let h2 = |method: Method, path: &'static str| {
        let authority = &authority;
        let addr = server.addr;
        async move {
            let tls = tls_connect(authority, addr, b"h2").await;
            crate::routing::h2_request(tls, method, path, None, b"").await
        }
    };
    let two = h2(Method::GET, "/nonexistent").await;
    assert_eq!(two.status, 404);
    assert_eq!(two.header("content-type"), "application/json");
    assert_eq!(two.json()["code"], 5);
    let two = h2(Method::GET, "/v1/certificates:verify").await;
    assert_eq!(two.status, 405);
    assert_eq!(two.header("allow"), "POST");
    assert_eq!(two.json()["code"], 12);
    let two = h2(Method::GET, "/.well-known/jwks.json").await;
    assert_eq!(two.status, 200);
    assert!(two.json()["keys"].is_array());

    // gRPC over the same TLS port is unaffected.
    let channel = server.connect(&authority).await.expect("TLS connects");
    list_keys(channel).await.expect("a gRPC call over TLS");
    server.stop().await;
}

/// A TLS connection to `addr`, trusting `authority`, offering `alpn` as its only protocol.
async fn tls_connect(
    authority: &Authority,
    addr: std::net::SocketAddr,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, pki_types::ServerName};
    let mut roots = RootCertStore::empty();
    roots.add(authority.issuer.der().clone()).unwrap();
    let mut config = ClientConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn), "ALPN");
    tls
}

/// A plain HTTP/1.1 GET over TLS, trusting `authority`; the whole answer as text.
async fn https_get(authority: &Authority, addr: std::net::SocketAddr, path: &str) -> String {
    https_request(authority, addr, "GET", path).await
}

/// A plain HTTP/1.1 request without a body over TLS, trusting `authority`; the whole answer.
async fn https_request(
    authority: &Authority,
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tls = tls_connect(authority, addr, b"http/1.1").await;
    tls.write_all(
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    // The server may close without a TLS close_notify; what was read is the answer.
    let _ = tls.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}
