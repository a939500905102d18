//! What every Continuum service shares: layered configuration, telemetry
//! setup, service credentials, and the clock and id source that code takes
//! time and identifiers from.
//!
//! Nothing here knows about patients or FHIR, and nothing here may log a
//! secret: credentials are compared as hashes in constant time.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod credentials;
pub mod serve;
pub mod telemetry;
pub mod tls;
