//! Who may call what on the locator, checked on every call:
//! - operators (the directory API) by bearer credential, compared as a hash
//!   in constant time;
//! - nodes (the network API) by the client certificate of their connection,
//!   checked against the directory's roster each time.

use std::sync::Arc;

use continuum_mesh::clock::Clock;
use continuum_mesh::credentials::verify_secret;
use continuum_mesh::tls::PeerVerifier;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::directory::Directory;

/// Requires `authorization: Bearer <operator credential>`.
#[derive(Debug, Clone)]
pub struct OperatorAuth {
    credential_sha256: Option<Arc<str>>,
}

impl OperatorAuth {
    pub fn new(credential_sha256: Option<&str>) -> Self {
        Self {
            credential_sha256: credential_sha256.map(Arc::from),
        }
    }
}

impl Interceptor for OperatorAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.credential_sha256 else {
            return Err(Status::unauthenticated(
                "this locator has no operator credential configured (operator_credential_sha256)",
            ));
        };
        let presented = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| {
                Status::unauthenticated(
                    "missing `authorization: Bearer <operator credential>` metadata",
                )
            })?
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Status::unauthenticated("authorization must be `Bearer <credential>`")
            })?;
        if verify_secret(presented, expected) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "the operator credential is not valid",
            ))
        }
    }
}

/// Requires a node certificate whose node the directory lets in now; puts
/// the [`crate::directory::AuthorizedNode`] into the request's extensions.
#[derive(Debug, Clone)]
pub struct NodeAuth {
    directory: Directory,
    peers: Arc<PeerVerifier>,
    clock: Arc<dyn Clock>,
}

impl NodeAuth {
    pub fn new(directory: Directory, peers: Arc<PeerVerifier>, clock: Arc<dyn Clock>) -> Self {
        Self {
            directory,
            peers,
            clock,
        }
    }
}

impl Interceptor for NodeAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let cert = self.peers.caller(&request, self.clock.now())?;
        let node = self.directory.authorize(&cert).map_err(|e| {
            tracing::warn!(identity = %cert.id, serial = %cert.serial, error = %e, "node refused");
            Status::from(e)
        })?;
        request.extensions_mut().insert(node);
        Ok(request)
    }
}

/// The node that [`NodeAuth`] let through.
pub fn authorized_node<T>(
    request: &Request<T>,
) -> Result<crate::directory::AuthorizedNode, Status> {
    request
        .extensions()
        .get::<crate::directory::AuthorizedNode>()
        .cloned()
        .ok_or_else(|| Status::internal("node authorization did not run"))
}
