//! `provctl cert issue|get|verify|revoke|keys|bundle` (and `render`, in its own module).
//!
//! Unlike the other command groups, each subcommand connects as it needs: `verify` and `keys` call
//! the registry's public methods (no token), `verify --offline` does not connect at all.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use certificate_document::extract::looks_like_token;
use chrono::Utc;
use provenance_api::certificate::{CertificateClaims, dsse};
use provenance_api::v1 as pb;
use serde_json::{Value, json};
use tonic::{Code, Status};
use transparency_log::{CosignatureVerifier, NoteVerifier};
use uuid::Uuid;

use super::policy::{policy_fields, purpose_to_proto, with_policy_hint};
use super::{pretty, print_lines, timestamp, write_file};
use crate::bundle::{self, Bundle, LogChecks, Standing};
use crate::cli::{CertCommand, CertificateFormat, IssueCertificateArgs, VerifyCertificateArgs};
use crate::client::Connection;
use crate::config::Settings;
use crate::error::{CliError, exit};
use crate::logproof;
use crate::offline::{self, Check, ONLINE_ONLY};
use crate::output::{
    Printer, certificate_json, certificate_lines, certificate_status_text, enum_json, format_time,
    message_json, revocation_lines,
};

/// The largest file `cert verify` and `cert bundle` read: a bundle lists its lineage, so it may be
/// large, but not without bound.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Runs one `cert` subcommand; the exit code tells `verify`'s (and `bundle`'s) outcome.
pub async fn run(
    global: &Settings,
    command: CertCommand,
    out: &mut Printer,
) -> Result<u8, CliError> {
    match command {
        CertCommand::Issue(args) => issue(&Connection::open(global).await?, args, out).await?,
        CertCommand::Get { id, as_of, format } => {
            let conn = Connection::open(global).await?;
            let certificate = conn
                .certificates()
                .get_certificate(pb::GetCertificateRequest {
                    id: id.to_string(),
                    as_of: as_of.map(timestamp),
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            match format {
                CertificateFormat::Summary => print_certificate(out, &certificate)?,
                CertificateFormat::Jws => print_lines(out, vec![certificate.token])?,
                CertificateFormat::Dsse if certificate.dsse_envelope.is_empty() => {
                    return Err(CliError::BadAnswer(
                        "the registry sent no DSSE envelope for this certificate (a registry older than envelopes)".into(),
                    ));
                }
                CertificateFormat::Dsse => print_lines(out, vec![certificate.dsse_envelope])?,
            }
        }
        CertCommand::Verify(args) => return verify(global, args, out).await,
        CertCommand::Revoke { id, reason } => {
            let conn = Connection::open(global).await?;
            let certificate = conn
                .certificates()
                .revoke_certificate(pb::RevokeCertificateRequest {
                    id: id.to_string(),
                    reason,
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            print_certificate(out, &certificate)?;
        }
        CertCommand::Keys { out: file } => keys(global, file.as_deref(), out).await?,
        CertCommand::Bundle {
            certificate,
            out: file,
        } => return make_bundle(global, &certificate, &file, out).await,
        CertCommand::Render(args) => return super::render::run(global, args, out).await,
    }
    Ok(exit::SUCCESS)
}

fn print_certificate(out: &mut Printer, certificate: &pb::Certificate) -> Result<(), CliError> {
    // The registry sent it over an authenticated channel; `cert verify` is for checking it.
    let claims = offline::unverified_claims(&certificate.token);
    if out.is_json() {
        out.json(&certificate_json(certificate, claims)?)?;
        Ok(())
    } else {
        print_lines(out, certificate_lines(certificate, claims.as_ref()))
    }
}

// ----- issue -------------------------------------------------------------------------------------

fn issue_request(args: &IssueCertificateArgs) -> pb::IssueCertificateRequest {
    let named = policy_fields(&args.policy, args.policy_version.clone(), args.all_policies);
    pb::IssueCertificateRequest {
        dataset_id: args.dataset.to_string(),
        policy_id: named.policy_id,
        policy_version: named.policy_version,
        policies: named.policies,
        all_policies: args.all_policies,
        declared_purpose: purpose_to_proto(args.purpose) as i32,
        audience_organization_id: args.audience.map(|a| a.to_string()).unwrap_or_default(),
        contract_reference: args.contract.clone().unwrap_or_default(),
        target_model: args.target_model.clone().unwrap_or_default(),
        validity: args
            .validity
            .map(|seconds| provenance_api::wkt::Duration { seconds, nanos: 0 }),
    }
}

async fn issue(
    conn: &Connection,
    args: IssueCertificateArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let certificate = conn
        .certificates()
        .issue_certificate(issue_request(&args))
        .await
        .map_err(|s| conn.fail(with_issue_hint(with_policy_hint(s), args.dataset)))?
        .into_inner();
    // Printed first: should the file not be writable, the token is still on the screen.
    print_certificate(out, &certificate)?;
    if let Some(path) = &args.out {
        write_file(path, &format!("{}\n", certificate.token))?;
        if !out.is_json() {
            eprintln!(
                "wrote the token to {}; verify it with `provctl cert verify {}`",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// A refused issuance keeps the server's reasons and says where to see them in full.
fn with_issue_hint(status: Status, dataset_id: Uuid) -> Status {
    if status.code() == Code::FailedPrecondition {
        return Status::with_details(
            Code::FailedPrecondition,
            format!(
                "{}; `provctl policy evaluate {dataset_id}` shows the verdict: a certificate needs CLEAN (attest the datasets it lists), or EXEMPT for --target-model",
                status.message()
            ),
            status.details().to_vec().into(),
        );
    }
    status
}

// ----- verify ------------------------------------------------------------------------------------

/// What `cert verify` and `cert bundle` were given.
#[derive(Debug)]
enum Input {
    /// A token.
    Token(String),
    /// A bundle.
    Bundle(Box<Bundle>),
}

impl Input {
    fn token(&self) -> &str {
        match self {
            Self::Token(token) => token,
            Self::Bundle(bundle) => &bundle.token,
        }
    }

    fn bundle(&self) -> Option<&Bundle> {
        match self {
            Self::Token(_) => None,
            Self::Bundle(bundle) => Some(bundle),
        }
    }
}

/// Reads a token, a file holding one, a bundle, a rendered certificate (HTML), or standard input
/// (`-`).
fn read_input(arg: &str) -> Result<Input, CliError> {
    if arg == "-" {
        let text = read_limited(io::stdin().lock(), "standard input")?;
        return parse_input(&text, "standard input");
    }
    let path = Path::new(arg);
    if path.exists() {
        let file =
            File::open(path).map_err(|e| CliError::Input(format!("cannot read {arg}: {e}")))?;
        let text = read_limited(file, arg)?;
        return parse_input(&text, arg);
    }
    if looks_like_token(arg.trim()) {
        return Ok(Input::Token(arg.trim().to_owned()));
    }
    Err(CliError::Input(format!(
        "{arg}: no such file, and not a certificate token either: check the path, or pass the file `provctl cert issue --out` or `provctl cert bundle --out` wrote, the token itself, or - to read standard input"
    )))
}

/// Up to [`MAX_INPUT_BYTES`] of text.
fn read_limited(reader: impl Read, name: &str) -> Result<String, CliError> {
    let mut text = String::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Input(format!("cannot read {name}: {e}")))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Input(format!(
            "{name} is larger than {MAX_INPUT_BYTES} bytes: not a token or a bundle"
        )));
    }
    Ok(text)
}

/// A bundle when the text is JSON, otherwise a token alone on its line.
fn parse_input(text: &str, name: &str) -> Result<Input, CliError> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            CliError::Input(format!(
                "{name} is not valid JSON ({e}): expected a certificate bundle or a token"
            ))
        })?;
        // The certificate as a DSSE envelope (`provctl cert get ID --format dsse`): verified as
        // it stands, by the same checks as a token.
        if value.get("payloadType").is_some() {
            return Ok(Input::Token(text.to_owned()));
        }
        if value.get("keys").is_some() && value.get("format").is_none() {
            return Err(CliError::Input(format!(
                "{name} is a JWKS, not a certificate: pass it with --jwks, and the certificate as the argument"
            )));
        }
        return Bundle::from_json(&value)
            .map(|b| Input::Bundle(Box::new(b)))
            .map_err(|e| CliError::Input(format!("{name}: {e}")));
    }
    if text.is_empty() {
        return Err(CliError::Input(format!(
            "{name} is empty: expected a certificate token or a bundle"
        )));
    }
    // A certificate rendered for people (`provctl cert render`) carries its token: the document
    // attached to a contract verifies as it stands.
    if text.starts_with('<') {
        return certificate_document::extract::token_from_upload(text.as_bytes())
            .map(Input::Token)
            .map_err(|e| CliError::Input(format!("{name}: {e}")));
    }
    if text.lines().count() != 1 {
        return Err(CliError::Input(format!(
            "{name} holds several lines: expected one certificate token (as `provctl cert issue --out` writes it) or a bundle"
        )));
    }
    Ok(Input::Token(text.to_owned()))
}

/// Reads a JWKS file.
fn read_jwks(path: &Path) -> Result<Value, CliError> {
    let name = path.display().to_string();
    let file =
        File::open(path).map_err(|e| CliError::Input(format!("cannot read --jwks {name}: {e}")))?;
    let text = read_limited(file, &name)?;
    let jwks: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "--jwks {name} is not JSON ({e}); write one with `provctl cert keys --out FILE`"
        ))
    })?;
    offline::check_jwks(&jwks).map_err(|e| {
        CliError::Input(format!(
            "--jwks {name}: {e}; write one with `provctl cert keys --out FILE`"
        ))
    })?;
    Ok(jwks)
}

/// Which keys an offline verification trusted.
#[derive(Debug, Clone)]
enum Keys {
    /// The registry checked, online.
    Registry(String),
    /// A JWKS file given with `--jwks`; `over_bundle` when the input was a bundle whose own keys
    /// were therefore not used.
    Pinned { path: PathBuf, over_bundle: bool },
    /// The keys packed in the bundle.
    Bundle,
}

/// The outcome of a verification, online or offline, ready to print.
struct Report {
    valid: bool,
    keys: Keys,
    /// Every check in the registry's order, then a bundle's: those made, and those that could not
    /// be (see [`offline::not_run`]), printed apart from the others the same way online and
    /// offline.
    checks: Vec<Check>,
    /// The registry's status (online only).
    status: Option<i32>,
    certificate_id: String,
    claims: Option<CertificateClaims>,
    claims_json: Option<String>,
    bundle: bool,
    /// The registry's revocation and status history (online, for the token it issued).
    standing: Option<OnlineStanding>,
}

/// When, why and by what the certificate was revoked, and its status history, as
/// `VerifyCertificate` tells anyone who holds the token.
struct OnlineStanding {
    revoke_time: Option<provenance_api::wkt::Timestamp>,
    revoke_reason: String,
    revoke_cause: String,
    revoke_cause_kind: i32,
    revoke_cause_id: String,
    status_history: Vec<pb::CertificateStatusChange>,
}

impl Report {
    fn offline(&self) -> bool {
        !matches!(self.keys, Keys::Registry(_))
    }
}

async fn verify(
    global: &Settings,
    args: VerifyCertificateArgs,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let input = read_input(&args.input)?;
    let report = if args.offline {
        verify_offline(&args, &input)?
    } else {
        let conn = Connection::open_public(global).await?;
        verify_online(
            &conn,
            &input,
            args.audience,
            args.as_of.map(timestamp),
            &BundleKeys::of(&args)?,
        )
        .await?
    };
    print_report(out, &report)
}

/// Largest status list file `cert verify --status-list` reads (a list of 2^27 positions, 1 %
/// revoked, compresses to about 2 MB).
const MAX_STATUS_LIST_FILE_BYTES: usize = 32 << 20;

fn verify_offline(args: &VerifyCertificateArgs, input: &Input) -> Result<Report, CliError> {
    let (jwks, keys) = match (&args.jwks, input.bundle()) {
        (Some(path), bundle) => (
            read_jwks(path)?,
            Keys::Pinned {
                path: path.clone(),
                over_bundle: bundle.is_some(),
            },
        ),
        (None, Some(bundle)) => (bundle.jwks.clone(), Keys::Bundle),
        (None, None) => {
            return Err(CliError::Input(
                "offline verification needs the registry's public keys: pass --jwks FILE (written by `provctl cert keys --out FILE`), or verify a bundle (`provctl cert bundle`)"
                    .into(),
            ));
        }
    };
    let at = args.as_of.unwrap_or_else(Utc::now);
    let verification = offline::verify(input.token(), &jwks, args.audience, at);
    let mut valid = verification.valid;
    let mut checks = with_online_only(verification.checks);
    let pinned_jwks = args.jwks.is_some().then_some(&jwks);
    let log_not_checked = check_bundle(
        input,
        verification.claims.as_ref(),
        &BundleKeys::of(args)?,
        pinned_jwks,
        &mut valid,
        &mut checks,
    )?;
    checks.extend(log_not_checked);
    let list = match (&args.status_list, input.bundle()) {
        (Some(path), _) => Some(
            std::fs::read(path)
                .ok()
                .filter(|bytes| bytes.len() <= MAX_STATUS_LIST_FILE_BYTES)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    CliError::Input(format!(
                        "cannot read --status-list {}: expected a statuslist+jwt of at most {MAX_STATUS_LIST_FILE_BYTES} bytes",
                        path.display()
                    ))
                })?,
        ),
        // The list the bundle carries, as fetched when it was bundled.
        (None, Some(bundle)) => bundle.status_list.clone(),
        (None, None) => None,
    };
    if let (Some(list), Some(claims)) = (list, verification.claims.as_ref()) {
        let check = provenance_api::status_list::status_list_check(
            claims,
            &list,
            &provenance_api::certificate::JsonWebKeySet::new(&jwks),
            at,
        );
        valid &= check.passed;
        checks.push(check);
    }
    Ok(Report {
        valid,
        keys,
        checks,
        status: None,
        standing: None,
        certificate_id: verification
            .claims
            .as_ref()
            .map(|c| c.jti.clone())
            .unwrap_or_default(),
        claims: verification.claims,
        claims_json: verification.claims_json,
        bundle: input.bundle().is_some(),
    })
}

async fn verify_online(
    conn: &Connection,
    input: &Input,
    audience: Option<Uuid>,
    as_of: Option<provenance_api::wkt::Timestamp>,
    keys: &BundleKeys<'_>,
) -> Result<Report, CliError> {
    let response = conn
        .certificates()
        .verify_certificate(pb::VerifyCertificateRequest {
            token: input.token().to_owned(),
            audience_organization_id: audience.map(|a| a.to_string()).unwrap_or_default(),
            as_of,
            include_public_lineage: false,
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let claims_json = Some(response.claims_json).filter(|c| !c.is_empty());
    // A token's claims, or the Statement of an envelope whose predicate holds them.
    let claims = claims_json.as_deref().and_then(|c| {
        serde_json::from_str::<CertificateClaims>(c)
            .ok()
            .or_else(|| {
                dsse::statement_claims(c.as_bytes())
                    .ok()
                    .map(|(claims, _)| claims)
            })
    });
    let mut checks: Vec<Check> = response
        .checks
        .into_iter()
        .map(|c| Check::new(c.name, c.passed, c.detail))
        .collect();
    if checks.is_empty() {
        return Err(CliError::BadAnswer(
            "the verification lists no checks".into(),
        ));
    }
    let mut valid = response.valid;
    // The registry tells a history (at least "valid from nbf") only for the token it issued.
    let standing = (!response.status_history.is_empty()).then_some(OnlineStanding {
        revoke_time: response.revoke_time,
        revoke_reason: response.revoke_reason,
        revoke_cause: response.revoke_cause,
        revoke_cause_kind: response.revoke_cause_kind,
        revoke_cause_id: response.revoke_cause_id,
        status_history: response.status_history,
    });
    let log_not_checked =
        check_bundle(input, claims.as_ref(), keys, None, &mut valid, &mut checks)?;
    checks.extend(log_not_checked);
    Ok(Report {
        valid,
        keys: Keys::Registry(conn.url().to_owned()),
        checks,
        status: Some(response.status),
        standing,
        certificate_id: response.certificate_id,
        claims,
        claims_json,
        bundle: input.bundle().is_some(),
    })
}

/// The offline checks followed, as the registry's online answer lists them, by the checks only the
/// registry can make, as not run.
fn with_online_only(mut checks: Vec<Check>) -> Vec<Check> {
    checks.extend(
        ONLINE_ONLY
            .iter()
            .map(|(name, detail)| Check::new(*name, false, *detail)),
    );
    checks
}

/// The keys a bundle's `log` member is checked with: `--log-key`, and the witnesses of
/// `--witness` with their threshold.
struct BundleKeys<'a> {
    log_key: Option<&'a str>,
    witnesses: Vec<CosignatureVerifier>,
    threshold: usize,
}

impl<'a> BundleKeys<'a> {
    /// No pinned log key and no witnesses.
    fn none() -> Self {
        Self {
            log_key: None,
            witnesses: Vec::new(),
            threshold: 0,
        }
    }

    fn of(args: &'a VerifyCertificateArgs) -> Result<Self, CliError> {
        let witnesses = args
            .witnesses
            .iter()
            .map(|arg| read_witness_key(arg))
            .collect::<Result<Vec<_>, _>>()?;
        let threshold = match args.witness_threshold {
            Some(n) if n as usize > witnesses.len() => {
                return Err(CliError::Input(format!(
                    "--witness-threshold {n} is more than the {} --witness key(s) given",
                    witnesses.len()
                )));
            }
            Some(n) => n as usize,
            None => witnesses.len(),
        };
        Ok(Self {
            log_key: args.log_key.as_deref(),
            witnesses,
            threshold,
        })
    }
}

/// A witness's cosigner key, given as text or in a file.
fn read_witness_key(arg: &str) -> Result<CosignatureVerifier, CliError> {
    let path = Path::new(arg);
    let text = if path.is_file() {
        let file = File::open(path)
            .map_err(|e| CliError::Input(format!("cannot read --witness {arg}: {e}")))?;
        read_limited(file, arg)?
    } else {
        arg.to_owned()
    };
    CosignatureVerifier::from_vkey(text.trim()).map_err(|e| {
        CliError::Input(format!(
            "--witness {arg}: not a witness key ({e}); pass the key `provctl witness key` prints (<name>+<key id>+<key>, type 0x04), or a file holding it"
        ))
    })
}

/// For a bundle: the `bundle` check of its summary, then the `log_*` checks of its transparency
/// log member (and `log_witnesses` when witnesses are given), all added to `checks` and `valid`.
/// Returns the log checks that could not be made.
fn check_bundle(
    input: &Input,
    claims: Option<&CertificateClaims>,
    keys: &BundleKeys<'_>,
    pinned_jwks: Option<&Value>,
    valid: &mut bool,
    checks: &mut Vec<Check>,
) -> Result<Vec<Check>, CliError> {
    let log_key = keys.log_key;
    let Some(bundle) = input.bundle() else {
        if log_key.is_some() {
            return Err(CliError::Input(
                "--log-key checks a bundle's transparency-log member: pass a bundle (`provctl cert bundle`)".into(),
            ));
        }
        if !keys.witnesses.is_empty() {
            return Err(CliError::Input(
                "--witness checks the cosignatures of a bundle's checkpoint: pass a bundle (`provctl cert bundle`)".into(),
            ));
        }
        return Ok(Vec::new());
    };
    let check = bundle.check(claims);
    *valid &= check.passed;
    checks.push(check);
    let envelope_keys = pinned_jwks.unwrap_or(&bundle.jwks);
    if let Some(check) = bundle.dsse_check(envelope_keys, claims, Utc::now()) {
        *valid &= check.passed;
        checks.push(check);
    }
    if bundle.log.is_null() {
        push_witness_check(bundle, keys, valid, checks);
        return Ok(vec![Check::new(
            "log",
            false,
            "not checked: the bundle carries no transparency-log evidence (bundled by someone who could not read the certificate, or by an older provctl)",
        )]);
    }
    let (verifier, source) = match (log_key, pinned_jwks) {
        (Some(key), _) => (super::log::read_key(key)?.0, "key pinned with --log-key"),
        (None, Some(jwks)) => {
            let origin = bundle.log_origin().unwrap_or_default();
            let pinned = logproof::jwks_log_keys(jwks)
                .into_iter()
                .find_map(|(key, _)| NoteVerifier::new(origin, key).ok());
            match pinned {
                Some(verifier) => (verifier, "log key of the pinned --jwks"),
                None => bundle_log_key(bundle)?,
            }
        }
        (None, None) => bundle_log_key(bundle)?,
    };
    let LogChecks {
        checks: log_checks,
        not_checked,
    } = bundle.log_checks(&verifier, source, claims);
    *valid &= log_checks.iter().all(|c| c.passed);
    checks.extend(log_checks);
    push_witness_check(bundle, keys, valid, checks);
    Ok(not_checked)
}

/// The `log_witnesses` check, when `--witness` keys are given.
fn push_witness_check(
    bundle: &Bundle,
    keys: &BundleKeys<'_>,
    valid: &mut bool,
    checks: &mut Vec<Check>,
) {
    if !keys.witnesses.is_empty() {
        let check = bundle.witness_check(&keys.witnesses, keys.threshold);
        *valid &= check.passed;
        checks.push(check);
    }
}

/// The log key packed in the bundle, for want of a pinned one.
fn bundle_log_key(bundle: &Bundle) -> Result<(NoteVerifier, &'static str), CliError> {
    match bundle.log_verifier() {
        Some(Ok(verifier)) => Ok((
            verifier,
            "the bundle's own log key: pin the registry's with --log-key to trust it",
        )),
        Some(Err(why)) => Err(CliError::Input(format!(
            "{why}; pass the registry's log key with --log-key"
        ))),
        None => Err(CliError::Input(
            "the bundle's log member names no verifier_key: pass the registry's log key with --log-key (`provctl log key`)".into(),
        )),
    }
}

/// Prints the report; the exit code says whether the certificate is valid.
fn print_report(out: &mut Printer, report: &Report) -> Result<u8, CliError> {
    let printed = if out.is_json() {
        report_json(report).and_then(|value| Ok(out.json(&value)?))
    } else {
        print_lines(out, report_lines(report))
    };
    match printed {
        // A reader that stopped after the first line has what it wanted; the code still counts.
        Err(e) if e.is_broken_pipe() => {}
        other => other?,
    }
    Ok(if report.valid {
        exit::SUCCESS
    } else {
        exit::INVALID_CERTIFICATE
    })
}

/// The report as JSON: provctl's own object, in lowerCamelCase; the registry's answers in it
/// (status, revocation, history) as the canonical mapping writes them, null where there is none.
fn report_json(report: &Report) -> Result<Value, CliError> {
    let standing = report.standing.as_ref();
    let keys = match &report.keys {
        Keys::Registry(url) => json!({"source": "registry", "url": url}),
        Keys::Pinned { path, over_bundle } => json!({
            "source": "jwks_file",
            "path": path.display().to_string(),
            "bundleKeysIgnored": over_bundle,
        }),
        Keys::Bundle => json!({"source": "bundle"}),
    };
    let (not_run, run): (Vec<&Check>, Vec<&Check>) =
        report.checks.iter().partition(|c| offline::not_run(c));
    let text = |text: Option<&str>| text.filter(|t| !t.is_empty()).map(str::to_owned);
    let revoke_time = match standing.and_then(|s| s.revoke_time.as_ref()) {
        Some(time) => message_json(time)?,
        None => Value::Null,
    };
    let revoke_cause_kind = match standing.map(|s| s.revoke_cause_kind) {
        Some(kind) if kind != pb::RevocationCause::Unspecified as i32 => {
            enum_json::<pb::RevocationCause>(kind)
        }
        _ => Value::Null,
    };
    let status_history = standing
        .map_or(&[][..], |s| &s.status_history)
        .iter()
        .map(message_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "valid": report.valid,
        "mode": if report.offline() { "offline" } else { "online" },
        "revocationChecked": !report.offline(),
        "keys": keys,
        "input": if report.bundle { "bundle" } else { "token" },
        "certificateId": report.certificate_id,
        "status": report.status.map_or(Value::Null, status_json),
        "revokeTime": revoke_time,
        "revokeReason": text(standing.map(|s| s.revoke_reason.as_str())),
        "revokeCause": text(standing.map(|s| s.revoke_cause.as_str())),
        "revokeCauseKind": revoke_cause_kind,
        "revokeCauseId": text(standing.map(|s| s.revoke_cause_id.as_str())),
        "statusHistory": status_history,
        "checks": run.iter().map(|c| json!({
            "name": c.name,
            "passed": c.passed,
            "detail": c.detail,
        })).collect::<Vec<_>>(),
        "notChecked": not_run.iter().map(|c| json!({
            "name": c.name,
            "detail": c.detail,
        })).collect::<Vec<_>>(),
        "claims": report
            .claims_json
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
            .unwrap_or(Value::Null),
    }))
}

/// A certificate status by its proto name (`CERTIFICATE_STATUS_VALID`), or null when the registry
/// does not know the certificate (`UNSPECIFIED`).
fn status_json(status: i32) -> Value {
    if status == pb::CertificateStatus::Unspecified as i32 {
        Value::Null
    } else {
        enum_json::<pb::CertificateStatus>(status)
    }
}

fn report_lines(report: &Report) -> Vec<String> {
    let mut lines = vec![match (report.valid, report.offline()) {
        (true, false) => "VALID".to_owned(),
        (true, true) => "VALID (offline: revocation not checked)".to_owned(),
        (false, _) => "NOT VALID".to_owned(),
    }];
    lines.push(match &report.keys {
        Keys::Registry(url) => format!("checked:      online, by the registry at {url}"),
        Keys::Pinned { path, over_bundle } => format!(
            "checked:      offline, with the pinned keys of {}{}",
            path.display(),
            if *over_bundle {
                " (the bundle's own keys were not used)"
            } else {
                ""
            }
        ),
        Keys::Bundle => "checked:      offline, with the bundle's own keys: they show the token matches the keys packed with it; to trust the issuer, pass the registry's keys you pinned with --jwks".to_owned(),
    });
    if !report.certificate_id.is_empty() {
        lines.push(format!("certificate:  {}", report.certificate_id));
    }
    if let Some(status) = report.status {
        lines.push(format!("status:       {}", certificate_status_text(status)));
    }
    if let Some(standing) = &report.standing {
        lines.extend(revocation_lines(
            standing.revoke_time.as_ref(),
            &standing.revoke_reason,
            &standing.revoke_cause,
            &standing.status_history,
        ));
    }
    if let Some(c) = &report.claims {
        lines.push(format!(
            "dataset:      {}  {}@{}",
            c.dataset.id, c.dataset.name, c.dataset.version
        ));
        lines.push(format!(
            "policy:       {} version {}",
            c.policy.id, c.policy.version
        ));
        lines.push(format!(
            "verdict:      {}{}",
            c.verdict,
            c.target_model
                .as_deref()
                .map(|m| format!(" for {m}"))
                .unwrap_or_default()
        ));
        lines.extend(policy_matrix_lines(c));
        lines.push(format!(
            "audience:     {}",
            c.aud
                .as_deref()
                .unwrap_or("none (any holder may rely on it)")
        ));
        if let Some(contract) = &c.contract_reference {
            lines.push(format!("contract:     {contract}"));
        }
        lines.push(format!(
            "valid:        from {} until {}",
            epoch_text(c.nbf),
            epoch_text(c.exp)
        ));
        lines.push(format!("issuer:       {}", c.iss));
    }
    lines.push("checks:".into());
    for check in &report.checks {
        let outcome = match (offline::not_run(check), check.passed) {
            (true, _) => "--",
            (false, true) => "pass",
            (false, false) => "FAIL",
        };
        lines.push(format!(
            "  {outcome:<4}  {:<10}  {}",
            check.name, check.detail
        ));
    }
    if report.offline() {
        lines.push(
            "revocation:   unknown: offline verification cannot tell whether the certificate was revoked; that needs the online check (`provctl cert verify` without --offline)"
                .into(),
        );
    }
    lines
}

/// For a certificate that covers several policies, the matrix as `cert show` prints it from the
/// registry's answer: one row per policy version, `policy` first, with its kind, verdict and
/// obligations; then the declared purpose. Nothing for one policy, which the `policy` and
/// `verdict` lines say.
fn policy_matrix_lines(c: &CertificateClaims) -> Vec<String> {
    let covered = c.covered_policies();
    let mut lines = Vec::new();
    if covered.len() > 1 {
        lines.push(format!("policies:     {} covered", covered.len()));
        lines.extend(covered.iter().map(|p| {
            let mut row = format!(
                "  {}@{}  {}  {}",
                p.id,
                p.version,
                p.kind.to_lowercase(),
                p.verdict
            );
            for owed in &p.obligations {
                row.push_str(&format!("  {} {}", owed.kind, owed.status));
            }
            row
        }));
    }
    if let Some(purpose) = &c.purpose {
        lines.push(format!("purpose:      {purpose}"));
    }
    lines
}

/// Seconds since the epoch as the other times are printed.
fn epoch_text(seconds: i64) -> String {
    format_time(&provenance_api::wkt::Timestamp { seconds, nanos: 0 })
}

// ----- keys --------------------------------------------------------------------------------------

/// The registry's JWKS, checked.
async fn signing_keys(conn: &Connection) -> Result<(Value, Vec<pb::SigningKey>), CliError> {
    let response = conn
        .certificates()
        .list_signing_keys(pb::ListSigningKeysRequest {})
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let jwks: Value = serde_json::from_str(&response.jwks_json)
        .map_err(|e| CliError::BadAnswer(format!("the JWKS is not JSON: {e}")))?;
    offline::check_jwks(&jwks).map_err(|e| CliError::BadAnswer(format!("the JWKS: {e}")))?;
    Ok((jwks, response.keys))
}

async fn keys(global: &Settings, file: Option<&Path>, out: &mut Printer) -> Result<(), CliError> {
    let conn = Connection::open_public(global).await?;
    let (jwks, keys) = signing_keys(&conn).await?;
    if let Some(path) = file {
        write_file(path, &pretty(&jwks))?;
    }
    match (out.is_json(), file) {
        // The JWKS itself: `provctl cert keys > jwks.json` pins the keys too.
        (true, _) | (false, None) => out.json(&jwks)?,
        (false, Some(path)) => {
            for key in &keys {
                out.line(key_row(key))?;
            }
            eprintln!(
                "wrote {} key(s) to {}; verify offline with `provctl cert verify TOKEN_FILE --offline --jwks {}`",
                keys.len(),
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// One key on one line: id, status, when it signed.
fn key_row(key: &pb::SigningKey) -> String {
    let status = match pb::SigningKeyStatus::try_from(key.status) {
        Ok(pb::SigningKeyStatus::Active) => "active",
        Ok(pb::SigningKeyStatus::Retired) => "retired",
        _ => "unknown",
    };
    let from = key
        .valid_from
        .as_ref()
        .map_or_else(|| "-".into(), format_time);
    match &key.valid_until {
        Some(until) => format!("{}  {status}  {from} to {}", key.kid, format_time(until)),
        None => format!("{}  {status}  since {from}", key.kid),
    }
}

// ----- bundle ------------------------------------------------------------------------------------

async fn make_bundle(
    global: &Settings,
    certificate: &str,
    path: &Path,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let conn = Connection::open(global).await?;
    let mut client = conn.certificates();
    // An id, unless a file of that name exists.
    let by_id = Uuid::try_parse(certificate.trim())
        .ok()
        .filter(|_| !Path::new(certificate).exists());
    let (input, mut record) = match by_id {
        Some(id) => {
            let record = client
                .get_certificate(pb::GetCertificateRequest {
                    id: id.to_string(),
                    as_of: None,
                })
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            (Input::Token(record.token.clone()), Some(record))
        }
        None => (read_input(certificate)?, None),
    };
    let report = verify_online(&conn, &input, None, None, &BundleKeys::none()).await?;
    let claims = match (&report.claims, report.valid) {
        (Some(claims), true) => claims.clone(),
        _ => {
            print_report(out, &report)?;
            eprintln!(
                "provctl: not bundled: the certificate does not verify now (see the checks above); only a valid certificate is bundled"
            );
            return Ok(exit::INVALID_CERTIFICATE);
        }
    };
    if record.is_none() {
        // Its owner's and its audience's members may read it; anyone else bundles without the
        // history.
        record = match client
            .get_certificate(pb::GetCertificateRequest {
                id: claims.jti.clone(),
                as_of: None,
            })
            .await
        {
            Ok(found) => Some(found.into_inner()),
            Err(s) if matches!(s.code(), Code::NotFound | Code::PermissionDenied) => None,
            Err(s) => return Err(conn.fail(s)),
        };
    }
    // The bundle carries the token, and the envelope beside it when the bundler may read it; an
    // envelope alone is bundled only when its token can be read.
    let token = match (&record, dsse::looks_like_envelope(input.token())) {
        (Some(record), true) => record.token.as_str(),
        (None, true) => {
            return Err(CliError::Input(
                "a DSSE envelope is bundled with its token, which only its owner's and its audience's members may read: bundle the token instead".into(),
            ));
        }
        (_, false) => input.token(),
    };
    let (jwks, keys) = signing_keys(&conn).await?;
    // Whoever opens the bundle years from now has only these keys: check now that they suffice.
    let checked_at = Utc::now();
    let offline_check = offline::verify(token, &jwks, None, checked_at);
    if !offline_check.valid {
        let failed: Vec<String> = offline_check
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(CliError::BadAnswer(format!(
            "the registry's published keys do not verify the certificate offline ({}); not bundled",
            failed.join("; ")
        )));
    }
    let lineage = lineage_summary(&conn, &claims.dataset.id).await?;
    let listed = lineage.len();
    let log = log_evidence(&conn, record.as_ref()).await?;
    let logged = !log.is_null();
    let history = record
        .as_ref()
        .map_or(Value::Null, |r| bundle_history(&r.status_history));
    let status = report.status.unwrap_or_default();
    let mut value = bundle::build(
        token,
        jwks,
        &claims,
        Standing {
            status: status_json(status),
            checked_at,
            history,
            kid: offline_check.kid,
        },
        lineage,
        log,
    );
    if let Some(envelope) = record
        .as_ref()
        .filter(|r| r.token == token && !r.dsse_envelope.is_empty())
        .and_then(|r| serde_json::from_str::<Value>(&r.dsse_envelope).ok())
    {
        value["dsse_envelope"] = envelope;
    }
    let status_list = bundled_status_list(global, &claims).await;
    if let Some(list) = &status_list {
        value["status_list"] = json!(list);
    }
    write_file(path, &pretty(&value))?;

    let verify_hint = format!("provctl cert verify {} --offline", path.display());
    if out.is_json() {
        out.json(&json!({
            "bundle": path.display().to_string(),
            "certificateId": claims.jti,
            "status": status_json(status),
            "statusCheckedAt": value["certificate"]["status_checked_at"],
            "keys": keys.len(),
            "lineageListed": listed,
            "closureSize": claims.lineage.size,
            "log": logged,
        }))?;
    } else {
        print_lines(
            out,
            vec![
                format!("wrote:        {}", path.display()),
                format!(
                    "certificate:  {}  {} at {}",
                    claims.jti,
                    certificate_status_text(status),
                    format_time(&timestamp(checked_at))
                ),
                format!("keys:         {} signing key(s)", keys.len()),
                format!(
                    "lineage:      {listed} of {} dataset(s) listed{}",
                    claims.lineage.size,
                    if listed < claims.lineage.size {
                        " (the others are hidden from you; the signed lineage digest covers them all)"
                    } else {
                        ""
                    }
                ),
                if logged {
                    "log:          the signed checkpoint and the inclusion proof of the issuance"
                        .to_owned()
                } else {
                    "log:          none (only the certificate's owner or audience may read its log index)".to_owned()
                },
                format!("verify with:  {verify_hint}"),
            ],
        )?;
    }
    Ok(exit::SUCCESS)
}

/// The bundle's `log` member: the newest signed checkpoint, the inclusion proof of the
/// certificate's issuance leaf against it, the log key, and the issuance event when the caller may
/// read it. Null when the certificate's record (and so its log index) is not readable, or the
/// registry keeps no log.
async fn log_evidence(
    conn: &Connection,
    record: Option<&pb::Certificate>,
) -> Result<Value, CliError> {
    let Some(record) = record else {
        return Ok(Value::Null);
    };
    let proved = match super::log::fetch_inclusion(conn, record.log_index, None).await {
        Ok(proved) => proved,
        Err(CliError::Rpc { status, .. }) if status.code() == Code::Unimplemented => {
            return Ok(Value::Null);
        }
        Err(e) => return Err(e),
    };
    let note = proved.proof.checkpoint.clone().ok_or_else(|| {
        CliError::BadAnswer("the inclusion proof came without its checkpoint".into())
    })?;
    let (verifier, _) = super::log::log_key(conn).await?;
    logproof::open_trusted(&note, &verifier).map_err(|why| {
        CliError::BadAnswer(format!("the registry's checkpoint {why}; not bundled"))
    })?;
    let answer = conn
        .events()
        .list_events(pb::ListEventsRequest {
            after_sequence: record.log_index,
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .map_err(|s| conn.fail(s))?
        .into_inner();
    let event = answer
        .events
        .first()
        .filter(|e| e.sequence == record.log_index + 1)
        .map(bundle_event);
    Ok(bundle::log_member(
        &verifier.vkey(),
        &note,
        &proved.proof,
        event,
    ))
}

// A bundle is a file format of its own (`provenance-certificate-bundle/v1`, README "The bundle
// format"), which `cert verify` and `cert render` read back: its members keep the names and forms
// the format defines, not the API's JSON mapping.

/// The status history as a bundle carries it: `status` by its proto name, `time` in RFC 3339 with
/// microseconds, `reason`.
/// The certificate's token status list as the registry serves it now (the path of its `status`
/// claim's URI, from the registry's own HTTP port), for offline verification to read its bit;
/// `None`, said on stderr, when the certificate has no status claim or the list cannot be fetched.
async fn bundled_status_list(global: &Settings, claims: &CertificateClaims) -> Option<String> {
    let uri = &claims.status.as_ref()?.status_list.uri;
    let path = uri
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| path)?;
    let fetched = match crate::tiles::Mirror::parse(&global.url) {
        Ok(registry) => registry.get(path, MAX_STATUS_LIST_FILE_BYTES).await,
        Err(e) => Err(e),
    };
    match fetched.map(String::from_utf8) {
        Ok(Ok(list)) => Some(list),
        Ok(Err(_)) => {
            eprintln!("provctl: the status list at /{path} is not text; bundled without it");
            None
        }
        Err(e) => {
            eprintln!("provctl: cannot fetch the status list /{path} ({e}); bundled without it");
            None
        }
    }
}

fn bundle_history(history: &[pb::CertificateStatusChange]) -> Value {
    history
        .iter()
        .map(|h| {
            json!({
                "status": enum_json::<pb::CertificateStatus>(h.status),
                "time": h.time.as_ref().map(format_time),
                "reason": h.reason,
            })
        })
        .collect()
}

/// The issuance event as a bundle carries it: the fields its chain hash is computed from, by their
/// proto names, the sequence a JSON number and the payload the text it was hashed as.
fn bundle_event(e: &pb::Event) -> Value {
    json!({
        "sequence": e.sequence,
        "type": e.r#type,
        "subject": e.subject,
        "organization_id": e.organization_id,
        "public": e.public,
        "payload_json": e.payload_json,
        "time": e.time.as_ref().map(format_time),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    })
}

/// The upstream closure as far as the caller may see it: id, name, version, digest, depth. A
/// dataset the caller may not see at all gives an empty list.
async fn lineage_summary(conn: &Connection, dataset_id: &str) -> Result<Vec<Value>, CliError> {
    let stream = conn
        .lineage()
        .stream_lineage(pb::GetLineageRequest {
            dataset_id: dataset_id.to_owned(),
            direction: pb::LineageDirection::Upstream as i32,
            ..Default::default()
        })
        .await;
    let mut stream = match stream {
        Ok(stream) => stream.into_inner(),
        Err(s) if s.code() == Code::NotFound => return Ok(Vec::new()),
        Err(s) => return Err(conn.fail(s)),
    };
    let mut members = Vec::new();
    while let Some(node) = stream.message().await.map_err(|s| conn.fail(s))? {
        if let Some(d) = &node.dataset {
            members.push(json!({
                "id": d.id,
                "name": d.name,
                "version": d.version,
                "content_digest": d.content_digest,
                "depth": node.depth,
            }));
        }
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_request_carries_the_flags() {
        let dataset = Uuid::now_v7();
        let audience = Uuid::now_v7();
        let args = IssueCertificateArgs {
            dataset,
            policy: vec!["p".into()],
            all_policies: false,
            policy_version: None,
            purpose: None,
            audience: Some(audience),
            contract: Some("MSA-2027-001".into()),
            target_model: None,
            validity: Some(3_600),
            out: None,
        };
        let default = issue_request(&IssueCertificateArgs {
            dataset,
            policy: vec![],
            all_policies: false,
            policy_version: None,
            purpose: None,
            audience: None,
            contract: None,
            target_model: None,
            validity: None,
            out: None,
        });
        assert_eq!(default.policy_id, crate::cli::DEFAULT_POLICY);
        let request = issue_request(&args);
        assert_eq!(request.policy_id, "p");
        assert!(request.policies.is_empty() && !request.all_policies);
        assert_eq!(request.declared_purpose(), pb::Purpose::Unspecified);
        let several = issue_request(&IssueCertificateArgs {
            policy: vec!["p".into(), "q@2".into()],
            purpose: Some(crate::cli::PurposeArg::NonCompeting),
            ..args
        });
        assert!(several.policy_id.is_empty());
        let listed: Vec<(&str, &str)> = several
            .policies
            .iter()
            .map(|r| (r.id.as_str(), r.version.as_str()))
            .collect();
        assert_eq!(listed, [("p", ""), ("q", "2")]);
        assert_eq!(several.declared_purpose(), pb::Purpose::NonCompeting);
        assert_eq!(request.dataset_id, dataset.to_string());
        assert_eq!(request.audience_organization_id, audience.to_string());
        assert_eq!(request.contract_reference, "MSA-2027-001");
        assert_eq!(request.target_model, "");
        assert_eq!(
            request.validity.map(|d| (d.seconds, d.nanos)),
            Some((3_600, 0))
        );
    }

    #[test]
    fn refused_issuance_points_to_evaluate() {
        let id = Uuid::now_v7();
        let hinted = with_issue_hint(Status::failed_precondition("contaminated"), id);
        assert!(hinted.message().starts_with("contaminated; "));
        assert!(
            hinted
                .message()
                .contains(&format!("provctl policy evaluate {id}"))
        );
        assert_eq!(with_issue_hint(Status::not_found("x"), id).message(), "x");
    }

    #[test]
    fn inputs_are_told_apart() {
        assert!(looks_like_token("eyJh.eyJi.c2ln"));
        assert!(!looks_like_token("cert.jws"));
        assert!(!looks_like_token("/tmp/a.b.c"));
        // A missing file whose name has three dot-separated parts is reported as missing, not
        // sent to the registry as a token.
        assert!(!looks_like_token("cert.v1.jws"));
        let missing = read_input("cert.v1.jws").expect_err("no such file, not a token");
        assert!(
            missing.to_string().starts_with("cert.v1.jws: no such file"),
            "{missing}"
        );
        assert!(matches!(
            parse_input("eyJh.eyJi.c2ln\n", "f"),
            Ok(Input::Token(t)) if t == "eyJh.eyJi.c2ln"
        ));
        let jwks = parse_input(r#"{"keys": []}"#, "f").expect_err("a JWKS is no certificate");
        assert!(jwks.to_string().contains("--jwks"));
        assert!(parse_input("", "f").is_err());
        assert!(parse_input("a.b.c\nd.e.f", "f").is_err());
        assert!(parse_input("{not json", "f").is_err());
        let missing = read_input("/nonexistent/cert.jws").expect_err("no such file");
        assert_eq!(missing.exit_code(), exit::USAGE);
        assert!(
            missing
                .to_string()
                .contains("no such file, and not a certificate token")
        );
    }

    #[test]
    fn offline_reports_say_what_they_cannot_know() {
        let report = Report {
            valid: true,
            keys: Keys::Bundle,
            checks: with_online_only(vec![Check::new(
                "signature",
                true,
                "the signature verifies",
            )]),
            status: None,
            certificate_id: "c1".into(),
            claims: None,
            claims_json: None,
            bundle: true,
            standing: None,
        };
        let lines = report_lines(&report);
        assert_eq!(lines[0], "VALID (offline: revocation not checked)");
        assert!(lines.iter().any(|l| l.starts_with("revocation:   unknown")));
        assert!(lines.iter().any(|l| l.contains("--    status")));
        let value = report_json(&report).expect("JSON");
        assert_eq!(value["mode"], "offline");
        assert_eq!(value["revocationChecked"], false);
        assert_eq!(value["notChecked"][0]["name"], "status");
        assert_eq!(value["keys"]["source"], "bundle");
        assert_eq!(value["status"], Value::Null);
        assert_eq!(value["statusHistory"], json!([]));
    }

    /// A certificate covering several policies prints the matrix below its verdict; one covering
    /// one policy does not.
    #[test]
    fn several_policies_are_printed_as_a_matrix() {
        let claims: CertificateClaims = serde_json::from_value(json!({
            "iss": "provenance-registry", "sub": "datasets/d1", "iat": 0, "nbf": 0, "exp": 10,
            "jti": "c1",
            "dataset": {"id": "d1", "organization_id": "o1", "name": "sft", "version": "1",
                        "content_digest": "sha256:00"},
            "lineage": {"digest": "sha256:00", "size": 1, "members": ["d1"], "members_complete": true},
            "policy": {"id": "deepseek", "version": "1", "clause_sha256": "ef"},
            "policies": [
                {"id": "deepseek", "version": "1", "clause_sha256": "ef", "kind": "PROHIBITION",
                 "verdict": "CLEAN"},
                {"id": "llama-2", "version": "2023-07-18", "clause_sha256": "12",
                 "kind": "PROHIBITION", "verdict": "EXEMPT"},
                {"id": "llama-3.1", "version": "2024-07-23", "clause_sha256": "34",
                 "kind": "NAMING_OBLIGATION", "verdict": "CLEAN",
                 "obligations": [{"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"},
                                 {"kind": "INHERITED_TERMS", "status": "APPLIES"}]},
                {"id": "openai", "version": "2024", "clause_sha256": "56",
                 "kind": "COMPETING_USE_PROHIBITION", "verdict": "CLEAN",
                 "obligations": [{"kind": "NO_COMPETING_USE", "status": "MET"}]},
            ],
            "verdict": "CLEAN",
            "target_model": "Llama-3.1-Acme-8B",
            "purpose": "NON_COMPETING",
            "attestations": [],
        }))
        .expect("claims");
        let mut report = Report {
            valid: true,
            keys: Keys::Bundle,
            checks: Vec::new(),
            status: None,
            certificate_id: "c1".into(),
            claims: Some(claims),
            claims_json: None,
            bundle: false,
            standing: None,
        };
        let lines = report_lines(&report);
        let at = lines
            .iter()
            .position(|l| l == "policies:     4 covered")
            .expect("a matrix");
        assert_eq!(
            lines[at + 1..at + 6],
            [
                "  deepseek@1  prohibition  CLEAN",
                "  llama-2@2023-07-18  prohibition  EXEMPT",
                "  llama-3.1@2024-07-23  naming_obligation  CLEAN  NAME_PREFIX MET  INHERITED_TERMS APPLIES",
                "  openai@2024  competing_use_prohibition  CLEAN  NO_COMPETING_USE MET",
                "purpose:      NON_COMPETING",
            ]
        );
        if let Some(claims) = report.claims.as_mut() {
            claims.policies = None;
            claims.purpose = None;
        }
        assert!(
            !report_lines(&report)
                .iter()
                .any(|l| l.starts_with("policies:") || l.starts_with("purpose:"))
        );
    }

    /// A check that could not be made is printed as `--` and listed under `notChecked`, never as
    /// a failure, online (where the registry lists it) as offline (where provctl does).
    #[test]
    fn checks_not_run_are_printed_alike_online_and_offline() {
        use provenance_api::certificate::checks::NOT_CHECKED;
        let made = || {
            vec![
                Check::new("signature", false, "the signature does not verify"),
                Check::not_checked("key_window"),
            ]
        };
        let mut online_checks = made();
        online_checks.extend(["status", "lineage"].map(|n| Check::new(n, false, NOT_CHECKED)));
        let report = |keys, checks| Report {
            valid: false,
            keys,
            checks,
            status: None,
            certificate_id: String::new(),
            claims: None,
            claims_json: None,
            bundle: false,
            standing: None,
        };
        let online = report(Keys::Registry("http://r".into()), online_checks);
        let offline = report(Keys::Bundle, with_online_only(made()));
        for report in [&online, &offline] {
            let lines = report_lines(report);
            let rows: Vec<&String> = lines.iter().filter(|l| l.starts_with("  ")).collect();
            assert!(rows[0].starts_with("  FAIL  signature"), "{rows:#?}");
            for (row, name) in rows[1..].iter().zip(["key_window", "status", "lineage"]) {
                assert!(row.starts_with(&format!("  --    {name}")), "{rows:#?}");
            }
            let value = report_json(report).expect("JSON");
            assert_eq!(value["checks"].as_array().map(Vec::len), Some(1));
            let not_checked: Vec<&str> = value["notChecked"]
                .as_array()
                .expect("a list")
                .iter()
                .filter_map(|c| c["name"].as_str())
                .collect();
            assert_eq!(not_checked, ["key_window", "status", "lineage"]);
        }
    }

    /// Online, the registry's revocation time, reason, cause and status history are shown, in
    /// text and in JSON.
    #[test]
    fn online_reports_show_the_revocation_and_the_status_history() {
        let at = |seconds| Some(provenance_api::wkt::Timestamp { seconds, nanos: 0 });
        let report = Report {
            valid: false,
            keys: Keys::Registry("http://registry:50051".into()),
            checks: vec![Check::new("status", false, "revoked")],
            status: Some(pb::CertificateStatus::Revoked as i32),
            certificate_id: "c1".into(),
            claims: None,
            claims_json: None,
            bundle: false,
            standing: Some(OnlineStanding {
                revoke_time: at(100),
                revoke_reason: "attestation a1 was revoked: scan was wrong".into(),
                revoke_cause: "attestations/a1".into(),
                revoke_cause_kind: pb::RevocationCause::AttestationRevoked as i32,
                revoke_cause_id: "a1".into(),
                status_history: vec![
                    pb::CertificateStatusChange {
                        status: pb::CertificateStatus::Valid as i32,
                        time: at(0),
                        reason: String::new(),
                    },
                    pb::CertificateStatusChange {
                        status: pb::CertificateStatus::Revoked as i32,
                        time: at(100),
                        reason: "attestation a1 was revoked: scan was wrong".into(),
                    },
                ],
            }),
        };
        let lines = report_lines(&report);
        assert!(
            lines.contains(
                &"revoked:      1970-01-01T00:01:40.000000Z: attestation a1 was revoked: scan was wrong (attestations/a1)"
                    .to_owned()
            ),
            "{lines:#?}"
        );
        let history = lines
            .iter()
            .position(|l| l == "history:")
            .expect("a history");
        assert!(lines[history + 2].contains("REVOKED"), "{lines:#?}");
        let value = report_json(&report).expect("JSON");
        assert_eq!(value["revokeTime"], "1970-01-01T00:01:40Z");
        assert_eq!(value["revokeCause"], "attestations/a1");
        assert_eq!(
            value["revokeCauseKind"],
            "REVOCATION_CAUSE_ATTESTATION_REVOKED"
        );
        assert_eq!(value["revokeCauseId"], "a1");
        assert_eq!(
            value["statusHistory"][1]["status"],
            "CERTIFICATE_STATUS_REVOKED"
        );
        assert_eq!(value["statusHistory"][1]["time"], value["revokeTime"]);
        // A status the registry knows but this provctl does not is shown by its number.
        assert_eq!(status_json(9), 9);
        assert_eq!(status_json(0), Value::Null);
    }
}
