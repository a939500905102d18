//! The timed phases: fetches through the requesting node's clinical API
//! (`FetchOutsideRecords`, purpose TREAT), each answer checked against what
//! the holding tenants store. A wrong answer counts as an error, like a
//! failed call.

use std::time::{Duration, Instant};

use continuum_proto::locator::v1::{FetchRecordsResponse, SourceOutcome};
use continuum_proto::node::v1::{AuthorizedClinicalClient, FetchOutsideRecordsRequest};

use super::network::Node;

/// What every answer must hold.
#[derive(Debug, Clone)]
pub(super) struct Expect {
    /// The holding tenants, each asked and named.
    pub(super) holding: Vec<String>,
    /// Resources each holding tenant releases (its chart and the Patient).
    pub(super) per_source: u32,
    /// The tenant whose node is hung: it must be reported TIMED_OUT.
    pub(super) hung: Option<String>,
}

/// One checked fetch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    /// At the client, call to answer.
    pub(super) end_to_end: Duration,
    /// The largest `elapsed_ms` of a source, as the locator reports it
    /// (whole milliseconds, truncated).
    pub(super) slowest_ms: u32,
    pub(super) resources: usize,
    /// Bytes of resource JSON in the answer.
    pub(super) json_bytes: usize,
}

impl Sample {
    /// End to end minus the slowest source: the broker's (and the
    /// requesting node's) own time. The source's time is truncated to whole
    /// milliseconds, so this overstates by less than 1 ms.
    pub(super) fn overhead(&self) -> Duration {
        self.end_to_end
            .saturating_sub(Duration::from_millis(self.slowest_ms.into()))
    }
}

/// The fetches of one phase.
#[derive(Debug, Default)]
pub(super) struct Run {
    pub(super) samples: Vec<Sample>,
    pub(super) errors: usize,
    pub(super) first_error: Option<String>,
    pub(super) elapsed: Duration,
}

impl Run {
    fn add(&mut self, result: Result<Sample, String>) {
        match result {
            Ok(sample) => self.samples.push(sample),
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }

    fn extend(&mut self, other: Run) {
        self.samples.extend(other.samples);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// A client of the requesting node, on a connection of its own.
pub(super) struct Fetcher {
    client: AuthorizedClinicalClient,
    patient: String,
}

impl Fetcher {
    pub(super) async fn connect(node: &Node, patient: &str) -> anyhow::Result<Fetcher> {
        Ok(Fetcher {
            client: node.clinician().await?,
            patient: patient.to_owned(),
        })
    }

    /// One fetch, timed and checked.
    pub(super) async fn fetch(&mut self, expect: &Expect) -> Result<Sample, String> {
        let started = Instant::now();
        let response = self
            .client
            .fetch_outside_records(FetchOutsideRecordsRequest {
                patient_id: self.patient.clone(),
                purpose: "TREAT".into(),
                ..Default::default()
            })
            .await
            .map_err(|s| format!("{}: {}", s.code(), s.message()))?
            .into_inner();
        let end_to_end = started.elapsed();
        check(&response, expect)?;
        Ok(Sample {
            end_to_end,
            slowest_ms: response
                .sources
                .iter()
                .map(|s| s.elapsed_ms)
                .max()
                .unwrap_or(0),
            resources: response.resources.len(),
            json_bytes: response
                .resources
                .iter()
                .map(|r| r.resource_json.len())
                .sum(),
        })
    }

    /// `count` fetches one after the other.
    pub(super) async fn sequential(&mut self, expect: &Expect, count: usize) -> Run {
        let started = Instant::now();
        let mut run = Run::default();
        for _ in 0..count {
            run.add(self.fetch(expect).await);
        }
        run.elapsed = started.elapsed();
        run
    }
}

/// Every source asked, each with its whole chart (or, for the hung one,
/// TIMED_OUT and nothing), and every resource in the answer.
fn check(response: &FetchRecordsResponse, expect: &Expect) -> Result<(), String> {
    let mut tenants: Vec<&str> = response.sources.iter().map(|s| s.tenant.as_str()).collect();
    tenants.sort_unstable();
    if tenants
        != expect
            .holding
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    {
        return Err(format!(
            "sources {tenants:?}, expected {:?}",
            expect.holding
        ));
    }
    let mut complete = 0;
    for source in &response.sources {
        let hung = expect.hung.as_deref() == Some(source.tenant.as_str());
        let (outcome, resources) = if hung {
            (SourceOutcome::TimedOut, 0)
        } else {
            (SourceOutcome::Complete, expect.per_source)
        };
        if source.outcome != outcome as i32 || source.resources != resources {
            return Err(format!(
                "{}: outcome {:?} with {} resources ({}), expected {outcome:?} with {resources}",
                source.tenant,
                source.outcome(),
                source.resources,
                source.detail
            ));
        }
        complete += usize::from(!hung);
    }
    let expected = complete * expect.per_source as usize;
    if response.resources.len() != expected {
        return Err(format!(
            "{} resources in the answer, expected {expected}",
            response.resources.len()
        ));
    }
    Ok(())
}

/// `clients` fetchers, each on its own connection and one call at a time,
/// fetching for `seconds`.
pub(super) async fn concurrent(
    node: &Node,
    patient: &str,
    expect: &Expect,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Run> {
    let mut fetchers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut fetcher = Fetcher::connect(node, patient).await?;
        // The connection is up and the node's path warm before the clock starts.
        fetcher.fetch(expect).await.map_err(anyhow::Error::msg)?;
        fetchers.push(fetcher);
    }
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for mut fetcher in fetchers {
        let expect = expect.clone();
        tasks.spawn(async move {
            let mut run = Run::default();
            while Instant::now() < end {
                run.add(fetcher.fetch(&expect).await);
            }
            run
        });
    }
    let mut run = Run::default();
    while let Some(part) = tasks.join_next().await {
        run.extend(part?);
    }
    run.elapsed = started.elapsed();
    Ok(run)
}
