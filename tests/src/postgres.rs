//! Throwaway PostgreSQL databases for tests, on the server named by
//! `CONTINUUM_TEST_POSTGRES` (an admin URL; `tests/run` sets it up).

use std::process::Command;

/// A database that is dropped when the value is.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

/// The admin URL of the test server. Panics with a clear message when unset:
/// a PostgreSQL test that silently skipped would prove nothing.
pub fn admin_url() -> String {
    std::env::var("CONTINUUM_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CONTINUUM_TEST_POSTGRES is not set: run the suite with tests/run, or set it to \
             an admin URL such as postgres://postgres@127.0.0.1:5432/postgres"
        )
    })
}

impl TestDatabase {
    pub fn create() -> TestDatabase {
        let admin_url = admin_url();
        let name = format!("continuum_test_{}", uuid::Uuid::new_v4().simple());
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        TestDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin_url,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql must be installed (tests/run installs PostgreSQL)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
