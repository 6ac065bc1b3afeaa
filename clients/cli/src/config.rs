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

use crate::cli::{DEFAULT_URL, GlobalArgs, OutputFormat, Secret, parse_url};
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
    /// How results are printed.
    pub output: OutputFormat,
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
    let file = match &args.config {
        Some(path) => Some(read_config(path)?),
        None => match default_config_path() {
            Some(path) if path.exists() => Some(read_config(&path)?),
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
                default_config_path().map_or_else(
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
        output: args.output,
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
    let file = File::open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(CliError::Input(format!(
            "the {what} {} is not a regular file",
            path.display()
        )));
    }
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
