//! Who is calling the clinical API, and what they may do.
//!
//! People (and systems using client credentials) present an access token of
//! their tenant's identity provider; systems may instead present a static
//! service credential from the node's configuration. [`AuthLayer`] is the
//! only place that decides who a caller is: it verifies the bearer before
//! any handler runs and hands the handler a [`Caller`]. Handlers say what
//! the call needs with [`Caller::permitted`]; the roles → permissions table
//! lives in `continuum_identity::roles`.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use continuum_identity::{
    Identity, Mode, Permission, PrincipalKind, RoleSet, TokenError, TokenVerifier,
};
use continuum_mesh::credentials::verify_secret;
use futures::future::BoxFuture;
use tonic::server::NamedService;
use tonic::{Request, Status};

use crate::NodeError;
use crate::tenant::{TenantId, Tenants};

pub use continuum_proto::TENANT_METADATA as TENANT_HEADER;

/// A verified caller of one tenant.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    pub identity: Identity,
}

impl Caller {
    /// The verified caller of `request`, if they may do `permission`.
    pub fn permitted<T>(request: &Request<T>, permission: Permission) -> Result<Caller, Status> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("the call was not authenticated"))?;
        caller.require(permission)?;
        Ok(caller)
    }

    /// Whether the caller may also do `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Status> {
        self.identity
            .require(permission)
            .map_err(|refusal| Status::permission_denied(refusal.to_string()))
    }

    /// Who the caller is, for logs.
    pub fn principal(&self) -> &str {
        &self.identity.subject
    }
}

/// Verifies callers: one token verifier per tenant that names an identity
/// provider, and the tenants' static service credentials.
#[derive(Debug, Clone)]
pub struct Authenticator {
    tenants: Tenants,
    verifiers: Arc<HashMap<TenantId, Arc<TokenVerifier>>>,
}

impl Authenticator {
    pub fn new(tenants: Tenants, mode: Mode) -> Result<Self, NodeError> {
        let mut verifiers = HashMap::new();
        for (tenant, config) in tenants.iter() {
            if let Some(provider) = &config.identity {
                let verifier = TokenVerifier::new(provider.clone(), mode).map_err(|e| {
                    NodeError::Serve(format!("tenant `{tenant}` identity provider: {e}"))
                })?;
                verifiers.insert(tenant.clone(), Arc::new(verifier));
            }
        }
        Ok(Self {
            tenants,
            verifiers: Arc::new(verifiers),
        })
    }

    /// Discover every tenant's provider now, logging the ones that fail (they
    /// are retried at the first token).
    pub async fn discover(&self) {
        for (tenant, verifier) in self.verifiers.iter() {
            if let Err(error) = verifier.discover().await {
                tracing::warn!(%tenant, %error, "identity provider not reachable yet");
            }
        }
    }

    async fn authenticate(&self, headers: &http::HeaderMap) -> Result<Caller, Status> {
        let bearer = bearer(headers)?;
        let tenant_id = headers
            .get(TENANT_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Status::invalid_argument(format!(
                    "name the tenant in the `{TENANT_HEADER}` request metadata"
                ))
            })?;
        let Ok(tenant) = self.tenants.resolve(tenant_id) else {
            // Only a caller with a valid credential learns which tenants exist.
            return Err(if self.known_anywhere(bearer).await {
                Status::from(NodeError::UnknownTenant(tenant_id.to_owned()))
            } else {
                not_valid_for(tenant_id)
            });
        };
        let identity = if looks_like_jwt(bearer) {
            let verifier = self
                .verifiers
                .get(&tenant)
                .ok_or_else(|| not_valid_for(tenant_id))?;
            verifier
                .verify(bearer)
                .await
                .map_err(|e| token_refused(tenant_id, &e))?
        } else {
            self.service_credential(&tenant, bearer)
                .ok_or_else(|| not_valid_for(tenant_id))?
        };
        Ok(Caller { tenant, identity })
    }

    /// The static credential of `tenant` that `secret` opens. Every
    /// credential is checked, so the time taken does not say which matched.
    fn service_credential(&self, tenant: &TenantId, secret: &str) -> Option<Identity> {
        let config = self.tenants.config(tenant)?;
        config
            .credentials
            .iter()
            .filter(|c| verify_secret(secret, &c.secret_sha256))
            .map(|c| Identity {
                kind: PrincipalKind::Service,
                subject: c.name.clone(),
                name: c.name.clone(),
                professional_id: None,
                roles: RoleSet::new(c.roles.iter().copied()),
                expires_at: u64::MAX,
            })
            .next_back()
    }

    async fn known_anywhere(&self, bearer: &str) -> bool {
        if looks_like_jwt(bearer) {
            for verifier in self.verifiers.values() {
                if verifier.verify(bearer).await.is_ok() {
                    return true;
                }
            }
            false
        } else {
            self.tenants
                .iter()
                .any(|(tenant, _)| self.service_credential(tenant, bearer).is_some())
        }
    }
}

/// Static credentials are opaque secrets without dots; a JWT has two.
fn looks_like_jwt(bearer: &str) -> bool {
    bearer.bytes().filter(|b| *b == b'.').count() == 2
}

fn not_valid_for(tenant: &str) -> Status {
    Status::unauthenticated(format!("the credential is not valid for tenant `{tenant}`"))
}

fn token_refused(tenant: &str, error: &TokenError) -> Status {
    if error.is_unavailable() {
        Status::unavailable(format!(
            "cannot check the token for tenant `{tenant}` now: {error}"
        ))
    } else {
        Status::unauthenticated(format!(
            "the token is not valid for tenant `{tenant}`: {error}"
        ))
    }
}

fn bearer(headers: &http::HeaderMap) -> Result<&str, Status> {
    let header = headers.get("authorization").ok_or_else(|| {
        Status::unauthenticated(
            "no credential: send `authorization: Bearer <access token or service credential>`",
        )
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

/// Puts [`Authenticator`] in front of a gRPC service. Verification may need
/// the network (discovery, a key refresh), so it is a tower layer rather
/// than tonic's synchronous interceptor.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    auth: Authenticator,
}

impl AuthLayer {
    pub fn new(auth: Authenticator) -> Self {
        Self { auth }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Authenticated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            auth: self.auth.clone(),
            inner,
        }
    }
}

/// A gRPC service whose every request carries a verified [`Caller`].
#[derive(Debug, Clone)]
pub struct Authenticated<S> {
    auth: Authenticator,
    inner: S,
}

impl<S> NamedService for Authenticated<S>
where
    S: NamedService,
{
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for Authenticated<S>
where
    S: tower::Service<
            http::Request<B>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The ready service goes with this request; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            match auth.authenticate(request.headers()).await {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}
