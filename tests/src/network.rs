//! A real network: a `continuum locator` process with its CA, the
//! operator's command-line tools, and `continuum node` processes enrolled
//! through them. Plus what an attacker or a misconfigured peer would hold:
//! certificates made outside the enrollment flow.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use continuum_mesh::tls::{
    ServerIdentityVerifier, TrustBundle, Workload, WorkloadCredentials, channel, client_config,
};
use continuum_proto::locator::v1::HeartbeatRequest;
use continuum_proto::locator::v1::network_client::NetworkClient;
use continuum_proto::locator::v1::sharing_client::SharingClient;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::Channel;

use crate::continuum_bin;

pub const NETWORK: &str = "test.local";
const OPERATOR_SECRET: &str = "operator-secret-0123456789abcdef0123456789";

/// The locator (one or more replicas) and its CA in a fresh folder,
/// killed when dropped.
#[derive(Debug)]
pub struct TestNetwork {
    pub dir: tempfile::TempDir,
    replicas: Vec<Child>,
    /// `https://127.0.0.1:<port>` of the first replica.
    pub locator_url: String,
    config_path: PathBuf,
}

impl TestNetwork {
    /// A locator on SQLite issuing certificates valid for `certificate_lifetime_secs`.
    pub fn start(certificate_lifetime_secs: u64) -> TestNetwork {
        Self::start_with(certificate_lifetime_secs, None)
    }

    /// A locator on the given database (`None`: SQLite in the folder).
    pub fn start_with(certificate_lifetime_secs: u64, database_url: Option<&str>) -> TestNetwork {
        Self::start_configured(certificate_lifetime_secs, database_url, "")
    }

    /// A locator with extra settings (TOML lines) in its configuration.
    pub fn start_configured(
        certificate_lifetime_secs: u64,
        database_url: Option<&str>,
        settings: &str,
    ) -> TestNetwork {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_dir = dir.path().join("locator/ca");
        run_ok(
            Command::new(continuum_bin())
                .args(["ca", "init", "--network", NETWORK, "--dir"])
                .arg(&ca_dir),
        );
        // A fixed port, so that a restarted locator is where the nodes look.
        let mut config = format!(
            "listen = \"127.0.0.1:{}\"\ndata_dir = \"{}\"\noperator_credential_sha256 = \"{}\"\n\
             certificate_lifetime_secs = {certificate_lifetime_secs}\n",
            free_port(),
            dir.path().join("locator").display(),
            crate::node::sha256_hex(OPERATOR_SECRET),
        );
        if let Some(url) = database_url {
            config.push_str(&format!("database_url = \"{url}\"\n"));
        }
        config.push_str(settings);
        let config_path = dir.path().join("locator.toml");
        std::fs::write(&config_path, config).expect("write config");
        let mut network = TestNetwork {
            dir,
            replicas: Vec::new(),
            locator_url: String::new(),
            config_path,
        };
        network.locator_url = network.add_replica();
        network
    }

    /// Kill the first replica (SIGKILL: no graceful shutdown) and start it
    /// again on the same port, database and CA.
    pub fn restart_locator(&mut self) {
        self.kill_locator();
        let (replica, _) = spawn_announcing(
            Command::new(continuum_bin())
                .args(["locator", "--config"])
                .arg(&self.config_path),
            "locator listening on ",
        );
        self.replicas.insert(0, replica);
    }

    /// The process id of the first replica.
    pub fn locator_pid(&self) -> Option<u32> {
        self.replicas.first().map(Child::id)
    }

    /// Kill the first replica (SIGKILL).
    pub fn kill_locator(&mut self) {
        if !self.replicas.is_empty() {
            let mut first = self.replicas.remove(0);
            let _ = first.kill();
            let _ = first.wait();
        }
    }

    /// Start another replica on the same database and CA; its URL. (Only
    /// the first listens on the configured port; others take any.)
    pub fn add_replica(&mut self) -> String {
        let mut command = Command::new(continuum_bin());
        command.args(["locator", "--config"]).arg(&self.config_path);
        if !self.replicas.is_empty() {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        let (replica, addr) = spawn_announcing(&mut command, "locator listening on ");
        self.replicas.push(replica);
        format!("https://{addr}")
    }

    pub fn ca_dir(&self) -> PathBuf {
        self.dir.path().join("locator/ca")
    }

    pub fn bundle(&self) -> TrustBundle {
        TrustBundle::load(&self.ca_dir().join("ca.pem")).expect("trust bundle")
    }

    /// `continuum admin …` as the operator.
    pub fn admin(&self, args: &[&str]) -> Output {
        Command::new(continuum_bin())
            .arg("admin")
            .args(args)
            .env("CONTINUUM_LOCATOR", &self.locator_url)
            .env("CONTINUUM_CA", self.ca_dir().join("ca.pem"))
            .env("CONTINUUM_OPERATOR_TOKEN", OPERATOR_SECRET)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run continuum admin")
    }

    /// `continuum admin …`, which must succeed; its standard output.
    pub fn admin_ok(&self, args: &[&str]) -> String {
        let output = self.admin(args);
        assert!(
            output.status.success(),
            "continuum admin {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Add organizations, and a node hosting them; the node's enrollment token.
    pub fn onboard(&self, node: &str, endpoint: &str, tenants: &[&str]) -> String {
        for tenant in tenants {
            self.admin_ok(&[
                "org", "create", tenant, "--name", tenant, "--kind", "clinic",
            ]);
        }
        let mut args = vec!["node", "create", node, "--endpoint", endpoint];
        for tenant in tenants {
            args.extend(["--tenant", tenant]);
        }
        token_in(&self.admin_ok(&args))
    }

    /// `continuum node enroll` into `tls_dir`.
    pub fn enroll(&self, token: &str, tls_dir: &Path) -> Output {
        Command::new(continuum_bin())
            .args([
                "node",
                "enroll",
                "--locator",
                &self.locator_url,
                "--tls-dir",
            ])
            .arg(tls_dir)
            .env("CONTINUUM_ENROLLMENT_TOKEN", token)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run continuum node enroll")
    }

    /// A client of the locator's network API presenting `credentials` (or
    /// no certificate at all).
    pub fn network_client(
        &self,
        credentials: Option<Arc<WorkloadCredentials>>,
    ) -> NetworkClient<Channel> {
        self.network_client_presenting(credentials.map(|c| c as Arc<dyn ResolvesClientCert>))
    }

    /// Like [`TestNetwork::network_client`], presenting any certificate.
    pub fn network_client_presenting(
        &self,
        certificate: Option<Arc<dyn ResolvesClientCert>>,
    ) -> NetworkClient<Channel> {
        self.replica_client(&self.locator_url, certificate)
    }

    /// A client of the network API of the replica at `url`.
    pub fn replica_client(
        &self,
        url: &str,
        certificate: Option<Arc<dyn ResolvesClientCert>>,
    ) -> NetworkClient<Channel> {
        let verifier = ServerIdentityVerifier::new(&self.bundle(), Workload::Locator);
        let config = client_config(verifier, certificate).expect("client config");
        NetworkClient::new(channel(url, config).expect("channel"))
    }

    /// A client of the locator's sharing API presenting `credentials`: a
    /// node calling the locator directly, as its own code would.
    pub fn sharing_client(&self, credentials: Arc<WorkloadCredentials>) -> SharingClient<Channel> {
        let verifier = ServerIdentityVerifier::new(&self.bundle(), Workload::Locator);
        let certificate: Arc<dyn ResolvesClientCert> = credentials;
        let config = client_config(verifier, Some(certificate)).expect("client config");
        SharingClient::new(channel(&self.locator_url, config).expect("channel"))
    }

    /// The directory's events, as `continuum admin events` prints them.
    pub fn events(&self) -> String {
        self.admin_ok(&["events", "--limit", "500"])
    }
}

impl Drop for TestNetwork {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            let _ = replica.kill();
            let _ = replica.wait();
        }
    }
}

/// A client certificate presented as is, whatever it says: what a peer
/// with a certificate Continuum would never issue presents.
#[derive(Debug)]
pub struct RawCertificate(Arc<rustls::sign::CertifiedKey>);

impl RawCertificate {
    /// `cert_pem` (for `key_pem`), chained to the CA certificate `ca`.
    pub fn new(key_pem: &str, cert_pem: &str, ca: &CertificateDer<'static>) -> Arc<Self> {
        let certs = vec![
            CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("certificate"),
            ca.clone(),
        ];
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
        let certified = rustls::sign::CertifiedKey::from_der(
            certs,
            key,
            &rustls::crypto::ring::default_provider(),
        )
        .expect("certified key");
        Arc::new(Self(Arc::new(certified)))
    }
}

impl ResolvesClientCert for RawCertificate {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A heartbeat for `tenants`.
pub fn heartbeat(tenants: &[&str]) -> HeartbeatRequest {
    HeartbeatRequest {
        tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
        version: "test".into(),
    }
}

/// The enrollment token in `continuum admin node create|token` output.
pub fn token_in(output: &str) -> String {
    output
        .lines()
        .find(|l| l.starts_with("cnt1."))
        .unwrap_or_else(|| panic!("no enrollment token in {output:?}"))
        .to_owned()
}

/// Load the key and certificate `continuum node enroll` wrote.
pub fn enrolled_credentials(tls_dir: &Path) -> Arc<WorkloadCredentials> {
    let (credentials, _) = continuum_mesh::tls::WorkloadFiles::new(tls_dir)
        .load()
        .expect("enrolled identity");
    Arc::new(credentials)
}

/// A `continuum node` process in the network, killed when dropped.
#[derive(Debug)]
pub struct NetworkNode {
    child: Child,
    pub dir: tempfile::TempDir,
    pub federation_url: String,
    /// The clinical API, `http://…`.
    pub clinical_url: String,
}

impl NetworkNode {
    /// Enroll with `token` and serve `tenants`, federation API on a free port.
    pub fn start(
        network: &TestNetwork,
        token: &str,
        federation_port: u16,
        tenants: &[&str],
    ) -> NetworkNode {
        Self::start_with_identity(network, token, federation_port, tenants, None)
    }

    /// As [`NetworkNode::start`], every tenant trusting the identity
    /// provider at `issuer` (each with its own audience, see
    /// [`crate::node::identity_table`]).
    pub fn start_with_identity(
        network: &TestNetwork,
        token: &str,
        federation_port: u16,
        tenants: &[&str],
        issuer: Option<&str>,
    ) -> NetworkNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let tls_dir = dir.path().join("tls");
        let enrolled = network.enroll(token, &tls_dir);
        assert!(
            enrolled.status.success(),
            "enrollment failed: {}",
            String::from_utf8_lossy(&enrolled.stderr)
        );
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        );
        for tenant in tenants {
            config.push_str(&format!(
                "\n[[tenants]]\nid = \"{tenant}\"\nname = \"{tenant}\"\n"
            ));
            if let Some((_, secret)) = crate::node::TENANTS.iter().find(|(t, _)| t == tenant) {
                config.push_str(&format!(
                    "[[tenants.credentials]]\nname = \"test-service\"\nsecret_sha256 = \"{}\"\n",
                    crate::node::sha256_hex(secret),
                ));
            }
            if let Some(issuer) = issuer {
                config.push_str(&crate::node::identity_table(issuer, tenant));
            }
        }
        config.push_str(&format!(
            "\n[network]\nlocator = \"{}\"\nfederation_listen = \"127.0.0.1:{federation_port}\"\n\
             tls_dir = \"{}\"\nheartbeat_secs = 1\n",
            network.locator_url,
            tls_dir.display()
        ));
        let config_path = dir.path().join("node.toml");
        std::fs::write(&config_path, config).expect("write config");
        let (child, clinical) = spawn_announcing(
            Command::new(continuum_bin())
                .args(["node", "--config"])
                .arg(&config_path),
            "node listening on ",
        );
        NetworkNode {
            child,
            dir,
            federation_url: format!("https://127.0.0.1:{federation_port}"),
            clinical_url: format!("http://{clinical}"),
        }
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.dir.path().join("tls")
    }

    /// A clinical API client acting for `tenant` (one of `node::TENANTS`).
    pub async fn client(&self, tenant: &str) -> crate::node::Client {
        crate::node::client_for(&self.clinical_url, tenant).await
    }

    /// A clinical API client acting for `tenant` as `user`, signed in at
    /// the tenant's identity provider `idp`.
    pub async fn client_as(
        &self,
        idp: &crate::oidc::TestIdp,
        tenant: &str,
        user: &str,
    ) -> crate::node::Client {
        let token = idp.login_for(user, &crate::node::audience_of(tenant)).await;
        crate::node::connect(&self.clinical_url, Some(tenant), Some(&token)).await
    }

    /// Freeze the node process (SIGSTOP): connections are accepted by the
    /// kernel but nothing answers, as with a hung server.
    pub fn pause(&self) {
        signal(self.child.id(), "STOP");
    }

    pub fn resume(&self) {
        signal(self.child.id(), "CONT");
    }

    /// Kill the node (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

impl Drop for NetworkNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Poll `check` every 100 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T>(
    limit: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn spawn_announcing(command: &mut Command, announcement: &str) -> (Child, String) {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start continuum");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read output");
    // Keep reading what the process prints later, so that its writes never
    // meet a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = line
        .trim()
        .strip_prefix(announcement)
        .unwrap_or_else(|| panic!("did not start: {line:?}"))
        .to_owned();
    (child, addr)
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("run continuum");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
