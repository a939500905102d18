//! Logging and tracing setup for the binary. Filters come from `RUST_LOG`
//! (default `info`); spans and events never carry PHI.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber; safe to call more than once (later calls
/// are ignored).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
