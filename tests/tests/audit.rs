//! The locator's audit ledger, through the real binary: `continuum audit
//! verify` names the first entry where a stored ledger was edited, cut,
//! extended or reordered. (That a disclosure the ledger cannot record is
//! refused is tested with the brokered fetch, in `sharing.rs`.)
//!
//! The tampering is done the way an attacker with the database file would:
//! with SQLite itself (Python's sqlite3 module), dropping the append-only
//! triggers first.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use continuum_e2e::continuum_bin;
use continuum_e2e::network::TestNetwork;

/// A locator with a few directory changes in its ledger, then stopped; the
/// path of its database (WAL folded in) and of its signing key.
fn ledger_with_entries(network: &mut TestNetwork) -> (PathBuf, PathBuf) {
    for org in ["clinic-a", "clinic-b", "clinic-c", "clinic-d"] {
        network.admin_ok(&["org", "create", org, "--name", org, "--kind", "clinic"]);
    }
    network.admin_ok(&["org", "update", "clinic-a", "--sensitivity", "ETH"]);
    // A signed checkpoint of the head, as the locator makes periodically.
    let status = network.admin_ok(&["ledger"]);
    assert!(status.contains("checkpoint\t{"), "{status}");
    network.kill_locator();
    let dir = network.dir.path().join("locator");
    let db = dir.join("locator.db");
    sql(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    (db, dir.join("ledger-key.pk8"))
}

/// Run SQL statements on an SQLite file with Python's sqlite3.
fn sql(db: &Path, statements: &str) -> String {
    let script = "import sqlite3, sys\n\
                  c = sqlite3.connect(sys.argv[1])\n\
                  sql = sys.argv[2]\n\
                  out = [] if 'CREATE TRIGGER' in sql else \
                        [r for s in sql.split(';') if s.strip() for r in c.execute(s)]\n\
                  if 'CREATE TRIGGER' in sql: c.executescript(sql)\n\
                  c.commit()\n\
                  print('\\n'.join('|'.join(map(str, r)) for r in out))";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(db)
        .arg(statements)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "sql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn verify(db: &Path, key: &Path) -> Output {
    Command::new(continuum_bin())
        .args(["audit", "verify", "--database-url"])
        .arg(format!("sqlite://{}?mode=ro", db.display()))
        .arg("--key-file")
        .arg(key)
        .output()
        .expect("continuum audit verify runs")
}

/// A copy of the ledger database with `tamper` applied (after removing the
/// append-only triggers, as an attacker would).
fn tampered(original: &Path, name: &str, tamper: &str) -> PathBuf {
    let copy = original.with_file_name(format!("{name}.db"));
    std::fs::copy(original, &copy).expect("copy database");
    let triggers = sql(
        &copy,
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'ledger%'",
    );
    let drops: String = triggers
        .lines()
        .map(|t| format!("DROP TRIGGER {t};"))
        .collect();
    sql(&copy, &format!("{drops}{tamper}"));
    copy
}

fn refused_at(output: &Output, seq: u64, what: &str) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "should fail: {text}");
    assert!(text.contains("NOT intact"), "{text}");
    assert!(
        [
            format!("entry {seq}"),
            format!("entries {seq}"),
            format!("entries from {seq}")
        ]
        .iter()
        .any(|named| text.contains(named.as_str())),
        "should name entry {seq}: {text}"
    );
    assert!(text.contains(what), "should say `{what}`: {text}");
}

#[test]
fn verify_names_the_first_entry_that_was_altered_removed_added_or_moved() {
    let mut network = TestNetwork::start(3600);
    let (db, key) = ledger_with_entries(&mut network);
    let count: u64 = sql(&db, "SELECT count(*) FROM ledger_entries")
        .parse()
        .expect("count");
    assert!(count >= 5, "the changes are in the ledger: {count}");

    let intact = verify(&db, &key);
    assert!(
        intact.status.success(),
        "{}{}",
        String::from_utf8_lossy(&intact.stdout),
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains(&format!("{count} entries")));

    // The same entries, exported as FHIR AuditEvents for a SIEM.
    let exported = Command::new(continuum_bin())
        .args(["audit", "export", "--database-url"])
        .arg(format!("sqlite://{}?mode=ro", db.display()))
        .output()
        .expect("continuum audit export runs");
    assert!(exported.status.success());
    let bundle: serde_json::Value = serde_json::from_slice(&exported.stdout).expect("json");
    assert_eq!(bundle["resourceType"], "Bundle");
    let events = bundle["entry"].as_array().map_or(0, Vec::len);
    assert_eq!(u64::try_from(events).unwrap_or_default(), count);
    assert_eq!(bundle["entry"][0]["resource"]["resourceType"], "AuditEvent");

    // One byte of one entry's body.
    let edited = tampered(
        &db,
        "edited",
        "UPDATE ledger_entries SET body = replace(body, 'clinic-c', 'clinic-x') WHERE seq = 3",
    );
    refused_at(&verify(&edited, &key), 3, "altered");

    // An entry deleted.
    let deleted = tampered(&db, "deleted", "DELETE FROM ledger_entries WHERE seq = 2");
    refused_at(&verify(&deleted, &key), 2, "");

    // An entry inserted: a copy of entry 3 placed as entry 4, the rest moved up.
    let inserted = tampered(
        &db,
        "inserted",
        "UPDATE ledger_entries SET seq = seq + 1000 WHERE seq >= 4;\
         UPDATE ledger_entries SET seq = seq - 999 WHERE seq >= 1004;\
         INSERT INTO ledger_entries SELECT chain, 4, recorded_at_ms, kind, body, prev_hash, hash \
         FROM ledger_entries WHERE seq = 3",
    );
    refused_at(&verify(&inserted, &key), 4, "");

    // Two entries swapped.
    let swapped = tampered(
        &db,
        "swapped",
        "UPDATE ledger_entries SET seq = -1 WHERE seq = 2;\
         UPDATE ledger_entries SET seq = 2 WHERE seq = 3;\
         UPDATE ledger_entries SET seq = 3 WHERE seq = -1",
    );
    refused_at(&verify(&swapped, &key), 2, "");

    // The tail cut: only the signed checkpoint shows it.
    let cut = tampered(
        &db,
        "cut",
        &format!("DELETE FROM ledger_entries WHERE seq >= {}", count - 1),
    );
    refused_at(&verify(&cut, &key), count - 1, "");
}

mod with_disclosures {
    use std::time::Duration;

    use continuum_e2e::referral::Referral;
    use tonic::Code;

    use super::{sql, verify};

    fn locator_db(referral: &Referral) -> std::path::PathBuf {
        referral.network.dir.path().join("locator/locator.db")
    }

    #[tokio::test]
    async fn a_disclosure_the_ledger_cannot_record_is_refused_and_nothing_is_released() {
        let referral = Referral::start().await;
        let before = referral.fetch("TREAT").await.expect("fetch");
        assert!(!before.resources.is_empty());
        let db = locator_db(&referral);
        // The ledger stops taking entries (a full disk, a broken volume…).
        sql(
            &db,
            "CREATE TRIGGER ledger_offline BEFORE INSERT ON ledger_entries \
             BEGIN SELECT RAISE(ABORT, 'ledger volume offline'); END",
        );
        let refused = referral.fetch("TREAT").await.expect_err("refused");
        assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
        assert!(
            refused
                .message()
                .contains("the network's locator: the disclosure could not be recorded, so nothing was released"),
            "{refused:?}"
        );
        // Nothing of it is recorded: one disclosure at the locator, as before.
        let log = referral
            .network
            .admin_ok(&["disclosures", &before.person_id]);
        assert_eq!(log.matches("\tTREAT\t").count(), 1, "{log}");

        sql(&db, "DROP TRIGGER ledger_offline");
        referral
            .fetch("TREAT")
            .await
            .expect("fetch once the ledger is back");
        let report = referral
            .network
            .admin_ok(&["access-report", &before.person_id]);
        assert!(report.contains("2 disclosure(s)"), "{report}");
    }

    #[tokio::test]
    async fn every_answer_given_before_a_crash_is_in_the_ledger_and_it_verifies() {
        let mut referral = Referral::start().await;
        let pid = referral.network.locator_pid().expect("locator running");
        let answered = std::sync::Mutex::new(Vec::<String>::new());
        let burst = async || {
            // Until the locator is gone.
            while let Ok(response) = referral.fetch("TREAT").await {
                answered
                    .lock()
                    .expect("lock")
                    .push(response.disclosure_id.clone());
            }
        };
        let crash = async {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            let status = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .expect("kill");
            assert!(status.success());
        };
        tokio::join!(burst(), burst(), burst(), burst(), crash);
        let answered = answered.into_inner().expect("lock");
        assert!(answered.len() >= 4, "a burst was answered before the crash");

        referral.network.restart_locator();
        let dir = referral.network.dir.path().join("locator");
        let db = dir.join("locator.db");
        let checked = verify(&db, &dir.join("ledger-key.pk8"));
        assert!(
            checked.status.success(),
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        let in_ledger = sql(
            &db,
            "SELECT body FROM ledger_entries WHERE kind LIKE 'disclosure.%'",
        );
        for id in &answered {
            assert!(
                in_ledger.contains(&format!("\"disclosure_id\":\"{id}\"")),
                "answered disclosure {id} is not in the ledger"
            );
        }
        // And the locator goes on appending to the same chain.
        referral.fetch("TREAT").await.expect("fetch after restart");
        let checked = verify(&db, &dir.join("ledger-key.pk8"));
        assert!(checked.status.success());
    }

    #[tokio::test]
    async fn the_patients_access_report_shows_every_disclosure_and_the_reviewed_emergency() {
        let referral = Referral::start().await;
        let treat = referral.fetch("TREAT").await.expect("fetch");
        let emergency = referral
            .fetch_as(true, "ETREAT", "unconscious, suspected overdose")
            .await
            .expect("break the glass");
        let person = treat.person_id.clone();

        let open = referral.network.admin_ok(&["break-glass", "list"]);
        assert_eq!(open.lines().count(), 1, "{open}");
        assert!(open.contains(&person) && open.contains("\topen"), "{open}");
        let access = open.split('\t').next().unwrap_or_default().to_owned();
        let refused = referral.network.admin(&[
            "break-glass",
            "review",
            &access,
            "--justified",
            "--note",
            " ",
        ]);
        assert!(!refused.status.success(), "a review needs a note");
        let reviewed = referral.network.admin_ok(&[
            "break-glass",
            "review",
            &access,
            "--justified",
            "--note",
            "ED chart confirms the overdose",
        ]);
        assert!(reviewed.contains("justified by operator"), "{reviewed}");
        let again = referral.network.admin(&[
            "break-glass",
            "review",
            &access,
            "--unjustified",
            "--note",
            "changed my mind",
        ]);
        assert!(!again.status.success(), "a review is final");
        assert!(
            referral
                .network
                .admin_ok(&["break-glass", "list"])
                .is_empty()
        );

        let report = referral.network.admin_ok(&["access-report", &person]);
        assert!(report.contains("2 disclosure(s)"), "{report}");
        let lines: Vec<&str> = report.lines().skip(1).collect();
        assert!(
            lines[0].contains(
                "hospital-h\tdr-lee (clinician)\tTREAT\tfrom clinic-a (4 resources [PSY])"
            ),
            "{report}"
        );
        // The shielded program released nothing for treatment: not a source there.
        assert!(!lines[0].contains("program-c"), "{report}");
        assert!(
            lines[1].contains("dr-okafor (emergency-access)\tETREAT"),
            "{report}"
        );
        assert!(lines[1].contains("program-c ("), "{report}");
        assert!(
            lines[1].contains("EMERGENCY ACCESS (break-the-glass: \"unconscious, suspected overdose\"; review: justified)"),
            "{report}"
        );
        // Ids, categories and counts: no names, no content.
        assert!(!report.contains("Ada"), "{report}");
        assert!(!report.contains("Opioid"), "{report}");
        assert!(emergency.break_glass);
    }
}
