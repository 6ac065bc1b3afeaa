//! The public verification page: the form (paste a token, or upload a rendered certificate or a
//! bundle) and the result (every check by name, the status and its history, and what the
//! registry may show an anonymous viewer of the certificate). Pure: server-rendered HTML that
//! needs no script and fetches nothing.

use chrono::{DateTime, Utc};

use super::certificate_html::{
    self, AttestationEntry, CertificateDocument, EvidenceEntry, LogEntry, PolicyText, Standing,
    StatusChange,
};
use super::html::{self, escape};
use super::lineage_svg::{LineageGraph, LineageNode, NodeState};
use crate::domain::certificate::{CertificateClaims, CertificateStatus};
use crate::domain::public_lineage::{self, PublicLineage};
use crate::registry::certificate_page::PublicCertificateFacts;

/// Where the page is served.
pub const VERIFY_PATH: &str = "/verify";

/// Largest request body the page and the JSON endpoint read: a token is at most 128 KiB, and a
/// rendered certificate of a large lineage a few hundred.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One check of a verification, as shown.
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
    /// What may be shown of the certificate: only when its signature verified and the registry
    /// holds this very token.
    pub document: Option<CertificateDocument>,
}

/// The name a status has on the page and in JSON answers.
pub fn status_name(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "VALID",
        CertificateStatus::Revoked => "REVOKED",
        CertificateStatus::Expired => "EXPIRED",
    }
}

/// The form, with an error to show above it (a bad upload, a malformed field), if any.
pub fn form_page(error: Option<&str>) -> String {
    let mut body = String::from(
        "<header>\n<h1>Verify a lineage certificate</h1>\n<p>A lineage certificate states that a dataset's whole lineage was judged clean under a policy, and is signed by this registry. Paste its token, or upload the certificate file attached to your contract. No account is needed, and nothing you submit is stored.</p>\n</header>\n<main>\n",
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<div role=\"alert\" class=\"verdict bad\"><strong>Cannot verify:</strong> {}</div>\n",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{VERIFY_PATH}\" enctype=\"multipart/form-data\">\n\
<fieldset>\n<legend>The certificate</legend>\n\
<label for=\"token\">Paste the certificate token</label>\n\
<textarea id=\"token\" name=\"token\" rows=\"6\" spellcheck=\"false\" autocomplete=\"off\" aria-describedby=\"token-hint\"></textarea>\n\
<p id=\"token-hint\" class=\"hint\">The compact JWS: three parts separated by dots, starting with <code>eyJ</code>.</p>\n\
<label for=\"file\">or upload the certificate file</label>\n\
<input type=\"file\" id=\"file\" name=\"file\" accept=\".html,.htm,.json,.jws,.jwt,.txt,text/html,application/json,text/plain\" aria-describedby=\"file-hint\">\n\
<p id=\"file-hint\" class=\"hint\">A rendered certificate (<code>provctl cert render</code>, HTML), a bundle (<code>provctl cert bundle</code>, JSON) or a file holding the token; at most 1 MiB. A pasted token is used when both are given.</p>\n\
</fieldset>\n\
<fieldset>\n<legend>Optional checks</legend>\n\
<label for=\"audience\">Your organisation id <span class=\"hint\">(the certificate must have been issued for it)</span></label>\n\
<input type=\"text\" id=\"audience\" name=\"audience_organization_id\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"e.g. 0192f0c1-...\">\n\
<label for=\"as_of\">Judge as of <span class=\"hint\">(RFC 3339, e.g. the contract's date; empty for now)</span></label>\n\
<input type=\"text\" id=\"as_of\" name=\"as_of\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"2027-03-01T00:00:00Z\">\n\
</fieldset>\n\
<button type=\"submit\">Verify</button>\n\
</form>\n\
<p class=\"note\">Machines: <code>POST /v1/certificates:verify</code> with <code>{{\"token\": \"...\"}}</code> answers the same checks as JSON; the registry's public keys are at <code>/.well-known/jwks.json</code>.</p>\n\
</main>\n"
    ));
    html::document("Verify a lineage certificate", &body)
}

/// The result of a verification.
pub fn result_page(outcome: &VerifyOutcome) -> String {
    let failed: Vec<&str> = outcome
        .checks
        .iter()
        .filter(|c| !c.passed && !c.detail.starts_with("not checked"))
        .map(|c| c.name.as_str())
        .collect();
    let mut body = String::from("<header>\n<h1>Verification result</h1>\n");
    if outcome.valid {
        body.push_str(
            "<p role=\"status\" id=\"result\" class=\"verdict ok\">VALID: every check passed</p>\n",
        );
    } else {
        body.push_str(&format!(
            "<p role=\"status\" id=\"result\" class=\"verdict bad\">NOT VALID: failed {}</p>\n",
            escape(&failed.join(", "))
        ));
    }
    body.push_str(&format!(
        "<p class=\"note\">Checked: {}{}. Status in the registry: <strong id=\"status\">{}</strong>.</p>\n</header>\n<main>\n",
        escape(&outcome.source),
        outcome
            .as_of
            .map(|t| format!(", as of {}", escape(&html::time(t))))
            .unwrap_or_default(),
        escape(outcome.status.as_deref().unwrap_or("UNKNOWN: the registry does not vouch for this token")),
    ));
    body.push_str(
        "<section>\n<h2 id=\"checks\">Checks</h2>\n<table id=\"check-table\" class=\"checks\">\n<caption class=\"note\">Each check the registry made, in order; a check after a failed one is not made.</caption>\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Result</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n",
    );
    for check in &outcome.checks {
        let (class, word) = if check.passed {
            ("pass", "PASSED")
        } else if check.detail.starts_with("not checked") {
            ("note", "NOT CHECKED")
        } else {
            ("fail", "FAILED")
        };
        body.push_str(&format!(
            "<tr data-check=\"{name}\"><th scope=\"row\"><code>{name}</code></th><td class=\"result {class}\">{word}</td><td>{}</td></tr>\n",
            escape(&check.detail),
            name = escape(&check.name),
        ));
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
    match &outcome.document {
        Some(document) => body.push_str(&certificate_html::sections(document)),
        None => body.push_str(
            "<p class=\"note\" id=\"nothing-shown\">Nothing more is shown: only a token this registry signed and still holds is described here, so nothing a token claims is repeated until its signature verifies.</p>\n",
        ),
    }
    body.push_str(&format!(
        "<p class=\"screen-only\"><a href=\"{VERIFY_PATH}\">Verify another certificate</a></p>\n</main>\n"
    ));
    html::document(
        if outcome.valid {
            "Certificate valid"
        } else {
            "Certificate NOT valid"
        },
        &body,
    )
}

/// What the page shows of a certificate, from what an anonymous viewer may see of it.
pub fn public_document(
    token: &str,
    claims: &CertificateClaims,
    facts: &PublicCertificateFacts,
    as_of: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CertificateDocument {
    let at = as_of.unwrap_or(now);
    let record = &facts.record;
    let revoked_by_then = record.revoke_time.is_some_and(|t| t <= at);
    CertificateDocument {
        token: token.to_owned(),
        claims: claims.clone(),
        jwks_json: None,
        policy: facts.policy.as_ref().map(|p| PolicyText {
            title: p.title.clone(),
            clause: p.clause.clone(),
            source: policy_source(p),
        }),
        lineage: facts.lineage.as_ref().map(lineage_graph),
        lineage_note: facts.lineage.as_ref().map_or_else(
            || Some("the policy it was judged under is no longer loaded by this registry".into()),
            |lineage| {
                let hidden: usize = lineage.nodes.iter().map(|n| n.hidden).sum();
                (hidden > 0).then(|| {
                    format!(
                        "{hidden} dataset(s) private to their owners are not named here; they are counted in the lineage size and covered by the signed lineage digest. Marks show how things stand now."
                    )
                })
            },
        ),
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
                method: a.method.as_str().to_ascii_uppercase(),
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
        registry_url: None,
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
                let state = match (&n.dataset, &n.standing) {
                    (None, _) => NodeState::Hidden(n.hidden),
                    (Some(_), public_lineage::Standing::Attested) => NodeState::Attested,
                    (Some(_), public_lineage::Standing::Unattested) => NodeState::Unattested,
                    (Some(_), public_lineage::Standing::MadeFromContaminated) => {
                        NodeState::MadeFromContaminated
                    }
                    (Some(_), public_lineage::Standing::Contaminated(reason)) => {
                        NodeState::Contaminated(reason.clone().unwrap_or_default())
                    }
                };
                let (label, detail) = match &n.dataset {
                    Some(d) => (format!("{}@{}", d.name, d.version), d.id.to_string()),
                    None => (
                        format!("{} hidden dataset(s)", n.hidden),
                        match &n.standing {
                            public_lineage::Standing::Contaminated(_) => {
                                "one of them is CONTAMINATED".into()
                            }
                            public_lineage::Standing::MadeFromContaminated => {
                                "made from contaminated data".into()
                            }
                            public_lineage::Standing::Unattested => "not all attested now".into(),
                            public_lineage::Standing::Attested => "all attested".into(),
                        },
                    ),
                };
                LineageNode {
                    key: n.key.clone(),
                    label,
                    detail,
                    state,
                }
            })
            .collect(),
        edges: lineage.edges.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(valid: bool) -> VerifyOutcome {
        VerifyOutcome {
            valid,
            status: Some("REVOKED".into()),
            checks: vec![
                CheckRow {
                    name: "signature".into(),
                    passed: valid,
                    detail: "<script>x</script>".into(),
                },
                CheckRow {
                    name: "status".into(),
                    passed: false,
                    detail: "not checked: an earlier check failed".into(),
                },
            ],
            source: "uploaded file \"><script>.html".into(),
            as_of: None,
            document: None,
        }
    }

    #[test]
    fn the_form_labels_every_control_and_needs_no_script() {
        let page = form_page(Some("<b>bad</b>"));
        for id in ["token", "file", "audience", "as_of"] {
            assert!(page.contains(&format!("<label for=\"{id}\"")), "{id}");
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(!page.contains("<script"));
        assert!(page.contains("&lt;b&gt;bad&lt;/b&gt;"));
        assert!(page.contains("enctype=\"multipart/form-data\""));
    }

    #[test]
    fn a_failed_verification_names_the_failed_checks_in_words() {
        let page = result_page(&outcome(false));
        assert!(page.contains("NOT VALID: failed signature"));
        assert!(page.contains(">FAILED<") && page.contains(">NOT CHECKED<"));
        assert!(!page.contains("<script"));
        assert!(page.contains("id=\"nothing-shown\""));
        let page = result_page(&outcome(true));
        assert!(page.contains("VALID: every check passed") && page.contains(">PASSED<"));
    }
}
