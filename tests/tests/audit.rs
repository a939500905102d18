//! The locator's audit ledger, through the real binary: `continuum audit
//! verify` names the first entry where a stored ledger was edited, cut,
//! extended or reordered; a change or disclosure the ledger cannot record
//! is not made; the patient's access report.
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

/// The ledger stops taking entries into `table` (a full disk, a broken
/// volume…) until [`bring_back`].
fn take_offline(db: &Path, table: &str) {
    sql(
        db,
        &format!(
            "CREATE TRIGGER ledger_offline BEFORE INSERT ON {table} \
             BEGIN SELECT RAISE(ABORT, 'ledger volume offline'); END"
        ),
    );
}

fn bring_back(db: &Path) {
    sql(db, "DROP TRIGGER ledger_offline");
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

#[test]
fn a_directory_change_the_ledger_cannot_record_is_not_made() {
    let network = TestNetwork::start(3600);
    network.onboard("node-a", "https://127.0.0.1:7443", &["clinic-a"]);
    let db = network.dir.path().join("locator/locator.db");
    take_offline(&db, "ledger_entries");
    let attempts: [&[&str]; 3] = [
        &["org", "create", "clinic-b", "--name", "Clinic B"],
        &["node", "revoke", "node-a", "--reason", "stolen laptop"],
        &[
            "node",
            "update",
            "node-a",
            "--endpoint",
            "https://127.0.0.1:9443",
        ],
    ];
    for attempt in attempts {
        let refused = network.admin(attempt);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{attempt:?} was made");
        assert!(
            stderr.contains("the audit ledger cannot be written")
                && stderr.contains("nothing was changed"),
            "{attempt:?}: {stderr}"
        );
    }
    bring_back(&db);

    // None of them happened, in the directory or in its event log.
    let organizations = network.admin_ok(&["org", "list"]);
    assert!(!organizations.contains("clinic-b"), "{organizations}");
    let node = network.admin_ok(&["node", "show", "node-a"]);
    assert!(
        node.contains("pending") && node.contains("https://127.0.0.1:7443"),
        "{node}"
    );
    let events = network.events();
    assert!(!events.contains("node.revoked"), "{events}");
    assert!(!events.contains("clinic-b"), "{events}");

    // What did happen is in the ledger, saying which node it was about and
    // which organizations it placed there.
    let recorded = sql(
        &db,
        "SELECT body FROM ledger_entries WHERE kind = 'directory.change' ORDER BY seq",
    );
    let lines: Vec<&str> = recorded.lines().collect();
    assert_eq!(lines.len(), 2, "{recorded}");
    assert!(
        lines[0].contains(r#""action":"organization.create""#)
            && lines[0].contains(r#""organization":"clinic-a""#),
        "{recorded}"
    );
    assert!(
        lines[1].contains(r#""action":"node.create""#)
            && lines[1].contains(r#""node":"node-a""#)
            && lines[1].contains(r#""tenants":["clinic-a"]"#),
        "{recorded}"
    );
}

mod with_disclosures {
    use std::time::Duration;

    use continuum_e2e::network::{NetworkNode, enrolled_credentials};
    use continuum_e2e::referral::{REGISTRAR, Referral};
    use continuum_proto::locator::v1::{AccessReportEntry, AccessReportResponse};
    use continuum_proto::node::v1::PatientAccessReportRequest;
    use tonic::Code;

    use super::{bring_back, sql, take_offline, tampered, verify};

    fn locator_db(referral: &Referral) -> std::path::PathBuf {
        referral.network.dir.path().join("locator/locator.db")
    }

    #[tokio::test]
    async fn a_disclosure_the_ledger_cannot_record_is_refused_and_nothing_is_released() {
        let referral = Referral::start().await;
        let before = referral.fetch("TREAT").await.expect("fetch");
        assert!(!before.resources.is_empty());
        let db = locator_db(&referral);
        take_offline(&db, "ledger_entries");
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

        bring_back(&db);
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
    async fn the_requesting_node_records_what_it_received_before_anyone_sees_it() {
        let referral = Referral::start().await;
        let db = referral.hospital.dir.path().join("data/node.db");
        let fetched = referral.fetch("TREAT").await.expect("fetch");
        let receipts = sql(
            &db,
            "SELECT body FROM release_ledger WHERE chain = 'hospital-h' AND kind = 'receipt'",
        );
        assert_eq!(receipts.lines().count(), 1, "{receipts}");
        for expected in [
            format!(r#""disclosure_id":"{}""#, fetched.disclosure_id),
            format!(r#""patient_id":"{}""#, referral.at_hospital),
            r#""sources":["clinic-a"]"#.to_owned(),
            r#""practitioner_id":"dr-lee""#.to_owned(),
            r#""professional_id":"1234567893""#.to_owned(),
            r#""purpose":"TREAT""#.to_owned(),
        ] {
            assert!(receipts.contains(&expected), "{expected} in {receipts}");
        }
        assert_eq!(
            receipts.matches("Condition/").count()
                + receipts.matches("Immunization/").count()
                + receipts.matches("Patient/").count(),
            fetched.resources.len(),
            "each received resource: {receipts}"
        );
        assert!(!receipts.contains("Ada"), "no patient names: {receipts}");
        assert!(!receipts.contains("diabetes"), "no content: {receipts}");

        // The hospital's ledger stops taking entries: the clinician sees
        // nothing, although the sources released (and recorded that).
        take_offline(&db, "release_ledger");
        let refused = referral.fetch("TREAT").await.expect_err("not shown");
        assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
        assert!(
            refused.message().contains(
                "could not be recorded in this organization's audit ledger, so they are not shown"
            ),
            "{refused:?}"
        );
        bring_back(&db);
        referral
            .fetch("TREAT")
            .await
            .expect("fetch once it is writable");
        let receipts = sql(
            &db,
            "SELECT count(*) FROM release_ledger WHERE chain = 'hospital-h' AND kind = 'receipt'",
        );
        assert_eq!(receipts, "2");
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

    /// The access report as `tenant`'s front desk reads it for the patient.
    async fn report_at(
        referral: &Referral,
        node: &NetworkNode,
        tenant: &str,
        patient: &str,
    ) -> AccessReportResponse {
        node.client_as(&referral.idp, tenant, REGISTRAR)
            .await
            .patient_access_report(PatientAccessReportRequest {
                patient_id: patient.to_owned(),
            })
            .await
            .expect("access report")
            .into_inner()
    }

    fn named_sources(entry: &AccessReportEntry) -> Vec<(&str, u32)> {
        entry
            .sources
            .iter()
            .filter(|s| !s.withheld)
            .map(|s| (s.tenant.as_str(), s.released))
            .collect()
    }

    fn withheld(entry: &AccessReportEntry) -> u32 {
        entry
            .sources
            .iter()
            .filter(|s| s.withheld)
            .map(|s| {
                assert!(s.tenant.is_empty() && s.categories.is_empty(), "{s:?}");
                s.released
            })
            .sum()
    }

    #[tokio::test]
    async fn the_patients_own_organizations_read_the_report_but_not_where_else_they_are_cared_for()
    {
        let referral = Referral::start().await;
        // Routine: the clinic releases; the program's shielded records stay.
        let treat = referral.fetch("TREAT").await.expect("fetch");
        // Emergency: the clinic and the program release.
        referral
            .fetch_as(true, "ETREAT", "unconscious, suspected overdose")
            .await
            .expect("break the glass");

        // The hospital asked both times: it sees everything it was given.
        let hospital = report_at(
            &referral,
            &referral.hospital,
            "hospital-h",
            &referral.at_hospital,
        )
        .await;
        assert_eq!(hospital.person_id, treat.person_id);
        let [routine, emergency] = hospital.entries.as_slice() else {
            panic!("two disclosures: {hospital:?}");
        };
        assert!(!routine.requester_withheld && !routine.break_glass);
        assert_eq!(
            (
                routine.requester_tenant.as_str(),
                routine.practitioner_id.as_str(),
                routine.practitioner_name.as_str(),
                routine.practitioner_professional_id.as_str(),
                routine.practitioner_role.as_str()
            ),
            (
                "hospital-h",
                "dr-lee",
                "Dr. Ana Lee",
                "1234567893",
                "clinician"
            ),
            "{routine:?}"
        );
        assert_eq!(named_sources(routine), [("clinic-a", 4)]);
        assert!(emergency.break_glass && emergency.review == "open");
        assert_eq!(
            emergency.break_glass_reason,
            "unconscious, suspected overdose"
        );
        let mut both = named_sources(emergency);
        both.sort_unstable();
        assert_eq!(both.len(), 2, "{emergency:?}");
        assert_eq!((both[0].0, both[1].0), ("clinic-a", "program-c"));
        assert_eq!(withheld(emergency), 0);

        // The clinic released both times: it sees who asked and its own
        // part, never that the program released too.
        let clinic = report_at(&referral, &referral.saas, "clinic-a", &referral.at_clinic).await;
        assert_eq!(clinic.person_id, treat.person_id);
        assert_eq!(clinic.entries.len(), 2);
        for entry in &clinic.entries {
            assert_eq!(entry.requester_tenant, "hospital-h", "{entry:?}");
            assert_eq!(named_sources(entry).first().map(|s| s.0), Some("clinic-a"));
        }
        assert_eq!(withheld(&clinic.entries[0]), 0);
        assert!(
            withheld(&clinic.entries[1]) > 0,
            "the program's part, unnamed"
        );
        assert_eq!(
            clinic.entries[1].break_glass_reason,
            "unconscious, suspected overdose"
        );
        assert!(!format!("{clinic:?}").contains("program-c"), "{clinic:?}");

        // The program released only in the emergency: of the routine
        // disclosure it learns only that one happened.
        let program = report_at(&referral, &referral.saas, "program-c", &referral.at_program).await;
        let [routine, emergency] = program.entries.as_slice() else {
            panic!("two disclosures: {program:?}");
        };
        assert!(routine.requester_withheld, "{routine:?}");
        assert!(
            routine.requester_tenant.is_empty()
                && routine.practitioner_id.is_empty()
                && routine.practitioner_name.is_empty(),
            "{routine:?}"
        );
        assert_eq!(routine.purpose, "TREAT");
        assert_eq!(withheld(routine), 4);
        assert!(named_sources(routine).is_empty());
        assert_eq!(emergency.requester_tenant, "hospital-h");
        assert_eq!(
            named_sources(emergency).first().map(|s| s.0),
            Some("program-c")
        );
        assert!(!format!("{program:?}").contains("clinic-a"), "{program:?}");

        // Who may not read it: a person with no role there; a patient the
        // tenant does not have.
        let refused = referral
            .saas
            .client_as(&referral.idp, "clinic-a", "no-roles")
            .await
            .patient_access_report(PatientAccessReportRequest {
                patient_id: referral.at_clinic.clone(),
            })
            .await
            .expect_err("no role");
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        let unknown = referral
            .saas
            .client_as(&referral.idp, "clinic-a", REGISTRAR)
            .await
            .patient_access_report(PatientAccessReportRequest {
                patient_id: referral.at_program.clone(),
            })
            .await
            .expect_err("another tenant's patient");
        assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");

        // A node calling the locator itself for a tenant it does not host is
        // refused, and the refusal recorded.
        let saas = enrolled_credentials(&referral.saas.tls_dir());
        let foreign = referral
            .network
            .sharing_client(saas)
            .access_report(continuum_proto::locator::v1::PatientAccessReportRequest {
                tenant: "hospital-h".into(),
                local_id: referral.at_hospital.clone(),
            })
            .await
            .expect_err("not its tenant");
        assert_eq!(foreign.code(), Code::PermissionDenied, "{foreign:?}");
        assert!(
            referral
                .network
                .events()
                .contains("audit.access_report.refused"),
        );
    }

    #[tokio::test]
    async fn the_patients_access_report_shows_every_disclosure_and_the_reviewed_emergency() {
        let mut referral = Referral::start().await;
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
                "hospital-h\tDr. Ana Lee (dr-lee, NPI 1234567893, clinician)\tTREAT\tfrom clinic-a (4 resources [PSY])"
            ),
            "{report}"
        );
        // The shielded program released nothing for treatment: not a source there.
        assert!(!lines[0].contains("program-c"), "{report}");
        assert!(
            lines[1].contains("(dr-okafor, NPI 1245319599, emergency-access)\tETREAT"),
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

        // The report finds a person's entries through the disclosure
        // records; `audit verify` checks those against the ledger, so that
        // deleting one to hide a disclosure shows.
        referral.network.kill_locator();
        let db = locator_db(&referral);
        let key = db.with_file_name("ledger-key.pk8");
        sql(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
        let intact = verify(&db, &key);
        let said = String::from_utf8_lossy(&intact.stdout);
        assert!(intact.status.success(), "{said}");
        assert!(
            said.contains("disclosure records agree with the ledger: 2 disclosure(s)"),
            "{said}"
        );
        let hidden = tampered(
            &db,
            "hidden",
            &format!(
                "DELETE FROM disclosures WHERE id = '{}'",
                emergency.disclosure_id
            ),
        );
        let refused = verify(&hidden, &key);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success());
        assert!(
            said.contains("do NOT agree with the ledger")
                && said.contains("has no disclosure record"),
            "{said}"
        );
    }
}
