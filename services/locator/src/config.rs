//! The locator's configuration.
//!
//! ```toml
//! listen = "127.0.0.1:7300"
//! data_dir = "continuum-data/locator"
//! # database_url = "postgres://continuum@db/continuum_locator"
//! # ca_dir = "/etc/continuum/ca"           # default: <data_dir>/ca
//! certificate_lifetime_secs = 259200        # 3 days
//! enrollment_token_lifetime_secs = 86400
//! operator_credential_sha256 = "…"          # `continuum credential hash`
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use continuum_mesh::config::{ConfigError, Validate};
use continuum_mesh::credentials::is_secret_hash;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocatorConfig {
    /// Address of the locator's gRPC APIs (TLS).
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Where the network CA lives (`continuum ca init`); default `<data_dir>/ca`.
    pub ca_dir: Option<PathBuf>,
    /// Lifetime of the certificates issued to nodes and to the locator.
    pub certificate_lifetime_secs: u64,
    pub enrollment_token_lifetime_secs: u64,
    /// Hex SHA-256 of the bootstrap operator credential (for local and
    /// first-run use; operators sign in with OIDC through the console).
    pub operator_credential_sha256: Option<String>,
    /// Connections are closed gracefully after this long, so every peer
    /// re-handshakes with a current certificate.
    pub max_connection_age_secs: u64,
    /// How often each replica reloads the directory it checks calls against
    /// (a suspension made on another replica is enforced within this).
    pub roster_refresh_millis: u64,
    /// How long a fetch waits for each holding node; a slower node is
    /// reported as timed out and the answer goes on without it.
    pub fetch_deadline_millis: u64,
    /// Fetches in flight to one node at a time (more wait their turn,
    /// within the deadline).
    pub fetch_concurrency_per_node: usize,
    /// The Ed25519 key (PKCS#8) that signs the audit ledger's checkpoints;
    /// default `<data_dir>/ledger-key.pk8`, made on first start.
    pub ledger_key: Option<PathBuf>,
    /// How often the ledger's head is signed (0: only when asked).
    pub ledger_checkpoint_secs: u64,
}

impl Default for LocatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7300)),
            data_dir: PathBuf::from("continuum-data/locator"),
            database_url: None,
            ca_dir: None,
            certificate_lifetime_secs: 3 * 24 * 3600,
            enrollment_token_lifetime_secs: 24 * 3600,
            operator_credential_sha256: None,
            max_connection_age_secs: 600,
            roster_refresh_millis: 1000,
            fetch_deadline_millis: 3000,
            fetch_concurrency_per_node: 32,
            ledger_key: None,
            ledger_checkpoint_secs: 60,
        }
    }
}

impl LocatorConfig {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("locator.db").display()
            ),
        }
    }

    pub fn ca_dir(&self) -> PathBuf {
        self.ca_dir
            .clone()
            .unwrap_or_else(|| continuum_mesh::tls::ca::default_dir(&self.data_dir))
    }

    pub fn certificate_lifetime(&self) -> chrono::Duration {
        seconds(self.certificate_lifetime_secs)
    }

    pub fn enrollment_token_lifetime(&self) -> chrono::Duration {
        seconds(self.enrollment_token_lifetime_secs)
    }

    pub fn max_connection_age(&self) -> Duration {
        Duration::from_secs(self.max_connection_age_secs)
    }

    pub fn roster_refresh(&self) -> Duration {
        Duration::from_millis(self.roster_refresh_millis)
    }

    pub fn fetch_deadline(&self) -> Duration {
        Duration::from_millis(self.fetch_deadline_millis)
    }

    pub fn ledger_key(&self) -> PathBuf {
        self.ledger_key
            .clone()
            .unwrap_or_else(|| crate::audit::default_key_path(&self.data_dir))
    }
}

fn seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

impl Validate for LocatorConfig {
    const ENV_SETTINGS: &'static [&'static str] = &[
        "listen",
        "data_dir",
        "database_url",
        "ca_dir",
        "certificate_lifetime_secs",
        "enrollment_token_lifetime_secs",
        "operator_credential_sha256",
        "max_connection_age_secs",
        "roster_refresh_millis",
        "fetch_deadline_millis",
        "fetch_concurrency_per_node",
        "ledger_key",
        "ledger_checkpoint_secs",
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        if self.certificate_lifetime_secs < 3 {
            return Err(ConfigError::invalid(
                "certificate_lifetime_secs",
                "must be at least 3 seconds",
            ));
        }
        if self.certificate_lifetime_secs > 90 * 24 * 3600 {
            return Err(ConfigError::invalid(
                "certificate_lifetime_secs",
                "must be at most 90 days: revocation relies on certificates being short-lived",
            ));
        }
        if self.enrollment_token_lifetime_secs == 0 {
            return Err(ConfigError::invalid(
                "enrollment_token_lifetime_secs",
                "must be positive",
            ));
        }
        if self.roster_refresh_millis == 0 || self.roster_refresh_millis > 5000 {
            return Err(ConfigError::invalid(
                "roster_refresh_millis",
                "must be between 1 and 5000: revocations must reach open connections within 5 s",
            ));
        }
        if self.fetch_deadline_millis < 10 || self.fetch_deadline_millis > 60_000 {
            return Err(ConfigError::invalid(
                "fetch_deadline_millis",
                "must be between 10 and 60000",
            ));
        }
        if self.fetch_concurrency_per_node == 0 {
            return Err(ConfigError::invalid(
                "fetch_concurrency_per_node",
                "must be positive",
            ));
        }
        if self.max_connection_age_secs == 0 {
            return Err(ConfigError::invalid(
                "max_connection_age_secs",
                "must be positive",
            ));
        }
        if let Some(hash) = &self.operator_credential_sha256
            && !is_secret_hash(hash)
        {
            return Err(ConfigError::invalid(
                "operator_credential_sha256",
                "must be 64 hex digits (`continuum credential hash` prints it)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_production_example_is_valid() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/locator.example.toml"
        );
        let config: LocatorConfig = continuum_mesh::config::load(
            Some(std::path::Path::new(path)),
            &std::collections::BTreeMap::<String, String>::new(),
        )
        .unwrap();
        assert_eq!(config.certificate_lifetime(), chrono::Duration::days(3));
    }

    #[test]
    fn revocation_latency_is_bounded_by_configuration() {
        let config = LocatorConfig {
            roster_refresh_millis: 10_000,
            ..LocatorConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("roster_refresh_millis"), "{err}");
    }
}
