//! The network part of `continuum up`: a locator with a freshly made network
//! CA, the organizations and their nodes in its directory, each node
//! enrolled with a one-time token, and the locator reaching each node's
//! federation API over mutual TLS — all through the same APIs an operator
//! and a node administrator use. Running it again finds everything there.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use continuum_locator::{LocatorConfig, RunningLocator};
use continuum_mesh::clock::Environment;
use continuum_mesh::credentials::hash_secret;
use continuum_mesh::tls::{NetworkCa, TrustDomain, WorkloadFiles};
use continuum_proto::locator::v1 as pb;
use tonic::Code;

use super::nodes::{NodePlan, Organization};
use crate::commands::admin::LocatorTarget;

/// The network's name on a developer's machine.
pub const NETWORK: &str = "continuum.local";

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
        NetworkCa::init(&ca_dir, &TrustDomain::new(NETWORK)?, chrono::Utc::now())
            .context("creating the network CA")?;
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

/// Put the organizations in the directory (once each); one already there
/// gets its sensitivity labels set again, so that they are always right.
pub async fn onboard(
    locator: &LocalLocator,
    organizations: &[&Organization],
) -> anyhow::Result<()> {
    let mut admin = locator.target.connect()?;
    for org in organizations {
        let sensitivity: Vec<String> = org.sensitivity.iter().map(|s| (*s).into()).collect();
        let created = admin
            .create_organization(pb::CreateOrganizationRequest {
                id: org.id.into(),
                display_name: org.name.into(),
                kind: org.kind.into(),
                contact: "it@example.org".into(),
                sensitivity: sensitivity.clone(),
            })
            .await;
        match created {
            Ok(_) => {}
            Err(status) if status.code() == Code::AlreadyExists => {
                admin
                    .update_organization(pb::UpdateOrganizationRequest {
                        id: org.id.into(),
                        set_sensitivity: true,
                        sensitivity,
                        ..Default::default()
                    })
                    .await
                    .with_context(|| format!("setting {}'s sensitivity labels", org.id))?;
            }
            Err(status) => {
                return Err(anyhow::Error::from(status))
                    .with_context(|| format!("onboarding {}", org.id));
            }
        }
    }
    Ok(())
}

/// Put the node in the directory (once) and enroll it if it has no
/// identity yet. Returns what enrollment did, if it ran.
pub async fn enroll(
    locator: &LocalLocator,
    plan: &NodePlan,
    tls_dir: &Path,
) -> anyhow::Result<Option<String>> {
    let files = WorkloadFiles::new(tls_dir);
    if files.exists() {
        return Ok(None);
    }
    let mut admin = locator.target.connect()?;
    let created = admin
        .create_node(pb::CreateNodeRequest {
            id: plan.id.into(),
            endpoint: format!("https://{}", plan.federation),
            tenants: plan.tenants.iter().map(|org| org.id.into()).collect(),
            token_ttl_seconds: 600,
        })
        .await;
    let token = match created {
        Ok(reply) => reply.into_inner().enrollment_token,
        Err(status) if status.code() == Code::AlreadyExists => Some(
            admin
                .issue_enrollment_token(pb::IssueEnrollmentTokenRequest {
                    node_id: plan.id.into(),
                    token_ttl_seconds: 600,
                })
                .await
                .with_context(|| format!("a new enrollment token for {}", plan.id))?
                .into_inner(),
        ),
        Err(status) => {
            return Err(anyhow::Error::from(status))
                .with_context(|| format!("putting {} in the directory", plan.id));
        }
    }
    .context("the locator returned no enrollment token")?;
    let enrolled = continuum_node::network::enroll(&locator.target.locator, &token.token, &files)
        .await
        .with_context(|| format!("enrolling {}", plan.id))?;
    Ok(Some(format!(
        "enrolled {} with a one-time token as {} (certificate {} valid until {}); its key never left {}",
        plan.id,
        enrolled.identity,
        enrolled.serial,
        enrolled.not_after,
        tls_dir.display()
    )))
}

/// Point the directory at where the node's federation API really listens,
/// and have the locator call it over mutual TLS.
pub async fn probe(
    locator: &LocalLocator,
    node_id: &str,
    federation: SocketAddr,
) -> anyhow::Result<String> {
    let mut admin = locator.target.connect()?;
    admin
        .update_node(pb::UpdateNodeRequest {
            id: node_id.into(),
            endpoint: Some(format!("https://{federation}")),
            ..Default::default()
        })
        .await
        .with_context(|| format!("updating {node_id}'s endpoint"))?;
    let probe = admin
        .probe_node(pb::ProbeNodeRequest { id: node_id.into() })
        .await
        .with_context(|| format!("the locator probing {node_id}"))?
        .into_inner();
    Ok(format!(
        "the locator reached {} over mutual TLS in {} µs; it hosts {}",
        probe.identity,
        probe.round_trip_micros,
        probe.tenants.join(", ")
    ))
}
