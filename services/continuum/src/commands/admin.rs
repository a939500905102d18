//! `continuum admin`: the network operator's tools over the locator's
//! directory API (TLS, the locator verified against the network CA,
//! authenticated with the operator credential).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use continuum_mesh::tls::{ServerIdentityVerifier, TrustBundle, Workload, channel, client_config};
use continuum_proto::CallCredentials;
use continuum_proto::locator::v1 as pb;
use continuum_proto::locator::v1::directory_client::DirectoryClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

#[derive(Debug, Args)]
pub struct Command {
    #[command(flatten)]
    target: LocatorTarget,
    #[command(subcommand)]
    what: What,
}

/// Where the locator is, how to recognize it, and the operator's credential.
#[derive(Debug, Clone, Args)]
pub struct LocatorTarget {
    /// The locator's address.
    #[arg(
        long,
        env = "CONTINUUM_LOCATOR",
        default_value = "https://127.0.0.1:7300"
    )]
    pub locator: String,
    /// The network CA certificate (`ca.pem` from `continuum ca init`).
    #[arg(
        long,
        env = "CONTINUUM_CA",
        default_value = "continuum-data/locator/ca/ca.pem"
    )]
    pub ca: PathBuf,
    /// The operator credential.
    #[arg(long, env = "CONTINUUM_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: String,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Organizations (tenants).
    #[command(subcommand)]
    Org(Org),
    /// Nodes, their enrollment and their certificates.
    #[command(subcommand)]
    Node(Node),
    /// The directory's record of changes and refused calls, newest first.
    Events {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
enum Org {
    /// Add an organization to the directory.
    Create {
        id: String,
        #[arg(long)]
        name: String,
        /// clinic, hospital, lab, pharmacy, imaging or other.
        #[arg(long, default_value = "clinic")]
        kind: String,
        /// Email or phone of the organization's administrators.
        #[arg(long, default_value = "")]
        contact: String,
    },
    /// Change an organization's name, kind or contact.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        contact: Option<String>,
    },
    /// Stop the network from acting for an organization.
    Suspend {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    Reinstate {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum Node {
    /// Add a node hosting some organizations; prints its one-time enrollment token.
    Create {
        id: String,
        /// The node's federation API, `https://host:port`.
        #[arg(long)]
        endpoint: String,
        /// An organization the node hosts (repeat for several).
        #[arg(long = "tenant", required = true)]
        tenants: Vec<String>,
        /// Token lifetime in seconds (default: the locator's).
        #[arg(long)]
        token_ttl: Option<u64>,
    },
    /// Change a node's endpoint or the organizations it hosts.
    Update {
        id: String,
        #[arg(long)]
        endpoint: Option<String>,
        /// Replaces the hosted organizations (repeat for several).
        #[arg(long = "tenant")]
        tenants: Vec<String>,
    },
    /// A new enrollment token (replaces an unused one).
    Token {
        id: String,
        #[arg(long)]
        token_ttl: Option<u64>,
    },
    /// Refuse the node until reinstated (open connections too, within seconds).
    Suspend {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    Reinstate {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Refuse the node for good and revoke its certificates.
    Revoke {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    Show {
        id: String,
    },
    List,
    /// Call the node's federation API from the locator, over mutual TLS.
    Probe {
        id: String,
    },
}

type Client = DirectoryClient<InterceptedService<Channel, CallCredentials>>;

impl LocatorTarget {
    pub fn connect(&self) -> anyhow::Result<Client> {
        let bundle = TrustBundle::load(&self.ca)
            .with_context(|| format!("reading the network CA from {}", self.ca.display()))?;
        let verifier = ServerIdentityVerifier::new(&bundle, Workload::Locator);
        let channel = channel(&self.locator, client_config(verifier, None)?)?;
        Ok(DirectoryClient::with_interceptor(
            channel,
            CallCredentials::bearer(&self.operator_token)?,
        ))
    }
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    let mut client = command.target.connect()?;
    let locator = &command.target.locator;
    let failed = |e: tonic::Status| anyhow::anyhow!("{locator}: {}", describe(&e));
    match command.what {
        What::Org(org) => run_org(&mut client, org).await.map_err(failed),
        What::Node(node) => run_node(&mut client, node).await.map_err(failed),
        What::Events { limit } => print_events(&mut client, limit).await.map_err(failed),
    }
}

async fn print_events(client: &mut Client, limit: u32) -> Result<(), tonic::Status> {
    let reply = client
        .list_events(pb::ListEventsRequest { limit })
        .await?
        .into_inner();
    for e in reply.events {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            e.at, e.actor, e.action, e.subject, e.detail
        );
    }
    Ok(())
}

async fn run_org(client: &mut Client, command: Org) -> Result<(), tonic::Status> {
    let show = |org: pb::Organization| print_organization(&org);
    match command {
        Org::Create {
            id,
            name,
            kind,
            contact,
        } => {
            let request = pb::CreateOrganizationRequest {
                id,
                display_name: name,
                kind: organization_kind(&kind)?.into(),
                contact,
            };
            show(client.create_organization(request).await?.into_inner());
        }
        Org::Update {
            id,
            name,
            kind,
            contact,
        } => {
            let kind = kind
                .as_deref()
                .map(organization_kind)
                .transpose()?
                .unwrap_or(pb::OrganizationKind::Unspecified);
            let request = pb::UpdateOrganizationRequest {
                id,
                display_name: name,
                kind: kind.into(),
                contact,
            };
            show(client.update_organization(request).await?.into_inner());
        }
        Org::Suspend { id, reason } => {
            show(set_org_status(client, id, pb::OrganizationStatus::Suspended, reason).await?);
        }
        Org::Reinstate { id, reason } => {
            show(set_org_status(client, id, pb::OrganizationStatus::Active, reason).await?);
        }
        Org::List => {
            let reply = client
                .list_organizations(pb::ListOrganizationsRequest {})
                .await?
                .into_inner();
            reply.organizations.into_iter().for_each(show);
        }
    }
    Ok(())
}

async fn set_org_status(
    client: &mut Client,
    id: String,
    status: pb::OrganizationStatus,
    reason: String,
) -> Result<pb::Organization, tonic::Status> {
    let request = pb::SetOrganizationStatusRequest {
        id,
        status: status.into(),
        reason,
    };
    Ok(client.set_organization_status(request).await?.into_inner())
}

async fn run_node(client: &mut Client, command: Node) -> Result<(), tonic::Status> {
    match command {
        Node::Create {
            id,
            endpoint,
            tenants,
            token_ttl,
        } => {
            let request = pb::CreateNodeRequest {
                id,
                endpoint,
                tenants,
                token_ttl_seconds: token_ttl.unwrap_or(0),
            };
            let reply = client.create_node(request).await?.into_inner();
            if let Some(node) = &reply.node {
                print_node(node);
            }
            if let Some(token) = &reply.enrollment_token {
                print_token(token);
            }
        }
        Node::Update {
            id,
            endpoint,
            tenants,
        } => {
            let request = pb::UpdateNodeRequest {
                id,
                endpoint,
                set_tenants: !tenants.is_empty(),
                tenants,
            };
            print_node(&client.update_node(request).await?.into_inner());
        }
        Node::Token { id, token_ttl } => {
            let request = pb::IssueEnrollmentTokenRequest {
                node_id: id,
                token_ttl_seconds: token_ttl.unwrap_or(0),
            };
            print_token(&client.issue_enrollment_token(request).await?.into_inner());
        }
        Node::Suspend { id, reason } => {
            set_node_status(client, id, pb::NodeStatus::Suspended, reason).await?;
        }
        Node::Reinstate { id, reason } => {
            set_node_status(client, id, pb::NodeStatus::Active, reason).await?;
        }
        Node::Revoke { id, reason } => {
            set_node_status(client, id, pb::NodeStatus::Revoked, reason).await?;
        }
        Node::Show { id } => {
            let node = client
                .get_node(pb::GetNodeRequest { id })
                .await?
                .into_inner();
            print_node(&node);
        }
        Node::List => {
            let reply = client
                .list_nodes(pb::ListNodesRequest {})
                .await?
                .into_inner();
            reply.nodes.iter().for_each(print_node);
        }
        Node::Probe { id } => {
            let reply = client
                .probe_node(pb::ProbeNodeRequest { id })
                .await?
                .into_inner();
            println!(
                "{} answered over mutual TLS in {} µs; hosts {}",
                reply.identity,
                reply.round_trip_micros,
                reply.tenants.join(", ")
            );
        }
    }
    Ok(())
}

async fn set_node_status(
    client: &mut Client,
    id: String,
    status: pb::NodeStatus,
    reason: String,
) -> Result<(), tonic::Status> {
    let request = pb::SetNodeStatusRequest {
        id,
        status: status.into(),
        reason,
    };
    print_node(&client.set_node_status(request).await?.into_inner());
    Ok(())
}

fn organization_kind(kind: &str) -> Result<pb::OrganizationKind, tonic::Status> {
    pb::OrganizationKind::from_str_name(&format!("ORGANIZATION_KIND_{}", kind.to_ascii_uppercase()))
        .filter(|k| *k != pb::OrganizationKind::Unspecified)
        .ok_or_else(|| {
            tonic::Status::invalid_argument(format!(
                "unknown kind `{kind}` (clinic, hospital, lab, pharmacy, imaging or other)"
            ))
        })
}

/// `ORGANIZATION_KIND_CLINIC` → `clinic`.
fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

fn print_organization(org: &pb::Organization) {
    println!(
        "{}\t{}\t{}\t{}\tnode={}\tcontact={}",
        org.id,
        org.display_name,
        short(org.kind().as_str_name(), "ORGANIZATION_KIND_"),
        short(org.status().as_str_name(), "ORGANIZATION_STATUS_"),
        if org.node_id.is_empty() {
            "-"
        } else {
            &org.node_id
        },
        org.contact
    );
}

fn print_node(node: &pb::Node) {
    println!(
        "{}\t{}\t{}\ttenants={}\tlast_seen={}",
        node.id,
        short(node.status().as_str_name(), "NODE_STATUS_"),
        node.endpoint,
        node.tenants.join(","),
        if node.last_seen.is_empty() {
            "never"
        } else {
            &node.last_seen
        }
    );
    for cert in &node.certificates {
        println!(
            "  certificate {} valid {} .. {}{}",
            cert.serial,
            cert.not_before,
            cert.not_after,
            if cert.revoked { " (revoked)" } else { "" }
        );
    }
}

fn print_token(token: &pb::EnrollmentToken) {
    println!(
        "enrollment token (single use, valid until {}; shown once):",
        token.expires_at
    );
    println!("{}", token.token);
}

/// A status's message with the transport or TLS reason underneath it.
pub fn describe(status: &tonic::Status) -> String {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
