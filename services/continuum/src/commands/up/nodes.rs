//! The local network's shape and its nodes: three organizations on two
//! nodes — a SaaS node hosting a family clinic and a behavioural-health
//! clinic, and a hospital's own node — the clinical credentials each
//! organization's people use, and starting the nodes in this process.
//!
//! Credentials are generated afresh on every start; the node configurations
//! and the secrets are written beside the data, readable by the current user
//! only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use continuum_identity::Role;
use continuum_mesh::clock::Environment;
use continuum_mesh::credentials::hash_secret;
use continuum_node::config::{CredentialConfig, NetworkConfig, TenantConfig};
use continuum_node::{NodeConfig, RunningNode};
use continuum_proto::locator::v1::OrganizationKind;

use super::network::LocalLocator;
use super::people::People;
use crate::client::NodeTarget;
use crate::commands::credential::new_secret;

/// An organization of the local network.
#[derive(Debug)]
pub struct Organization {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: OrganizationKind,
    /// Labels every record held there carries because of the care given.
    pub sensitivity: &'static [&'static str],
}

pub const CLINIC: Organization = Organization {
    id: "riverside-clinic",
    name: "Riverside Family Clinic",
    kind: OrganizationKind::Clinic,
    sensitivity: &[],
};
/// A substance-use treatment program (42 CFR Part 2): all of it is ETH.
pub const HARBOR: Organization = Organization {
    id: "harbor-recovery",
    name: "Harbor Recovery Center",
    kind: OrganizationKind::Clinic,
    sensitivity: &["ETH"],
};
pub const HOSPITAL: Organization = Organization {
    id: "lakeside-hospital",
    name: "Lakeside General Hospital",
    kind: OrganizationKind::Hospital,
    sensitivity: &[],
};
pub const ORGANIZATIONS: [&Organization; 3] = [&CLINIC, &HARBOR, &HOSPITAL];

/// The service credential every organization's EMR integration imports with.
pub const EMR: &str = "continuum-up";

/// One node of the local network and where it listens.
#[derive(Debug, Clone)]
pub struct NodePlan {
    pub id: &'static str,
    pub tenants: &'static [&'static Organization],
    pub clinical: SocketAddr,
    pub federation: SocketAddr,
}

impl NodePlan {
    pub fn saas(clinical: SocketAddr, federation: SocketAddr) -> NodePlan {
        NodePlan {
            id: "saas-node",
            tenants: &[&CLINIC, &HARBOR],
            clinical,
            federation,
        }
    }

    pub fn hospital(clinical: SocketAddr, federation: SocketAddr) -> NodePlan {
        NodePlan {
            id: "hospital-node",
            tenants: &[&HOSPITAL],
            clinical,
            federation,
        }
    }

    /// Where the node keeps its data, and its network identity.
    pub fn data_dir(&self, home: &Path) -> PathBuf {
        home.join(self.id)
    }

    pub fn tls_dir(&self, home: &Path) -> PathBuf {
        self.data_dir(home).join("tls")
    }
}

/// A clinical service credential: which system uses it, its secret.
#[derive(Debug, Clone)]
pub struct Credential {
    pub tenant: &'static str,
    pub name: &'static str,
    pub secret: String,
}

/// Every clinical credential of the local network, freshly generated.
#[derive(Debug)]
pub struct Credentials(Vec<Credential>);

impl Credentials {
    pub fn generate() -> Credentials {
        Credentials(
            ORGANIZATIONS
                .iter()
                .map(|org| Credential {
                    tenant: org.id,
                    name: EMR,
                    secret: new_secret(),
                })
                .collect(),
        )
    }

    /// The secret of `name` at `tenant`.
    pub fn secret(&self, tenant: &str, name: &str) -> anyhow::Result<&str> {
        self.0
            .iter()
            .find(|c| c.tenant == tenant && c.name == name)
            .map(|c| c.secret.as_str())
            .with_context(|| format!("no credential {name} at {tenant}"))
    }

    fn of(&self, tenant: &str) -> impl Iterator<Item = &Credential> {
        self.0.iter().filter(move |c| c.tenant == tenant)
    }

    /// `credentials.toml`: the operator's secret, then one table per tenant.
    pub fn to_toml(&self, operator_secret: &str) -> String {
        let mut out = format!("operator = \"{operator_secret}\"\n");
        for org in ORGANIZATIONS {
            out.push_str(&format!("\n[{}]\n", org.id));
            for credential in self.of(org.id) {
                out.push_str(&format!(
                    "{} = \"{}\"\n",
                    credential.name, credential.secret
                ));
            }
        }
        out
    }
}

/// A running node of the local network.
#[derive(Debug)]
pub struct LocalNode {
    pub plan: NodePlan,
    pub running: RunningNode,
    /// The clinical API, `http://host:port`.
    pub endpoint: String,
}

impl LocalNode {
    /// A clinical API client target acting as `credential` at `tenant`.
    pub fn target(
        &self,
        credentials: &Credentials,
        tenant: &str,
        credential: &str,
    ) -> anyhow::Result<NodeTarget> {
        Ok(NodeTarget {
            node: self.endpoint.clone(),
            tenant: tenant.into(),
            token: credentials.secret(tenant, credential)?.into(),
        })
    }

    pub fn federation(&self) -> anyhow::Result<SocketAddr> {
        self.running
            .federation_addr
            .with_context(|| format!("{} did not join the network", self.plan.id))
    }
}

/// Write the node's configuration under `home` and start it.
pub async fn start(
    plan: &NodePlan,
    home: &Path,
    locator: &LocalLocator,
    credentials: &Credentials,
    people: &People,
) -> anyhow::Result<LocalNode> {
    let config = NodeConfig {
        listen: plan.clinical,
        data_dir: plan.data_dir(home),
        tenants: plan
            .tenants
            .iter()
            .map(|org| TenantConfig {
                id: org.id.into(),
                name: org.name.into(),
                credentials: credentials
                    .of(org.id)
                    .map(|c| CredentialConfig {
                        name: c.name.into(),
                        secret_sha256: hash_secret(&c.secret),
                        roles: vec![Role::Integration],
                    })
                    .collect(),
                identity: Some(people.identity_for(org.id)),
            })
            .collect(),
        network: Some(NetworkConfig {
            locator: locator.target.locator.clone(),
            federation_listen: plan.federation,
            tls_dir: Some(plan.tls_dir(home)),
            heartbeat_secs: 10,
        }),
        // Trusts the development identity provider.
        development: true,
        ..NodeConfig::default()
    };
    write_private(
        &home.join(format!("{}.toml", plan.id)),
        &toml::to_string_pretty(&config)?,
    )?;
    let running = continuum_node::serve(&config, Environment::default())
        .await
        .with_context(|| format!("starting {}", plan.id))?;
    Ok(LocalNode {
        endpoint: format!("http://{}", running.addr),
        plan: plan.clone(),
        running,
    })
}

/// Write a file only the current user can read (it holds secrets).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
