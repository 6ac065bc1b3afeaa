//! Look-alike spellings of restricted model names, generated from Unicode's confusables data.
//!
//! The data comes from the `unicode-security` crate (UTS #39): two characters are confusable when
//! they have the same skeleton. Every restricted id and alias of the shipped policy, with random
//! characters replaced by characters confusable with them (and random case), must still match the
//! restricted family; the same replacements in the names the table of spellings lists as not in
//! the family must never make them match, since a replacement leaves the skeleton as it was.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use proptest::collection::vec;
use proptest::prelude::*;
use provenance_registry::domain::model_name::{MatchRule, ModelFamily};
use provenance_registry::domain::policy::Policy;
use unicode_normalization::UnicodeNormalization;
use unicode_security::skeleton;

/// For each skeleton, every character that has it, in code point order.
static CONFUSABLE_WITH: LazyLock<BTreeMap<String, Vec<char>>> = LazyLock::new(|| {
    let mut by_skeleton: BTreeMap<String, Vec<char>> = BTreeMap::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let mut buffer = [0; 4];
        let prototype: String = skeleton(c.encode_utf8(&mut buffer)).collect();
        if !prototype.is_empty() {
            by_skeleton.entry(prototype).or_default().push(c);
        }
    }
    by_skeleton
});

/// The characters confusable with `c`, itself included.
fn confusables_of(c: char) -> &'static [char] {
    let mut buffer = [0; 4];
    let prototype: String = skeleton(c.encode_utf8(&mut buffer)).collect();
    CONFUSABLE_WITH
        .get(&prototype)
        .map_or(&[], |chars| chars.as_slice())
}

fn shipped_family() -> ModelFamily {
    Policy::from_toml(include_str!("../policies/deepseek-r1.toml"))
        .expect("the built-in policy parses")
        .restricted
}

/// The policy whose family the properties judge.
const SHIPPED_POLICY: &str = "deepseek-r1-anti-distillation";

/// The names the table of spellings says are not in the family.
fn clean_names() -> Vec<String> {
    include_str!("data/model_names.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
        .filter(|(policy, _, expected)| *policy == SHIPPED_POLICY && *expected == "-")
        .map(|(_, spelling, _)| spelling.to_owned())
        .collect()
}

/// `name` with the characters at the chosen positions replaced by chosen confusable characters
/// and the chosen ASCII letters' case flipped. A choice is (position, pick), each taken modulo.
fn disguise(name: &str, replacements: &[(usize, usize)], case_flips: &[usize]) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    for &position in case_flips {
        let at = position % chars.len();
        let c = chars[at];
        chars[at] = if c.is_ascii_lowercase() {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        };
    }
    for &(position, pick) in replacements {
        let at = position % chars.len();
        let candidates = confusables_of(chars[at]);
        if !candidates.is_empty() {
            chars[at] = candidates[pick % candidates.len()];
        }
    }
    chars.into_iter().collect()
}

fn choices() -> impl Strategy<Value = (Vec<(usize, usize)>, Vec<usize>)> {
    (
        vec((any::<usize>(), any::<usize>()), 1..4),
        vec(any::<usize>(), 0..4),
    )
}

#[test]
fn the_confusables_data_knows_the_look_alikes_of_the_issue() {
    // The reverse map really holds what an attacker types: without it the properties prove little.
    assert!(confusables_of('e').contains(&'\u{0435}'), "Cyrillic е");
    assert!(confusables_of('S').contains(&'\u{0405}'), "Cyrillic Ѕ");
    assert!(
        confusables_of('1').contains(&'\u{0661}'),
        "Arabic-Indic one"
    );
    assert!(confusables_of('1').contains(&'I'), "capital I");
    assert!(confusables_of('-').contains(&'\u{2010}'), "hyphen");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn restricted_ids_and_aliases_disguised_with_confusables_still_match(
        entry in any::<usize>(),
        (replacements, case_flips) in choices(),
    ) {
        let family = shipped_family();
        let names: Vec<&str> = family
            .canonical_ids
            .iter()
            .map(String::as_str)
            .chain(family.aliases.iter().map(|alias| alias.name.as_str()))
            .collect();
        let name = names[entry % names.len()];
        let disguised = disguise(name, &replacements, &case_flips);
        let found = family.matches(&disguised);
        prop_assert!(found.is_some(), "{disguised:?} (from {name:?}) dodged the family");
        let found = found.expect("checked above");
        // Compatibility normalisation (NFKC) turns full-width and mathematical letters into
        // ASCII; a letter of another script that only looks like an ASCII one stays, and the
        // match must say that it was needed.
        let compatible: String = disguised.nfkc().collect();
        let looks_like_ascii = compatible.chars().any(|c| {
            let mut buffer = [0; 4];
            let prototype: String = skeleton(c.encode_utf8(&mut buffer)).collect();
            !c.is_ascii() && c.is_alphanumeric() && prototype.chars().all(|p| p.is_ascii_alphanumeric())
        });
        prop_assert!(
            !looks_like_ascii || found.rule == MatchRule::Confusable,
            "{disguised:?} matched {found} without being reported as confusable"
        );
    }

    #[test]
    fn clean_names_disguised_with_confusables_stay_clean(
        row in any::<usize>(),
        (replacements, case_flips) in choices(),
    ) {
        let family = shipped_family();
        let clean = clean_names();
        let name = &clean[row % clean.len()];
        let disguised = disguise(name, &replacements, &case_flips);
        let found = family.matches(&disguised);
        prop_assert!(
            found.is_none(),
            "{disguised:?} (from the clean {name:?}) matched {}",
            found.map(|f| f.to_string()).unwrap_or_default()
        );
    }
}
