//! Keeping a workload's certificate fresh: renew two thirds into its life,
//! retry with backoff if that fails, and never restart anything.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::serve::Shutdown;

use super::WorkloadCredentials;

/// Until shutdown, call `renew` whenever the current certificate of
/// `credentials` is due for renewal. `renew` replaces the credentials.
pub async fn renew_periodically<F, Fut>(
    credentials: Arc<WorkloadCredentials>,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
    mut renew: F,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let mut failures: u32 = 0;
    loop {
        let identity = credentials.identity();
        let now = clock.now();
        let wait = if failures == 0 {
            (identity.renewal_due() - now).to_std().unwrap_or_default()
        } else {
            // Back off (1 s, 2 s, 4 s … at most a minute), but try at
            // least ten times before the certificate expires.
            let remaining = (identity.not_after - now).to_std().unwrap_or_default();
            let backoff = Duration::from_secs(1 << failures.min(6)).min(Duration::from_secs(60));
            backoff.min(remaining / 10).max(Duration::from_millis(100))
        };
        tokio::select! {
            () = &mut stop => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        match renew().await {
            Ok(()) => {
                failures = 0;
                let renewed = credentials.identity();
                tracing::info!(
                    identity = %renewed.id,
                    serial = %renewed.serial,
                    not_after = %renewed.not_after,
                    "certificate renewed"
                );
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(identity = %identity.id, error = %e, failures, "certificate renewal failed");
            }
        }
    }
}
