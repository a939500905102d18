//! The command-line tools against a real node: synth → import → export, and
//! `continuum up` telling its story.

use std::process::Command;

use continuum_e2e::continuum_bin;
use continuum_e2e::node::{TENANTS, TestNode};

#[test]
fn synth_import_and_export_through_the_binary() {
    let node = TestNode::start();
    let dir = node.dir.path();
    let synth = Command::new(continuum_bin())
        .args([
            "synth",
            "--patients",
            "3",
            "--seed",
            "5",
            "--size",
            "small",
            "--out",
        ])
        .arg(dir.join("synthetic"))
        .output()
        .expect("synth");
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );

    let (tenant, secret) = TENANTS[0];
    let run = |args: &[&str]| {
        Command::new(continuum_bin())
            .args(args)
            .env("CONTINUUM_NODE", &node.endpoint)
            .env("CONTINUUM_TENANT", tenant)
            .env("CONTINUUM_TOKEN", secret)
            .output()
            .expect("run continuum")
    };
    let synthetic = dir.join("synthetic");
    let imported = run(&["import", synthetic.to_str().expect("path")]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(stdout.contains("imported 3 bundles"), "{stdout}");
    let again = run(&["import", synthetic.to_str().expect("path")]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains(" 0 created, 0 updated"), "{stdout}");

    let bad = run(&["export", "--patient", "no-such-patient"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Patient/no-such-patient not found"));
}

/// `continuum up --no-wait` on a free port with its data in `dir`; its standard output.
fn up(dir: &std::path::Path) -> String {
    let out = Command::new(continuum_bin())
        .args([
            "up",
            "--no-wait",
            "--patients",
            "3",
            "--listen",
            "127.0.0.1:0",
            "--locator-listen",
            "127.0.0.1:0",
            "--federation-listen",
            "127.0.0.1:0",
            "--hospital-listen",
            "127.0.0.1:0",
            "--hospital-federation-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .output()
        .expect("continuum up");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn up_loads_a_local_network_with_synthetic_patients() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = up(dir.path());
    assert!(
        first.contains("Riverside Family Clinic (riverside-clinic): 3 patients imported"),
        "{first}"
    );
    assert!(first.contains("Lakeside General Hospital (lakeside-hospital): 3 patients imported"));
    for node in ["saas-node", "hospital-node"] {
        assert!(
            first.contains(&format!(
                "enrolled {node} with a one-time token as spiffe://continuum.local/node/{node}"
            )),
            "{first}"
        );
        assert!(
            first.contains(&format!("the locator reached node/{node} over mutual TLS")),
            "{first}"
        );
    }
    // The referral story: the shielded program stays invisible to the
    // specialist, and breaking the glass opens it, flagged.
    assert!(first.contains("is not named in the answer"), "{first}");
    assert!(
        first.contains("Harbor Recovery Center now appears"),
        "{first}"
    );
    assert!(first.contains("BREAK-THE-GLASS"), "{first}");
    assert!(!first.contains("Unexpected:"), "{first}");
    assert!(
        first.contains("sensitivity labels the node derived"),
        "{first}"
    );

    // A second start finds everything already there.
    let again = up(dir.path());
    assert!(again.contains("0 resources created, 0 updated"), "{again}");
    // The node kept its identity (no second enrollment) and still gets in.
    assert!(!again.contains("enrolled saas-node"), "{again}");
    assert!(!again.contains("Unexpected:"), "{again}");
    assert!(again.contains("over mutual TLS"), "{again}");
}
