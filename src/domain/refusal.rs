//! Refusals that rest on an evaluation (an attestation or a certificate refused because the
//! lineage is contaminated or not wholly attested), kept small enough for every client to read.
//!
//! gRPC carries a refusal in trailing metadata: the message in `grpc-message` and the details,
//! with the message once more, base64-encoded in `grpc-status-details-bin`. Default clients refuse
//! metadata over 8 KiB (grpc-core) or 16 KiB (h2), and then show their own error instead of the
//! refusal. So a refusal names a few offenders (or datasets lacking an attestation) in its details,
//! with shortened names, states the total in its message, and points to `EvaluateDataset` for the
//! rest; the message does not repeat the details. Its message and details together stay within
//! [`MAX_REFUSAL_BYTES`], so that the trailing metadata stays within 8 KiB.

use super::evaluation::{
    Evaluation, MAX_LISTED, Obligation, ObligationKind, ObligationStatus, Offence, Offender,
    PathStep,
};
use crate::error::{Error, PreconditionViolation};

/// Most bytes of a refusal's message and details together, before encoding. Base64 makes 4/3 of
/// the details, the details hold the message once more, and `grpc-message` percent-encodes
/// (a message is ASCII but for names, which are shortened): 4 KiB stays below 8 KiB on the wire.
pub const MAX_REFUSAL_BYTES: usize = 4096;

/// Most offenders or datasets a refusal names in its details.
pub const MAX_NAMED: usize = 5;

/// Characters of a dataset name, version or model id shown in a refusal; longer ones are cut
/// with `…`.
const SHOWN_CHARS: usize = 40;

/// `FailedPrecondition` for a contaminated lineage: `summary`, the number of offenders, and the
/// first few offenders in the details (kind, path, why).
pub fn contaminated(summary: &str, found: &Evaluation) -> Error {
    let violations = found.offenders.iter().map(violation);
    refusal(summary, found.offender_count, "offender(s)", violations)
}

/// `FailedPrecondition` for a lineage not wholly attested: `summary`, the number of datasets
/// without a valid attestation by their owner, and the first few of them in the details.
pub fn incomplete(summary: &str, found: &Evaluation) -> Error {
    let violations = found
        .missing_attestations
        .iter()
        .map(|step| PreconditionViolation {
            kind: "MISSING_ATTESTATION".into(),
            subject: step_text(step),
            description: "no valid attestation by its owner under this policy version".into(),
        });
    refusal(
        summary,
        found.missing_attestation_count,
        "dataset(s) without a valid attestation",
        violations,
    )
}

/// `FailedPrecondition` for an obligation the evaluation cannot show met: `summary` and the
/// obligation with what would meet it.
pub fn obligation_open(summary: &str, owed: &Obligation, name_prefix: &str) -> Error {
    let (kind, subject, description) = match (owed.kind, owed.status) {
        (ObligationKind::NamePrefix, ObligationStatus::Unmet) => (
            "NAME_PREFIX_UNMET",
            name_prefix.to_owned(),
            format!("the target model's name does not begin with {name_prefix:?}"),
        ),
        (ObligationKind::NamePrefix, _) => (
            "TARGET_MODEL_REQUIRED",
            name_prefix.to_owned(),
            format!("name the target model, whose name must begin with {name_prefix:?}"),
        ),
        (_, _) => (
            "PURPOSE_UNDECLARED",
            "declared_purpose".to_owned(),
            "the policy forbids using the outputs for a competing model: declare the purpose"
                .to_owned(),
        ),
    };
    let violation = PreconditionViolation {
        kind: kind.into(),
        subject,
        description,
    };
    refusal(
        summary,
        owed.source_count,
        "model-generated source(s) bring the obligation",
        std::iter::once(violation),
    )
}

fn refusal(
    summary: &str,
    total: usize,
    what: &str,
    candidates: impl Iterator<Item = PreconditionViolation>,
) -> Error {
    let mut violations: Vec<PreconditionViolation> = Vec::new();
    let mut budget = MAX_REFUSAL_BYTES.saturating_sub(2 * summary.len() + 200);
    for violation in candidates.take(MAX_NAMED) {
        let size = violation.kind.len() + violation.subject.len() + violation.description.len();
        // The first always goes in: shortened names keep it well within the budget.
        if !violations.is_empty() && size > budget {
            break;
        }
        budget = budget.saturating_sub(size);
        violations.push(violation);
    }
    let message = format!(
        "{summary}: {total} {what} in all; the details (google.rpc.PreconditionFailure) name the \
         first {}; EvaluateDataset lists up to {MAX_LISTED} with their paths",
        violations.len()
    );
    Error::PreconditionFailed {
        message,
        violations,
    }
}

fn violation(offender: &Offender) -> PreconditionViolation {
    let path = path_text(offender);
    match &offender.offence {
        Offence::RestrictedModelOutput {
            model_id,
            source_index,
            found,
        } => PreconditionViolation {
            kind: "RESTRICTED_MODEL_OUTPUT".into(),
            subject: path,
            description: format!(
                "source {source_index} was generated by {:?}, which the policy restricts ({} {:?}{})",
                shortened(model_id),
                found.rule.as_str(),
                shortened(&found.matched),
                if found.derivative {
                    ", a derivative"
                } else {
                    ""
                }
            ),
        },
        Offence::ReportedContaminated { report_id } => PreconditionViolation {
            kind: "REPORTED_CONTAMINATED".into(),
            subject: path,
            description: match report_id {
                Some(id) => format!("its owner reported it contaminated (report {id})"),
                None => "its owner reported it contaminated".into(),
            },
        },
    }
}

/// `first > … > last`: the evaluated dataset, how many steps lie between, the offending one.
fn path_text(offender: &Offender) -> String {
    match offender.path.as_slice() {
        [] => "(empty path)".into(),
        [only] => step_text(only),
        [first, .., last] => {
            let between = offender.path_length.saturating_sub(2);
            match between {
                0 => format!("{} > {}", step_text(first), step_text(last)),
                n => format!(
                    "{} > ({n} dataset(s) between) > {}",
                    step_text(first),
                    step_text(last)
                ),
            }
        }
    }
}

/// `name@version (id)`, with name and version shortened; `[hidden dataset]` for one the caller
/// may not see.
fn step_text(step: &PathStep) -> String {
    match step {
        PathStep::Shown { id, name, version } => {
            format!("{}@{} ({id})", shortened(name), shortened(version))
        }
        PathStep::Hidden => "[hidden dataset]".into(),
    }
}

fn shortened(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(SHOWN_CHARS - 1).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::evaluation::Verdict;
    use crate::domain::model_name::{FamilyMatch, MatchRule};

    /// The longest names the API takes, in four-byte characters: the worst case for the bound.
    fn widest_step() -> PathStep {
        PathStep::Shown {
            id: Uuid::now_v7(),
            name: "𝐃".repeat(crate::domain::dataset::limits::NAME),
            version: "𝐕".repeat(crate::domain::dataset::limits::VERSION),
        }
    }

    fn widest_evaluation(offenders: usize) -> Evaluation {
        let offender = Offender {
            path: vec![widest_step(); 6],
            path_length: 10_000,
            offence: Offence::RestrictedModelOutput {
                model_id: "𝐑".repeat(crate::domain::dataset::limits::MODEL_FIELD),
                source_index: 119,
                found: FamilyMatch {
                    rule: MatchRule::Confusable,
                    matched: "m".repeat(crate::domain::model_name::MAX_ENTRY_CHARS),
                    normalized: String::new(),
                    derivative: true,
                },
            },
        };
        Evaluation {
            verdict: Verdict::Contaminated,
            target_exemption: None,
            offenders: vec![offender; offenders.min(MAX_LISTED)],
            offender_count: offenders,
            missing_attestations: vec![widest_step(); MAX_LISTED],
            missing_attestation_count: 80_000,
            attestation_ids: vec![],
            closure_size: 80_000,
            obligations: vec![],
            purpose: Default::default(),
        }
    }

    fn size(error: &Error) -> (usize, usize) {
        match error {
            Error::PreconditionFailed {
                message,
                violations,
            } => (
                message.len()
                    + violations
                        .iter()
                        .map(|v| v.kind.len() + v.subject.len() + v.description.len())
                        .sum::<usize>(),
                violations.len(),
            ),
            other => panic!("not a precondition failure: {other:?}"),
        }
    }

    #[test]
    fn a_refusal_names_a_few_and_counts_all_within_its_bound_however_wide_the_names() {
        let summary = format!("dataset {} cannot be attested", Uuid::now_v7());
        let found = widest_evaluation(4_000);
        let refused = contaminated(&summary, &found);
        let (bytes, named) = size(&refused);
        assert!(bytes <= MAX_REFUSAL_BYTES, "{bytes} bytes");
        assert!((1..=MAX_NAMED).contains(&named));
        let Error::PreconditionFailed {
            message,
            violations,
        } = refused
        else {
            unreachable!()
        };
        assert!(message.contains("4000 offender(s) in all"), "{message}");
        assert!(message.contains("EvaluateDataset"), "{message}");
        // The message does not repeat the details.
        assert!(!message.contains(&violations[0].subject), "{message}");
        assert!(
            violations[0].subject.contains("(9998 dataset(s) between)"),
            "{}",
            violations[0].subject
        );

        let (bytes, named) = size(&incomplete(&summary, &found));
        assert!(bytes <= MAX_REFUSAL_BYTES, "{bytes} bytes");
        assert!((1..=MAX_NAMED).contains(&named));
    }

    #[test]
    fn short_paths_and_names_are_shown_whole() {
        let step = |name: &str| PathStep::Shown {
            id: Uuid::nil(),
            name: name.into(),
            version: "1".into(),
        };
        let offender = |path: Vec<PathStep>, path_length| Offender {
            path,
            path_length,
            offence: Offence::ReportedContaminated { report_id: None },
        };
        assert_eq!(
            path_text(&offender(vec![step("mix"), step("r1")], 2)),
            format!("mix@1 ({0}) > r1@1 ({0})", Uuid::nil())
        );
        assert_eq!(
            path_text(&offender(vec![step("only")], 1)),
            format!("only@1 ({})", Uuid::nil())
        );
        assert_eq!(
            path_text(&offender(vec![step("a"), PathStep::Hidden, step("c")], 3)),
            format!(
                "a@1 ({0}) > (1 dataset(s) between) > c@1 ({0})",
                Uuid::nil()
            )
        );
        assert_eq!(shortened(&"x".repeat(40)), "x".repeat(40));
        assert_eq!(shortened(&"x".repeat(41)), format!("{}…", "x".repeat(39)));
    }
}
