//! `continuum admin`: the network operator's tools over the locator's
//! directory API (TLS, the locator verified against the network CA,
//! authenticated with the operator credential).

use std::io::Read;
use std::path::{Path, PathBuf};

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
    /// Where a patient's network person has records, and the link history.
    Locate {
        /// The tenant that knows the patient.
        #[arg(long)]
        tenant: String,
        /// The patient's id there.
        #[arg(long)]
        patient: String,
    },
    /// The network persons a patient's demographics match, best first.
    /// Nothing is registered.
    Find {
        /// A FHIR R4 Patient as JSON (`-`: standard input).
        patient: PathBuf,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// How many patient-feed events from a node the locator has applied.
    Feed { node: String },
    /// Uncertain patient matches waiting for an operator.
    #[command(subcommand)]
    Review(Review),
    /// The network's consent policy.
    #[command(subcommand)]
    Policy(super::consent_admin::Policy),
    /// The patient's access report: every disclosure of a person's records,
    /// from the audit ledger, emergency accesses marked.
    AccessReport { person: String },
    /// Break-the-glass accesses and their review.
    #[command(subcommand)]
    BreakGlass(super::audit_admin::BreakGlass),
    /// The audit ledger's head, signing key and latest signed checkpoint.
    Ledger,
    /// Every disclosure of a person's records, newest first.
    Disclosures {
        person: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Link (or relink) a patient registration to an existing network person.
    Link {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        patient: String,
        #[arg(long)]
        person: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Give a patient registration a network person of its own.
    Unlink {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        patient: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The directory's record of changes and refused calls, newest first.
    Events {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
enum Review {
    /// Review items (open ones by default).
    List {
        /// open, linked, rejected or all.
        #[arg(long, default_value = "open")]
        status: String,
    },
    /// The registration is the candidate person: link it.
    Link {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The registration is not the candidate person.
    Reject {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
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
        /// A sensitivity label every record held there carries because of
        /// the kind of care given (e.g. ETH for a substance-use program);
        /// repeat for several.
        #[arg(long)]
        sensitivity: Vec<String>,
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
        /// Replace the organization's sensitivity labels (repeat for
        /// several; `--sensitivity ''` clears them).
        #[arg(long)]
        sensitivity: Option<Vec<String>>,
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

pub(crate) type Client = DirectoryClient<InterceptedService<Channel, CallCredentials>>;

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
        What::Locate { tenant, patient } => print_location(&mut client, tenant, patient)
            .await
            .map_err(failed),
        What::Find { patient, limit } => {
            let demographics_json = read_input(&patient)?;
            let matches = client
                .find_patient(pb::FindPatientRequest {
                    demographics_json,
                    limit,
                })
                .await
                .map_err(failed)?
                .into_inner()
                .matches;
            if matches.is_empty() {
                println!("no matching person");
            }
            for m in matches {
                println!("person {}	{}	score={:.2}", m.person_id, m.band, m.score);
                for l in m.locations {
                    println!("  at {}	{}	{}", l.tenant, l.local_id, l.status);
                }
                if !m.explanation_json.is_empty() {
                    println!("  {}", m.explanation_json);
                }
            }
            Ok(())
        }
        What::Review(review) => run_review(&mut client, review).await.map_err(failed),
        What::Policy(policy) => super::consent_admin::run_policy(&mut client, policy)
            .await
            .map_err(failed),
        What::AccessReport { person } => {
            super::audit_admin::print_access_report(&mut client, person)
                .await
                .map_err(failed)
        }
        What::BreakGlass(command) => super::audit_admin::run_break_glass(&mut client, command)
            .await
            .map_err(failed),
        What::Ledger => super::audit_admin::print_ledger_status(&mut client)
            .await
            .map_err(failed),
        What::Disclosures { person, limit } => {
            super::consent_admin::print_disclosures(&mut client, person, limit)
                .await
                .map_err(failed)
        }
        What::Link {
            tenant,
            patient,
            person,
            note,
        } => {
            let request = pb::LinkPatientRequest {
                tenant,
                local_id: patient,
                person_id: person,
                note,
            };
            let located = client.link_patient(request).await.map_err(failed)?;
            print_located(located.into_inner());
            Ok(())
        }
        What::Unlink {
            tenant,
            patient,
            note,
        } => {
            let request = pb::UnlinkPatientRequest {
                tenant,
                local_id: patient,
                note,
            };
            let located = client.unlink_patient(request).await.map_err(failed)?;
            print_located(located.into_inner());
            Ok(())
        }
        What::Feed { node } => {
            let status = client
                .feed_status(pb::FeedStatusRequest {
                    node_id: node.clone(),
                })
                .await
                .map_err(failed)?
                .into_inner();
            println!("{node}: {} feed events applied", status.events_applied);
            Ok(())
        }
    }
}

async fn print_location(
    client: &mut Client,
    tenant: String,
    local_id: String,
) -> Result<(), tonic::Status> {
    let located = client
        .locate_patient(pb::LocatePatientRequest { tenant, local_id })
        .await?
        .into_inner();
    print_located(located);
    Ok(())
}

async fn run_review(client: &mut Client, command: Review) -> Result<(), tonic::Status> {
    let (id, resolution, note) = match command {
        Review::List { status } => {
            let items = client
                .list_review_items(pb::ListReviewItemsRequest { status })
                .await?
                .into_inner()
                .items;
            for item in items {
                println!(
                    "{}\t{}\t{}/{}\tcandidate={}\tscore={:.2}\t{}",
                    item.id,
                    item.status,
                    item.tenant,
                    item.local_id,
                    item.candidate_person_id,
                    item.score,
                    item.explanation_json
                );
            }
            return Ok(());
        }
        Review::Link { id, note } => (id, pb::ReviewResolution::Link, note),
        Review::Reject { id, note } => (id, pb::ReviewResolution::Reject, note),
    };
    let item = client
        .resolve_review_item(pb::ResolveReviewItemRequest {
            id,
            resolution: resolution.into(),
            note,
        })
        .await?
        .into_inner();
    println!(
        "{}\t{}\t{}/{}",
        item.id, item.status, item.tenant, item.local_id
    );
    Ok(())
}

fn print_located(located: pb::LocatePatientResponse) {
    println!("person {}", located.person_id);
    if !located.band.is_empty() {
        println!("  matched {}\tscore={:.2}", located.band, located.score);
    }
    for l in located.locations {
        println!("  at {}\t{}\t{}", l.tenant, l.local_id, l.status);
    }
    for h in located.history {
        println!(
            "  {}\t{}\t{}\t{}\t{}",
            h.at, h.action, h.person_id, h.actor, h.detail
        );
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
            sensitivity,
        } => {
            let request = pb::CreateOrganizationRequest {
                id,
                display_name: name,
                kind: organization_kind(&kind)?.into(),
                contact,
                sensitivity,
            };
            show(client.create_organization(request).await?.into_inner());
        }
        Org::Update {
            id,
            name,
            kind,
            contact,
            sensitivity,
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
                set_sensitivity: sensitivity.is_some(),
                sensitivity: sensitivity
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| !c.is_empty())
                    .collect(),
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

/// The contents of `path`, or of standard input for `-`.
fn read_input(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
