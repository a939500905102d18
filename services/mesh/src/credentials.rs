//! Service credentials: bearer secrets that configuration names only by their
//! SHA-256 hash, so that a configuration file leaks no usable secret.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The hex SHA-256 of a secret, as configuration stores it.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `expected_hash`, in constant time.
pub fn verify_secret(secret: &str, expected_hash: &str) -> bool {
    let actual: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    match hex::decode(expected_hash) {
        Ok(expected) => actual[..].ct_eq(&expected[..]).into(),
        Err(_) => false,
    }
}

/// Whether `text` has the shape of a stored hash (64 hex digits).
pub fn is_secret_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let hash = hash_secret("s3cret");
        assert!(is_secret_hash(&hash));
        assert!(verify_secret("s3cret", &hash));
        assert!(!verify_secret("s3cret ", &hash));
        assert!(!verify_secret("s3cret", "not hex"));
    }
}
