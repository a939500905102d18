//! How a tenant names its identity provider.
//!
//! ```toml
//! [tenants.identity]
//! issuer = "https://login.riverside.example"
//! audience = "urn:continuum:riverside-clinic"
//! # algorithms = ["RS256", "PS256", "ES256", "EdDSA"]
//! # clock_skew_secs = 60
//!
//! [tenants.identity.claims]
//! # subject = "sub"
//! name = "name"
//! professional_id = "npi"
//! roles = "realm_access.roles"     # a dotted path into the token's claims
//!
//! [tenants.identity.roles]          # provider role → Continuum roles
//! physician = ["clinician"]
//! ed-attending = ["emergency-access"]
//! front-desk = ["registrar"]
//! interface-engine = ["integration"]
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// A tenant's OpenID Provider and how to read its access tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The provider's issuer identifier: `https://…`; plain `http://` only
    /// on a loopback address (a provider on the same machine).
    pub issuer: String,
    /// The `aud` the provider puts in access tokens meant for this tenant
    /// at this node. Two tenants trusting one provider need two audiences,
    /// so that one tenant's token never opens the other.
    pub audience: String,
    /// Signature algorithms accepted; symmetric (`HS*`) and `none` never are.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Tolerated clock difference with the provider, for `exp` and `nbf`.
    #[serde(default = "default_clock_skew_secs")]
    pub clock_skew_secs: u64,
    #[serde(default)]
    pub claims: ClaimMapping,
    /// Provider role name → the Continuum roles it confers.
    pub roles: BTreeMap<String, Vec<Role>>,
    /// After a refresh of the provider's keys that still lacked a token's
    /// key id, do not ask the provider again for this long (so tokens with
    /// made-up key ids cannot make the node hammer the provider).
    #[serde(default = "default_key_refresh_cooldown_secs")]
    pub key_refresh_cooldown_secs: u64,
}

/// Which claims carry what. Each is a claim name or a dotted path into
/// nested objects (`realm_access.roles`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMapping {
    pub subject: String,
    pub name: String,
    /// E.g. the NPI; optional in tokens, since services have none.
    pub professional_id: Option<String>,
    /// An array of role names, or one space-separated string.
    pub roles: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            name: "name".into(),
            professional_id: None,
            roles: "roles".into(),
        }
    }
}

fn default_algorithms() -> Vec<String> {
    ["RS256", "PS256", "ES256", "EdDSA"]
        .into_iter()
        .map(String::from)
        .collect()
}

fn default_clock_skew_secs() -> u64 {
    60
}

fn default_key_refresh_cooldown_secs() -> u64 {
    5
}

/// Asymmetric algorithms only: with a symmetric one, anyone holding the
/// provider's public key could mint tokens.
pub const ALLOWED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A configuration mistake, naming the setting (relative to the provider's
/// table) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{setting}`: {problem}")]
pub struct ProviderConfigError {
    pub setting: String,
    pub problem: String,
}

fn invalid(setting: &str, problem: impl Into<String>) -> ProviderConfigError {
    ProviderConfigError {
        setting: setting.to_owned(),
        problem: problem.into(),
    }
}

impl ProviderConfig {
    /// A provider for `issuer` and `audience` with the default claims.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        roles: BTreeMap<String, Vec<Role>>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: default_algorithms(),
            clock_skew_secs: default_clock_skew_secs(),
            claims: ClaimMapping::default(),
            roles,
            key_refresh_cooldown_secs: default_key_refresh_cooldown_secs(),
        }
    }

    pub fn validate(&self) -> Result<(), ProviderConfigError> {
        check_issuer(&self.issuer)?;
        if self.audience.trim().is_empty() {
            return Err(invalid("audience", "must not be empty"));
        }
        self.allowed_algorithms()?;
        if self.clock_skew_secs > 300 {
            return Err(invalid(
                "clock_skew_secs",
                "more than 300 s would accept long-expired tokens; fix the clocks instead",
            ));
        }
        if self.roles.is_empty() {
            return Err(invalid(
                "roles",
                "map at least one of the provider's roles to Continuum roles, or nobody may do anything",
            ));
        }
        for (setting, path) in [
            ("claims.subject", &self.claims.subject),
            ("claims.name", &self.claims.name),
            ("claims.roles", &self.claims.roles),
        ] {
            if path.split('.').any(str::is_empty) {
                return Err(invalid(setting, "must be a claim name or a dotted path"));
            }
        }
        Ok(())
    }

    /// The configured algorithms, each checked against [`ALLOWED_ALGORITHMS`].
    pub fn allowed_algorithms(&self) -> Result<Vec<Algorithm>, ProviderConfigError> {
        if self.algorithms.is_empty() {
            return Err(invalid("algorithms", "name at least one algorithm"));
        }
        self.algorithms
            .iter()
            .map(|name| {
                name.parse::<Algorithm>()
                    .ok()
                    .filter(|alg| ALLOWED_ALGORITHMS.contains(alg))
                    .ok_or_else(|| {
                        invalid(
                            "algorithms",
                            format!(
                                "`{name}` is not allowed: use asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA)"
                            ),
                        )
                    })
            })
            .collect()
    }

    /// The Continuum roles conferred by the provider's `provider_roles`.
    pub fn map_roles<'a>(&self, provider_roles: impl IntoIterator<Item = &'a str>) -> Vec<Role> {
        provider_roles
            .into_iter()
            .filter_map(|name| self.roles.get(name))
            .flatten()
            .copied()
            .collect()
    }
}

fn check_issuer(issuer: &str) -> Result<(), ProviderConfigError> {
    let url = url::Url::parse(issuer)
        .map_err(|e| invalid("issuer", format!("`{issuer}` is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "issuer",
            "an issuer has no query or fragment (OpenID Connect Discovery 1.0, §2)",
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(invalid(
            "issuer",
            format!(
                "`{issuer}`: use https; plain http is accepted only for a provider on this machine (127.0.0.1, ::1 or localhost)"
            ),
        )),
        other => Err(invalid(
            "issuer",
            format!("`{issuer}`: `{other}` is not https"),
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ProviderConfig {
        ProviderConfig::new(
            "https://login.example",
            "urn:continuum:riverside-clinic",
            BTreeMap::from([("physician".to_owned(), vec![Role::Clinician])]),
        )
    }

    #[test]
    fn a_sound_configuration_validates() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn symmetric_algorithms_are_refused() {
        let mut c = config();
        c.algorithms = vec!["RS256".into(), "HS256".into()];
        let err = c.validate().expect_err("invalid");
        assert_eq!(err.setting, "algorithms");
        assert!(err.problem.contains("`HS256` is not allowed"), "{err}");
        c.algorithms = vec!["none".into()];
        assert!(c.validate().is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let mut c = config();
        c.issuer = "http://127.0.0.1:8080".into();
        assert_eq!(c.validate(), Ok(()));
        c.issuer = "http://localhost:8080/realms/x".into();
        assert_eq!(c.validate(), Ok(()));
        c.issuer = "http://login.example".into();
        assert!(
            c.validate()
                .expect_err("invalid")
                .problem
                .contains("use https")
        );
        c.issuer = "login.example".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn provider_roles_map_to_continuum_roles() {
        let mut c = config();
        c.roles
            .insert("ed".into(), vec![Role::Clinician, Role::EmergencyAccess]);
        assert_eq!(
            c.map_roles(["ed", "unknown"]),
            vec![Role::Clinician, Role::EmergencyAccess]
        );
        c.roles.clear();
        assert_eq!(c.validate().expect_err("invalid").setting, "roles");
    }
}
