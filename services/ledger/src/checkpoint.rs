//! Signed checkpoints: a chain's entry count and head hash, signed with the
//! ledger's key. Everything up to a checkpoint is fixed: rewriting it, even
//! with every hash recomputed, no longer matches the signed head.

use serde::{Deserialize, Serialize};

use crate::entry::Head;
use crate::hash::{Encode, Hash};
use crate::key::{LedgerKey, PublicKey};

/// The domain tag of a checkpoint signature; a new encoding gets a new tag.
pub const CHECKPOINT_TAG: &str = "continuum.ledger.checkpoint.v1";

/// A signed statement: chain `chain` had `count` entries, the last one
/// hashing to `head_hash`. Exported as JSON (hashes and signature in hex)
/// so that an auditor can keep it away from the database it vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain: String,
    pub count: u64,
    pub head_hash: Hash,
    /// Milliseconds since the Unix epoch, UTC.
    pub signed_at_ms: i64,
    /// [`PublicKey::key_id`] of the signing key.
    pub key_id: String,
    /// Ed25519 signature (64 bytes) over [`Checkpoint::message`].
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
}

/// Why a checkpoint cannot be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointFault {
    /// Signed by a key that is not among the trusted ones.
    UntrustedKey,
    /// The signature does not verify under the named trusted key: the
    /// checkpoint or its signature was changed.
    BadSignature,
    /// A genuine checkpoint, of another chain.
    OtherChain,
}

impl Checkpoint {
    /// Sign `head` of `chain`.
    pub fn sign(chain: &str, head: &Head, signed_at_ms: i64, key: &LedgerKey) -> Checkpoint {
        let message = message(chain, head.count, &head.hash, signed_at_ms);
        Checkpoint {
            chain: chain.to_owned(),
            count: head.count,
            head_hash: head.hash,
            signed_at_ms,
            key_id: key.key_id(),
            signature: key.sign(&message),
        }
    }

    /// The signed bytes (see the crate documentation).
    pub fn message(&self) -> Vec<u8> {
        message(&self.chain, self.count, &self.head_hash, self.signed_at_ms)
    }

    /// Check that this checkpoint is of `chain` and signed by one of the
    /// trusted keys.
    pub fn check(&self, chain: &str, trusted: &[PublicKey]) -> Result<(), CheckpointFault> {
        let key = trusted
            .iter()
            .find(|key| key.key_id() == self.key_id)
            .ok_or(CheckpointFault::UntrustedKey)?;
        if !key.verifies(&self.message(), &self.signature) {
            Err(CheckpointFault::BadSignature)
        } else if self.chain != chain {
            Err(CheckpointFault::OtherChain)
        } else {
            Ok(())
        }
    }
}

fn message(chain: &str, count: u64, head_hash: &Hash, signed_at_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.field(CHECKPOINT_TAG.as_bytes());
    out.field(chain.as_bytes());
    out.u64(count);
    out.bytes(&head_hash.0);
    out.i64(signed_at_ms);
    out
}

mod hex_bytes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head {
            count: 42,
            hash: Hash([7; 32]),
            recorded_at_ms: 0,
        }
    }

    #[test]
    fn a_checkpoint_verifies_under_its_key_only() -> anyhow::Result<()> {
        let key = LedgerKey::generate()?;
        let other = LedgerKey::generate()?;
        let checkpoint = Checkpoint::sign("locator", &head(), 1_000, &key);
        assert_eq!(
            checkpoint.check("locator", &[*other.public_key(), *key.public_key()]),
            Ok(())
        );
        assert_eq!(
            checkpoint.check("locator", &[*other.public_key()]),
            Err(CheckpointFault::UntrustedKey)
        );
        Ok(())
    }

    #[test]
    fn changing_any_signed_field_breaks_the_signature() -> anyhow::Result<()> {
        let key = LedgerKey::generate()?;
        let trusted = [*key.public_key()];
        let good = Checkpoint::sign("north", &head(), 1_000, &key);
        let mut flipped = good.clone();
        flipped.signature[0] ^= 1;
        let changes = [
            Checkpoint {
                count: 41,
                ..good.clone()
            },
            Checkpoint {
                chain: "south".into(),
                ..good.clone()
            },
            Checkpoint {
                head_hash: Hash([8; 32]),
                ..good.clone()
            },
            Checkpoint {
                signed_at_ms: 1_001,
                ..good.clone()
            },
            flipped,
        ];
        for changed in changes {
            assert_eq!(
                changed.check(&changed.chain, &trusted),
                Err(CheckpointFault::BadSignature)
            );
        }
        assert_eq!(good.check("north", &trusted), Ok(()));
        assert_eq!(
            good.check("south", &trusted),
            Err(CheckpointFault::OtherChain)
        );
        Ok(())
    }

    #[test]
    fn a_checkpoint_round_trips_through_json() -> anyhow::Result<()> {
        let key = LedgerKey::generate()?;
        let checkpoint = Checkpoint::sign("locator", &head(), 1_000, &key);
        let json = serde_json::to_string(&checkpoint)?;
        let back: Checkpoint = serde_json::from_str(&json)?;
        assert_eq!(back, checkpoint);
        assert_eq!(back.check("locator", &[*key.public_key()]), Ok(()));
        Ok(())
    }
}
