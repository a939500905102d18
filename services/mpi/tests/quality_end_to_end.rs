//! A small run of the quality harness: generated persons registered
//! through the index must link with perfect precision and high recall.

use continuum_mpi::MatchConfig;
use continuum_mpi::testset;

#[test]
fn five_hundred_generated_persons_link_precisely() {
    let set = testset::generate(500, 7);
    let run = testset::register_all(&set, MatchConfig::default(), 7);
    let report = testset::evaluate(&set, &run);
    assert_eq!(report.precision, 1.0, "{report:?}");
    assert!(report.recall >= 0.95, "{report:?}");
    assert!(report.false_links.is_empty(), "{report:?}");
}

#[test]
fn generation_is_reproducible_from_the_seed() {
    let a = testset::generate(200, 3);
    let b = testset::generate(200, 3);
    assert_eq!(a.records.len(), b.records.len());
    assert!(
        a.records
            .iter()
            .zip(&b.records)
            .all(|(x, y)| x.key == y.key && x.demographics == y.demographics)
    );
}
