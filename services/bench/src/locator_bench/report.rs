//! The benchmark's results as a markdown table, with the goals they meet or
//! miss.

use super::process::Usage;
use super::timed::{Load, Located};
use super::{Args, LOCATE_P99_GOAL_MS, REGISTRATIONS_GOAL};
use crate::stats::{cores, ms, percentile};

pub(super) struct Report<'a> {
    pub(super) command: String,
    pub(super) registrations: usize,
    pub(super) persons: usize,
    pub(super) args: &'a Args,
    pub(super) database: String,
    pub(super) load: Load,
    pub(super) idle: Usage,
    pub(super) loaded: Usage,
    pub(super) located: Located,
    pub(super) after: Usage,
    pub(super) database_bytes: u64,
}

impl Report<'_> {
    pub(super) fn print(&self) {
        let mib = |kib: u64| kib as f64 / 1024.0;
        let (load, located) = (&self.load, &self.located);
        let whole = load.total() as f64 / load.elapsed.as_secs_f64();
        let sustained = load.rate_between(0.8, 1.0);
        let tenths: Vec<String> = (0..10)
            .map(|i| {
                format!(
                    "{:.0}",
                    load.rate_between(i as f64 / 10.0, (i + 1) as f64 / 10.0)
                )
            })
            .collect();
        let calls = load.latencies();
        let locates = &located.latencies;
        let load_cpu = self.loaded.cpu_secs - self.idle.cpu_secs;
        let met = |ok: bool| if ok { "met" } else { "**not met**" };
        println!();
        println!(
            "machine: {} cores ({}); locator on {}, in the same machine as this client",
            cores(),
            std::env::consts::ARCH,
            self.database
        );
        println!("command: `{}`", self.command);
        println!(
            "registrations/s by tenth of the load: {}",
            tenths.join(", ")
        );
        println!();
        println!("| what | measured | goal |");
        println!("|---|---|---|");
        println!(
            "| load: {} registrations of {} persons, batches of {}, {} in flight | {:.1} s | |",
            self.registrations,
            self.persons,
            self.args.batch,
            self.args.concurrency,
            load.elapsed.as_secs_f64()
        );
        println!(
            "| registrations/s, whole load | {whole:.0} | ≥ {REGISTRATIONS_GOAL:.0}: {} |",
            met(whole >= REGISTRATIONS_GOAL)
        );
        println!(
            "| registrations/s, last 20 % (index {} → {}) | {sustained:.0} | ≥ {REGISTRATIONS_GOAL:.0}: {} |",
            self.registrations * 8 / 10,
            self.registrations,
            met(sustained >= REGISTRATIONS_GOAL)
        );
        println!(
            "| Register call ({} events) p50 / p99 / max | {:.1} / {:.1} / {:.1} ms | |",
            self.args.batch,
            ms(percentile(&calls, 0.50)),
            ms(percentile(&calls, 0.99)),
            ms(calls.last().copied().unwrap_or_default())
        );
        println!(
            "| locator CPU during the load | {load_cpu:.1} s ({:.2} cores) | |",
            load_cpu / load.elapsed.as_secs_f64()
        );
        println!(
            "| locate, {} calls one at a time, {} registrations indexed: p50 / p99 / max | {:.2} / {:.2} / {:.2} ms | p99 ≤ {LOCATE_P99_GOAL_MS:.0} ms: {} |",
            locates.len(),
            self.registrations,
            ms(percentile(locates, 0.50)),
            ms(percentile(locates, 0.99)),
            ms(locates.last().copied().unwrap_or_default()),
            met(ms(percentile(locates, 0.99)) <= LOCATE_P99_GOAL_MS)
        );
        let located_count = locates.len().max(1) as f64;
        println!(
            "| registrations of a located patient's person, mean: linked / true | {:.2} / {:.2} | |",
            located.locations as f64 / located_count,
            located.true_locations as f64 / located_count
        );
        for (label, usage) in [
            ("before loading", self.idle),
            ("after loading", self.loaded),
            ("after locates", self.after),
        ] {
            println!(
                "| locator RSS {label} (peak so far) | {:.0} MiB ({:.0} MiB) | |",
                mib(usage.rss_kib),
                mib(usage.peak_kib)
            );
        }
        println!(
            "| locator RSS per registration after loading | {:.0} bytes | |",
            (self.loaded.rss_kib.saturating_sub(self.idle.rss_kib) * 1024) as f64
                / self.registrations as f64
        );
        if self.database_bytes > 0 {
            println!(
                "| locator database on disk (with WAL) | {:.0} MiB | |",
                self.database_bytes as f64 / (1024.0 * 1024.0)
            );
        }
    }
}
