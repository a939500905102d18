//! What every benchmark here reports with: percentiles of sorted latencies,
//! milliseconds, and the machine's core count.

use std::time::Duration;

/// The `p` quantile (0..=1) of `sorted` latencies, nearest-rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The `continuum` binary to benchmark: `given`, or the one beside this
/// benchmark.
pub fn continuum_binary(given: Option<&std::path::Path>) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    match given {
        Some(path) => Ok(path.to_path_buf()),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("continuum"))
            .context("no folder for the continuum binary"),
    }
}
