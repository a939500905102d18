//! The token benchmark: what verifying a bearer access token costs a node
//! on every clinical call, once the provider's keys are cached.
//!
//! In process, on one thread: a development identity provider signs real
//! tokens (RS256 with a 2048-bit key, the common choice of deployed
//! providers, and ES256), a [`TokenVerifier`] discovers it over HTTP and
//! caches its keys. Then `--tokens` distinct tokens are verified once each
//! — header, key lookup, signature, issuer, audience, expiry, not-before
//! and the claim mapping, as the node does for a token it has not seen —
//! and one token `--repeats` times (the verifier remembers a verified token
//! until it expires).

use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use continuum_identity::dev_provider::{DevProvider, SigningAlgorithm, request_token};
use continuum_identity::{Identity, Mode, ProviderConfig, Role, TokenError, TokenVerifier};

use crate::stats::{cores, percentile};

const AUDIENCE: &str = "urn:continuum:bench";
/// The goal for one verification with cached keys.
const GOAL: Duration = Duration::from_micros(50);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Distinct tokens, each verified once with its signature (per algorithm).
    #[arg(long, default_value_t = 2_000)]
    pub tokens: usize,
    /// Verifications of one token already verified (per algorithm).
    #[arg(long, default_value_t = 100_000)]
    pub repeats: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "Token verification with cached provider keys, one thread ({} cores): {} distinct tokens \
         verified once each (header, key, signature, iss, aud, exp, nbf, claims), then one token \
         verified {} more times (a client repeats its token until it expires)\n",
        cores(),
        args.tokens,
        args.repeats
    );
    println!("| algorithm | token | p50 | p99 | p99.9 | verifications/s | goal ≤ 50 µs (p99) |");
    println!("|---|---|---|---|---|---|---|");
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
        let mut tokens = Vec::with_capacity(args.tokens);
        for _ in 0..args.tokens {
            tokens.push(request_token(idp.issuer(), "dr-ana-lee", AUDIENCE).await?);
        }
        // Discovery and the key set are fetched here, before the clock runs.
        verifier
            .verify(&request_token(idp.issuer(), "dr-ana-lee", AUDIENCE).await?)
            .await?;

        let (samples, per_second) = timed(&tokens, |t| verifier.verify(t)).await?;
        report(name, "new", &samples, per_second);
        let repeated = vec![tokens[0].clone(); args.repeats];
        let (samples, per_second) = timed(&repeated, |t| verifier.verify(t)).await?;
        report(name, "repeated", &samples, per_second);
    }
    Ok(())
}

/// Verify each token once, timing each; the sorted times and the rate.
async fn timed<'a, F, Fut>(tokens: &'a [String], verify: F) -> anyhow::Result<(Vec<Duration>, f64)>
where
    F: Fn(&'a str) -> Fut,
    Fut: Future<Output = Result<Identity, TokenError>>,
{
    let mut samples = Vec::with_capacity(tokens.len());
    let all = Instant::now();
    for token in tokens {
        let started = Instant::now();
        black_box(verify(black_box(token)).await?);
        samples.push(started.elapsed());
    }
    let per_second = tokens.len() as f64 / all.elapsed().as_secs_f64();
    samples.sort_unstable();
    Ok((samples, per_second))
}

fn report(alg: &str, token: &str, samples: &[Duration], per_second: f64) {
    let p99 = percentile(samples, 0.99);
    println!(
        "| {alg} | {token} | {:.1} µs | {:.1} µs | {:.1} µs | {per_second:.0} | {} |",
        micros(percentile(samples, 0.50)),
        micros(p99),
        micros(percentile(samples, 0.999)),
        if p99 <= GOAL { "met" } else { "MISSED" }
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
