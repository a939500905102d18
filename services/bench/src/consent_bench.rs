//! The consent benchmark: what the decision costs the locator on every
//! fetch, and what checking each resource against a grant costs the node.
//!
//! In-process and single-threaded. The workload is made before the clock
//! starts, from a seed: patients with 3-6 directive versions of 1-4
//! provisions each (old versions revoked), a network policy shielding ETH,
//! five holding organizations (a substance-use program among them) and
//! requests from each of them for treatment, payment, research and
//! break-the-glass emergencies. One decision is [`decide`] for one holding
//! organization, which includes [`Grant::allows_anything`].

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use continuum_consent::{
    Decision, Directive, Effect, Grant, LabelSet, NetworkPolicy, Period, Provision, Purpose,
    Request, decide,
};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::stats::{cores, percentile};

/// The holding organizations, with the labels all their records carry.
const HOLDINGS: [(&str, &[&str]); 5] = [
    ("city-hospital", &[]),
    ("family-clinic", &[]),
    ("regional-lab", &[]),
    ("recovery-center", &["ETH"]),
    ("behavioral-health", &["PSY"]),
];
const REQUESTERS: [&str; 6] = [
    "city-hospital",
    "family-clinic",
    "regional-lab",
    "recovery-center",
    "behavioral-health",
    "acme-insurance",
];
const TYPES: [&str; 8] = [
    "Observation",
    "Condition",
    "MedicationRequest",
    "Encounter",
    "DiagnosticReport",
    "Procedure",
    "AllergyIntolerance",
    "Immunization",
];
const LABELS: [&str; 6] = ["ETH", "PSY", "HIV", "GDIS", "SDV", "SEX"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Decisions timed one by one (latency) and again in a loop (throughput).
    #[arg(long, default_value_t = 1_000_000)]
    pub decisions: usize,
    /// Distinct patients the decisions rotate over.
    #[arg(long, default_value_t = 1000)]
    pub patients: usize,
    /// Seed of the workload.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.decisions > 0, "--decisions must be at least 1");
    anyhow::ensure!(args.patients > 0, "--patients must be at least 1");
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let now = instant(2025, 6, 15);
    let patients: Vec<Vec<Directive>> = (0..args.patients)
        .map(|p| patient(&mut rng, p, now))
        .collect();
    let requests: Vec<Request<'static>> = (0..64).map(|_| request(&mut rng, now)).collect();
    let policy = NetworkPolicy::default();
    let holdings: Vec<(&str, LabelSet)> = HOLDINGS
        .iter()
        .map(|(tenant, labels)| Ok((*tenant, LabelSet::parse(*labels)?)))
        .collect::<anyhow::Result<_>>()?;
    let directives: usize = patients.iter().map(Vec::len).sum();
    let provisions: usize = patients.iter().flatten().map(|d| d.provisions.len()).sum();
    println!(
        "machine: {} cores ({}); one thread; {} patients, {:.1} directive versions \
         and {:.1} provisions each; {} holding organizations; policy: opt-out, ETH shielded",
        cores(),
        std::env::consts::ARCH,
        args.patients,
        directives as f64 / args.patients as f64,
        provisions as f64 / args.patients as f64,
        holdings.len(),
    );

    // The i-th decision: patient, request and holding organization vary
    // independently (coprime strides).
    let inputs = |i: usize| {
        let (tenant, labels) = holdings[i % holdings.len()];
        (
            &patients[(i / holdings.len()) % patients.len()],
            &requests[(i * 7 + i / 13) % requests.len()],
            tenant,
            labels,
        )
    };
    let one = |i: usize| {
        let (directives, request, tenant, labels) = inputs(i);
        decide(directives, &policy, request, tenant, labels)
    };

    // Warm up, and count what the workload decides.
    let mut permitted = 0usize;
    let mut clauses = 0usize;
    let mut grants: Vec<Grant> = Vec::new();
    for i in 0..args.decisions.min(100_000) {
        let decision: Decision = one(i);
        permitted += usize::from(decision.permitted);
        clauses += decision.grant.clauses.len();
        if grants.len() < 1000 {
            grants.push(decision.grant);
        }
    }
    let warmed = args.decisions.min(100_000);

    let mut latencies = Vec::with_capacity(args.decisions);
    for i in 0..args.decisions {
        let started = Instant::now();
        let decision = black_box(one(black_box(i)));
        latencies.push(started.elapsed());
        drop(decision);
    }
    latencies.sort_unstable();

    let started = Instant::now();
    for i in 0..args.decisions {
        black_box(one(black_box(i)));
    }
    let elapsed = started.elapsed();

    println!(
        "workload: {:.0}% of decisions permit, {:.1} applicable clauses per decision",
        100.0 * permitted as f64 / warmed as f64,
        clauses as f64 / warmed as f64,
    );
    println!();
    println!("| measure | count | p50 µs | p99 µs | p99.9 µs | max µs | per second, one core |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| decide, one holding organization | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} |",
        args.decisions,
        us(percentile(&latencies, 0.50)),
        us(percentile(&latencies, 0.99)),
        us(percentile(&latencies, 0.999)),
        us(latencies.last().copied().unwrap_or_default()),
        args.decisions as f64 / elapsed.as_secs_f64(),
    );

    // Per resource: a grant checked against (type, labels), and against a
    // typical JSON resource (which is read for labels first).
    let items: Vec<(&str, LabelSet)> = (0..4096)
        .map(|_| {
            let labels = if rng.random_bool(0.1) {
                LabelSet::parse(LABELS.choose(&mut rng).into_iter().copied())
            } else {
                Ok(LabelSet::EMPTY)
            };
            Ok((*TYPES.choose(&mut rng).unwrap_or(&TYPES[0]), labels?))
        })
        .collect::<anyhow::Result<_>>()?;
    let checks = args.decisions * 10;
    let per_resource = per_call(checks, |i| {
        let (resource_type, labels) = items[i % items.len()];
        grants[i % grants.len()].allows(resource_type, labels)
    });
    print_per_call("Grant::allows, one resource", checks, per_resource);

    let resources = [observation(false), observation(true)];
    let json_checks = args.decisions;
    let per_json = per_call(json_checks, |i| {
        grants[i % grants.len()].allows_resource(&resources[i % 2])
    });
    print_per_call(
        "Grant::allows_resource, one Observation (JSON)",
        json_checks,
        per_json,
    );

    let p99 = percentile(&latencies, 0.99);
    let rate = args.decisions as f64 / elapsed.as_secs_f64();
    println!();
    println!(
        "goals: p99 ≤ 20 µs ({}: {:.2} µs); ≥ 100,000 decisions/s per core ({}: {:.0}/s)",
        if p99 <= Duration::from_micros(20) {
            "met"
        } else {
            "MISSED"
        },
        us(p99),
        if rate >= 100_000.0 { "met" } else { "MISSED" },
        rate,
    );
    Ok(())
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Average time of `f` over `calls` calls in one loop.
fn per_call(calls: usize, f: impl Fn(usize) -> bool) -> Duration {
    let started = Instant::now();
    let mut allowed = 0usize;
    for i in 0..calls {
        allowed += usize::from(black_box(f(black_box(i))));
    }
    black_box(allowed);
    started.elapsed() / u32::try_from(calls).unwrap_or(u32::MAX)
}

fn print_per_call(label: &str, calls: usize, each: Duration) {
    println!(
        "| {label} | {calls} | {:.3} (mean) | | | | {:.0} |",
        us(each),
        1.0 / each.as_secs_f64().max(f64::MIN_POSITIVE),
    );
}

fn instant(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One patient's directive versions: a few Consents, each with its older
/// versions revoked, with the provisions patients write.
fn patient(rng: &mut ChaCha8Rng, index: usize, now: DateTime<Utc>) -> Vec<Directive> {
    let count = rng.random_range(3..=6);
    (0..count)
        .map(|d| {
            let consent = d / 2;
            let latest = d + 1 == count || d % 2 == 1;
            let provisions = (0..rng.random_range(1..=4))
                .map(|p| provision(rng, p, now))
                .collect();
            Directive {
                id: format!("family-clinic/consent-{index}-{consent}"),
                version: (d % 2 + 1) as u64,
                active: latest,
                provisions,
            }
        })
        .collect()
}

/// One provision, of the kinds patients write: the first opens the
/// record (within a period, sometimes), the others withhold a category, a
/// recipient or a purpose, or lift the shield of a category for chosen
/// recipients.
fn provision(rng: &mut ChaCha8Rng, index: usize, now: DateTime<Utc>) -> Provision {
    let pick = |rng: &mut ChaCha8Rng, from: &[&str], most: usize| -> Vec<String> {
        let n = rng.random_range(1..=most);
        from.choose_multiple(rng, n)
            .map(|s| s.to_string())
            .collect()
    };
    let mut provision = Provision {
        effect: Effect::Deny,
        period: Period::default(),
        recipients: vec![],
        custodians: vec![],
        purposes: vec![],
        resource_types: vec![],
        labels: LabelSet::EMPTY,
        path: match index {
            0 => "provision".to_owned(),
            i => format!("provision.provision[{}]", i - 1),
        },
    };
    if rng.random_bool(0.2) {
        provision.period = Period {
            start: Some(now - chrono::Duration::days(rng.random_range(1..700))),
            end: rng
                .random_bool(0.5)
                .then(|| now + chrono::Duration::days(rng.random_range(-30..365))),
        };
    }
    let kind = if index == 0 {
        0
    } else {
        rng.random_range(1..=20)
    };
    match kind {
        0 => {
            provision.effect = Effect::Permit;
            if rng.random_bool(0.2) {
                provision.custodians = pick(rng, &HOLDINGS.map(|(t, _)| t), 3);
            }
        }
        // Withhold one or two categories, from everyone or some recipients.
        1..=9 => {
            provision.labels = LabelSet::parse(pick(rng, &LABELS, 2)).unwrap_or_default();
            if rng.random_bool(0.4) {
                provision.recipients = pick(rng, &REQUESTERS, 2);
            }
            if rng.random_bool(0.2) {
                provision.resource_types = pick(rng, &TYPES, 3);
            }
        }
        // Withhold everything from one recipient.
        10..=12 => provision.recipients = pick(rng, &REQUESTERS, 1),
        // Withhold everything for payment or research.
        13..=15 => {
            provision.purposes = vec![
                *[Purpose::Hpaymt, Purpose::Hresch]
                    .choose(rng)
                    .unwrap_or(&Purpose::Hresch),
            ]
        }
        // Release a shielded category to chosen recipients for treatment.
        _ => {
            provision.effect = Effect::Permit;
            provision.labels = LabelSet::parse(["ETH"]).unwrap_or_default();
            provision.recipients = pick(rng, &REQUESTERS, 2);
            provision.purposes = vec![Purpose::Treat, Purpose::Etreat];
        }
    }
    provision
}

fn request(rng: &mut ChaCha8Rng, now: DateTime<Utc>) -> Request<'static> {
    let emergency = rng.random_bool(0.05);
    Request {
        requester: REQUESTERS.choose(rng).copied().unwrap_or(REQUESTERS[0]),
        role: if emergency {
            "emergency-access"
        } else {
            "clinician"
        },
        purpose: if emergency {
            Purpose::Etreat
        } else {
            *[
                Purpose::Treat,
                Purpose::Treat,
                Purpose::Treat,
                Purpose::Hpaymt,
                Purpose::Hresch,
            ]
            .choose(rng)
            .unwrap_or(&Purpose::Treat)
        },
        at: now,
        break_glass: emergency,
    }
}

/// A lab result as a node stores it: coded, with its labels (if any) in
/// `meta.security`.
fn observation(hiv: bool) -> Value {
    let mut security = vec![];
    if hiv {
        security.push(json!({
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"}));
        security.push(json!({
            "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}));
    }
    json!({
        "resourceType": "Observation",
        "id": "obs-1",
        "meta": {"lastUpdated": "2025-06-01T10:00:00Z", "security": security},
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7",
                             "display": "Glucose [Mass/volume] in Serum or Plasma"}],
                 "text": "Glucose"},
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2025-06-01T08:30:00Z",
        "issued": "2025-06-01T09:45:00Z",
        "valueQuantity": {"value": 95, "unit": "mg/dL",
                          "system": "http://unitsofmeasure.org", "code": "mg/dL"},
        "interpretation": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "N"}]}],
        "referenceRange": [{"low": {"value": 70, "unit": "mg/dL"},
                            "high": {"value": 99, "unit": "mg/dL"}}]
    })
}
