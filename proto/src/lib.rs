//! The gRPC contracts between Continuum's parts and their clients, generated
//! from `proto/continuum/**.proto` at build time. Nothing here is hand-written
//! but the module tree: the `.proto` files are the source of truth.

#![forbid(unsafe_code)]

/// `continuum.node.v1`: a node's clinical API.
pub mod node {
    pub mod v1 {
        #![allow(missing_debug_implementations, unused_qualifications, clippy::all)]
        tonic::include_proto!("continuum.node.v1");
    }
}
