//! The keys of `serve --ssh`: the host key (created once, mode 0600, reused so watchers see
//! the same fingerprint after a restart) and the authorized keys (compared by key data).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{AuthorizedKeys, LineEnding};
use russh::keys::{HashAlg, PrivateKey, PublicKey};

/// Why a key file cannot be used: one sentence, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the authorized keys {path}: {why}")]
    AuthorizedKeys { path: String, why: String },
    #[error(
        "{path} lists no key: add a public key (one `ssh-ed25519 AAAA…` line) to let anyone in"
    )]
    NoAuthorizedKey { path: String },
    #[error(
        "the SSH host key {path} can be read by others: chmod 600 {path}, or remove it to make a new one"
    )]
    HostKeyOpen { path: String },
    #[error("cannot use the SSH host key {path}: {why}")]
    HostKey { path: String, why: String },
}

/// The public keys allowed in, by their key data (comments and options do not matter).
#[derive(Clone, Debug)]
pub struct Allowed(Vec<KeyData>);

impl Allowed {
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::AuthorizedKeys {
            path: shown.clone(),
            why: crate::error::plain_io_error(&e),
        })?;
        Self::parse(&text).map_err(|why| match why {
            None => KeyError::NoAuthorizedKey { path: shown },
            Some(why) => KeyError::AuthorizedKeys { path: shown, why },
        })
    }

    /// The keys of an `authorized_keys` text; `Err(None)` when it holds none.
    pub fn parse(text: &str) -> Result<Self, Option<String>> {
        let mut keys = Vec::new();
        for (number, entry) in AuthorizedKeys::new(text).enumerate() {
            match entry {
                Ok(entry) => keys.push(entry.public_key().key_data().clone()),
                Err(e) => {
                    return Err(Some(format!(
                        "entry {} is not a public key ({e})",
                        number + 1
                    )));
                }
            }
        }
        if keys.is_empty() {
            return Err(None);
        }
        Ok(Self(keys))
    }

    pub fn admits(&self, key: &PublicKey) -> bool {
        self.0.iter().any(|allowed| allowed == key.key_data())
    }
}

/// The host key at `path`: read when it exists (refused when others may read it), else made
/// (Ed25519) and written with mode 0600, its directory created.
pub fn host_key(path: &Path) -> Result<PrivateKey, KeyError> {
    let shown = path.display().to_string();
    let failed = |why: String| KeyError::HostKey {
        path: shown.clone(),
        why,
    };
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(KeyError::HostKeyOpen { path: shown });
            }
            let text = std::fs::read(path).map_err(|e| failed(plain(&e)))?;
            PrivateKey::from_openssh(text)
                .map_err(|e| failed(format!("not an OpenSSH private key ({e})")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_ed25519().map_err(failed)?;
            write_new(path, &key).map_err(|e| failed(plain(&e)))?;
            Ok(key)
        }
        Err(e) => Err(failed(plain(&e))),
    }
}

/// Where the host key lives unless told: `$XDG_STATE_HOME/sse-tui/ssh_host_ed25519_key`.
pub fn default_host_key() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let dirs = etcetera::choose_base_strategy().ok()?;
    let state = dirs.state_dir().unwrap_or_else(|| dirs.data_dir());
    Some(state.join("sse-tui").join("ssh_host_ed25519_key"))
}

/// The user's own `~/.ssh/authorized_keys`.
pub fn default_authorized_keys() -> Option<PathBuf> {
    Some(
        etcetera::home_dir()
            .ok()?
            .join(".ssh")
            .join("authorized_keys"),
    )
}

/// `SHA256:…`, as `ssh` shows it when it first meets the server.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn new_ed25519() -> Result<PrivateKey, String> {
    use ring::rand::SecureRandom;
    let mut seed = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| "the system gave no random bytes".to_owned())?;
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    seed.fill(0);
    Ok(key)
}

fn write_new(path: &Path, key: &PrivateKey) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // Created 0600 from the start (not chmod-ed after), and never over an existing file.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn plain(e: &std::io::Error) -> String {
    crate::error::plain_io_error(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    #[test]
    fn authorized_keys_compare_by_key_not_comment() {
        let allowed = Allowed::parse(&format!("# lab\n{ED} alice@laptop\n")).unwrap();
        let same = PublicKey::from_openssh(&format!("{ED} someone-else")).unwrap();
        assert!(allowed.admits(&same));
        let other = new_ed25519().unwrap().public_key().clone();
        assert!(!allowed.admits(&other));
    }

    #[test]
    fn an_empty_or_broken_file_is_refused() {
        assert!(matches!(Allowed::parse("# nobody\n\n"), Err(None)));
        assert!(matches!(
            Allowed::parse("ssh-ed25519 not-base64\n"),
            Err(Some(_))
        ));
    }

    #[test]
    fn the_host_key_is_made_0600_and_reused_and_refused_when_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/sse-tui/host_key");
        let first = host_key(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fingerprint(&host_key(&path).unwrap()), fingerprint(&first));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = host_key(&path).unwrap_err();
        assert!(matches!(refused, KeyError::HostKeyOpen { .. }), "{refused}");
    }
}
