//! Tokens already verified. A client sends the same access token with
//! every call until it expires; checking its signature again each time
//! would cost far more than the call's own work. The cache is keyed by the
//! SHA-256 of the token's exact bytes, so only an identical token hits, and
//! a hit is refused once the token has expired.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::identity::Identity;

/// Most tokens remembered; when full, the cache starts over (tokens live
/// minutes, so a busy node re-verifies each at most once per fill).
const CAPACITY: usize = 16_384;

#[derive(Debug, Default)]
pub(crate) struct SeenTokens {
    verified: Mutex<HashMap<[u8; 32], Identity>>,
}

impl SeenTokens {
    pub fn get(&self, token: &str, now: u64) -> Option<Identity> {
        let key = digest(token);
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified
            .get(&key)
            .filter(|identity| now < identity.expires_at)
            .cloned()
    }

    pub fn remember(&self, token: &str, identity: &Identity) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= CAPACITY {
            verified.clear();
        }
        verified.insert(digest(token), identity.clone());
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::PrincipalKind;
    use crate::roles::RoleSet;

    fn identity(expires_at: u64) -> Identity {
        Identity {
            kind: PrincipalKind::Person,
            subject: "dr-lee".into(),
            name: "Dr. Ana Lee".into(),
            professional_id: None,
            roles: RoleSet::default(),
            expires_at,
        }
    }

    #[test]
    fn only_the_same_token_hits_and_only_until_it_expires() {
        let seen = SeenTokens::default();
        seen.remember("a.b.c", &identity(100));
        assert!(seen.get("a.b.c", 99).is_some());
        assert!(seen.get("a.b.C", 99).is_none());
        assert!(seen.get("a.b.c", 100).is_none());
    }
}
