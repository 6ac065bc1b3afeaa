//! A lineage certificate as one self-contained HTML document for people: what was certified,
//! under which clause, the verdict, the lineage as a picture, every attestation, the validity and
//! status, the log entry, and the token and keys a machine verifies, with instructions to verify
//! it independently. Pure: the caller gathers the facts ([`CertificateDocument`]); this module only
//! writes markup, escaping every string it did not write itself.
//!
//! The token sits in `<pre id="certificate-token">`, so that the verification page (and anyone)
//! finds it again in a saved or uploaded copy ([`crate::extract`]).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::html::{self, escape, facts_table};
use crate::lineage_svg::{self, LineageGraph};
use provenance_api::certificate::CertificateClaims;

/// The id of the element holding the token in a rendered certificate.
pub const TOKEN_ELEMENT_ID: &str = "certificate-token";

/// The policy's clause as the certificate's reader should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    /// The policy's title.
    pub title: String,
    /// The clause, verbatim.
    pub clause: String,
    /// Where the clause comes from, in one line ([`PolicyText::source_line`]).
    pub source: String,
}

impl PolicyText {
    /// Where a clause comes from, in one line: the parts of a policy's `[source]` that are given
    /// (publisher, record id, document, its date, URL), in that order.
    pub fn source_line(parts: &[&str]) -> String {
        parts
            .iter()
            .filter(|part| !part.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One piece of evidence an attestation relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceEntry {
    /// Where it is.
    pub uri: String,
    /// Its SHA-256, when given.
    pub digest: Option<String>,
    /// What it is, when given.
    pub description: Option<String>,
}

/// One attestation the verdict rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationEntry {
    /// Its id.
    pub id: String,
    /// The attested dataset, as `name@version (id)`.
    pub dataset: String,
    /// The attesting organisation's id.
    pub organization_id: String,
    /// Who recorded it (the subject of the token used).
    pub attester: String,
    /// When.
    pub time: DateTime<Utc>,
    /// When it stops counting, if ever.
    pub expires: Option<DateTime<Utc>>,
    /// How (e.g. `MANUAL_REVIEW`).
    pub method: String,
    /// The statement.
    pub statement: String,
    /// What it relied on.
    pub evidence: Vec<EvidenceEntry>,
    /// When and why it was revoked, if it was.
    pub revoked: Option<String>,
}

/// One change of the certificate's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status from then on (`VALID`, `REVOKED`, `EXPIRED`).
    pub status: String,
    /// When.
    pub time: DateTime<Utc>,
    /// Why, for a revocation.
    pub reason: Option<String>,
}

/// The registry's answer about the certificate's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// `VALID`, `REVOKED` or `EXPIRED`.
    pub status: String,
    /// When the registry was asked.
    pub checked_at: DateTime<Utc>,
    /// Changes, oldest first.
    pub history: Vec<StatusChange>,
    /// What caused a revocation (`certificates/<id>`, `attestations/<id>`, ...).
    pub revoke_cause: Option<String>,
}

/// The certificate's entry in the transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Leaf index of its `certificate.issued` event.
    pub log_index: u64,
    /// The signed checkpoint note it was checked against, when fetched.
    pub checkpoint: Option<String>,
    /// The outcome of checking the inclusion proof, in words, when checked.
    pub inclusion: Option<String>,
}

/// Everything the document shows. Only `token` and `claims` are needed; the rest is shown when
/// known, and its absence is said.
#[derive(Debug, Clone)]
pub struct CertificateDocument {
    /// The compact JWS.
    pub token: String,
    /// Its claims (decoded; verification is the reader's, with the instructions given).
    pub claims: CertificateClaims,
    /// The registry's public keys (JWKS JSON), when known.
    pub jwks_json: Option<String>,
    /// The clause, when known.
    pub policy: Option<PolicyText>,
    /// The lineage picture, when known.
    pub lineage: Option<LineageGraph>,
    /// What the picture leaves out or how it was made, in one sentence.
    pub lineage_note: Option<String>,
    /// The attestations that could be read.
    pub attestations: Vec<AttestationEntry>,
    /// Attestations named by the certificate but not shown (private, or unreadable).
    pub attestations_not_shown: usize,
    /// The registry's status, when asked.
    pub standing: Option<Standing>,
    /// The transparency log entry, when known.
    pub log: Option<LogEntry>,
    /// The registry's address, for the instructions (e.g. `https://registry.example:50051`).
    pub registry_url: Option<String>,
    /// When the document was made.
    pub produced_at: DateTime<Utc>,
}

/// The complete, self-contained document.
pub fn render(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let title = format!(
        "Lineage certificate: {}@{}",
        claims.dataset.name, claims.dataset.version
    );
    let mut body = format!(
        "<header>\n<h1>Lineage certificate</h1>\n<p class=\"note\">{} — certificate <span class=\"mono\">{}</span>, made {}. This document is a readable copy; the signed token below is what counts.</p>\n{}</header>\n<main>\n",
        escape(&format!(
            "{}@{}",
            claims.dataset.name, claims.dataset.version
        )),
        escape(&claims.jti),
        escape(&html::time(doc.produced_at)),
        summary_line(doc),
    );
    body.push_str(&sections(doc));
    body.push_str(&machine_section(doc));
    body.push_str(&instructions(doc));
    body.push_str("</main>\n");
    html::document(&title, &body)
}

/// The verdict and, when known, the status, in words.
fn summary_line(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let verdict = match &claims.target_model {
        Some(target) => format!("{} for target model {target}", claims.verdict),
        None => claims.verdict.clone(),
    };
    let verdict_class = if claims.verdict == "CLEAN" || claims.verdict == "EXEMPT" {
        "ok"
    } else {
        "bad"
    };
    let mut line = format!(
        "<p><span class=\"verdict {verdict_class}\">Verdict: {}</span> under policy <span class=\"mono\">{}</span> version <span class=\"mono\">{}</span>",
        escape(&verdict),
        escape(&claims.policy.id),
        escape(&claims.policy.version),
    );
    if let Some(standing) = &doc.standing {
        line.push_str(&format!(
            " <span class=\"verdict {}\">Status: {}</span> <span class=\"note\">as the registry stated it at {}</span>",
            if standing.status == "VALID" { "ok" } else { "bad" },
            escape(&standing.status),
            escape(&html::time(standing.checked_at)),
        ));
    }
    line.push_str("</p>\n");
    line
}

/// The sections about what the certificate states, shared with the verification page: the
/// dataset, the policy, the lineage, the attestations, the validity and status, the log entry.
pub fn sections(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::new();
    let optional = |value: &Option<String>, none: &str| match value {
        Some(v) => escape(v),
        None => format!("<span class=\"note\">{}</span>", escape(none)),
    };
    out.push_str("<section>\n<h2 id=\"certificate\">Certificate</h2>\n");
    out.push_str(&facts_table(
        "Which certificate this is, and who signed it.",
        &[
            (
                "Certificate id",
                format!("<span class=\"mono\">{}</span>", escape(&claims.jti)),
            ),
            ("Issuer", escape(&claims.iss)),
            (
                "Signing key id",
                format!(
                    "<span class=\"mono\">{}</span>",
                    escape(&token_kid(&doc.token).unwrap_or_else(|| "(unknown)".into()))
                ),
            ),
        ],
    ));
    out.push_str("</section>\n");
    out.push_str("<section>\n<h2 id=\"dataset\">Certified dataset</h2>\n");
    out.push_str(&facts_table(
        "The dataset the certificate is for, as the signed token states it.",
        &[
            ("Name", escape(&claims.dataset.name)),
            ("Version", escape(&claims.dataset.version)),
            (
                "Content digest",
                format!(
                    "<span class=\"mono\">{}</span>",
                    escape(&claims.dataset.content_digest)
                ),
            ),
            (
                "Dataset id",
                format!("<span class=\"mono\">{}</span>", escape(&claims.dataset.id)),
            ),
            (
                "Owner (organisation id)",
                format!(
                    "<span class=\"mono\">{}</span>",
                    escape(&claims.dataset.organization_id)
                ),
            ),
            (
                "Issued for (buyer organisation id)",
                optional(&claims.aud, "anyone: no audience named"),
            ),
            (
                "Contract reference",
                optional(&claims.contract_reference, "none given"),
            ),
        ],
    ));
    out.push_str("</section>\n");

    out.push_str("<section>\n<h2 id=\"policy\">Policy and clause</h2>\n");
    let mut rows = vec![
        ("Policy", escape(&claims.policy.id)),
        ("Version", escape(&claims.policy.version)),
        (
            "Clause SHA-256 (certified)",
            format!(
                "<span class=\"mono\">{}</span>",
                escape(&claims.policy.clause_sha256)
            ),
        ),
    ];
    if let Some(policy) = &doc.policy {
        let computed = hex::encode(Sha256::digest(policy.clause.as_bytes()));
        let matches = computed == claims.policy.clause_sha256;
        rows.insert(0, ("Title", escape(&policy.title)));
        rows.push((
            "SHA-256 of the clause shown",
            format!(
                "<span class=\"mono\">{}</span> <span class=\"{}\">{}</span>",
                escape(&computed),
                if matches { "pass" } else { "fail" },
                if matches {
                    "matches the certificate"
                } else {
                    "DOES NOT MATCH the certificate: this is not the clause it was judged under"
                }
            ),
        ));
        rows.push(("Source", escape(&policy.source)));
    }
    out.push_str(&facts_table(
        "The clause the lineage was judged against.",
        &rows,
    ));
    match &doc.policy {
        Some(policy) => out.push_str(&format!(
            "<blockquote>{}</blockquote>\n",
            escape(&policy.clause)
        )),
        None => out.push_str(
            "<p class=\"note\">The clause's text was not available when this was made; its SHA-256 above identifies it.</p>\n",
        ),
    }
    out.push_str(&format!(
        "<p>Verdict: <strong>{}</strong>{}. A certificate is issued only when every dataset of the lineage carries its owner's attestation and nothing in it is contaminated ({}), and the verdict is checked again when it is stored.</p>\n",
        escape(&claims.verdict),
        claims
            .target_model
            .as_ref()
            .map(|t| format!(" for target model <span class=\"mono\">{}</span>", escape(t)))
            .unwrap_or_default(),
        if claims.verdict == "EXEMPT" {
            "or the target model is exempt under the clause"
        } else {
            "CLEAN"
        },
    ));
    out.push_str("</section>\n");

    out.push_str(&lineage_section(doc));
    out.push_str(&attestations_section(doc));

    out.push_str("<section>\n<h2 id=\"validity\">Validity and status</h2>\n");
    let mut rows = vec![
        ("Issued", escape(&html::epoch(claims.iat))),
        ("Valid from", escape(&html::epoch(claims.nbf))),
        ("Valid until", escape(&html::epoch(claims.exp))),
    ];
    match &doc.standing {
        Some(standing) => {
            rows.push((
                "Status",
                format!(
                    "<strong>{}</strong> <span class=\"note\">(the registry's answer at {})</span>",
                    escape(&standing.status),
                    escape(&html::time(standing.checked_at))
                ),
            ));
            if let Some(cause) = &standing.revoke_cause {
                rows.push((
                    "Revocation caused by",
                    format!("<span class=\"mono\">{}</span>", escape(cause)),
                ));
            }
        }
        None => rows.push((
            "Status",
            "<span class=\"note\">not asked: verify online to learn whether it was revoked</span>"
                .into(),
        )),
    }
    out.push_str(&facts_table(
        "When the certificate holds, and where it stands.",
        &rows,
    ));
    if let Some(standing) = doc.standing.as_ref().filter(|s| !s.history.is_empty()) {
        out.push_str(
            "<table>\n<caption class=\"note\">Status history, oldest first.</caption>\n<thead><tr><th scope=\"col\">From</th><th scope=\"col\">Status</th><th scope=\"col\">Reason</th></tr></thead>\n<tbody>\n",
        );
        for change in &standing.history {
            out.push_str(&format!(
                "<tr><td>{}</td><td><strong>{}</strong></td><td>{}</td></tr>\n",
                escape(&html::time(change.time)),
                escape(&change.status),
                escape(change.reason.as_deref().unwrap_or("")),
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");

    if let Some(log) = &doc.log {
        out.push_str("<section>\n<h2 id=\"log\">Transparency log</h2>\n");
        out.push_str(&format!(
            "<p>The issuance of this certificate is leaf <strong class=\"mono\">{}</strong> of the registry's transparency log (its <code>certificate.issued</code> event, whose payload holds the token's SHA-256).</p>\n",
            log.log_index
        ));
        if let Some(inclusion) = &log.inclusion {
            out.push_str(&format!("<p>{}</p>\n", escape(inclusion)));
        }
        if let Some(note) = &log.checkpoint {
            out.push_str(&format!(
                "<h3>Signed checkpoint</h3>\n<pre class=\"checkpoint\">{}</pre>\n",
                escape(note)
            ));
        }
        out.push_str("</section>\n");
    }
    out
}

fn lineage_section(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::from("<section>\n<h2 id=\"lineage\">Lineage</h2>\n");
    out.push_str(&facts_table(
        "The whole upstream lineage the certificate covers.",
        &[
            (
                "Lineage digest",
                format!(
                    "<span class=\"mono\">{}</span>",
                    escape(&claims.lineage.digest)
                ),
            ),
            (
                "Datasets in the lineage",
                format!("{} (the certified one included)", claims.lineage.size),
            ),
        ],
    ));
    match &doc.lineage {
        Some(graph) => {
            out.push_str("<figure>\n");
            out.push_str(&lineage_svg::render(
                graph,
                &format!(
                    "Lineage of {}@{}",
                    claims.dataset.name, claims.dataset.version
                ),
            ));
            out.push_str(
                "\n<figcaption class=\"note\">Arrows point from what a dataset was made from to what was made; the certified dataset is at the bottom, in a thick box. Marks: <strong>attested</strong> (its owner's attestation counts), <strong>NOT ATTESTED</strong> (dashed), <strong>CONTAMINATED</strong> (red), <strong>made from contaminated data</strong> (red outline), <strong>hidden</strong> (grey: private to its owner).",
            );
            if let Some(note) = &doc.lineage_note {
                out.push_str(&format!(" {}", escape(note)));
            }
            out.push_str("</figcaption>\n</figure>\n");
        }
        None => out.push_str(&format!(
            "<p class=\"note\">The lineage picture is not available: {}</p>\n",
            escape(
                doc.lineage_note
                    .as_deref()
                    .unwrap_or("the lineage was not fetched")
            )
        )),
    }
    out.push_str("</section>\n");
    out
}

fn attestations_section(doc: &CertificateDocument) -> String {
    let mut out = String::from("<section>\n<h2 id=\"attestations\">Attestations</h2>\n");
    out.push_str(&format!(
        "<p>The verdict rests on {} attestation(s), each an owner's signed-off statement that its dataset holds no output of a restricted model.</p>\n",
        doc.claims.attestation_total()
    ));
    for a in &doc.attestations {
        let mut evidence = String::new();
        for e in &a.evidence {
            evidence.push_str(&format!(
                "<li><span class=\"mono\">{}</span>{}{}</li>",
                escape(&e.uri),
                e.digest
                    .as_ref()
                    .map(|d| format!(" — SHA-256 <span class=\"mono\">{}</span>", escape(d)))
                    .unwrap_or_default(),
                e.description
                    .as_ref()
                    .map(|d| format!(" — {}", escape(d)))
                    .unwrap_or_default(),
            ));
        }
        let mut rows = vec![
            ("Dataset", escape(&a.dataset)),
            (
                "Attested by",
                format!(
                    "{} <span class=\"note\">of organisation</span> <span class=\"mono\">{}</span>",
                    escape(&a.attester),
                    escape(&a.organization_id)
                ),
            ),
            ("When", escape(&html::time(a.time))),
            ("Method", escape(&a.method)),
            ("Statement", escape(&a.statement)),
            (
                "Evidence",
                if evidence.is_empty() {
                    "<span class=\"note\">none listed</span>".into()
                } else {
                    format!("<ul>{evidence}</ul>")
                },
            ),
            (
                "Expires",
                a.expires
                    .map(|t| escape(&html::time(t)))
                    .unwrap_or_else(|| "never".into()),
            ),
        ];
        if let Some(revoked) = &a.revoked {
            rows.push((
                "Revoked",
                format!(
                    "<strong class=\"fail\">REVOKED</strong> {}",
                    escape(revoked)
                ),
            ));
        }
        out.push_str(&facts_table(&format!("Attestation {}", a.id), &rows));
    }
    if doc.attestations_not_shown > 0 {
        out.push_str(&format!(
            "<p class=\"note\">{} attestation(s) named by the certificate are not shown: they concern datasets private to their owner, or could not be read when this was made. Their ids are in the signed token.</p>\n",
            doc.attestations_not_shown
        ));
    }
    out.push_str("</section>\n");
    out
}

/// The token and the keys, for machines.
fn machine_section(doc: &CertificateDocument) -> String {
    let mut out = String::from("<section>\n<h2 id=\"token\">Machine-verifiable certificate</h2>\n");
    out.push_str(&format!(
        "<p>The certificate itself is this compact JWS (Ed25519, <code>typ: lineage-cert+jwt</code>), signed with key <span class=\"mono\">{}</span> by issuer <span class=\"mono\">{}</span>. Everything above is a readable copy of it and of the registry's records; only the token is signed.</p>\n<pre id=\"{TOKEN_ELEMENT_ID}\" class=\"token\">{}</pre>\n",
        escape(&token_kid(&doc.token).unwrap_or_else(|| "(unknown)".into())),
        escape(&doc.claims.iss),
        escape(&doc.token),
    ));
    match &doc.jwks_json {
        Some(jwks) => out.push_str(&format!(
            "<h3>The registry's public keys (JWKS)</h3>\n<p class=\"note\">As the registry published them when this was made. Compare them with the keys the registry serves at <code>/.well-known/jwks.json</code>, or with a copy you pinned earlier, before relying on them.</p>\n<pre id=\"certificate-jwks\">{}</pre>\n",
            escape(jwks)
        )),
        None => out.push_str(
            "<p class=\"note\">The registry's public keys were not included; fetch them from the registry at <code>/.well-known/jwks.json</code>.</p>\n",
        ),
    }
    out.push_str("</section>\n");
    out
}

/// The `kid` of a token's header, when it has a readable one.
fn token_kid(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("kid")?.as_str().map(str::to_owned)
}

fn instructions(doc: &CertificateDocument) -> String {
    let registry = doc
        .registry_url
        .clone()
        .unwrap_or_else(|| "https://REGISTRY:50051".into());
    format!(
        "<section>\n<h2 id=\"verify\">How to verify this certificate independently</h2>\n\
<p>Do not rely on this page's words alone: anyone can edit an HTML file. The signed token is what counts, and any of these checks it. Each needs no account.</p>\n\
<ol>\n\
<li><strong>In a browser:</strong> open <span class=\"mono\">{registry}/verify</span>, and upload this file (or paste the token). The page shows every check, whether the certificate was revoked, and its lineage.</li>\n\
<li><strong>With the command-line client:</strong> save the token to a file and run <code>provctl --url {registry} cert verify token.jws</code> (add <code>--audience YOUR_ORG_ID</code> to check it was issued for you). Exit code 0 means valid. With <code>--offline --jwks keys.json</code> it checks the signature with keys you pinned, without the network (but cannot tell whether it was revoked).</li>\n\
<li><strong>In Python</strong> (PyJWT with <code>cryptography</code>):\n<pre>import jwt, urllib.request\n\
jwks = jwt.PyJWKSet.from_json(urllib.request.urlopen(\"{registry}/.well-known/jwks.json\").read())\n\
header = jwt.get_unverified_header(token)\n\
assert header[\"typ\"] == \"lineage-cert+jwt\"\n\
claims = jwt.decode(token, key=jwks[header[\"kid\"]], algorithms=[\"EdDSA\"],\n\
                    issuer=\"{issuer}\", options={{\"verify_aud\": False}})\n\
print(claims[\"dataset\"], claims[\"verdict\"])</pre>\n\
then ask the registry whether it still stands: <code>POST {registry}/v1/certificates:verify</code> with <code>{{\"token\": \"...\"}}</code> answers every check, revocation included.</li>\n\
</ol>\n\
<p class=\"note\">The lineage digest in the token binds the certificate to the whole upstream lineage: a dataset added, removed or changed anywhere in it gives another digest, and the registry's <code>lineage</code> check fails. To print this document, use the browser's print dialog (A4); to make a PDF, print to PDF or run <code>chromium --headless --print-to-pdf=certificate.pdf certificate.html</code>.</p>\n\
</section>\n",
        registry = escape(&registry),
        issuer = escape(&doc.claims.iss),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lineage_svg::{LineageNode, NodeState};

    /// Claims whose every string is hostile.
    pub(crate) fn hostile_claims() -> CertificateClaims {
        let evil = "<script>alert('x')</script>\"'&";
        serde_json::from_value(serde_json::json!({
            "iss": evil,
            "sub": "datasets/d1",
            "iat": 1_800_000_000, "nbf": 1_800_000_000, "exp": 1_807_776_000,
            "jti": evil,
            "dataset": {"id": evil, "organization_id": evil, "name": evil, "version": evil,
                        "content_digest": evil},
            "lineage": {"digest": evil, "size": 2, "members": [evil], "members_complete": true},
            "policy": {"id": evil, "version": evil, "clause_sha256": evil},
            "verdict": evil,
            "target_model": evil,
            "contract_reference": evil,
            "attestations": [evil],
        }))
        .expect("claims")
    }

    pub(crate) fn hostile_document() -> CertificateDocument {
        let evil = "<script>alert('x')</script>\"'&";
        CertificateDocument {
            token: format!("eyJ.{evil}.x"),
            claims: hostile_claims(),
            jwks_json: Some(evil.into()),
            policy: Some(PolicyText {
                title: evil.into(),
                clause: evil.into(),
                source: evil.into(),
            }),
            lineage: Some(LineageGraph {
                root: evil.into(),
                nodes: vec![LineageNode {
                    key: evil.into(),
                    label: evil.into(),
                    detail: evil.into(),
                    state: NodeState::Contaminated(evil.into()),
                }],
                edges: vec![],
            }),
            lineage_note: Some(evil.into()),
            attestations: vec![AttestationEntry {
                id: evil.into(),
                dataset: evil.into(),
                organization_id: evil.into(),
                attester: evil.into(),
                time: Utc::now(),
                expires: None,
                method: evil.into(),
                statement: evil.into(),
                evidence: vec![EvidenceEntry {
                    uri: evil.into(),
                    digest: Some(evil.into()),
                    description: Some(evil.into()),
                }],
                revoked: Some(evil.into()),
            }],
            attestations_not_shown: 1,
            standing: Some(Standing {
                status: evil.into(),
                checked_at: Utc::now(),
                history: vec![StatusChange {
                    status: evil.into(),
                    time: Utc::now(),
                    reason: Some(evil.into()),
                }],
                revoke_cause: Some(evil.into()),
            }),
            log: Some(LogEntry {
                log_index: 7,
                checkpoint: Some(evil.into()),
                inclusion: Some(evil.into()),
            }),
            registry_url: Some(evil.into()),
            produced_at: Utc::now(),
        }
    }

    #[test]
    fn nothing_the_certificate_or_registry_says_can_inject_markup() {
        let page = render(&hostile_document());
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("'x')"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&#39;&amp;"));
    }

    #[test]
    fn the_document_says_what_it_shows_and_is_printable() {
        let mut doc = hostile_document();
        doc.claims.dataset.name = "sft-mix".into();
        doc.claims.verdict = "CLEAN".into();
        doc.policy = Some(PolicyText {
            title: "Anti-distillation".into(),
            clause: "You will not.".into(),
            source: "a record".into(),
        });
        doc.claims.policy.clause_sha256 = hex::encode(Sha256::digest(b"You will not."));
        let page = render(&doc);
        for needle in [
            "<h1>Lineage certificate</h1>",
            "Verdict: CLEAN",
            "matches the certificate",
            "<blockquote>You will not.</blockquote>",
            "id=\"certificate-token\"",
            "@page { size: A4",
            "How to verify this certificate independently",
            "<svg",
            "Status history",
            "leaf <strong class=\"mono\">7</strong>",
        ] {
            assert!(page.contains(needle), "missing {needle:?}");
        }
        assert!(!page.contains("DOES NOT MATCH"));
    }

    #[test]
    fn a_clause_that_is_not_the_certified_one_is_flagged() {
        let mut doc = hostile_document();
        doc.claims.policy.clause_sha256 = "00".repeat(32);
        assert!(render(&doc).contains("DOES NOT MATCH"));
    }

    #[test]
    fn missing_facts_are_said_to_be_missing() {
        let mut doc = hostile_document();
        doc.policy = None;
        doc.lineage = None;
        doc.lineage_note = None;
        doc.standing = None;
        doc.jwks_json = None;
        doc.log = None;
        let page = render(&doc);
        assert!(
            page.contains("clause&#39;s text was not available")
                || page.contains("clause's text was not available")
        );
        assert!(page.contains("lineage picture is not available"));
        assert!(page.contains("not asked: verify online"));
        assert!(!page.contains("Transparency log"));
    }
}
