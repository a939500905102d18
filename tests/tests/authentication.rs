//! The clinical API is never open: every call names a tenant this node hosts
//! and carries that tenant's credential.

use continuum_e2e::node::{TENANTS, TestNode};
use continuum_proto::node::v1 as pb;
use tonic::Code;

async fn search_as(node: &TestNode, tenant: Option<&str>, secret: Option<&str>) -> tonic::Status {
    let mut client = node.client_with(tenant, secret).await;
    client
        .search_patients(pb::SearchPatientsRequest {
            name: "a".into(),
            ..Default::default()
        })
        .await
        .expect_err("the call must be refused")
}

#[tokio::test]
async fn calls_without_valid_credentials_are_refused() {
    let node = TestNode::start();
    let (a, a_secret) = TENANTS[0];
    let (_, b_secret) = TENANTS[1];

    let none = search_as(&node, Some(a), None).await;
    assert_eq!(none.code(), Code::Unauthenticated);
    assert!(
        none.message().contains("no credential"),
        "{}",
        none.message()
    );

    let wrong = search_as(&node, Some(a), Some("not-the-secret")).await;
    assert_eq!(wrong.code(), Code::Unauthenticated);

    let other_tenants = search_as(&node, Some(a), Some(b_secret)).await;
    assert_eq!(other_tenants.code(), Code::Unauthenticated);
    assert!(
        other_tenants
            .message()
            .contains("not valid for tenant `clinic-a`")
    );

    let unknown = search_as(&node, Some("clinic-z"), Some(a_secret)).await;
    assert_eq!(unknown.code(), Code::NotFound);
    assert!(
        unknown.message().contains("unknown tenant `clinic-z`"),
        "{}",
        unknown.message()
    );

    // Without a valid credential, an unknown tenant looks like any other refusal.
    let probing = search_as(&node, Some("clinic-z"), Some("guess")).await;
    assert_eq!(probing.code(), Code::Unauthenticated);

    let unnamed = search_as(&node, None, Some(a_secret)).await;
    assert_eq!(unnamed.code(), Code::InvalidArgument);

    // And the right credential works.
    let mut client = node.client(a).await;
    let ok = client
        .search_patients(pb::SearchPatientsRequest {
            name: "a".into(),
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}
