//! Every fuzz target, through the mutation driver, for a bounded number of inputs per run (CI
//! time), from a seed that changes daily, so that runs over time cover new inputs; the seed is
//! printed with any failure so that it can be repeated.

use std::process::Command;

#[test]
fn every_target_survives_mutated_inputs() {
    let day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    let output = Command::new(env!("CARGO_BIN_EXE_provenance-fuzz"))
        .args(["all", "--iterations", "5000", "--seed", &day.to_string()])
        .output()
        .expect("run the fuzz driver");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "seed {day}: {}{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    for target in provenance_fuzz::TARGETS {
        assert!(
            stdout.contains(&format!("{}: 5000 inputs, no panic", target.name)),
            "{stdout}"
        );
    }
}

/// A typo in a target's name must not pass as a clean run.
#[test]
fn an_unknown_target_is_refused_rather_than_passing() {
    let output = Command::new(env!("CARGO_BIN_EXE_provenance-fuzz"))
        .arg("no-such-target")
        .output()
        .expect("run the fuzz driver");
    assert_eq!(output.status.code(), Some(2));
}
