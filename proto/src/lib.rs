//! The gRPC contracts between Continuum's parts and their clients, generated
//! from `proto/continuum/**.proto` at build time; the `.proto` files are the
//! source of truth. Hand-written here is only what every caller of those
//! contracts shares: the metadata that names a call's tenant and credential.

#![forbid(unsafe_code)]

mod call_credentials;

pub use call_credentials::{CallCredentials, InvalidMetadata, TENANT_METADATA};

/// `continuum.node.v1`: a node's clinical API, and its federation API.
pub mod node {
    pub mod v1 {
        #![allow(missing_debug_implementations, unused_qualifications, clippy::all)]
        tonic::include_proto!("continuum.node.v1");

        /// A clinical API client that sends its tenant and credential on every call.
        pub type AuthorizedClinicalClient = clinical_client::ClinicalClient<
            tonic::service::interceptor::InterceptedService<
                tonic::transport::Channel,
                crate::CallCredentials,
            >,
        >;
    }
}

/// `continuum.locator.v1`: the locator's directory (operators) and the calls
/// nodes make on it (enrollment, renewal, heartbeat).
pub mod locator {
    pub mod v1 {
        #![allow(missing_debug_implementations, unused_qualifications, clippy::all)]
        tonic::include_proto!("continuum.locator.v1");
    }
}
