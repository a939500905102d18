//! Enrollment tokens: what an operator hands a node's administrator so the
//! node can get its first certificate without any private key being copied.
//!
//! `cnt1.<token id>.<secret>.<CA fingerprint>`: the locator keeps only the
//! secret's hash; the fingerprint lets the node verify the locator before it
//! has the network's trust bundle.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

const PREFIX: &str = "cnt1";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "not an enrollment token (expected cnt1.<id>.<secret>.<fingerprint>, as `continuum admin node create` prints it)"
)]
pub struct MalformedToken;

#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentToken {
    pub id: String,
    pub secret: String,
    /// SHA-256 of the network CA certificate, lowercase hex.
    pub ca_fingerprint: String,
}

impl fmt::Debug for EnrollmentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl EnrollmentToken {
    /// A fresh token: 64 random bits of id and 122 of secret (UUIDv4, from the
    /// operating system's CSPRNG).
    pub fn generate(ca_fingerprint: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
        let secret = uuid::Uuid::new_v4().simple().to_string();
        Self {
            id,
            secret,
            ca_fingerprint: ca_fingerprint.to_owned(),
        }
    }
}

impl fmt::Display for EnrollmentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}.{}.{}.{}",
            self.id, self.secret, self.ca_fingerprint
        )
    }
}

impl FromStr for EnrollmentToken {
    type Err = MalformedToken;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_hexdigit());
        match s.trim().split('.').collect::<Vec<_>>().as_slice() {
            [PREFIX, id, secret, fp] if hex(id) && hex(secret) && fp.len() == 64 && hex(fp) => {
                Ok(Self {
                    id: (*id).to_owned(),
                    secret: (*secret).to_owned(),
                    ca_fingerprint: fp.to_ascii_lowercase(),
                })
            }
            _ => Err(MalformedToken),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_round_trip_and_hide_their_secret() {
        let token = EnrollmentToken::generate(&"ab".repeat(32));
        let parsed: EnrollmentToken = token.to_string().parse().unwrap();
        assert_eq!(parsed, token);
        assert!(!format!("{token:?}").contains(&token.secret));
        assert!("cnt1.x.y.z".parse::<EnrollmentToken>().is_err());
    }
}
