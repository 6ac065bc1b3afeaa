//! Backups and restores of a registry, and the check of a registry or a copy of one (`admin
//! backup`, `admin restore`, `admin verify`).
//!
//! A backup of a SQLite registry is one directory: the database copied with `VACUUM INTO` and the
//! three key files. `VACUUM INTO` rather than SQLite's step-wise online backup API: it copies the
//! database inside one read transaction, which in WAL mode never blocks the server's writer and
//! always sees one committed state, whereas the backup API restarts its copy whenever another
//! connection writes (under steady writes it would never finish unless run in one step, which is
//! the same read transaction); it needs no unsafe code, and the copy is compacted. The key files
//! are copied first and compared again afterwards, so that a rotation during the backup is noticed
//! rather than saved beside a database that records other keys.
//!
//! Every copy is checked before it is used ([`verify`]): the migrations applied are exactly this
//! binary's, the key files are the ones the database recorded, the event chain links and hashes
//! from the first event to the last, the transparency log's stored tree is rebuilt from the events,
//! and the latest checkpoint is signed by the log key over that tree's root. A backup or restore
//! writes into a hidden directory beside its destination and renames it into place only once it
//! passed, so no half-written copy is ever left under the destination's name.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::Connection;
use transparency_log::{NoteVerifier, open_checkpoint};

use crate::config::CommonSettings;
use crate::domain::event::{ChainHead, verify_chain};
use crate::key_record::{ACCESS_TOKEN_KEY_FILE, KeyFiles, LOG_KEY_FILE, check_key_files};
use crate::registry::transparency::check_stored_log;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, Viewer};

/// The database file in a data directory and in a backup.
pub const DATABASE_FILE: &str = "registry.db";

/// The certificate signing keys in a data directory (the default of `--signing-key-file`) and in
/// a backup.
pub const SIGNING_KEY_FILE: &str = "signing-keys.json";

/// Events read per query when checking the chain.
const CHAIN_PAGE: u64 = 1000;

/// What [`verify`] found sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Migrations applied (all of this binary's).
    pub migrations: usize,
    /// Events in the chain, each checked.
    pub events: u64,
    /// The chain's last hash, hex.
    pub head: String,
    /// Size of the latest signed checkpoint, when there is one.
    pub checkpoint: Option<u64>,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "schema: {} migrations, as this binary's",
            self.migrations
        )?;
        writeln!(f, "key files: the recorded ones")?;
        writeln!(f, "event chain: {} events, head {}", self.events, self.head)?;
        match self.checkpoint {
            Some(size) => writeln!(
                f,
                "transparency log: {} leaves; checkpoint of {size} signed by the log key over the \
                 tree's root",
                self.events
            ),
            None => writeln!(
                f,
                "transparency log: {} leaves; no checkpoint signed yet",
                self.events
            ),
        }
    }
}

/// Checks the registry `settings` name (its database, SQLite or PostgreSQL, and its key files)
/// without changing it: see the module's documentation. A server may be writing meanwhile. Each
/// failure starts with what failed: `schema`, `key files`, `event chain`, `transparency log` or
/// `checkpoint`.
pub async fn verify(settings: &CommonSettings) -> anyhow::Result<Verified> {
    let url = settings.database_url();
    let migrations = check_schema(&url).await.context("schema")?;
    let store: Box<dyn Store> = if is_sqlite(&url) {
        Box::new(SqliteStore::open_read_only(&url).await?)
    } else {
        Box::new(PostgresStore::open_read_only(&url).await?)
    };
    let store = store.as_ref();
    let log_key = check_key_files(store, &KeyFiles::of(settings), &log_origin(settings))
        .await
        .context("key files")?;
    let log = check_stored_log(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("transparency log")?;
    check_chain(store, log.head).await.context("event chain")?;
    if let Some(checkpoint) = &log.checkpoint {
        let verifier = NoteVerifier::from_vkey(&log_key.verifier_key())
            .map_err(|e| anyhow::anyhow!("the log key gives no verifier: {e}"))?;
        let signed = open_checkpoint(&checkpoint.note, &verifier).map_err(|e| {
            anyhow::anyhow!(
                "checkpoint: the latest checkpoint (tree size {}) does not verify with the log \
                 key in {}: {e}",
                checkpoint.tree_size,
                settings.data_dir.join(LOG_KEY_FILE).display()
            )
        })?;
        if signed.origin != log_key.origin()
            || signed.size != checkpoint.tree_size
            || signed.root != checkpoint.root
        {
            bail!(
                "checkpoint: the note of the latest checkpoint says {} at size {} with another \
                 root than the one stored with it (size {})",
                signed.origin,
                signed.size,
                checkpoint.tree_size
            );
        }
    }
    Ok(Verified {
        migrations,
        events: log.size,
        head: hex::encode(log.head.hash),
        checkpoint: log.checkpoint.map(|c| c.tree_size),
    })
}

/// The transparency log's name, as the server gives it.
fn log_origin(settings: &CommonSettings) -> String {
    format!("{}/log", settings.issuer)
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Checks every event from the first to `head`, page by page: consecutive sequences, each linked
/// to the previous hash and hashed as documented; the last must be `head` (the transparency log's
/// snapshot of the chain, so that events appended meanwhile are left for the next check).
async fn check_chain(store: &dyn Store, head: ChainHead) -> anyhow::Result<()> {
    let mut reached = ChainHead::EMPTY;
    while reached.sequence < head.sequence {
        let limit = (head.sequence - reached.sequence).min(CHAIN_PAGE) as u32;
        let page = store
            .list_events(Viewer::All, reached.sequence, limit)
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        if page.is_empty() {
            bail!(
                "the log covers {} events but the chain ends at event {}",
                head.sequence,
                reached.sequence
            );
        }
        reached = verify_chain(reached, &page)?;
    }
    if reached != head {
        bail!(
            "event {} is not the one the transparency log holds",
            head.sequence
        );
    }
    Ok(())
}

/// One applied migration as the migrator's table records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Its number.
    pub version: i64,
    /// SHA-384 of its text when it was applied.
    pub checksum: Vec<u8>,
    /// Whether it finished.
    pub success: bool,
}

/// Compares the migrations applied to a database with this binary's (`expected`: number,
/// description, checksum): the same numbers, each applied whole and with the same text. Pure.
pub fn compare_migrations(
    expected: &[(i64, &str, &[u8])],
    applied: &[AppliedMigration],
) -> Result<(), String> {
    for migration in applied {
        match expected.iter().find(|(v, _, _)| *v == migration.version) {
            None => {
                return Err(format!(
                    "the database has migration {} which this binary does not know: it was \
                     written by a newer release; check it with that release",
                    migration.version
                ));
            }
            Some((version, description, _)) if !migration.success => {
                return Err(format!(
                    "migration {version} ({description}) did not finish in this database"
                ));
            }
            Some((version, description, checksum)) if *checksum != migration.checksum => {
                return Err(format!(
                    "migration {version} ({description}) was applied from another text than this \
                     binary's"
                ));
            }
            Some(_) => {}
        }
    }
    if let Some((version, description, _)) = expected
        .iter()
        .find(|(v, _, _)| !applied.iter().any(|a| a.version == *v))
    {
        return Err(format!(
            "migration {version} ({description}) is not applied: the database was written by an \
             older release (a server of this release applies it when it starts on the database)"
        ));
    }
    Ok(())
}

/// Checks that the database at `url` has exactly this binary's migrations applied, reading only;
/// returns how many.
async fn check_schema(url: &str) -> anyhow::Result<usize> {
    const QUERY: &str = "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version";
    let (migrator, applied): (sqlx::migrate::Migrator, Vec<(i64, Vec<u8>, bool)>) =
        if is_sqlite(url) {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {url:?}"))?
                .read_only(true);
            let mut connection = sqlx::SqliteConnection::connect_with(&options)
                .await
                .with_context(|| format!("cannot open {}", SqliteStore::describe(url)))?;
            let rows = sqlx::query_as(QUERY).fetch_all(&mut connection).await;
            let _ = connection.close().await;
            (
                sqlx::migrate!("./migrations/sqlite"),
                rows.context("the database has no readable table of applied migrations")?,
            )
        } else {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)
                .context("invalid PostgreSQL URL")?
                .options([
                    ("client_min_messages", "warning"),
                    ("default_transaction_read_only", "on"),
                ]);
            let mut connection = sqlx::PgConnection::connect_with(&options)
                .await
                .with_context(|| format!("cannot connect to {}", PostgresStore::describe(url)))?;
            let rows = sqlx::query_as(QUERY).fetch_all(&mut connection).await;
            let _ = connection.close().await;
            (
                sqlx::migrate!("./migrations/postgres"),
                rows.context("the database has no readable table of applied migrations")?,
            )
        };
    let expected: Vec<(i64, &str, &[u8])> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.description.as_ref(), m.checksum.as_ref()))
        .collect();
    let applied: Vec<AppliedMigration> = applied
        .into_iter()
        .map(|(version, checksum, success)| AppliedMigration {
            version,
            checksum,
            success,
        })
        .collect();
    compare_migrations(&expected, &applied).map_err(|e| anyhow::anyhow!(e))?;
    Ok(expected.len())
}

/// A directory being written beside its destination, under a hidden name; removed on drop unless
/// renamed into place, so a failed or interrupted run leaves nothing under the destination's name.
struct Staging {
    path: PathBuf,
    kept: bool,
}

impl Staging {
    /// Creates `.NAME.WHAT-PID` (mode 0700) beside `destination`.
    fn beside(destination: &Path, what: &str) -> anyhow::Result<Self> {
        let name = destination
            .file_name()
            .with_context(|| format!("{} names no directory", destination.display()))?;
        let parent = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let path = parent.join(format!(
            ".{}.{what}-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        if path.exists() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove the leftover {}", path.display()))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path, kept: false })
    }

    /// Flushes every file and the directory to disk, then renames it to `destination`.
    fn commit(mut self, destination: &Path) -> anyhow::Result<()> {
        for entry in fs::read_dir(&self.path)? {
            fs::File::open(entry?.path())?.sync_all()?;
        }
        fs::File::open(&self.path)?.sync_all()?;
        fs::rename(&self.path, destination).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.path.display(),
                destination.display()
            )
        })?;
        if let Some(parent) = destination.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::File::open(parent)?.sync_all()?;
        }
        self.kept = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Copies a key file to `to`, private to its owner.
fn copy_key(from: &Path, to: &Path) -> anyhow::Result<()> {
    // Read through the check that refuses files others may read: a backup copies only private keys.
    let text = crate::key_file::read_private(from)?;
    let mut options = fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| format!("cannot create {}", to.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {}", to.display()))?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Backups hold the key files; keys in a hardware module never leave it, so a registry that signs
/// with one is not backed up or restored by these commands (`admin verify` checks it, token and
/// all).
fn refuse_keys_in_token(settings: &CommonSettings, command: &str) -> anyhow::Result<()> {
    if settings.signing_key.is_some() {
        bail!(
            "{command} copies the key files, and with --signing-key pkcs11:… the certificate and \
             checkpoint keys are in the token, which no copy may take: back up the token as its \
             maker provides, copy the database and the access-token key with the server stopped, \
             and check the copy with `admin verify`"
        );
    }
    Ok(())
}

/// The key files of `settings` and their names in a backup.
fn key_files(settings: &CommonSettings) -> [(PathBuf, &'static str); 3] {
    let files = KeyFiles::of(settings);
    [
        (files.access_token, ACCESS_TOKEN_KEY_FILE),
        (files.certificate_signing, SIGNING_KEY_FILE),
        (files.log_signing, LOG_KEY_FILE),
    ]
}

/// Settings naming the registry in `dir` laid out as a backup (and a default data directory) is.
fn settings_in(dir: &Path, like: &CommonSettings) -> CommonSettings {
    CommonSettings {
        data_dir: dir.to_path_buf(),
        database_url: None,
        signing_key_file: None,
        ..like.clone()
    }
}

/// Copies the SQLite registry `settings` name, which may be serving, into the new directory
/// `destination`, and checks the copy; returns what the check found.
pub async fn backup(settings: &CommonSettings, destination: &Path) -> anyhow::Result<Verified> {
    let url = settings.database_url();
    if !is_sqlite(&url) {
        bail!(
            "admin backup copies SQLite registries; back up PostgreSQL with pg_dump or \
             pg_basebackup and check the copy with `admin verify` (README: Backups and restore)"
        );
    }
    if destination.exists() {
        bail!(
            "{} exists already: a backup goes into a new directory",
            destination.display()
        );
    }
    refuse_keys_in_token(settings, "admin backup")?;
    let staging = Staging::beside(destination, "partial")?;
    let keys = key_files(settings);
    for (from, name) in &keys {
        copy_key(from, &staging.path.join(name))?;
    }
    let copy = staging.path.join(DATABASE_FILE);
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .with_context(|| format!("invalid SQLite URL {url:?}"))?
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open {}", SqliteStore::describe(&url)))?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(copy.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    copied.with_context(|| format!("cannot copy the database into {}", copy.display()))?;
    for (from, name) in &keys {
        if crate::key_file::read_private(from)? != fs::read_to_string(staging.path.join(name))? {
            bail!(
                "{} changed while the backup was taken (a key rotation?): run the backup again",
                from.display()
            );
        }
    }
    let verified = verify(&settings_in(&staging.path, settings))
        .await
        .context("the copy does not verify")?;
    staging.commit(destination)?;
    Ok(verified)
}

/// Restores the backup in `source` into the data directory of `settings`: copies it beside the
/// data directory, checks the copy, and only then renames it into place. An existing, non-empty
/// data directory is kept unless `replace` is given, and then renamed aside (returned), never
/// deleted.
pub async fn restore(
    settings: &CommonSettings,
    source: &Path,
    replace: bool,
) -> anyhow::Result<(Verified, Option<PathBuf>)> {
    if settings.database_url.is_some() || settings.signing_key_file.is_some() {
        bail!(
            "admin restore writes the default layout ({DATABASE_FILE} and the key files in \
             --data-dir): give it no --database-url or --signing-key-file. For PostgreSQL use \
             pg_restore and `admin verify` (README: Backups and restore)"
        );
    }
    refuse_keys_in_token(settings, "admin restore")?;
    let target = settings.data_dir.clone();
    if !source.join(DATABASE_FILE).is_file() {
        bail!(
            "{} holds no backup: {DATABASE_FILE} is missing",
            source.display()
        );
    }
    let occupied = match fs::read_dir(&target) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    if occupied && !replace {
        bail!(
            "{} is not empty: it may be a live registry. Stop its server and pass --replace to \
             put the backup in its place (the old directory is kept, renamed), or restore into \
             another --data-dir",
            target.display()
        );
    }
    let staging = Staging::beside(&target, "restoring")?;
    for name in [ACCESS_TOKEN_KEY_FILE, SIGNING_KEY_FILE, LOG_KEY_FILE] {
        copy_key(&source.join(name), &staging.path.join(name))
            .with_context(|| format!("{} holds no usable {name}", source.display()))?;
    }
    for name in [DATABASE_FILE.to_owned(), format!("{DATABASE_FILE}-wal")] {
        let from = source.join(&name);
        if from.is_file() {
            fs::copy(&from, staging.path.join(&name))
                .with_context(|| format!("cannot copy {}", from.display()))?;
            fs::set_permissions(staging.path.join(&name), fs::Permissions::from_mode(0o600))?;
        }
    }
    let verified = verify(&settings_in(&staging.path, settings))
        .await
        .with_context(|| format!("refusing to restore {}", source.display()))?;
    let set_aside = if target.exists() {
        if occupied {
            let aside = target.with_file_name(format!(
                "{}.replaced-{}",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ));
            fs::rename(&target, &aside).with_context(|| {
                format!(
                    "cannot move {} aside to {}",
                    target.display(),
                    aside.display()
                )
            })?;
            Some(aside)
        } else {
            fs::remove_dir(&target)
                .with_context(|| format!("cannot replace the empty {}", target.display()))?;
            None
        }
    } else {
        None
    };
    staging.commit(&target)?;
    Ok((verified, set_aside))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(version: i64, checksum: &[u8], success: bool) -> AppliedMigration {
        AppliedMigration {
            version,
            checksum: checksum.to_vec(),
            success,
        }
    }

    #[test]
    fn the_schema_matches_only_when_every_migration_is_applied_whole_from_the_same_text() {
        let expected: [(i64, &str, &[u8]); 2] = [(1, "one", b"a"), (2, "two", b"b")];
        assert_eq!(
            compare_migrations(&expected, &[applied(1, b"a", true), applied(2, b"b", true)]),
            Ok(())
        );
        let older = compare_migrations(&expected, &[applied(1, b"a", true)]).unwrap_err();
        assert!(
            older.contains("migration 2 (two) is not applied"),
            "{older}"
        );
        let newer = compare_migrations(
            &expected,
            &[
                applied(1, b"a", true),
                applied(2, b"b", true),
                applied(3, b"c", true),
            ],
        )
        .unwrap_err();
        assert!(
            newer.contains("migration 3 which this binary does not know"),
            "{newer}"
        );
        let edited =
            compare_migrations(&expected, &[applied(1, b"x", true), applied(2, b"b", true)])
                .unwrap_err();
        assert!(
            edited.contains("migration 1 (one) was applied from another text"),
            "{edited}"
        );
        let failed = compare_migrations(
            &expected,
            &[applied(1, b"a", true), applied(2, b"b", false)],
        )
        .unwrap_err();
        assert!(
            failed.contains("migration 2 (two) did not finish"),
            "{failed}"
        );
    }
}
