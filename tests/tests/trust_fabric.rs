//! The trust fabric end to end: the operator onboards a node with the
//! `continuum` binary, the node enrolls and heartbeats over mutual TLS, and
//! every certificate or identity that should not get in is refused with a
//! precise error.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use continuum_e2e::network::{
    NETWORK, NetworkNode, RawCertificate, TestNetwork, enrolled_credentials, eventually, free_port,
    heartbeat, token_in,
};
use continuum_mesh::tls::{
    NetworkCa, NodeId, PendingKey, SpiffeId, TrustDomain, Validity, WorkloadCredentials,
};
use rcgen::{CertificateParams, Issuer, KeyPair, SanType};
use tonic::Code;

const LIFETIME_SECS: u64 = 3600;

fn message(status: &tonic::Status) -> String {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A certificate for `id` signed by the network's own CA (as only someone
/// holding the CA key could make), over a fresh key, valid as given.
fn forged(
    network: &TestNetwork,
    id: &SpiffeId,
    validity: Validity,
) -> Arc<dyn rustls::client::ResolvesClientCert> {
    let ca = NetworkCa::load(&network.ca_dir()).expect("ca");
    let key = KeyPair::generate().expect("key");
    let cert = ca.issue(id, &key, validity).expect("issue");
    Arc::new(
        WorkloadCredentials::new(&key.serialize_pem(), &cert.pem, &network.bundle())
            .expect("credentials"),
    )
}

/// A certificate with the given URI SANs, signed with the network CA's key
/// by hand (the CA itself never issues such a thing).
fn with_uris(network: &TestNetwork, uris: &[&str]) -> (String, String) {
    let ca_key = KeyPair::from_pem(
        &std::fs::read_to_string(network.ca_dir().join("ca.key")).expect("ca key"),
    )
    .expect("parse ca key");
    let ca_pem = std::fs::read_to_string(network.ca_dir().join("ca.pem")).expect("ca pem");
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).expect("issuer");
    let mut params = CertificateParams::default();
    params.subject_alt_names = uris
        .iter()
        .map(|u| SanType::URI((*u).try_into().expect("uri")))
        .collect();
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(1);
    params.not_after = now + time::Duration::hours(1);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &issuer).expect("sign");
    (key.serialize_pem(), cert.pem())
}

#[tokio::test]
async fn operator_onboards_a_node_that_enrolls_and_heartbeats_over_mtls() {
    let network = TestNetwork::start(LIFETIME_SECS);
    let port = free_port();
    let endpoint = format!("https://127.0.0.1:{port}");
    let token = network.onboard("riverside-node", &endpoint, &["clinic-a", "clinic-b"]);
    let node = NetworkNode::start(&network, &token, port, &["clinic-a", "clinic-b"]);

    // The keys never left their machines, and are private there.
    for key in [
        node.tls_dir().join("key.pem"),
        network.ca_dir().join("ca.key"),
    ] {
        let mode = std::fs::metadata(&key)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "{} is readable by others",
            key.display()
        );
    }

    let seen = eventually(Duration::from_secs(15), async || {
        let shown = network.admin_ok(&["node", "show", "riverside-node"]);
        (shown.contains("\tactive\t") && !shown.contains("last_seen=never")).then_some(shown)
    })
    .await;
    let shown = seen.expect("the node's heartbeat never reached the directory");
    assert!(shown.contains("tenants=clinic-a,clinic-b"), "{shown}");
    assert!(shown.contains("  certificate "), "{shown}");

    let probe = network.admin_ok(&["node", "probe", "riverside-node"]);
    assert!(
        probe.contains("node/riverside-node answered over mutual TLS"),
        "{probe}"
    );
    let events = network.events();
    for action in ["organization.create", "node.create", "node.enroll"] {
        assert!(events.contains(action), "no {action} in {events}");
    }
}

#[tokio::test]
async fn enrollment_tokens_are_single_use_and_expire() {
    let network = TestNetwork::start(LIFETIME_SECS);
    network.admin_ok(&["org", "create", "clinic-a", "--name", "A"]);
    let created = network.admin_ok(&[
        "node",
        "create",
        "node-a",
        "--endpoint",
        "https://127.0.0.1:1",
        "--tenant",
        "clinic-a",
        "--token-ttl",
        "1",
    ]);
    let expired = token_in(&created);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dir = tempfile::tempdir().expect("dir");
    let refused = network.enroll(&expired, &dir.path().join("expired"));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the enrollment token expired at"),
        "{stderr}"
    );

    let token = token_in(&network.admin_ok(&["node", "token", "node-a"]));
    let first = network.enroll(&token, &dir.path().join("first"));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let reused = network.enroll(&token, &dir.path().join("second"));
    assert!(!reused.status.success());
    let stderr = String::from_utf8_lossy(&reused.stderr);
    assert!(
        stderr.contains("the enrollment token was already used"),
        "{stderr}"
    );
    assert!(!dir.path().join("second/key.pem").exists());

    let garbage = network.enroll("not-a-token", &dir.path().join("garbage"));
    assert!(String::from_utf8_lossy(&garbage.stderr).contains("not an enrollment token"));
    // A token whose secret is wrong names nothing about the token.
    let forged = format!(
        "cnt1.{}.{}.{}",
        &token.split('.').nth(1).unwrap_or(""),
        "0".repeat(32),
        network.bundle().fingerprint()
    );
    let refused = network.enroll(&forged, &dir.path().join("forged"));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the enrollment token is not valid"));
    assert!(network.events().contains("node.enroll.refused"));
}

/// `outcome` must be a refusal with `code` whose message says `text`.
fn assert_refused<T: std::fmt::Debug>(outcome: Result<T, tonic::Status>, code: Code, text: &str) {
    let status = outcome.expect_err("the call was let through");
    assert_eq!(status.code(), code, "{}", message(&status));
    assert!(status.message().contains(text), "{}", message(&status));
}

/// The refusals a node's peer can meet, one network for all of them.
#[tokio::test]
async fn the_locator_refuses_every_identity_it_should_not_trust() {
    let network = TestNetwork::start(LIFETIME_SECS);
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    network.onboard("node-b", "https://127.0.0.1:2", &["clinic-b"]);
    let dir = tempfile::tempdir().expect("dir");
    let enrolled = network.enroll(&token, &dir.path().join("a"));
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let node_a = enrolled_credentials(&dir.path().join("a"));
    let domain = TrustDomain::new(NETWORK).expect("domain");
    let id = SpiffeId::node(&domain, &NodeId::new("node-a").expect("id"));
    let now = Utc::now();
    let an_hour = Validity::starting(now, chrono::Duration::hours(1));
    let presenting = async |certificate: Option<Arc<dyn rustls::client::ResolvesClientCert>>| {
        network
            .network_client_presenting(certificate)
            .heartbeat(heartbeat(&["clinic-a"]))
            .await
    };

    // The genuine node is let in, for its own tenant.
    let mut client = network.network_client(Some(node_a.clone()));
    client
        .heartbeat(heartbeat(&["clinic-a"]))
        .await
        .expect("heartbeat of an enrolled node");

    // Another node's tenant: refused, and recorded.
    assert_refused(
        client.heartbeat(heartbeat(&["clinic-a", "clinic-b"])).await,
        Code::PermissionDenied,
        "node `node-a` does not host `clinic-b`",
    );
    let events = network.events();
    assert!(
        events.contains("node/node-a\tnode.heartbeat.refused\tnode-a\ttenants=clinic-b"),
        "{events}"
    );

    assert_refused(
        presenting(None).await,
        Code::Unauthenticated,
        "no client certificate",
    );

    // A certificate from another CA (with the same name as ours).
    let other = tempfile::tempdir().expect("dir");
    let other_ca = NetworkCa::init(other.path(), &domain, now).expect("other ca");
    let key = KeyPair::generate().expect("key");
    let cert = other_ca.issue(&id, &key, an_hour).expect("issue");
    let foreign = RawCertificate::new(&key.serialize_pem(), &cert.pem, other_ca.certificate_der());
    assert_refused(
        presenting(Some(foreign)).await,
        Code::Unauthenticated,
        "not issued by this network's CA",
    );

    let expired = Validity {
        not_before: now - chrono::Duration::hours(2),
        not_after: now - chrono::Duration::hours(1),
    };
    assert_refused(
        presenting(Some(forged(&network, &id, expired))).await,
        Code::Unauthenticated,
        "client certificate expired at",
    );

    let (key_pem, cert_pem) = with_uris(
        &network,
        &[
            "spiffe://test.local/node/node-a",
            "spiffe://test.local/node/node-b",
        ],
    );
    let two = RawCertificate::new(&key_pem, &cert_pem, network.bundle().ca());
    assert_refused(
        presenting(Some(two)).await,
        Code::Unauthenticated,
        "2 URI SANs",
    );

    // Another network's identity, signed with this network's CA key.
    let (key_pem, cert_pem) = with_uris(&network, &["spiffe://elsewhere.example/node/node-a"]);
    let elsewhere = RawCertificate::new(&key_pem, &cert_pem, network.bundle().ca());
    assert_refused(
        presenting(Some(elsewhere)).await,
        Code::Unauthenticated,
        "belongs to network `elsewhere.example`, not `test.local`",
    );

    // A well-formed certificate the directory never issued (a leaked CA key).
    assert_refused(
        presenting(Some(forged(&network, &id, an_hour))).await,
        Code::PermissionDenied,
        "was not issued to node `node-a`",
    );

    // Renewal names no identity: the new certificate is for the caller.
    let key = PendingKey::generate().expect("key");
    let renewed = client
        .renew(continuum_proto::locator::v1::RenewRequest {
            csr_pem: key.csr_pem().to_owned(),
        })
        .await
        .expect("renew")
        .into_inner();
    assert_eq!(renewed.identity, "spiffe://test.local/node/node-a");
}

#[tokio::test]
async fn a_revoked_node_is_refused_on_its_open_connection_within_five_seconds() {
    let network = TestNetwork::start(LIFETIME_SECS);
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(&token, dir.path()).status.success());
    let mut client = network.network_client(Some(enrolled_credentials(dir.path())));
    client
        .heartbeat(heartbeat(&["clinic-a"]))
        .await
        .expect("before revocation");

    network.admin_ok(&["node", "revoke", "node-a", "--reason", "laptop stolen"]);
    let revoked_at = Instant::now();
    let refused = eventually(Duration::from_secs(10), async || {
        client.heartbeat(heartbeat(&["clinic-a"])).await.err()
    })
    .await
    .expect("the revoked node was still let in after 10 s");
    let delay = revoked_at.elapsed();
    assert!(delay <= Duration::from_secs(5), "revocation took {delay:?}");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("node `node-a` has been revoked"),
        "{}",
        message(&refused)
    );
    println!("revocation enforced on the open connection after {delay:?}");

    // For good: no new token, no reinstatement.
    let output = network.admin(&["node", "token", "node-a"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is revoked"));
    let output = network.admin(&["node", "reinstate", "node-a"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot become active"));
}

#[tokio::test]
async fn a_node_federation_api_answers_only_the_locator() {
    let network = TestNetwork::start(LIFETIME_SECS);
    let port = free_port();
    let token = network.onboard(
        "node-a",
        &format!("https://127.0.0.1:{port}"),
        &["clinic-a"],
    );
    let node = NetworkNode::start(&network, &token, port, &["clinic-a"]);
    let other = network.onboard("node-b", "https://127.0.0.1:1", &["clinic-b"]);
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(&other, dir.path()).status.success());

    // The locator gets through.
    let probe = eventually(Duration::from_secs(10), async || {
        let output = network.admin(&["node", "probe", "node-a"]);
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    })
    .await
    .expect("the locator could not probe the node");
    assert!(probe.contains("hosts clinic-a"), "{probe}");

    // Another node, with a perfectly valid certificate, does not.
    let verifier = continuum_mesh::tls::ServerIdentityVerifier::new(
        &network.bundle(),
        continuum_mesh::tls::Workload::Node(NodeId::new("node-a").expect("id")),
    );
    let config =
        continuum_mesh::tls::client_config(verifier, Some(enrolled_credentials(dir.path())))
            .expect("config");
    let channel = continuum_mesh::tls::channel(&node.federation_url, config).expect("channel");
    let mut client = continuum_proto::node::v1::federation_client::FederationClient::new(channel);
    let status = client
        .probe(continuum_proto::node::v1::ProbeRequest {})
        .await
        .expect_err("a node called another node's federation API");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status
            .message()
            .contains("answers only the locator, not node `node-b`"),
        "{}",
        message(&status)
    );
}

#[tokio::test]
async fn certificate_rotation_under_load_fails_no_call() {
    // Four-second certificates: the node renews about every 2.3 s.
    let network = TestNetwork::start(4);
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(&token, dir.path()).status.success());
    let link = Arc::new(
        continuum_node::network::LocatorLink::open(
            &network.locator_url,
            continuum_mesh::tls::WorkloadFiles::new(dir.path()),
        )
        .expect("link"),
    );
    let mut running = continuum_mesh::serve::Running::default();
    let renewing = link.clone();
    running.spawn(
        "renewal",
        continuum_mesh::tls::renew_periodically(
            link.credentials(),
            Arc::new(continuum_mesh::clock::SystemClock),
            running.shutdown(),
            move || {
                let link = renewing.clone();
                async move { link.renew(Utc::now()).await.map_err(|e| e.to_string()) }
            },
        ),
    );

    let started = Instant::now();
    let mut serials = std::collections::HashSet::new();
    let (mut calls, mut failures) = (0u32, Vec::new());
    while started.elapsed() < Duration::from_secs(12) {
        serials.insert(link.credentials().identity().serial);
        let batch: Vec<_> = (0..8)
            .map(|_| {
                let link = link.clone();
                tokio::spawn(async move { link.heartbeat(vec!["clinic-a".into()]).await })
            })
            .collect();
        for call in batch {
            calls += 1;
            if let Err(e) = call.await.expect("task") {
                failures.push(e.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await.expect("renewal stopped cleanly");
    println!("{calls} calls across {} certificates", serials.len());
    assert!(
        serials.len() >= 4,
        "only {} certificates in 12 s",
        serials.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

/// Two locator replicas on one PostgreSQL database: the operator revokes on
/// one, and the node's open connection to the other is refused within the
/// roster refresh period (1 s by default), far inside 5 s.
#[tokio::test]
async fn revocation_on_one_replica_reaches_connections_to_another() {
    let database = continuum_e2e::postgres::TestDatabase::create();
    let mut network = TestNetwork::start_with(LIFETIME_SECS, Some(&database.url));
    let other_replica = network.add_replica();
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(&token, dir.path()).status.success());
    let credentials = enrolled_credentials(dir.path());
    let mut client = network.replica_client(
        &other_replica,
        Some(credentials as Arc<dyn rustls::client::ResolvesClientCert>),
    );
    // The other replica learns of the new certificate on its next refresh.
    eventually(Duration::from_secs(5), async || {
        client.heartbeat(heartbeat(&["clinic-a"])).await.ok()
    })
    .await
    .expect("the other replica never let the enrolled node in");

    network.admin_ok(&["node", "suspend", "node-a", "--reason", "investigation"]);
    let suspended_at = Instant::now();
    let refused = eventually(Duration::from_secs(10), async || {
        client.heartbeat(heartbeat(&["clinic-a"])).await.err()
    })
    .await
    .expect("the other replica still let the suspended node in after 10 s");
    let delay = suspended_at.elapsed();
    println!("suspension reached the other replica's open connection after {delay:?}");
    assert!(delay <= Duration::from_secs(5), "suspension took {delay:?}");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("is suspended"),
        "{}",
        message(&refused)
    );

    // Reinstated, it gets back in on the same connection.
    network.admin_ok(&["node", "reinstate", "node-a"]);
    eventually(Duration::from_secs(5), async || {
        client.heartbeat(heartbeat(&["clinic-a"])).await.ok()
    })
    .await
    .expect("the reinstated node was not let back in");
}
