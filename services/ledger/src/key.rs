//! The Ed25519 key a ledger's checkpoints are signed with, and the public
//! key that verifies them.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::error::LedgerError;
use crate::hash::sha256;

/// The signing key's file name in a service's data folder.
pub const KEY_FILE: &str = "ledger-key.pk8";

/// A signing key: an Ed25519 key pair kept as its PKCS#8 document.
pub struct LedgerKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
    public: PublicKey,
}

impl LedgerKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<LedgerKey, LedgerError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| LedgerError::Key("the system random source failed".into()))?;
        LedgerKey::from_pkcs8(pkcs8.as_ref())
    }

    /// A key from a PKCS#8 DER document: v2 as written by [`LedgerKey::save`],
    /// or v1 as `openssl genpkey -algorithm ed25519 -outform DER` writes it.
    pub fn from_pkcs8(der: &[u8]) -> Result<LedgerKey, LedgerError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|e| LedgerError::Key(format!("not an Ed25519 PKCS#8 key: {e}")))?;
        let public = PublicKey::from_bytes(pair.public_key().as_ref())
            .ok_or_else(|| LedgerError::Key("unexpected public key length".into()))?;
        Ok(LedgerKey {
            pair,
            pkcs8: der.to_vec(),
            public,
        })
    }

    /// The key at `path`, made (with its folder) and saved there the first
    /// time; an existing file is only ever read, and one that does not
    /// read is an error, never replaced.
    pub fn open_or_generate(path: &Path) -> Result<LedgerKey, LedgerError> {
        if path.exists() {
            return LedgerKey::load(path);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| key_file(dir, e))?;
        }
        let key = LedgerKey::generate()?;
        key.save(path)?;
        tracing::info!(
            path = %path.display(),
            key_id = %key.key_id(),
            public_key = %key.public_key().to_hex(),
            "ledger signing key created"
        );
        Ok(key)
    }

    /// Read a key file (PKCS#8 DER).
    pub fn load(path: &Path) -> Result<LedgerKey, LedgerError> {
        let der = std::fs::read(path).map_err(|e| key_file(path, e))?;
        LedgerKey::from_pkcs8(&der)
    }

    /// Write the key to a new file readable by its owner only; an existing
    /// file is never overwritten (it may be the only copy of a key).
    pub fn save(&self, path: &Path) -> Result<(), LedgerError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| key_file(path, e))?;
        file.write_all(&self.pkcs8)
            .and_then(|()| file.sync_all())
            .map_err(|e| key_file(path, e))
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub fn key_id(&self) -> String {
        self.public.key_id()
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

fn key_file(path: &Path, source: std::io::Error) -> LedgerError {
    LedgerError::KeyFile {
        path: path.to_owned(),
        source: Arc::new(source),
    }
}

/// Never prints the private key.
impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key (32 bytes) that checkpoints are verified with.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Option<PublicKey> {
        bytes.try_into().ok().map(PublicKey)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters: how configuration names a trusted key.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<PublicKey> {
        PublicKey::from_bytes(&hex::decode(text.trim()).ok()?)
    }

    /// The first 8 bytes of SHA-256 of the key, in hex (16 characters).
    pub fn key_id(&self) -> String {
        hex::encode(&sha256(&self.0)[..8])
    }

    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_is_generated_once_and_kept() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("data").join(KEY_FILE);
        let first = LedgerKey::open_or_generate(&path)?;
        let bytes = std::fs::read(&path)?;
        let again = LedgerKey::open_or_generate(&path)?;
        assert_eq!(again.public_key(), first.public_key());
        assert_eq!(
            std::fs::read(&path)?,
            bytes,
            "the key file is never rewritten"
        );
        Ok(())
    }

    #[test]
    fn an_unreadable_key_file_is_an_error_not_a_new_key() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, b"not a key")?;
        assert!(LedgerKey::open_or_generate(&path).is_err());
        assert_eq!(std::fs::read(&path)?, b"not a key");
        Ok(())
    }

    use super::*;

    #[test]
    fn a_saved_key_loads_with_the_same_identity() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ledger.key");
        let key = LedgerKey::generate()?;
        key.save(&path)?;
        let loaded = LedgerKey::load(&path)?;
        assert_eq!(loaded.public_key(), key.public_key());
        assert_eq!(loaded.key_id().len(), 16);
        assert!(key.save(&path).is_err(), "an existing key file is kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }

    #[test]
    fn a_signature_verifies_only_under_its_key_and_message() -> anyhow::Result<()> {
        let key = LedgerKey::generate()?;
        let other = LedgerKey::generate()?;
        let signature = key.sign(b"head");
        assert!(key.public_key().verifies(b"head", &signature));
        assert!(!key.public_key().verifies(b"heads", &signature));
        assert!(!other.public_key().verifies(b"head", &signature));
        let hex = key.public_key().to_hex();
        assert_eq!(PublicKey::from_hex(&hex), Some(*key.public_key()));
        assert!(!format!("{key:?}").contains(&hex::encode(&key.pkcs8)));
        Ok(())
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(matches!(
            LedgerKey::from_pkcs8(b"not a key"),
            Err(LedgerError::Key(_))
        ));
    }
}
