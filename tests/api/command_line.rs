//! The server binary's command line: completion scripts, manual pages, and each command's help
//! listing only the flags it uses.

use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_provenance-registry");

fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env_remove("PROVENANCE_DATA_DIR")
        .output()
        .expect("run provenance-registry")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn completion_scripts_name_the_commands() {
    let bash = stdout(&run(&["completion", "bash"]));
    for word in [
        "provenance-registry",
        "admin",
        "create-org",
        "keys",
        "rotate",
        "--data-dir",
    ] {
        assert!(bash.contains(word), "bash completion without {word}");
    }
    for shell in ["zsh", "fish"] {
        assert!(
            stdout(&run(&["completion", shell])).contains("create-org"),
            "{shell}"
        );
    }
}

#[test]
fn manual_pages_are_written_one_per_command() {
    let dir = tempfile::tempdir().unwrap();
    // Run where a data directory would be made by mistake.
    let written = Command::new(BINARY)
        .args(["man", "pages"])
        .current_dir(dir.path())
        .env_remove("PROVENANCE_DATA_DIR")
        .output()
        .unwrap();
    let listed = stdout(&written);
    for name in [
        "provenance-registry",
        "provenance-registry-serve",
        "provenance-registry-admin-create-org",
        "provenance-registry-keys-rotate",
    ] {
        let page = format!("pages/{name}.1");
        assert!(listed.lines().any(|l| l == page), "{listed}");
        let roff = std::fs::read_to_string(dir.path().join(&page)).unwrap();
        assert!(
            roff.lines()
                .any(|l| l.starts_with(&format!(".TH {name} 1"))),
            "{name}: {roff}"
        );
    }
    assert!(!dir.path().join("data").exists());
}

#[test]
fn admin_help_shows_only_the_flags_admin_uses() {
    let help = stdout(&run(&["admin", "create-org", "--help"]));
    assert!(
        help.contains("--admin-ttl") && help.contains("--data-dir"),
        "{help}"
    );
    for serve_only in [
        "--listen",
        "--policy-dir",
        "--max-certificate-validity",
        "--max-token-ttl",
    ] {
        assert!(!help.contains(serve_only), "{serve_only} in {help}");
    }
    // Given anyway, before the subcommand, they are refused rather than ignored.
    let refused = run(&["--policy-dir", "/nonexistent", "admin", "operator-token"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("only `serve` takes these"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
