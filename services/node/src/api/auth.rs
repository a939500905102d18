//! Who is calling the clinical API. Until people sign in with their
//! organization's identity provider, callers are services holding a
//! per-tenant credential from the node's configuration.
//!
//! This interceptor is the only place that decides who a caller is; handlers
//! read the verified [`Caller`] from the request and nothing else. A later
//! authenticator (OIDC) replaces it without touching the handlers.

use continuum_mesh::credentials::verify_secret;
use tonic::metadata::MetadataMap;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::tenant::{TenantId, Tenants};

pub use continuum_proto::TENANT_METADATA as TENANT_HEADER;

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    /// The credential's name: who called, for logs and audit.
    pub principal: String,
    /// The credential's Continuum roles.
    pub roles: Vec<String>,
}

impl Caller {
    /// The verified caller of a request that passed the interceptor.
    pub fn of<T>(request: &Request<T>) -> Result<Caller, Status> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("the call was not authenticated"))
    }
}

/// Checks `authorization: Bearer <secret>` against the credentials of the
/// tenant named in `continuum-tenant`.
#[derive(Debug, Clone)]
pub struct ServiceCredentialAuth {
    tenants: Tenants,
}

impl ServiceCredentialAuth {
    pub fn new(tenants: Tenants) -> Self {
        Self { tenants }
    }

    fn authenticate(&self, metadata: &MetadataMap) -> Result<Caller, Status> {
        let secret = bearer(metadata)?;
        let tenant_id = metadata
            .get(TENANT_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Status::invalid_argument(format!(
                    "name the tenant in the `{TENANT_HEADER}` request metadata"
                ))
            })?;
        let refused = || {
            Status::unauthenticated(format!(
                "the credential is not valid for tenant `{tenant_id}`"
            ))
        };
        let Ok(tenant) = self.tenants.resolve(tenant_id) else {
            // Only a caller with a valid credential learns which tenants exist.
            let known_caller = self.tenants.iter().any(|(_, config)| {
                config
                    .credentials
                    .iter()
                    .any(|c| verify_secret(secret, &c.secret_sha256))
            });
            return Err(if known_caller {
                Status::from(crate::NodeError::UnknownTenant(tenant_id.to_owned()))
            } else {
                refused()
            });
        };
        let config = self
            .tenants
            .config(&tenant)
            .ok_or_else(|| Status::internal("tenant lost"))?;
        // Check every credential, so the time taken does not say which one matched.
        let matched = config
            .credentials
            .iter()
            .filter(|c| verify_secret(secret, &c.secret_sha256))
            .map(|c| (c.name.clone(), c.roles.clone()))
            .next_back();
        match matched {
            Some((principal, roles)) => Ok(Caller {
                tenant,
                principal,
                roles,
            }),
            None => Err(refused()),
        }
    }
}

impl Interceptor for ServiceCredentialAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let caller = self.authenticate(request.metadata())?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

fn bearer(metadata: &MetadataMap) -> Result<&str, Status> {
    let header = metadata.get("authorization").ok_or_else(|| {
        Status::unauthenticated("no credential: send `authorization: Bearer <credential>`")
    })?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Status::unauthenticated("the authorization metadata must be `Bearer <credential>`")
        })
}
