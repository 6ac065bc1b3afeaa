//! The command line: one `clap` definition gives flags, `PROVENANCE_*` variables and `--help` alike.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use crate::evidence::{EvidenceArg, ReportEvidenceArg};
use crate::source::SourceArg;

/// Server address used when neither `--url` nor `PROVENANCE_URL` is given.
pub const DEFAULT_URL: &str = "http://127.0.0.1:50051";

/// Heading of the options every command takes, so that they stand apart from a command's own.
const GLOBAL: &str = "Global options";

/// The policy a dataset is judged or attested under when `--policy` is not given.
pub const DEFAULT_POLICY: &str = "deepseek-r1-anti-distillation";

/// Shown at the end of `--help`, so that scripts can rely on the exit codes.
const EXIT_CODES: &str = "\
Exit codes:
  0  success; for `policy evaluate`: verdict CLEAN or EXEMPT
  1  any other error (e.g. INTERNAL, RESOURCE_EXHAUSTED)
  2  usage error: bad flags or arguments, a bad or shared config file, a file or directory that
     does not exist or cannot be read or used (e.g. `digest` of a directory holding a symbolic
     link)
  3  not found (NOT_FOUND)
  4  no token, or token refused (UNAUTHENTICATED, PERMISSION_DENIED)
  5  request refused (INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION), e.g. an attestation
     refused because the dataset's lineage is contaminated
  6  cannot reach the server (UNAVAILABLE, connection or TLS failure, a URL of the wrong scheme:
     the message says which the server speaks); `health`: the registry is not serving
  7  `policy evaluate`: verdict CONTAMINATED
  8  `policy evaluate`: verdict INCOMPLETE (some datasets lack an attestation)
  9  `cert verify` (and `cert bundle`): the certificate is not valid, or a bundle's summary or
     transparency-log evidence does not verify; every check is printed
 10  `log verify`, `log monitor`: log verification failed: a proof or checkpoint does not verify
     (a fork, a bad signature, a tampered proof); every check, or both checkpoints, are printed

Connection settings: flags, then PROVENANCE_* variables, then the config file (--config,
PROVENANCE_CONFIG, or $XDG_CONFIG_HOME/provctl/config.toml), then the defaults.
Prefer PROVENANCE_TOKEN or a config file's token_file to --token: command lines are visible to
other users of the machine.";

/// Command-line client of the provenance registry: register datasets, read lineage and events,
/// judge datasets against restricted-model policies, attest them, issue and verify lineage
/// certificates, audit the transparency log, manage organisations and access tokens.
#[derive(Debug, Parser)]
#[command(name = "provctl", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Address of the registry's gRPC endpoint [default: the config file's `url`, else
    /// http://127.0.0.1:50051].
    #[arg(long, env = "PROVENANCE_URL", global = true, value_parser = parse_url, help_heading = GLOBAL)]
    pub url: Option<String>,
    /// Config file (TOML: url, token or token_file, ca_file, client_cert, client_key, and
    /// [profiles.NAME]) [default: $XDG_CONFIG_HOME/provctl/config.toml, else
    /// ~/.config/provctl/config.toml, if present]. Flags and variables win over it.
    #[arg(long, env = "PROVENANCE_CONFIG", value_name = "FILE", global = true, help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Use the config file's `[profiles.NAME]` over its top-level settings.
    #[arg(long, env = "PROVENANCE_PROFILE", value_name = "NAME", global = true, help_heading = GLOBAL)]
    pub profile: Option<String>,
    /// Access token, sent as `authorization: Bearer <token>` on every call.
    // The value must never reach `--help` or a log line: `hide_env_values` keeps clap from showing
    // what `PROVENANCE_TOKEN` holds, and `Secret` keeps it out of `Debug`.
    #[arg(long, env = "PROVENANCE_TOKEN", hide_env_values = true, global = true, help_heading = GLOBAL)]
    pub token: Option<Secret>,
    /// Output format: `text` for people, `json` for programs (each answer in the proto3 canonical
    /// JSON mapping: lowerCamelCase names, 64-bit integers as strings, default values left out).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true, help_heading = GLOBAL)]
    pub output: OutputFormat,
    /// For https:// URLs: PEM file of the CA(s) that signed the registry's certificate. Without
    /// it, the system's trusted CAs.
    #[arg(long, env = "PROVENANCE_CA_FILE", global = true, help_heading = GLOBAL)]
    pub ca_file: Option<PathBuf>,
    /// For mutual TLS: PEM client certificate. One the registry maps to an organisation stands in
    /// for the token.
    #[arg(long, env = "PROVENANCE_CLIENT_CERT", global = true, help_heading = GLOBAL)]
    pub client_cert: Option<PathBuf>,
    /// For mutual TLS: PEM key of `--client-cert`.
    #[arg(long, env = "PROVENANCE_CLIENT_KEY", global = true, help_heading = GLOBAL)]
    pub client_key: Option<PathBuf>,
}

/// A value that must not be shown, e.g. in `Debug` output of the parsed command line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Lines for people.
    Text,
    /// JSON for programs: each answer in the proto3 canonical JSON mapping (one object per line
    /// for streams).
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register and read datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Walk the lineage graph.
    #[command(subcommand)]
    Lineage(LineageCommand),
    /// Read the event log.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Read, list and create organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Issue and revoke access tokens of your organisation (admin role).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage your organisation's webhook endpoints and their deliveries (admin role).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Read restricted-model policies and judge datasets against them.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Record, read and revoke attestations that your datasets hold no restricted output.
    #[command(subcommand)]
    Attest(AttestCommand),
    /// Issue, read, verify (online or offline), bundle and revoke signed lineage certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Audit the transparency log: fetch checkpoints, the log key and proofs, verify them offline
    /// against a pinned key, and monitor the log for forks. Needs no access token (except `prove
    /// --certificate`).
    #[command(subcommand)]
    Log(LogCommand),
    /// Run a C2SP tlog-witness: cosign a log's checkpoints only when each is consistent with the
    /// last one cosigned, so that a log showing two histories is caught. Needs no registry.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Compute a directory's content digest as `dataset register --path` does: SHA-256 over a
    /// manifest of its files (path, size, SHA-256), recomputable by anyone (see the README).
    /// Works offline, without a token.
    #[command(after_help = DIGEST_HELP)]
    Digest(DigestArgs),
    /// Check that the registry is up and serving (the standard gRPC health check). Needs no
    /// access token. Exit code 0 when it serves, 6 when it cannot be reached or is not serving.
    Health(HealthArgs),
    /// Print the shell completion script of provctl for SHELL, e.g. `provctl completion bash >
    /// ~/.local/share/bash-completion/completions/provctl` (see the README for the other shells).
    /// Needs no server.
    Completion {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (provctl.1 and one per command, e.g. provctl-cert-verify.1) into
    /// DIR, created if missing: `provctl man ~/.local/share/man/man1`. Needs no server.
    Man {
        /// Directory to write the pages into.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// `provctl health`
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Check one service instead of the whole server, e.g. `provenance.v1.DatasetService`; a
    /// name the registry does not serve exits 3.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// How long to wait for the answer (after connecting) before reporting the registry as not
    /// serving, e.g. `5s`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub timeout: std::time::Duration,
}

/// Shown at the end of `digest --help`: enough to recompute a digest without provctl.
const DIGEST_HELP: &str = "\
The manifest has one line per regular file under DIR, sorted by the bytes of the path:
  <SHA-256 of the file, lower-case hex>  <size in bytes>  <path>\\n
with the path relative to DIR, '/'-separated, UTF-8. The digest is `sha256:` and the lower-case
hex SHA-256 of the whole manifest. Symbolic links are refused (or left out with
--skip-symlinks), never followed; names that are not UTF-8 or hold control characters, and
unreadable or special files, are refused (exit code 2).";

/// `provctl digest`
#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The dataset's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// How the directory is read.
    #[command(flatten)]
    pub hashing: HashingArgs,
    /// Also print the manifest: its lines in text mode, a `manifest` list in JSON.
    #[arg(long)]
    pub manifest: bool,
    /// Print only the digest, for scripts: `DIGEST=$(provctl digest -q DIR)`.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How a dataset's directory is hashed (`digest`, `dataset register --path`).
#[derive(Debug, Clone, Args)]
pub struct HashingArgs {
    /// Leave symbolic links out of the manifest instead of refusing them. Links are never
    /// followed.
    #[arg(long)]
    pub skip_symlinks: bool,
    /// Write the manifest (the exact text the digest is computed over) to this file.
    #[arg(long, value_name = "FILE")]
    pub manifest_out: Option<PathBuf>,
}

/// `provctl dataset ...`
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register a dataset with its sources (registrar role), or with `--from-file` every line of
    /// a JSON Lines file, up to 1000 per call. Registering the same name, version and digest
    /// again is harmless: the existing record is printed (counted, for a file).
    Register(RegisterArgs),
    /// Show one dataset.
    Get {
        /// Id of the dataset.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// List the datasets you may see, oldest first.
    List(ListDatasetsArgs),
    /// Report a dataset contaminated (registrar role). Reported by its owner, the dataset and
    /// everything made from it are judged CONTAMINATED; another organisation's report is recorded
    /// and announced but changes no verdict until the owner acts.
    Report(ReportArgs),
    /// Register a dataset from Croissant 1.0 or 1.1 metadata (registrar role): name, version,
    /// the manifest digest of its FileObjects' sha256 and sizes, licence, `isBasedOn` sources and
    /// the RAI fields in the description (see the README's "Croissant in"). A file that does not
    /// validate is refused, naming the field, before anything is sent.
    Import(ImportArgs),
}

/// `provctl dataset import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Croissant metadata file (JSON-LD), e.g. `metadata.json`.
    #[arg(long, value_name = "FILE")]
    pub croissant: PathBuf,
    /// The version label to register, instead of the file's `version`.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Let every organisation see the dataset. Cannot be undone.
    #[arg(long)]
    pub public: bool,
    /// Print only the dataset's id.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `provctl dataset report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Id of the dataset.
    #[arg(value_parser = parse_id)]
    pub id: Uuid,
    /// What you found (1 to 4096 characters).
    #[arg(long, value_name = "TEXT")]
    pub statement: String,
    /// Where the evidence is, optionally with the SHA-256 of its bytes (repeatable, at most 20):
    /// `URI` or `URI=sha256:HEX`.
    #[arg(long = "evidence", value_name = "URI[=sha256:HEX]")]
    pub evidence: Vec<ReportEvidenceArg>,
}

/// Shown at the end of `dataset register --help`: the format of `--from-file`.
const REGISTER_HELP: &str = "\
--from-file FILE reads JSON Lines: each non-empty line one BatchRegistration in the proto3
canonical JSON mapping, e.g.
  {\"ref\":\"clean\",\"dataset\":{\"name\":\"web-clean\",\"version\":\"1\",
   \"contentDigest\":\"sha256:<64 hex>\",\"sources\":[{\"kind\":\"SOURCE_KIND_DATASET\",
   \"batchRef\":\"crawl\"}]}}
(one line in the file). A source's batchRef names the ref of an earlier line: provctl sends the
lines in order, --batch-size per RegisterDatasets call, and gives a parent stored by an earlier
call as its datasetId. The whole file is checked before anything is sent (each line parses, no
unknown field, refs unique, every batchRef names an earlier line); each call is all or none, and
re-running a file is safe: what is already stored is answered as already existing.";

/// `provctl dataset register`
#[derive(Debug, Args)]
#[command(after_help = REGISTER_HELP)]
// The flags that describe one dataset, which `--from-file` and `--batch-size` replace.
#[command(group(ArgGroup::new("one_dataset").multiple(true).args([
    "name", "version", "digest", "path", "skip_symlinks", "manifest_out", "size", "description",
    "license", "public", "parents", "sources",
])))]
pub struct RegisterArgs {
    /// Name of the dataset.
    #[arg(long, required_unless_present = "from_file")]
    pub name: Option<String>,
    /// Version label.
    #[arg(long, required_unless_present = "from_file")]
    pub version: Option<String>,
    /// Content digest: `sha256:` followed by 64 lower-case hex digits.
    #[arg(long, required_unless_present_any = ["path", "from_file"], conflicts_with = "path")]
    pub digest: Option<String>,
    /// Compute the digest from this directory, as `provctl digest DIR` does; the size defaults
    /// to the bytes of its files.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// With `--path`: how the directory is read.
    #[command(flatten)]
    pub hashing: HashingArgs,
    /// Size in bytes.
    #[arg(long, value_name = "BYTES")]
    pub size: Option<u64>,
    /// Free-text description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Licence, as an SPDX expression (e.g. `CC-BY-4.0`).
    #[arg(long, value_name = "SPDX")]
    pub license: Option<String>,
    /// Let every organisation see the dataset. Cannot be undone.
    #[arg(long)]
    pub public: bool,
    /// A registered dataset this one was made from (repeatable).
    #[arg(long = "parent", value_name = "DATASET_ID", value_parser = parse_id)]
    pub parents: Vec<Uuid>,
    /// Another source (repeatable): `external=URI`, `web-crawl=URI`, `licensed=REF`, `human`,
    /// `model=MODEL_ID[@VERSION]`, or `dataset=ID` (same as --parent).
    #[arg(long = "source", value_name = "KIND[=VALUE]")]
    pub sources: Vec<SourceArg>,
    /// Print only the dataset's id, for scripts: `ID=$(provctl dataset register -q ...)`; with
    /// `--from-file`, one id per line of the file, in its order.
    #[arg(short, long)]
    pub quiet: bool,
    /// Register every line of FILE (JSON Lines of `BatchRegistration`s, see below; `-` for
    /// standard input) with `RegisterDatasets`, instead of one dataset described by the flags.
    #[arg(long, value_name = "FILE", conflicts_with = "one_dataset")]
    pub from_file: Option<PathBuf>,
    /// With `--from-file`: registrations per call, 1 to 1000 [default: 1000]. A call is also cut
    /// before it would pass 4 MiB, the registry's default message limit.
    #[arg(
        long,
        value_name = "N",
        requires = "from_file",
        conflicts_with = "one_dataset",
        value_parser = clap::value_parser!(u16).range(1..=1000),
    )]
    pub batch_size: Option<u16>,
}

/// `provctl dataset list`
#[derive(Debug, Args)]
pub struct ListDatasetsArgs {
    /// Only datasets with exactly this name (all versions).
    #[arg(long)]
    pub name: Option<String>,
    /// Only datasets of this organisation (yours, or another's public ones).
    #[arg(long, value_name = "ORG_ID", value_parser = parse_id)]
    pub org: Option<Uuid>,
    /// Which page.
    #[command(flatten)]
    pub page: PageArgs,
}

/// Paging of a listing.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Items per page (server default 50).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
    /// Continue from the page token a previous listing printed.
    #[arg(long)]
    pub page_token: Option<String>,
    /// Follow the pages to the end.
    #[arg(long)]
    pub all: bool,
}

/// `provctl lineage ...`
#[derive(Debug, Subcommand)]
pub enum LineageCommand {
    /// Show what a dataset was made from (or, with --downstream, what was made from it).
    Show(LineageShowArgs),
    /// Print the walk node by node as the registry streams it (`StreamLineage`), for graphs too
    /// large to hold: one row per node, or with `--output json` one JSON object per line.
    Stream(LineageWalkArgs),
    /// One page of the walk (`GetLineage`), nodes by depth then id, with the counts of the whole
    /// walk.
    List(LineageListArgs),
    /// The whole walk as a standard document (`ExportLineage`): SPDX 3.0.1 JSON-LD, CycloneDX 1.6
    /// JSON or W3C PROV-JSON, written as the registry sends it (to standard output, or `--out`).
    /// Datasets you may not see appear only as counted, anonymous nodes.
    Export(LineageExportArgs),
}

/// `provctl lineage export`
#[derive(Debug, Args)]
pub struct LineageExportArgs {
    /// The walk.
    #[command(flatten)]
    pub walk: LineageWalkArgs,
    /// The standard to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write the document to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The standards `lineage export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// SPDX 3.0.1 JSON-LD (Dataset and AI profiles).
    Spdx3,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// W3C PROV-JSON.
    Prov,
}

/// Where a lineage walk starts, which way it goes and how deep.
#[derive(Debug, Args)]
pub struct LineageWalkArgs {
    /// Id of the dataset to start from.
    #[arg(value_parser = parse_id)]
    pub id: Uuid,
    /// Walk towards derived datasets instead of sources.
    #[arg(long)]
    pub downstream: bool,
    /// How many edges deep to walk (default: no limit).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub max_depth: Option<i32>,
}

/// `provctl lineage list`
#[derive(Debug, Args)]
pub struct LineageListArgs {
    /// The walk.
    #[command(flatten)]
    pub walk: LineageWalkArgs,
    /// Which page.
    #[command(flatten)]
    pub page: PageArgs,
}

/// `provctl lineage show`
#[derive(Debug, Args)]
pub struct LineageShowArgs {
    /// The walk.
    #[command(flatten)]
    pub walk: LineageWalkArgs,
    /// `tree`, `dot` (Graphviz), `mermaid` (flowchart) or `json`; default: `tree`, or `json`
    /// with `--output json`. `dot` and `mermaid` mark contaminated and unattested datasets, as
    /// the policy judges the starting dataset.
    #[arg(long, value_enum)]
    pub format: Option<LineageFormat>,
    /// Id of the policy that marks the graph (`dot` and `mermaid` only).
    #[arg(long, value_name = "ID", default_value = DEFAULT_POLICY)]
    pub policy: String,
    /// Version of the policy; needed only when several versions are loaded.
    #[arg(long, value_name = "V")]
    pub policy_version: Option<String>,
}

/// How `lineage show` prints the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LineageFormat {
    /// An indented tree.
    Tree,
    /// A Graphviz digraph (`dot -Tsvg`), contaminated and unattested datasets marked.
    Dot,
    /// A Mermaid flowchart, contaminated and unattested datasets marked.
    Mermaid,
    /// The nodes as JSON.
    Json,
}

/// `provctl events ...`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// One page of events in sequence order.
    List {
        /// Only events after this sequence number.
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        after: u64,
        /// Events per page (server default 50).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
        page_size: Option<i32>,
        /// Continue from the page token a previous listing printed (with the same `--after`).
        #[arg(long)]
        page_token: Option<String>,
    },
    /// Print events as they are committed, until interrupted (Ctrl-C).
    Watch {
        /// Start after this sequence number (0: the whole log).
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        after: u64,
    },
}

/// `provctl org ...`
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Show your organisation (operators: any organisation).
    Get {
        /// Id of the organisation; default: the token's own.
        #[arg(value_parser = parse_id)]
        id: Option<Uuid>,
    },
    /// Create an organisation. Needs an operator token (`provenance-registry admin
    /// operator-token` on the server machine).
    Create {
        /// Display name, unique across the registry.
        name: String,
    },
    /// List the registry's organisations, oldest first: id, name, creation time. Needs an
    /// operator token. With --name, the one organisation of that name or nothing, for scripts:
    /// `provctl org list --name "Buyer Ltd" --output json | jq -r '.organizations[0].id'`.
    List {
        /// Only the organisation with exactly this name.
        #[arg(long)]
        name: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
}

/// `provctl webhook ...`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an HTTPS endpoint; prints its id and its signing secret (shown only this once).
    Create {
        /// Where deliveries are posted (`https://`).
        #[arg(value_name = "URL")]
        endpoint: String,
        /// An event type to receive (repeat for several; none for every type).
        #[arg(long = "event-type", value_name = "TYPE")]
        event_types: Vec<String>,
        /// For people.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Show one endpoint.
    Get {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// List your organisation's endpoints.
    List,
    /// Pause an endpoint: deliveries accumulate until it is resumed.
    Pause {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// Resume a paused or failing endpoint: it catches up, in order.
    Resume {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// Replace the event types an endpoint receives (none for every type).
    SetTypes {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// An event type to receive (repeat for several).
        #[arg(long = "event-type", value_name = "TYPE")]
        event_types: Vec<String>,
    },
    /// Delete an endpoint and its pending deliveries.
    Delete {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// Give an endpoint a new signing secret (printed); the old one keeps signing for `--grace`.
    RotateSecret {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// How long the old secret keeps signing (e.g. `48h`; server default 24h, at most 7 days).
        #[arg(long, value_parser = humantime::parse_duration)]
        grace: Option<std::time::Duration>,
    },
    /// List an endpoint's deliveries, newest first.
    Deliveries {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// Send one event to an endpoint again.
    Redeliver {
        /// Id of the endpoint.
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// The event's sequence.
        sequence: u64,
    },
}

/// `provctl token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token for your organisation. In text mode only the token is printed, so that
    /// `export PROVENANCE_TOKEN=$(provctl token create ...)` works.
    Create {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Who or what will use it (a person, a CI pipeline).
        #[arg(long)]
        subject: String,
        /// Lifetime in seconds (server default: 30 days; at least 60).
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i64).range(1..))]
        ttl: Option<i64>,
    },
    /// Revoke a token of your organisation by its id (`jti`).
    Revoke {
        /// Id of the token.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
}

/// `provctl policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List every loaded policy version.
    List,
    /// Show one policy: its clause, the clause's SHA-256, where it comes from, the restricted
    /// model family and who is exempt.
    Get {
        /// Id of the policy, e.g. `deepseek-r1-anti-distillation`.
        id: String,
        /// Version; needed only when several versions of the policy are loaded.
        #[arg(long)]
        version: Option<String>,
    },
    /// Judge a dataset's whole upstream lineage under a policy. Prints the verdict first
    /// (CLEAN, CONTAMINATED, INCOMPLETE or EXEMPT), then the offending paths, the datasets that
    /// lack an attestation and the attestations the verdict rests on.
    #[command(after_help = VERDICT_CODES)]
    Evaluate(EvaluateArgs),
}

/// Shown at the end of `policy evaluate --help`: the exit codes CI pipelines gate on.
const VERDICT_CODES: &str = "\
Exit codes by verdict, for CI pipelines to gate on:
  0  CLEAN: nothing restricted or contaminated, every dataset attested by its owner
  0  EXEMPT: restricted outputs in the lineage, but --target is exempt under the policy
  7  CONTAMINATED: restricted model outputs, or a dataset reported contaminated, in the lineage
  8  INCOMPLETE: nothing restricted found, but some datasets lack a valid attestation, or a
     competing-use policy's outputs are in the lineage and no --purpose was declared
Obligations (a naming obligation, inherited terms) are printed, and do not change the code.
Under several policies (--policy more than once, --all-policies) the code is the worst verdict's:
7 if any is CONTAMINATED, else 8 if any is INCOMPLETE, else 0.
Other failures exit as listed in `provctl --help` (e.g. 3 when the dataset is not found).";

/// `provctl policy evaluate`
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Id of the dataset to judge.
    #[arg(value_parser = parse_id)]
    pub id: Uuid,
    /// Id of the policy (default: the built-in DeepSeek-R1 policy). Given more than once, the
    /// dataset is judged under each at once (each `ID` or `ID@VERSION`, at most 16) and the
    /// answer is a matrix: one verdict per policy, with its paths and obligations.
    #[arg(long, value_name = "ID")]
    pub policy: Vec<String>,
    /// Judge under every loaded policy at once (a matrix, as several `--policy` give).
    #[arg(long, conflicts_with_all = ["policy", "policy_version"])]
    pub all_policies: bool,
    /// Version of the policy; needed only when several versions are loaded. With one `--policy`
    /// only (several take `ID@VERSION`).
    #[arg(long, value_name = "V")]
    pub policy_version: Option<String>,
    /// The model the dataset will train, as its maker names it (e.g.
    /// `DeepSeek-R1-Distill-Qwen-7B`): a target in the policy's exempt family turns restricted
    /// outputs into EXEMPT; a naming obligation is judged against it.
    #[arg(long, value_name = "MODEL")]
    pub target: Option<String>,
    /// What the trained model is for: a competing-use policy (hosted models' terms) judges by it.
    #[arg(long, value_enum)]
    pub purpose: Option<PurposeArg>,
}

/// `--purpose` of `provctl policy evaluate` and `provctl attest record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    /// A model that competes with the provider of the policy's models (also `competing`).
    #[value(alias = "competing")]
    CompetingModel,
    /// A model that does not compete with the provider.
    NonCompeting,
}

/// `provctl attest ...`
#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// Attest that one of your organisation's datasets holds no restricted output under a policy
    /// (registrar role). Refused, with the offending paths, when its lineage is contaminated.
    Record(RecordAttestationArgs),
    /// Show one attestation.
    Get {
        /// Id of the attestation.
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// List attestations of one dataset, or (without --dataset) your organisation's, oldest first.
    List(ListAttestationsArgs),
    /// Revoke an attestation of your organisation (registrar role); it no longer counts.
    Revoke {
        /// Id of the attestation.
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// Why (1 to 1000 characters).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

/// `provctl attest record`
#[derive(Debug, Args)]
pub struct RecordAttestationArgs {
    /// Id of the dataset: one of your organisation's.
    #[arg(value_parser = parse_id)]
    pub id: Uuid,
    /// How you convinced yourself.
    #[arg(long, value_enum)]
    pub method: MethodArg,
    /// What you relied on (repeatable, 1 to 20): `URI=sha256:HEX`, the SHA-256 of the evidence's
    /// bytes as `sha256sum` prints it.
    #[arg(long = "evidence", value_name = "URI=sha256:HEX", required = true)]
    pub evidence: Vec<EvidenceArg>,
    /// The statement in your organisation's words (1 to 4096 characters).
    #[arg(long, value_name = "TEXT")]
    pub statement: String,
    /// Id of the policy the attestation is made under (default: the built-in DeepSeek-R1
    /// policy), `ID` or `ID@VERSION`. Given more than once (at most 16), one attestation covers
    /// each and counts under each.
    #[arg(long, value_name = "ID[@VERSION]")]
    pub policy: Vec<String>,
    /// Cover every policy version loaded now (at most 16), as several `--policy` do.
    #[arg(long, conflicts_with_all = ["policy", "policy_version"])]
    pub all_policies: bool,
    /// Version of the policy; needed only when several versions are loaded. With one `--policy`
    /// only (several take `ID@VERSION`). An attestation counts only for the versions it names.
    #[arg(long, value_name = "V")]
    pub policy_version: Option<String>,
    /// What the models the dataset trains are for: a competing-use policy (hosted models' terms)
    /// judges the dataset by it when an evaluation declares no purpose of its own.
    #[arg(long, value_enum)]
    pub purpose: Option<PurposeArg>,
    /// When the attestation stops counting, in RFC 3339 (e.g. `2027-01-01T00:00:00Z`); default:
    /// never.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub expires: Option<DateTime<Utc>>,
    /// Print only the attestation's id, for scripts.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `provctl attest list`
#[derive(Debug, Args)]
pub struct ListAttestationsArgs {
    /// Only this dataset's attestations (any dataset you may see); default: your organisation's.
    #[arg(long, value_name = "DATASET_ID", value_parser = parse_id)]
    pub dataset: Option<Uuid>,
    /// Which page.
    #[command(flatten)]
    pub page: PageArgs,
}

/// The forms `provctl cert get` prints a certificate in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CertificateFormat {
    /// Its status and claims, for people (or `--output json`).
    Summary,
    /// The compact JWS.
    Jws,
    /// The in-toto Statement v1 in a DSSE envelope.
    Dsse,
}

/// `provctl cert ...`
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Issue a lineage certificate for one of your organisation's datasets (registrar role). The
    /// registry issues one only when the dataset's lineage is CLEAN under the policy, or EXEMPT
    /// for `--target-model`.
    Issue(IssueCertificateArgs),
    /// Show a certificate: its status (now or at `--as-of`), status history, revocation and
    /// what it states; or, with `--format jws|dsse`, the certificate itself.
    Get {
        /// Id of the certificate (the token's `jti`).
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// Give the status as it stood at this moment, in RFC 3339 (e.g. a contract's date).
        #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
        as_of: Option<DateTime<Utc>>,
        /// What to print: `summary` (status and claims), `jws` (the compact JWS, one line) or
        /// `dsse` (the in-toto Statement in its DSSE envelope, one line of JSON).
        #[arg(long, value_enum, default_value_t = CertificateFormat::Summary)]
        format: CertificateFormat,
    },
    /// Verify a certificate and print every check. Online (the default) the registry checks
    /// everything, revocation included; with `--offline` nothing goes over the network and
    /// revocation cannot be known.
    #[command(after_help = VERIFY_CODES)]
    Verify(VerifyCertificateArgs),
    /// Revoke one of your organisation's certificates (registrar role).
    Revoke {
        /// Id of the certificate.
        #[arg(value_parser = parse_id)]
        id: Uuid,
        /// Why (1 to 1000 characters).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Print the registry's public signing keys as a JWKS, to pin for offline verification.
    /// Needs no access token.
    Keys {
        /// Write the JWKS to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write one JSON file holding the certificate, the signing keys and a summary of its
    /// lineage, which anyone can verify offline years later: `provctl cert verify FILE
    /// --offline`. Only a certificate that verifies now is bundled.
    Bundle {
        /// Id of the certificate, or a file holding its token (as `cert issue --out` writes it).
        #[arg(value_name = "ID_OR_FILE")]
        certificate: String,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write the certificate as one self-contained HTML document (or an A4 PDF) for people, to
    /// attach to a contract: what was certified, the clause, the lineage drawn, the attestations,
    /// the token and keys, and how to verify it. Exit code 9, and nothing written, when the
    /// certificate does not verify.
    Render(crate::commands::render::RenderCertificateArgs),
}

/// Shown at the end of `cert verify --help`.
const VERIFY_CODES: &str = "\
Input: a token, a file holding one (`cert issue --out`), a bundle (`cert bundle`), or `-` for
standard input.

Exit codes:
  0  the certificate is valid (offline: the signature, key and validity window hold; revocation
     is known only online)
  9  the certificate is not valid: the failed checks are printed
Other failures exit as listed in `provctl --help` (e.g. 2 for an unreadable file).";

/// `provctl cert issue`
#[derive(Debug, Args)]
pub struct IssueCertificateArgs {
    /// Id of the dataset: one of your organisation's.
    #[arg(value_parser = parse_id)]
    pub dataset: Uuid,
    /// Id of the policy the lineage is judged under (default: the built-in DeepSeek-R1 policy).
    /// Given more than once, the certificate covers each (each `ID` or `ID@VERSION`, at most 16)
    /// and is issued only when the dataset is certifiable under every one.
    #[arg(long, value_name = "ID")]
    pub policy: Vec<String>,
    /// Cover every loaded policy at once (as several `--policy` do).
    #[arg(long, conflicts_with_all = ["policy", "policy_version"])]
    pub all_policies: bool,
    /// Version of the policy; needed only when several versions are loaded. With one `--policy`
    /// only (several take `ID@VERSION`).
    #[arg(long, value_name = "V")]
    pub policy_version: Option<String>,
    /// What the trained model is for: a competing-use policy (hosted models' terms) whose outputs
    /// are in the lineage judges by it.
    #[arg(long, value_enum)]
    pub purpose: Option<PurposeArg>,
    /// The buyer's organisation the certificate is for (its `aud`); verifiers that expect
    /// another organisation refuse it.
    #[arg(long, value_name = "ORG_ID", value_parser = parse_id)]
    pub audience: Option<Uuid>,
    /// The contract the certificate is attached to, as you name it (at most 200 characters).
    #[arg(long, value_name = "REF")]
    pub contract: Option<String>,
    /// The model the dataset will train: needed for an EXEMPT verdict (e.g.
    /// `DeepSeek-R1-Distill-Qwen-7B`) and to meet a naming obligation (e.g. `Llama-3.1-Acme-8B`).
    #[arg(long, value_name = "MODEL")]
    pub target_model: Option<String>,
    /// How long it is valid, e.g. `90d`, `12h`, `1y` (server default 90 days; at least 1h, at
    /// most the server's maximum).
    #[arg(long, value_name = "DURATION", value_parser = parse_validity)]
    pub validity: Option<i64>,
    /// Also write the token (the compact JWS, one line) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `provctl cert verify`
#[derive(Debug, Args)]
pub struct VerifyCertificateArgs {
    /// The token, a file holding it, a bundle file, or `-` to read standard input.
    #[arg(value_name = "FILE_OR_TOKEN")]
    pub input: String,
    /// The organisation (UUID) you expect the certificate to be issued for; a certificate for
    /// another organisation, or for none, fails the `audience` check.
    #[arg(long, value_name = "ORG_ID", value_parser = parse_id)]
    pub audience: Option<Uuid>,
    /// Judge the validity window (and, online, the status) as it stood at this moment, in RFC
    /// 3339: "was it valid on the contract date?".
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// Verify against this JWKS (`provctl cert keys --out FILE`, or the registry's
    /// `/.well-known/jwks.json`) instead of a bundle's own keys. Needs `--offline`.
    #[arg(long, value_name = "FILE", requires = "offline")]
    pub jwks: Option<PathBuf>,
    /// Verify without the network, with `--jwks` or a bundle's keys: signature, key, type,
    /// validity window and audience only. Whether the certificate was revoked needs the online
    /// check.
    #[arg(long)]
    pub offline: bool,
    /// For a bundle: the transparency log's key to check its `log` member with (`<name>+<key
    /// id>+<key>` as `provctl log key` prints it, or a file holding it). Default: the log key of
    /// the pinned `--jwks`, else the bundle's own.
    #[arg(long, value_name = "VKEY_OR_FILE")]
    pub log_key: Option<String>,
    /// A copy of the certificate's token status list (the `statuslist+jwt` fetched from the
    /// `uri` of its `status` claim), to learn offline whether it was revoked: the
    /// `status_list` check reads its bit and says when the list was built. Needs `--offline`.
    #[arg(long, value_name = "FILE", requires = "offline")]
    pub status_list: Option<PathBuf>,
    /// For a bundle: a witness's cosigner key (`<name>+<key id>+<key>`, as `provctl witness key`
    /// prints it, or a file holding it) whose cosignature of the bundle's checkpoint counts
    /// towards `--witness-threshold`. Repeat for several.
    #[arg(long = "witness", value_name = "VKEY_OR_FILE")]
    pub witnesses: Vec<String>,
    /// How many of the `--witness` keys must have cosigned the bundle's checkpoint (default: all
    /// of them); fewer fails the `log_witnesses` check.
    #[arg(long, value_name = "N", requires = "witnesses", value_parser = clap::value_parser!(u64).range(1..))]
    pub witness_threshold: Option<u64>,
}

/// `provctl witness ...`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Serve `POST /add-checkpoint` (c2sp.org/tlog-witness) for the logs given: each checkpoint
    /// signed by a log's key and consistent with the last one cosigned for that log is cosigned
    /// (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`), and kept in `--state`. Prints
    /// `listening on ADDRESS` and the witness's vkey, then serves until interrupted.
    Serve(WitnessServeArgs),
    /// Print the witness's verifier key (`<name>+<key id>+<key>`, type 0x04), which registries
    /// (`--witness`) and verifiers (`cert verify --witness`) pin. Creates the key file when it
    /// does not exist (then `--name` is needed).
    Key {
        /// The witness's key file.
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// The witness's name, e.g. `witness.example/w1`: needed to create the key file.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
}

/// `provctl witness serve`
#[derive(Debug, Args)]
pub struct WitnessServeArgs {
    /// Address to listen on (plain HTTP; put TLS in front for the internet). Port 0 picks a free
    /// one, printed at start.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:7380")]
    pub listen: std::net::SocketAddr,
    /// The witness's key file, created (mode 0600) on first run with `--name`.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// The witness's name, e.g. `witness.example/w1`: needed to create the key file, and checked
    /// against it afterwards.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A log to witness: `[ORIGIN=]VKEY`, its key as `provctl log key` prints it (the origin
    /// defaults to the key's name, which is the registry's origin). Repeat for several logs.
    #[arg(long = "log", value_name = "[ORIGIN=]VKEY", required = true)]
    pub logs: Vec<String>,
    /// Directory keeping the last cosigned checkpoint of each log (created). Keep it: a witness
    /// that loses it would cosign a fork of what it cosigned before.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
}

/// `provctl log ...`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Fetch the log's newest signed checkpoint: print its size, root hash and time, and keep the
    /// signed note with `--out` for `log verify`.
    Checkpoint {
        /// Write the signed note, exactly as the registry signed it, to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Read the checkpoint from a C2SP tlog-tiles mirror instead of calling the registry:
        /// `http://`, `https://` or a directory holding `checkpoint` and `tile/`. Needs `--key`:
        /// nothing a mirror serves is trusted until it verifies with the pinned key.
        #[arg(long, value_name = "URL", requires = "key")]
        tiles: Option<String>,
        /// With `--tiles`: the pinned log key (`<name>+<key id>+<key>`, or a file holding it).
        #[arg(long, value_name = "VKEY_OR_FILE", requires = "tiles")]
        key: Option<String>,
    },
    /// Print the log's public key in the signed-note verifier form `<name>+<key id>+<key>`, to
    /// pin out of band: `log verify` and `log monitor` trust no other key. It is read from the
    /// JWKS entry with `"use": "log"`, and checked against the newest checkpoint.
    Key {
        /// Write the key (one line) to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Fetch an inclusion proof (of a leaf, an event or a certificate's issuance) or a
    /// consistency proof (between two tree sizes), as a JSON file `log verify` checks offline.
    /// Without `--out` the proof is printed.
    #[command(after_help = PROVE_HELP)]
    Prove(ProveArgs),
    /// Verify a checkpoint, an inclusion proof and a consistency proof against a pinned log key,
    /// without the network, and print every check.
    #[command(after_help = LOG_VERIFY_CODES)]
    Verify(LogVerifyArgs),
    /// Follow the log's checkpoints: check each new one's signature with the pinned key and its
    /// consistency with the last one verified, and fail loudly on a fork. Runs until interrupted
    /// (Ctrl-C), or one round with `--once`.
    #[command(after_help = MONITOR_CODES)]
    Monitor(MonitorArgs),
    /// Print leaves by index (`GetLeaves`): each leaf's data is its event's chain hash, so that
    /// anyone can rebuild the tree and compare roots.
    Leaves {
        /// First leaf index (0-based; leaf i is the event with sequence i + 1).
        #[arg(long, value_name = "N", default_value_t = 0)]
        start: u64,
        /// How many leaves (1 to 1000; fewer at the end of the log).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Read the entry bundles of a C2SP tlog-tiles mirror instead of calling the registry:
        /// `http://`, `https://` or a directory holding `checkpoint` and `tile/`.
        #[arg(long, value_name = "URL")]
        tiles: Option<String>,
    },
}

/// Shown at the end of `log prove --help`.
const PROVE_HELP: &str = "\
Leaf i of the log is the event with sequence i + 1; its data is the event's chain hash.
An inclusion proof is against the newest checkpoint unless --tree-size says otherwise; the file
carries that checkpoint's signed note when the registry's newest checkpoint is of that size.";

/// Shown at the end of `log verify --help`.
const LOG_VERIFY_CODES: &str = "\
Nothing goes over the network. The inclusion proof is checked against the checkpoint of its tree
size among those given: --checkpoint, --old-checkpoint, or the one the proof file carries.

Exit codes:
  0  every check passed
 10  a checkpoint or a proof does not verify: the failed checks are printed
Other failures exit as listed in `provctl --help` (e.g. 2 for an unreadable file or key).";

/// Shown at the end of `log monitor --help`.
const MONITOR_CODES: &str = "\
Without --state, the first checkpoint is trusted on first use (its signature is still checked).
The state file holds the last verified checkpoint's signed note; keep it between runs.

Exit codes:
  0  every checkpoint seen verified (and, with --once, the round is done), or Ctrl-C
 10  FORK DETECTED or CHECKPOINT REJECTED: both checkpoints are printed; keep them as evidence
Other failures exit as listed in `provctl --help` (e.g. 6 when the registry cannot be reached at
start or with --once; later, an unreachable registry is reported and retried).";

/// `provctl log prove`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["leaf", "event_sequence", "certificate", "consistency"])))]
pub struct ProveArgs {
    /// Prove that this leaf (0-based index) is in the tree.
    #[arg(long, value_name = "N")]
    pub leaf: Option<u64>,
    /// Prove that the event with this sequence number (1-based; its leaf is the sequence minus
    /// one) is in the tree.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(1..))]
    pub event_sequence: Option<u64>,
    /// Prove that this certificate's issuance (its `certificate.issued` event, the certificate's
    /// `log_index`) is in the tree. Needs an access token that may read the certificate.
    #[arg(long, value_name = "ID", value_parser = parse_id)]
    pub certificate: Option<Uuid>,
    /// Prove that the tree of this many leaves is a prefix of the tree of `--to` leaves.
    #[arg(long, value_name = "FIRST", value_parser = clap::value_parser!(u64).range(1..))]
    pub consistency: Option<u64>,
    /// With `--consistency`: the larger tree size; default: the newest checkpoint's.
    // `requires` alone lets `--leaf N --to M` through: clap waives a requirement that conflicts
    // with an argument given, as `--consistency` does with the other members of its group.
    #[arg(long, value_name = "SECOND", requires = "consistency", conflicts_with_all = ["leaf", "event_sequence", "certificate"], value_parser = clap::value_parser!(u64).range(1..))]
    pub to: Option<u64>,
    /// With an inclusion proof: the size of the tree to prove it in; default: the newest
    /// checkpoint's.
    #[arg(long, value_name = "N", conflicts_with = "consistency", value_parser = clap::value_parser!(u64).range(1..))]
    pub tree_size: Option<u64>,
    /// Write the proof to this file (JSON) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compute the proof from a C2SP tlog-tiles mirror instead of calling the registry
    /// (`http://`, `https://` or a directory holding `checkpoint` and `tile/`); not with
    /// `--certificate`, whose leaf only the registry knows. Verify the file with `log verify` and
    /// the pinned key as any other.
    #[arg(long, value_name = "URL", conflicts_with = "certificate")]
    pub tiles: Option<String>,
}

/// `provctl log verify`
#[derive(Debug, Args)]
pub struct LogVerifyArgs {
    /// The pinned log key (`<name>+<key id>+<key>`, as `provctl log key` prints it), or a file
    /// holding it.
    #[arg(long, value_name = "VKEY_OR_FILE")]
    pub key: String,
    /// A checkpoint's signed note (`provctl log checkpoint --out FILE`). Optional when the
    /// `--inclusion` proof carries its own checkpoint.
    #[arg(long, value_name = "NOTE_FILE", required_unless_present = "inclusion")]
    pub checkpoint: Option<PathBuf>,
    /// An inclusion proof file (`provctl log prove --out FILE`).
    #[arg(long, value_name = "PROOF_FILE")]
    pub inclusion: Option<PathBuf>,
    /// A consistency proof file (`provctl log prove --consistency FIRST --out FILE`) from
    /// `--old-checkpoint` to `--checkpoint`.
    #[arg(long, value_name = "PROOF_FILE", requires_all = ["old_checkpoint", "checkpoint"])]
    pub consistency: Option<PathBuf>,
    /// The older checkpoint's signed note, which `--consistency` links to `--checkpoint`.
    #[arg(long, value_name = "NOTE_FILE", requires = "consistency")]
    pub old_checkpoint: Option<PathBuf>,
}

/// `provctl log monitor`
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The pinned log key (`<name>+<key id>+<key>`, as `provctl log key` prints it), or a file
    /// holding it.
    #[arg(long, value_name = "VKEY_OR_FILE")]
    pub key: String,
    /// Keep the last verified checkpoint's note in this file, and start from it: a restarted
    /// monitor goes on checking consistency from where it stopped.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// How long to wait between rounds, e.g. `10s`, `5m` (at least 1s).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub interval: std::time::Duration,
    /// Do one round and exit (for cron jobs and tests).
    #[arg(long)]
    pub once: bool,
    /// Read the log from a C2SP tlog-tiles mirror instead of the registry: `http://`, `https://`
    /// or a directory holding `checkpoint` and `tile/` (a static copy, e.g. on a CDN). Consistency
    /// proofs are computed from its tiles; nothing it serves is trusted.
    #[arg(long, value_name = "URL")]
    pub tiles: Option<String>,
}

/// How an organisation convinced itself that a dataset is clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// People reviewed the data and its collection.
    ManualReview,
    /// A tool scanned the data.
    AutomatedScan,
    /// The supplier declared it, e.g. in a contract.
    SupplierDeclaration,
    /// The pipeline that produced the data is documented and audited.
    ProcessAudit,
}

/// Roles a token can be issued with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Read only.
    Auditor,
    /// Read and register datasets.
    Registrar,
    /// Everything, including managing tokens.
    Admin,
}

/// An id as the registry writes them, with a message that says so rather than uuid's own.
fn parse_id(text: &str) -> Result<Uuid, String> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        "not an id: expected a UUID such as 0193a5b0-7e1f-7c3a-9d2e-5f6a7b8c9d0e".into()
    })
}

/// An RFC 3339 time such as `2027-01-01T00:00:00Z`, kept in UTC.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}); expected e.g. 2027-01-01T00:00:00Z"))
}

/// A certificate's validity as `90d`, `12h` or `1y`, in whole seconds.
fn parse_validity(text: &str) -> Result<i64, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("not a duration ({e}); expected e.g. 90d, 12h or 1y"))?;
    if duration.subsec_nanos() != 0 || duration.as_secs() == 0 {
        return Err("must be a positive number of whole seconds, e.g. 90d".into());
    }
    i64::try_from(duration.as_secs()).map_err(|_| "is too long".into())
}

/// A duration of at least a second, e.g. `10s` or `5m`: the monitor's interval, the health
/// check's timeout.
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("not a duration ({e}); expected e.g. 10s or 5m"))?;
    if duration < std::time::Duration::from_secs(1) {
        return Err("must be at least 1s".into());
    }
    Ok(duration)
}

/// Accepts `http://` and `https://` URLs with a host.
pub fn parse_url(text: &str) -> Result<String, String> {
    let uri: tonic::transport::Uri = text
        .parse()
        .map_err(|e| format!("not a valid URL ({e}); expected e.g. {DEFAULT_URL}"))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(text.to_owned()),
        _ => Err(format!(
            "expected an http:// or https:// URL with a host, e.g. {DEFAULT_URL}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn urls_must_be_http_or_https_with_a_host() {
        assert!(parse_url("http://127.0.0.1:50051").is_ok());
        assert!(parse_url("https://registry.example").is_ok());
        assert!(parse_url("ftp://registry.example").is_err());
        assert!(parse_url("127.0.0.1:50051").is_err());
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(parse_id("0193a5b0-7e1f-7c3a-9d2e-5f6a7b8c9d0e").is_ok());
        assert!(parse_id("42").unwrap_err().contains("UUID"));
    }

    #[test]
    fn token_is_hidden_from_debug_output() {
        let cli = Cli::try_parse_from(["provctl", "--token", "s3cret", "org", "get"])
            .expect("the command line is valid");
        assert!(!format!("{cli:?}").contains("s3cret"));
    }

    #[test]
    fn parents_and_sources_repeat() {
        let id = "0193a5b0-0000-7000-8000-000000000001";
        let cli = Cli::try_parse_from([
            "provctl",
            "dataset",
            "register",
            "--name",
            "n",
            "--version",
            "1",
            "--digest",
            "d",
            "--parent",
            id,
            "--parent",
            id,
            "--source",
            "human",
            "--source",
            "web-crawl=https://x",
        ])
        .expect("the command line is valid");
        let Command::Dataset(DatasetCommand::Register(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.parents.len(), 2);
        assert_eq!(args.sources.len(), 2);
    }
    #[test]
    fn times_are_rfc3339() {
        let t = parse_time("2027-01-01T01:00:00+01:00").expect("a valid time");
        assert_eq!(t.timestamp(), 1_798_761_600);
        assert!(parse_time("2027-01-01").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn evaluate_defaults_to_the_deepseek_policy() {
        let id = "0193a5b0-0000-7000-8000-000000000001";
        let cli = Cli::try_parse_from(["provctl", "policy", "evaluate", id])
            .expect("the command line is valid");
        let Command::Policy(PolicyCommand::Evaluate(args)) = cli.command else {
            panic!("parsed as another command");
        };
        // No `--policy`: the request names the default one (`commands::policy` tests that).
        assert!(args.policy.is_empty() && !args.all_policies);
        assert_eq!(args.policy_version, None);
        assert_eq!(args.target, None);
    }

    #[test]
    fn cert_issue_reads_durations_and_names_no_policy_by_default() {
        let id = "0193a5b0-0000-7000-8000-000000000001";
        let cli = Cli::try_parse_from(["provctl", "cert", "issue", id, "--validity", "90d"])
            .expect("the command line is valid");
        let Command::Cert(CertCommand::Issue(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.validity, Some(90 * 86_400));
        // No `--policy`: the request names the default one (`commands::cert` tests that).
        assert!(args.policy.is_empty() && !args.all_policies);
        assert!(parse_validity("12h").is_ok_and(|s| s == 43_200));
        assert!(parse_validity("soon").unwrap_err().contains("90d"));
        assert!(parse_validity("0s").is_err());
        assert!(parse_validity("1500ms").is_err());
    }

    #[test]
    fn dataset_register_takes_a_file_or_the_flags_of_one_dataset() {
        let register = |extra: &[&str]| {
            let mut args = vec!["provctl", "dataset", "register"];
            args.extend(extra);
            Cli::try_parse_from(args)
        };
        let cli = register(&["--from-file", "d.jsonl", "-q"]).expect("valid");
        let Command::Dataset(DatasetCommand::Register(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.from_file, Some(PathBuf::from("d.jsonl")));
        assert_eq!((args.batch_size, args.name), (None, None));
        assert!(register(&["--from-file", "-", "--batch-size", "1000"]).is_ok());
        let digest = format!("sha256:{}", "0".repeat(64));
        assert!(register(&["--name", "n", "--version", "1", "--digest", &digest]).is_ok());
        // One or the other, never a mix; the batch size only with a file, and 1 to 1000.
        assert!(register(&["--from-file", "d.jsonl", "--name", "n"]).is_err());
        assert!(
            register(&[
                "--from-file",
                "d.jsonl",
                "--parent",
                &Uuid::nil().to_string()
            ])
            .is_err()
        );
        assert!(register(&["--from-file", "d.jsonl", "--batch-size", "0"]).is_err());
        assert!(register(&["--from-file", "d.jsonl", "--batch-size", "1001"]).is_err());
        assert!(
            register(&[
                "--name",
                "n",
                "--version",
                "1",
                "--digest",
                &digest,
                "--batch-size",
                "5"
            ])
            .is_err()
        );
        assert!(register(&["--name", "n", "--digest", &digest]).is_err());
        assert!(register(&[]).is_err());
    }

    #[test]
    fn cert_verify_pins_keys_only_offline() {
        let base = ["provctl", "cert", "verify", "cert.jws"];
        let mut offline = base.to_vec();
        offline.extend(["--offline", "--jwks", "jwks.json"]);
        assert!(Cli::try_parse_from(&offline).is_ok());
        let mut online_with_keys = base.to_vec();
        online_with_keys.extend(["--jwks", "jwks.json"]);
        assert!(Cli::try_parse_from(&online_with_keys).is_err());
    }

    #[test]
    fn lineage_show_takes_graph_formats() {
        let id = "0193a5b0-0000-7000-8000-000000000001";
        let cli = Cli::try_parse_from(["provctl", "lineage", "show", id, "--format", "mermaid"])
            .expect("the command line is valid");
        let Command::Lineage(LineageCommand::Show(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.format, Some(LineageFormat::Mermaid));
        assert_eq!(args.policy, DEFAULT_POLICY);
    }

    #[test]
    fn attest_record_needs_evidence_with_a_digest() {
        let id = "0193a5b0-0000-7000-8000-000000000001";
        let evidence = format!("https://x/r.pdf=sha256:{}", "a".repeat(64));
        let base = [
            "provctl",
            "attest",
            "record",
            id,
            "--method",
            "process-audit",
        ];
        let mut args = base.to_vec();
        args.extend([
            "--statement",
            "s",
            "--evidence",
            &evidence,
            "--evidence",
            &evidence,
        ]);
        let cli = Cli::try_parse_from(&args).expect("the command line is valid");
        let Command::Attest(AttestCommand::Record(record)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(record.method, MethodArg::ProcessAudit);
        assert_eq!(record.evidence.len(), 2);
        // No --policy: the request names the default policy (see `attest::record_request`).
        assert!(record.policy.is_empty() && !record.all_policies && record.purpose.is_none());

        let mut no_evidence = base.to_vec();
        no_evidence.extend(["--statement", "s"]);
        assert!(Cli::try_parse_from(&no_evidence).is_err());
        let mut no_digest = base.to_vec();
        no_digest.extend(["--statement", "s", "--evidence", "https://x/r.pdf"]);
        assert!(Cli::try_parse_from(&no_digest).is_err());
        let mut bad_method = vec!["provctl", "attest", "record", id, "--method", "vibes"];
        bad_method.extend(["--statement", "s", "--evidence", &evidence]);
        assert!(Cli::try_parse_from(&bad_method).is_err());
    }

    #[test]
    fn log_prove_asks_for_exactly_one_thing() {
        let prove = |extra: &[&str]| {
            let mut args = vec!["provctl", "log", "prove"];
            args.extend(extra);
            Cli::try_parse_from(args)
        };
        let cli = prove(&["--event-sequence", "2", "--tree-size", "9"]).expect("valid");
        let Command::Log(LogCommand::Prove(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!((args.event_sequence, args.tree_size), (Some(2), Some(9)));
        assert!(prove(&["--consistency", "3", "--to", "7"]).is_ok());
        assert!(prove(&[]).is_err());
        assert!(prove(&["--leaf", "1", "--event-sequence", "2"]).is_err());
        assert!(prove(&["--event-sequence", "0"]).is_err());
        assert!(prove(&["--consistency", "3", "--tree-size", "7"]).is_err());
        assert!(prove(&["--leaf", "1", "--to", "7"]).is_err());
        assert!(prove(&["--certificate", "42"]).is_err());
    }

    #[test]
    fn log_verify_needs_a_checkpoint_and_pairs_consistency_with_the_old_one() {
        let verify = |extra: &[&str]| {
            let mut args = vec!["provctl", "log", "verify", "--key", "k"];
            args.extend(extra);
            Cli::try_parse_from(args)
        };
        assert!(verify(&["--checkpoint", "cp"]).is_ok());
        assert!(verify(&["--inclusion", "p.json"]).is_ok());
        assert!(verify(&[]).is_err());
        let all = [
            "--checkpoint",
            "cp",
            "--consistency",
            "c.json",
            "--old-checkpoint",
            "old",
        ];
        assert!(verify(&all).is_ok());
        assert!(verify(&all[..4]).is_err());
        assert!(verify(&["--checkpoint", "cp", "--old-checkpoint", "old"]).is_err());
    }

    #[test]
    fn log_monitor_reads_intervals() {
        let cli = Cli::try_parse_from(["provctl", "log", "monitor", "--key", "k", "--once"])
            .expect("valid");
        let Command::Log(LogCommand::Monitor(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.interval, std::time::Duration::from_secs(10));
        assert!(args.once);
        assert!(parse_interval("5m").is_ok_and(|d| d.as_secs() == 300));
        assert!(parse_interval("500ms").is_err());
        assert!(parse_interval("often").is_err());
    }
}
