//! The publisher of the patient feed: delivers each tenant's outbox to the
//! locator in order, and forgets an event only once the locator
//! acknowledged it. The locator deduplicates on (node, seq), so an event
//! sent again after a crash or a lost answer is not applied twice.

use std::sync::Arc;
use std::time::Duration;

use continuum_mesh::serve::Shutdown;
use continuum_proto::locator::v1::{PatientEvent, RegisterRequest};

use super::{LocatorLink, NetworkError};
use crate::store::{Store, StoreError};
use crate::tenant::TenantId;

/// Events per call: large enough to keep up with bulk imports, small
/// enough to keep one call's transaction at the locator short.
const BATCH: u64 = 500;
/// How often an idle publisher looks for new events.
const IDLE_POLL: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Deliver the outbox of `tenants` until shutdown.
pub async fn publish(
    link: Arc<LocatorLink>,
    store: Store,
    tenants: Vec<TenantId>,
    shutdown: Shutdown,
) -> Result<(), String> {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let mut failures: u32 = 0;
    let mut wait = Duration::ZERO;
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        match deliver_once(&link, &store, &tenants).await {
            Ok(0) => {
                failures = 0;
                wait = IDLE_POLL;
            }
            Ok(delivered) => {
                failures = 0;
                wait = Duration::ZERO;
                tracing::debug!(delivered, "patient feed delivered");
            }
            Err(e) => {
                failures += 1;
                wait = Duration::from_millis(250 << failures.min(7)).min(MAX_BACKOFF);
                tracing::warn!(error = %e, failures, retry_in = ?wait, "patient feed delivery failed");
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Network(#[from] NetworkError),
}

/// One batch per tenant; how many events the locator acknowledged.
async fn deliver_once(
    link: &LocatorLink,
    store: &Store,
    tenants: &[TenantId],
) -> Result<usize, DeliveryError> {
    let mut delivered = 0;
    for tenant in tenants {
        let pending = {
            let tx = store.read(tenant).await?;
            tx.pending_feed(BATCH).await?
        };
        if pending.is_empty() {
            continue;
        }
        let request = RegisterRequest {
            events: pending
                .into_iter()
                .map(|e| PatientEvent {
                    seq: e.seq,
                    tenant: tenant.as_str().to_owned(),
                    local_id: e.patient_id,
                    event: e.event,
                    demographics_json: e.demographics,
                })
                .collect(),
        };
        let acknowledged = link
            .registry()
            .register(request)
            .await
            .map_err(NetworkError::from)?
            .into_inner()
            .acknowledged;
        let tx = store.write(tenant).await?;
        tx.acknowledge_feed(&acknowledged).await?;
        tx.commit().await?;
        delivered += acknowledged.len();
    }
    Ok(delivered)
}
