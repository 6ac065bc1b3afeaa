//! The config file against the real server: it supplies the URL and the token, flags and
//! variables win over it, profiles choose among registries, and a file that gives its token away
//! is refused.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{Registry, Run, TestResult, path_str, provctl, run_to_end};

/// Somewhere nothing listens.
fn dead_url() -> TestResult<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Writes a config file with `mode`.
fn write_config(path: &Path, text: &str, mode: u32) -> TestResult {
    fs::write(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// provctl with no URL and no token in its environment, only `env`.
async fn run(env: &[(&str, &str)], args: &[&str]) -> TestResult<Run> {
    let mut command: Command = provctl("unused", None, args);
    command.env_remove("PROVENANCE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    Ok(Run::from(
        tokio::task::spawn_blocking(move || run_to_end(command)).await??,
    ))
}

#[tokio::test]
async fn the_file_supplies_what_flags_and_variables_leave_out() -> TestResult {
    let registry = Registry::start().await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("token");
    write_config(&token_file, &format!("{}\n", registry.admin_token), 0o600)?;
    let config = dir.path().join("config.toml");
    // A relative token_file is the config file's neighbour.
    write_config(
        &config,
        &format!("url = \"{}\"\ntoken_file = \"token\"\n", registry.url),
        0o644,
    )?;
    let config_env = [("PROVENANCE_CONFIG", path_str(&config)?)];

    let org = run(&config_env, &["--output", "json", "org", "get"])
        .await?
        .ok()
        .json()?;
    assert_eq!(org["id"], registry.org_id.as_str());

    // --config names the file as well as PROVENANCE_CONFIG does.
    run(&[], &["--config", path_str(&config)?, "org", "get"])
        .await?
        .ok();
    // The XDG location is read when nothing names a file.
    let xdg = tempfile::tempdir()?;
    fs::create_dir(xdg.path().join("provctl"))?;
    fs::copy(&config, xdg.path().join("provctl/config.toml"))?;
    fs::copy(&token_file, xdg.path().join("provctl/token"))?;
    fs::set_permissions(
        xdg.path().join("provctl/token"),
        fs::Permissions::from_mode(0o600),
    )?;
    run(
        &[("XDG_CONFIG_HOME", path_str(xdg.path())?)],
        &["org", "get"],
    )
    .await?
    .ok();

    // The variable wins over the file, the flag over the variable.
    let dead = dead_url()?;
    let env_over_file = [
        ("PROVENANCE_CONFIG", path_str(&config)?),
        ("PROVENANCE_URL", dead.as_str()),
    ];
    let unreachable = run(&env_over_file, &["org", "get"]).await?.expect_code(6);
    assert!(unreachable.stderr.contains(&dead), "{}", unreachable.stderr);
    run(&env_over_file, &["--url", &registry.url, "org", "get"])
        .await?
        .ok();
    let with_bad_token = [
        ("PROVENANCE_CONFIG", path_str(&config)?),
        ("PROVENANCE_TOKEN", "not-a-token"),
    ];
    run(&with_bad_token, &["org", "get"]).await?.expect_code(4);
    registry.stop().await
}

#[tokio::test]
async fn profiles_choose_the_registry_and_the_token() -> TestResult {
    let registry = Registry::start().await?;
    let (other_org, other_token) = registry.another_organization("Other").await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.toml");
    write_config(
        &config,
        &format!(
            "url = \"{}\"\ntoken = \"{}\"\n\n[profiles.other]\ntoken = \"{other_token}\"\n\n[profiles.down]\nurl = \"{}\"\n",
            registry.url,
            registry.admin_token,
            dead_url()?
        ),
        0o600,
    )?;
    let env = [("PROVENANCE_CONFIG", path_str(&config)?)];
    let base = run(&env, &["--output", "json", "org", "get"])
        .await?
        .ok()
        .json()?;
    assert_eq!(base["id"], registry.org_id.as_str());
    let other = run(
        &env,
        &["--profile", "other", "--output", "json", "org", "get"],
    )
    .await?
    .ok()
    .json()?;
    assert_eq!(other["id"], other_org.as_str());
    run(&env, &["--profile", "down", "org", "get"])
        .await?
        .expect_code(6);
    let unknown = run(&env, &["--profile", "prod", "org", "get"])
        .await?
        .expect_code(2);
    assert!(
        unknown
            .stderr
            .contains("no profile \"prod\" (it has: down, other)"),
        "{}",
        unknown.stderr
    );
    for token in [&registry.admin_token, &other_token] {
        assert!(!unknown.stderr.contains(token.as_str()));
    }
    registry.stop().await
}

#[tokio::test]
async fn a_readable_token_or_a_broken_file_is_refused_before_connecting() -> TestResult {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.toml");
    let env = [("PROVENANCE_CONFIG", path_str(&config)?)];

    write_config(&config, "token = \"s3cret-token\"\n", 0o644)?;
    let shared = run(&env, &["org", "get"]).await?.expect_code(2);
    assert!(
        shared.stderr.contains("others may read it (mode 0644)")
            && shared.stderr.contains("chmod 600"),
        "{}",
        shared.stderr
    );
    assert!(!shared.stderr.contains("s3cret-token"));

    write_config(
        &config,
        "url = \"http://127.0.0.1:1\"\ntokn = \"x\"\n",
        0o600,
    )?;
    let typo = run(&env, &["org", "get"]).await?.expect_code(2);
    assert!(
        typo.stderr.contains("is not valid") && typo.stderr.contains("tokn"),
        "{}",
        typo.stderr
    );

    write_config(&config, "url = [\n", 0o600)?;
    let broken = run(&env, &["org", "get"]).await?.expect_code(2);
    assert!(
        broken.stderr.contains(path_str(&config)?),
        "{}",
        broken.stderr
    );

    let missing = dir.path().join("absent.toml");
    let absent = run(
        &[("PROVENANCE_CONFIG", path_str(&missing)?)],
        &["org", "get"],
    )
    .await?
    .expect_code(2);
    assert!(
        absent.stderr.contains("cannot read the config file"),
        "{}",
        absent.stderr
    );
    Ok(())
}
