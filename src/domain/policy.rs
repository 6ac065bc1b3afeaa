//! Restricted-model policies: versioned data read from TOML, checked on load, and the two questions
//! evaluation asks of them (is this source's model restricted? is this target model exempt?).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::model_name::{FamilyMatch, MatchRule, ModelFamily, look_alike_warning, normalize};
use crate::error::{Error, Result};

/// The built-in policy files, compiled into the server.
use provenance_api::policies::BUILTIN;

/// One version of a restricted-model policy, as its file states it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Stable id: lower-case letters, digits and hyphens.
    pub id: String,
    /// Version label; a changed clause is a new version.
    pub version: String,
    /// Short title.
    pub title: String,
    /// What the clause does to training on the family's outputs; a file without it states a
    /// prohibition, as every policy did before there were kinds.
    #[serde(default)]
    pub kind: RuleKind,
    /// Where the clause stands in its document, e.g. `1.b.v`.
    #[serde(default)]
    pub section: String,
    /// For a [`RuleKind::NamingObligation`]: what the trained model's name must begin with.
    #[serde(default)]
    pub name_prefix: String,
    /// The clause, verbatim.
    pub clause: String,
    /// Lower-case hex SHA-256 of the clause's UTF-8 bytes; checked on load.
    pub clause_sha256: String,
    /// Whether outputs of derivatives of the restricted model count as restricted.
    pub derivative_outputs_restricted: bool,
    /// Where the clause comes from.
    pub source: PolicySource,
    /// The restricted models.
    pub restricted: ModelFamily,
    /// Who is exempt; nobody when the file has no `[exempt]` table.
    #[serde(default)]
    pub exempt: Exemption,
    /// Compiled into the server (not from a file in `--policy-dir`).
    #[serde(skip)]
    pub builtin: bool,
}

/// Where a clause comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    /// Who recorded or published it.
    pub publisher: String,
    /// The publisher's record id.
    #[serde(default)]
    pub record_id: String,
    /// The document the clause is part of.
    pub document: String,
    /// When the document was last updated, `YYYY-MM-DD`.
    #[serde(default)]
    pub document_updated: String,
    /// The document's own version or release date, as it states it (e.g. `Llama 2 Version Release
    /// Date: July 18, 2023`).
    #[serde(default)]
    pub document_version: String,
    /// Where to read it.
    #[serde(default)]
    pub url: String,
    /// The publisher's digest of its snapshot of the document.
    #[serde(default)]
    pub snapshot_sha256: String,
    /// Anything a reader should know about the attribution.
    #[serde(default)]
    pub note: String,
}

/// What a clause does to training on outputs of the models it names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The outputs must not improve another model (the exempt family aside): they contaminate.
    #[default]
    Prohibition,
    /// The outputs may train a model, whose name must then begin with [`Policy::name_prefix`].
    NamingObligation,
    /// The outputs may train a model, which is then bound by the source's terms.
    InheritedTerms,
    /// The outputs must not develop a model that competes with the provider: they contaminate when
    /// the declared purpose is a competing model.
    CompetingUseProhibition,
}

impl RuleKind {
    /// The kind as policy files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Prohibition => "prohibition",
            RuleKind::NamingObligation => "naming_obligation",
            RuleKind::InheritedTerms => "inherited_terms",
            RuleKind::CompetingUseProhibition => "competing_use_prohibition",
        }
    }
}

/// What the party asking for an evaluation declares the trained model is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// Nothing declared.
    #[default]
    Undeclared,
    /// A model that competes with the provider of the restricted models.
    CompetingModel,
    /// A model that does not compete with the provider.
    NonCompeting,
}

impl Purpose {
    /// The stored and hashed spelling (`competing_model`, `non_competing`); `None` when nothing is
    /// declared.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Purpose::Undeclared => None,
            Purpose::CompetingModel => Some("competing_model"),
            Purpose::NonCompeting => Some("non_competing"),
        }
    }

    /// Inverse of [`Purpose::as_str`] for a declared purpose.
    pub fn parse(value: &str) -> Option<Self> {
        [Purpose::CompetingModel, Purpose::NonCompeting]
            .into_iter()
            .find(|p| p.as_str() == Some(value))
    }
}

/// Who may use restricted outputs anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// The exemption in the clause's words.
    pub description: String,
    /// Whether target models in the restricted family are exempt.
    pub restricted_family: bool,
}

impl Policy {
    /// Parses and checks a policy file's text. The error says what is wrong, without the file name
    /// (the caller knows it).
    pub fn from_toml(text: &str) -> std::result::Result<Self, String> {
        let policy: Policy = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
        policy.check()?;
        Ok(policy)
    }

    fn check(&self) -> std::result::Result<(), String> {
        let slug = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.'))
        };
        if !slug(&self.id) {
            return Err(format!(
                "id {:?} must be 1 to 100 lower-case letters, digits, dots or hyphens",
                self.id
            ));
        }
        if self.version.trim().is_empty()
            || self.version.len() > 100
            || self.version.trim() != self.version
        {
            return Err(format!(
                "version {:?} must be 1 to 100 characters without surrounding spaces",
                self.version
            ));
        }
        if self.title.trim().is_empty() {
            return Err("title must not be empty".into());
        }
        if self.clause.trim().is_empty() {
            return Err("clause must not be empty".into());
        }
        let actual = hex::encode(Sha256::digest(self.clause.as_bytes()));
        if actual != self.clause_sha256 {
            return Err(format!(
                "clause_sha256 is {} but the clause's SHA-256 is {actual}: the clause was changed, or the digest mistyped",
                self.clause_sha256
            ));
        }
        self.restricted
            .validate()
            .map_err(|e| format!("restricted: {e}"))?;
        for (field, value) in [
            ("section", &self.section),
            ("source.document_version", &self.source.document_version),
        ] {
            if value.len() > 200 || value.trim() != value {
                return Err(format!(
                    "{field} {value:?} must be at most 200 characters without surrounding spaces"
                ));
            }
        }
        match self.kind {
            RuleKind::NamingObligation => {
                let prefix = normalize(&self.name_prefix).id;
                if prefix.is_empty() || self.name_prefix.len() > 100 {
                    return Err(format!(
                        "name_prefix {:?} must name 1 to 100 characters of a model name for a naming_obligation",
                        self.name_prefix
                    ));
                }
            }
            _ if !self.name_prefix.is_empty() => {
                return Err(format!(
                    "name_prefix is only for a naming_obligation, not a {}",
                    self.kind.as_str()
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether `target` meets this policy's naming obligation: its name, in normalised form (see
    /// [`normalize`]), begins with the prefix's. A name spelled with look-alike characters does not:
    /// `Llаma-Acme` with a Cyrillic `а` does not begin with `Llama`.
    pub fn name_meets_prefix(&self, target: &str) -> bool {
        let prefix = normalize(&self.name_prefix).id;
        !prefix.is_empty()
            && look_alike_warning(target).is_none()
            && normalize(target).id.starts_with(&prefix)
    }

    /// Whether a source generated by `model` carries restricted output under this policy.
    pub fn restricted_output(&self, model: &str) -> Option<FamilyMatch> {
        self.restricted
            .matches(model)
            .filter(|m| !m.derivative || self.derivative_outputs_restricted)
    }

    /// Whether training `target` with restricted outputs is exempt under this policy. A target
    /// that matches the family only as a look-alike ([`MatchRule::Confusable`]) is not exempt: an
    /// exemption is a claim about which model is trained, and a name spelled to look like the
    /// exempt model's is no such claim.
    pub fn exempt_target(&self, target: &str) -> Option<FamilyMatch> {
        if self.exempt.restricted_family {
            self.restricted
                .matches(target)
                .filter(|found| found.rule != MatchRule::Confusable)
        } else {
            None
        }
    }
}

/// The policies in force: the built-in ones and those loaded from files, by (id, version).
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: BTreeMap<(String, String), Arc<Policy>>,
}

impl PolicySet {
    /// The built-in policies.
    pub fn builtin() -> std::result::Result<Self, String> {
        let mut set = Self::default();
        for (name, text) in BUILTIN {
            let mut policy =
                Policy::from_toml(text).map_err(|e| format!("built-in policy {name}: {e}"))?;
            policy.builtin = true;
            set.add(policy)
                .map_err(|e| format!("built-in policy {name}: {e}"))?;
        }
        Ok(set)
    }

    /// Adds a policy; refuses a second policy with the same id and version.
    pub fn add(&mut self, policy: Policy) -> std::result::Result<(), String> {
        let key = (policy.id.clone(), policy.version.clone());
        if self.policies.contains_key(&key) {
            return Err(format!(
                "policy {:?} version {:?} is already loaded; a changed policy needs a new version",
                key.0, key.1
            ));
        }
        self.policies.insert(key, Arc::new(policy));
        Ok(())
    }

    /// Every policy, by id and then version.
    pub fn list(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.values()
    }

    /// The policy `id` at `version`; without a version, the only version loaded. Errors name the
    /// request fields `field_id` and `field_version`.
    pub fn get(
        &self,
        field_id: &str,
        id: &str,
        field_version: &str,
        version: &str,
    ) -> Result<Arc<Policy>> {
        if id.is_empty() {
            return Err(Error::invalid(field_id, "is required"));
        }
        let versions: Vec<&Arc<Policy>> = self
            .policies
            .range((id.to_owned(), String::new())..)
            .take_while(|((pid, _), _)| pid == id)
            .map(|(_, p)| p)
            .collect();
        if versions.is_empty() {
            return Err(Error::NotFound(format!("policy {id:?} not found")));
        }
        if version.is_empty() {
            return match versions.as_slice() {
                [only] => Ok(Arc::clone(only)),
                many => Err(Error::invalid(
                    field_version,
                    format!(
                        "is required: policy {id:?} has versions {}",
                        many.iter()
                            .map(|p| format!("{:?}", p.version))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            };
        }
        versions
            .into_iter()
            .find(|p| p.version == version)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("policy {id:?} version {version:?} not found")))
    }
}

/// Policy versions one evaluation (or certificate) judges by at most.
pub const MAX_POLICIES_PER_EVALUATION: usize = 16;

/// Which policies an evaluation by several policies judges by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySelection {
    /// These, `(id, version)` as the request names them (an empty version: the only one loaded),
    /// in this order; the request field is `field` (`policies`).
    Listed {
        /// The request field listing them.
        field: &'static str,
        /// `(id, version)` pairs.
        refs: Vec<(String, String)>,
    },
    /// Every loaded policy version; the request field is `field` (`all_policies`).
    All {
        /// The request field asking for them.
        field: &'static str,
    },
}

impl PolicySet {
    /// The policies a request names: the one `(policy_id, policy_version)` when `selection` is
    /// `None` (errors naming those fields), else the selection's (see [`Self::select`]).
    pub fn resolve(
        &self,
        policy_id: &str,
        policy_version: &str,
        selection: Option<&PolicySelection>,
    ) -> Result<Vec<Arc<Policy>>> {
        match selection {
            None => Ok(vec![self.get(
                "policy_id",
                policy_id,
                "policy_version",
                policy_version,
            )?]),
            Some(selection) => self.select(selection),
        }
    }

    /// The policies `selection` names, in its order: at most [`MAX_POLICIES_PER_EVALUATION`],
    /// each known, none twice (by id and resolved version). Errors name the request field:
    /// `policies` (too many), `policies[2].id` (unknown: `NOT_FOUND`), `policies[3]` (a
    /// repeat), `all_policies` (more loaded than the bound).
    pub fn select(&self, selection: &PolicySelection) -> Result<Vec<Arc<Policy>>> {
        let refs = match selection {
            PolicySelection::All { field } => {
                if self.policies.len() > MAX_POLICIES_PER_EVALUATION {
                    return Err(Error::invalid(
                        *field,
                        format!(
                            "{} policy versions are loaded, more than the {MAX_POLICIES_PER_EVALUATION} \
                             one evaluation judges by: name them in `policies`",
                            self.policies.len()
                        ),
                    ));
                }
                return Ok(self.policies.values().cloned().collect());
            }
            PolicySelection::Listed { field, refs } => {
                if refs.len() > MAX_POLICIES_PER_EVALUATION {
                    return Err(Error::invalid(
                        *field,
                        format!(
                            "must name at most {MAX_POLICIES_PER_EVALUATION} policies, not {}",
                            refs.len()
                        ),
                    ));
                }
                (field, refs)
            }
        };
        let (field, refs) = refs;
        let mut chosen: Vec<Arc<Policy>> = Vec::with_capacity(refs.len());
        for (i, (id, version)) in refs.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let policy = self
                .get(&format!("{at}.id"), id, &format!("{at}.version"), version)
                .map_err(|e| match e {
                    Error::NotFound(why) => Error::NotFound(format!("{at}: {why}")),
                    other => other,
                })?;
            if let Some(earlier) = chosen
                .iter()
                .position(|p| p.id == policy.id && p.version == policy.version)
            {
                return Err(Error::invalid(
                    at,
                    format!(
                        "names policy {:?} version {:?} again ({field}[{earlier}] names it)",
                        policy.id, policy.version
                    ),
                ));
            }
            chosen.push(policy);
        }
        Ok(chosen)
    }
}

/// The built-in policy files' texts, for tests that derive policies of their own from them.
#[cfg(test)]
pub mod tests_support {
    /// The text of the built-in policy file whose id is `id`.
    pub fn builtin_text(id: &str) -> String {
        super::BUILTIN
            .iter()
            .map(|(_, text)| *text)
            .find(|text| text.contains(&format!("id = \"{id}\"")))
            .unwrap_or_else(|| panic!("no built-in policy {id}"))
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_text() -> &'static str {
        BUILTIN[0].1
    }

    #[test]
    fn the_builtin_policy_loads_with_the_seed_clause_and_its_source() {
        let set = PolicySet::builtin().unwrap();
        let policy = set
            .get(
                "policy_id",
                "deepseek-r1-anti-distillation",
                "policy_version",
                "",
            )
            .unwrap();
        assert!(policy.builtin);
        assert_eq!(
            policy.clause,
            "You will not use the Model or any output of the Model to improve any other large language model (excluding DeepSeek-R1 and its derivatives)."
        );
        assert_eq!(policy.source.record_id, "CA-P-012027");
        assert_eq!(policy.source.document, "DeepSeek Model License");
        assert_eq!(policy.source.document_updated, "2026-05-12");
        assert_eq!(policy.exempt.description, "DeepSeek-R1 and its derivatives");
    }

    #[test]
    fn a_changed_clause_no_longer_matches_its_digest() {
        let text = builtin_text().replace("improve any other", "improve another");
        let err = Policy::from_toml(&text).unwrap_err();
        assert!(err.contains("clause_sha256"), "{err}");
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        for (text, needle) in [
            (
                builtin_text().replace("id = \"deepseek-r1-anti-distillation\"", "id = \"Bad Id\""),
                "id \"Bad Id\"",
            ),
            (builtin_text().replace("title = ", "titel = "), "titel"),
            (
                builtin_text().replace("version = \"2026-05-12\"", "version = \"\""),
                "version",
            ),
            ("not toml at all [".to_owned(), ""),
            (
                builtin_text().replace("canonical_ids = [\"deepseek-r1\"]", "canonical_ids = []"),
                "restricted",
            ),
        ] {
            let err = Policy::from_toml(&text).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn derivative_outputs_count_only_when_the_policy_says_so() {
        let strict = Policy::from_toml(builtin_text()).unwrap();
        assert!(
            strict
                .restricted_output("DeepSeek-R1-Distill-Qwen-7B")
                .is_some()
        );
        assert!(
            strict
                .restricted_output("deepseek-ai/DeepSeek-R1")
                .is_some()
        );
        assert!(strict.restricted_output("DeepSeek-V3").is_none());
        let lenient = Policy::from_toml(&builtin_text().replace(
            "derivative_outputs_restricted = true",
            "derivative_outputs_restricted = false",
        ))
        .unwrap();
        assert!(
            lenient
                .restricted_output("DeepSeek-R1-Distill-Qwen-7B")
                .is_none()
        );
        assert!(
            lenient
                .restricted_output("deepseek-ai/DeepSeek-R1")
                .is_some()
        );
    }

    #[test]
    fn the_family_is_exempt_as_a_target_and_others_are_not() {
        let policy = Policy::from_toml(builtin_text()).unwrap();
        assert!(
            policy
                .exempt_target("DeepSeek-R1-Distill-Llama-70B")
                .is_some()
        );
        assert!(policy.exempt_target("Llama-3.1-70B").is_none());
    }

    #[test]
    fn versions_are_found_by_id_and_a_second_copy_is_refused() {
        let mut set = PolicySet::builtin().unwrap();
        let mut v2 = Policy::from_toml(builtin_text()).unwrap();
        v2.version = "2027-01-01".into();
        set.add(v2.clone()).unwrap();
        assert!(set.add(v2).unwrap_err().contains("already loaded"));
        let err = set
            .get(
                "policy_id",
                "deepseek-r1-anti-distillation",
                "policy_version",
                "",
            )
            .unwrap_err();
        assert!(
            err.to_string().starts_with("policy_version: is required"),
            "{err}"
        );
        assert_eq!(
            set.get(
                "policy_id",
                "deepseek-r1-anti-distillation",
                "policy_version",
                "2027-01-01"
            )
            .unwrap()
            .version,
            "2027-01-01"
        );
        assert!(matches!(
            set.get("policy_id", "nope", "policy_version", ""),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            set.get("policy_id", "", "policy_version", ""),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn kinds_are_read_and_a_file_without_one_states_a_prohibition() {
        let set = PolicySet::builtin().unwrap();
        let kind = |id: &str| set.get("policy_id", id, "policy_version", "").unwrap().kind;
        assert_eq!(kind("deepseek-r1-anti-distillation"), RuleKind::Prohibition);
        assert_eq!(kind("llama-2-community-license"), RuleKind::Prohibition);
        assert_eq!(
            kind("llama-3.1-community-license"),
            RuleKind::NamingObligation
        );
        assert_eq!(
            kind("openai-terms-of-use"),
            RuleKind::CompetingUseProhibition
        );
        assert_eq!(kind("gemma-terms-of-use"), RuleKind::InheritedTerms);
        assert_eq!(
            kind("gemini-api-additional-terms"),
            RuleKind::CompetingUseProhibition
        );
    }

    #[test]
    fn a_naming_obligation_needs_a_prefix_and_only_it_may_have_one() {
        let naming = tests_support::builtin_text("llama-3.1-community-license");
        for (text, needle) in [
            (
                naming.replace("name_prefix = \"Llama\"\n", ""),
                "name_prefix",
            ),
            (
                naming.replace("name_prefix = \"Llama\"", "name_prefix = \"--\""),
                "name_prefix",
            ),
            (
                builtin_text().replace("title = ", "name_prefix = \"DeepSeek\"\ntitle = "),
                "only for a naming_obligation",
            ),
            (
                naming.replace("kind = \"naming_obligation\"", "kind = \"naming\""),
                "unknown variant",
            ),
            (
                naming.replace("section = \"1.b.i\"", "section = \" 1.b.i\""),
                "section",
            ),
        ] {
            let err = Policy::from_toml(&text).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn every_shipped_policy_cites_its_clause_fully() {
        for policy in PolicySet::builtin().unwrap().list() {
            let s = &policy.source;
            assert!(!s.document.is_empty() && !s.url.is_empty(), "{}", policy.id);
            assert_eq!(s.snapshot_sha256.len(), 64, "{}", policy.id);
            if policy.id != "deepseek-r1-anti-distillation" {
                // The seed record names no section and no version of its own.
                assert!(!policy.section.is_empty(), "{}", policy.id);
                assert!(!s.document_version.is_empty(), "{}", policy.id);
                assert!(s.url.starts_with("https://github.com/"), "{}", policy.id);
            }
        }
    }

    #[test]
    fn the_name_prefix_is_compared_in_normalised_form() {
        let policy =
            Policy::from_toml(&tests_support::builtin_text("llama-3.2-community-license")).unwrap();
        assert!(policy.name_meets_prefix("LLAMA-3.2-Acme"));
        assert!(policy.name_meets_prefix("https://huggingface.co/acme/Llama-Acme-1B"));
        assert!(policy.name_meets_prefix("Llama"));
        assert!(!policy.name_meets_prefix("Acme-1B"));
        assert!(!policy.name_meets_prefix("Lama-Acme"));
    }

    fn listed(ids: &[&str]) -> PolicySelection {
        PolicySelection::Listed {
            field: "policies",
            refs: ids
                .iter()
                .map(|id| (id.to_string(), String::new()))
                .collect(),
        }
    }

    fn refusal(set: &PolicySet, selection: &PolicySelection) -> String {
        match set.select(selection) {
            Err(Error::InvalidArgument(v)) => format!("invalid {v}"),
            Err(Error::NotFound(why)) => format!("not found {why}"),
            other => panic!("not refused as expected: {other:?}"),
        }
    }

    #[test]
    fn a_selection_resolves_in_its_order_and_all_is_every_loaded_version() {
        let set = PolicySet::builtin().unwrap();
        let chosen = set
            .select(&listed(&[
                "openai-terms-of-use",
                "deepseek-r1-anti-distillation",
            ]))
            .unwrap();
        let ids: Vec<&str> = chosen.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["openai-terms-of-use", "deepseek-r1-anti-distillation"]
        );
        let all = set
            .select(&PolicySelection::All {
                field: "all_policies",
            })
            .unwrap();
        assert_eq!(all.len(), set.list().count());
    }

    #[test]
    fn a_selection_is_bounded_known_and_without_repeats() {
        let set = PolicySet::builtin().unwrap();
        let many = vec!["deepseek-r1-anti-distillation"; MAX_POLICIES_PER_EVALUATION + 1];
        assert_eq!(
            refusal(&set, &listed(&many)),
            "invalid policies: must name at most 16 policies, not 17"
        );
        assert_eq!(
            refusal(&set, &listed(&["openai-terms-of-use", "nope"])),
            "not found policies[1]: policy \"nope\" not found"
        );
        assert!(
            refusal(
                &set,
                &listed(&["openai-terms-of-use", "openai-terms-of-use"])
            )
            .starts_with("invalid policies[1]: names policy \"openai-terms-of-use\"")
        );
        assert_eq!(
            refusal(&set, &listed(&[""])),
            "invalid policies[0].id: is required"
        );
        let mut crowded = set.clone();
        for i in 0..MAX_POLICIES_PER_EVALUATION {
            let mut extra = (**set.list().next().unwrap()).clone();
            extra.version = format!("extra-{i}");
            crowded.add(extra).unwrap();
        }
        assert!(
            refusal(
                &crowded,
                &PolicySelection::All {
                    field: "all_policies"
                }
            )
            .starts_with("invalid all_policies: ")
        );
    }
}
