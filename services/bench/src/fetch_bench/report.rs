//! The report: the machine and command, the setup, every phase's numbers
//! with the CPU each process spent per fetch, and the goals.

use std::path::Path;
use std::time::Duration;

use super::network::CpuUse;
use super::phases::Run;
use super::{Args, HOLDING, REQUESTER};
use crate::stats::{cores, ms, percentile};

/// Goals of the brokered-fetch issue.
const E2E_P99_GOAL_MS: f64 = 50.0;
const OVERHEAD_P99_GOAL_MS: f64 = 5.0;
const THROUGHPUT_GOAL: f64 = 500.0;
const HUNG_EXTRA_GOAL_MS: f64 = 50.0;

#[derive(Default)]
pub(super) struct Report {
    command: String,
    /// /proc/loadavg when the benchmark started (other work on the machine).
    load_before: String,
    chart: usize,
    background: usize,
    warmup: usize,
    deadline_ms: u64,
    pub(super) linked: Duration,
    pub(super) load_secs: f64,
    pub(super) background_resources: usize,
    pub(super) background_secs: f64,
    pub(super) warmup_errors: usize,
    pub(super) latency: Run,
    pub(super) latency_cpu: CpuUse,
    pub(super) throughput: Vec<(usize, Run, CpuUse)>,
    pub(super) hung: Run,
    /// An error of the first fetch after the hung node resumed.
    pub(super) after_thaw: Option<String>,
}

impl Report {
    pub(super) fn new(args: &Args) -> Report {
        Report {
            command: command_line(),
            load_before: std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            chart: args.chart,
            background: args.background,
            warmup: args.warmup,
            deadline_ms: args.deadline_ms,
            ..Report::default()
        }
    }

    pub(super) fn print(&self) {
        let per_answer = 3 * (self.chart + 1);
        let bytes = self.latency.samples.first().map_or(0, |s| s.json_bytes);
        println!("\n# continuum-bench fetch: brokered fetch of one patient's outside records\n");
        println!(
            "machine: {} cores (nproc), {}; load average before the run: {}",
            cores(),
            cpu_model(),
            self.load_before
        );
        println!("command: {}", self.command);
        println!(
            "network: 1 locator (SQLite, fetch_deadline_millis = {}, fetch_concurrency_per_node = 32 \
             by default) and 4 nodes ({} holding, `{REQUESTER}` requesting), one tenant each, separate \
             processes on loopback; locator <-> nodes over mutual TLS, client -> {REQUESTER} plaintext gRPC",
            self.deadline_ms,
            HOLDING.join(", ")
        );
        println!(
            "data: one person at all 4 tenants (the index linked it; waited {:.1} s after loading); {} \
             resources released per clinic ({} + the Patient) = {per_answer} per answer, {:.0} KiB of \
             resource JSON; background: {} synthetic patients per node ({} resources on 4 nodes, \
             imported in {:.1} s); all loaded in {:.1} s",
            self.linked.as_secs_f64(),
            self.chart + 1,
            self.chart,
            bytes as f64 / 1024.0,
            self.background,
            self.background_resources,
            self.background_secs,
            self.load_secs,
        );

        let run = &self.latency;
        println!(
            "\n## latency: 1 client, {} sequential fetches after {} warm-up ({} warm-up errors)\n",
            run.samples.len() + run.errors,
            self.warmup,
            self.warmup_errors
        );
        println!("| ms | p50 | p90 | p99 | max |\n|---|---|---|---|---|");
        let e2e: Vec<Duration> = run.samples.iter().map(|s| s.end_to_end).collect();
        let slowest: Vec<Duration> = run
            .samples
            .iter()
            .map(|s| Duration::from_millis(s.slowest_ms.into()))
            .collect();
        let overhead: Vec<Duration> = run.samples.iter().map(|s| s.overhead()).collect();
        let e2e = row("end to end (client)", e2e);
        row("slowest source (elapsed_ms)", slowest);
        let overhead = row("broker overhead (estimate)", overhead);
        println!(
            "\nbroker overhead = end to end − the slowest source's `elapsed_ms` per fetch: the \
             locator's own work, the requesting node and the client hop; `elapsed_ms` is truncated \
             to whole ms, so the estimate overstates by < 1 ms"
        );
        let slow = run
            .samples
            .iter()
            .filter(|s| ms(s.end_to_end) > E2E_P99_GOAL_MS);
        let slow_sources = slow
            .clone()
            .filter(|s| f64::from(s.slowest_ms) > E2E_P99_GOAL_MS);
        println!(
            "fetches over {E2E_P99_GOAL_MS} ms end to end: {} ({} of them with a source over {E2E_P99_GOAL_MS} ms)",
            slow.count(),
            slow_sources.count()
        );
        println!("{}", answers(run, per_answer));
        println!("{}", cpu_line(&self.latency_cpu, run));

        println!(
            "\n## throughput: concurrent clients (one connection each), one fetch at a time\n"
        );
        println!("| clients | seconds | fetches | fetches/s | errors | p50 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|---|---|---|");
        let mut best = 0.0_f64;
        for (clients, run, _) in &self.throughput {
            let mut e2e: Vec<Duration> = run.samples.iter().map(|s| s.end_to_end).collect();
            e2e.sort();
            let rate = run.samples.len() as f64 / run.elapsed.as_secs_f64();
            if run.errors == 0 {
                best = best.max(rate);
            }
            println!(
                "| {clients} | {:.1} | {} | {rate:.0} | {} | {:.1} | {:.1} | {:.1} |",
                run.elapsed.as_secs_f64(),
                run.samples.len(),
                run.errors,
                ms(percentile(&e2e, 0.50)),
                ms(percentile(&e2e, 0.99)),
                ms(e2e.last().copied().unwrap_or_default()),
            );
        }
        for (clients, run, cpu) in &self.throughput {
            println!("{clients} clients: {}", cpu_line(cpu, run));
            if let Some(error) = &run.first_error {
                println!("{clients} clients: first error: {error}");
            }
        }

        let run = &self.hung;
        let mut hung: Vec<Duration> = run.samples.iter().map(|s| s.end_to_end).collect();
        hung.sort();
        let max = ms(hung.last().copied().unwrap_or_default());
        let extra = max - self.deadline_ms as f64;
        println!(
            "\n## hung node: `{}` stopped (SIGSTOP), {} sequential fetches, deadline {} ms\n",
            HOLDING[0],
            run.samples.len() + run.errors,
            self.deadline_ms
        );
        println!(
            "answers with `{}` TIMED_OUT and the other 2 complete: {} of {}; latency p50 {:.1} ms, \
             max {max:.1} ms; max − deadline = {extra:.1} ms",
            HOLDING[0],
            run.samples.len(),
            run.samples.len() + run.errors,
            ms(percentile(&hung, 0.50)),
        );
        if let Some(error) = &run.first_error {
            println!("first wrong answer: {error}");
        }
        match &self.after_thaw {
            None => println!("after SIGCONT: the next fetch was complete from all 3 sources"),
            Some(error) => println!("after SIGCONT: the next fetch was wrong: {error}"),
        }

        println!("\n## goals\n\n| goal | measured | met |\n|---|---|---|");
        goal(
            "p99 end to end ≤ 50 ms",
            format!("{e2e:.1} ms"),
            e2e <= E2E_P99_GOAL_MS,
        );
        goal(
            "p99 broker overhead beyond the slowest node ≤ 5 ms",
            format!("{overhead:.1} ms (estimate)"),
            overhead <= OVERHEAD_P99_GOAL_MS,
        );
        let clean =
            self.throughput.iter().all(|(_, r, _)| r.errors == 0) && self.latency.errors == 0;
        goal(
            "≥ 500 fetches/s sustained, zero errors",
            format!(
                "{best:.0} fetches/s (best error-free run); errors: {}",
                if clean { "none" } else { "some" }
            ),
            best >= THROUGHPUT_GOAL && clean,
        );
        goal(
            "a hung node adds ≤ its deadline + 50 ms",
            format!("max {max:.1} ms = deadline + {extra:.1} ms"),
            extra <= HUNG_EXTRA_GOAL_MS && run.errors == 0 && !run.samples.is_empty(),
        );
    }
}

/// A row of percentiles (sorting `latencies`); the p99 in ms.
fn row(label: &str, mut latencies: Vec<Duration>) -> f64 {
    latencies.sort();
    let p = |q| ms(percentile(&latencies, q));
    println!(
        "| {label} | {:.2} | {:.2} | {:.2} | {:.2} |",
        p(0.50),
        p(0.90),
        p(0.99),
        ms(latencies.last().copied().unwrap_or_default())
    );
    p(0.99)
}

fn answers(run: &Run, per_answer: usize) -> String {
    let right = run
        .samples
        .iter()
        .filter(|s| s.resources == per_answer)
        .count();
    let mut line = format!(
        "answers: {right} with {per_answer} resources from 3 complete sources, {} errors",
        run.errors
    );
    if let Some(error) = &run.first_error {
        line.push_str(&format!(" (first: {error})"));
    }
    line
}

/// CPU milliseconds each process spent per fetch, and how busy the
/// machine's cores were.
fn cpu_line(cpu: &CpuUse, run: &Run) -> String {
    let fetches = (run.samples.len() + run.errors).max(1) as f64;
    let total: f64 = cpu.iter().map(|(_, s)| s).sum();
    let parts: Vec<String> = cpu
        .iter()
        .map(|(name, secs)| format!("{name} {:.2}", secs * 1000.0 / fetches))
        .collect();
    format!(
        "CPU ms per fetch: {} (total {:.2}); cores busy {:.0}% of {}",
        parts.join(", "),
        total * 1000.0 / fetches,
        100.0 * total / run.elapsed.as_secs_f64().max(1e-9) / cores() as f64,
        cores()
    )
}

fn goal(goal: &str, measured: String, met: bool) {
    println!(
        "| {goal} | {measured} | {} |",
        if met { "yes" } else { "**no**" }
    );
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or_else(|| "unknown CPU".to_owned(), |(_, m)| m.trim().to_owned())
}

/// How this benchmark was started, with the binary's folder left out.
fn command_line() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(binary) = args.first_mut()
        && let Some(name) = Path::new(binary.as_str()).file_name()
    {
        *binary = name.to_string_lossy().into_owned();
    }
    args.join(" ")
}
