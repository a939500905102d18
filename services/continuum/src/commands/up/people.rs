//! The people of the local network: a development identity provider
//! (`continuum_identity::dev_provider`, refused by any node not in
//! development mode) that every organization's node trusts, each tenant
//! with its own audience, and the roles its staff hold.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Context;
use continuum_identity::dev_provider::{DevProvider, request_token};
use continuum_identity::{ClaimMapping, ProviderConfig, Role};

use super::nodes::LocalNode;
use crate::client::NodeTarget;

/// The hospital specialist who receives the referral.
pub const SPECIALIST: &str = "dr-ana-lee";
/// The hospital's emergency physician, allowed to break the glass.
pub const EMERGENCY: &str = "dr-chidi-okafor";
/// The family clinic's front desk, who records the patient's consent.
pub const REGISTRAR: &str = "sam-rivera";
/// A clinician of the holding organizations, who reads their release records.
pub const RECORDS_READER: &str = "dr-maria-santos";

/// The running development provider.
#[derive(Debug)]
pub struct People {
    provider: DevProvider,
}

impl People {
    pub async fn start(listen: SocketAddr) -> anyhow::Result<People> {
        let provider = DevProvider::start(listen)
            .await
            .context("starting the development identity provider")?;
        Ok(People { provider })
    }

    pub fn issuer(&self) -> &str {
        self.provider.issuer()
    }

    /// How `tenant`'s node trusts the provider.
    pub fn identity_for(&self, tenant: &str) -> ProviderConfig {
        let roles = BTreeMap::from([
            ("physician".to_owned(), vec![Role::Clinician]),
            ("ed-attending".to_owned(), vec![Role::EmergencyAccess]),
            ("front-desk".to_owned(), vec![Role::Registrar]),
            ("interface-engine".to_owned(), vec![Role::Integration]),
        ]);
        ProviderConfig {
            claims: ClaimMapping {
                professional_id: Some("npi".into()),
                ..ClaimMapping::default()
            },
            ..ProviderConfig::new(self.issuer(), audience(tenant), roles)
        }
    }

    /// A clinical API target acting as `user`, signed in at `tenant`.
    pub async fn target(
        &self,
        node: &LocalNode,
        tenant: &str,
        user: &str,
    ) -> anyhow::Result<NodeTarget> {
        let token = request_token(self.issuer(), user, &audience(tenant))
            .await
            .with_context(|| format!("signing in {user} at {tenant}"))?;
        Ok(NodeTarget {
            node: node.endpoint.clone(),
            tenant: tenant.into(),
            token,
        })
    }
}

/// The audience of `tenant`'s tokens.
pub fn audience(tenant: &str) -> String {
    format!("urn:continuum:up:{tenant}")
}
