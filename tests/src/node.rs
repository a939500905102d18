//! A real node process with two tenants, and clients that call it as each.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use continuum_proto::CallCredentials;
use continuum_proto::node::v1::AuthorizedClinicalClient;
use continuum_proto::node::v1::clinical_client::ClinicalClient;
use tonic::transport::Channel;

use crate::continuum_bin;

/// Tenants every test node hosts, with their service credentials.
pub const TENANTS: &[(&str, &str)] = &[
    ("clinic-a", "secret-of-clinic-a-0123456789abcdef"),
    ("clinic-b", "secret-of-clinic-b-0123456789abcdef"),
    ("program-c", "secret-of-program-c-0123456789abcdef"),
    ("hospital-h", "secret-of-hospital-h-0123456789abcdef"),
];

/// A tenant's identity provider as test nodes configure it: the provider's
/// role names (those of `tests/oidc/provider.mjs`) mapped to Continuum's,
/// the NPI as professional id, and the tenant's own audience.
pub fn identity_table(issuer: &str, tenant: &str) -> String {
    format!(
        "[tenants.identity]\nissuer = \"{issuer}\"\naudience = \"{}\"\n\
         roles = {{ physician = [\"clinician\"], ed-attending = [\"emergency-access\"], \
         front-desk = [\"registrar\"], interface-engine = [\"integration\"] }}\n\
         claims = {{ professional_id = \"npi\" }}\n",
        audience_of(tenant)
    )
}

/// The audience of `tenant`'s access tokens at test nodes.
pub fn audience_of(tenant: &str) -> String {
    format!("urn:continuum:tenant:{tenant}")
}

pub type Client = AuthorizedClinicalClient;

/// A `continuum node` child process, killed when dropped.
#[derive(Debug)]
pub struct TestNode {
    child: Child,
    pub endpoint: String,
    pub dir: tempfile::TempDir,
}

impl TestNode {
    /// A node on SQLite in a fresh folder.
    pub fn start() -> TestNode {
        Self::start_with(None, 64 * 1024 * 1024)
    }

    /// A node on the given database, accepting messages up to `max_message_bytes`.
    pub fn start_with(database_url: Option<&str>, max_message_bytes: usize) -> TestNode {
        Self::start_configured(database_url, max_message_bytes, &[])
    }

    /// A node whose tenants named in `identities` trust the identity
    /// provider at the paired issuer (see [`identity_table`]).
    pub fn start_with_identity(identities: &[(&str, &str)]) -> TestNode {
        Self::start_configured(None, 64 * 1024 * 1024, identities)
    }

    fn start_configured(
        database_url: Option<&str>,
        max_message_bytes: usize,
        identities: &[(&str, &str)],
    ) -> TestNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nmax_message_bytes = {max_message_bytes}\n",
            dir.path().join("data").display()
        );
        if let Some(url) = database_url {
            config.push_str(&format!("database_url = \"{url}\"\n"));
        }
        for (tenant, secret) in TENANTS {
            config.push_str(&format!(
                "\n[[tenants]]\nid = \"{tenant}\"\nname = \"{tenant}\"\n[[tenants.credentials]]\n\
                 name = \"test-service\"\nsecret_sha256 = \"{}\"\n",
                sha256_hex(secret)
            ));
            if let Some((_, issuer)) = identities.iter().find(|(t, _)| t == tenant) {
                config.push_str(&identity_table(issuer, tenant));
            }
        }
        let config_path = dir.path().join("node.toml");
        std::fs::write(&config_path, config).expect("write config");
        let mut child = Command::new(continuum_bin())
            .args(["node", "--config"])
            .arg(&config_path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start continuum node");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read node output");
        let addr = line
            .trim()
            .strip_prefix("node listening on ")
            .unwrap_or_else(|| panic!("the node did not start: {line:?}"))
            .to_owned();
        TestNode {
            child,
            endpoint: format!("http://{addr}"),
            dir,
        }
    }

    /// A client acting for `tenant` with its own credential.
    pub async fn client(&self, tenant: &str) -> Client {
        client_for(&self.endpoint, tenant).await
    }

    /// A client acting for `tenant` with a bearer access token.
    pub async fn client_with_token(&self, tenant: &str, token: &str) -> Client {
        connect(&self.endpoint, Some(tenant), Some(token)).await
    }

    /// A client sending exactly the given tenant and credential (or none).
    pub async fn client_with(&self, tenant: Option<&str>, secret: Option<&str>) -> Client {
        connect(&self.endpoint, tenant, secret).await
    }
}

/// A client of the clinical API at `endpoint` acting for `tenant` with its
/// credential from [`TENANTS`].
pub async fn client_for(endpoint: &str, tenant: &str) -> Client {
    connect(endpoint, Some(tenant), Some(secret_of(tenant))).await
}

/// The service credential of `tenant` from [`TENANTS`].
pub fn secret_of(tenant: &str) -> &'static str {
    TENANTS
        .iter()
        .find(|(t, _)| *t == tenant)
        .map_or("", |(_, s)| *s)
}

pub async fn connect(endpoint: &str, tenant: Option<&str>, secret: Option<&str>) -> Client {
    let channel = Channel::from_shared(endpoint.to_owned())
        .expect("endpoint")
        .tcp_nodelay(true)
        .initial_stream_window_size(4 << 20)
        .initial_connection_window_size(16 << 20)
        .connect()
        .await
        .expect("connect to node");
    let credentials = CallCredentials::partial(tenant, secret).expect("ascii metadata");
    ClinicalClient::with_interceptor(channel, credentials)
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024)
}

impl Drop for TestNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn sha256_hex(secret: &str) -> String {
    let out = Command::new(continuum_bin())
        .args(["credential", "hash"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(secret.as_bytes())?;
            child.wait_with_output()
        })
        .expect("continuum credential hash");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
