//! Compiles the versioned `.proto` packages with a vendored `protoc`, so that no
//! system protobuf compiler is needed.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "continuum/node/v1/clinical.proto",
    "continuum/node/v1/federation.proto",
    "continuum/locator/v1/access_report.proto",
    "continuum/locator/v1/directory.proto",
    "continuum/locator/v1/network.proto",
    "continuum/locator/v1/registry.proto",
    "continuum/locator/v1/sharing.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    println!(
        "cargo:rerun-if-changed={}",
        root.join("continuum").display()
    );
    let protos: Vec<PathBuf> = PROTOS.iter().map(|p| root.join(p)).collect();
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().compile_with_config(config, &protos, &[root])?;
    Ok(())
}
