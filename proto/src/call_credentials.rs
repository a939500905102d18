//! The metadata a clinical call carries: the tenant it acts for and the
//! caller's bearer credential.

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// Request metadata naming the tenant a call acts for.
pub const TENANT_METADATA: &str = "continuum-tenant";

/// A tenant id or credential that cannot travel as gRPC metadata.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` cannot be sent as gRPC metadata (printable ASCII only)")]
pub struct InvalidMetadata(String);

/// Adds the tenant and `authorization: Bearer …` to every request.
#[derive(Debug, Clone, Default)]
pub struct CallCredentials {
    tenant: Option<AsciiMetadataValue>,
    bearer: Option<AsciiMetadataValue>,
}

impl CallCredentials {
    /// Act for `tenant` with `credential`.
    pub fn new(tenant: &str, credential: &str) -> Result<Self, InvalidMetadata> {
        Self::partial(Some(tenant), Some(credential))
    }

    /// Only a bearer credential, for calls that act for no tenant (operators).
    pub fn bearer(credential: &str) -> Result<Self, InvalidMetadata> {
        Self::partial(None, Some(credential))
    }

    /// Send only what is given: for testing how servers treat incomplete calls.
    pub fn partial(
        tenant: Option<&str>,
        credential: Option<&str>,
    ) -> Result<Self, InvalidMetadata> {
        let value = |text: String| {
            MetadataValue::try_from(text.as_str()).map_err(|_| InvalidMetadata(redact(&text)))
        };
        Ok(Self {
            tenant: tenant.map(|t| value(t.to_owned())).transpose()?,
            bearer: credential
                .map(|c| value(format!("Bearer {c}")))
                .transpose()?,
        })
    }
}

/// Never echo a credential in an error message.
fn redact(text: &str) -> String {
    if text.starts_with("Bearer ") {
        "Bearer <credential>".to_owned()
    } else {
        text.to_owned()
    }
}

impl Interceptor for CallCredentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(tenant) = &self.tenant {
            request
                .metadata_mut()
                .insert(TENANT_METADATA, tenant.clone());
        }
        if let Some(bearer) = &self.bearer {
            request
                .metadata_mut()
                .insert("authorization", bearer.clone());
        }
        Ok(request)
    }
}
