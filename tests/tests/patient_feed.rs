//! The patient feed: every patient change at a node reaches the locator's
//! registry through the node's outbox, exactly once, even when the locator
//! is killed in the middle of it; and only demographics travel.

use std::time::Duration;

use continuum_e2e::network::{NetworkNode, TestNetwork, eventually, free_port};
use continuum_e2e::{patient, patient_update};
use continuum_proto::node::v1::CreateResourceRequest;

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
    let dir = tempfile::tempdir().expect("dir");
    assert!(network.enroll(&token, dir.path()).status.success());
    let channel = {
        let verifier = continuum_mesh::tls::ServerIdentityVerifier::new(
            &network.bundle(),
            continuum_mesh::tls::Workload::Locator,
        );
        let config = continuum_mesh::tls::client_config(
            verifier,
            Some(continuum_e2e::network::enrolled_credentials(dir.path())),
        )
        .expect("config");
        continuum_mesh::tls::channel(&network.locator_url, config).expect("channel")
    };
    let mut registry = continuum_proto::locator::v1::registry_client::RegistryClient::new(channel);
    let event = |tenant: &str| continuum_proto::locator::v1::PatientEvent {
        seq: 1,
        tenant: tenant.into(),
        local_id: "p1".into(),
        event: "upserted".into(),
        demographics_json: r#"{"resourceType":"Patient","name":[{"family":"X"}]}"#.into(),
    };
    let refused = registry
        .register(continuum_proto::locator::v1::RegisterRequest {
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
        .register(continuum_proto::locator::v1::RegisterRequest { events: vec![bad] })
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
            .register(continuum_proto::locator::v1::RegisterRequest {
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
        .filter(|l| !l.starts_with("person ") && !l.starts_with("  at "))
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
