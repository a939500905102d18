//! Verifying a tenant's bearer access tokens.
//!
//! The provider is found by OpenID Connect Discovery (the `openidconnect`
//! crate, which also checks that the document's issuer is the configured
//! one); its keys come from the discovered `jwks_uri` and are cached (see
//! [`crate::keys`]); tokens are JWTs verified with `jsonwebtoken`: the
//! header's algorithm must be on the tenant's allowlist and match the key,
//! then the signature, issuer, audience, expiry and not-before are checked.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, IssuerUrl, ProviderMetadata};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::config::{ProviderConfig, ProviderConfigError};
use crate::error::TokenError;
use crate::identity::{Identity, PrincipalKind};
use crate::keys::KeyStore;
use crate::roles::RoleSet;
use crate::seen::SeenTokens;

/// Whether the node runs for development. Only then does it trust a
/// provider that announces itself as development-only (the one `continuum
/// up` runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Production,
    Development,
}

/// The discovery document member by which a provider says it is for
/// development only.
pub const DEVELOPMENT_ONLY_METADATA: &str = "continuum_development_only";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct ContinuumMetadata {
    #[serde(default)]
    continuum_development_only: bool,
}

impl AdditionalProviderMetadata for ContinuumMetadata {}

type DiscoveredMetadata = ProviderMetadata<
    ContinuumMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// How long a failed discovery is remembered before the provider is asked
/// again, so an outage does not turn every call into a request to it.
const DISCOVERY_RETRY: Duration = Duration::from_secs(2);
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// Verifies one tenant's tokens. Cheap to share (`Arc`); discovery happens
/// on first use and is retried while the provider is unreachable.
#[derive(Debug)]
pub struct TokenVerifier {
    config: ProviderConfig,
    algorithms: Vec<Algorithm>,
    mode: Mode,
    http: reqwest::Client,
    keys: OnceCell<KeyStore>,
    last_failure: Mutex<Option<(Instant, TokenError)>>,
    seen: SeenTokens,
}

impl TokenVerifier {
    pub fn new(config: ProviderConfig, mode: Mode) -> Result<Self, ProviderConfigError> {
        config.validate()?;
        if !crate::ring_crypto::install() {
            tracing::warn!(
                "another jsonwebtoken crypto provider was installed first; token signatures are checked with it"
            );
        }
        let algorithms = config.allowed_algorithms()?;
        let http = reqwest::Client::builder()
            // Discovery must not follow redirects (openidconnect's advice: SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| ProviderConfigError {
                setting: "issuer".into(),
                problem: format!("cannot build an HTTP client: {e}"),
            })?;
        Ok(Self {
            config,
            algorithms,
            mode,
            http,
            keys: OnceCell::new(),
            last_failure: Mutex::new(None),
            seen: SeenTokens::default(),
        })
    }

    /// Discover the provider now rather than at the first token (the node
    /// does it at start, so a misconfiguration shows in the log early).
    pub async fn discover(&self) -> Result<(), TokenError> {
        self.key_store().await.map(|_| ())
    }

    /// Who `token` names, if it is a valid access token of this tenant's
    /// provider.
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        // Expiry (without the skew, which only forgives clocks) is checked
        // on every use; the rest held when the token was first verified.
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(identity) = self.seen.get(token, now) {
            return Ok(identity);
        }
        let identity = self.verify_signed(token).await?;
        self.seen.remember(token, &identity);
        Ok(identity)
    }

    /// The whole check of a token not seen before.
    async fn verify_signed(&self, token: &str) -> Result<Identity, TokenError> {
        let header = Header::read(token)?;
        if header.alg.eq_ignore_ascii_case("none") {
            return Err(TokenError::Unsigned);
        }
        let alg = header
            .alg
            .parse::<Algorithm>()
            .ok()
            .filter(|alg| self.algorithms.contains(alg))
            .ok_or_else(|| TokenError::AlgorithmNotAllowed {
                alg: header.alg.clone(),
                accepted: self.config.algorithms.join(", "),
            })?;
        // Another provider's token is refused before its key id can make
        // this one's keys be fetched again; the claim is only trusted to refuse.
        if let Some(found) = unverified_claim(token, "iss")
            && found != self.config.issuer
        {
            return Err(TokenError::WrongIssuer { found });
        }
        let key = self.key_store().await?.key(header.kid.as_deref()).await?;
        if key.family() != alg.family() || key.alg.is_some_and(|pinned| pinned != alg) {
            return Err(TokenError::KeyAlgorithmMismatch {
                kid: header.kid.unwrap_or_default(),
                key_alg: key
                    .alg
                    .map_or_else(|| format!("{:?} keys", key.family()), |a| format!("{a:?}")),
                alg: header.alg,
            });
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.leeway = self.config.clock_skew_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| self.refusal(token, e.into_kind()))?
            .claims;
        self.identity(&claims)
    }

    async fn key_store(&self) -> Result<&KeyStore, TokenError> {
        if let Some(store) = self.keys.get() {
            return Ok(store);
        }
        if let Some((at, error)) = self.remembered_failure()
            && at.elapsed() < DISCOVERY_RETRY
        {
            return Err(error);
        }
        let result = self.keys.get_or_try_init(|| self.load()).await;
        if let Err(error) = &result {
            tracing::warn!(issuer = %self.config.issuer, %error, "identity provider discovery failed");
            *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((Instant::now(), error.clone()));
        }
        result
    }

    fn remembered_failure(&self) -> Option<(Instant, TokenError)> {
        self.last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn load(&self) -> Result<KeyStore, TokenError> {
        let issuer = &self.config.issuer;
        let unavailable = |reason: String| TokenError::ProviderUnavailable {
            issuer: issuer.clone(),
            reason,
        };
        let issuer_url =
            IssuerUrl::new(issuer.clone()).map_err(|e| unavailable(format!("not a URL: {e}")))?;
        let metadata = DiscoveredMetadata::discover_async(issuer_url, &self.http)
            .await
            .map_err(|e| unavailable(format!("discovery failed: {}", error_chain(&e))))?;
        if metadata.additional_metadata().continuum_development_only
            && self.mode != Mode::Development
        {
            return Err(TokenError::DevelopmentProvider {
                issuer: issuer.clone(),
            });
        }
        let cooldown = Duration::from_secs(self.config.key_refresh_cooldown_secs);
        KeyStore::load(
            issuer,
            metadata.jwks_uri().as_str(),
            self.http.clone(),
            cooldown,
        )
        .await
    }

    fn refusal(&self, token: &str, kind: ErrorKind) -> TokenError {
        match kind {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer {
                found: unverified_claim(token, "iss").unwrap_or_default(),
            },
            ErrorKind::InvalidAudience => TokenError::WrongAudience {
                expected: self.config.audience.clone(),
            },
            ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim),
            ErrorKind::InvalidClaimFormat(claim) => TokenError::BadClaim {
                claim,
                expected: "of the type the JWT standard requires",
            },
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => TokenError::BadSignature,
            other => TokenError::Malformed(format!("{other:?}")),
        }
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, TokenError> {
        let mapping = &self.config.claims;
        let subject = string_claim(claims, &mapping.subject)?
            .ok_or_else(|| TokenError::MissingClaim(mapping.subject.clone()))?;
        let name = string_claim(claims, &mapping.name)?.unwrap_or_else(|| subject.clone());
        let professional_id = match &mapping.professional_id {
            Some(path) => string_claim(claims, path)?,
            None => None,
        };
        let provider_roles = role_names(claims, &mapping.roles)?;
        let roles = RoleSet::new(
            self.config
                .map_roles(provider_roles.iter().map(String::as_str)),
        );
        // RFC 9068: a token obtained with client credentials has the client
        // itself as its subject.
        let client = ["client_id", "azp"]
            .iter()
            .find_map(|c| claims.get(*c).and_then(Value::as_str));
        let kind = if client == Some(subject.as_str()) {
            PrincipalKind::Service
        } else {
            PrincipalKind::Person
        };
        let expires_at = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        Ok(Identity {
            kind,
            subject,
            name,
            professional_id,
            roles,
            expires_at,
        })
    }
}

/// The parts of the JOSE header read before any key is chosen.
struct Header {
    alg: String,
    kid: Option<String>,
}

impl Header {
    fn read(token: &str) -> Result<Header, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed(
                "a JWT has three dot-separated parts".into(),
            ));
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Malformed("its header is not base64url".into()))?;
        let header: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|_| TokenError::Malformed("its header is not a JSON object".into()))?;
        if header.contains_key("crit") {
            // RFC 7515 §4.1.11: unknown critical extensions must be refused.
            return Err(TokenError::Malformed(
                "its header has critical extensions (`crit`)".into(),
            ));
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| TokenError::Malformed("its header has no `alg`".into()))?
            .to_owned();
        let kid = header.get("kid").and_then(Value::as_str).map(String::from);
        Ok(Header { alg, kid })
    }
}

fn unverified_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    claims.get(claim)?.as_str().map(String::from)
}

/// The value at a dotted path (`realm_access.roles`).
fn claim_at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut value = claims.get(segments.next()?)?;
    for segment in segments {
        value = value.get(segment)?;
    }
    Some(value)
}

fn string_claim(claims: &Map<String, Value>, path: &str) -> Result<Option<String>, TokenError> {
    match claim_at(claims, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::BadClaim {
            claim: path.to_owned(),
            expected: "a string",
        }),
    }
}

fn role_names(claims: &Map<String, Value>, path: &str) -> Result<Vec<String>, TokenError> {
    let bad = || TokenError::BadClaim {
        claim: path.to_owned(),
        expected: "an array of role names or a space-separated string",
    };
    match claim_at(claims, path) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.split_whitespace().map(String::from).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(String::from).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn roles_come_from_a_dotted_path_as_array_or_string() {
        let c = claims(json!({"realm_access": {"roles": ["a", "b"]}, "scope": "x y"}));
        assert_eq!(
            role_names(&c, "realm_access.roles"),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(role_names(&c, "scope"), Ok(vec!["x".into(), "y".into()]));
        assert_eq!(role_names(&c, "missing"), Ok(vec![]));
        assert!(role_names(&claims(json!({"roles": 3})), "roles").is_err());
    }

    #[test]
    fn headers_are_read_strictly() {
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let token = |h: Value| format!("{}.e30.sig", b64(&h));
        assert!(Header::read("abc").is_err());
        assert!(Header::read(&token(json!({"typ": "JWT"}))).is_err());
        assert!(Header::read(&token(json!({"alg": "RS256", "crit": ["exp"]}))).is_err());
        let header = Header::read(&token(json!({"alg": "RS256", "kid": "k"}))).ok();
        assert_eq!(
            header.map(|h| (h.alg, h.kid)),
            Some(("RS256".into(), Some("k".into())))
        );
    }
}
