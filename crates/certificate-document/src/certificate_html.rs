//! A lineage certificate as one self-contained HTML document for people: what was certified,
//! under which clause, the verdict, the lineage as a picture, every attestation, the validity and
//! status, the log entry, and the token and keys a machine verifies, with instructions to verify
//! it independently. Pure: the caller gathers the facts ([`CertificateDocument`]); this module only
//! writes markup, escaping every string it did not write itself.
//!
//! The first printed page stands alone ([`summary`]): whether the certificate holds, in words and
//! with the time it was found so; who certified what, for whom, under which clause (quoted), valid
//! from when to when; and where to verify it, with a QR code. A certificate that is not valid says
//! so in its headline, in a banner on every section and in the top margin of every printed page,
//! and its green marks are greyed, so that no part of it, cut out or printed alone, reads as valid.
//!
//! The token sits in `<pre id="certificate-token">`, so that the verification page (and anyone)
//! finds it again in a saved or uploaded copy ([`crate::extract`]).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::html::{self, PageMarks, escape, facts_table};
use crate::lineage_svg::{self, LineageGraph};
use provenance_api::certificate::{CertificateClaims, CoveredPolicyClaim, ObligationClaim};

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
    /// How, as the API names it (e.g. `MANUAL_REVIEW`); shown in words.
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

/// Whether the certificate holds, as whoever made the document found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Every check passed at `at`; `caveat` says what was not checked (e.g. the audience).
    Valid {
        /// When it was verified.
        at: DateTime<Utc>,
        /// What the verification did not cover, if anything.
        caveat: Option<String>,
    },
    /// Not valid; the headline says why, in words (`REVOKED on 2026-12-04 19:16 UTC: ...`).
    NotValid {
        /// Why, for the headline, the banners and the top of every printed page.
        headline: String,
    },
    /// Only what could be checked without the registry was checked; `what` says what.
    Offline {
        /// What was checked, and what was not.
        what: String,
    },
}

impl Judgement {
    fn not_valid(&self) -> Option<&str> {
        match self {
            Judgement::NotValid { headline } => Some(headline),
            _ => None,
        }
    }
}

/// Everything the document shows. Only `token`, `claims` and `judgement` are needed; the rest is
/// shown when known, and its absence is said.
#[derive(Debug, Clone)]
pub struct CertificateDocument {
    /// The compact JWS.
    pub token: String,
    /// Its claims (decoded; verification is the reader's, with the instructions given).
    pub claims: CertificateClaims,
    /// Whether it holds, as found when the document was made.
    pub judgement: Judgement,
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
    let mut body = String::from("<main>\n");
    body.push_str(&summary(doc, "h1", "Lineage certificate", true));
    body.push_str(&sections(doc));
    body.push_str(&wrap(doc, &machine_section(doc)));
    body.push_str(&wrap(doc, &instructions(doc)));
    body.push_str(&format!(
        "<p class=\"note\">Made {} from the signed token and the registry's records.</p>\n</main>\n",
        escape(&html::time(doc.produced_at))
    ));
    html::document(&title, &body, &page_marks(doc, "Lineage certificate"))
}

/// What every printed page of a document about this certificate carries: its id and page number
/// at the foot, and, when it is not valid, why at the top.
pub fn page_marks(doc: &CertificateDocument, what: &str) -> PageMarks {
    PageMarks {
        footer: Some(format!("{what} {}", doc.claims.jti)),
        banner: doc
            .judgement
            .not_valid()
            .map(|headline| format!("NOT VALID — {headline}")),
    }
}

/// The headline: whether the certificate holds, in words, with the time it was found so.
pub fn headline(judgement: &Judgement) -> String {
    match judgement {
        Judgement::Valid { at, caveat } => format!(
            "<p id=\"headline\" class=\"verdict headline ok\">VALID: verified {}{}</p>\n",
            escape(&html::human_time(*at)),
            caveat
                .as_ref()
                .map(|c| format!("<br><span class=\"note\">{}</span>", escape(c)))
                .unwrap_or_default()
        ),
        Judgement::NotValid { headline } => format!(
            "<p id=\"headline\" class=\"verdict headline bad\">NOT VALID — {}</p>\n",
            escape(headline)
        ),
        Judgement::Offline { what } => format!(
            "<p id=\"headline\" class=\"verdict headline neutral\">NOT CHECKED ONLINE: {}</p>\n",
            escape(what)
        ),
    }
}

/// A banner repeating why the certificate is not valid, for the top of every section; empty when
/// it is valid.
fn banner(doc: &CertificateDocument) -> String {
    doc.judgement
        .not_valid()
        .map(|headline| {
            format!(
                "<p class=\"banner\" role=\"note\">NOT VALID — {}</p>\n",
                escape(headline)
            )
        })
        .unwrap_or_default()
}

/// `section` with the banner after its heading when the certificate is not valid.
fn wrap(doc: &CertificateDocument, section: &str) -> String {
    let banner = banner(doc);
    if banner.is_empty() {
        return section.to_owned();
    }
    match section.find("</h2>\n") {
        Some(at) => format!(
            "{}{banner}{}",
            &section[..at + "</h2>\n".len()],
            &section[at + "</h2>\n".len()..]
        ),
        None => section.to_owned(),
    }
}

/// A name from the claims with the id beside it; says so when the certificate names none.
fn named(name: Option<&str>, id: &str) -> String {
    match name {
        Some(name) => format!(
            "<strong>{}</strong><br><span class=\"note\">organisation id</span> {}",
            html::name(name),
            html::id(id)
        ),
        None => format!(
            "organisation {} <span class=\"note\">(its name is not in this certificate, which was issued before names were signed)</span>",
            html::id(id)
        ),
    }
}

/// The verdict in words.
fn verdict_words(claims: &CertificateClaims) -> String {
    let members = format!(
        "its whole lineage of {} dataset(s) was judged under the clause: each dataset attested by its owner, none contaminated",
        claims.lineage.size
    );
    match (claims.verdict.as_str(), &claims.target_model) {
        ("CLEAN", _) => format!("<strong>Clean</strong>: {}", escape(&members)),
        ("EXEMPT", Some(target)) => format!(
            "<strong>Exempt</strong> for target model <bdi>{}</bdi>: {}; restricted outputs in it may improve that model under the clause's exemption",
            escape(target),
            escape(&members)
        ),
        (other, _) => format!("<strong>{}</strong>", escape(&html::words(other))),
    }
}

/// Every policy the certificate covers as a table, one row each: id, version, kind, verdict,
/// obligations and the clause digest shortened (the whole of it in the cell's title), from
/// [`CertificateClaims::covered_policies`]. Empty for a certificate of one policy that owes
/// nothing, which the policy table says all of.
pub fn policies_matrix(claims: &CertificateClaims) -> String {
    let covered = claims.covered_policies();
    if covered.len() < 2 && covered.iter().all(|p| p.obligations.is_empty()) {
        return String::new();
    }
    let mut out = format!(
        "<table id=\"policies\" class=\"policies\">\n<caption class=\"note\">The {} policies the certificate covers, the first the one above, each with its verdict and what the lineage obliges the trained model to.</caption>\n<thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Version</th><th scope=\"col\">Kind</th><th scope=\"col\">Verdict</th><th scope=\"col\">Obligations</th><th scope=\"col\">Clause SHA-256</th></tr></thead>\n<tbody>\n",
        covered.len()
    );
    for policy in &covered {
        out.push_str(&format!(
            "<tr><th scope=\"row\"><bdi>{}</bdi></th><td><bdi>{}</bdi></td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"hash\" title=\"{}\">{}</span></td></tr>\n",
            escape(&policy.id),
            escape(&policy.version),
            if policy.kind.is_empty() {
                "(not stated)".to_owned()
            } else {
                escape(&html::words(&policy.kind))
            },
            covered_verdict_words(policy, claims.target_model.as_deref()),
            obligations_words(&policy.obligations),
            escape(&policy.clause_sha256),
            escape(&shortened(&policy.clause_sha256)),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// For a certificate of several policies, beside the first page's verdict: that it is the first
/// policy's, and where the others are. Empty for one policy.
fn other_policies_note(claims: &CertificateClaims) -> String {
    match claims.covered_policies().len() {
        0 | 1 => String::new(),
        n => format!(
            " <span class=\"note\">(under the first of the {n} policies the certificate covers; each, with its verdict and obligations, is listed under Policy and clause)</span>"
        ),
    }
}

/// A covered policy's verdict in a word or two, with the target model of an exemption.
fn covered_verdict_words(policy: &CoveredPolicyClaim, target_model: Option<&str>) -> String {
    match (policy.verdict.as_str(), target_model) {
        ("CLEAN", _) => "<strong>Clean</strong>".to_owned(),
        ("EXEMPT", Some(target)) => {
            format!("<strong>Exempt</strong> for <bdi>{}</bdi>", escape(target))
        }
        (other, _) => format!("<strong>{}</strong>", escape(&html::words(other))),
    }
}

/// What a covered policy's lineage owes, in words; `none` when nothing.
fn obligations_words(obligations: &[ObligationClaim]) -> String {
    if obligations.is_empty() {
        return "none".to_owned();
    }
    obligations
        .iter()
        .map(
            |owed| match (owed.kind.as_str(), owed.status.as_str(), &owed.name_prefix) {
                ("NAME_PREFIX", "MET", Some(prefix)) => {
                    format!("name begins with “<bdi>{}</bdi>”: met", escape(prefix))
                }
                ("INHERITED_TERMS", "APPLIES", _) => "bound by its terms".to_owned(),
                ("NO_COMPETING_USE", "MET", _) => "no competing use: met".to_owned(),
                (kind, status, _) => format!(
                    "{}: {}",
                    escape(&html::words(kind)),
                    escape(&html::words(status))
                ),
            },
        )
        .collect::<Vec<_>>()
        .join("; ")
}

/// A digest cut to its first twelve characters and an ellipsis, when longer.
fn shortened(digest: &str) -> String {
    let mut chars = digest.chars();
    let head: String = chars.by_ref().take(12).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// The certificate's status in words, with its time: the registry's answer, or why it is not
/// known.
fn status_words(doc: &CertificateDocument) -> String {
    let Some(standing) = &doc.standing else {
        return "<span class=\"note\">not asked: verify online to learn whether it was revoked</span>".into();
    };
    let change = standing
        .history
        .iter()
        .rev()
        .find(|c| c.status == standing.status);
    match (standing.status.as_str(), change) {
        ("VALID", _) => format!(
            "<strong class=\"pass\">Valid</strong>, as the registry answered at {}",
            escape(&html::human_time(standing.checked_at))
        ),
        (status, Some(change)) => format!(
            "<strong class=\"fail\">{} on {}</strong>{} <span class=\"note\">(the registry's answer at {})</span>",
            escape(&html::words(status)),
            escape(&html::human_time(change.time)),
            change
                .reason
                .as_ref()
                .map(|r| format!(": {}", escape(r)))
                .unwrap_or_default(),
            escape(&html::human_time(standing.checked_at))
        ),
        (status, None) => format!(
            "<strong class=\"fail\">{}</strong> <span class=\"note\">(the registry's answer at {})</span>",
            escape(&html::words(status)),
            escape(&html::human_time(standing.checked_at))
        ),
    }
}

/// The address that verifies this certificate: the operator's published page with the
/// certificate's id.
pub fn verification_link(claims: &CertificateClaims) -> Option<String> {
    claims
        .verification_url
        .as_ref()
        .map(|url| format!("{url}?certificate={}", claims.jti))
}

/// The first page, which stands alone: the headline, who certified what, for whom, under which
/// clause, the verdict, valid when, the status and where to verify it. `heading` is its heading's
/// element (`h1` in the document, `h2` on the verification page) and text; `with_headline` is
/// false where the page says the result above it already.
pub fn summary(
    doc: &CertificateDocument,
    element: &str,
    heading: &str,
    with_headline: bool,
) -> String {
    let claims = &doc.claims;
    let mut out = format!(
        "<section class=\"first-page{}\" id=\"summary\">\n<{element}>{}</{element}>\n{}",
        if doc.judgement.not_valid().is_some() {
            " not-valid"
        } else {
            ""
        },
        escape(heading),
        if with_headline {
            headline(&doc.judgement)
        } else {
            String::new()
        },
    );
    if let Some(link) = verification_link(claims) {
        out.push_str(&format!(
            "<div class=\"qr\">{}<span>Scan to verify</span></div>\n",
            crate::qr::svg(&link)
        ));
    }
    let clause = match &doc.policy {
        Some(policy) => format!(
            "{}<blockquote>{}</blockquote>",
            escape(&policy.title),
            escape(&policy.clause)
        ),
        None => format!(
            "<span class=\"note\">the clause's text was not available when this was made; its SHA-256 is</span> {}",
            html::hash(&claims.policy.clause_sha256)
        ),
    };
    let rows = vec![
        (
            "Certified dataset",
            format!(
                "<strong>{}</strong>@{}<br><span class=\"note\">dataset id</span> {}<br><span class=\"note\">content</span> {}",
                html::name(&claims.dataset.name),
                html::name(&claims.dataset.version),
                html::id(&claims.dataset.id),
                html::hash(&claims.dataset.content_digest),
            ),
        ),
        (
            "Certified by (owner)",
            named(
                claims.dataset.organization_name.as_deref(),
                &claims.dataset.organization_id,
            ),
        ),
        (
            "Issued for (buyer)",
            match &claims.aud {
                Some(aud) => named(claims.audience_name.as_deref(), aud),
                None => "<span class=\"note\">no buyer named: issued for anyone who holds it</span>"
                    .into(),
            },
        ),
        (
            "Contract",
            claims
                .contract_reference
                .as_ref()
                .map(|c| html::name(c))
                .unwrap_or_else(|| "<span class=\"note\">none given</span>".into()),
        ),
        (
            "Clause",
            format!(
                "{clause}<span class=\"note\">policy</span> <bdi>{}</bdi>, <span class=\"note\">version</span> <bdi>{}</bdi>",
                escape(&claims.policy.id),
                escape(&claims.policy.version)
            ),
        ),
        ("Verdict", verdict_words(claims) + &other_policies_note(claims)),
        (
            "Valid",
            format!(
                "from <strong>{}</strong> to <strong>{}</strong>",
                escape(&html::human_epoch(claims.nbf)),
                escape(&html::human_epoch(claims.exp))
            ),
        ),
        ("Status", status_words(doc)),
        (
            "Issued by",
            format!(
                "<bdi>{}</bdi> <span class=\"note\">on {}, signed with key</span> {}",
                escape(&claims.iss),
                escape(&html::human_epoch(claims.iat)),
                html::hash(&token_kid(&doc.token).unwrap_or_else(|| "(unknown)".into()))
            ),
        ),
        ("Certificate id", html::id(&claims.jti)),
        (
            "Verify at",
            match verification_link(claims) {
                Some(link) => format!("<span class=\"mono\">{}</span>", escape(&link)),
                None => "<span class=\"note\">the registry's operator published no verification address; any copy of the registry verifies it at /verify</span>".into(),
            },
        ),
    ];
    out.push_str(&facts_table(
        "What this certificate states. This is a readable copy: the signed token (under Machine-verifiable certificate) is what counts.",
        &rows,
    ));
    out.push_str("</section>\n");
    out
}

/// The sections about what the certificate states, shared with the verification page: the
/// certificate and the dataset in detail, the policy, the lineage, the attestations, the validity
/// and status, the log entry. When the certificate is not valid, each opens with a banner saying
/// so and its green marks are greyed.
pub fn sections(doc: &CertificateDocument) -> String {
    let not_valid = doc.judgement.not_valid().is_some();
    let mut out = String::from(if not_valid {
        "<div class=\"not-valid\">\n"
    } else {
        "<div>\n"
    });
    for section in [
        certificate_section(doc),
        policy_section(doc),
        lineage_section(doc),
        attestations_section(doc),
        validity_section(doc),
        log_section(doc),
    ] {
        out.push_str(&wrap(doc, &section));
    }
    out.push_str("</div>\n");
    out
}

fn certificate_section(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::from("<section>\n<h2 id=\"dataset\">Certified dataset</h2>\n");
    out.push_str(&facts_table(
        "The dataset the certificate is for and who signed it, as the signed token states them.",
        &[
            ("Name", html::name(&claims.dataset.name)),
            ("Version", html::name(&claims.dataset.version)),
            ("Content digest", html::hash(&claims.dataset.content_digest)),
            ("Dataset id", html::id(&claims.dataset.id)),
            (
                "Owner",
                named(
                    claims.dataset.organization_name.as_deref(),
                    &claims.dataset.organization_id,
                ),
            ),
            ("Certificate id", html::id(&claims.jti)),
            ("Issuer", escape(&claims.iss)),
            (
                "Signing key id",
                html::hash(&token_kid(&doc.token).unwrap_or_else(|| "(unknown)".into())),
            ),
        ],
    ));
    out.push_str("</section>\n");
    out
}

fn policy_section(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::from("<section>\n<h2 id=\"policy\">Policy and clause</h2>\n");
    let mut rows = vec![
        ("Policy", escape(&claims.policy.id)),
        ("Version", escape(&claims.policy.version)),
        (
            "Clause SHA-256 (certified)",
            html::hash(&claims.policy.clause_sha256),
        ),
    ];
    if let Some(policy) = &doc.policy {
        let computed = hex::encode(Sha256::digest(policy.clause.as_bytes()));
        let matches = computed == claims.policy.clause_sha256;
        rows.insert(0, ("Title", escape(&policy.title)));
        rows.push((
            "SHA-256 of the clause shown",
            format!(
                "{} <span class=\"{}\">{}</span>",
                html::hash(&computed),
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
    if let Some(purpose) = &claims.purpose {
        rows.push(("Declared purpose", escape(&html::words(purpose))));
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
    out.push_str(&policies_matrix(claims));
    out.push_str(&format!(
        "<p>Verdict: {}. A certificate is issued only when every dataset of the lineage carries its owner's attestation and nothing in it is contaminated{}, and the verdict is checked again when it is stored.</p>\n",
        verdict_words(claims),
        if claims.verdict == "EXEMPT" {
            ", or the target model is exempt under the clause"
        } else {
            ""
        },
    ));
    out.push_str("</section>\n");
    out
}

fn validity_section(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::from("<section>\n<h2 id=\"validity\">Validity and status</h2>\n");
    let mut rows = vec![
        ("Issued", escape(&html::epoch(claims.iat))),
        ("Valid from", escape(&html::epoch(claims.nbf))),
        ("Valid until", escape(&html::epoch(claims.exp))),
        ("Status", status_words(doc)),
    ];
    if let Some(cause) = doc.standing.as_ref().and_then(|s| s.revoke_cause.as_ref()) {
        rows.push((
            "Revocation caused by",
            format!("<span class=\"mono\">{}</span>", escape(cause)),
        ));
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
                "<tr><td data-label=\"From\">{}</td><td data-label=\"Status\"><strong>{}</strong></td><td data-label=\"Reason\">{}</td></tr>\n",
                escape(&html::time(change.time)),
                escape(&html::words(&change.status)),
                escape(change.reason.as_deref().unwrap_or("")),
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
    out
}

fn log_section(doc: &CertificateDocument) -> String {
    let Some(log) = &doc.log else {
        return String::new();
    };
    let mut out = String::from("<section>\n<h2 id=\"log\">Transparency log</h2>\n");
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
    out
}

fn lineage_section(doc: &CertificateDocument) -> String {
    let claims = &doc.claims;
    let mut out = String::from("<section>\n<h2 id=\"lineage\">Lineage</h2>\n");
    out.push_str(&facts_table(
        "The whole upstream lineage the certificate covers.",
        &[
            ("Lineage digest", html::hash(&claims.lineage.digest)),
            (
                "Datasets in the lineage",
                format!("{} (the certified one included)", claims.lineage.size),
            ),
        ],
    ));
    match &doc.lineage {
        Some(graph) => {
            out.push_str("<figure>\n<div class=\"lineage-box\">\n");
            out.push_str(&lineage_svg::render(
                graph,
                &format!(
                    "Lineage of {}@{}",
                    claims.dataset.name, claims.dataset.version
                ),
                doc.judgement.not_valid().is_some(),
            ));
            out.push_str(
                "\n</div>\n<figcaption class=\"note\">Arrows point from what a dataset was made from to what was made; the certified dataset is at the bottom, in a thick box, number 1. Marks: <strong>attested</strong> (its owner's attestation counts), <strong>NOT ATTESTED</strong> (dashed), <strong>CONTAMINATED</strong> (red), <strong>made from contaminated data</strong> (red outline), <strong>hidden</strong> (grey: private to its owner). The table below names every box in full.",
            );
            if let Some(note) = &doc.lineage_note {
                out.push_str(&format!(" {}", escape(note)));
            }
            out.push_str("</figcaption>\n</figure>\n");
            out.push_str(&lineage_svg::table(graph));
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
                    .map(|d| format!(" <span class=\"note\">with digest</span> {}", html::hash(d)))
                    .unwrap_or_default(),
                e.description
                    .as_ref()
                    .map(|d| format!(": {}", escape(d)))
                    .unwrap_or_default(),
            ));
        }
        let mut rows = vec![
            ("Dataset", html::name(&a.dataset)),
            (
                "Attested by",
                format!(
                    "<bdi>{}</bdi> <span class=\"note\">of organisation</span> {}",
                    escape(&a.attester),
                    html::id(&a.organization_id)
                ),
            ),
            ("When", escape(&html::human_time(a.time))),
            ("Method", escape(&html::words(&a.method))),
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
                    .map(|t| escape(&html::human_time(t)))
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
        "<p>The certificate itself is this compact JWS (Ed25519, <code>typ: lineage-cert+jwt</code>), signed with key {} by issuer <bdi>{}</bdi>. Everything above is a readable copy of it and of the registry's records; only the token is signed.</p>\n<pre id=\"{TOKEN_ELEMENT_ID}\" class=\"token\">{}</pre>\n",
        html::hash(&token_kid(&doc.token).unwrap_or_else(|| "(unknown)".into())),
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
    // The operator's published address; without one, a placeholder the reader fills in, never
    // the address some client happened to use.
    let page = doc
        .claims
        .verification_url
        .clone()
        .unwrap_or_else(|| "https://REGISTRY/verify".into());
    let registry = page.strip_suffix("/verify").unwrap_or(&page).to_owned();
    format!(
        "<section>\n<h2 id=\"verify\">How to verify this certificate independently</h2>\n\
<p>Do not rely on this page's words alone: anyone can edit an HTML file. The signed token is what counts, and any of these checks it. Each needs no account.</p>\n\
<ol>\n\
<li><strong>In a browser:</strong> open <span class=\"mono\">{page}</span>, and upload this file (or paste the token). The page shows every check, whether the certificate was revoked, and its lineage.</li>\n\
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
        page = escape(&page),
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
            "dataset": {"id": evil, "organization_id": evil, "organization_name": evil,
                        "name": evil, "version": evil, "content_digest": evil},
            "aud": evil,
            "audience_name": evil,
            "verification_url": evil,
            "lineage": {"digest": evil, "size": 2, "members": [evil], "members_complete": true},
            "policy": {"id": evil, "version": evil, "clause_sha256": evil},
            "policies": [
                {"id": evil, "version": evil, "clause_sha256": evil, "kind": evil, "verdict": evil,
                 "obligations": [{"kind": evil, "status": evil, "name_prefix": evil},
                                 {"kind": "NAME_PREFIX", "status": "MET", "name_prefix": evil}]},
                {"id": evil, "version": evil, "clause_sha256": evil, "kind": "", "verdict": "EXEMPT"},
            ],
            "purpose": evil,
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
                    name: evil.into(),
                    version: evil.into(),
                    id: evil.into(),
                    note: evil.into(),
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
            judgement: Judgement::NotValid {
                headline: evil.into(),
            },
            produced_at: Utc::now(),
        }
    }

    /// A valid certificate as provctl renders it: names signed, the clause known, the status
    /// asked.
    fn valid_document() -> CertificateDocument {
        let mut doc = hostile_document();
        doc.token = "eyJhbGciOiJFZERTQSIsImtpZCI6ImtleS0xIn0.e30.x".into();
        doc.claims = serde_json::from_value(serde_json::json!({
            "iss": "provenance-registry",
            "sub": "datasets/0192f0c1-7a2b-7c3d-8e4f-0123456789ab",
            "aud": "0192f0c1-0000-7000-8000-00000000b0b0",
            "audience_name": "Buyer GmbH",
            "iat": 1_796_411_760, "nbf": 1_796_411_760, "exp": 1_804_187_760,
            "jti": "0192f0c1-7a2b-7c3d-8e4f-0000000000c1",
            "dataset": {"id": "0192f0c1-7a2b-7c3d-8e4f-0123456789ab",
                        "organization_id": "0192f0c1-0000-7000-8000-00000000acme",
                        "organization_name": "Acme Data",
                        "name": "sft-mix", "version": "3",
                        "content_digest": format!("sha256:{}", "ab".repeat(32))},
            "lineage": {"digest": format!("sha256:{}", "cd".repeat(32)), "size": 7,
                        "members": [], "members_complete": false},
            "policy": {"id": "deepseek-r1-anti-distillation", "version": "1",
                       "clause_sha256": hex::encode(Sha256::digest(b"You will not."))},
            "verdict": "CLEAN",
            "contract_reference": "MSA-2027-001",
            "verification_url": "https://registry.example/verify",
            "attestations": [],
        }))
        .expect("claims");
        doc.policy = Some(PolicyText {
            title: "Anti-distillation".into(),
            clause: "You will not.".into(),
            source: "a record".into(),
        });
        doc.judgement = Judgement::Valid {
            at: DateTime::from_timestamp(1_796_500_000, 0).expect("a time"),
            caveat: None,
        };
        doc.standing = Some(Standing {
            status: "VALID".into(),
            checked_at: DateTime::from_timestamp(1_796_500_000, 0).expect("a time"),
            history: vec![],
            revoke_cause: None,
        });
        doc.attestations[0].method = "AUTOMATED_SCAN".into();
        doc
    }

    /// The first page's markup.
    fn first_page(page: &str) -> &str {
        let start = page
            .find("<section class=\"first-page")
            .expect("a first page");
        let end = start + page[start..].find("</section>").expect("its end");
        &page[start..end]
    }

    #[test]
    fn the_first_page_says_who_certified_what_for_whom_under_which_clause_and_until_when() {
        let page = render(&valid_document());
        let first = first_page(&page);
        for needle in [
            "VALID: verified 2026-12-05",
            "<strong><bdi>sft-mix</bdi></strong>@<bdi>3</bdi>",
            "<strong><bdi>Acme Data</bdi></strong>",
            "<strong><bdi>Buyer GmbH</bdi></strong>",
            "MSA-2027-001",
            "<blockquote>You will not.</blockquote>",
            "<strong>Clean</strong>: its whole lineage of 7 dataset(s)",
            "from <strong>2026-12-04 19:16 UTC</strong> to <strong>2027-03-04 19:16 UTC</strong>",
            "Valid</strong>, as the registry answered at 2026-12-05",
            "https://registry.example/verify?certificate=0192f0c1-7a2b-7c3d-8e4f-0000000000c1",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr-code\"",
            "<b>0000000000c1</b>",
        ] {
            assert!(first.contains(needle), "missing {needle:?} in {first}");
        }
        assert!(!page.contains('`'), "no Markdown backticks");
        assert!(page.contains("Automated scan") && !page.contains("AUTOMATED_SCAN"));
        // The footer of every printed page names the certificate and counts pages.
        assert!(page.contains("counter(page) \" of \" counter(pages)"));
        assert!(page.contains("@bottom-left { content: \"Lineage certificate 0192f0c1\\2d 7a2b"));
        assert!(
            !page.contains("@top-center"),
            "no banner on a valid certificate"
        );
    }

    #[test]
    fn a_certificate_without_signed_names_or_a_published_address_says_so() {
        let mut doc = valid_document();
        doc.claims.dataset.organization_name = None;
        doc.claims.aud = None;
        doc.claims.verification_url = None;
        let page = render(&doc);
        let first = first_page(&page);
        assert!(first.contains("its name is not in this certificate"));
        assert!(first.contains("no buyer named"));
        assert!(first.contains("published no verification address"));
        assert!(!first.contains("qr-code"));
        assert!(
            page.contains("https://REGISTRY/verify"),
            "a placeholder, not a guess"
        );
    }

    #[test]
    fn a_certificate_that_is_not_valid_says_so_everywhere_and_shows_no_green() {
        let mut doc = valid_document();
        doc.judgement = Judgement::NotValid {
            headline: "REVOKED on 2026-12-04 19:16 UTC: replaced".into(),
        };
        doc.standing = Some(Standing {
            status: "REVOKED".into(),
            checked_at: DateTime::from_timestamp(1_796_500_000, 0).expect("a time"),
            history: vec![
                StatusChange {
                    status: "VALID".into(),
                    time: DateTime::from_timestamp(1_796_400_000, 0).expect("a time"),
                    reason: None,
                },
                StatusChange {
                    status: "REVOKED".into(),
                    time: DateTime::from_timestamp(1_796_411_760, 0).expect("a time"),
                    reason: Some("replaced".into()),
                },
            ],
            revoke_cause: Some("certificates/x".into()),
        });
        doc.lineage.as_mut().expect("a lineage").nodes[0].state = NodeState::Attested;
        let page = render(&doc);
        assert!(page.contains(
            "<p id=\"headline\" class=\"verdict headline bad\">NOT VALID — REVOKED on 2026-12-04 19:16 UTC: replaced</p>"
        ));
        assert!(first_page(&page).contains("Revoked on 2026-12-04 19:16 UTC</strong>: replaced"));
        // A banner in every section after the first page, and in every printed page's top margin.
        let sections = page.matches("<section>").count();
        assert!(sections >= 6);
        assert_eq!(
            page.matches("<p class=\"banner\" role=\"note\">NOT VALID — REVOKED")
                .count(),
            sections
        );
        assert!(page.contains("@top-center { content: \"NOT VALID"));
        assert!(page.contains("<div class=\"not-valid\">"));
        assert!(!page.contains("#1b6e2a"), "the lineage's green is greyed");
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
            "Verdict: <strong>Clean</strong>",
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
    fn a_certificate_of_several_policies_shows_the_matrix_and_one_of_one_policy_does_not() {
        let mut doc = valid_document();
        let one = render(&doc);
        assert!(
            !one.contains("id=\"policies\"") && !one.contains("policies the certificate covers")
        );
        let covered: Vec<CoveredPolicyClaim> = serde_json::from_value(serde_json::json!([
            {"id": "deepseek-r1-anti-distillation", "version": "1",
             "clause_sha256": doc.claims.policy.clause_sha256, "kind": "PROHIBITION",
             "verdict": "CLEAN"},
            {"id": "llama-2-community", "version": "2023-07-18", "clause_sha256": "12".repeat(32),
             "kind": "PROHIBITION", "verdict": "EXEMPT"},
            {"id": "llama-3.1-community", "version": "2024-07-23", "clause_sha256": "34".repeat(32),
             "kind": "NAMING_OBLIGATION", "verdict": "CLEAN",
             "obligations": [{"kind": "NAME_PREFIX", "status": "MET", "name_prefix": "Llama"},
                             {"kind": "INHERITED_TERMS", "status": "APPLIES"}]},
            {"id": "openai-terms", "version": "2024-10-23", "clause_sha256": "56".repeat(32),
             "kind": "COMPETING_USE_PROHIBITION", "verdict": "CLEAN",
             "obligations": [{"kind": "NO_COMPETING_USE", "status": "MET"}]},
        ]))
        .expect("covered policies");
        doc.claims.policies = Some(covered);
        doc.claims.target_model = Some("Llama-3.1-Acme-8B".into());
        doc.claims.purpose = Some("NON_COMPETING".into());
        let page = render(&doc);
        for needle in [
            "<caption class=\"note\">The 4 policies the certificate covers",
            "<tr><th scope=\"row\"><bdi>llama-2-community</bdi></th><td><bdi>2023-07-18</bdi></td><td>Prohibition</td><td><strong>Exempt</strong> for <bdi>Llama-3.1-Acme-8B</bdi></td><td>none</td><td><span class=\"hash\" title=\"1212121212121212121212121212121212121212121212121212121212121212\">121212121212…</span></td></tr>",
            "<td>Naming obligation</td><td><strong>Clean</strong></td><td>name begins with “<bdi>Llama</bdi>”: met; bound by its terms</td>",
            "<td>Competing use prohibition</td><td><strong>Clean</strong></td><td>no competing use: met</td>",
            "Declared purpose</th><td>Non competing</td>",
            "(under the first of the 4 policies the certificate covers;",
        ] {
            assert!(page.contains(needle), "missing {needle:?}");
        }
        assert_eq!(page.matches("<tr><th scope=\"row\"><bdi>").count(), 4);
        // The first page, which stands alone, says the verdict is the first policy's.
        assert!(first_page(&page).contains("(under the first of the 4 policies"));
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

    #[test]
    fn hashes_and_ids_are_grouped_and_names_in_other_scripts_are_flagged() {
        let mut doc = valid_document();
        doc.claims.dataset.name = "数据集".into();
        let page = render(&doc);
        assert!(page.contains("<span class=\"hash\">sha256:<wbr><span>abababab</span><wbr>"));
        assert!(page.contains("(Han script; as code points: U+6570 U+636E U+96C6)"));
    }
}
