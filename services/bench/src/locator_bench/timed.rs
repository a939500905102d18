//! The timed parts: the Register load, several calls in flight, and the
//! locates after it, one at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use continuum_proto::CallCredentials;
use continuum_proto::locator::v1::directory_client::DirectoryClient;
use continuum_proto::locator::v1::registry_client::RegistryClient;
use continuum_proto::locator::v1::{LocatePatientRequest, RegisterRequest};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::task::JoinSet;

/// One acknowledged Register call.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// Since the load started.
    finished: Duration,
    latency: Duration,
    events: usize,
}

/// The timed load: every call, in the order they finished.
pub(super) struct Load {
    pub(super) elapsed: Duration,
    calls: Vec<Call>,
}

impl Load {
    pub(super) fn total(&self) -> usize {
        self.calls.iter().map(|c| c.events).sum()
    }

    /// Registrations per second between the moments `from` and `to` (0..=1)
    /// of all registrations were acknowledged (interpolated between calls).
    pub(super) fn rate_between(&self, from: f64, to: f64) -> f64 {
        let total = self.total() as f64;
        let seconds = self.time_at(to * total) - self.time_at(from * total);
        (to - from) * total / seconds.max(f64::MIN_POSITIVE)
    }

    /// When `count` registrations had been acknowledged, in seconds since
    /// the start, interpolating linearly within each call.
    fn time_at(&self, count: f64) -> f64 {
        let (mut done, mut at) = (0.0, 0.0);
        for call in &self.calls {
            let (next, finished) = (done + call.events as f64, call.finished.as_secs_f64());
            if next >= count {
                return at + (finished - at) * (count - done) / (next - done).max(1.0);
            }
            (done, at) = (next, finished);
        }
        at
    }

    pub(super) fn latencies(&self) -> Vec<Duration> {
        let mut latencies: Vec<Duration> = self.calls.iter().map(|c| c.latency).collect();
        latencies.sort();
        latencies
    }
}

/// Send every batch, `concurrency` calls in flight, printing progress each
/// tenth of the load.
pub(super) async fn load(
    client: RegistryClient<tonic::transport::Channel>,
    batches: Vec<RegisterRequest>,
    concurrency: usize,
    total: usize,
) -> anyhow::Result<Load> {
    let queue = Arc::new(Mutex::new(batches.into_iter()));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (mut client, queue, done) = (client.clone(), queue.clone(), done.clone());
        workers.spawn(async move {
            let mut calls = Vec::new();
            loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some(batch) = next else {
                    return anyhow::Ok(calls);
                };
                let events = batch.events.len();
                let sent = Instant::now();
                let acknowledged = client.register(batch).await?.into_inner().acknowledged;
                let latency = sent.elapsed();
                anyhow::ensure!(
                    acknowledged.len() == events,
                    "{events} events sent, {} acknowledged",
                    acknowledged.len()
                );
                let finished = started.elapsed();
                calls.push(Call {
                    finished,
                    latency,
                    events,
                });
                let before = done.fetch_add(events, Ordering::Relaxed);
                let tenth = |n: usize| n * 10 / total;
                if tenth(before + events) > tenth(before) {
                    println!(
                        "registered {:>9} in {:>7.1} s",
                        before + events,
                        finished.as_secs_f64()
                    );
                }
            }
        });
    }
    let mut calls = Vec::new();
    while let Some(worker) = workers.join_next().await {
        calls.extend(worker??);
    }
    calls.sort_by_key(|c| c.finished);
    Ok(Load {
        elapsed: started.elapsed(),
        calls,
    })
}

/// Locate latencies, and how many registrations the located persons have:
/// as the locator linked them, and in truth.
pub(super) struct Located {
    pub(super) latencies: Vec<Duration>,
    pub(super) locations: usize,
    pub(super) true_locations: usize,
}

/// Locate `count` random registrations, one call at a time, after a short
/// untimed warm-up (the connection's handshake).
pub(super) async fn locate(
    mut client: DirectoryClient<
        tonic::service::interceptor::InterceptedService<tonic::transport::Channel, CallCredentials>,
    >,
    keys: &[(String, String)],
    true_sizes: &[usize],
    count: usize,
    seed: u64,
) -> anyhow::Result<Located> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut latencies = Vec::with_capacity(count);
    let (mut locations, mut true_locations) = (0, 0);
    for i in 0..count + 20 {
        let pick = rng.random_range(0..keys.len());
        let (tenant, local_id) = &keys[pick];
        let started = Instant::now();
        let located = client
            .locate_patient(LocatePatientRequest {
                tenant: tenant.clone(),
                local_id: local_id.clone(),
            })
            .await
            .with_context(|| format!("locating {local_id} at {tenant}"))?
            .into_inner();
        if i >= 20 {
            latencies.push(started.elapsed());
            locations += located.locations.len();
            true_locations += true_sizes[pick];
        }
    }
    latencies.sort();
    Ok(Located {
        latencies,
        locations,
        true_locations,
    })
}
