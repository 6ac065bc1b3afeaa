//! Signing keys in a hardware security module (`--signing-key pkcs11:...`), against SoftHSM2: each
//! test makes a fresh token in a SoftHSM2 configuration of its own (`SOFTHSM2_CONF`) and runs the
//! server and the admin commands as processes using it. Certificates (JWS and DSSE) and checkpoints
//! signed in the token verify against the published JWKS; rotation makes the new key in the token;
//! a token that goes away gives `UNAVAILABLE` and leaves nothing half-written; a bad URI stops the
//! server at start naming the attribute.
//!
//! SoftHSM2 (Debian's `softhsm2`) must be installed: with `CI=true` its absence fails these tests;
//! elsewhere they are skipped, saying so on standard error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, VerifyingKey};
use provenance_registry::proto::v1 as pb;
use serde_json::Value;
use tempfile::TempDir;
use tonic::Code;
use tonic::transport::Channel;
use transparency_log::{NoteVerifier, open_checkpoint};

use crate::certificates::issue_request;
use crate::helpers::*;
use crate::policies::attestation_request;
use crate::process::ServerProcess;
use crate::support_postgres::TestDatabase;

const BINARY: &str = env!("CARGO_BIN_EXE_provenance-registry");

/// Where Debian (and others) install SoftHSM2's PKCS#11 module.
const MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

/// A SoftHSM2 configuration of its own with one fresh token, "registry" (user PIN 1234).
struct SoftHsm {
    home: TempDir,
    module: PathBuf,
}

impl SoftHsm {
    /// A fresh token; `None` (the test skipped, saying so) when SoftHSM2 is not installed outside CI.
    fn new() -> Option<Self> {
        let module = MODULES.iter().map(PathBuf::from).find(|m| m.exists());
        let util = Command::new("softhsm2-util").arg("--version").output();
        let (Some(module), Ok(_)) = (module, util) else {
            let message = "SoftHSM2 is not installed (Debian: apt-get install softhsm2)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{message}; CI installs it in .ci/run"
            );
            let _ = writeln!(std::io::stderr(), "skipped: {message}");
            return None;
        };
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("tokens")).unwrap();
        std::fs::write(
            home.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                home.path().join("tokens").display()
            ),
        )
        .unwrap();
        let hsm = Self { home, module };
        succeeded(
            Command::new("softhsm2-util")
                .env("SOFTHSM2_CONF", hsm.conf())
                .args(["--init-token", "--free", "--label", "registry"])
                .args(["--so-pin", "5678", "--pin", "1234"]),
        );
        Some(hsm)
    }

    fn conf(&self) -> PathBuf {
        self.home.path().join("softhsm2.conf")
    }

    /// The URI of the registry's keys in the token.
    fn uri(&self) -> String {
        format!(
            "pkcs11:token=registry;object=provenance-registry?module-path={}&pin-value=1234",
            self.module.display()
        )
    }

    /// The environment of a process using the token: the configuration and `--signing-key`.
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SOFTHSM2_CONF".into(), self.conf().display().to_string()),
            ("PROVENANCE_SIGNING_KEY".into(), self.uri()),
        ]
    }

    /// The token goes away, as when its device is unplugged: its directory is removed.
    fn remove_token(&self) {
        std::fs::remove_dir_all(self.home.path().join("tokens")).unwrap();
    }
}

/// A registry whose keys are in a token: its data directory, database, server and first org.
struct HsmApp {
    hsm: SoftHsm,
    dir: TempDir,
    database: Option<TestDatabase>,
    server: ServerProcess,
    channel: Channel,
    admin: String,
}

impl HsmApp {
    async fn start() -> Option<Self> {
        let hsm = SoftHsm::new()?;
        let dir = tempfile::tempdir().unwrap();
        let database = fresh_database().await;
        let options: Vec<String> = database
            .as_ref()
            .map(|d| vec!["--database-url".to_owned(), d.url.clone()])
            .unwrap_or_default();
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let made = command(
            &hsm,
            dir.path(),
            &options,
            &["admin", "create-org", "--init", "Acme"],
        );
        let text = String::from_utf8(made.stdout).unwrap();
        let admin = text
            .lines()
            .find_map(|l| l.strip_prefix("admin_token: "))
            .unwrap_or_else(|| panic!("no admin token in {text}"))
            .to_owned();
        let env = hsm.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let server = ServerProcess::start_with_env(dir.path(), &options, &env);
        let channel = server.channel().await;
        Some(Self {
            hsm,
            dir,
            database,
            server,
            channel,
            admin,
        })
    }

    /// Runs `provenance-registry ARGS` on the registry, with the token, expecting success.
    fn run(&self, args: &[&str]) -> String {
        let options: Vec<&str> = match &self.database {
            Some(d) => vec!["--database-url", d.url.as_str()],
            None => Vec::new(),
        };
        String::from_utf8(command(&self.hsm, self.dir.path(), &options, args).stdout).unwrap()
    }

    fn certificates(&self) -> pb::certificate_service_client::CertificateServiceClient<Channel> {
        pb::certificate_service_client::CertificateServiceClient::new(self.channel.clone())
    }

    fn log(&self) -> pb::transparency_log_service_client::TransparencyLogServiceClient<Channel> {
        pb::transparency_log_service_client::TransparencyLogServiceClient::new(self.channel.clone())
    }

    /// An attested dataset, ready to certify.
    async fn certifiable(&self, name: &str) -> pb::Dataset {
        let dataset = DatasetServiceClient::new(self.channel.clone())
            .register_dataset(authed(&self.admin, dataset(name)))
            .await
            .expect("registered")
            .into_inner()
            .dataset
            .expect("a dataset");
        AttestationServiceClient::new(self.channel.clone())
            .record_attestation(authed(&self.admin, attestation_request(&dataset)))
            .await
            .expect("attested");
        dataset
    }

    async fn issue(&self, dataset: &pb::Dataset) -> Result<pb::Certificate, tonic::Status> {
        self.certificates()
            .issue_certificate(authed(&self.admin, issue_request(dataset)))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Asserts that `VerifyCertificate` passes every check of `presented` (a JWS or envelope).
    async fn assert_verifies(&self, presented: &str) {
        let verdict = self
            .certificates()
            .verify_certificate(pb::VerifyCertificateRequest {
                token: presented.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(verdict.checks.iter().all(|c| c.passed), "{verdict:?}");
    }

    async fn jwks(&self) -> Value {
        let text = self
            .certificates()
            .list_signing_keys(pb::ListSigningKeysRequest {})
            .await
            .expect("signing keys")
            .into_inner()
            .jwks_json;
        serde_json::from_str(&text).unwrap()
    }

    /// The count `query` (`SELECT COUNT(*) ...`) gives in the registry's database.
    async fn rows(&self, query: &'static str) -> i64 {
        match &self.database {
            Some(database) => {
                let mut conn =
                    <sqlx::PgConnection as sqlx::Connection>::connect(database.url.as_str())
                        .await
                        .unwrap();
                sqlx::query_scalar(query)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            None => {
                let url = format!("sqlite://{}", self.dir.path().join("registry.db").display());
                let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                    .await
                    .unwrap();
                sqlx::query_scalar(query)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }
}

/// Runs `provenance-registry --data-dir DIR OPTIONS ARGS` with the token, expecting success.
fn command(hsm: &SoftHsm, dir: &Path, options: &[&str], args: &[&str]) -> Output {
    succeeded(
        Command::new(BINARY)
            .envs(hsm.env())
            .arg("--data-dir")
            .arg(dir)
            .args(options)
            .args(args),
    )
}

/// Runs `command` to its end, failing the test with its standard error if it failed.
fn succeeded(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The JWKS's keys of `use` (`sig`: certificates, `log`: checkpoints).
fn keys_of<'a>(jwks: &'a Value, use_: &str) -> Vec<&'a Value> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == use_)
        .collect()
}

fn public_key(jwk: &Value) -> VerifyingKey {
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap()
}

/// Checks the compact JWS `token` with the JWKS key its header names; returns that key's id.
fn verify_jws(token: &str, jwks: &Value) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().unwrap();
    let jwk = keys_of(jwks, "sig")
        .into_iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("{kid} is not in {jwks}"));
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    public_key(jwk)
        .verify_strict(input.as_bytes(), &signature)
        .expect("the JWS verifies with its JWKS key");
    // The kid is the key's RFC 7638 thumbprint, as for file keys.
    assert_eq!(
        kid,
        provenance_registry::signing_keys::thumbprint(jwk["x"].as_str().unwrap())
    );
    kid.to_owned()
}

/// Checks the DSSE envelope (DSSE v1 PAE) with the JWKS key it names.
fn verify_envelope(envelope: &str, jwks: &Value) {
    let envelope: Value = serde_json::from_str(envelope).unwrap();
    let payload_type = envelope["payloadType"].as_str().unwrap();
    let body = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    pae.extend_from_slice(&body);
    let entry = &envelope["signatures"][0];
    let jwk = keys_of(jwks, "sig")
        .into_iter()
        .find(|k| k["kid"] == entry["keyid"])
        .expect("the envelope's key is published");
    let signature =
        Signature::from_slice(&STANDARD.decode(entry["sig"].as_str().unwrap()).unwrap()).unwrap();
    public_key(jwk)
        .verify_strict(&pae, &signature)
        .expect("the DSSE envelope verifies with its JWKS key");
}

#[tokio::test]
async fn certificates_and_checkpoints_signed_in_the_token_verify_against_the_jwks() {
    let Some(app) = HsmApp::start().await else {
        return;
    };
    let dataset = app.certifiable("raw").await;
    let certificate = app.issue(&dataset).await.expect("issued through the token");
    let jwks = app.jwks().await;
    assert_eq!(keys_of(&jwks, "sig").len(), 1, "{jwks}");
    let kid = verify_jws(&certificate.token, &jwks);
    assert_eq!(certificate.kid, kid);
    verify_envelope(&certificate.dsse_envelope, &jwks);
    // The JWK has the form file keys have.
    let jwk = keys_of(&jwks, "sig")[0];
    for (member, value) in [
        ("kty", "OKP"),
        ("crv", "Ed25519"),
        ("alg", "EdDSA"),
        ("status", "active"),
    ] {
        assert_eq!(jwk[member], value, "{jwk}");
    }
    // And the server's own verification agrees, in both forms.
    for presented in [&certificate.token, &certificate.dsse_envelope] {
        app.assert_verifies(presented).await;
    }

    // The checkpoint is signed by the log's own key in the token, pinned from the JWKS.
    let checkpoint = app
        .log()
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .expect("a checkpoint")
        .into_inner();
    let log_keys = keys_of(&jwks, "log");
    assert_eq!(log_keys.len(), 1);
    assert_ne!(log_keys[0]["x"], jwk["x"], "the log has a key of its own");
    let verifier = NoteVerifier::new("provenance-registry/log", public_key(log_keys[0])).unwrap();
    let opened = open_checkpoint(&checkpoint.note, &verifier).expect("the checkpoint verifies");
    assert_eq!(opened.size, checkpoint.tree_size);
}

#[tokio::test]
async fn rotation_makes_a_second_key_in_the_token_and_both_are_published_during_the_overlap() {
    let Some(app) = HsmApp::start().await else {
        return;
    };
    let first = app.issue(&app.certifiable("before").await).await.unwrap();
    let old_kid = first.kid.clone();
    app.run(&["keys", "rotate"]);
    // The token now holds two keys: the new active one and the retired one.
    let listing = app.run(&["keys", "list"]);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.lines().nth(1).unwrap().starts_with(&old_kid),
        "{listing}"
    );
    assert!(
        listing.lines().nth(1).unwrap().contains("retired"),
        "{listing}"
    );
    let jwks = app.jwks().await;
    let signing = keys_of(&jwks, "sig");
    assert_eq!(signing.len(), 2, "{jwks}");
    assert_eq!(signing[0]["status"], "active");
    assert_eq!(signing[1]["status"], "retired");
    assert_eq!(signing[1]["kid"], old_kid.as_str());
    assert!(
        listing
            .lines()
            .next()
            .unwrap()
            .starts_with(signing[0]["kid"].as_str().unwrap())
    );
    // New certificates are signed with the new key; the old one still verifies.
    let second = app.issue(&app.certifiable("after").await).await.unwrap();
    assert_eq!(second.kid, signing[0]["kid"].as_str().unwrap());
    assert_eq!(verify_jws(&second.token, &jwks), second.kid);
    assert_eq!(verify_jws(&first.token, &jwks), old_kid);
    app.assert_verifies(&first.token).await;
    app.assert_verifies(&second.token).await;
}

#[tokio::test]
async fn a_token_that_goes_away_gives_unavailable_and_leaves_nothing_half_written() {
    let Some(app) = HsmApp::start().await else {
        return;
    };
    app.issue(&app.certifiable("first").await).await.unwrap();
    app.log()
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap();
    let ready = app.certifiable("second").await;
    let before = (
        app.rows("SELECT COUNT(*) FROM certificates").await,
        app.rows("SELECT COUNT(*) FROM events").await,
        app.rows("SELECT COUNT(*) FROM log_checkpoints").await,
    );

    app.hsm.remove_token();
    let refused = app.issue(&ready).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(
        refused.message().contains("signing key is unavailable")
            && refused.message().contains("nothing was written"),
        "{refused:?}"
    );
    // A checkpoint of the log as it stands now needs a signature too.
    let refused = app
        .log()
        .get_checkpoint(pb::GetCheckpointRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(
        (
            app.rows("SELECT COUNT(*) FROM certificates").await,
            app.rows("SELECT COUNT(*) FROM events").await,
            app.rows("SELECT COUNT(*) FROM log_checkpoints").await,
        ),
        before,
        "no certificate, event or checkpoint was stored without its signature"
    );
    // The server goes on serving what needs no signature, and logged why it refused.
    assert!(
        app.jwks().await["keys"]
            .as_array()
            .is_some_and(|k| k.len() == 2)
    );
    // (Read from its standard error by another thread: waited for, not assumed.)
    app.server
        .wait_for_log_count("could not sign", 1, std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn a_bad_signing_key_uri_stops_the_server_at_start_naming_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    for (uri, attribute) in [
        ("pkcs11:token=t;id=%01?module-path=/usr/lib/m.so", "`id`"),
        ("pkcs11:token=t", "`module-path`"),
        ("pkcs11:token=a b?module-path=/usr/lib/m.so", "`token`"),
        ("file:/keys.json", "`scheme`"),
    ] {
        let refused = ServerProcess::try_start_with(dir.path(), &["--signing-key", uri])
            .err()
            .unwrap_or_else(|| panic!("{uri} was accepted"));
        assert!(
            refused.contains("--signing-key") && refused.contains(attribute),
            "{uri}: {refused}"
        );
    }
    // A well-formed URI naming no token of the module is refused too, listing the tokens there.
    let Some(hsm) = SoftHsm::new() else {
        return;
    };
    let uri = format!(
        "pkcs11:token=elsewhere?module-path={}&pin-value=1234",
        hsm.module.display()
    );
    let output = Command::new(BINARY)
        .env("SOFTHSM2_CONF", hsm.conf())
        .args(["--data-dir"])
        .arg(dir.path())
        .args([
            "--signing-key",
            &uri,
            "admin",
            "create-org",
            "--init",
            "Acme",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no token matches") && stderr.contains("\"registry\""),
        "{stderr}"
    );
}
