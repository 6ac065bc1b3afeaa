//! Where provctl connects and with which credentials: flags, then `PROVENANCE_*` variables, then a
//! TOML config file, then the defaults, field by field.
//!
//! The file is `--config FILE` or `$PROVENANCE_CONFIG` when given (it must then exist), else
//! `$XDG_CONFIG_HOME/provctl/config.toml`, else `~/.config/provctl/config.toml` (either may be
//! absent):
//!
//! ```toml
//! url = "https://registry.example:50051"
//! token_file = "token"            # or token = "...", never both; paths relative to this file
//! ca_file = "registry-ca.pem"
//!
//! [profiles.staging]              # --profile staging: these fields over the ones above
//! url = "http://127.0.0.1:50051"
//! token = "..."
//! ```
//!
//! A file or token file holding a token must be readable by its owner only (mode 0600).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{DEFAULT_URL, GlobalArgs, Secret, parse_url};
use crate::error::CliError;

/// The largest config or token file read: a few lines are expected.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The connection settings every command uses, once flags, environment and file are merged.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The registry's gRPC endpoint.
    pub url: String,
    /// The access token, if any.
    pub token: Option<Secret>,
    /// PEM CA file for https:// URLs.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM key of the client certificate.
    pub client_key: Option<PathBuf>,
}

/// The fields of the file's top level and of each profile.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    url: Option<String>,
    token: Option<String>,
    token_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
}

impl Fields {
    /// `self` with the fields `over` sets replacing its own; a token in either form replaces
    /// both forms.
    fn overlaid_by(self, over: Fields) -> Fields {
        let over_token = over.token.is_some() || over.token_file.is_some();
        Fields {
            url: over.url.or(self.url),
            token: if over_token { over.token } else { self.token },
            token_file: if over_token {
                over.token_file
            } else {
                self.token_file
            },
            ca_file: over.ca_file.or(self.ca_file),
            client_cert: over.client_cert.or(self.client_cert),
            client_key: over.client_key.or(self.client_key),
        }
    }
}

/// A parsed config file: the top level and the named profiles.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    base: Fields,
    profiles: BTreeMap<String, Fields>,
}

/// Merges flags and environment (already merged by clap, flags first) with the config file.
pub fn resolve(args: GlobalArgs) -> Result<Settings, CliError> {
    resolve_with(args, default_config_path())
}

/// [`resolve`], with the file read when none is named passed in.
fn resolve_with(args: GlobalArgs, default_file: Option<PathBuf>) -> Result<Settings, CliError> {
    let file = match &args.config {
        Some(path) => Some(read_config(path)?),
        None => match &default_file {
            Some(path) if path.exists() => Some(read_config(path)?),
            _ => None,
        },
    };
    let fields = match (&file, &args.profile) {
        (Some(file), Some(profile)) => {
            let chosen = file.profiles.get(profile).cloned().ok_or_else(|| {
                let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
                CliError::Input(format!(
                    "config file {}: no profile {profile:?} (it has: {}); add [profiles.{profile}] or pick another with --profile",
                    file.path.display(),
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ))
            })?;
            file.base.clone().overlaid_by(chosen)
        }
        (Some(file), None) => file.base.clone(),
        (None, Some(profile)) => {
            return Err(CliError::Input(format!(
                "--profile {profile}: no config file found; pass --config FILE, set PROVENANCE_CONFIG, or create {}",
                default_file.map_or_else(
                    || "~/.config/provctl/config.toml".to_owned(),
                    |p| p.display().to_string()
                )
            )));
        }
        (None, None) => Fields::default(),
    };
    let dir = file
        .as_ref()
        .and_then(|f| f.path.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let relative = |path: Option<PathBuf>| path.map(|p| dir.join(p));
    let in_file = |what: &str| match &file {
        Some(f) => format!("config file {}: {what}", f.path.display()),
        None => what.to_owned(),
    };

    let url = match (args.url, fields.url) {
        (Some(url), _) => url,
        (None, Some(url)) => {
            parse_url(&url).map_err(|e| CliError::Input(in_file(&format!("url: {e}"))))?
        }
        (None, None) => DEFAULT_URL.to_owned(),
    };
    let token = match (args.token, fields.token, relative(fields.token_file)) {
        (Some(token), _, _) => Some(token),
        (None, Some(_), Some(_)) => {
            return Err(CliError::Input(in_file(
                "both token and token_file are set; keep one",
            )));
        }
        (None, Some(token), None) => Some(Secret::from(token)),
        (None, None, Some(path)) => Some(Secret::from(read_token_file(&path)?)),
        (None, None, None) => None,
    };
    let client_cert = args.client_cert.or(relative(fields.client_cert));
    let client_key = args.client_key.or(relative(fields.client_key));
    if client_cert.is_some() != client_key.is_some() {
        return Err(CliError::Input(in_file(
            "a client certificate needs its key and a key its certificate: set both client_cert and client_key (or --client-cert and --client-key)",
        )));
    }
    Ok(Settings {
        url,
        token,
        ca_file: args.ca_file.or(relative(fields.ca_file)),
        client_cert,
        client_key,
    })
}

/// `$XDG_CONFIG_HOME/provctl/config.toml`, or `~/.config/provctl/config.toml`.
fn default_config_path() -> Option<PathBuf> {
    // The XDG specification says to ignore a relative XDG_CONFIG_HOME.
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".config"))
        })?;
    Some(base.join("provctl").join("config.toml"))
}

/// A small file read whole, refused past [`MAX_FILE_BYTES`]; `what` names it in errors.
fn read_small(path: &Path, what: &str) -> Result<(String, File), CliError> {
    let cannot = |e: std::io::Error| {
        CliError::Input(format!("cannot read the {what} {}: {e}", path.display()))
    };
    // Before opening: opening a named pipe would wait for a writer.
    if !std::fs::metadata(path).map_err(cannot)?.is_file() {
        return Err(CliError::Input(format!(
            "the {what} {} is not a regular file",
            path.display()
        )));
    }
    let file = File::open(path).map_err(cannot)?;
    let mut text = String::new();
    (&file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(CliError::Input(format!(
            "the {what} {} is larger than {MAX_FILE_BYTES} bytes: not a {what}",
            path.display()
        )));
    }
    Ok((text, file))
}

/// Refuses a file holding a secret that others than its owner may read.
fn refuse_shared_secret(path: &Path, file: &File, what: &str) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|e| {
                CliError::Input(format!("cannot read the {what} {}: {e}", path.display()))
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CliError::Input(format!(
                "the {what} {} holds an access token but others may read it (mode {:04o}): run `chmod 600 {}`",
                path.display(),
                mode & 0o7777,
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, file, what);
    Ok(())
}

fn read_config(path: &Path) -> Result<ConfigFile, CliError> {
    let (text, file) = read_small(path, "config file")?;
    let invalid = |why: String| {
        CliError::Input(format!(
            "config file {} is not valid: {why}",
            path.display()
        ))
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let profiles = match table.remove("profiles") {
        Some(value) => value
            .try_into::<BTreeMap<String, Fields>>()
            .map_err(|e| invalid(format!("[profiles]: {e}")))?,
        None => BTreeMap::new(),
    };
    let base: Fields = toml::Value::Table(table)
        .try_into()
        .map_err(|e| invalid(e.to_string()))?;
    if base.token.is_some() || profiles.values().any(|p| p.token.is_some()) {
        refuse_shared_secret(path, &file, "config file")?;
    }
    Ok(ConfigFile {
        path: path.to_owned(),
        base,
        profiles,
    })
}

fn read_token_file(path: &Path) -> Result<String, CliError> {
    let (text, file) = read_small(path, "token file")?;
    refuse_shared_secret(path, &file, "token file")?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::Input(format!(
            "the token file {} is empty: put the access token in it (`provctl token create ... > FILE`)",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OutputFormat;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn args() -> GlobalArgs {
        GlobalArgs {
            url: None,
            config: None,
            profile: None,
            token: None,
            output: OutputFormat::Text,
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }

    /// A config file of `text` with `mode`, in a directory of its own.
    fn config_file(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("config.toml");
        fs::write(&path, text).expect("a temporary file");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        (dir, path)
    }

    fn refused(args: GlobalArgs, default_file: Option<PathBuf>) -> String {
        let error = resolve_with(args, default_file).expect_err("refused");
        assert_eq!(error.exit_code(), crate::error::exit::USAGE, "{error}");
        error.to_string()
    }

    #[test]
    fn flags_and_variables_win_over_the_file_which_wins_over_the_defaults() {
        let (_dir, path) = config_file(
            "url = \"http://file:1\"\ntoken = \"from-file\"\nca_file = \"ca.pem\"\n",
            0o600,
        );
        let from_file = resolve_with(args(), Some(path.clone())).expect("valid");
        assert_eq!(from_file.url, "http://file:1");
        assert_eq!(from_file.token, Some(Secret::from("from-file".to_owned())));
        // Relative paths are the file's directory's.
        assert_eq!(from_file.ca_file, path.parent().map(|d| d.join("ca.pem")));

        let mut given = args();
        given.url = Some("http://flag:2".into());
        given.token = Some(Secret::from("from-flag".to_owned()));
        let over_file = resolve_with(given, Some(path)).expect("valid");
        assert_eq!(over_file.url, "http://flag:2");
        assert_eq!(over_file.token, Some(Secret::from("from-flag".to_owned())));

        let defaults = resolve_with(args(), None).expect("valid");
        assert_eq!(defaults.url, DEFAULT_URL);
        assert_eq!(defaults.token, None);
    }

    #[test]
    fn an_absent_default_file_is_no_error_but_an_absent_named_one_is() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let absent = dir.path().join("config.toml");
        assert!(resolve_with(args(), Some(absent.clone())).is_ok());
        let mut named = args();
        named.config = Some(absent);
        assert!(refused(named, None).contains("cannot read the config file"));
    }

    #[test]
    fn profiles_are_chosen_by_name() {
        let (_dir, path) = config_file(
            "url = \"http://base:1\"\n[profiles.staging]\nurl = \"http://staging:2\"\n",
            0o644,
        );
        let mut staging = args();
        staging.profile = Some("staging".into());
        let chosen = resolve_with(staging, Some(path.clone())).expect("valid");
        assert_eq!(chosen.url, "http://staging:2");
        let mut unknown = args();
        unknown.profile = Some("prod".into());
        let message = refused(unknown, Some(path));
        assert!(
            message.contains("no profile \"prod\" (it has: staging)"),
            "{message}"
        );
        let mut without_file = args();
        without_file.profile = Some("staging".into());
        assert!(refused(without_file, None).contains("no config file"));
    }

    #[test]
    fn a_token_others_may_read_is_refused() {
        let (_dir, path) = config_file("token = \"secret\"\n", 0o640);
        let message = refused(args(), Some(path.clone()));
        assert!(message.contains("chmod 600"), "{message}");
        assert!(
            !message.contains("secret\""),
            "the message must not quote the token"
        );
        // The same in a profile.
        let (_dir, in_profile) = config_file("[profiles.p]\ntoken = \"secret\"\n", 0o604);
        assert!(refused(args(), Some(in_profile)).contains("chmod 600"));
        // A file without a token may be shared; a token file may not.
        let (dir, shared) = config_file("token_file = \"token\"\n", 0o644);
        let token = dir.path().join("token");
        fs::write(&token, "t0k3n\n").expect("a temporary file");
        fs::set_permissions(&token, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(refused(args(), Some(shared.clone())).contains("token file"));
        fs::set_permissions(&token, fs::Permissions::from_mode(0o600)).expect("chmod");
        let settings = resolve_with(args(), Some(shared)).expect("valid");
        assert_eq!(settings.token, Some(Secret::from("t0k3n".to_owned())));
    }

    #[test]
    fn bad_files_are_refused_with_what_is_wrong() {
        let (_dir, typo) = config_file("ulr = \"http://x:1\"\n", 0o600);
        assert!(refused(args(), Some(typo)).contains("ulr"));
        let (_dir, broken) = config_file("url = \n", 0o600);
        assert!(refused(args(), Some(broken)).contains("is not valid"));
        let (_dir, bad_url) = config_file("url = \"ftp://x\"\n", 0o600);
        assert!(refused(args(), Some(bad_url)).contains("url:"));
        let (_dir, both) = config_file("token = \"a\"\ntoken_file = \"b\"\n", 0o600);
        assert!(refused(args(), Some(both)).contains("both token and token_file"));
        let (_dir, half) = config_file("client_cert = \"c.pem\"\n", 0o600);
        assert!(refused(args(), Some(half)).contains("client_key"));
        let large = format!("# {}\n", "x".repeat(MAX_FILE_BYTES as usize));
        let (_dir, huge) = config_file(&large, 0o600);
        assert!(refused(args(), Some(huge)).contains("larger than"));
        let (dir, empty_token) = config_file("token_file = \"token\"\n", 0o600);
        let token = dir.path().join("token");
        fs::write(&token, "\n").expect("a temporary file");
        fs::set_permissions(&token, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(refused(args(), Some(empty_token)).contains("is empty"));
    }

    #[test]
    fn a_profile_overrides_the_top_level_field_by_field() {
        let base = Fields {
            url: Some("http://a:1".into()),
            token_file: Some("t".into()),
            ca_file: Some("ca.pem".into()),
            ..Fields::default()
        };
        let profile = Fields {
            url: Some("http://b:2".into()),
            token: Some("x".into()),
            ..Fields::default()
        };
        let merged = base.overlaid_by(profile);
        assert_eq!(merged.url.as_deref(), Some("http://b:2"));
        assert_eq!(merged.token.as_deref(), Some("x"));
        // The profile's token replaces the top level's token file rather than clashing with it.
        assert_eq!(merged.token_file, None);
        assert_eq!(merged.ca_file, Some(PathBuf::from("ca.pem")));
    }
}
