//! The token benchmark: what verifying a bearer access token costs a node
//! on every clinical call, once the provider's keys are cached.
//!
//! In process, on one thread: a development identity provider signs real
//! tokens (RS256 with a 2048-bit key, the common choice of deployed
//! providers, and ES256), a [`TokenVerifier`] discovers it over HTTP and
//! caches its keys, then each token is verified `--verifications` times:
//! header, key lookup, signature, issuer, audience, expiry, not-before and
//! the claim mapping, as the node does it.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use continuum_identity::dev_provider::{DevProvider, SigningAlgorithm, request_token};
use continuum_identity::{Mode, ProviderConfig, Role, TokenVerifier};

use crate::stats::{cores, percentile};

const AUDIENCE: &str = "urn:continuum:bench";
/// The goal for one verification with cached keys.
const GOAL: Duration = Duration::from_micros(50);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Verifications timed one by one, per algorithm.
    #[arg(long, default_value_t = 20_000)]
    pub verifications: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "Token verification with cached keys, one thread ({} cores, {} verifications per algorithm)\n",
        cores(),
        args.verifications
    );
    println!("| algorithm | p50 | p99 | p99.9 | verifications/s | goal ≤ 50 µs (p99) |");
    println!("|---|---|---|---|---|---|");
    for (name, alg) in [
        ("RS256", SigningAlgorithm::Rs256),
        ("ES256", SigningAlgorithm::Es256),
    ] {
        let idp = DevProvider::start_with("127.0.0.1:0".parse()?, alg).await?;
        let roles = BTreeMap::from([("physician".to_owned(), vec![Role::Clinician])]);
        let verifier = TokenVerifier::new(
            ProviderConfig::new(idp.issuer(), AUDIENCE, roles),
            Mode::Development,
        )?;
        let token = request_token(idp.issuer(), "dr-ana-lee", AUDIENCE).await?;
        // Discovery and the key set are fetched by the first verification.
        verifier.verify(&token).await?;

        let mut samples = Vec::with_capacity(args.verifications);
        let all = Instant::now();
        for _ in 0..args.verifications {
            let started = Instant::now();
            black_box(verifier.verify(black_box(&token)).await?);
            samples.push(started.elapsed());
        }
        let per_second = args.verifications as f64 / all.elapsed().as_secs_f64();
        samples.sort_unstable();
        let p99 = percentile(&samples, 99.0);
        println!(
            "| {name} | {:.1} µs | {:.1} µs | {:.1} µs | {per_second:.0} | {} |",
            micros(percentile(&samples, 50.0)),
            micros(p99),
            micros(percentile(&samples, 99.9)),
            if p99 <= GOAL { "met" } else { "MISSED" }
        );
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
