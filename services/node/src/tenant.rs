//! Tenants: the organizations a node hosts, as its configuration declares them.
//!
//! A [`TenantId`] can only be obtained from the [`Tenants`] registry, so a
//! value of that type always names a tenant this node really hosts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::NodeError;
use crate::config::TenantConfig;

/// A tenant hosted by this node.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tenants this node hosts.
#[derive(Debug, Clone)]
pub struct Tenants {
    by_id: Arc<HashMap<String, (TenantId, TenantConfig)>>,
}

impl Tenants {
    pub fn new(configs: &[TenantConfig]) -> Self {
        let by_id = configs
            .iter()
            .map(|c| (c.id.clone(), (TenantId(c.id.as_str().into()), c.clone())))
            .collect();
        Self {
            by_id: Arc::new(by_id),
        }
    }

    /// The tenant named `id`, if this node hosts it.
    pub fn resolve(&self, id: &str) -> Result<TenantId, NodeError> {
        self.by_id
            .get(id)
            .map(|(tenant, _)| tenant.clone())
            .ok_or_else(|| NodeError::UnknownTenant(id.to_owned()))
    }

    /// A hosted tenant's configuration.
    pub fn config(&self, tenant: &TenantId) -> Option<&TenantConfig> {
        self.by_id.get(tenant.as_str()).map(|(_, config)| config)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&TenantId, &TenantConfig)> {
        self.by_id.values().map(|(tenant, config)| (tenant, config))
    }
}
