//! `continuum node enroll`: generate the node's key here, send only a
//! signing request with the one-time token, and keep what comes back.

use continuum_mesh::tls::{
    EnrollmentToken, PendingKey, ServerIdentityVerifier, TrustBundle, Workload, WorkloadFiles,
    channel, client_config,
};
use continuum_proto::locator::v1::EnrollRequest;
use continuum_proto::locator::v1::enrollment_client::EnrollmentClient;

use super::NetworkError;

/// What enrollment gave the node.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub identity: String,
    pub serial: String,
    pub not_after: String,
    pub tenants: Vec<String>,
}

/// Enroll with the locator at `locator` and store the key, certificate and
/// trust bundle in `files`.
pub async fn enroll(
    locator: &str,
    token: &str,
    files: &WorkloadFiles,
) -> Result<Enrolled, NetworkError> {
    let token: EnrollmentToken = token.parse()?;
    // No trust bundle yet: the locator must present a chain whose CA has the
    // fingerprint the operator put in the token.
    let verifier = ServerIdentityVerifier::pinned(&token.ca_fingerprint, Workload::Locator);
    let mut client = EnrollmentClient::new(channel(locator, client_config(verifier, None)?)?);
    let key = PendingKey::generate()?;
    let reply = client
        .enroll(EnrollRequest {
            token: token.to_string(),
            csr_pem: key.csr_pem().to_owned(),
        })
        .await?
        .into_inner();
    let cert = reply
        .certificate
        .ok_or_else(|| NetworkError::BadAnswer("no certificate".into()))?;
    let bundle = TrustBundle::from_pem(&reply.ca_pem, files.dir())?;
    if bundle.fingerprint() != token.ca_fingerprint {
        return Err(NetworkError::BadAnswer(
            "the CA bundle differs from the CA the token names".into(),
        ));
    }
    // Check the pair before it is written: a node must not store a
    // certificate it cannot use.
    continuum_mesh::tls::WorkloadCredentials::new(&key.key_pem(), &cert.certificate_pem, &bundle)?;
    files.save(&key.key_pem(), &cert.certificate_pem, &reply.ca_pem)?;
    Ok(Enrolled {
        identity: cert.identity,
        serial: cert.serial,
        not_after: cert.not_after,
        tenants: reply.tenants,
    })
}
