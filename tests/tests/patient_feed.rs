//! The patient feed: every patient change at a node reaches the locator's
//! registry through the node's outbox, exactly once, even when the locator
//! is killed in the middle of it; and only demographics travel.

use std::time::Duration;

use continuum_e2e::network::{NetworkNode, TestNetwork, eventually, free_port};
use continuum_e2e::{patient, patient_update};
use continuum_proto::locator::v1::registry_client::RegistryClient;
use continuum_proto::locator::v1::{LocateRequest, PatientEvent, RegisterRequest};
use continuum_proto::node::v1::CreateResourceRequest;
use tonic::transport::Channel;

/// Register `count` patients (MRNs `{prefix}-0…`) at `tenant`; their ids.
async fn register(node: &NetworkNode, tenant: &str, prefix: &str, count: usize) -> Vec<String> {
    let mut client = node.client(tenant).await;
    let mut ids = Vec::new();
    for i in 0..count {
        let mut resource = patient("Feedwell", &format!("Pat{i}"), &format!("{prefix}-{i}"));
        resource["extension"] = serde_json::json!([{
            "url": "http://example.org/fhir/religion",
            "valueString": "kept at the node"
        }]);
        let stored = client
            .register_patient(CreateResourceRequest {
                resource_json: resource.to_string(),
            })
            .await
            .expect("register patient")
            .into_inner();
        ids.push(stored.id);
    }
    ids
}

fn applied(network: &TestNetwork, node: &str) -> Option<u64> {
    let output = network.admin(&["feed", node]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
}

#[tokio::test]
async fn every_patient_change_reaches_the_locator_exactly_once_across_a_crash() {
    let mut network = TestNetwork::start(3600);
    let port = free_port();
    let token = network.onboard(
        "node-a",
        &format!("https://127.0.0.1:{port}"),
        &["clinic-a"],
    );
    let node = NetworkNode::start(&network, &token, port, &["clinic-a"]);

    // Delivered while the locator runs.
    let first = register(&node, "clinic-a", "before", 10).await;
    eventually(Duration::from_secs(20), async || {
        (applied(&network, "node-a") == Some(10)).then_some(())
    })
    .await
    .expect("the first ten registrations never arrived");

    // Written while the locator is down, and delivered while it is killed
    // again mid-feed: the outbox keeps everything until acknowledged.
    network.kill_locator();
    let second = register(&node, "clinic-a", "during", 25).await;
    network.restart_locator();
    tokio::time::sleep(Duration::from_millis(300)).await;
    network.restart_locator();
    let mut client = node.client("clinic-a").await;
    client
        .update_patient(patient_update(
            &first[0],
            patient("Feedwell-Moved", "Pat0", "before-0"),
            None,
        ))
        .await
        .expect("update");
    eventually(Duration::from_secs(60), async || {
        (applied(&network, "node-a") == Some(36)).then_some(())
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "applied {:?} of 36 feed events",
            applied(&network, "node-a")
        )
    });

    // Each registration arrived once: one `registered` entry each, and the
    // update as one `updated` entry.
    for id in first.iter().chain(&second) {
        let located = network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", id]);
        assert_eq!(located.matches("\tregistered\t").count(), 1, "{located}");
        assert!(
            located.contains(&format!("at clinic-a\t{id}\tactive")),
            "{located}"
        );
    }
    let moved = network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", &first[0]]);
    assert_eq!(moved.matches("\tupdated\t").count(), 1, "{moved}");
    // Nothing more arrives later (no duplicates in flight).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(applied(&network, "node-a"), Some(36));
}

#[tokio::test]
async fn a_node_cannot_feed_patients_of_a_tenant_it_does_not_host() {
    let network = TestNetwork::start(3600);
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    network.onboard("node-b", "https://127.0.0.1:2", &["clinic-b"]);
    let (mut registry, _credentials) = registry_client(&network, &token);
    let event = |tenant: &str| PatientEvent {
        seq: 1,
        tenant: tenant.into(),
        local_id: "p1".into(),
        event: "upserted".into(),
        demographics_json: r#"{"resourceType":"Patient","name":[{"family":"X"}]}"#.into(),
    };
    let refused = registry
        .register(RegisterRequest {
            events: vec![event("clinic-b")],
        })
        .await
        .expect_err("fed another node's tenant");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(
        refused.message().contains("does not host `clinic-b`"),
        "{}",
        refused.message()
    );
    assert!(network.events().contains("node.register.refused"));
    let output = network.admin(&["locate", "--tenant", "clinic-b", "--patient", "p1"]);
    assert!(!output.status.success(), "a refused event was registered");

    // Not the feed's shape: refused with the event named.
    let mut bad = event("clinic-a");
    bad.demographics_json = "{not json".into();
    let refused = registry
        .register(RegisterRequest { events: vec![bad] })
        .await
        .expect_err("malformed demographics");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("feed event 1 (clinic-a/p1)"),
        "{}",
        refused.message()
    );

    // Delivered twice, applied once.
    for _ in 0..2 {
        let reply = registry
            .register(RegisterRequest {
                events: vec![event("clinic-a")],
            })
            .await
            .expect("register")
            .into_inner();
        assert_eq!(reply.acknowledged, vec![1]);
    }
    let located = network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", "p1"]);
    assert_eq!(located.matches("\tregistered\t").count(), 1, "{located}");
    assert!(!located.contains("\tupdated\t"), "{located}");
}

/// A client of the locator's registry presenting the certificate a node
/// enrolls with `token` (kept in the returned directory).
fn registry_client(
    network: &TestNetwork,
    token: &str,
) -> (RegistryClient<Channel>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(token, dir.path()).status.success());
    let verifier = continuum_mesh::tls::ServerIdentityVerifier::new(
        &network.bundle(),
        continuum_mesh::tls::Workload::Locator,
    );
    let config = continuum_mesh::tls::client_config(
        verifier,
        Some(continuum_e2e::network::enrolled_credentials(dir.path())),
    )
    .expect("config");
    let channel = continuum_mesh::tls::channel(&network.locator_url, config).expect("channel");
    (RegistryClient::new(channel), dir)
}

fn feed_event(seq: u64, local_id: &str, given: &str, city: &str) -> PatientEvent {
    feed_event_at("clinic-a", seq, local_id, given, city)
}

fn feed_event_at(tenant: &str, seq: u64, local_id: &str, given: &str, city: &str) -> PatientEvent {
    PatientEvent {
        seq,
        tenant: tenant.into(),
        local_id: local_id.into(),
        event: "upserted".into(),
        demographics_json: serde_json::json!({
            "resourceType": "Patient",
            "name": [{"family": "Batchley", "given": [given]}],
            "birthDate": "1970-03-04",
            "address": [{"city": city}],
        })
        .to_string(),
    }
}

/// One call may carry several changes of one patient and repeat a sequence
/// number: each change is applied once, in order, on both backends.
async fn a_batch_with_repeats_is_applied_once_in_order(database_url: Option<&str>) {
    let network = TestNetwork::start_with(3600, database_url);
    let token = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a"]);
    let (mut registry, _credentials) = registry_client(&network, &token);
    let batch = vec![
        feed_event(1, "p1", "Ann", "Springfield"),
        feed_event(2, "p1", "Ann", "Shelbyville"),
        feed_event(2, "p1", "Ann", "Shelbyville"),
        feed_event(3, "p2", "Zed", "Ogdenville"),
    ];
    for _ in 0..2 {
        let reply = registry
            .register(RegisterRequest {
                events: batch.clone(),
            })
            .await
            .expect("register")
            .into_inner();
        assert_eq!(reply.acknowledged, vec![1, 2, 2, 3]);
    }
    assert_eq!(applied(&network, "node-a"), Some(3));
    let located = network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", "p1"]);
    assert_eq!(located.matches("\tregistered\t").count(), 1, "{located}");
    assert_eq!(located.matches("\tupdated\t").count(), 1, "{located}");
    let other = network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", "p2"]);
    assert_ne!(person_in(&located), person_in(&other), "{located}\n{other}");
}

#[tokio::test]
async fn a_batch_with_repeats_is_applied_once_in_order_on_sqlite() {
    a_batch_with_repeats_is_applied_once_in_order(None).await;
}

#[tokio::test]
async fn a_batch_with_repeats_is_applied_once_in_order_on_postgres() {
    let database = continuum_e2e::postgres::TestDatabase::create();
    a_batch_with_repeats_is_applied_once_in_order(Some(&database.url)).await;
}

/// A node sees the person of its own patients and their duplicates at the
/// same tenant, never another tenant's registrations, and cannot search;
/// operators find persons by demographics without registering anything.
#[tokio::test]
async fn nodes_locate_only_their_own_patients_and_operators_find_by_demographics() {
    let network = TestNetwork::start(3600);
    let saas = network.onboard("node-a", "https://127.0.0.1:1", &["clinic-a", "clinic-b"]);
    let hospital = network.onboard("node-b", "https://127.0.0.1:2", &["hospital"]);
    let (mut saas, _a) = registry_client(&network, &saas);
    let (mut hospital, _b) = registry_client(&network, &hospital);
    let same_person = |tenant: &str, seq: u64, local_id: &str| {
        let mut event = feed_event_at(tenant, seq, local_id, "Robert", "Springfield");
        event.demographics_json = serde_json::json!({
            "resourceType": "Patient",
            "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": "123-45-6789"}],
            "name": [{"family": "Martinez", "given": ["Robert"]}],
            "gender": "male",
            "birthDate": "1961-07-14",
            "telecom": [{"system": "phone", "value": "555-201-7788"}],
            "address": [{"line": ["12 Elm St"], "city": "Springfield", "postalCode": "62701"}],
        })
        .to_string();
        event
    };
    let register = async |client: &mut RegistryClient<Channel>, events: Vec<PatientEvent>| {
        client
            .register(RegisterRequest { events })
            .await
            .expect("register");
    };
    register(
        &mut saas,
        vec![
            same_person("clinic-a", 1, "a-1"),
            same_person("clinic-a", 2, "a-dup"),
            same_person("clinic-b", 3, "b-1"),
            feed_event_at("clinic-a", 4, "a-other", "Zed", "Ogdenville"),
        ],
    )
    .await;
    register(&mut hospital, vec![same_person("hospital", 1, "h-1")]).await;

    let locate = |tenant: &str, local_id: &str| LocateRequest {
        tenant: tenant.into(),
        local_id: local_id.into(),
    };
    let own = saas
        .locate(locate("clinic-a", "a-1"))
        .await
        .expect("locate own patient")
        .into_inner();
    let mut local_ids = own.local_ids.clone();
    local_ids.sort();
    assert_eq!(local_ids, vec!["a-1", "a-dup"], "{own:?}");
    assert_eq!(own.band, "new_person");
    let at_hospital = hospital
        .locate(locate("hospital", "h-1"))
        .await
        .expect("locate at the hospital")
        .into_inner();
    assert_eq!(at_hospital.person_id, own.person_id, "not linked");
    assert_eq!(at_hospital.band, "auto_link");
    assert!(at_hospital.score >= 21.0, "{at_hospital:?}");
    // Only the hospital's own registration: not the clinics' ones.
    assert_eq!(at_hospital.local_ids, vec!["h-1"]);

    // Another node's tenant, and a patient nobody registered.
    let refused = saas
        .locate(locate("hospital", "h-1"))
        .await
        .expect_err("located another node's patient");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    assert!(network.events().contains("node.locate.refused"));
    let unknown = saas
        .locate(locate("clinic-a", "nobody"))
        .await
        .expect_err("located an unknown patient");
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");

    // Operators search by demographics (typed differently); nothing is
    // registered by searching.
    let dir = tempfile::tempdir().expect("dir");
    let query = dir.path().join("query.json");
    let patient = serde_json::json!({
        "resourceType": "Patient",
        "name": [{"family": "Martínez", "given": ["Bob"]}],
        "gender": "male",
        "birthDate": "1961-07-14",
        "address": [{"postalCode": "62701"}],
    });
    std::fs::write(&query, patient.to_string()).expect("write query");
    let found = network.admin_ok(&["find", query.to_str().expect("path")]);
    assert!(
        found.starts_with(&format!("person {}\t", own.person_id)),
        "{found}"
    );
    for location in [
        "clinic-a\ta-1",
        "clinic-a\ta-dup",
        "clinic-b\tb-1",
        "hospital\th-1",
    ] {
        assert!(found.contains(location), "{location} missing: {found}");
    }
    assert!(!found.contains("a-other"), "{found}");
    let nobody = serde_json::json!({
        "resourceType": "Patient",
        "name": [{"family": "Quixote", "given": ["Alonso"]}],
        "birthDate": "1547-09-29",
    });
    std::fs::write(&query, nobody.to_string()).expect("write query");
    assert_eq!(
        network
            .admin_ok(&["find", query.to_str().expect("path")])
            .trim(),
        "no matching person"
    );
    std::fs::write(&query, "{\"resourceType\": \"Observation\"}").expect("write query");
    let refused = network.admin(&["find", query.to_str().expect("path")]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("must be the Patient"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        applied(&network, "node-a"),
        Some(4),
        "searching registered something"
    );
}

/// The person id a `continuum admin locate` output names.
fn person_in(located: &str) -> String {
    located
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("person "))
        .unwrap_or_else(|| panic!("no person in {located:?}"))
        .to_owned()
}

#[tokio::test]
async fn operators_link_and_unlink_registrations_and_person_ids_stay_stable() {
    let network = TestNetwork::start(3600);
    let port = free_port();
    let token = network.onboard(
        "node-a",
        &format!("https://127.0.0.1:{port}"),
        &["clinic-a", "clinic-b"],
    );
    let node = NetworkNode::start(&network, &token, port, &["clinic-a", "clinic-b"]);
    let mut clinic = node.client("clinic-a").await;
    let mut hospital = node.client("clinic-b").await;
    let at_clinic = clinic
        .register_patient(CreateResourceRequest {
            resource_json: patient("Okafor", "Chidi", "C-1").to_string(),
        })
        .await
        .expect("clinic")
        .into_inner()
        .id;
    let mut other = patient("Lindqvist", "Astrid", "H-9");
    other["birthDate"] = serde_json::json!("1955-07-14");
    let at_hospital = hospital
        .register_patient(CreateResourceRequest {
            resource_json: other.to_string(),
        })
        .await
        .expect("hospital")
        .into_inner()
        .id;
    eventually(Duration::from_secs(20), async || {
        (applied(&network, "node-a") == Some(2)).then_some(())
    })
    .await
    .expect("feed");
    let clinic_person =
        person_in(&network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", &at_clinic]));
    let hospital_person = person_in(&network.admin_ok(&[
        "locate",
        "--tenant",
        "clinic-b",
        "--patient",
        &at_hospital,
    ]));
    assert_ne!(
        clinic_person, hospital_person,
        "different people were linked"
    );

    // The operator links them (say, after a phone call), then undoes it.
    let linked = network.admin_ok(&[
        "link",
        "--tenant",
        "clinic-b",
        "--patient",
        &at_hospital,
        "--person",
        &clinic_person,
        "--note",
        "confirmed by phone",
    ]);
    assert_eq!(person_in(&linked), clinic_person);
    assert!(
        linked.contains(&format!("at clinic-a\t{at_clinic}")),
        "{linked}"
    );
    assert!(
        linked.contains(&format!("at clinic-b\t{at_hospital}")),
        "{linked}"
    );
    assert!(
        linked.contains("\tlinked\t") && linked.contains("\toperator\tconfirmed by phone"),
        "{linked}"
    );

    let unlinked = network.admin_ok(&[
        "unlink",
        "--tenant",
        "clinic-b",
        "--patient",
        &at_hospital,
        "--note",
        "wrong patient",
    ]);
    let new_person = person_in(&unlinked);
    assert_ne!(new_person, clinic_person);
    assert!(!unlinked.contains("at clinic-a"), "{unlinked}");
    // The clinic's patient keeps its person id.
    let clinic_again =
        network.admin_ok(&["locate", "--tenant", "clinic-a", "--patient", &at_clinic]);
    assert_eq!(person_in(&clinic_again), clinic_person);
    assert!(!clinic_again.contains("at clinic-b"), "{clinic_again}");
    let history = network.admin_ok(&["locate", "--tenant", "clinic-b", "--patient", &at_hospital]);
    let actions: Vec<&str> = history
        .lines()
        .filter(|l| {
            !l.starts_with("person ") && !l.starts_with("  at ") && !l.starts_with("  matched ")
        })
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    assert_eq!(actions, ["registered", "linked", "unlinked"], "{history}");

    // Linking to a person that does not exist is refused.
    let output = network.admin(&[
        "link",
        "--tenant",
        "clinic-b",
        "--patient",
        &at_hospital,
        "--person",
        "no-such-person",
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("person `no-such-person` not found"));
}

/// A Patient as an EMR would register it.
fn person(
    given: &str,
    family: &str,
    birth: &str,
    sex: &str,
    line: &str,
    phone: &str,
    ssn: Option<&str>,
) -> serde_json::Value {
    let mut identifiers = vec![
        serde_json::json!({"system": "urn:oid:1.2.3.4.5.mrn", "value": format!("MRN-{given}-{birth}")}),
    ];
    if let Some(ssn) = ssn {
        identifiers
            .push(serde_json::json!({"system": "http://hl7.org/fhir/sid/us-ssn", "value": ssn}));
    }
    serde_json::json!({
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{"family": family, "given": [given]}],
        "gender": sex,
        "birthDate": birth,
        "address": [{"line": [line], "city": "Cambridge", "postalCode": "02139", "country": "US"}],
        "telecom": [{"system": "phone", "value": phone}]
    })
}

async fn create(client: &mut continuum_e2e::node::Client, patient: serde_json::Value) -> String {
    client
        .register_patient(CreateResourceRequest {
            resource_json: patient.to_string(),
        })
        .await
        .expect("register")
        .into_inner()
        .id
}

#[tokio::test]
async fn one_person_is_linked_across_organizations_twins_are_not_and_doubt_goes_to_review() {
    let network = TestNetwork::start(3600);
    let port = free_port();
    let token = network.onboard(
        "node-a",
        &format!("https://127.0.0.1:{port}"),
        &["clinic-a", "clinic-b"],
    );
    let node = NetworkNode::start(&network, &token, port, &["clinic-a", "clinic-b"]);
    let mut clinic = node.client("clinic-a").await;
    let mut hospital = node.client("clinic-b").await;

    // The same man, typed differently at each place: nickname, street
    // abbreviation, phone punctuation.
    let robert = create(
        &mut clinic,
        person(
            "Robert",
            "Martinez",
            "1975-03-14",
            "male",
            "12 Oak Street",
            "(617) 555-0101",
            None,
        ),
    )
    .await;
    let bob = create(
        &mut hospital,
        person(
            "Bob",
            "Martínez",
            "1975-03-14",
            "male",
            "12 Oak St.",
            "617-555-0101",
            None,
        ),
    )
    .await;
    // Twins: same birth date, address and family name, different first names.
    let maria = create(
        &mut clinic,
        person(
            "Maria",
            "Ng",
            "2001-09-09",
            "female",
            "40 Elm Road",
            "617-555-0199",
            None,
        ),
    )
    .await;
    let ana = create(
        &mut hospital,
        person(
            "Ana",
            "Ng",
            "2001-09-09",
            "female",
            "40 Elm Road",
            "617-555-0199",
            None,
        ),
    )
    .await;
    // Doubt: the same national id, birth date and address, another first name.
    let elena = create(
        &mut clinic,
        person(
            "Elena",
            "Petrova",
            "1990-05-05",
            "female",
            "7 Pine Avenue",
            "617-555-0142",
            Some("123-45-6789"),
        ),
    )
    .await;
    let irina = create(
        &mut hospital,
        person(
            "Irina",
            "Petrova",
            "1990-05-05",
            "female",
            "7 Pine Avenue",
            "617-555-0142",
            Some("123-45-6789"),
        ),
    )
    .await;
    eventually(Duration::from_secs(20), async || {
        (applied(&network, "node-a") == Some(6)).then_some(())
    })
    .await
    .expect("feed");

    let locate =
        |tenant: &str, id: &str| network.admin_ok(&["locate", "--tenant", tenant, "--patient", id]);
    let robert_at = locate("clinic-a", &robert);
    assert_eq!(
        person_in(&robert_at),
        person_in(&locate("clinic-b", &bob)),
        "{robert_at}"
    );
    assert!(
        robert_at.contains(&format!("at clinic-b\t{bob}")),
        "{robert_at}"
    );
    // Every link is explained: the band, the score, each field's weight.
    // (Whichever of the two arrived second was linked to the first.)
    let histories = format!("{robert_at}{}", locate("clinic-b", &bob));
    assert!(histories.contains("\"band\":\"auto_link\""), "{histories}");
    assert!(histories.contains("\"weight\""), "{histories}");

    assert_ne!(
        person_in(&locate("clinic-a", &maria)),
        person_in(&locate("clinic-b", &ana)),
        "twins were linked"
    );
    let elena_person = person_in(&locate("clinic-a", &elena));
    let irina_person = person_in(&locate("clinic-b", &irina));
    assert_ne!(elena_person, irina_person, "an uncertain pair was linked");

    // The uncertain pair is in the review queue, with its explanation: the
    // one that arrived second, with the first one's person as candidate.
    let queue = network.admin_ok(&["review", "list"]);
    let (item, tenant, patient, candidate) = [
        ("clinic-b", &irina, &elena_person),
        ("clinic-a", &elena, &irina_person),
    ]
    .into_iter()
    .find_map(|(tenant, patient, candidate)| {
        let item = queue
            .lines()
            .find(|l| l.contains(&format!("{tenant}/{patient}")))?;
        Some((item, tenant, patient, candidate))
    })
    .unwrap_or_else(|| panic!("no review item for the uncertain pair: {queue}"));
    assert!(item.contains(&format!("candidate={candidate}")), "{item}");
    assert!(
        item.contains("\"fields\"") && item.contains("siblings"),
        "{item}"
    );
    let id = item.split('\t').next().expect("id");

    // The operator confirms it; the link and its reason are in the history.
    network.admin_ok(&[
        "review",
        "link",
        id,
        "--note",
        "same person, confirmed by phone",
    ]);
    let linked = locate(tenant, patient);
    assert_eq!(&person_in(&linked), candidate, "{linked}");
    assert!(
        linked.contains("\tlinked\t") && linked.contains("same person, confirmed by phone"),
        "{linked}"
    );
    assert!(
        network
            .admin_ok(&["review", "list"])
            .lines()
            .all(|l| !l.contains(id))
    );
    let again = network.admin(&["review", "link", id]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already resolved"));
}
