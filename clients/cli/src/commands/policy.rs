//! `provctl policy list|get|evaluate`.

use provenance_api::v1 as pb;
use tonic::{Code, Status};

use super::print_lines;
use crate::cli::{DEFAULT_POLICY, EvaluateArgs, PolicyCommand, PurposeArg};
use crate::client::Connection;
use crate::error::{CliError, exit};
use crate::output::{Printer, evaluation_lines, evaluation_matrix_lines, policy_lines, policy_row};

/// Runs one `policy` subcommand; the exit code tells `evaluate`'s verdict.
pub async fn run(
    conn: &Connection,
    command: PolicyCommand,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let mut client = conn.policies();
    match command {
        PolicyCommand::List => {
            let answer = client
                .list_policies(pb::ListPoliciesRequest {})
                .await
                .map_err(|s| conn.fail(s))?
                .into_inner();
            let policies = &answer.policies;
            if out.is_json() {
                out.message(&answer)?;
            } else {
                for policy in policies {
                    out.line(policy_row(policy))?;
                }
                if policies.is_empty() {
                    eprintln!("no policies are loaded");
                }
            }
        }
        PolicyCommand::Get { id, version } => {
            let policy = client
                .get_policy(pb::GetPolicyRequest {
                    id,
                    version: version.unwrap_or_default(),
                })
                .await
                .map_err(|s| conn.fail(with_policy_hint(s)))?
                .into_inner();
            if out.is_json() {
                out.message(&policy)?;
            } else {
                print_lines(out, policy_lines(&policy))?;
            }
        }
        PolicyCommand::Evaluate(args) => return evaluate(conn, args, out).await,
    }
    Ok(exit::SUCCESS)
}

async fn evaluate(
    conn: &Connection,
    args: EvaluateArgs,
    out: &mut Printer,
) -> Result<u8, CliError> {
    let evaluation = conn
        .policies()
        .evaluate_dataset(evaluate_request(args))
        .await
        .map_err(|s| conn.fail(with_policy_hint(s)))?
        .into_inner();
    let several = !evaluation.policy_evaluations.is_empty();
    // The worst verdict's code: each policy's own, so that a verdict this provctl does not know
    // fails the gate whatever the server made of it.
    let code = if several {
        evaluation
            .policy_evaluations
            .iter()
            .map(|e| verdict_exit_code(e.verdict))
            .max_by_key(|&code| exit_severity(code))
            .unwrap_or(exit::OTHER)
    } else {
        verdict_exit_code(evaluation.verdict)
    };
    let printed = if out.is_json() {
        out.message(&evaluation)
    } else if several {
        print_lines(out, evaluation_matrix_lines(&evaluation))
    } else {
        print_lines(out, evaluation_lines(&evaluation))
    };
    match printed {
        // A reader that stopped after the verdict line has what it wanted; the code still counts.
        Err(e) if e.is_broken_pipe() => {}
        other => other?,
    }
    if code == exit::OTHER {
        eprintln!(
            "provctl: the server gave a verdict this provctl does not know ({}); upgrade provctl",
            evaluation.verdict
        );
    }
    Ok(code)
}

/// How bad an exit code of a verdict is, for the worst of several: CONTAMINATED, then a verdict
/// this provctl does not know, then INCOMPLETE, then success.
fn exit_severity(code: u8) -> u8 {
    match code {
        exit::CONTAMINATED => 3,
        exit::SUCCESS => 0,
        exit::INCOMPLETE => 1,
        _ => 2,
    }
}

/// The policies a request names, in its fields `policy_id`, `policy_version` and `policies`.
pub struct PolicyFields {
    /// `policy_id`.
    pub policy_id: String,
    /// `policy_version`.
    pub policy_version: String,
    /// `policies`.
    pub policies: Vec<pb::PolicyRef>,
}

/// The policies `--policy` (each `ID` or `ID@VERSION`), `--policy-version` and `--all-policies`
/// name: one policy as before (`--policy` once, or none: the default policy), or several
/// (`--policy` more than once) in the list, or none named with `--all-policies`.
pub fn policy_fields(policy: &[String], version: Option<String>, all: bool) -> PolicyFields {
    let split = |p: &String| {
        let (id, version) = p.split_once('@').unwrap_or((p.as_str(), ""));
        pb::PolicyRef {
            id: id.to_owned(),
            version: version.to_owned(),
        }
    };
    let (policy_id, policy_version, policies) = match policy {
        _ if all => (String::new(), String::new(), Vec::new()),
        [] => (DEFAULT_POLICY.to_owned(), String::new(), Vec::new()),
        [one] => {
            let one = split(one);
            (one.id, one.version, Vec::new())
        }
        many => (
            String::new(),
            String::new(),
            many.iter().map(split).collect(),
        ),
    };
    PolicyFields {
        policy_id,
        policy_version: version.unwrap_or(policy_version),
        policies,
    }
}

/// A request's `declared_purpose` from `--purpose`.
pub fn purpose_to_proto(purpose: Option<PurposeArg>) -> pb::Purpose {
    match purpose {
        None => pb::Purpose::Unspecified,
        Some(PurposeArg::CompetingModel) => pb::Purpose::CompetingModel,
        Some(PurposeArg::NonCompeting) => pb::Purpose::NonCompeting,
    }
}

/// The request: by one policy as before (`--policy ID` once, or none: the default policy), or by
/// several (`--policy` more than once, each `ID` or `ID@VERSION`, or `--all-policies`).
fn evaluate_request(args: EvaluateArgs) -> pb::EvaluateDatasetRequest {
    let named = policy_fields(&args.policy, args.policy_version, args.all_policies);
    pb::EvaluateDatasetRequest {
        dataset_id: args.id.to_string(),
        policy_id: named.policy_id,
        policy_version: named.policy_version,
        policies: named.policies,
        all_policies: args.all_policies,
        target_model: args.target.unwrap_or_default(),
        declared_purpose: purpose_to_proto(args.purpose) as i32,
    }
}

/// The exit code of a verdict: 0 for CLEAN and EXEMPT, [`exit::CONTAMINATED`] and
/// [`exit::INCOMPLETE`] for the others. A verdict this client does not know must not pass a gate:
/// it is [`exit::OTHER`].
pub fn verdict_exit_code(verdict: i32) -> u8 {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Clean | pb::Verdict::Exempt) => exit::SUCCESS,
        Ok(pb::Verdict::Contaminated) => exit::CONTAMINATED,
        Ok(pb::Verdict::Incomplete) => exit::INCOMPLETE,
        Ok(pb::Verdict::Unspecified) | Err(_) => exit::OTHER,
    }
}

/// Adds to an unknown policy (or version) what to do about it; other statuses pass unchanged.
pub fn with_policy_hint(status: Status) -> Status {
    let message = status.message();
    if status.code() == Code::NotFound
        && (message.starts_with("policy ") || message.starts_with("policies["))
    {
        return Status::with_details(
            Code::NotFound,
            format!("{message}; `provctl policy list` shows the loaded policies and versions"),
            status.details().to_vec().into(),
        );
    }
    if status.code() == Code::InvalidArgument && message.starts_with("policy_version") {
        return Status::with_details(
            Code::InvalidArgument,
            format!("{message}; pass --policy-version"),
            status.details().to_vec().into(),
        );
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn verdicts_have_exit_codes_for_ci_gates() {
        assert_eq!(verdict_exit_code(pb::Verdict::Clean as i32), 0);
        assert_eq!(verdict_exit_code(pb::Verdict::Exempt as i32), 0);
        assert_eq!(verdict_exit_code(pb::Verdict::Contaminated as i32), 7);
        assert_eq!(verdict_exit_code(pb::Verdict::Incomplete as i32), 8);
        // Unknown verdicts fail closed.
        assert_eq!(verdict_exit_code(pb::Verdict::Unspecified as i32), 1);
        assert_eq!(verdict_exit_code(99), 1);
    }

    #[test]
    fn verdict_codes_differ_from_error_codes() {
        let errors = [
            exit::OTHER,
            exit::USAGE,
            exit::NOT_FOUND,
            exit::ACCESS,
            exit::REFUSED,
            exit::UNAVAILABLE,
        ];
        assert!(!errors.contains(&exit::CONTAMINATED));
        assert!(!errors.contains(&exit::INCOMPLETE));
        assert_ne!(exit::CONTAMINATED, exit::INCOMPLETE);
    }

    #[test]
    fn request_carries_the_flags() {
        let id = Uuid::now_v7();
        let request = evaluate_request(EvaluateArgs {
            id,
            policy: vec!["p".into()],
            all_policies: false,
            policy_version: None,
            target: Some("DeepSeek-R1-Distill-Qwen-7B".into()),
            purpose: Some(PurposeArg::NonCompeting),
        });
        assert_eq!(request.dataset_id, id.to_string());
        assert_eq!(request.policy_id, "p");
        assert_eq!(request.policy_version, "");
        assert!(request.policies.is_empty() && !request.all_policies);
        assert_eq!(request.target_model, "DeepSeek-R1-Distill-Qwen-7B");
        assert_eq!(request.declared_purpose(), pb::Purpose::NonCompeting);
    }

    fn args(policy: &[&str], all_policies: bool) -> EvaluateArgs {
        EvaluateArgs {
            id: Uuid::now_v7(),
            policy: policy.iter().map(|p| p.to_string()).collect(),
            all_policies,
            policy_version: None,
            target: None,
            purpose: None,
        }
    }

    #[test]
    fn without_a_policy_the_request_names_the_default_one_in_the_single_policy_form() {
        let request = evaluate_request(args(&[], false));
        assert_eq!(request.policy_id, DEFAULT_POLICY);
        assert!(request.policies.is_empty() && !request.all_policies);
    }

    #[test]
    fn several_policies_go_in_the_list_with_their_versions() {
        let request = evaluate_request(args(&["a", "b@2"], false));
        assert_eq!(request.policy_id, "");
        let named: Vec<(&str, &str)> = request
            .policies
            .iter()
            .map(|p| (p.id.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(named, [("a", ""), ("b", "2")]);
        let all = evaluate_request(args(&[], true));
        assert!(all.all_policies && all.policies.is_empty() && all.policy_id.is_empty());
    }

    #[test]
    fn the_worst_verdict_sets_the_code_and_unknown_ones_outrank_incomplete() {
        let worst = |codes: &[u8]| codes.iter().copied().max_by_key(|&c| exit_severity(c));
        assert_eq!(worst(&[0, 8, 7, 0]), Some(exit::CONTAMINATED));
        assert_eq!(worst(&[0, 8, 0]), Some(exit::INCOMPLETE));
        assert_eq!(worst(&[0, 8, exit::OTHER]), Some(exit::OTHER));
        assert_eq!(worst(&[0, 0]), Some(exit::SUCCESS));
    }

    #[test]
    fn unknown_policies_get_a_hint() {
        let hinted = with_policy_hint(Status::not_found("policy \"x\" not found"));
        assert_eq!(hinted.code(), Code::NotFound);
        assert!(hinted.message().contains("provctl policy list"));
        let version = with_policy_hint(Status::invalid_argument(
            "policy_version: is required: policy \"x\" has versions \"1\", \"2\"",
        ));
        assert!(version.message().contains("--policy-version"));
        let other = with_policy_hint(Status::not_found("dataset 1 not found"));
        assert_eq!(other.message(), "dataset 1 not found");
    }
}
