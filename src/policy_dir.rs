//! Loading the operator's policy files from `--policy-dir`, on top of the built-in ones. Any problem
//! stops the server at start, naming the file: a registry must not judge by a policy it misread.

use std::path::Path;

use anyhow::{Context, bail};

use crate::domain::policy::{Policy, PolicySet};

/// The built-in policies plus every `*.toml` file in `dir` (if given), in file-name order.
pub fn load(dir: Option<&Path>) -> anyhow::Result<PolicySet> {
    let mut set = PolicySet::builtin().map_err(|e| anyhow::anyhow!(e))?;
    let Some(dir) = dir else { return Ok(set) };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the policy directory {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read the policy directory {}", dir.display()))?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "toml"));
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read policy file {}", path.display()))?;
        let policy = Policy::from_toml(&text)
            .map_err(|problem| anyhow::anyhow!("policy file {}: {problem}", path.display()))?;
        if let Err(problem) = set.add(policy) {
            bail!("policy file {}: {problem}", path.display());
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTIN: &str = include_str!("../policies/deepseek-r1.toml");

    #[test]
    fn files_add_to_the_builtin_policies_and_other_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("v2.toml"),
            BUILTIN.replace("version = \"2026-05-12\"", "version = \"2\""),
        )
        .unwrap();
        std::fs::write(dir.path().join("README.md"), "not a policy").unwrap();
        let set = load(Some(dir.path())).unwrap();
        let builtin = PolicySet::builtin().unwrap().list().count();
        assert_eq!(set.list().count(), builtin + 1);
    }

    #[test]
    fn a_bad_file_is_named_with_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.toml");
        std::fs::write(
            &path,
            BUILTIN.replace("improve any other", "improve another"),
        )
        .unwrap();
        let err = load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("broken.toml") && err.contains("clause_sha256"),
            "{err}"
        );

        std::fs::write(&path, BUILTIN).unwrap();
        let err = load(Some(dir.path())).unwrap_err().to_string();
        assert!(
            err.contains("broken.toml") && err.contains("already loaded"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let err = load(Some(Path::new("/nonexistent/policies")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/policies"), "{err}");
    }
}
