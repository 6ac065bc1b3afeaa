//! The public verification page: the form (paste a token, or upload a rendered certificate or a
//! bundle) and the result (every check by name, the status and its history, and what the
//! registry may show an anonymous viewer of the certificate). Pure: server-rendered HTML that
//! needs no script and fetches nothing.

use chrono::{DateTime, Utc};

use super::certificate_html::{
    self, AttestationEntry, CertificateDocument, EvidenceEntry, Judgement, LogEntry, PolicyText,
    Standing, StatusChange,
};
use super::html::{self, escape};
use super::lineage_svg::{LineageGraph, PublicStanding, ShownDataset, public_node, public_note};
use crate::domain::certificate::{CertificateClaims, CertificateStatus};
use crate::domain::public_lineage::{self, PublicLineage};
use crate::registry::certificate_page::PublicCertificateFacts;

/// Where the page is served.
pub const VERIFY_PATH: &str = "/verify";

/// Largest request body the page and the JSON endpoint read: a token is at most 128 KiB, and a
/// rendered certificate of a large lineage a few hundred.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One check of a verification, as the registry reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// Its name (`format`, `signature`, ...).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

/// What the result page shows.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    /// Every check passed.
    pub valid: bool,
    /// The registry's status of the certificate (`VALID`, `REVOKED`, `EXPIRED`), when it knows it.
    pub status: Option<String>,
    /// The checks, in order.
    pub checks: Vec<CheckRow>,
    /// Where the token came from, in words (e.g. "pasted token", "uploaded file cert.html").
    pub source: String,
    /// The moment the verification judged, when it was not now.
    pub as_of: Option<DateTime<Utc>>,
    /// When the verification was made.
    pub checked_at: DateTime<Utc>,
    /// The form as submitted, to check again (e.g. with an organisation id).
    pub form: FormValues,
    /// When and why the certificate was revoked, when the registry holds this very token and it
    /// was revoked by the moment judged.
    pub revocation: Option<(DateTime<Utc>, Option<String>)>,
    /// `nbf` and `exp` of the claims, when the signature verified.
    pub window: Option<(i64, i64)>,
    /// What may be shown of the certificate: only when its signature verified and the registry
    /// holds this very token.
    pub document: Option<CertificateDocument>,
}

/// The fields of the form as a person filled them in, to show again after an error or with a
/// result, so that nothing pasted is lost. (A chosen file cannot be kept: browsers forbid it.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues {
    /// The pasted token.
    pub token: String,
    /// The organisation id.
    pub audience: String,
    /// The date or time to judge as of.
    pub as_of: String,
}

/// The registry's status of a certificate asked for by id (`/verify?certificate=ID`, as the QR
/// code on a certificate's first page holds it): its status and window, nothing of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusById {
    /// The id asked for.
    pub id: String,
    /// Its status now, when the registry holds a certificate of that id.
    pub status: Option<CertificateStatus>,
    /// When the status began: the revocation, the expiry, or the start of validity.
    pub since: Option<DateTime<Utc>>,
    /// Until when it is valid.
    pub until: Option<DateTime<Utc>>,
}

/// The name a status has on the page and in JSON answers.
pub fn status_name(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "VALID",
        CertificateStatus::Revoked => "REVOKED",
        CertificateStatus::Expired => "EXPIRED",
    }
}

/// The form, with an error to show above it (a bad upload, a malformed field), if any, the
/// values to fill it with, and the status of the certificate the address named, if it did.
pub fn form_page(error: Option<&str>, values: &FormValues, asked: Option<&StatusById>) -> String {
    let mut body = String::from(
        "<header>\n<h1>Verify a lineage certificate</h1>\n<p>A lineage certificate states that a dataset's whole lineage was judged clean under a policy, and is signed by this registry. Paste its token, or upload the certificate file attached to your contract. No account is needed, and nothing you submit is stored.</p>\n</header>\n<main>\n",
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"verdict bad\"><strong>Cannot verify:</strong> {}{}</div>\n",
            escape(error),
            if values.token.is_empty() {
                ""
            } else {
                " Your pasted token and fields are kept below; a chosen file must be chosen again."
            }
        ));
    }
    if let Some(asked) = asked {
        body.push_str(&status_by_id(asked));
    }
    body.push_str(&form(values, true));
    body.push_str(&format!(
        "<p class=\"note\">Machines: <code>POST {JSON_PATH}</code> with <code>{{\"token\": \"...\"}}</code> answers the same checks as JSON; the registry's public keys are at <code>/.well-known/jwks.json</code>.</p>\n</main>\n",
        JSON_PATH = "/v1/certificates:verify"
    ));
    html::document(
        "Verify a lineage certificate",
        &body,
        &html::PageMarks::default(),
    )
}

/// What the registry says of a certificate asked for by id alone: its status, as a status list
/// would, and that the token is needed for anything more.
fn status_by_id(asked: &StatusById) -> String {
    let (class, words) = match (asked.status, asked.since) {
        (Some(CertificateStatus::Valid), _) => (
            "ok",
            format!(
                "VALID now{}",
                asked
                    .until
                    .map(|t| format!(", until {}", html::human_time(t)))
                    .unwrap_or_default()
            ),
        ),
        (Some(CertificateStatus::Revoked), Some(since)) => {
            ("bad", format!("REVOKED on {}", html::human_time(since)))
        }
        (Some(CertificateStatus::Expired), Some(since)) => {
            ("bad", format!("EXPIRED on {}", html::human_time(since)))
        }
        (Some(status), _) => ("bad", status_name(status).to_owned()),
        (None, _) => (
            "bad",
            "UNKNOWN: this registry issued no certificate with this id".to_owned(),
        ),
    };
    format!(
        "<section id=\"asked\">\n<h2>Certificate {}</h2>\n<p id=\"asked-status\" class=\"verdict headline {class}\">{}</p>\n<p>This is the registry's record of the id alone. To check that your copy is this certificate, unaltered, and to see what it certifies, why it was revoked and every check, paste its token or upload its file below.</p>\n</section>\n",
        html::id(&asked.id),
        escape(&words),
    )
}

/// The form's markup, filled with `values`; `with_file` offers an upload too.
fn form(values: &FormValues, with_file: bool) -> String {
    let file = if with_file {
        "<label for=\"file\">or upload the certificate file</label>\n\
<input type=\"file\" id=\"file\" name=\"file\" accept=\".html,.htm,.json,.jws,.jwt,.txt,text/html,application/json,text/plain\" aria-describedby=\"file-hint\">\n\
<p id=\"file-hint\" class=\"hint\">A rendered certificate (<code>provctl cert render</code>, HTML), a bundle (<code>provctl cert bundle</code>, JSON) or a file holding the token; at most 1 MiB. A pasted token is used when both are given.</p>\n"
    } else {
        ""
    };
    format!(
        "<form method=\"post\" action=\"{VERIFY_PATH}\" enctype=\"multipart/form-data\">\n\
<fieldset>\n<legend>The certificate</legend>\n\
<label for=\"token\">Paste the certificate: its token or its DSSE envelope</label>\n\
<textarea id=\"token\" name=\"token\" rows=\"6\" spellcheck=\"false\" autocomplete=\"off\" aria-describedby=\"token-hint\">{token}</textarea>\n\
<p id=\"token-hint\" class=\"hint\">The compact JWS (three parts separated by dots, starting with <code>eyJ</code>) or the in-toto DSSE envelope (JSON, as <code>provctl cert get ID --format dsse</code> prints it).</p>\n\
{file}\
</fieldset>\n\
<fieldset>\n<legend>Optional checks</legend>\n\
<label for=\"audience\">Your organisation id <span class=\"hint\">(checks that the certificate was issued for your organisation)</span></label>\n\
<input type=\"text\" id=\"audience\" name=\"audience_organization_id\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"e.g. 0192f0c1-...\" value=\"{audience}\">\n\
<label for=\"as_of\">Judge as of <span class=\"hint\">(a date such as the contract's, 2027-03-01, meaning midnight UTC at its start, or an RFC 3339 time such as 2027-03-01T12:00:00Z; empty for now)</span></label>\n\
<input type=\"text\" id=\"as_of\" name=\"as_of\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"2027-03-01\" value=\"{as_of}\">\n\
</fieldset>\n\
<button type=\"submit\">Verify</button>\n\
</form>\n",
        token = escape(&values.token),
        audience = escape(&values.audience),
        as_of = escape(&values.as_of),
    )
}

/// How a check is shown: its class, its result in words, and its detail.
fn shown_checks(outcome: &VerifyOutcome) -> Vec<(&str, &'static str, &'static str, String)> {
    let mut failed: Option<&str> = None;
    outcome
        .checks
        .iter()
        .map(|check| {
            let name = check.name.as_str();
            if let Some(first) = failed {
                // The caption promises that a check after a failed one is not made: what the
                // registry still found then is not relied on, and shown no green.
                return (
                    name,
                    "note",
                    "NOT CHECKED",
                    format!("not relied on: the {first} check failed first"),
                );
            }
            if check.passed {
                if name == "audience" && outcome.form.audience.trim().is_empty() {
                    return (
                        name,
                        "note",
                        "NOT CHECKED",
                        "no organisation id was given, so whether the certificate was issued for yours is not known: enter your organisation id below and verify again".to_owned(),
                    );
                }
                return (name, "pass", "PASSED", check.detail.clone());
            }
            failed = Some(name);
            (name, "fail", "FAILED", check.detail.clone())
        })
        .collect()
}

/// Why a certificate is not valid, in words, or `None` when it is: a revocation first, whatever
/// else failed, then the first failed check.
pub fn not_valid_headline(outcome: &VerifyOutcome) -> Option<String> {
    if outcome.valid {
        return None;
    }
    if let Some((time, reason)) = &outcome.revocation {
        return Some(match reason {
            Some(reason) => format!("REVOKED on {}: {reason}", html::human_time(*time)),
            None => format!("REVOKED on {}", html::human_time(*time)),
        });
    }
    let window = |pick: fn((i64, i64)) -> i64| {
        outcome
            .window
            .map(|w| html::human_epoch(pick(w)))
            .unwrap_or_default()
    };
    let Some(check) = outcome.checks.iter().find(|c| !c.passed) else {
        return Some("NOT VALID".into());
    };
    let detail = check.detail.as_str();
    Some(match check.name.as_str() {
        "format" | "algorithm" | "type" => format!("NOT A LINEAGE CERTIFICATE: {detail}"),
        "key" => format!("SIGNED WITH A KEY THIS REGISTRY DOES NOT HAVE: {detail}"),
        "signature" => format!(
            "SIGNATURE DOES NOT VERIFY: {}",
            detail
                .strip_prefix("the signature does not verify: ")
                .unwrap_or(detail)
        ),
        "key_window" => format!("SIGNED WITH A KEY NOT IN USE WHEN IT WAS ISSUED: {detail}"),
        "validity" if detail == "expired" => format!("EXPIRED on {}", window(|w| w.1)),
        "validity" => format!("NOT VALID YET: valid from {}", window(|w| w.0)),
        "audience" => format!("NOT ISSUED FOR YOUR ORGANISATION: {detail}"),
        "policies" => format!("A COVERED POLICY DOES NOT HOLD: {detail}"),
        "status" if outcome.status.as_deref() == Some("EXPIRED") => {
            format!("EXPIRED on {}", window(|w| w.1))
        }
        "status" => format!("NOT VOUCHED FOR BY THIS REGISTRY: {detail}"),
        "lineage" => format!("LINEAGE CHANGED SINCE ISSUANCE: {detail}"),
        other => format!("{} CHECK FAILED: {detail}", other.to_uppercase()),
    })
}

/// Whether the certificate holds, for its document's headline and banners.
pub fn judgement(outcome: &VerifyOutcome) -> Judgement {
    match not_valid_headline(outcome) {
        Some(headline) => Judgement::NotValid { headline },
        None => Judgement::Valid {
            at: outcome.as_of.unwrap_or(outcome.checked_at),
            caveat: outcome
                .form
                .audience
                .trim()
                .is_empty()
                .then(|| "The audience was not checked: no organisation id was given.".into()),
        },
    }
}

/// The result of a verification. Its first page stands alone: the result in words, then what
/// the certificate states, then every check.
pub fn result_page(outcome: &VerifyOutcome) -> String {
    let headline = not_valid_headline(outcome);
    let audience_unchecked = outcome.form.audience.trim().is_empty();
    let mut body = String::from("<main>\n<header>\n<h1>Verification result</h1>\n");
    match &headline {
        None if audience_unchecked => body.push_str(
            "<p role=\"status\" id=\"result\" class=\"verdict headline ok\">VALID: every check made passed (the audience was not checked)</p>\n",
        ),
        None => body.push_str(
            "<p role=\"status\" id=\"result\" class=\"verdict headline ok\">VALID: every check passed</p>\n",
        ),
        Some(headline) => body.push_str(&format!(
            "<p role=\"status\" id=\"result\" class=\"verdict headline bad\">NOT VALID — {}</p>\n",
            escape(headline)
        )),
    }
    body.push_str(&format!(
        "<p class=\"note\">Checked {}: {}{}. Status in the registry: <strong id=\"status\">{}</strong>.</p>\n</header>\n",
        escape(&html::human_time(outcome.checked_at)),
        escape(&outcome.source),
        outcome
            .as_of
            .map(|t| format!(", judged as of {}", escape(&html::time(t))))
            .unwrap_or_default(),
        escape(outcome.status.as_deref().unwrap_or("UNKNOWN: the registry does not vouch for this token")),
    ));
    if let Some(document) = &outcome.document {
        body.push_str(&certificate_html::summary(
            document,
            "h2",
            "What the certificate states",
            false,
        ));
    }
    let banner = headline
        .as_ref()
        .map(|h| {
            format!(
                "<p class=\"banner\" role=\"note\">NOT VALID — {}</p>\n",
                escape(h)
            )
        })
        .unwrap_or_default();
    // When not valid, the checks that passed are greyed like every other green mark: a cut-out
    // of the table must not read as a pass.
    body.push_str(&format!(
        "<section{}>\n<h2 id=\"checks\">Checks</h2>\n{banner}<table id=\"check-table\" class=\"checks\">\n<caption class=\"note\">Each check the registry made, in order; a check after a failed one is not relied on, and shown as not checked.</caption>\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Result</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n",
        if headline.is_some() {
            " class=\"not-valid\""
        } else {
            ""
        },
    ));
    for (name, class, word, detail) in shown_checks(outcome) {
        body.push_str(&format!(
            "<tr data-check=\"{name}\"><th scope=\"row\"><code>{name}</code></th><td class=\"result {class}\" data-label=\"Result\">{word}</td><td data-label=\"Detail\">{}</td></tr>\n",
            escape(&detail),
            name = escape(name),
        ));
    }
    body.push_str("</tbody>\n</table>\n");
    if audience_unchecked && outcome.document.is_some() {
        body.push_str(&format!(
            "<h3 id=\"check-audience\">Was it issued for your organisation?</h3>\n<p>Enter your organisation id and verify again; the token is kept.</p>\n{}",
            form(&outcome.form, false)
        ));
    }
    body.push_str("</section>\n");
    match &outcome.document {
        Some(document) => body.push_str(&certificate_html::sections(document)),
        None => body.push_str(
            "<p class=\"note\" id=\"nothing-shown\">Nothing more is shown: only a token this registry signed and still holds is described here, so nothing a token claims is repeated until its signature verifies.</p>\n",
        ),
    }
    body.push_str(&format!(
        "<p class=\"screen-only\"><a href=\"{VERIFY_PATH}\">Verify another certificate</a></p>\n</main>\n"
    ));
    let marks = match &outcome.document {
        Some(document) => certificate_html::page_marks(document, "Verification of certificate"),
        None => html::PageMarks {
            footer: Some(format!(
                "Verification at {}",
                html::human_time(outcome.checked_at)
            )),
            banner: headline.map(|h| format!("NOT VALID — {h}")),
        },
    };
    html::document(
        if outcome.valid {
            "Certificate valid"
        } else {
            "Certificate NOT valid"
        },
        &body,
        &marks,
    )
}

/// What the page shows of a certificate, from what an anonymous viewer may see of it.
pub fn public_document(
    token: &str,
    claims: &CertificateClaims,
    facts: &PublicCertificateFacts,
    as_of: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    judgement: Judgement,
) -> CertificateDocument {
    let at = as_of.unwrap_or(now);
    let record = &facts.record;
    let revoked_by_then = record.revoke_time.is_some_and(|t| t <= at);
    CertificateDocument {
        token: token.to_owned(),
        claims: claims.clone(),
        judgement,
        jwks_json: None,
        policy: facts.policy.as_ref().map(|p| PolicyText {
            title: p.title.clone(),
            clause: p.clause.clone(),
            source: policy_source(p),
        }),
        lineage: facts.lineage.as_ref().map(lineage_graph),
        lineage_note: match facts.lineage.as_ref().map(lineage_graph) {
            Some(graph) => public_note(&graph),
            None => Some("the policy it was judged under is no longer loaded by this registry".into()),
        },
        attestations: facts
            .attestations
            .iter()
            .map(|(a, dataset)| AttestationEntry {
                id: a.id.to_string(),
                dataset: match dataset {
                    Some((name, version)) => format!("{name}@{version} ({})", a.dataset_id),
                    None => a.dataset_id.to_string(),
                },
                organization_id: a.organization_id.to_string(),
                attester: a.attester_subject.clone(),
                time: a.create_time,
                expires: a.expire_time,
                method: a.method.as_str().to_owned(),
                statement: a.statement.clone(),
                evidence: a
                    .evidence
                    .iter()
                    .map(|e| EvidenceEntry {
                        uri: e.uri.clone(),
                        digest: e.content_digest.as_ref().map(ToString::to_string),
                        description: e.description.clone(),
                    })
                    .collect(),
                revoked: a.revoke_time.map(|t| {
                    format!(
                        "at {}: {}",
                        html::time(t),
                        a.revoke_reason.as_deref().unwrap_or("")
                    )
                }),
            })
            .collect(),
        attestations_not_shown: facts.attestations_not_shown,
        standing: Some(Standing {
            status: status_name(record.status_at(at)).to_owned(),
            checked_at: at,
            history: record
                .history(at)
                .into_iter()
                .map(|(status, time, reason)| StatusChange {
                    status: status_name(status).to_owned(),
                    time,
                    reason,
                })
                .collect(),
            revoke_cause: record.revoke_cause.clone().filter(|_| revoked_by_then),
        }),
        log: record
            .issued_event_sequence
            .filter(|&s| s > 0)
            .map(|sequence| LogEntry {
                log_index: sequence - 1,
                checkpoint: facts.log.as_ref().map(|(c, _)| c.note.clone()),
                inclusion: facts.log.as_ref().map(|(c, included)| {
                    if *included {
                        format!(
                            "The registry proved this leaf is in its tree of {} leaves (root {}), the tree of the signed checkpoint below. To check it yourself, pin the log's key and run provctl log prove --leaf {} then provctl log verify.",
                            c.tree_size,
                            hex::encode(c.root),
                            sequence - 1
                        )
                    } else {
                        format!(
                            "WARNING: the registry's inclusion proof of this leaf does not lead to the root of its checkpoint of {} leaves.",
                            c.tree_size
                        )
                    }
                }),
            }),
        produced_at: now,
    }
}

/// A policy's source in one line.
pub fn policy_source(policy: &crate::domain::policy::Policy) -> String {
    let s = &policy.source;
    PolicyText::source_line(&[
        &s.publisher,
        &s.record_id,
        &s.document,
        &s.document_updated,
        &s.url,
    ])
}

/// The picture of a public lineage.
pub fn lineage_graph(lineage: &PublicLineage) -> LineageGraph {
    LineageGraph {
        root: lineage.root.clone(),
        nodes: lineage
            .nodes
            .iter()
            .map(|n| {
                public_node(
                    n.key.clone(),
                    n.dataset.as_ref().map(|d| ShownDataset {
                        id: d.id.to_string(),
                        name: d.name.clone(),
                        version: d.version.clone(),
                    }),
                    n.hidden,
                    match &n.standing {
                        public_lineage::Standing::Attested => PublicStanding::Attested,
                        public_lineage::Standing::Unattested => PublicStanding::Unattested,
                        public_lineage::Standing::MadeFromContaminated => {
                            PublicStanding::MadeFromContaminated
                        }
                        public_lineage::Standing::Contaminated(reason) => {
                            PublicStanding::Contaminated(reason.clone())
                        }
                    },
                )
            })
            .collect(),
        edges: lineage.edges.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, passed: bool, detail: &str) -> CheckRow {
        CheckRow {
            name: name.into(),
            passed,
            detail: detail.into(),
        }
    }

    fn outcome(valid: bool) -> VerifyOutcome {
        VerifyOutcome {
            valid,
            status: Some("REVOKED".into()),
            checks: vec![
                check("signature", valid, "<script>x</script>"),
                check("status", false, "not checked: an earlier check failed"),
            ],
            source: "uploaded file \"><script>.html".into(),
            as_of: None,
            checked_at: Utc::now(),
            form: FormValues::default(),
            revocation: None,
            window: None,
            document: None,
        }
    }

    /// A revoked certificate: every check before `status` passed, `lineage` after it too.
    fn revoked() -> VerifyOutcome {
        let mut outcome = outcome(false);
        outcome.checks = vec![
            check("signature", true, "the signature verifies"),
            check("validity", true, "within its validity window"),
            check("audience", true, "no audience expected"),
            check("status", false, "revoked at ...: replaced"),
            check(
                "lineage",
                true,
                "lineage digest sha256:00 matches the registry",
            ),
        ];
        outcome.revocation = Some((
            DateTime::from_timestamp(1_796_411_760, 0).expect("a time"),
            Some("replaced by the amended contract".into()),
        ));
        outcome
    }

    #[test]
    fn the_form_labels_every_control_needs_no_script_and_keeps_what_was_pasted() {
        let values = FormValues {
            token: "eyJ<x>".into(),
            audience: "acme\"".into(),
            as_of: "2027-03-01".into(),
        };
        let page = form_page(Some("<b>bad</b>"), &values, None);
        for id in ["token", "file", "audience", "as_of"] {
            assert!(page.contains(&format!("<label for=\"{id}\"")), "{id}");
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(!page.contains("<script"));
        assert!(page.contains("&lt;b&gt;bad&lt;/b&gt;"));
        assert!(page.contains("enctype=\"multipart/form-data\""));
        assert!(page.contains(">eyJ&lt;x&gt;</textarea>"));
        assert!(page.contains("value=\"acme&quot;\""));
        assert!(page.contains("value=\"2027-03-01\""));
        assert!(page.contains("midnight UTC"));
    }

    #[test]
    fn a_failed_verification_says_why_in_words_and_checks_after_it_are_not_checked() {
        let page = result_page(&outcome(false));
        assert!(page.contains("NOT VALID — SIGNATURE DOES NOT VERIFY: &lt;script&gt;"));
        assert!(page.contains(">FAILED<") && page.contains(">NOT CHECKED<"));
        assert!(!page.contains("<script"));
        assert!(page.contains("id=\"nothing-shown\""));

        let page = result_page(&revoked());
        assert!(page.contains(
            "NOT VALID — REVOKED on 2026-12-04 19:16 UTC: replaced by the amended contract"
        ));
        let lineage = &page[page.find("data-check=\"lineage\"").expect("a row")..];
        let lineage = &lineage[..lineage.find("</tr>").expect("its end")];
        assert!(
            lineage.contains(">NOT CHECKED<") && !lineage.contains("matches"),
            "{lineage}"
        );
        assert!(
            page.contains("@top-center"),
            "the reason tops every printed page"
        );
    }

    #[test]
    fn expiry_and_other_failures_are_named_in_words() {
        let mut outcome = revoked();
        outcome.revocation = None;
        outcome.window = Some((1_796_411_760, 1_804_187_760));
        outcome.checks[1] = check("validity", false, "expired");
        assert_eq!(
            not_valid_headline(&outcome).as_deref(),
            Some("EXPIRED on 2027-03-04 19:16 UTC")
        );
        outcome.checks[1] = check("validity", true, "within");
        outcome.checks[2] = check("audience", false, "issued for x, not for y");
        assert_eq!(
            not_valid_headline(&outcome).as_deref(),
            Some("NOT ISSUED FOR YOUR ORGANISATION: issued for x, not for y")
        );
        outcome.checks[2] = check("audience", true, "no audience expected");
        outcome.checks.insert(
            3,
            check(
                "policies",
                false,
                "llama-2@1: the verdict \"CONTAMINATED\" is not one a certificate is issued on",
            ),
        );
        assert_eq!(
            not_valid_headline(&outcome).as_deref(),
            Some(
                "A COVERED POLICY DOES NOT HOLD: llama-2@1: the verdict \"CONTAMINATED\" is not one a certificate is issued on"
            )
        );
    }

    #[test]
    fn without_an_organisation_id_the_audience_is_not_checked_and_asked_for() {
        let mut outcome = outcome(true);
        outcome.checks = vec![check("audience", true, "no audience expected")];
        let page = result_page(&outcome);
        assert!(!page.contains(">PASSED<"), "{page}");
        assert!(page.contains(">NOT CHECKED<") && page.contains("enter your organisation id"));
        assert!(page.contains("VALID: every check made passed (the audience was not checked)"));
        outcome.form.audience = "0192f0c1-0000-7000-8000-00000000b0b0".into();
        outcome.checks = vec![check(
            "audience",
            true,
            "issued for the expected organisation",
        )];
        let page = result_page(&outcome);
        assert!(page.contains("VALID: every check passed") && page.contains(">PASSED<"));
    }

    #[test]
    fn a_certificate_asked_for_by_id_shows_its_status_and_nothing_else() {
        let asked = StatusById {
            id: "0192f0c1-7a2b-7c3d-8e4f-0000000000c1".into(),
            status: Some(CertificateStatus::Revoked),
            since: DateTime::from_timestamp(1_796_411_760, 0),
            until: None,
        };
        let page = form_page(None, &FormValues::default(), Some(&asked));
        assert!(page.contains("REVOKED on 2026-12-04 19:16 UTC"));
        let unknown = StatusById {
            status: None,
            since: None,
            ..asked
        };
        assert!(form_page(None, &FormValues::default(), Some(&unknown)).contains("UNKNOWN"));
    }
}
