//! The node's configuration: where it listens, where it stores data, and the
//! tenants it hosts with their service credentials.
//!
//! ```toml
//! listen = "127.0.0.1:7400"
//! data_dir = "continuum-data/node"
//! # database_url = "postgres://continuum@db/continuum_node"
//!
//! [[tenants]]
//! id = "riverside-clinic"
//! name = "Riverside Family Clinic"
//! [[tenants.credentials]]              # systems: a static service credential
//! name = "emr-integration"
//! secret_sha256 = "…"   # `continuum credential hash` prints it
//!
//! [tenants.identity]                   # people: the organization's OpenID Provider
//! issuer = "https://login.riverside.example"
//! audience = "urn:continuum:riverside-clinic"
//! roles = { physician = ["clinician"], front-desk = ["registrar"] }
//! ```

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use continuum_identity::{ProviderConfig, Role};
use continuum_mesh::config::{ConfigError, Validate};
use continuum_mesh::credentials::is_secret_hash;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Address of the clinical gRPC API.
    pub listen: SocketAddr,
    /// Where the embedded SQLite database lives (when no `database_url`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Largest gRPC message accepted or sent, in bytes (a whole Bundle is one message).
    pub max_message_bytes: usize,
    /// Base of the absolute URLs that name this node's resources in exports.
    pub public_url: Option<String>,
    pub tenants: Vec<TenantConfig>,
    /// Membership of a Continuum network; a node without it runs alone.
    pub network: Option<NetworkConfig>,
    /// A development node (`continuum up`): only such a node trusts an
    /// identity provider that announces itself as development-only.
    pub development: bool,
    /// Seconds between signed checkpoints of each tenant's release ledger
    /// (0: never). The key is `<data_dir>/ledger-key.pk8`, made on first start.
    #[serde(default = "default_ledger_checkpoint_secs")]
    pub ledger_checkpoint_secs: u64,
}

fn default_ledger_checkpoint_secs() -> u64 {
    60
}

/// How the node takes part in the network.
///
/// ```toml
/// [network]
/// locator = "https://locator.example.org:7300"
/// federation_listen = "0.0.0.0:7401"
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The locator's address, `https://host:port`.
    pub locator: String,
    /// Where the federation API listens (mutual TLS; only the locator may call it).
    pub federation_listen: SocketAddr,
    /// The node's key, certificate and the network CA (`continuum node
    /// enroll` writes them); default `<data_dir>/tls`.
    #[serde(default)]
    pub tls_dir: Option<PathBuf>,
    /// Seconds between heartbeats to the locator.
    #[serde(default = "default_heartbeat_secs")]
    pub heartbeat_secs: u64,
}

fn default_heartbeat_secs() -> u64 {
    10
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Short stable id: lowercase letters, digits and `-`.
    pub id: String,
    /// The organization's display name.
    pub name: String,
    /// Service credentials allowed to use the clinical API for this tenant.
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
    /// The organization's OpenID Provider, whose access tokens identify its
    /// people (and systems using client credentials).
    #[serde(default)]
    pub identity: Option<ProviderConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Who uses it (shown in logs and audit, never the secret).
    pub name: String,
    /// Hex SHA-256 of the bearer secret.
    pub secret_sha256: String,
    /// Continuum roles of the system that holds it: `integration` only, since
    /// people sign in at the tenant's identity provider instead.
    #[serde(default = "default_roles")]
    pub roles: Vec<Role>,
}

fn default_roles() -> Vec<Role> {
    vec![Role::Integration]
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7400)),
            data_dir: PathBuf::from("continuum-data/node"),
            database_url: None,
            max_message_bytes: 64 * 1024 * 1024,
            public_url: None,
            tenants: Vec::new(),
            network: None,
            development: false,
            ledger_checkpoint_secs: default_ledger_checkpoint_secs(),
        }
    }
}

impl NodeConfig {
    /// The database to use: the configured URL, or SQLite under `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("node.db").display()
            ),
        }
    }

    /// Where the node's network identity lives.
    pub fn tls_dir(&self) -> PathBuf {
        self.network
            .as_ref()
            .and_then(|n| n.tls_dir.clone())
            .unwrap_or_else(|| self.data_dir.join("tls"))
    }

    /// The key the node signs its release ledgers' checkpoints with.
    pub fn ledger_key_path(&self) -> PathBuf {
        self.data_dir.join(continuum_ledger::KEY_FILE)
    }

    /// The base URL of exported resources' `fullUrl`s.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

impl Validate for NodeConfig {
    const ENV_SETTINGS: &'static [&'static str] = &[
        "listen",
        "data_dir",
        "database_url",
        "max_message_bytes",
        "public_url",
        "tenants",
        "network",
        "development",
        "ledger_checkpoint_secs",
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        if self.tenants.is_empty() {
            return Err(ConfigError::invalid(
                "tenants",
                "a node hosts at least one tenant",
            ));
        }
        if self.max_message_bytes < 64 * 1024 {
            return Err(ConfigError::invalid(
                "max_message_bytes",
                "must be at least 65536",
            ));
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:") || url.starts_with("postgres://"))
        {
            return Err(ConfigError::invalid(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        if let Some(network) = &self.network {
            if !network.locator.starts_with("https://") {
                return Err(ConfigError::invalid(
                    "network.locator",
                    "must be https://host:port: the locator is only reached over TLS",
                ));
            }
            if network.heartbeat_secs == 0 {
                return Err(ConfigError::invalid(
                    "network.heartbeat_secs",
                    "must be positive",
                ));
            }
        }
        let mut ids = HashSet::new();
        let mut secrets = HashSet::new();
        let mut audiences = HashSet::new();
        for (i, tenant) in self.tenants.iter().enumerate() {
            let setting = format!("tenants[{i}].id");
            if !is_tenant_id(&tenant.id) {
                return Err(ConfigError::invalid(
                    setting,
                    format!(
                        "`{}`: use 1-64 lowercase letters, digits and `-`",
                        tenant.id
                    ),
                ));
            }
            if !ids.insert(tenant.id.as_str()) {
                return Err(ConfigError::invalid(
                    setting,
                    format!("`{}` twice", tenant.id),
                ));
            }
            for (j, credential) in tenant.credentials.iter().enumerate() {
                let setting = format!("tenants[{i}].credentials[{j}].secret_sha256");
                if !is_secret_hash(&credential.secret_sha256) {
                    return Err(ConfigError::invalid(setting, "must be 64 hex digits"));
                }
                // One secret opening two tenants would make the caller's tenant ambiguous.
                if !secrets.insert(credential.secret_sha256.to_ascii_lowercase()) {
                    return Err(ConfigError::invalid(
                        setting,
                        "the same secret is used twice",
                    ));
                }
                if let Some(role) = credential.roles.iter().find(|r| **r != Role::Integration) {
                    return Err(ConfigError::invalid(
                        format!("tenants[{i}].credentials[{j}].roles"),
                        format!(
                            "`{role}` is a person's role: a service credential may only be `integration`; people sign in at the tenant's identity provider ([tenants.identity])"
                        ),
                    ));
                }
            }
            if let Some(provider) = &tenant.identity {
                provider.validate().map_err(|e| {
                    ConfigError::invalid(format!("tenants[{i}].identity.{}", e.setting), e.problem)
                })?;
                // One token opening two tenants would let one organization's
                // people into the other's records.
                if !audiences.insert((provider.issuer.as_str(), provider.audience.as_str())) {
                    return Err(ConfigError::invalid(
                        format!("tenants[{i}].identity.audience"),
                        "another tenant trusts the same issuer with the same audience: give each tenant its own audience",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn is_tenant_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tenant(id: &str, hash: &str) -> TenantConfig {
        TenantConfig {
            id: id.into(),
            name: id.into(),
            credentials: vec![CredentialConfig {
                roles: default_roles(),
                name: "svc".into(),
                secret_sha256: hash.into(),
            }],
            identity: None,
        }
    }

    /// `infra/node.example.toml`, loaded as `continuum node -c` loads it.
    fn example() -> Result<NodeConfig, ConfigError> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/node.example.toml");
        continuum_mesh::config::load(
            Some(std::path::Path::new(path)),
            &std::collections::BTreeMap::<String, String>::new(),
        )
    }

    #[test]
    fn the_production_example_is_valid() {
        let config = example().unwrap();
        assert_eq!(
            config.tls_dir(),
            PathBuf::from("/var/lib/continuum/node/tls")
        );
    }

    #[test]
    fn a_network_locator_must_be_reached_over_tls() {
        let mut config = example().unwrap();
        if let Some(network) = config.network.as_mut() {
            network.locator = "http://locator:7300".into();
        }
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("network.locator"), "{err}");
    }

    #[test]
    fn a_node_without_tenants_is_refused() {
        let err = NodeConfig::default().validate().unwrap_err();
        assert!(err.to_string().starts_with("setting `tenants`"));
    }

    #[test]
    fn bad_tenant_ids_and_shared_secrets_name_the_setting() {
        let hash = "a".repeat(64);
        let config = NodeConfig {
            tenants: vec![tenant("Bad Id", &hash)],
            ..Default::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("tenants[0].id")
        );
        let config = NodeConfig {
            tenants: vec![tenant("a", &hash), tenant("b", &hash)],
            ..Default::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("tenants[1].credentials[0].secret_sha256"),
            "{err}"
        );
        let config = NodeConfig {
            tenants: vec![tenant("a", "xyz")],
            ..Default::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("64 hex digits")
        );
    }

    #[test]
    fn service_credentials_hold_no_person_roles() {
        let mut t = tenant("a", &"a".repeat(64));
        t.credentials[0].roles = vec![Role::Integration, Role::Clinician];
        let config = NodeConfig {
            tenants: vec![t],
            ..Default::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("tenants[0].credentials[0].roles"), "{err}");
        assert!(err.contains("`clinician` is a person's role"), "{err}");
    }

    #[test]
    fn two_tenants_never_accept_the_same_tokens() {
        let provider = ProviderConfig::new(
            "https://login.example",
            "urn:continuum:shared",
            [("physician".to_owned(), vec![Role::Clinician])].into(),
        );
        let mut a = tenant("a", &"a".repeat(64));
        let mut b = tenant("b", &"b".repeat(64));
        a.identity = Some(provider.clone());
        b.identity = Some(provider.clone());
        let config = NodeConfig {
            tenants: vec![a.clone(), b.clone()],
            ..Default::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("tenants[1].identity.audience"), "{err}");
        b.identity = Some(ProviderConfig {
            audience: "urn:continuum:b".into(),
            ..provider
        });
        let config = NodeConfig {
            tenants: vec![a, b],
            ..Default::default()
        };
        assert!(config.validate().is_ok());
    }

    #[test]
    fn identity_settings_are_named_in_errors() {
        let mut a = tenant("a", &"a".repeat(64));
        a.identity = Some(ProviderConfig::new(
            "http://login.example",
            "urn:x",
            [("physician".to_owned(), vec![Role::Clinician])].into(),
        ));
        let config = NodeConfig {
            tenants: vec![a],
            ..Default::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("tenants[0].identity.issuer"), "{err}");
    }

    #[test]
    fn ledger_checkpoints_default_to_every_minute_with_the_key_in_the_data_dir() {
        let config = example().unwrap();
        assert_eq!(config.ledger_checkpoint_secs, 60);
        let config = NodeConfig {
            data_dir: "/d".into(),
            ..Default::default()
        };
        assert_eq!(config.ledger_key_path(), PathBuf::from("/d/ledger-key.pk8"));
        assert!(NodeConfig::ENV_SETTINGS.contains(&"ledger_checkpoint_secs"));
    }

    #[test]
    fn sqlite_under_the_data_dir_is_the_default() {
        let config = NodeConfig {
            data_dir: "/d".into(),
            ..Default::default()
        };
        assert_eq!(config.database_url(), "sqlite:///d/node.db?mode=rwc");
    }
}
