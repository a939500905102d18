//! Workload identities: the one place that maps a certificate to who it
//! speaks for.
//!
//! A Continuum certificate carries exactly one identity, as a SPIFFE-style
//! URI SAN: `spiffe://<network>/locator` or `spiffe://<network>/node/<id>`.
//! Anything else (no URI, two URIs, another network, an unknown path) is
//! refused here, so no caller can read an identity any other way.

use std::fmt;

use chrono::{DateTime, Utc};
use thiserror::Error;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why a certificate names no acceptable identity.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    #[error("the certificate could not be parsed as X.509: {0}")]
    Unparsable(String),
    #[error(
        "the certificate has no URI SAN; a Continuum certificate names its holder as spiffe://<network>/…"
    )]
    NoUri,
    #[error(
        "the certificate has {0} URI SANs; a Continuum certificate carries exactly one identity"
    )]
    SeveralUris(usize),
    #[error("`{0}` is not a spiffe:// identity")]
    NotSpiffe(String),
    #[error("the certificate belongs to network `{found}`, not `{expected}`")]
    ForeignNetwork { found: String, expected: String },
    #[error("`{0}` names no Continuum workload (expected /locator or /node/<id>)")]
    UnknownWorkload(String),
    #[error("`{0}` is not a valid {1} (lowercase letters, digits and hyphens, 1 to 63 characters)")]
    InvalidName(String, &'static str),
}

/// The network's name, the trust domain of every identity in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrustDomain(String);

impl TrustDomain {
    pub fn new(name: &str) -> Result<Self, IdentityError> {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(is_label)
            && !name.starts_with('.');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(IdentityError::InvalidName(name.to_owned(), "network name"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrustDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A node's id in the directory (also its certificate's identity).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    pub fn new(id: &str) -> Result<Self, IdentityError> {
        if is_label(id) {
            Ok(Self(id.to_owned()))
        } else {
            Err(IdentityError::InvalidName(id.to_owned(), "node id"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS-label-like name: what node ids and network name parts look like.
fn is_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Which part of the network a certificate speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Workload {
    Locator,
    Node(NodeId),
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::Locator => f.write_str("locator"),
            Workload::Node(id) => write!(f, "node {id}"),
        }
    }
}

/// A full identity: a workload in a network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpiffeId {
    pub network: TrustDomain,
    pub workload: Workload,
}

impl SpiffeId {
    pub fn locator(network: &TrustDomain) -> Self {
        Self {
            network: network.clone(),
            workload: Workload::Locator,
        }
    }

    pub fn node(network: &TrustDomain, node: &NodeId) -> Self {
        Self {
            network: network.clone(),
            workload: Workload::Node(node.clone()),
        }
    }

    /// The URI a certificate carries for this identity.
    pub fn uri(&self) -> String {
        match &self.workload {
            Workload::Locator => format!("spiffe://{}/locator", self.network),
            Workload::Node(id) => format!("spiffe://{}/node/{id}", self.network),
        }
    }

    pub fn parse(uri: &str) -> Result<Self, IdentityError> {
        let rest = uri
            .strip_prefix("spiffe://")
            .ok_or_else(|| IdentityError::NotSpiffe(uri.to_owned()))?;
        let (network, path) = rest
            .split_once('/')
            .ok_or_else(|| IdentityError::UnknownWorkload(uri.to_owned()))?;
        let network = TrustDomain::new(network)?;
        let workload = match path.split('/').collect::<Vec<_>>().as_slice() {
            ["locator"] => Workload::Locator,
            ["node", id] => Workload::Node(NodeId::new(id)?),
            _ => return Err(IdentityError::UnknownWorkload(uri.to_owned())),
        };
        Ok(Self { network, workload })
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

/// What a verified certificate tells about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    pub id: SpiffeId,
    /// Lowercase hex, as the directory records it.
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl CertificateIdentity {
    /// Read the identity of a certificate whose chain has already been
    /// verified, refusing one that names anything but a workload of `network`.
    pub fn of(der: &[u8], network: &TrustDomain) -> Result<Self, IdentityError> {
        let identity = Self::of_any_network(der)?;
        if &identity.id.network != network {
            return Err(IdentityError::ForeignNetwork {
                found: identity.id.network.to_string(),
                expected: network.to_string(),
            });
        }
        Ok(identity)
    }

    /// Like [`CertificateIdentity::of`], for the CA's own certificate or a
    /// certificate whose network is not known yet.
    pub fn of_any_network(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| IdentityError::Unparsable(e.to_string()))?;
        let uris = uri_sans(&cert)?;
        let uri = match uris.as_slice() {
            [] => return Err(IdentityError::NoUri),
            [uri] => *uri,
            several => return Err(IdentityError::SeveralUris(several.len())),
        };
        let id = SpiffeId::parse(uri)?;
        let time = |t: x509_parser::time::ASN1Time| {
            DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        Ok(Self {
            id,
            serial: hex::encode(cert.raw_serial()),
            not_before: time(cert.validity().not_before),
            not_after: time(cert.validity().not_after),
        })
    }
}

impl CertificateIdentity {
    /// When to ask for the next certificate: two thirds into this one's
    /// life, leaving a third of it to retry if the locator is unreachable.
    pub fn renewal_due(&self) -> DateTime<Utc> {
        self.not_before + (self.not_after - self.not_before) * 2 / 3
    }
}

fn uri_sans<'a>(cert: &'a X509Certificate<'_>) -> Result<Vec<&'a str>, IdentityError> {
    let sans = cert
        .subject_alternative_name()
        .map_err(|e| IdentityError::Unparsable(e.to_string()))?;
    Ok(sans
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::URI(uri) => Some(*uri),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The network's own identity, carried by the CA certificate: `spiffe://<network>`.
pub(crate) fn network_uri(network: &TrustDomain) -> String {
    format!("spiffe://{network}")
}

/// The network a CA certificate is for (its one URI SAN, `spiffe://<network>`).
pub(crate) fn network_of_ca(der: &[u8]) -> Result<TrustDomain, IdentityError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| IdentityError::Unparsable(e.to_string()))?;
    match uri_sans(&cert)?.as_slice() {
        [uri] => {
            let network = uri
                .strip_prefix("spiffe://")
                .ok_or_else(|| IdentityError::NotSpiffe((*uri).to_owned()))?;
            TrustDomain::new(network)
        }
        [] => Err(IdentityError::NoUri),
        several => Err(IdentityError::SeveralUris(several.len())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn node_and_locator_uris_round_trip() {
        let network = TrustDomain::new("continuum.local").unwrap();
        let node = SpiffeId::node(&network, &NodeId::new("riverside-1").unwrap());
        assert_eq!(node.uri(), "spiffe://continuum.local/node/riverside-1");
        assert_eq!(SpiffeId::parse(&node.uri()).unwrap(), node);
        let locator = SpiffeId::locator(&network);
        assert_eq!(SpiffeId::parse(&locator.uri()).unwrap(), locator);
    }

    #[test]
    fn malformed_identities_are_refused() {
        for uri in [
            "https://continuum.local/node/a",
            "spiffe://continuum.local",
            "spiffe://continuum.local/node",
            "spiffe://continuum.local/node/a/b",
            "spiffe://continuum.local/operator/a",
            "spiffe://continuum.local/node/UPPER",
            "spiffe://continuum.local/node/../locator",
            "spiffe://Continuum.local/locator",
        ] {
            assert!(SpiffeId::parse(uri).is_err(), "{uri} was accepted");
        }
    }
}
