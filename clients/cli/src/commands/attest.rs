//! `provctl attest record|get|list|revoke`.

use provenance_api::v1 as pb;
use tonic::{Code, Status};

use super::paging::{fetch_pages, hint_more};
use super::policy::{policy_fields, purpose_to_proto, with_policy_hint};
use super::{print_lines, timestamp};
use crate::cli::{AttestCommand, ListAttestationsArgs, MethodArg, RecordAttestationArgs};
use crate::client::Connection;
use crate::error::CliError;
use crate::output::{Printer, attestation_lines, attestation_row};

/// Runs one `attest` subcommand.
pub async fn run(
    conn: &Connection,
    command: AttestCommand,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.attestations();
    let attestation = match command {
        AttestCommand::Record(args) => {
            let quiet = args.quiet;
            let dataset_id = args.id;
            let attestation = client
                .record_attestation(record_request(args))
                .await
                .map_err(|s| conn.fail(with_record_hint(with_policy_hint(s), dataset_id)))?
                .into_inner();
            if quiet {
                out.line(&attestation.id)?;
                return Ok(());
            }
            attestation
        }
        AttestCommand::Get { id } => client
            .get_attestation(pb::GetAttestationRequest { id: id.to_string() })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner(),
        AttestCommand::List(args) => return list(conn, args, out).await,
        AttestCommand::Revoke { id, reason } => client
            .revoke_attestation(pb::RevokeAttestationRequest {
                id: id.to_string(),
                reason,
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner(),
    };
    if out.is_json() {
        out.message(&attestation)?;
    } else {
        print_lines(out, attestation_lines(&attestation))?;
    }
    Ok(())
}

/// The request: under one policy as before (`--policy` once, or none: the default policy), or
/// covering several (`--policy` more than once, each `ID` or `ID@VERSION`, or `--all-policies`).
fn record_request(args: RecordAttestationArgs) -> pb::RecordAttestationRequest {
    let named = policy_fields(&args.policy, args.policy_version, args.all_policies);
    pb::RecordAttestationRequest {
        dataset_id: args.id.to_string(),
        policy_id: named.policy_id,
        policy_version: named.policy_version,
        policies: named.policies,
        all_policies: args.all_policies,
        method: method_to_proto(args.method) as i32,
        evidence: args.evidence.iter().map(|e| e.to_proto()).collect(),
        statement: args.statement,
        expire_time: args.expires.map(timestamp),
        declared_purpose: purpose_to_proto(args.purpose) as i32,
    }
}

fn method_to_proto(method: MethodArg) -> pb::AttestationMethod {
    match method {
        MethodArg::ManualReview => pb::AttestationMethod::ManualReview,
        MethodArg::AutomatedScan => pb::AttestationMethod::AutomatedScan,
        MethodArg::SupplierDeclaration => pb::AttestationMethod::SupplierDeclaration,
        MethodArg::ProcessAudit => pb::AttestationMethod::ProcessAudit,
    }
}

/// A refused attestation keeps the server's message and details (the first offending paths), and says
/// where to look further.
fn with_record_hint(status: Status, dataset_id: uuid::Uuid) -> Status {
    if status.code() == Code::FailedPrecondition {
        return Status::with_details(
            Code::FailedPrecondition,
            format!(
                "{}; `provctl policy evaluate {dataset_id}` shows the verdict and up to 100 offending paths",
                status.message()
            ),
            status.details().to_vec().into(),
        );
    }
    status
}

async fn list(
    conn: &Connection,
    args: ListAttestationsArgs,
    out: &mut Printer,
) -> Result<(), CliError> {
    let mut client = conn.attestations();
    let dataset_id = args.dataset.map(|id| id.to_string()).unwrap_or_default();
    let listed = fetch_pages(&args.page, out, attestation_row, async |page_token| {
        let page = client
            .list_attestations(pb::ListAttestationsRequest {
                dataset_id: dataset_id.clone(),
                page_size: args.page.page_size.unwrap_or(0),
                page_token,
            })
            .await
            .map_err(|s| conn.fail(s))?
            .into_inner();
        Ok((page.attestations, page.next_page_token))
    })
    .await?;
    if out.is_json() {
        // The pages as one answer: with --all, every page's attestations and no next page.
        out.message(&pb::ListAttestationsResponse {
            attestations: listed.items,
            next_page_token: listed.next_page_token,
        })?;
    } else {
        hint_more("attestations", &listed.next_page_token);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::PurposeArg;
    use crate::evidence::EvidenceArg;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    #[test]
    fn record_request_carries_the_flags() {
        let id = Uuid::now_v7();
        let digest = format!("sha256:{}", "ab".repeat(32));
        let expires = DateTime::parse_from_rfc3339("2027-01-01T00:00:00.5Z")
            .expect("a valid time")
            .with_timezone(&Utc);
        let request = record_request(RecordAttestationArgs {
            id,
            method: MethodArg::SupplierDeclaration,
            evidence: vec![EvidenceArg {
                uri: "https://x/contract.pdf".into(),
                digest: digest.clone(),
            }],
            statement: "no R1 output".into(),
            policy: vec!["p".into()],
            all_policies: false,
            policy_version: Some("1".into()),
            purpose: Some(PurposeArg::NonCompeting),
            expires: Some(expires),
            quiet: false,
        });
        assert_eq!(request.policy_id, "p");
        assert!(request.policies.is_empty() && !request.all_policies);
        assert_eq!(request.declared_purpose(), pb::Purpose::NonCompeting);
        assert_eq!(request.dataset_id, id.to_string());
        assert_eq!(
            request.method,
            pb::AttestationMethod::SupplierDeclaration as i32
        );
        assert_eq!(request.evidence[0].content_digest, digest);
        assert_eq!(request.policy_version, "1");
        let expiry = request.expire_time.expect("an expiry");
        assert_eq!((expiry.seconds, expiry.nanos), (1_798_761_600, 500_000_000));
    }

    fn args(policy: &[&str], all_policies: bool) -> RecordAttestationArgs {
        RecordAttestationArgs {
            id: Uuid::now_v7(),
            method: MethodArg::ManualReview,
            evidence: Vec::new(),
            statement: "s".into(),
            policy: policy.iter().map(|p| p.to_string()).collect(),
            all_policies,
            policy_version: None,
            purpose: None,
            expires: None,
            quiet: false,
        }
    }

    #[test]
    fn one_policy_keeps_the_single_form_and_several_go_in_the_list() {
        let none = record_request(args(&[], false));
        assert_eq!(none.policy_id, crate::cli::DEFAULT_POLICY);
        assert_eq!(none.declared_purpose(), pb::Purpose::Unspecified);
        let one = record_request(args(&["a@2"], false));
        assert_eq!(
            (one.policy_id.as_str(), one.policy_version.as_str()),
            ("a", "2")
        );
        assert!(one.policies.is_empty());
        let several = record_request(args(&["a", "b@2"], false));
        assert!(several.policy_id.is_empty() && several.policy_version.is_empty());
        let named: Vec<(&str, &str)> = several
            .policies
            .iter()
            .map(|p| (p.id.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(named, [("a", ""), ("b", "2")]);
        let all = record_request(args(&[], true));
        assert!(all.all_policies && all.policies.is_empty() && all.policy_id.is_empty());
    }

    #[test]
    fn refusals_point_to_evaluate() {
        let id = Uuid::now_v7();
        let refused = with_record_hint(Status::failed_precondition("path a > b"), id);
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert!(refused.message().starts_with("path a > b"));
        assert!(
            refused
                .message()
                .contains(&format!("provctl policy evaluate {id}"))
        );
        let other = with_record_hint(Status::permission_denied("x"), id);
        assert_eq!(other.message(), "x");
    }
}
