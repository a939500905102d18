//! The provider's published signing keys (JWKS), cached, and refreshed when
//! a token names a key the cache does not have: that is how a key rotation
//! at the provider reaches the node without a restart.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

use crate::error::TokenError;

/// One public key usable for signatures.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub key: DecodingKey,
    /// The algorithm the provider pinned the key to, if it did.
    pub alg: Option<Algorithm>,
}

impl VerifyingKey {
    pub fn family(&self) -> AlgorithmFamily {
        self.key.family()
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("family", &self.family())
            .field("alg", &self.alg)
            .finish()
    }
}

#[derive(Debug, Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<VerifyingKey>>,
    without_kid: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// Every asymmetric signing key in a JWKS document. Keys of other kinds,
    /// encryption keys and entries this crate cannot read are skipped, one
    /// by one, so one odd key does not hide the others.
    fn parse(document: &serde_json::Value) -> KeySet {
        let mut set = KeySet::default();
        let entries = document
            .get("keys")
            .and_then(|k| k.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for entry in entries {
            let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
                continue;
            };
            if matches!(
                jwk.common.public_key_use,
                Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
            ) {
                continue;
            }
            let Ok(key) = DecodingKey::from_jwk(&jwk) else {
                continue;
            };
            // A symmetric key in a public key set must never verify anything.
            if key.family() == AlgorithmFamily::Hmac {
                continue;
            }
            let alg = jwk
                .common
                .key_algorithm
                .and_then(|a| a.to_string().parse::<Algorithm>().ok());
            let key = Arc::new(VerifyingKey { key, alg });
            match jwk.common.key_id {
                Some(kid) => {
                    set.by_kid.insert(kid, key);
                }
                None => set.without_kid.push(key),
            }
        }
        set
    }

    fn find(&self, kid: Option<&str>) -> Result<Option<Arc<VerifyingKey>>, TokenError> {
        match kid {
            Some(kid) => Ok(self.by_kid.get(kid).cloned()),
            None => {
                let mut all = self.by_kid.values().chain(&self.without_kid);
                match (all.next(), all.next()) {
                    (Some(only), None) => Ok(Some(only.clone())),
                    (None, _) => Ok(None),
                    (Some(_), Some(_)) => Err(TokenError::NoKeyId),
                }
            }
        }
    }
}

/// The cached keys of one provider.
#[derive(Debug)]
pub(crate) struct KeyStore {
    issuer: String,
    jwks_uri: String,
    http: reqwest::Client,
    keys: RwLock<Arc<KeySet>>,
    /// Serialises refreshes, and remembers when one last came back without
    /// the key that was asked for.
    refresh: tokio::sync::Mutex<Option<Instant>>,
    cooldown: Duration,
}

impl KeyStore {
    /// Fetch the provider's keys for the first time.
    pub async fn load(
        issuer: &str,
        jwks_uri: &str,
        http: reqwest::Client,
        cooldown: Duration,
    ) -> Result<KeyStore, TokenError> {
        let store = KeyStore {
            issuer: issuer.to_owned(),
            jwks_uri: jwks_uri.to_owned(),
            http,
            keys: RwLock::new(Arc::default()),
            refresh: tokio::sync::Mutex::new(None),
            cooldown,
        };
        store.fetch().await?;
        Ok(store)
    }

    /// The key a token names, refreshing the cache once when it is unknown.
    pub async fn key(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, TokenError> {
        if let Some(key) = self.cached().find(kid)? {
            return Ok(key);
        }
        let unknown = || match kid {
            Some(kid) => TokenError::UnknownKey {
                kid: kid.to_owned(),
            },
            None => TokenError::UnknownKey {
                kid: "(none)".to_owned(),
            },
        };
        let mut last_miss = self.refresh.lock().await;
        // Another request may have refreshed while this one waited.
        if let Some(key) = self.cached().find(kid)? {
            return Ok(key);
        }
        if last_miss.is_some_and(|at| at.elapsed() < self.cooldown) {
            return Err(unknown());
        }
        self.fetch().await?;
        match self.cached().find(kid)? {
            Some(key) => {
                *last_miss = None;
                Ok(key)
            }
            None => {
                *last_miss = Some(Instant::now());
                Err(unknown())
            }
        }
    }

    fn cached(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    async fn fetch(&self) -> Result<(), TokenError> {
        let unavailable = |reason: String| TokenError::ProviderUnavailable {
            issuer: self.issuer.clone(),
            reason,
        };
        let response = self
            .http
            .get(&self.jwks_uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(format!("fetching its keys ({}): {e}", self.jwks_uri)))?;
        let document: serde_json::Value = response
            .json()
            .await
            .map_err(|e| unavailable(format!("its key set is not JSON: {e}")))?;
        let set = KeySet::parse(&document);
        tracing::debug!(issuer = %self.issuer, keys = set.by_kid.len() + set.without_kid.len(), "identity provider keys loaded");
        *self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(set);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#"{"kty":"RSA","kid":"r1","use":"sig","alg":"RS256","e":"AQAB","n":"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw"}"#;
    const OCT: &str = r#"{"kty":"oct","kid":"s1","k":"c2VjcmV0"}"#;
    const ENC: &str = r#"{"kty":"RSA","kid":"e1","use":"enc","e":"AQAB","n":"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw"}"#;

    fn set(keys: &[&str]) -> KeySet {
        let document = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
        KeySet::parse(&serde_json::from_str(&document).unwrap_or_default())
    }

    #[test]
    fn symmetric_and_encryption_keys_are_never_used_for_signatures() {
        let keys = set(&[RSA, OCT, ENC, r#"{"kty":"weird"}"#]);
        assert_eq!(keys.by_kid.len(), 1);
        assert!(keys.by_kid.contains_key("r1"));
        assert_eq!(
            keys.by_kid.get("r1").and_then(|k| k.alg),
            Some(Algorithm::RS256)
        );
    }

    #[test]
    fn a_token_without_kid_needs_a_single_key() {
        let keys = set(&[RSA]);
        assert!(matches!(keys.find(None), Ok(Some(_))));
        let two = set(&[RSA, &RSA.replace("\"r1\"", "\"r2\"")]);
        assert_eq!(two.find(None).err(), Some(TokenError::NoKeyId));
        assert!(matches!(two.find(Some("r3")), Ok(None)));
    }
}
