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
                // Some providers pad `n` or `e` with a zero byte (same value);
                // ring refuses leading zeros.
                let (n, e) = (without_leading_zeros(n), without_leading_zeros(e));
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

fn without_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{EncodingKey, Header, Validation};
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use serde_json::{Value, json};

    use super::*;

    /// A signing key for `alg` and its public key twice: from the JWK (what
    /// a verifier gets from a provider) and from a PEM.
    fn keys(alg: Algorithm) -> (EncodingKey, DecodingKey, DecodingKey) {
        assert!(
            install(),
            "before any other use of jsonwebtoken in this process"
        );
        let (encoding, pem) = match alg.family() {
            jsonwebtoken::AlgorithmFamily::Rsa => {
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("rsa");
                let private = key.to_pkcs8_pem(LineEnding::LF).expect("pem");
                let public = key
                    .to_public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .expect("pem");
                let encoding = EncodingKey::from_rsa_pem(private.as_bytes()).expect("key");
                (
                    encoding,
                    DecodingKey::from_rsa_pem(public.as_bytes()).expect("key"),
                )
            }
            jsonwebtoken::AlgorithmFamily::Ec => {
                let curve = if alg == Algorithm::ES384 {
                    &rcgen::PKCS_ECDSA_P384_SHA384
                } else {
                    &rcgen::PKCS_ECDSA_P256_SHA256
                };
                let pair = rcgen::KeyPair::generate_for(curve).expect("ec");
                let encoding =
                    EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).expect("key");
                let decoding =
                    DecodingKey::from_ec_pem(pair.public_key_pem().as_bytes()).expect("key");
                (encoding, decoding)
            }
            _ => {
                let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed25519");
                let encoding =
                    EncodingKey::from_ed_pem(pair.serialize_pem().as_bytes()).expect("key");
                let decoding =
                    DecodingKey::from_ed_pem(pair.public_key_pem().as_bytes()).expect("key");
                // The JWK of an OKP key is its raw public key, `x`.
                use base64::Engine as _;
                let x =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key_raw());
                let from_jwk = DecodingKey::from_ed_components(&x).expect("key");
                return (encoding, from_jwk, decoding);
            }
        };
        let jwk = Jwk::from_encoding_key(&encoding, alg).expect("jwk");
        (
            encoding,
            DecodingKey::from_jwk(&jwk).expect("decoding key"),
            pem,
        )
    }

    fn sign(alg: Algorithm, key: &EncodingKey) -> String {
        let claims = json!({"sub": "dr-lee", "exp": jsonwebtoken::get_current_timestamp() + 60});
        jsonwebtoken::encode(&Header::new(alg), &claims, key).expect("sign")
    }

    fn checked(token: &str, key: &DecodingKey, alg: Algorithm) -> bool {
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(token, key, &validation).is_ok()
    }

    fn with_changed_signature(token: &str) -> String {
        let (head, signature) = token.rsplit_once('.').expect("three parts");
        let mut bytes = signature.to_owned().into_bytes();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        format!("{head}.{}", String::from_utf8(bytes).expect("ascii"))
    }

    #[test]
    fn every_asymmetric_algorithm_verifies_from_jwk_and_pem_and_refuses_a_changed_signature() {
        use Algorithm::*;
        for alg in [
            RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
        ] {
            let (encoding, from_jwk, from_pem) = keys(alg);
            let token = sign(alg, &encoding);
            assert!(checked(&token, &from_jwk, alg), "{alg:?} from the JWK");
            assert!(checked(&token, &from_pem, alg), "{alg:?} from the PEM");
            let forged = with_changed_signature(&token);
            assert!(!checked(&forged, &from_jwk, alg), "{alg:?} forged");
        }
    }

    #[test]
    fn a_signature_of_one_algorithm_does_not_pass_for_another() {
        let (encoding, key, _) = keys(Algorithm::RS256);
        let token = sign(Algorithm::RS256, &encoding);
        let (message, signature) = token.rsplit_once('.').expect("three parts");
        for other in [Algorithm::PS256, Algorithm::RS384] {
            let passed = jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, other);
            assert!(!passed.unwrap_or(false), "RS256 accepted as {other:?}");
        }
        let (_, ec_key, _) = keys(Algorithm::ES256);
        assert!(!checked(&token, &ec_key, Algorithm::RS256), "wrong family");
    }

    #[test]
    fn a_modulus_padded_with_a_zero_byte_is_the_same_key() {
        let (encoding, key, _) = keys(Algorithm::RS256);
        let DecodingKeyKind::RsaModulusExponent { n, e } = key.kind() else {
            panic!("a JWK gives RSA components");
        };
        let padded = DecodingKey::from_rsa_raw_components(&[&[0u8][..], n].concat(), e);
        assert!(checked(
            &sign(Algorithm::RS256, &encoding),
            &padded,
            Algorithm::RS256
        ));
    }

    #[test]
    fn once_installed_ring_checks_the_process_tokens() {
        assert!(install());
        assert!(install(), "installing again keeps it");
    }
}
