//! Verifying the server a workload calls: its chain must lead to the network
//! CA, and its certificate must name the workload expected there (the
//! locator, or one node). Host names play no part: the identity is the
//! SPIFFE URI, as everywhere else in the network.

use std::sync::Arc;

use rustls::DistinguishedName;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, Error, OtherError, RootCertStore, SignatureScheme,
};

use super::bundle::TrustBundle;
use super::ca::fingerprint;
use super::identity::{CertificateIdentity, IdentityError, SpiffeId, Workload, network_of_ca};
use super::{TlsError, provider};

/// The handshake-signature checks every verifier here makes the same way:
/// with the ring provider's algorithms, kept in `self.algorithms`.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

/// How the server's chain is anchored.
#[derive(Debug, Clone)]
enum Anchor {
    /// The network CA from the trust bundle.
    Bundle(TrustBundle),
    /// Before enrollment a workload has no bundle, only the CA fingerprint
    /// from its enrollment token: the CA certificate the server sends must
    /// have exactly that fingerprint.
    Pinned(String),
}

/// Accepts a server whose certificate names `expected` in the network.
#[derive(Debug)]
pub struct ServerIdentityVerifier {
    anchor: Anchor,
    expected: Workload,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerIdentityVerifier {
    pub fn new(bundle: &TrustBundle, expected: Workload) -> Arc<Self> {
        Arc::new(Self {
            anchor: Anchor::Bundle(bundle.clone()),
            expected,
            algorithms: provider().signature_verification_algorithms,
        })
    }

    /// For enrollment: trust the CA whose certificate has this SHA-256.
    pub fn pinned(ca_fingerprint: &str, expected: Workload) -> Arc<Self> {
        Arc::new(Self {
            anchor: Anchor::Pinned(ca_fingerprint.to_ascii_lowercase()),
            expected,
            algorithms: provider().signature_verification_algorithms,
        })
    }

    fn roots(
        &self,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(RootCertStore, crate::tls::TrustDomain), Error> {
        match &self.anchor {
            Anchor::Bundle(bundle) => Ok(((*bundle.roots()).clone(), bundle.network().clone())),
            Anchor::Pinned(pin) => {
                let ca = intermediates
                    .iter()
                    .find(|c| &fingerprint(c) == pin)
                    .ok_or(Error::InvalidCertificate(CertificateError::UnknownIssuer))?;
                let network = network_of_ca(ca).map_err(identity_error)?;
                let mut roots = RootCertStore::empty();
                roots
                    .add(ca.clone().into_owned())
                    .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
                Ok((roots, network))
            }
        }
    }
}

impl ServerCertVerifier for ServerIdentityVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let (roots, network) = self.roots(intermediates)?;
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        let identity = CertificateIdentity::of(end_entity, &network).map_err(identity_error)?;
        if identity.id
            != (SpiffeId {
                network,
                workload: self.expected.clone(),
            })
        {
            return Err(identity_error(IdentityError::UnknownWorkload(format!(
                "{} (expected the {})",
                identity.id, self.expected
            ))));
        }
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

fn identity_error(e: IdentityError) -> Error {
    Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
}

/// The handshake half of client authentication: the client proves it holds
/// the key of the certificate it presents (TLS 1.3 CertificateVerify), and
/// nothing more. Whether that certificate chains to the network CA, is
/// valid now and names an acceptable identity is decided per call by
/// [`super::PeerVerifier`], where the refusal reaches the caller as a gRPC
/// status saying exactly what is wrong; a failed TLS 1.3 handshake would
/// only show the client a closed connection.
#[derive(Debug)]
pub(crate) struct ProofOfPossession {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ProofOfPossession {
    pub(crate) fn new(bundle: &TrustBundle) -> Arc<Self> {
        let hints = bundle.roots().subjects();
        Arc::new(Self {
            hints,
            algorithms: provider().signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for ProofOfPossession {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // Enrollment and the operators' API are called without a
        // certificate; every other service refuses such calls per call.
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Ok(ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

/// The full check of a client certificate chain against the network CA.
pub(crate) fn chain_verifier(
    bundle: &TrustBundle,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    WebPkiClientVerifier::builder_with_provider(bundle.roots(), Arc::new(provider()))
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))
}
