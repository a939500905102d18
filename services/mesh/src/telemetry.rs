//! Logging and tracing setup for the binary. Filters come from `RUST_LOG`
//! (default `info`); spans and events never carry PHI.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber; safe to call more than once (later calls
/// are ignored).
pub fn init() {
    init_with_default("info");
}

/// Logs on standard error (standard output is the program's own), at
/// `RUST_LOG`'s levels, or `default` when it is not set.
pub fn init_with_default(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
