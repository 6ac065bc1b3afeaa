//! Command line and environment: one `clap` definition gives flags, `PROVENANCE_*` variables and
//! `--help` alike.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::pkcs11::Pkcs11Uri;

/// Default bounds of the server, shared by the flags and [`ServeSettings::default`].
pub mod defaults {
    /// Listen address.
    pub const LISTEN: &str = "127.0.0.1:50051";
    /// Calls served at once.
    pub const MAX_CONCURRENT_CALLS: usize = 512;
    /// Calls in flight on one connection.
    pub const MAX_CALLS_PER_CONNECTION: u32 = 256;
    /// Largest request message, bytes.
    pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
    /// Open `WatchEvents` streams.
    pub const MAX_WATCHERS: usize = 1024;
    /// Webhook deliveries in flight at once.
    pub const WEBHOOK_MAX_CONCURRENT_DELIVERIES: u32 = 32;
}

/// A registry of training-data lineage, attestations and signed lineage certificates.
#[derive(Debug, Parser)]
#[command(name = "provenance-registry", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub common: CommonSettings,
    /// Settings of `serve`, also accepted without the subcommand.
    #[command(flatten)]
    pub serve: ServeSettings,
    /// The registry's rules, also accepted without the subcommand.
    #[command(flatten)]
    pub rules: RegistryRules,
}

impl Cli {
    /// Parses the command line as [`Parser::parse`] does, and refuses `serve`'s own flags placed
    /// before a subcommand (`--policy-dir DIR serve`, `--listen ADDR admin ...`), which the
    /// subcommand would otherwise silently ignore.
    pub fn parse_checked() -> Self {
        Self::try_parse_checked_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_checked`] of `args`.
    pub fn try_parse_checked_from(
        args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    ) -> Result<Self, clap::Error> {
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some((subcommand, _)) = matches.subcommand() {
            let serve_only =
                RegistryRules::augment_args(ServeSettings::augment_args(clap::Command::new("")));
            let misplaced: Vec<String> = serve_only
                .get_arguments()
                .filter(|a| {
                    matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
                })
                .map(|a| format!("--{}", a.get_long().unwrap_or_default()))
                .collect();
            if !misplaced.is_empty() {
                let flags = misplaced.join(", ");
                let message = if subcommand == "serve" {
                    format!(
                        "{flags} given before `serve`: write them after it, e.g. `provenance-registry serve {} ...`",
                        misplaced[0]
                    )
                } else {
                    format!("{flags}: only `serve` takes these; `{subcommand}` does not use them")
                };
                return Err(command.error(ErrorKind::ArgumentConflict, message));
            }
        }
        Self::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (the default).
    Serve {
        /// How it listens.
        #[command(flatten)]
        settings: Box<ServeSettings>,
        /// What it issues, and under which extra policies.
        #[command(flatten)]
        rules: RegistryRules,
    },
    /// Operator commands, run on the server machine against its data directory.
    Admin(AdminArgs),
    /// Certificate signing keys: list them, or rotate to a new one.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the shell completion script of provenance-registry for SHELL, e.g. `provenance-registry
    /// completion bash > ~/.local/share/bash-completion/completions/provenance-registry`.
    Completion {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (provenance-registry.1 and one per command, e.g.
    /// provenance-registry-admin-create-org.1) into DIR, created if missing.
    Man {
        /// Directory to write the pages into.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// Operator commands and what they share.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Create the registry (data directory, database, key files) if it does not exist yet, as the
    /// server's first start does. Without it, an admin command refuses to run where there is no
    /// registry, saying where it looked.
    #[arg(long, global = true)]
    pub init: bool,
    /// The command.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// Operator commands. Local access to the data directory is the operator's proof of authority.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organisation and print its id and a first admin token.
    CreateOrg {
        /// Display name of the organisation.
        name: String,
        /// Lifetime of the admin token, e.g. `90d`, `12h`.
        #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
        admin_ttl: Duration,
    },
    /// Print an operator token, which `CreateOrganization` requires.
    OperatorToken {
        /// Lifetime of the token, e.g. `1h`.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Record this machine's key files as the registry's, replacing the fingerprints the database
    /// holds: only after replacing a key on purpose, with the same files on every replica.
    RecordKeys,
    /// Copy the registry (SQLite database and key files), while it serves, into the new directory
    /// DEST, and check the copy as `verify` does. PostgreSQL: see README "Backups and restore".
    Backup {
        /// Directory to create for the copy; must not exist.
        #[arg(value_name = "DEST")]
        dest: PathBuf,
    },
    /// Restore the backup in SRC into --data-dir: the copy is checked as `verify` does before it is
    /// put in place, and a non-empty data directory is only replaced with --replace.
    Restore {
        /// A directory written by `admin backup`.
        #[arg(value_name = "SRC")]
        source: PathBuf,
        /// Put the backup in place of a non-empty data directory (stop its server first); the old
        /// directory is kept, renamed to DIR.replaced-TIME.
        #[arg(long)]
        replace: bool,
    },
    /// Check the registry (SQLite or PostgreSQL, with its key files) without changing it: the
    /// schema is this binary's, the key files are the recorded ones, the event chain links and
    /// hashes end to end, and the transparency log matches the events and the latest checkpoint,
    /// whose signature is checked with the log key. Exits non-zero naming what is wrong.
    Verify,
    /// Print the transparency log's key as a signed-note verifier key (`<origin>+<key id>+<key>`),
    /// for the witnesses to be configured with (`provctl witness serve --log`) before the server
    /// first starts with `--witness`.
    LogKey,
}

/// Signing-key commands, run on the server machine against the key file.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the signing keys: id, status, validity window.
    List,
    /// Make a new key active; the current one is retired but kept to verify what it signed.
    /// Running servers pick the new key up at their next use of the file, without a restart.
    Rotate,
}

/// Where the registry keeps its state, and how it names and logs itself: the flags of every
/// command. The serving rules ([`RegistryRules`]) are flags of `serve` only, and keep their
/// defaults here for the other commands (see [`CommonSettings::serving`]).
#[derive(Debug, Clone, Args)]
pub struct CommonSettings {
    /// Directory of the registry's files (database, key files). The server creates it on its first
    /// start; admin commands only with `--init`.
    #[arg(
        long,
        env = "PROVENANCE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://PATH`, or `postgres://USER@HOST:PORT/DATABASE` for PostgreSQL (any
    /// number of replicas may share one); default: the SQLite file `registry.db` in the data
    /// directory.
    #[arg(long, env = "PROVENANCE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// PostgreSQL only: connections for reads per process (writes use one more).
    #[arg(long, env = "PROVENANCE_DATABASE_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub database_pool_size: u32,
    /// The `iss` claim of the tokens this registry issues, and the name it gives itself.
    #[arg(
        long,
        env = "PROVENANCE_ISSUER",
        default_value = "provenance-registry",
        global = true
    )]
    pub issuer: String,
    /// Log format: `pretty` for people, `json` for log collectors. Filter with `RUST_LOG`.
    #[arg(long, env = "PROVENANCE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// File of the Ed25519 keys that sign lineage certificates (JSON, mode 0600); default
    /// `signing-keys.json` in the data directory, created with one key on first start. Replicas share it.
    #[arg(long, env = "PROVENANCE_SIGNING_KEY_FILE", global = true)]
    pub signing_key_file: Option<PathBuf>,
    /// Keep the certificate and checkpoint signing keys in a hardware security module instead of
    /// files: an RFC 7512 PKCS#11 URI naming the token, the keys' label and the module, e.g.
    /// `pkcs11:token=Registry;object=provenance-registry?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/pin`
    /// (README: Signing keys in a hardware security module). Keys are made in the token, never
    /// extractable, on first start and by `keys rotate`.
    #[arg(long, env = "PROVENANCE_SIGNING_KEY", value_name = "PKCS11_URI", value_parser = parse_signing_key, global = true, conflicts_with = "signing_key_file")]
    pub signing_key: Option<Pkcs11Uri>,
    /// `--policy-dir` of [`RegistryRules`].
    #[arg(skip)]
    pub policy_dir: Option<PathBuf>,
    /// `--default-token-ttl` of [`RegistryRules`].
    #[arg(skip = RegistryRules::default().default_token_ttl)]
    pub default_token_ttl: Duration,
    /// `--max-certificate-validity` of [`RegistryRules`].
    #[arg(skip = RegistryRules::default().max_certificate_validity)]
    pub max_certificate_validity: Duration,
    /// `--max-token-ttl` of [`RegistryRules`].
    #[arg(skip = RegistryRules::default().max_token_ttl)]
    pub max_token_ttl: Duration,
    /// `--public-url` of [`RegistryRules`].
    #[arg(skip)]
    pub public_url: Option<String>,
}

/// What the registry issues and judges by, set where it serves: the policies it adds to the
/// built-in one, and the lifetimes of tokens and certificates.
#[derive(Debug, Clone, Args)]
pub struct RegistryRules {
    /// Directory of additional policy files (`*.toml`, see README "Policies"), loaded at start on top
    /// of the built-in DeepSeek-R1 policy. A bad file stops the server, naming the file.
    #[arg(long, env = "PROVENANCE_POLICY_DIR")]
    pub policy_dir: Option<PathBuf>,
    /// Default lifetime of access tokens created over the API without a `ttl`.
    #[arg(long, env = "PROVENANCE_DEFAULT_TOKEN_TTL", default_value = "30d", value_parser = humantime::parse_duration)]
    pub default_token_ttl: Duration,
    /// Longest validity a lineage certificate may be issued with (`--validity` of `provctl cert
    /// issue`); at least 90d, the validity of a certificate issued without one.
    #[arg(long, env = "PROVENANCE_MAX_CERTIFICATE_VALIDITY", default_value = "365d", value_parser = humantime::parse_duration)]
    pub max_certificate_validity: Duration,
    /// Longest lifetime an access token may be given.
    #[arg(long, env = "PROVENANCE_MAX_TOKEN_TTL", default_value = "365d", value_parser = humantime::parse_duration)]
    pub max_token_ttl: Duration,
    /// The address where the public reaches this registry, e.g. `https://registry.example.com`:
    /// certificates issued from now on name `PUBLIC_URL/verify` as where to verify them (signed,
    /// printed on the certificate's first page with a QR code). Without it they name no address,
    /// never the one a client happened to use.
    #[arg(long, env = "PROVENANCE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
}

/// Longest `--public-url`.
const MAX_PUBLIC_URL_LEN: usize = 512;

/// `--public-url`: an `https://` (or `http://`) address with a host, and no query, fragment or
/// whitespace; a trailing `/` is dropped, so that `PUBLIC_URL/verify` is the page.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// (or http://), e.g. https://registry.example.com")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("must name a host, e.g. https://registry.example.com".into());
    }
    if url.len() > MAX_PUBLIC_URL_LEN {
        return Err(format!("must be at most {MAX_PUBLIC_URL_LEN} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>'))
    {
        return Err(
            "must not hold whitespace, quotes, angle brackets, a query or a fragment".into(),
        );
    }
    Ok(url.to_owned())
}

impl Default for RegistryRules {
    /// The flags' defaults.
    fn default() -> Self {
        Self {
            policy_dir: None,
            default_token_ttl: Duration::from_secs(30 * 86_400),
            max_certificate_validity: Duration::from_secs(365 * 86_400),
            max_token_ttl: Duration::from_secs(365 * 86_400),
            public_url: None,
        }
    }
}

/// How the server listens and what it bounds.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, env = "PROVENANCE_LISTEN", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,
    /// Calls served at once across all connections; more are refused with `RESOURCE_EXHAUSTED`.
    #[arg(long, env = "PROVENANCE_MAX_CONCURRENT_CALLS", default_value_t = defaults::MAX_CONCURRENT_CALLS)]
    pub max_concurrent_calls: usize,
    /// Calls in flight on one connection (HTTP/2 streams).
    #[arg(long, env = "PROVENANCE_MAX_CALLS_PER_CONNECTION", default_value_t = defaults::MAX_CALLS_PER_CONNECTION)]
    pub max_calls_per_connection: u32,
    /// Largest request message accepted, in bytes.
    #[arg(long, env = "PROVENANCE_MAX_MESSAGE_BYTES", default_value_t = defaults::MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
    /// `WatchEvents` streams open at once.
    #[arg(long, env = "PROVENANCE_MAX_WATCHERS", default_value_t = defaults::MAX_WATCHERS)]
    pub max_watchers: usize,
    /// PEM certificate chain (server certificate first): serve gRPC and HTTP over TLS. Re-read
    /// when the file changes or on SIGHUP.
    #[arg(long, env = "PROVENANCE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "PROVENANCE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM certificate(s) of the CA that signs client certificates: turns on mutual TLS, so every
    /// client must present a certificate it signed.
    #[arg(long, env = "PROVENANCE_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// TOML file mapping client certificates (by SHA-256) to an organisation and role, so that
    /// they authenticate without a bearer token (see the README).
    #[arg(
        long,
        env = "PROVENANCE_TLS_CLIENT_IDENTITIES",
        requires = "tls_client_ca"
    )]
    pub tls_client_identities: Option<PathBuf>,
    /// Serve without TLS on an address other than loopback. Access tokens would then cross the
    /// network in clear text; without this flag such a start is refused.
    #[arg(long, env = "PROVENANCE_INSECURE_PLAINTEXT")]
    pub insecure_plaintext: bool,
    /// A web origin (`https://procurement.example`, scheme, host and port only) whose pages may call
    /// the API from a browser (gRPC-Web and HTTP/JSON): answered with the CORS headers that allow
    /// it. Repeat the flag, or separate origins with commas, for several. None by default: browsers
    /// then call the API only from pages the server itself serves.
    #[arg(
        long = "cors-origin",
        env = "PROVENANCE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Let webhooks post plain `http://` to loopback addresses (`127.0.0.1`, `::1`, names such as
    /// `localhost` that resolve to them). For tests and benchmarks only: otherwise endpoints must
    /// be `https://` and loopback is refused like every other non-public address.
    #[arg(long, env = "PROVENANCE_WEBHOOK_ALLOW_LOOPBACK")]
    pub webhook_allow_loopback: bool,
    /// An address range (CIDR, e.g. `10.20.0.0/16`) that webhooks may reach although it is
    /// private, link-local or otherwise refused. Repeat the flag, or separate ranges with commas.
    #[arg(
        long = "webhook-allow-cidr",
        env = "PROVENANCE_WEBHOOK_ALLOW_CIDRS",
        value_delimiter = ','
    )]
    pub webhook_allow_cidrs: Vec<crate::domain::webhook::IpRange>,
    /// How long a failed webhook delivery is retried (with exponential backoff) before its
    /// endpoint is marked failing.
    #[arg(long, env = "PROVENANCE_WEBHOOK_RETRY_WINDOW", default_value = "3d", value_parser = humantime::parse_duration)]
    pub webhook_retry_window: Duration,
    /// Webhook deliveries in flight at once, all endpoints together (one at most per endpoint).
    #[arg(long, env = "PROVENANCE_WEBHOOK_MAX_CONCURRENT_DELIVERIES", default_value_t = defaults::WEBHOOK_MAX_CONCURRENT_DELIVERIES, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub webhook_max_concurrent_deliveries: u32,
    /// Longest one webhook delivery may take in all (connecting takes at most 5 seconds of it).
    #[arg(long, env = "PROVENANCE_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,
    /// Address and port to serve `GET /metrics` on (Prometheus text format), apart from the API,
    /// e.g. `127.0.0.1:9464`. Off by default; port 0 picks a free port (printed at start).
    #[arg(long, env = "PROVENANCE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Export traces over OTLP/gRPC to this collector, e.g. `http://127.0.0.1:4317`: a span per
    /// call with its method, status and organisation id, continuing the caller's `traceparent`.
    /// Off by default.
    #[arg(long, env = "PROVENANCE_OTLP_ENDPOINT", value_parser = parse_otlp_endpoint)]
    pub otlp_endpoint: Option<String>,
    /// A witness (c2sp.org/tlog-witness) to send each new checkpoint to, as `VKEY=URL`: its
    /// cosigner key (`provctl witness key` prints it) and its address (`add-checkpoint` is posted
    /// to `URL/add-checkpoint`). Cosignatures verified with the key are published with the
    /// checkpoint. Repeat the flag, or separate witnesses with commas, for several.
    #[arg(
        long = "witness",
        value_name = "VKEY=URL",
        env = "PROVENANCE_WITNESSES",
        value_delimiter = ','
    )]
    pub witnesses: Vec<crate::registry::witnesses::WitnessEndpoint>,
    /// Let witnesses be reached over plain `http://` on loopback addresses. For tests and
    /// witnesses run on the same machine only: otherwise witness URLs must be `https://` to a
    /// public address, as webhooks must.
    #[arg(long, env = "PROVENANCE_WITNESS_ALLOW_LOOPBACK")]
    pub witness_allow_loopback: bool,
    /// Longest one call to a witness may take (connecting takes at most 5 seconds of it). A
    /// witness that fails is asked again at the next checkpoint.
    #[arg(long, env = "PROVENANCE_WITNESS_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub witness_timeout: Duration,
}

/// Longest `--otlp-endpoint`.
const MAX_OTLP_ENDPOINT_LEN: usize = 512;

/// `--otlp-endpoint`: an `http://` or `https://` address with a host, without whitespace.
pub fn parse_otlp_endpoint(text: &str) -> Result<String, String> {
    let url = text.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://, e.g. http://127.0.0.1:4317")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("must name a host, e.g. http://127.0.0.1:4317".into());
    }
    if url.len() > MAX_OTLP_ENDPOINT_LEN {
        return Err(format!(
            "must be at most {MAX_OTLP_ENDPOINT_LEN} characters"
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not hold whitespace".into());
    }
    Ok(url.to_owned())
}

impl ServeSettings {
    /// The witness rules these settings give.
    pub fn witness_rules(&self) -> crate::registry::witnesses::WitnessRules {
        let timeout = self.witness_timeout.max(Duration::from_secs(1));
        crate::registry::witnesses::WitnessRules {
            witnesses: self.witnesses.clone(),
            addresses: crate::domain::webhook::AddressPolicy {
                allow_loopback_http: self.witness_allow_loopback,
                allowed_ranges: Vec::new(),
            },
            connect_timeout: timeout.min(Duration::from_secs(5)),
            request_timeout: timeout,
        }
    }

    /// The webhook rules these settings give.
    pub fn webhook_rules(&self) -> crate::registry::webhooks::WebhookRules {
        let timeout = self.webhook_timeout.max(Duration::from_secs(1));
        crate::registry::webhooks::WebhookRules {
            addresses: crate::domain::webhook::AddressPolicy {
                allow_loopback_http: self.webhook_allow_loopback,
                allowed_ranges: self.webhook_allow_cidrs.clone(),
            },
            retry_window: self.webhook_retry_window,
            max_concurrent_deliveries: self.webhook_max_concurrent_deliveries as usize,
            connect_timeout: timeout.min(Duration::from_secs(5)),
            request_timeout: timeout,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `--signing-key`: a PKCS#11 URI, refused at start with the attribute at fault named.
fn parse_signing_key(text: &str) -> Result<Pkcs11Uri, String> {
    Pkcs11Uri::parse(text).map_err(|e| e.to_string())
}

impl CommonSettings {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            crate::store::sqlite::SqliteStore::url_in(&self.data_dir, "registry.db")
        })
    }

    /// The signing key file in effect.
    pub fn signing_key_file(&self) -> PathBuf {
        self.signing_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing-keys.json"))
    }

    /// These settings with the rules `serve` was given.
    pub fn serving(&self, rules: &RegistryRules) -> Self {
        Self {
            policy_dir: rules.policy_dir.clone(),
            default_token_ttl: rules.default_token_ttl,
            max_certificate_validity: rules.max_certificate_validity,
            max_token_ttl: rules.max_token_ttl,
            public_url: rules.public_url.clone(),
            ..self.clone()
        }
    }

    /// Settings for tests and tools: everything default, state in `data_dir`.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        let rules = RegistryRules::default();
        Self {
            data_dir,
            database_url: None,
            database_pool_size: 16,
            policy_dir: rules.policy_dir,
            signing_key_file: None,
            signing_key: None,
            issuer: "provenance-registry".into(),
            log_format: LogFormat::Pretty,
            default_token_ttl: rules.default_token_ttl,
            max_token_ttl: rules.max_token_ttl,
            max_certificate_validity: rules.max_certificate_validity,
            public_url: rules.public_url,
        }
    }
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            max_concurrent_calls: defaults::MAX_CONCURRENT_CALLS,
            max_calls_per_connection: defaults::MAX_CALLS_PER_CONNECTION,
            max_message_bytes: defaults::MAX_MESSAGE_BYTES,
            max_watchers: defaults::MAX_WATCHERS,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            tls_client_identities: None,
            insecure_plaintext: false,
            cors_origins: Vec::new(),
            webhook_allow_loopback: false,
            webhook_allow_cidrs: Vec::new(),
            webhook_retry_window: Duration::from_secs(3 * 24 * 3600),
            webhook_max_concurrent_deliveries: defaults::WEBHOOK_MAX_CONCURRENT_DELIVERIES,
            webhook_timeout: Duration::from_secs(10),
            metrics_listen: None,
            otlp_endpoint: None,
            witnesses: Vec::new(),
            witness_allow_loopback: false,
            witness_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_checked_from(
            std::iter::once("provenance-registry").chain(args.iter().copied()),
        )
    }

    /// The long help of the command at `path` (e.g. `["admin", "create-org"]`).
    fn help(path: &[&str]) -> String {
        let mut command = Cli::command();
        command.build();
        let mut command = &mut command;
        for name in path {
            command = command.find_subcommand_mut(name).expect("a subcommand");
        }
        command.render_long_help().to_string()
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Each admin command lists the flags it uses, and not `serve`'s.
    #[test]
    fn admin_commands_show_only_their_own_options() {
        for path in [
            &["admin", "create-org"][..],
            &["admin", "operator-token"],
            &["keys", "rotate"],
        ] {
            let text = help(path);
            assert!(text.contains("--data-dir"), "{path:?}: {text}");
            for serve_only in [
                "--listen",
                "--tls-cert",
                "--policy-dir",
                "--default-token-ttl",
                "--max-token-ttl",
                "--max-certificate-validity",
            ] {
                assert!(
                    !text.contains(serve_only),
                    "{path:?} shows {serve_only}: {text}"
                );
            }
        }
        assert!(help(&["admin", "create-org"]).contains("--admin-ttl"));
        for serve in [help(&[]), help(&["serve"])] {
            assert!(
                serve.contains("--policy-dir") && serve.contains("--listen"),
                "{serve}"
            );
        }
    }

    #[test]
    fn the_maximum_certificate_validity_shows_its_own_default() {
        let text = help(&["serve"]);
        let flag = text
            .split("--max-certificate-validity")
            .nth(1)
            .and_then(|rest| rest.split("\n\n      --").next())
            .unwrap_or_default();
        assert!(flag.contains("[default: 365d]"), "{flag}");
        assert!(!flag.contains("default is 90 days"), "{flag}");
    }

    /// The rules reach the settings where serving gives them, and keep the flags' defaults
    /// elsewhere; the defaults in code are the flags'.
    #[test]
    fn serving_rules_are_flags_of_serve_with_the_defaults_of_the_code() -> Result<(), clap::Error> {
        let defaults = RegistryRules::default();
        for args in [&[][..], &["serve"], &["admin", "operator-token"]] {
            let cli = parse(args)?;
            let rules = match &cli.command {
                Some(Command::Serve { rules, .. }) => rules,
                _ => &cli.rules,
            };
            let settings = cli.common.serving(rules);
            assert_eq!(settings.default_token_ttl, defaults.default_token_ttl);
            assert_eq!(settings.max_token_ttl, defaults.max_token_ttl);
            assert_eq!(
                settings.max_certificate_validity,
                defaults.max_certificate_validity
            );
            assert_eq!(cli.common.max_token_ttl, defaults.max_token_ttl, "{args:?}");
        }
        let day = Duration::from_secs(86_400);
        let cli = parse(&["serve", "--max-token-ttl", "2d", "--policy-dir", "p"])?;
        let Some(Command::Serve { rules, .. }) = &cli.command else {
            panic!("serve");
        };
        let settings = cli.common.serving(rules);
        assert_eq!(settings.max_token_ttl, 2 * day);
        assert_eq!(settings.policy_dir, Some(PathBuf::from("p")));
        let cli = parse(&["--max-certificate-validity", "100d"])?;
        assert_eq!(
            cli.common.serving(&cli.rules).max_certificate_validity,
            100 * day
        );
        Ok(())
    }

    #[test]
    fn serve_flags_before_a_subcommand_are_refused_not_ignored() {
        let before_serve = parse(&["--policy-dir", "p", "serve"]).expect_err("misplaced");
        assert_eq!(before_serve.kind(), ErrorKind::ArgumentConflict);
        assert!(
            before_serve
                .to_string()
                .contains("--policy-dir given before `serve`")
        );
        let admin =
            parse(&["--listen", "127.0.0.1:1", "admin", "operator-token"]).expect_err("unused");
        assert!(
            admin.to_string().contains("`admin` does not use them"),
            "{admin}"
        );
        // The settings of every command go anywhere.
        assert!(parse(&["--data-dir", "d", "admin", "operator-token"]).is_ok());
        assert!(parse(&["admin", "operator-token", "--data-dir", "d"]).is_ok());
        assert!(parse(&["--data-dir", "d", "serve", "--listen", "127.0.0.1:1"]).is_ok());
    }

    #[test]
    fn monitoring_is_off_unless_asked_for_and_takes_only_addresses() {
        let cli = parse(&[]).expect("parsed");
        assert_eq!(cli.serve.metrics_listen, None);
        assert_eq!(cli.serve.otlp_endpoint, None);
        let cli = parse(&[
            "serve",
            "--metrics-listen",
            "127.0.0.1:9464",
            "--otlp-endpoint",
            "http://127.0.0.1:4317",
        ])
        .expect("parsed");
        let Some(Command::Serve { settings, .. }) = cli.command else {
            panic!("serve");
        };
        assert_eq!(
            settings.metrics_listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(
            settings.otlp_endpoint.as_deref(),
            Some("http://127.0.0.1:4317")
        );
        for bad in [
            "127.0.0.1:4317",
            "grpc://x",
            "http://",
            "http:///x",
            "http://a b",
        ] {
            assert!(parse_otlp_endpoint(bad).is_err(), "{bad}");
        }
        assert!(parse(&["--metrics-listen", "not an address"]).is_err());
    }

    #[test]
    fn the_public_url_is_an_address_with_a_host_and_nothing_after_its_path() {
        assert_eq!(
            parse_public_url("https://registry.example.com/"),
            Ok("https://registry.example.com".into())
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:8080/provenance"),
            Ok("http://127.0.0.1:8080/provenance".into())
        );
        for bad in [
            "registry.example.com",
            "ftp://x",
            "https://",
            "https:///path",
            "https://x/?a=b",
            "https://x/#top",
            "https://x/a b",
            "https://x/\"><script>",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        let cli = parse(&["serve", "--public-url", "https://r.example/"]).expect("parsed");
        let Some(Command::Serve { rules, .. }) = cli.command else {
            panic!("serve");
        };
        assert_eq!(rules.public_url.as_deref(), Some("https://r.example"));
    }
}
