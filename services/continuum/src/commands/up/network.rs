//! The network part of `continuum up`: a locator with a freshly made network
//! CA, the two organizations and their node in its directory, and the node
//! enrolled with a one-time token — all through the same APIs an operator
//! and a node administrator use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use continuum_locator::{LocatorConfig, RunningLocator};
use continuum_mesh::clock::Environment;
use continuum_mesh::credentials::hash_secret;
use continuum_mesh::tls::{NetworkCa, TrustDomain, WorkloadFiles};
use continuum_proto::locator::v1 as pb;
use tonic::Code;

use crate::commands::admin::LocatorTarget;

/// The network's name on a developer's machine.
pub const NETWORK: &str = "continuum.local";
/// The one node of the local network.
pub const NODE_ID: &str = "local-node";

/// A running locator and what the operator's tools need to reach it.
#[derive(Debug)]
pub struct LocalLocator {
    pub running: RunningLocator,
    pub target: LocatorTarget,
}

/// Start the locator under `home/locator`, creating the network CA on first use.
pub async fn start_locator(
    home: &Path,
    listen: SocketAddr,
    operator_secret: &str,
) -> anyhow::Result<LocalLocator> {
    let data_dir = home.join("locator");
    let ca_dir = continuum_mesh::tls::ca::default_dir(&data_dir);
    if !NetworkCa::exists(&ca_dir) {
        NetworkCa::init(&ca_dir, &TrustDomain::new(NETWORK)?, chrono::Utc::now())?;
    }
    let config = LocatorConfig {
        listen,
        data_dir,
        operator_credential_sha256: Some(hash_secret(operator_secret)),
        ..LocatorConfig::default()
    };
    let running = continuum_locator::serve(&config, Environment::default())
        .await
        .context("starting the locator")?;
    let target = LocatorTarget {
        locator: format!("https://{}", running.addr),
        ca: ca_dir.join("ca.pem"),
        operator_token: operator_secret.to_owned(),
    };
    Ok(LocalLocator { running, target })
}

/// Put the organizations and the node in the directory (once), and enroll
/// the node if it has no identity yet. Returns what enrollment printed.
pub async fn onboard_and_enroll(
    locator: &LocalLocator,
    organizations: &[(&str, &str)],
    federation: SocketAddr,
    tls_dir: &Path,
) -> anyhow::Result<Option<String>> {
    let mut admin = locator.target.connect()?;
    for (index, (id, name)) in organizations.iter().enumerate() {
        let kind = if index == 0 {
            pb::OrganizationKind::Clinic
        } else {
            pb::OrganizationKind::Hospital
        };
        let created = admin
            .create_organization(pb::CreateOrganizationRequest {
                id: (*id).into(),
                display_name: (*name).into(),
                kind: kind.into(),
                contact: "it@example.org".into(),
            })
            .await;
        ignore_existing(created)?;
    }
    let files = WorkloadFiles::new(tls_dir);
    if files.exists() {
        return Ok(None);
    }
    let created = admin
        .create_node(pb::CreateNodeRequest {
            id: NODE_ID.into(),
            endpoint: format!("https://{federation}"),
            tenants: organizations.iter().map(|(id, _)| (*id).into()).collect(),
            token_ttl_seconds: 600,
        })
        .await;
    let token = match created {
        Ok(reply) => reply.into_inner().enrollment_token,
        Err(status) if status.code() == Code::AlreadyExists => Some(
            admin
                .issue_enrollment_token(pb::IssueEnrollmentTokenRequest {
                    node_id: NODE_ID.into(),
                    token_ttl_seconds: 600,
                })
                .await?
                .into_inner(),
        ),
        Err(status) => return Err(status.into()),
    }
    .context("the locator returned no enrollment token")?;
    let enrolled =
        continuum_node::network::enroll(&locator.target.locator, &token.token, &files).await?;
    Ok(Some(format!(
        "enrolled {NODE_ID} with a one-time token as {} (certificate {} valid until {}); its key never left {}",
        enrolled.identity,
        enrolled.serial,
        enrolled.not_after,
        tls_dir.display()
    )))
}

/// Point the directory at where the node's federation API really listens,
/// and have the locator call it over mutual TLS.
pub async fn probe(locator: &LocalLocator, federation: SocketAddr) -> anyhow::Result<String> {
    let mut admin = locator.target.connect()?;
    admin
        .update_node(pb::UpdateNodeRequest {
            id: NODE_ID.into(),
            endpoint: Some(format!("https://{federation}")),
            ..Default::default()
        })
        .await?;
    let probe = admin
        .probe_node(pb::ProbeNodeRequest { id: NODE_ID.into() })
        .await?
        .into_inner();
    Ok(format!(
        "the locator reached {} over mutual TLS in {} µs; it hosts {}",
        probe.identity,
        probe.round_trip_micros,
        probe.tenants.join(", ")
    ))
}

fn ignore_existing<T>(outcome: Result<T, tonic::Status>) -> anyhow::Result<()> {
    match outcome {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => Err(status.into()),
    }
}

/// Where the node keeps its network identity.
pub fn tls_dir(home: &Path) -> PathBuf {
    home.join("node").join("tls")
}
