//! Model names as people write them, reduced to one spelling and matched against a restricted
//! model family that a policy file states as data.
//!
//! A dataset names the model that generated it the way its authors wrote it:
//! `deepseek-ai/DeepSeek-R1-0528`, `deepseek-r1:70b`, `unsloth/DeepSeek-R1-GGUF`,
//! `DeepSeek R1`. A licence clause speaks of the model and its derivatives, not of spellings, so
//! both sides are first reduced by [`normalize`] and then compared by [`ModelFamily::matches`].
//!
//! # Normalisation
//!
//! The steps run in this order. Each removes something that names a copy, a location, a build or
//! a dated revision of a model rather than the model itself; what is removed is kept in
//! [`NormalizedName`] for the record but plays no part in matching.
//!
//! 1. **Characters and case.** Characters that render as nothing (Unicode's
//!    Default_Ignorable_Code_Point: soft hyphen, zero-width space and joiners, word joiner,
//!    byte-order mark, variation selectors, …) are deleted, the name is brought to Unicode NFKC
//!    (full-width `ＤｅｅｐＳｅｅｋ`, mathematical `𝐃𝐞𝐞𝐩𝐒𝐞𝐞𝐤`, ligatures and super- or
//!    subscripts become their plain letters and digits), surrounding whitespace is trimmed and the
//!    name is lower-cased. Combining marks stay with the letter they follow.
//! 2. **Location.** A query (`?…`) or fragment (`#…`) is cut off, then a URL scheme (`https://`,
//!    `hf://`, …); a backslash counts as a slash. On a hub whose paths are
//!    `organisation/repository/…` (`huggingface.co`, `hf.co`, `hf-mirror.com`, `modelscope.cn`,
//!    `modelscope.ai`, `github.com`, `gitlab.com`, with or without `www.` and a port, and every
//!    `hf://` path) the name is the repository: a leading `api/` or `models/` is skipped, and
//!    whatever follows the repository (`/tree/main`, `/blob/main/config.json`) is ignored. In an
//!    `azureml://` URI the name is the segment after `models/` (`…/models/DeepSeek-R1/versions/1`).
//!    Elsewhere a path segment in the Hugging Face cache form `models--org--name` gives `name`,
//!    and otherwise the last path segment is the name, which drops a hub organisation, an Ollama
//!    namespace, a host or a directory.
//! 3. **Tag.** From the first `:` or `@` on, the rest is a runtime tag (`deepseek-r1:70b`,
//!    `…-GGUF:Q4_K_M`) or a hub revision (`…@main`), kept in [`NormalizedName::tag`]. Ollama's
//!    `deepseek-r1:7b` … `:70b` are in fact the distilled models, but they are published under
//!    the model's name, so they match as the model.
//! 4. **Words.** Letters and digits make words. A `.` between two digits stays inside its word
//!    (`qwen2.5`, `v2.5`, `1.5b`); every other character (space, `_`, `-`, any other `.`,
//!    brackets, punctuation) separates words. Words are joined by single hyphens, so repeated,
//!    leading and trailing separators vanish.
//! 5. **Revision.** Any word but the first that is a calendar date is removed into
//!    [`NormalizedName::revision`]: `MMDD` (`0528`, `1106`), `YYMM` with a year 20–39 (`2501`),
//!    `YYMMDD` with a year 20–39 (`250528`), `YYYYMMDD` with a year 2000–2099 (`20250528`), and
//!    `YYYY-MM-DD` as three words or one dotted word (`2025-05-28`, `2025.05.28`). Days are
//!    checked against their month (February has 29). Numbers that are part of a name are not
//!    dates and stay: `r1-1776` (neither month 17 nor year 17), `2048`, `4096`, sizes such as
//!    `33b`. A name whose own number happens to be a date (`…-1024`) loses it; that is the price
//!    of recognising revisions without a list of them. When several words are dates all are
//!    removed and the first is recorded.
//! 6. **Release.** Then, from the end and repeatedly, but never the first word, words that name
//!    a file format, quantisation or conversion are removed into [`NormalizedName::release`] (in
//!    the order they were written):
//!    - formats and tools: `gguf`, `ggml`, `awq`, `gptq`, `exl2`, `exl3`, `mlx`, `mlc`, `dwq`,
//!      `onnx`, `openvino`, `ov`, `coreml`, `ct2`, `tensorrt`, `trtllm`, `safetensors`, `bnb`,
//!      `hqq`, `autoround`, `hf`, `unsloth`, `ud`, `imatrix`, `i1`, `quantized`, `quant`,
//!      `dynamic`, `sym`, `asym`;
//!    - number formats: `bf16`, `f16`, `f32`, `nf4`, `nvfp4`, `mxfp4`, `e4m3`, `e5m2`, `fpN`,
//!      `intN`, `wNaM` (`w4a16`, `w4afp8`), `Nbit`/`Nbits` or `N bit` (recorded as `Nbit`),
//!      `N.Mbpw`;
//!    - llama.cpp quantisation types, written with or without separators: `qN`, `qN_0`, `qN_1`,
//!      `qN_k`, `qN_k_s|m|l|xl`, `iqN`, `iqN_xxs|xs|s|m|nl|xl`, `tqN_0`, and MLC's `qNf16_1`
//!      (recorded joined by `_`, e.g. `q4_k_m`);
//!    - a shard counter `00001-of-00003`.
//!
//!    Sizes (`7b`, `70b`, `671b`, `1.5b`) and variants (`instruct`, `chat`, `base`, `distill`,
//!    `zero`, `lite`, `preview`) are part of the model's name and stay.
//!
//! The result, [`NormalizedName::id`], holds lower-case words joined by single hyphens, e.g.
//! `deepseek-r1` or `deepseek-r1-distill-qwen-7b`.
//!
//! # Matching
//!
//! A [`ModelFamily`] lists canonical ids (the model itself), aliases (other names of the model
//! or of a derivative) and glob patterns over normalised ids, where `*` matches any run of
//! characters, the empty run included. [`ModelFamily::matches`] normalises the name it judges,
//! then tries the canonical ids, the aliases (normalised too) and the patterns, each in file
//! order, and reports the first entry that matches. Ids are compared whole, so `deepseek-r10`,
//! `deepseek-r1x` and `deepseek-v3` are not `deepseek-r1`, and a pattern such as
//! `deepseek-r1-*` asks for the hyphen.
//!
//! # Look-alike spellings
//!
//! A name can be retyped so that it looks the same and compares differently: `DeepSeеk-R1` with
//! a Cyrillic `е`, `DeepSeek-R١` with an Arabic-Indic one, `DeepSeek-RI` with a capital I. When a
//! name's own spelling matches no entry, it is compared again in look-alike-resistant forms,
//! against the entries brought to the same forms, and a match there is reported with the rule
//! [`MatchRule::Confusable`]:
//!
//! - **Skeleton.** Every character other than an ASCII letter or digit is replaced by its
//!   prototype under Unicode's confusables data (the UTS #39 skeleton of the character: Cyrillic
//!   `е` becomes `e`, `Ѕ` becomes `S`, `١` becomes `l`; when only its upper case has an ASCII
//!   prototype, that one: Cyrillic `к` as `К`, `K`), lower-cased and stripped of combining
//!   marks, and the result is normalised as above. ASCII letters and digits are kept at this stage,
//!   so that dates, sizes and formats are still recognised. Both sides are then compared by their
//!   [`confusable_key`]: the UTS #39 skeleton of the lower-cased id without combining marks, with
//!   `i` counted as `l` (the skeleton of a capital `I` is `l`, and names ignore case). So `1`, `l`,
//!   `I` and `|` compare alike, as do `0` and `o`, and `m` and `rn`.
//! - **Transliteration.** A name that mixes scripts (Latin with Cyrillic, Greek, Arabic, …) may
//!   use a letter for its sound rather than its look: Cyrillic `Р` looks like P but is R. Such a
//!   name is also compared in its Latin transliteration (the `deunicode` data), normalised and
//!   keyed as above.
//!
//! A name whose own spelling matches but that mixes scripts is reported as
//! [`MatchRule::Confusable`] too, so that the report shows that it was spelled to look like
//! something it is not. [`look_alike_warning`] says the same of a name whether or not it matches.

use std::fmt;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_script::{Script, UnicodeScript};
use unicode_security::{MixedScript, skeleton};

/// Most characters in a canonical id, alias name or pattern.
pub const MAX_ENTRY_CHARS: usize = 200;

/// Most characters in the note of an alias or pattern.
pub const MAX_NOTE_CHARS: usize = 1000;

/// A model name reduced to one spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedName {
    /// The canonical id: lower case, words joined by single hyphens, hub organisation, runtime
    /// tag, dated/numbered revision and quantisation/format suffixes removed, e.g.
    /// `deepseek-r1`, `deepseek-r1-distill-qwen-7b`.
    pub id: String,
    /// The revision that was removed, e.g. `0528`, if any.
    pub revision: Option<String>,
    /// The runtime tag that was removed (after `:`, or a hub revision after `@`), e.g. `70b`,
    /// `671b-q4_k_m`, if any. Lower case, otherwise as written.
    pub tag: Option<String>,
    /// The release/format suffixes that were removed, e.g. ["gguf"], ["awq"], ["fp8"], ["4bit"].
    pub release: Vec<String>,
}

/// Reduces a model name as people write it to one spelling; see the module documentation for
/// the rules. Never fails: a name with nothing left has the empty id, which matches no family.
pub fn normalize(raw: &str) -> NormalizedName {
    normalize_visible(&visible_nfkc(raw))
}

/// Steps 2 to 6 on a name whose characters step 1 has already treated (case aside).
fn normalize_visible(visible: &str) -> NormalizedName {
    let lowered = visible.trim().to_lowercase();
    let (name, tag) = split_tag(name_segment(&lowered));
    let mut words = words(name);
    // Revisions first: a dated upload is often re-released in a format (`…-0528-GGUF`), and a
    // revision in the middle (`…-R1-0528-Qwen3-8B`) must not shield the suffixes after it.
    let revision = take_revision(&mut words);
    let release = take_release(&mut words);
    NormalizedName {
        id: words.join("-"),
        revision,
        tag,
        release,
    }
}

/// A restricted model family as a policy file states it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFamily {
    /// Canonical ids of the model itself, already in normalised form (e.g. "deepseek-r1").
    pub canonical_ids: Vec<String>,
    /// Other names of the model or of its derivatives (e.g. Perplexity's "r1-1776").
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// Glob patterns over normalised ids; `*` matches any run of characters (e.g.
    /// "deepseek-r1-distill-*").
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// The entries in the forms names are compared in, worked out on first use.
    #[serde(skip)]
    pub compared_forms: ComparedForms,
}

/// A family's entries brought to the forms names are compared in: each canonical id and alias
/// normalised, and those and every pattern under [`confusable_key`]. Worked out once, on the
/// first match, rather than for every name judged. A cache: two families with the same entries
/// are equal whether or not theirs is filled.
#[derive(Debug, Clone, Default)]
pub struct ComparedForms(std::sync::OnceLock<EntryForms>);

impl PartialEq for ComparedForms {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ComparedForms {}

#[derive(Debug, Clone)]
struct EntryForms {
    /// Canonical ids then aliases, normalised (entries are normalised too, so that a family that
    /// skipped validation still compares like with like).
    names: Vec<String>,
    /// The same under [`confusable_key`].
    name_keys: Vec<String>,
    /// Each pattern under [`confusable_key`], which maps `*` to itself.
    pattern_keys: Vec<String>,
}

/// Which of its forms a name is compared in.
#[derive(Clone, Copy)]
enum Form {
    /// Its own normalised spelling.
    Own,
    /// The [`confusable_key`] of a look-alike-resistant form.
    Key,
}

/// Another name of a family's model, or the name of one of its derivatives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    /// The name, in normalised form (e.g. "deepseek-reasoner").
    pub name: String,
    /// True when the name is a derivative of the model rather than the model itself.
    #[serde(default)]
    pub derivative: bool,
    /// Why the name belongs to the family, for people reading the policy.
    #[serde(default)]
    pub note: Option<String>,
}

/// A glob over normalised ids naming releases of a family's model or its derivatives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// The glob; `*` matches any run of characters, every other character only itself.
    pub pattern: String,
    /// True when the ids it matches are derivatives of the model rather than the model itself.
    #[serde(default)]
    pub derivative: bool,
    /// Why the pattern belongs to the family, for people reading the policy.
    #[serde(default)]
    pub note: Option<String>,
}

/// Which kind of family entry a name matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    /// One of [`ModelFamily::canonical_ids`].
    Canonical,
    /// One of [`ModelFamily::aliases`].
    Alias,
    /// One of [`ModelFamily::patterns`].
    Pattern,
    /// Any entry, matched only in a look-alike-resistant form of the name (its skeleton or, for a
    /// name that mixes scripts, its transliteration), or matched by a name that mixes scripts:
    /// see the module documentation. The name was spelled to look like the entry.
    Confusable,
}

impl MatchRule {
    /// Lower-case name used in reports and test tables: `canonical`, `alias`, `pattern`,
    /// `confusable`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::Canonical => "canonical",
            MatchRule::Alias => "alias",
            MatchRule::Pattern => "pattern",
            MatchRule::Confusable => "confusable",
        }
    }
}

impl fmt::Display for MatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a model name belongs to a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMatch {
    /// The kind of entry that matched.
    pub rule: MatchRule,
    /// The policy entry that matched, exactly as the policy wrote it (canonical id, alias name
    /// or pattern).
    pub matched: String,
    /// The normalised id of the name that was judged; for [`MatchRule::Confusable`], the
    /// look-alike-resistant form that matched.
    pub normalized: String,
    /// True when the match is a derivative of the model rather than the model itself.
    pub derivative: bool,
}

/// `rule:matched:derivative` or `rule:matched:model`, e.g. `pattern:deepseek-r1-*:derivative`:
/// the form of the expected column of `tests/data/model_names.tsv`.
impl fmt::Display for FamilyMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.derivative {
            "derivative"
        } else {
            "model"
        };
        write!(f, "{}:{}:{kind}", self.rule, self.matched)
    }
}

impl ModelFamily {
    /// Checks the family's own data: at least one canonical id; every canonical id, alias and
    /// pattern is non-empty, at most [`MAX_ENTRY_CHARS`] characters and already normalised
    /// (`normalize(x).id == x`; for a pattern, when every `*` is replaced by `z` or by `0`);
    /// patterns contain a character other than `*`; no canonical id or alias is stated twice
    /// (an alias equal to a canonical id could never match); no pattern is stated twice; notes
    /// are at most [`MAX_NOTE_CHARS`] characters. Returns a message naming the bad entry.
    pub fn validate(&self) -> Result<(), String> {
        if self.canonical_ids.is_empty() {
            return Err("canonical_ids: at least one canonical id is required".to_owned());
        }
        // Canonical ids and aliases compete for the same normalised ids; patterns are globs.
        let mut names: Vec<(&str, String)> = Vec::new();
        for (i, id) in self.canonical_ids.iter().enumerate() {
            let label = format!("canonical_ids[{i}]");
            check_name(&label, id)?;
            check_unique(&mut names, label, id)?;
        }
        for (i, alias) in self.aliases.iter().enumerate() {
            let label = format!("aliases[{i}].name");
            check_name(&label, &alias.name)?;
            check_note(&format!("aliases[{i}].note"), alias.note.as_deref())?;
            check_unique(&mut names, label, &alias.name)?;
        }
        let mut globs: Vec<(&str, String)> = Vec::new();
        for (i, pattern) in self.patterns.iter().enumerate() {
            let label = format!("patterns[{i}].pattern");
            check_pattern(&label, &pattern.pattern)?;
            check_note(&format!("patterns[{i}].note"), pattern.note.as_deref())?;
            check_unique(&mut globs, label, &pattern.pattern)?;
        }
        Ok(())
    }

    /// The family entry `raw` matches, if any: canonical ids first, then aliases, then patterns
    /// (in file order), on the name's own spelling; failing that, the same on its
    /// look-alike-resistant forms, reported as [`MatchRule::Confusable`] (module documentation).
    pub fn matches(&self, raw: &str) -> Option<FamilyMatch> {
        let visible = visible_nfkc(raw);
        let id = normalize_visible(&visible).id;
        let mixes_scripts = !visible.as_str().is_single_script();
        if let Some(mut found) = self.find(&id, Form::Own) {
            if mixes_scripts || !look_alike_characters(raw).is_empty() {
                found.rule = MatchRule::Confusable;
            }
            return Some(found);
        }
        look_alike_forms(raw, &visible, mixes_scripts)
            .iter()
            .find_map(|form| self.find(form, Form::Key))
            .map(|found| FamilyMatch {
                rule: MatchRule::Confusable,
                ..found
            })
    }

    /// The first entry that the normalised `id` matches in `form`: canonical ids, then aliases,
    /// then patterns.
    fn find(&self, id: &str, form: Form) -> Option<FamilyMatch> {
        if id.is_empty() {
            return None;
        }
        let forms = self.compared_forms.0.get_or_init(|| {
            let names: Vec<String> = self
                .canonical_ids
                .iter()
                .chain(self.aliases.iter().map(|alias| &alias.name))
                .map(|entry| normalize(entry).id)
                .collect();
            EntryForms {
                name_keys: names.iter().map(|name| confusable_key(name)).collect(),
                names,
                pattern_keys: self
                    .patterns
                    .iter()
                    .map(|pattern| confusable_key(&pattern.pattern))
                    .collect(),
            }
        });
        let found = |rule, matched: &str, derivative| FamilyMatch {
            rule,
            matched: matched.to_owned(),
            normalized: id.to_owned(),
            derivative,
        };
        let (compared, names) = match form {
            Form::Own => (id.to_owned(), &forms.names),
            Form::Key => (confusable_key(id), &forms.name_keys),
        };
        if let Some(at) = names.iter().position(|name| *name == compared) {
            return Some(match at.checked_sub(self.canonical_ids.len()) {
                None => found(MatchRule::Canonical, &self.canonical_ids[at], false),
                Some(alias) => {
                    let alias = &self.aliases[alias];
                    found(MatchRule::Alias, &alias.name, alias.derivative)
                }
            });
        }
        self.patterns
            .iter()
            .enumerate()
            .find(|(i, pattern)| match form {
                Form::Own => glob_matches(&pattern.pattern, &compared),
                Form::Key => glob_matches(&forms.pattern_keys[*i], &compared),
            })
            .map(|(_, pattern)| found(MatchRule::Pattern, &pattern.pattern, pattern.derivative))
    }
}

/// The key under which two normalised ids that look alike compare equal: the UTS #39 skeleton of
/// the id, lower-cased, without combining marks, with `i` counted as `l` (names ignore case, and
/// the skeleton of `I` is `l`). So `deepseek-r1`, `deepseek-rl` and `deepseek-ri` share the key
/// `deepseek-rl`.
pub fn confusable_key(id: &str) -> String {
    skeleton(id)
        .filter(|&c| !is_combining_mark(c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'i' { 'l' } else { c })
        .collect()
}

/// The look-alike-resistant forms of a name (after step 1), normalised: its skeleton form and,
/// when it mixes scripts, its transliteration. They are compared by their [`confusable_key`].
fn look_alike_forms(raw: &str, visible: &str, mixes_scripts: bool) -> Vec<String> {
    let mut forms = vec![normalize_visible(&skeleton_form(raw)).id];
    if mixes_scripts {
        forms.push(normalize_visible(&transliterated_form(visible)).id);
    }
    forms
}

/// The name with each letter or digit of another script than ASCII's written in Latin letters
/// (the `deunicode` data: Cyrillic `Р` is `R`), except those that look like a digit, written as
/// that digit (Arabic-Indic `١` is `1`); every other character that is not ASCII is replaced by
/// its UTS #39 prototype, so that only letters are read by their sound. Then spelled as
/// [`skeleton_form`] spells, with digits where letters look like them.
fn transliterated_form(visible: &str) -> String {
    let mut written = String::with_capacity(visible.len());
    for c in visible.chars() {
        if c.is_ascii() {
            written.push(c);
        } else if let Some(digit) = digit_shown_by(c) {
            // Read by its look, as the steps read digits: a letter shaped like `5` after `r1.`
            // must keep `r1.5` one word, whatever its sound.
            written.push(digit);
        } else if c.is_alphanumeric() {
            written.push_str(deunicode::deunicode_char(c).unwrap_or(""));
        } else {
            written.extend(prototype(c).chars().filter(|&p| !is_combining_mark(p)));
        }
    }
    in_digits_where_alike(&written)
}

/// The name as its skeleton reads, lower-cased, in a spelling the normalisation steps can work
/// on: characters that render as nothing are deleted, every other character but ASCII letters
/// and digits is replaced by its UTS #39 prototype without combining marks, the result is brought
/// to NFKC (for what the confusables data leaves alone, such as superscripts), and then `i` and
/// `l` are written `1`, and `o` is written `0`. The prototype comes first because NFKC can turn a
/// look-alike into something else (the vertical em dash `︱`, which looks like `l`, is an em dash
/// under NFKC). Digits win
/// because the steps read digits (dates, versions such as `r1.5`, sizes): `rI.5` must read as the
/// `r1.5` it looks like, one word, not as `ri` and `5`. Letters and their look-alikes meet in
/// [`confusable_key`] all the same.
fn skeleton_form(raw: &str) -> String {
    let mut folded = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            folded.push(c);
        } else {
            // The skeleton deletes the characters that render as nothing.
            folded.extend(
                ascii_prototype_in_either_case(c)
                    .unwrap_or_else(|| prototype(c))
                    .chars()
                    .filter(|&p| !is_combining_mark(p)),
            );
        }
    }
    let folded: String = folded.nfkc().filter(|&c| !is_combining_mark(c)).collect();
    in_digits_where_alike(&folded)
}

/// The UTS #39 prototype of `c` if it is ASCII, else that of `c` in upper case if that is ASCII.
/// Names ignore case, and a letter's look-alike may be listed for one case only: the Cyrillic
/// `К` has the prototype `K`, its lower case `к` the Latin kra `ĸ`.
fn ascii_prototype_in_either_case(c: char) -> Option<String> {
    let ascii = |p: &String| !p.is_empty() && p.is_ascii();
    let own = prototype(c);
    if ascii(&own) {
        return Some(own);
    }
    let upper: String = c.to_uppercase().map(prototype).collect();
    ascii(&upper).then_some(upper)
}

/// `text` lower-cased, with `i` and `l` written `1` and `o` written `0`: the spelling in which
/// both look-alike-resistant forms reach the normalisation steps (see [`skeleton_form`]).
fn in_digits_where_alike(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect()
}

/// The characters of a name (brought to NFKC) that are not ASCII but whose UTS #39 prototype, in
/// their case or in upper case, is an ASCII letter or digit: Cyrillic `е` and `к`, Greek `Ρ`,
/// Arabic-Indic `١`, a musical bar line for `l`.
fn look_alike_characters(raw: &str) -> Vec<char> {
    raw.nfkc()
        .filter(|c| !c.is_ascii() && !is_combining_mark(*c))
        .filter(|&c| {
            ascii_prototype_in_either_case(c)
                .is_some_and(|p| p.chars().all(|p| p.is_ascii_alphanumeric()))
        })
        .collect()
}

/// Why a model name deserves a second look, if it does: it holds characters that render as
/// nothing, mixes scripts, holds characters that look like ASCII letters or digits, or carries
/// combining marks. Says how the registry reads it. Independent of any policy: a dataset record
/// shows it for every model-generated source so spelled.
pub fn look_alike_warning(raw: &str) -> Option<String> {
    // Every record read asks: a plain ASCII name (nearly all) has none of the reasons below.
    if raw.is_ascii() {
        return None;
    }
    let visible = visible_nfkc(raw);
    let mut reasons = Vec::new();
    if raw.chars().any(is_default_ignorable) {
        reasons.push("holds characters that render as nothing".to_owned());
    }
    let mixes_scripts = !visible.as_str().is_single_script();
    if mixes_scripts {
        reasons.push(format!(
            "mixes scripts ({})",
            scripts_of(&visible).join(", ")
        ));
    }
    let look_alikes = look_alike_characters(raw);
    if !look_alikes.is_empty() {
        let shown: Vec<String> = look_alikes
            .iter()
            .map(|c| format!("{c} U+{:04X}", u32::from(*c)))
            .collect();
        reasons.push(format!(
            "holds characters that look like ASCII letters or digits ({})",
            shown.join(", ")
        ));
    }
    if visible.chars().any(is_combining_mark) {
        reasons.push("carries combining marks".to_owned());
    }
    if reasons.is_empty() {
        return None;
    }
    let forms = look_alike_forms(raw, &visible, mixes_scripts);
    Some(format!(
        "model id {raw:?} {}; policies also match it in its look-alike-resistant form{} {}",
        reasons.join(", "),
        if forms.len() > 1 { "s" } else { "" },
        forms
            .iter()
            .map(|form| format!("{form:?}"))
            .collect::<Vec<_>>()
            .join(" and ")
    ))
}

/// The scripts a name's letters are written in, in order of first use, leaving out the
/// characters every script shares (digits, punctuation) and combining marks.
fn scripts_of(text: &str) -> Vec<&'static str> {
    let mut scripts: Vec<Script> = Vec::new();
    for c in text.chars() {
        let script = c.script();
        if !matches!(script, Script::Common | Script::Inherited | Script::Unknown)
            && !scripts.contains(&script)
        {
            scripts.push(script);
        }
    }
    scripts.iter().map(|s| s.full_name()).collect()
}

/// Hosts whose paths are `organisation/repository/…`.
const HUB_HOSTS: &[&str] = &[
    "huggingface.co",
    "hf.co",
    "hf-mirror.com",
    "modelscope.cn",
    "modelscope.ai",
    "github.com",
    "gitlab.com",
];

/// Hub pages below a repository that has no organisation (`huggingface.co/gpt2/tree/main`).
const REPOSITORY_PAGES: &[&str] = &[
    "tree",
    "blob",
    "resolve",
    "raw",
    "commit",
    "commits",
    "discussions",
    "edit",
];

/// Step 1 but for case: characters that render as nothing deleted, Unicode NFKC, and symbols and
/// punctuation that look like ASCII written as the ASCII they look like.
fn visible_nfkc(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !is_default_ignorable(c))
        .nfkc()
        .flat_map(AsciiLookAlike::of)
        .collect()
}

/// A character that is neither ASCII nor a letter or digit, but whose UTS #39 prototype is ASCII
/// (a Syriac full stop is `.`, the ratio sign `:`, a fraction slash `/`, a musical bar line `l`,
/// a crossing of diagonals `x`), replaced by that prototype; any other character as it is. The
/// steps read `.` between digits, `:`, `@` and `/`, and a symbol would otherwise part two words:
/// a look-alike must be read as what it shows. Letters and digits of other scripts stay, so that
/// a name spelled with them can be told apart ([`look_alike_characters`]).
enum AsciiLookAlike {
    Kept(std::iter::Once<char>),
    Replaced(std::vec::IntoIter<char>),
}

impl AsciiLookAlike {
    fn of(c: char) -> Self {
        if c.is_ascii() || c.is_alphanumeric() || is_combining_mark(c) {
            return Self::Kept(std::iter::once(c));
        }
        let shown: Vec<char> = prototype(c).chars().collect();
        if !shown.is_empty() && shown.iter().all(char::is_ascii_graphic) {
            Self::Replaced(shown.into_iter())
        } else {
            Self::Kept(std::iter::once(c))
        }
    }
}

impl Iterator for AsciiLookAlike {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            Self::Kept(c) => c.next(),
            Self::Replaced(chars) => chars.next(),
        }
    }
}

/// The UTS #39 prototype of one character: the skeleton of the string holding just `c`, empty
/// for the characters that render as nothing.
fn prototype(c: char) -> String {
    let mut buffer = [0; 4];
    skeleton(c.encode_utf8(&mut buffer)).collect()
}

/// Whether `c` is a Default_Ignorable_Code_Point: exactly the characters the UTS #39 skeleton
/// deletes (every other character has a prototype of one character or more).
fn is_default_ignorable(c: char) -> bool {
    if c.is_ascii() {
        // The common case, and none of them is.
        return false;
    }
    prototype(c).is_empty()
}

/// The part of a lower-cased name that names the model: step 2 of the module documentation.
fn name_segment(s: &str) -> &str {
    let s = s.find(['?', '#']).map_or(s, |end| &s[..end]);
    let (scheme, rest) = s.split_once("://").unwrap_or(("", s));
    let segments: Vec<&str> = rest
        .split(['/', '\\'])
        .filter(|segment| !matches!(*segment, "" | "." | ".."))
        .collect();
    if scheme == "azureml" {
        // `azureml://registries/<registry>/models/<name>/versions/<n>`.
        if let Some(name) = segments
            .iter()
            .skip_while(|segment| **segment != "models")
            .nth(1)
        {
            return name;
        }
    }
    let hub_path = if scheme == "hf" {
        Some(segments.as_slice())
    } else {
        match segments.split_first() {
            Some((host, path)) if is_hub_host(host) => Some(path),
            _ => None,
        }
    };
    if let Some(path) = hub_path {
        let path = match path {
            ["api", rest @ ..] => rest,
            _ => path,
        };
        let path = match path {
            ["models", rest @ ..] => rest,
            _ => path,
        };
        return match path {
            [] => "",
            [name] => name,
            [name, page, ..] if REPOSITORY_PAGES.contains(page) => name,
            [_, name, ..] => name,
        };
    }
    // A file inside the Hugging Face cache is named by its repository, not by the file.
    if let Some(cached) = segments
        .iter()
        .rev()
        .copied()
        .find_map(|segment| segment.strip_prefix("models--"))
    {
        return cached.rsplit_once("--").map_or(cached, |(_, name)| name);
    }
    segments.last().copied().unwrap_or("")
}

fn is_hub_host(segment: &str) -> bool {
    let host = segment
        .split_once(':')
        .map_or(segment, |(host, _port)| host);
    let host = host.strip_prefix("www.").unwrap_or(host);
    HUB_HOSTS.contains(&host)
}

/// Splits off a runtime tag or hub revision: step 3.
fn split_tag(segment: &str) -> (&str, Option<String>) {
    match segment.split_once([':', '@']) {
        Some((name, tag)) => {
            let tag = tag.trim();
            (name, (!tag.is_empty()).then(|| tag.to_owned()))
        }
        None => (segment, None),
    }
}

/// Splits a name into words: step 4.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let in_number = c == '.'
            && i > 0
            && looks_like_a_digit(chars[i - 1])
            && chars
                .get(i + 1)
                .is_some_and(|&next| looks_like_a_digit(next));
        // A combining mark belongs to the letter before it, not between two words.
        if c.is_alphanumeric() || is_combining_mark(c) || in_number {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// An ASCII digit, or a character that is not ASCII and has, itself or in upper case (the steps
/// see the name lower-cased), the UTS #39 skeleton of one (`Ƽ` and `ƽ` of `5`, `١` of `1`): a
/// version such as `r1.Ƽ` stays one word, as the `r1.5` it shows.
fn looks_like_a_digit(c: char) -> bool {
    digit_shown_by(c).is_some()
}

/// The ASCII digit `c` is or looks like (see [`looks_like_a_digit`]).
fn digit_shown_by(c: char) -> Option<char> {
    if c.is_ascii() {
        return c.is_ascii_digit().then_some(c);
    }
    let forms: Vec<String> = std::iter::once(c)
        .chain(c.to_uppercase())
        .map(prototype)
        .collect();
    ('0'..='9').find(|&digit| forms.contains(&prototype(digit)))
}

/// Removes dated revisions: step 5.
fn take_revision(words: &mut Vec<String>) -> Option<String> {
    let mut first = None;
    // The first word is the model's own name, never a revision of it.
    let mut i = 1;
    while i < words.len() {
        let len = match &words[i..] {
            [year, month, day, ..] if is_date(year, month, day) => 3,
            [word, ..] if is_revision_word(word) => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        let removed: Vec<String> = words.drain(i..i + len).collect();
        first.get_or_insert_with(|| removed.join("-"));
    }
    first
}

fn is_revision_word(word: &str) -> bool {
    if !is_number(word) {
        return match word.split('.').collect::<Vec<_>>().as_slice() {
            [year, month, day] => is_date(year, month, day),
            _ => false,
        };
    }
    // Only called on ASCII digits, so byte ranges are character ranges and parsing succeeds.
    let at = |from: usize, to: usize| word[from..to].parse::<u32>().unwrap_or(0);
    match word.len() {
        4 => is_month_day(at(0, 2), at(2, 4)) || (is_short_year(at(0, 2)) && is_month(at(2, 4))),
        6 => is_short_year(at(0, 2)) && is_month_day(at(2, 4), at(4, 6)),
        8 => is_long_year(at(0, 4)) && is_month_day(at(4, 6), at(6, 8)),
        _ => false,
    }
}

/// `YYYY`, `MM`, `DD` as separate words.
fn is_date(year: &str, month: &str, day: &str) -> bool {
    let number = |s: &str, len: usize| {
        if s.len() == len && is_number(s) {
            s.parse::<u32>().ok()
        } else {
            None
        }
    };
    match (number(year, 4), number(month, 2), number(day, 2)) {
        (Some(year), Some(month), Some(day)) => is_long_year(year) && is_month_day(month, day),
        _ => false,
    }
}

fn is_short_year(year: u32) -> bool {
    // Model releases with dated names began around 2020; the bound leaves room for the future
    // while keeping `1776`, `4096` and `8192` out.
    (20..=39).contains(&year)
}

fn is_long_year(year: u32) -> bool {
    (2000..=2099).contains(&year)
}

fn is_month(month: u32) -> bool {
    (1..=12).contains(&month)
}

fn is_month_day(month: u32, day: u32) -> bool {
    const DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    is_month(month) && day >= 1 && DAYS.get(month as usize - 1).is_some_and(|&max| day <= max)
}

/// Removes format, quantisation and conversion suffixes: step 6.
fn take_release(words: &mut Vec<String>) -> Vec<String> {
    let mut release = Vec::new();
    'strip: loop {
        // Longest first, so that `q4-k-m` is one quantisation rather than a stray `m`.
        for len in (1..=3).rev() {
            // The first word is the model's own name, never a suffix of it.
            if len >= words.len() {
                continue;
            }
            if let Some(name) = release_name(&words[words.len() - len..]) {
                words.truncate(words.len() - len);
                release.push(name);
                continue 'strip;
            }
        }
        break;
    }
    release.reverse();
    release
}

/// The recorded name of a release suffix made of `tail`, if it is one.
fn release_name(tail: &[String]) -> Option<String> {
    if is_quantisation(&tail.concat()) {
        return Some(tail.join("_"));
    }
    match tail {
        [count, of, total] if of == "of" && is_number(count) && is_number(total) => {
            Some(tail.join("-"))
        }
        [bits, unit] if is_small_number(bits) && matches!(unit.as_str(), "bit" | "bits") => {
            Some(format!("{bits}bit"))
        }
        [word] if is_release_word(word) => Some(word.clone()),
        _ => None,
    }
}

/// Words that name a format, a tool or a conversion, never a model.
const RELEASE_WORDS: &[&str] = &[
    "gguf",
    "ggml",
    "awq",
    "gptq",
    "exl2",
    "exl3",
    "mlx",
    "mlc",
    "dwq",
    "onnx",
    "openvino",
    "ov",
    "coreml",
    "ct2",
    "tensorrt",
    "trtllm",
    "safetensors",
    "bnb",
    "hqq",
    "autoround",
    "hf",
    "unsloth",
    "ud",
    "imatrix",
    "i1",
    "quantized",
    "quant",
    "dynamic",
    "sym",
    "asym",
    "bf16",
    "f16",
    "f32",
    "nf4",
    "nvfp4",
    "mxfp4",
    "e4m3",
    "e5m2",
];

fn is_release_word(word: &str) -> bool {
    RELEASE_WORDS.contains(&word)
        || numbered_in(word, "fp")
        || numbered_in(word, "int")
        || word
            .strip_prefix('w')
            .and_then(|rest| rest.split_once('a'))
            .is_some_and(|(weights, activations)| {
                is_small_number(weights)
                    && (is_small_number(activations)
                        || numbered_in(activations, "fp")
                        || numbered_in(activations, "int"))
            })
        || word
            .strip_suffix("bits")
            .or_else(|| word.strip_suffix("bit"))
            .is_some_and(is_small_number)
        || word.strip_suffix("bpw").is_some_and(|bits| {
            let (whole, fraction) = bits.split_once('.').unwrap_or((bits, "0"));
            is_small_number(whole) && is_number(fraction)
        })
}

/// `prefix` followed by a one- or two-digit number, as in `fp8`, `int4`.
fn numbered_in(word: &str, prefix: &str) -> bool {
    word.strip_prefix(prefix).is_some_and(is_small_number)
}

/// A llama.cpp quantisation type with its separators removed, e.g. `q4km`, `q80`, `iq2xxs`, or
/// an MLC one such as `q4f161` (`q4f16_1`).
fn is_quantisation(fused: &str) -> bool {
    if let Some(rest) = fused.strip_prefix('q')
        && let Some((bits, float)) = rest.split_once('f')
        && bits.len() == 1
        && is_number(bits)
        && ["16", "32", "161", "321"].contains(&float)
    {
        return true;
    }
    let (rest, suffixes): (&str, &[&str]) = if let Some(rest) = fused.strip_prefix("iq") {
        (rest, &["", "xxs", "xs", "s", "m", "nl", "xl"])
    } else if let Some(rest) = fused.strip_prefix("tq") {
        (rest, &[""])
    } else if let Some(rest) = fused.strip_prefix('q') {
        (rest, &["", "k", "ks", "km", "kl", "kxl"])
    } else {
        return false;
    };
    // At most two digits: the bit width and, fused in, a `_0`/`_1` variant (`q8_0` → `q80`).
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && suffixes.contains(&&rest[digits..])
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_small_number(s: &str) -> bool {
    is_number(s) && s.len() <= 2
}

/// Glob match where `*` matches any run of characters, the empty run included.
fn glob_matches(pattern: &str, text: &str) -> bool {
    // Bytes are safe for UTF-8: literal runs can only match at character boundaries.
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, and the text it swallowed to.
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                resume = Some((p, t));
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match resume {
                Some((after_star, swallowed)) => {
                    p = after_star;
                    t = swallowed + 1;
                    resume = Some((after_star, t));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn check_name(label: &str, value: &str) -> Result<(), String> {
    check_entry(label, value)?;
    let normal = normalize(value).id;
    if normal.is_empty() {
        return Err(format!(
            "{label} {}: has no letters or digits",
            shown(value)
        ));
    }
    if normal != value {
        return Err(format!(
            "{label} {}: must be in normalised form, {normal:?}",
            shown(value)
        ));
    }
    Ok(())
}

fn check_pattern(label: &str, pattern: &str) -> Result<(), String> {
    check_entry(label, pattern)?;
    if pattern.chars().all(|c| c == '*') {
        return Err(format!(
            "{label} {}: must contain a character other than `*`",
            shown(pattern)
        ));
    }
    // A pattern is normalised if some id could fill its stars. Two fillers, because a letter
    // cannot continue a version number (`qwen2.*`) and a digit can complete a date or a
    // quantisation (`deepseek-*528`, `deepseek-q8-*`).
    let fillable = ["z", "0"].iter().any(|filler| {
        let filled = pattern.replace('*', filler);
        normalize(&filled).id == filled
    });
    if !fillable {
        return Err(format!(
            "{label} {}: must be in normalised form (lower case, words joined by single hyphens, \
             no organisation, tag, revision or format suffix), or it could never match",
            shown(pattern)
        ));
    }
    Ok(())
}

fn check_entry(label: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{label}: must not be empty"));
    }
    if value.chars().count() > MAX_ENTRY_CHARS {
        return Err(format!(
            "{label} {}: must be at most {MAX_ENTRY_CHARS} characters",
            shown(value)
        ));
    }
    Ok(())
}

fn check_note(label: &str, note: Option<&str>) -> Result<(), String> {
    match note {
        Some(note) if note.chars().count() > MAX_NOTE_CHARS => Err(format!(
            "{label}: must be at most {MAX_NOTE_CHARS} characters"
        )),
        _ => Ok(()),
    }
}

fn check_unique<'a>(
    seen: &mut Vec<(&'a str, String)>,
    label: String,
    value: &'a str,
) -> Result<(), String> {
    if let Some((_, first)) = seen.iter().find(|(earlier, _)| *earlier == value) {
        return Err(format!("{label} {}: repeats {first}", shown(value)));
    }
    seen.push((value, label));
    Ok(())
}

/// An entry quoted for a message, shortened so that a hostile policy cannot flood the log.
fn shown(value: &str) -> String {
    const SHOWN_CHARS: usize = 60;
    if value.chars().count() <= SHOWN_CHARS {
        format!("{value:?}")
    } else {
        let start: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{start:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling with the built-in family's answer; also driven through the gRPC API.
    const TABLE: &str = include_str!("../../tests/data/model_names.tsv");

    /// The built-in DeepSeek-R1 family, read from the policy file itself so that the table holds the
    /// policy the server ships, not a copy of it.
    fn deepseek_r1() -> ModelFamily {
        crate::domain::policy::Policy::from_toml(include_str!("../../policies/deepseek-r1.toml"))
            .expect("the built-in policy parses")
            .restricted
    }

    fn family(canonical: &[&str], aliases: &[&str], patterns: &[&str]) -> ModelFamily {
        ModelFamily {
            compared_forms: ComparedForms::default(),
            canonical_ids: canonical.iter().map(|s| s.to_string()).collect(),
            aliases: aliases
                .iter()
                .map(|name| Alias {
                    name: name.to_string(),
                    derivative: true,
                    note: None,
                })
                .collect(),
            patterns: patterns
                .iter()
                .map(|pattern| Pattern {
                    pattern: pattern.to_string(),
                    derivative: true,
                    note: None,
                })
                .collect(),
        }
    }

    #[test]
    fn every_spelling_in_the_table_gets_its_expected_answer() {
        let policies =
            crate::domain::policy::PolicySet::builtin().expect("the built-in policies load");
        let mut lines = TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty());
        assert_eq!(lines.next(), Some("policy\tspelling\texpected"));
        let mut rows: std::collections::BTreeMap<&str, usize> = Default::default();
        let mut seen = std::collections::HashSet::new();
        let mut failures = Vec::new();
        for line in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            let [policy_id, spelling, expected] = fields.as_slice() else {
                failures.push(format!("not three tab-separated fields: {line:?}"));
                continue;
            };
            let Ok(policy) = policies.get("policy", policy_id, "version", "") else {
                failures.push(format!("{policy_id:?} is not a built-in policy"));
                continue;
            };
            assert_eq!(policy.restricted.validate(), Ok(()));
            *rows.entry(policy_id).or_default() += 1;
            if !seen.insert((*policy_id, *spelling)) {
                failures.push(format!("{spelling:?} is listed twice for {policy_id}"));
            }
            if spelling.trim() != *spelling {
                // The gRPC API refuses names with surrounding whitespace.
                failures.push(format!("{spelling:?} has surrounding whitespace"));
            }
            let actual = policy
                .restricted
                .matches(spelling)
                .map_or_else(|| "-".to_owned(), |found| found.to_string());
            if actual != *expected {
                failures.push(format!(
                    "{policy_id}: {spelling:?}: expected {expected}, got {actual} (normalised to {:?})",
                    normalize(spelling).id
                ));
            }
        }
        let total: usize = rows.values().sum();
        assert!(
            failures.is_empty(),
            "{} of {total} rows are wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // Every shipped family is tabled, each with at least 40 spellings.
        for policy in policies.list() {
            let count = rows.get(policy.id.as_str()).copied().unwrap_or(0);
            assert!(count >= 40, "{}: only {count} rows", policy.id);
        }
    }

    #[test]
    fn a_match_reports_the_entry_as_written_and_the_judged_id() {
        let found = deepseek_r1()
            .matches("bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF")
            .expect("a distill matches");
        assert_eq!(
            found,
            FamilyMatch {
                rule: MatchRule::Pattern,
                matched: "deepseek-r1-*".to_owned(),
                normalized: "deepseek-r1-distill-qwen-32b".to_owned(),
                derivative: true,
            }
        );
        assert_eq!(found.to_string(), "pattern:deepseek-r1-*:derivative");

        let found = deepseek_r1()
            .matches("DeepSeek Reasoner")
            .expect("the API name matches");
        assert_eq!(
            (found.rule, found.matched.as_str(), found.derivative),
            (MatchRule::Alias, "deepseek-reasoner", false)
        );
        assert_eq!(found.to_string(), "alias:deepseek-reasoner:model");
    }

    fn name(
        id: &str,
        revision: Option<&str>,
        tag: Option<&str>,
        release: &[&str],
    ) -> NormalizedName {
        NormalizedName {
            id: id.to_owned(),
            revision: revision.map(str::to_owned),
            tag: tag.map(str::to_owned),
            release: release.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn normalize_records_what_it_removes() {
        let cases = [
            (
                "deepseek-ai/DeepSeek-R1",
                name("deepseek-r1", None, None, &[]),
            ),
            (
                "deepseek-ai/DeepSeek-R1-0528",
                name("deepseek-r1", Some("0528"), None, &[]),
            ),
            (
                "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B",
                name("deepseek-r1-qwen3-8b", Some("0528"), None, &[]),
            ),
            (
                "deepseek-r1:671b-q4_K_M",
                name("deepseek-r1", None, Some("671b-q4_k_m"), &[]),
            ),
            (
                "hf.co/unsloth/DeepSeek-R1-GGUF:Q4_K_M",
                name("deepseek-r1", None, Some("q4_k_m"), &["gguf"]),
            ),
            (
                "deepseek-ai/DeepSeek-R1@main",
                name("deepseek-r1", None, Some("main"), &[]),
            ),
            (
                "unsloth/DeepSeek-R1-0528-GGUF",
                name("deepseek-r1", Some("0528"), None, &["gguf"]),
            ),
            (
                "RedHatAI/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic",
                name(
                    "deepseek-r1-distill-llama-70b",
                    None,
                    None,
                    &["fp8", "dynamic"],
                ),
            ),
            (
                "RedHatAI/DeepSeek-R1-0528-quantized.w4a16",
                name("deepseek-r1", Some("0528"), None, &["quantized", "w4a16"]),
            ),
            (
                "unsloth/DeepSeek-R1-Distill-Llama-8B-unsloth-bnb-4bit",
                name(
                    "deepseek-r1-distill-llama-8b",
                    None,
                    None,
                    &["unsloth", "bnb", "4bit"],
                ),
            ),
            (
                "DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf",
                name(
                    "deepseek-r1",
                    None,
                    None,
                    &["ud", "iq1_s", "00001-of-00003", "gguf"],
                ),
            ),
            (
                "C:\\models\\DeepSeek-R1-Q8_0.gguf",
                name("deepseek-r1", None, None, &["q8_0", "gguf"]),
            ),
            (
                "DeepSeek R1 4 bit MLX",
                name("deepseek-r1", None, None, &["4bit", "mlx"]),
            ),
            (
                "turboderp/DeepSeek-R1-Distill-Qwen-7B-6.0bpw-exl2",
                name(
                    "deepseek-r1-distill-qwen-7b",
                    None,
                    None,
                    &["6.0bpw", "exl2"],
                ),
            ),
            (
                "cognitivecomputations/DeepSeek-R1-AWQ",
                name("deepseek-r1", None, None, &["awq"]),
            ),
            ("  DeepSeek__R1  ", name("deepseek-r1", None, None, &[])),
            (
                "Deep\u{00AD}Seek\u{200B}-R1\u{FEFF}",
                name("deepseek-r1", None, None, &[]),
            ),
            (
                "ｈｆ．ｃｏ／ｕｎｓｌｏｔｈ／ＤｅｅｐＳｅｅｋ－Ｒ１－ＧＧＵＦ：Ｑ４＿Ｋ＿Ｍ",
                name("deepseek-r1", None, Some("q4_k_m"), &["gguf"]),
            ),
            (
                "mlc-ai/DeepSeek-R1-Distill-Qwen-7B-q4f16_1-MLC",
                name(
                    "deepseek-r1-distill-qwen-7b",
                    None,
                    None,
                    &["q4f16_1", "mlc"],
                ),
            ),
            (
                "DeepSeek-R1-W4AFP8",
                name("deepseek-r1", None, None, &["w4afp8"]),
            ),
            (
                "meta-llama/Llama-2-7b-chat-hf",
                name("llama-2-7b-chat", None, None, &["hf"]),
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn normalize_finds_the_repository_in_urls_and_paths() {
        for (raw, id) in [
            (
                "https://huggingface.co/deepseek-ai/DeepSeek-R1",
                "deepseek-r1",
            ),
            (
                "https://www.huggingface.co/deepseek-ai/DeepSeek-R1/",
                "deepseek-r1",
            ),
            (
                "https://huggingface.co/deepseek-ai/DeepSeek-R1/blob/main/config.json",
                "deepseek-r1",
            ),
            (
                "https://huggingface.co/deepseek-ai/DeepSeek-R1?library=transformers",
                "deepseek-r1",
            ),
            (
                "https://huggingface.co/api/models/deepseek-ai/DeepSeek-R1",
                "deepseek-r1",
            ),
            ("https://huggingface.co/gpt2/tree/main", "gpt2"),
            ("hf://deepseek-ai/DeepSeek-R1/tree/main", "deepseek-r1"),
            (
                "https://modelscope.cn/models/deepseek-ai/DeepSeek-R1/summary",
                "deepseek-r1",
            ),
            (
                "https://github.com/deepseek-ai/DeepSeek-R1/blob/main/README.md",
                "deepseek-r1",
            ),
            ("https://ollama.com/library/deepseek-r1", "deepseek-r1"),
            (
                "/root/.cache/huggingface/hub/models--deepseek-ai--DeepSeek-R1/snapshots/abc/config.json",
                "deepseek-r1",
            ),
            ("./models/DeepSeek-R1.gguf", "deepseek-r1"),
            (
                "azureml://registries/azureml-deepseek/models/DeepSeek-R1/versions/1",
                "deepseek-r1",
            ),
            ("azureml://registries/azureml-deepseek/models", "models"),
            ("huggingface.co", ""),
            ("", ""),
            ("  ", ""),
            ("///", ""),
            (":70b", ""),
        ] {
            assert_eq!(normalize(raw).id, id, "{raw:?}");
        }
    }

    #[test]
    fn normalize_keeps_numbers_that_belong_to_the_name() {
        for (raw, id) in [
            ("r1-1776", "r1-1776"),
            ("perplexity-ai/R1-1776", "r1-1776"),
            ("deepseek-coder-33b", "deepseek-coder-33b"),
            ("Qwen2.5-72B", "qwen2.5-72b"),
            ("DeepSeek-V2.5", "deepseek-v2.5"),
            ("Llama-3.1-70B", "llama-3.1-70b"),
            (
                "DeepSeek-R1-Distill-Qwen-1.5B",
                "deepseek-r1-distill-qwen-1.5b",
            ),
            (
                "deepseek-r1-distill-llama-70b-awq",
                "deepseek-r1-distill-llama-70b",
            ),
            ("model-2048", "model-2048"),
            ("model-4096", "model-4096"),
            ("model-2025", "model-2025"),
            ("model-0230", "model-0230"),
            ("model-1300", "model-1300"),
            ("model-0000", "model-0000"),
            ("model-13-05-28", "model-13-05-28"),
            ("model-12345", "model-12345"),
            ("model-05-28", "model-05-28"),
            ("DeepSeek.R1", "deepseek-r1"),
            ("deepseek-r1.0528", "deepseek-r1.0528"),
            // The first word is never a revision or a suffix: something must remain.
            ("0528", "0528"),
            ("gguf", "gguf"),
            ("q4_k_m", "q4-k-m"),
            // A stray letter is a word of the name unless a quantisation precedes it.
            ("model-m", "model-m"),
            ("model-k-m", "model-k-m"),
        ] {
            let normal = normalize(raw);
            assert_eq!(normal.id, id, "{raw:?}");
            assert_eq!(normal.revision, None, "{raw:?}");
        }
    }

    #[test]
    fn normalize_recognises_each_revision_form() {
        for (raw, revision) in [
            ("model-0528", "0528"),
            ("model-0229", "0229"),
            ("model-1231", "1231"),
            ("model-2501", "2501"),
            ("model-3912", "3912"),
            ("model-250528", "250528"),
            ("model-20250528", "20250528"),
            ("model-2025-05-28", "2025-05-28"),
            ("model 2025.05.28", "2025.05.28"),
            ("model-0528-chat", "0528"),
            ("model-0528-x-0601", "0528"),
        ] {
            let normal = normalize(raw);
            assert_eq!(normal.revision.as_deref(), Some(revision), "{raw:?}");
            assert!(
                normal.id == "model" || normal.id == "model-chat" || normal.id == "model-x",
                "{raw:?} gave {:?}",
                normal.id
            );
        }
    }

    #[test]
    fn patterns_are_globs_over_the_whole_id() {
        for (pattern, text, expected) in [
            ("deepseek-r1-*", "deepseek-r1-zero", true),
            ("deepseek-r1-*", "deepseek-r1-distill-qwen-7b", true),
            ("deepseek-r1-*", "deepseek-r1", false),
            ("deepseek-r1-*", "deepseek-r10", false),
            ("deepseek-r1-*", "deepseek-r1x", false),
            ("deepseek-r1-*", "my-deepseek-r1-x", false),
            ("*-distill-*", "deepseek-r1-distill-qwen-7b", true),
            ("*-distill-*", "distill-qwen", false),
            ("a*b*c", "a-xbx-b-c", true),
            ("a*b*c", "a-xbx-b-c-d", false),
            ("*r1", "deepseek-r1", true),
            ("deepseek-*-7b", "deepseek-r1-distill-qwen-7b", true),
            ("x**", "x", true),
            ("qwen2.*", "qwen2.5-7b", true),
            ("qwen2.*", "qwen205", false),
            ("*", "", true),
            ("é*", "écrit", true),
        ] {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn entries_are_tried_in_order_canonical_alias_pattern() {
        let mut family = family(
            &["deepseek-r1"],
            &["deepseek-r1-zero"],
            &["deepseek-*", "deepseek-r1-*"],
        );
        family.aliases[0].derivative = false;
        let by_rule = |raw: &str| family.matches(raw).map(|found| found.to_string());
        assert_eq!(
            by_rule("DeepSeek-R1").as_deref(),
            Some("canonical:deepseek-r1:model")
        );
        assert_eq!(
            by_rule("DeepSeek-R1-Zero").as_deref(),
            Some("alias:deepseek-r1-zero:model")
        );
        // The first pattern in file order wins.
        assert_eq!(
            by_rule("DeepSeek-R1-Lite-Preview").as_deref(),
            Some("pattern:deepseek-*:derivative")
        );
        assert_eq!(by_rule(""), None);
    }

    #[test]
    fn a_policy_may_name_what_the_built_in_family_leaves_out() {
        let family = family(&["deepseek-r1"], &["r1", "deepseek-r2"], &[]);
        assert_eq!(family.validate(), Ok(()));
        assert_eq!(
            family.matches("R1").map(|found| found.matched).as_deref(),
            Some("r1")
        );
        // `R1-0528` is `r1` with a revision.
        assert_eq!(
            family
                .matches("R1-0528")
                .map(|found| found.matched)
                .as_deref(),
            Some("r1")
        );
        assert_eq!(
            family
                .matches("DeepSeek-R2")
                .map(|found| found.matched)
                .as_deref(),
            Some("deepseek-r2")
        );
        assert_eq!(deepseek_r1().matches("R1"), None);
        assert_eq!(deepseek_r1().matches("DeepSeek-R2"), None);
    }

    #[test]
    fn aliases_are_compared_in_normalised_form() {
        // A family that skipped validation still matches its entries' normal forms.
        let family = family(&["DeepSeek-R1"], &["Perplexity-AI/R1-1776"], &[]);
        assert!(family.validate().is_err());
        assert_eq!(
            family
                .matches("deepseek-r1")
                .map(|found| found.matched)
                .as_deref(),
            Some("DeepSeek-R1")
        );
        assert_eq!(
            family
                .matches("r1 1776")
                .map(|found| found.matched)
                .as_deref(),
            Some("Perplexity-AI/R1-1776")
        );
    }

    #[test]
    fn validate_names_each_bad_entry() {
        let long = "a".repeat(MAX_ENTRY_CHARS + 1);
        let long = long.as_str();
        let long_pattern = format!("{}*", "a".repeat(MAX_ENTRY_CHARS));
        let long_pattern = long_pattern.as_str();
        let cases: Vec<(ModelFamily, &str)> = vec![
            (family(&[], &[], &[]), "canonical_ids: at least one"),
            (
                family(&[""], &[], &[]),
                "canonical_ids[0]: must not be empty",
            ),
            (
                family(&["deepseek-r1", "DeepSeek-R1"], &[], &[]),
                "canonical_ids[1] \"DeepSeek-R1\": must be in normalised form, \"deepseek-r1\"",
            ),
            (
                family(&["deepseek-ai/deepseek-r1"], &[], &[]),
                "canonical_ids[0] \"deepseek-ai/deepseek-r1\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1-0528"], &[], &[]),
                "canonical_ids[0] \"deepseek-r1-0528\": must be in normalised form, \"deepseek-r1\"",
            ),
            (
                family(&["deepseek-r1-gguf"], &[], &[]),
                "canonical_ids[0] \"deepseek-r1-gguf\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1:70b"], &[], &[]),
                "canonical_ids[0] \"deepseek-r1:70b\": must be in normalised form",
            ),
            (
                family(&["--"], &[], &[]),
                "canonical_ids[0] \"--\": has no letters or digits",
            ),
            (family(&[long], &[], &[]), "canonical_ids[0] \"aaaa"),
            (
                family(&["deepseek-r1", "deepseek-r1"], &[], &[]),
                "canonical_ids[1] \"deepseek-r1\": repeats canonical_ids[0]",
            ),
            (
                family(&["deepseek-r1"], &[""], &[]),
                "aliases[0].name: must not be empty",
            ),
            (
                family(&["deepseek-r1"], &["R1 1776"], &[]),
                "aliases[0].name \"R1 1776\": must be in normalised form, \"r1-1776\"",
            ),
            (
                family(&["deepseek-r1"], &["deepseek-r1"], &[]),
                "aliases[0].name \"deepseek-r1\": repeats canonical_ids[0]",
            ),
            (
                family(&["deepseek-r1"], &["r1-1776", "r1-1776"], &[]),
                "aliases[1].name \"r1-1776\": repeats aliases[0].name",
            ),
            (family(&["deepseek-r1"], &[long], &[]), "aliases[0].name"),
            (
                family(&["deepseek-r1"], &[], &[""]),
                "patterns[0].pattern: must not be empty",
            ),
            (
                family(&["deepseek-r1"], &[], &["*"]),
                "patterns[0].pattern \"*\": must contain a character other than `*`",
            ),
            (
                family(&["deepseek-r1"], &[], &["**"]),
                "patterns[0].pattern \"**\": must contain",
            ),
            (
                family(&["deepseek-r1"], &[], &["DeepSeek-R1-*"]),
                "patterns[0].pattern \"DeepSeek-R1-*\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &["deepseek-r1-*-gguf"]),
                "patterns[0].pattern \"deepseek-r1-*-gguf\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &["deepseek-*-0528"]),
                "patterns[0].pattern \"deepseek-*-0528\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &["deepseek-ai/*"]),
                "patterns[0].pattern \"deepseek-ai/*\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &["deepseek r1*"]),
                "patterns[0].pattern \"deepseek r1*\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &["-*"]),
                "patterns[0].pattern \"-*\": must be in normalised form",
            ),
            (
                family(&["deepseek-r1"], &[], &[long_pattern]),
                "patterns[0].pattern \"aaaa",
            ),
            (
                family(&["deepseek-r1"], &[], &["r1-*", "x-*", "r1-*"]),
                "patterns[2].pattern \"r1-*\": repeats patterns[0].pattern",
            ),
        ];
        for (family, expected) in cases {
            let message = family.validate().expect_err(expected);
            assert!(
                message.starts_with(expected),
                "{message:?} does not start with {expected:?}"
            );
        }

        let mut noted = family(&["deepseek-r1"], &["r1-1776"], &["r1-1776-*"]);
        noted.aliases[0].note = Some("n".repeat(MAX_NOTE_CHARS + 1));
        assert_eq!(
            noted.validate(),
            Err(format!(
                "aliases[0].note: must be at most {MAX_NOTE_CHARS} characters"
            ))
        );
        noted.aliases[0].note = None;
        noted.patterns[0].note = Some("n".repeat(MAX_NOTE_CHARS + 1));
        assert!(
            noted
                .validate()
                .is_err_and(|message| message.starts_with("patterns[0].note:"))
        );

        // Messages quote a long entry only in part.
        let message = family(&[long], &[], &[]).validate().expect_err("too long");
        assert!(message.contains('…') && message.len() < 150, "{message}");
    }

    #[test]
    fn validate_accepts_sound_families() {
        let longest = "a".repeat(MAX_ENTRY_CHARS);
        let alias = format!("{}b", "a".repeat(MAX_ENTRY_CHARS - 1));
        for family in [
            deepseek_r1(),
            family(&["deepseek-r1"], &[], &[]),
            family(&[longest.as_str()], &[alias.as_str()], &[]),
            family(
                &["qwen2.5"],
                &[],
                &[
                    "qwen2.*",
                    "*-distill-*",
                    "*r1",
                    "deepseek-r1*",
                    "deepseek-*528",
                    "deepseek-q8-*",
                ],
            ),
            family(&["r1"], &["deepseek-reasoner"], &["deepseek-r1-*"]),
        ] {
            assert_eq!(family.validate(), Ok(()), "{family:?}");
        }
    }

    #[test]
    fn policy_files_are_strict_about_fields() {
        let minimal: ModelFamily = serde_json::from_str(r#"{ "canonical_ids": ["deepseek-r1"] }"#)
            .expect("minimal family");
        assert_eq!(minimal, family(&["deepseek-r1"], &[], &[]));
        let parsed = deepseek_r1();
        let alias = |name: &str| parsed.aliases.iter().find(|a| a.name == name).expect(name);
        assert!(!alias("deepseek-reasoner").derivative);
        assert!(alias("r1-1776").derivative);
        for bad in [
            r#"{ "aliases": [] }"#,
            r#"{ "canonical_ids": ["deepseek-r1"], "alias": [] }"#,
            r#"{ "canonical_ids": ["deepseek-r1"], "aliases": [{ "name": "r1", "derived": true }] }"#,
            r#"{ "canonical_ids": ["deepseek-r1"], "patterns": [{ "glob": "r1-*" }] }"#,
            r#"{ "canonical_ids": ["deepseek-r1"], "patterns": [{ "pattern": "r1-*", "derivative": "yes" }] }"#,
        ] {
            assert!(serde_json::from_str::<ModelFamily>(bad).is_err(), "{bad}");
        }
    }
}
