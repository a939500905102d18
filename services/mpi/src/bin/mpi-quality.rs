//! The MPI quality harness: generates a labelled test set, registers it
//! through `MatchIndex` in a shuffled order, and prints a markdown report
//! of auto-link precision and recall, review routing, false links by
//! scenario and throughput, with configured and EM-estimated weights.
//!
//! `cargo run --release -p continuum-mpi --bin mpi-quality -- --persons 10000 [--seed 1] [--no-em]
//! [--auto-link T] [--review T] [--show-misses N] [--show-false-links N]` (threshold flags
//! are for tuning experiments; `--show-*` print up to N diagnosed pairs of the configured run,
//! values included, which is only acceptable because the data are generated)

use std::process::ExitCode;
use std::time::Instant;

use continuum_mpi::em::{self, EmSettings};
use continuum_mpi::testset::diagnose::{self, PairDiagnosis};
use continuum_mpi::testset::{self, QualityReport, Registrations, Scenario, TestSet};
use continuum_mpi::{Field, Level, MatchConfig, NormalizedRecord};

#[derive(Debug)]
struct Args {
    persons: usize,
    seed: u64,
    em: bool,
    auto_link: Option<f64>,
    review: Option<f64>,
    show_misses: usize,
    show_false_links: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        persons: 10_000,
        seed: 1,
        em: true,
        auto_link: None,
        review: None,
        show_misses: 0,
        show_false_links: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--persons" => {
                args.persons = value("--persons")?
                    .parse()
                    .map_err(|e| format!("--persons: {e}"))?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--no-em" => args.em = false,
            "--auto-link" => {
                args.auto_link = Some(
                    value("--auto-link")?
                        .parse()
                        .map_err(|e| format!("--auto-link: {e}"))?,
                )
            }
            "--review" => {
                args.review = Some(
                    value("--review")?
                        .parse()
                        .map_err(|e| format!("--review: {e}"))?,
                )
            }
            "--show-misses" => {
                args.show_misses = value("--show-misses")?
                    .parse()
                    .map_err(|e| format!("--show-misses: {e}"))?
            }
            "--show-false-links" => {
                args.show_false_links = value("--show-false-links")?
                    .parse()
                    .map_err(|e| format!("--show-false-links: {e}"))?
            }
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: mpi-quality --persons N [--seed S] [--no-em] \
                     [--auto-link T] [--review T] [--show-misses N] [--show-false-links N]"
                ));
            }
        }
    }
    Ok(args)
}

/// One measured configuration.
struct Row {
    name: &'static str,
    report: QualityReport,
    seconds: f64,
}

/// Registers the test set under `config` and measures it; the
/// registrations are returned for diagnostics.
fn run(set: &TestSet, name: &'static str, config: MatchConfig, seed: u64) -> (Row, Registrations) {
    let started = Instant::now();
    let registrations = testset::register_all(set, config, seed);
    let seconds = started.elapsed().as_secs_f64();
    let row = Row {
        name,
        report: testset::evaluate(set, &registrations),
        seconds,
    };
    (row, registrations)
}

/// Prints up to `limit` diagnosed pairs: decision, per-field levels and
/// weights, guards, and both records.
fn print_diagnoses(title: &str, set: &TestSet, pairs: &[PairDiagnosis], limit: usize) {
    println!(
        "### {title}: {} (showing {})\n",
        pairs.len(),
        limit.min(pairs.len())
    );
    for d in pairs.iter().take(limit) {
        let e = &d.pair.explanation;
        let fields: Vec<String> = e
            .fields
            .iter()
            .filter(|f| f.level != Level::Missing)
            .map(|f| format!("{:?}={:?}({:+.1})", f.field, f.level, f.weight))
            .collect();
        let describe = |i: usize| {
            diagnose::describe(&NormalizedRecord::from_demographics(
                &set.records[i].demographics,
            ))
        };
        println!(
            "- decided {:?} at {:.1}; pair {:.1} ({:?}{}) guards {:?}{}\n  {}\n  new:     {}\n  earlier: {}",
            d.band,
            d.score,
            d.pair.score,
            d.pair.band,
            if e.identifier_rule { ", id rule" } else { "" },
            e.guards,
            if d.shares_block {
                ""
            } else {
                " NOT BLOCKED TOGETHER"
            },
            fields.join(" "),
            describe(d.record),
            describe(d.other),
        );
    }
    println!();
}

fn print_table(rows: &[Row]) {
    let header: Vec<&str> = rows.iter().map(|r| r.name).collect();
    println!("| metric | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(rows.len()));
    let line = |label: &str, f: &dyn Fn(&Row) -> String| {
        let cells: Vec<String> = rows.iter().map(f).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    let false_links = |r: &Row, s: Scenario| r.report.false_links.get(&s).copied().unwrap_or(0);
    line("auto-link precision (pairwise)", &|r| {
        format!("{:.5}", r.report.precision)
    });
    line("auto-link recall (pairwise)", &|r| {
        format!("{:.5}", r.report.recall)
    });
    line("auto-link F1", &|r| format!("{:.5}", r.report.f1));
    line("pairs linked / true / correct", &|r| {
        let q = &r.report;
        format!(
            "{} / {} / {}",
            q.linked_pairs, q.true_pairs, q.correct_pairs
        )
    });
    line("records with an earlier true match", &|r| {
        r.report.matchable.to_string()
    });
    line("… auto-linked", &|r| {
        r.report.matchable_linked.to_string()
    });
    line("… in review (true person listed)", &|r| {
        r.report.matchable_in_review.to_string()
    });
    line("… missed (new person)", &|r| {
        r.report.matchable_missed.to_string()
    });
    line("review decisions (without a true match)", &|r| {
        format!(
            "{} ({})",
            r.report.review_decisions, r.report.review_without_match
        )
    });
    line("false auto-links: twins", &|r| {
        false_links(r, Scenario::Twins).to_string()
    });
    line("false auto-links: Jr/Sr", &|r| {
        false_links(r, Scenario::ParentChild).to_string()
    });
    line("false auto-links: shared id", &|r| {
        false_links(r, Scenario::SharedIdentifier).to_string()
    });
    line("false auto-links: other", &|r| {
        false_links(r, Scenario::Other).to_string()
    });
    line("registrations/s", &|r| {
        format!("{:.0}", r.report.records as f64 / r.seconds)
    });
    line("comparisons per registration", &|r| {
        format!("{:.1}", r.report.comparisons_per_registration)
    });
    line("oversized blocks skipped", &|r| {
        r.report.oversized_blocks_skipped.to_string()
    });
    line("estimated index bytes per record", &|r| {
        format!("{:.0}", r.report.estimated_bytes_per_record)
    });
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let set = testset::generate(args.persons, args.seed);
    println!(
        "## MPI quality: {} persons, {} records, seed {}\n",
        set.persons,
        set.records.len(),
        args.seed
    );
    println!(
        "generated in {:.1}s; hard negatives: {} twin pairs, {} Jr/Sr pairs, {} shared-id pairs\n",
        started.elapsed().as_secs_f64(),
        set.relations
            .values()
            .filter(|s| **s == Scenario::Twins)
            .count(),
        set.relations
            .values()
            .filter(|s| **s == Scenario::ParentChild)
            .count(),
        set.relations
            .values()
            .filter(|s| **s == Scenario::SharedIdentifier)
            .count(),
    );

    let mut config = MatchConfig::default();
    config.auto_link_threshold = args.auto_link.unwrap_or(config.auto_link_threshold);
    config.review_threshold = args.review.unwrap_or(config.review_threshold);
    if let Err(e) = config.validate() {
        eprintln!("invalid configuration: {e}");
        return ExitCode::from(2);
    }
    let (row, registrations) = run(&set, "configured m/u", config.clone(), args.seed);
    let mut rows = vec![row];
    if args.show_misses > 0 {
        let misses = diagnose::misses(&set, &registrations);
        print_diagnoses(
            "true matches not auto-linked",
            &set,
            &misses,
            args.show_misses,
        );
    }
    if args.show_false_links > 0 {
        let false_links = diagnose::false_links(&set, &registrations);
        print_diagnoses(
            "false auto-links",
            &set,
            &false_links,
            args.show_false_links,
        );
    }
    drop(registrations);

    if args.em {
        let em_started = Instant::now();
        let pairs = testset::candidate_pair_comparisons(&set, &config);
        let estimate = em::estimate(&pairs, &config.weights, EmSettings::default());
        println!(
            "EM: {} candidate pairs, {} iterations (converged: {}), match share {:.4}, {:.1}s\n",
            pairs.len(),
            estimate.iterations,
            estimate.converged,
            estimate.match_share,
            em_started.elapsed().as_secs_f64()
        );
        println!("| field | exact (cfg / EM) | close | partial | disagree |");
        println!("|---|---|---|---|---|");
        for field in Field::ALL {
            let cell = |level| {
                format!(
                    "{:.1} / {:.1}",
                    config.weights.weight(field, level),
                    estimate.weights.weight(field, level)
                )
            };
            println!(
                "| {field:?} | {} | {} | {} | {} |",
                cell(Level::Exact),
                cell(Level::Close),
                cell(Level::Partial),
                cell(Level::Disagree)
            );
        }
        println!();
        let em_config = MatchConfig {
            weights: estimate.weights,
            ..config
        };
        rows.push(run(&set, "EM-estimated m/u", em_config, args.seed).0);
    }

    print_table(&rows);
    println!("\ntotal wall time {:.1}s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}
