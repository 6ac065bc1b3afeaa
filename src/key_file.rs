//! Secret key files in the data directory: created once with mode 0600, refused if others can read them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};

/// Reads the 32-byte secret at `path`, creating it from the operating system's random source first
/// if it does not exist. The file holds the secret as 64 hex digits and a newline.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
            file.write_all(format!("{}\n", hex::encode(secret)).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write key file {}", path.display()))?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path),
        Err(e) => Err(e).with_context(|| format!("cannot create key file {}", path.display())),
    }
}

/// Reads the 32-byte secret at `path` (64 hex digits), refusing a file others may read; never
/// creates one.
pub fn read_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = read_private(path)?;
    let mut secret = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut secret)
        .with_context(|| format!("key file {} does not hold 64 hex digits", path.display()))?;
    Ok(secret)
}

/// Reads a file that holds secrets, refusing it when other users may read it: a leaked key lets
/// anyone mint tokens or sign certificates in the registry's name.
pub fn read_private(path: &Path) -> anyhow::Result<String> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "key file {} is readable by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    fs::read_to_string(path).with_context(|| format!("cannot read key file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_private_and_read_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let first = load_or_create_secret(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_or_create_secret(&path).unwrap(), first);
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        load_or_create_secret(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create_secret(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
