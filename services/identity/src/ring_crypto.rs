//! Token signatures checked with `ring`, the cryptography the TLS stack
//! already builds (assembly where the platform has it), instead of
//! `jsonwebtoken`'s pure-Rust default (the `rsa` and `p256` crates): on
//! this machine the default spent ~300 µs in the signature check of a
//! token's first verification (README, *Token benchmark*).
//!
//! Only verification changes hands, and only for the asymmetric algorithms
//! access tokens are signed with; signing (the development provider, tests),
//! HMAC and the JWK utilities stay with the default. Which algorithms a
//! tenant accepts is decided in [`crate::verifier`], not here.

use std::sync::OnceLock;

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, rust_crypto};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{Error as SignatureError, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use ring::signature::{self as ring_sig, RsaParameters, VerificationAlgorithm};

/// Make the ring-backed provider the process's `jsonwebtoken` provider;
/// whether it is. Idempotent. If another provider was installed (or the
/// default already used) first, that one stays: correct, only slower.
pub fn install() -> bool {
    static PROVIDER: OnceLock<CryptoProvider> = OnceLock::new();
    let provider = PROVIDER.get_or_init(|| CryptoProvider {
        verifier_factory: new_verifier,
        ..rust_crypto::DEFAULT_PROVIDER.clone()
    });
    match provider.install_default() {
        Ok(()) => true,
        Err(installed) => std::ptr::eq(installed, provider),
    }
}

/// How a public key checks a signature of one algorithm.
#[derive(Clone, Copy)]
enum Check {
    /// RSA: a JWK gives the modulus and exponent, a PEM or DER key the
    /// PKCS#1 structure.
    Rsa(&'static RsaParameters),
    /// ECDSA (the uncompressed point) and Ed25519 (the 32-byte key).
    Raw(&'static dyn VerificationAlgorithm),
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    let check = match algorithm {
        Algorithm::RS256 => Check::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Check::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Check::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Check::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Check::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Check::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 => Check::Raw(&ring_sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Check::Raw(&ring_sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Check::Raw(&ring_sig::ED25519),
        // HMAC, and whatever a later jsonwebtoken adds.
        _ => return (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(algorithm, key),
    };
    if key.family() != algorithm.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingVerifier {
        algorithm: *algorithm,
        check,
        key: key.clone(),
    }))
}

struct RingVerifier {
    algorithm: Algorithm,
    check: Check,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), SignatureError> {
        let checked = match (self.check, self.key.kind()) {
            (Check::Rsa(parameters), DecodingKeyKind::RsaModulusExponent { n, e }) => {
                ring_sig::RsaPublicKeyComponents { n, e }.verify(parameters, message, signature)
            }
            (Check::Rsa(parameters), DecodingKeyKind::SecretOrDer(der)) => {
                ring_sig::UnparsedPublicKey::new(parameters, der).verify(message, signature)
            }
            (Check::Raw(algorithm), DecodingKeyKind::SecretOrDer(bytes)) => {
                ring_sig::UnparsedPublicKey::new(algorithm, bytes).verify(message, signature)
            }
            (Check::Raw(_), DecodingKeyKind::RsaModulusExponent { .. }) => {
                return Err(SignatureError::new());
            }
        };
        checked.map_err(|_| SignatureError::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Header, Validation};
    use serde_json::{Value, json};

    use super::*;
    use crate::dev_provider::SigningAlgorithm;

    /// A token signed with the default provider (as the development
    /// provider signs), and its key as a verifier gets it: from the JWK.
    fn signed(alg: SigningAlgorithm) -> (String, DecodingKey) {
        assert!(
            install(),
            "before any other use of jsonwebtoken in this process"
        );
        let key = alg.new_key().expect("key");
        let jwk = Jwk::from_encoding_key(&key, alg.jws()).expect("jwk");
        let claims = json!({"sub": "dr-lee", "exp": jsonwebtoken::get_current_timestamp() + 60});
        let token = jsonwebtoken::encode(&Header::new(alg.jws()), &claims, &key).expect("sign");
        (token, DecodingKey::from_jwk(&jwk).expect("decoding key"))
    }

    fn checked(token: &str, key: &DecodingKey, alg: Algorithm) -> bool {
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(token, key, &validation).is_ok()
    }

    #[test]
    fn ring_accepts_what_was_signed_and_refuses_a_changed_signature() {
        for alg in [SigningAlgorithm::Rs256, SigningAlgorithm::Es256] {
            let (token, key) = signed(alg);
            assert!(checked(&token, &key, alg.jws()), "{alg:?}");
            let (head, signature) = token.rsplit_once('.').expect("three parts");
            let mut bytes = signature.to_owned().into_bytes();
            bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
            let forged = format!("{head}.{}", String::from_utf8(bytes).expect("ascii"));
            assert!(!checked(&forged, &key, alg.jws()), "{alg:?} forged");
        }
    }

    #[test]
    fn a_key_of_another_family_is_refused() {
        let (token, _) = signed(SigningAlgorithm::Es256);
        let (_, rsa_key) = signed(SigningAlgorithm::Rs256);
        assert!(!checked(&token, &rsa_key, Algorithm::ES256));
    }

    #[test]
    fn once_installed_ring_checks_the_process_tokens() {
        assert!(install());
        assert!(install(), "installing again keeps it");
    }
}
