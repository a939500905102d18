//! The decision held to THE RULES of the crate documentation, item by item.
//!
//! The oracle (`oracle/mod.rs`) reads the rules literally over a plain
//! model of the directives (strings and sets, no bit masks, no `Grant`)
//! and answers for one item at a time; every property compares the
//! crate's decision with it, or with itself under a change the rules say
//! cannot widen it. Each runs 10,000 generated cases.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use continuum_consent::{
    Directive, Effect, LabelSet, Mode, NetworkPolicy, Period, Provision, Purpose, Request, decide,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;

mod oracle;

use oracle::{
    Labels, RawDirective, RawPolicy, RawProvision, RawRequest, oracle_allows, oracle_denied,
};

// ---------------------------------------------------------------------------
// The universe.
// ---------------------------------------------------------------------------

const TENANTS: &[&str] = &["clinic", "hospital", "lab", "rehab"];
const TYPES: &[&str] = &[
    "Observation",
    "Condition",
    "MedicationRequest",
    "Encounter",
    "DiagnosticReport",
];
/// A type no directive names.
const UNNAMED_TYPE: &str = "Immunization";
const LABELS: &[&str] = &["ETH", "PSY", "HIV", "GDIS", "SDV", "SEX"];
const PURPOSES: &[&str] = &["TREAT", "ETREAT", "HPAYMT", "HOPERAT", "PUBHLTH", "HRESCH"];
const ROLES: &[&str] = &["clinician", "emergency-access", "registrar"];
/// Roles a policy may let break the glass.
const BREAK_GLASS_ROLES: &[&str] = &["emergency-access", "clinician"];

/// Request times: the even ones are also period bounds, the odd ones lie
/// between them.
fn time(index: usize) -> DateTime<Utc> {
    let months = [
        (2025, 1),
        (2025, 2),
        (2025, 4),
        (2025, 5),
        (2025, 7),
        (2025, 8),
        (2025, 10),
    ];
    let (year, month) = months[index];
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .expect("a real instant")
}
const TIMES: usize = 7;

/// Every item type the properties check: the named ones and one unnamed.
fn all_types() -> impl Iterator<Item = &'static str> {
    TYPES.iter().copied().chain([UNNAMED_TYPE])
}

/// The 64 label subsets, with their [`LabelSet`].
static SUBSETS: LazyLock<Vec<(Labels, LabelSet)>> = LazyLock::new(|| {
    (0..1u32 << LABELS.len())
        .map(|bits| {
            let set: Labels = (0..LABELS.len())
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| LABELS[i])
                .collect();
            let labels = LabelSet::parse(&set).expect("known codes");
            (set, labels)
        })
        .collect()
});

// ---------------------------------------------------------------------------
// The model as the crate's types.
// ---------------------------------------------------------------------------

fn label_set(labels: &Labels) -> LabelSet {
    LabelSet::parse(labels).expect("known codes")
}

fn purpose(code: &str) -> Purpose {
    code.parse().expect("known purpose")
}

fn directives(raw: &[RawDirective]) -> Vec<Directive> {
    raw.iter()
        .enumerate()
        .map(|(i, d)| Directive {
            id: format!("clinic/c{i}"),
            version: 1,
            active: d.active,
            provisions: d
                .provisions
                .iter()
                .enumerate()
                .map(|(j, p)| Provision {
                    effect: if p.deny { Effect::Deny } else { Effect::Permit },
                    period: Period {
                        start: p.start.map(time),
                        end: p.end.map(time),
                    },
                    recipients: p.recipients.iter().map(|s| s.to_string()).collect(),
                    custodians: p.custodians.iter().map(|s| s.to_string()).collect(),
                    purposes: p.purposes.iter().map(|s| purpose(s)).collect(),
                    resource_types: p.types.iter().map(|s| s.to_string()).collect(),
                    labels: label_set(&p.labels),
                    path: format!("provision.provision[{j}]"),
                })
                .collect(),
        })
        .collect()
}

fn policy(raw: &RawPolicy) -> NetworkPolicy {
    NetworkPolicy {
        mode: if raw.opt_out {
            Mode::OptOut
        } else {
            Mode::OptIn
        },
        shielded: label_set(&raw.shielded),
        break_glass_roles: raw
            .break_glass_roles
            .iter()
            .map(|s| s.to_string())
            .collect(),
        break_glass_minutes: 60,
    }
}

fn request(raw: &RawRequest) -> Request<'static> {
    Request {
        requester: raw.requester,
        role: raw.role,
        purpose: purpose(raw.purpose),
        at: time(raw.at),
        break_glass: raw.break_glass,
    }
}

// ---------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------

fn raw_provision() -> impl Strategy<Value = RawProvision> {
    // Period bounds are the even times, requests come at any.
    let bound = proptest::option::weighted(0.4, (0..4usize).prop_map(|i| 2 * i));
    (
        proptest::bool::weighted(0.4),
        bound.clone(),
        bound,
        subsequence(TENANTS, 0..=2),
        subsequence(TENANTS, 0..=2),
        subsequence(PURPOSES, 0..=2),
        subsequence(TYPES, 0..=2),
        subsequence(LABELS, 0..=2),
    )
        .prop_map(
            |(deny, start, end, recipients, custodians, purposes, types, labels)| RawProvision {
                deny,
                start,
                end,
                recipients,
                custodians,
                purposes,
                types,
                labels: labels.into_iter().collect(),
            },
        )
}

fn raw_directive() -> impl Strategy<Value = RawDirective> {
    (proptest::bool::weighted(0.8), vec(raw_provision(), 1..=3))
        .prop_map(|(active, provisions)| RawDirective { active, provisions })
}

fn raw_deny_directive() -> impl Strategy<Value = RawDirective> {
    vec(raw_provision(), 1..=3).prop_map(|provisions| RawDirective {
        active: true,
        provisions: provisions
            .into_iter()
            .map(|p| RawProvision { deny: true, ..p })
            .collect(),
    })
}

fn raw_policy() -> impl Strategy<Value = RawPolicy> {
    (
        any::<bool>(),
        subsequence(LABELS, 0..=3),
        subsequence(BREAK_GLASS_ROLES, 0..=2),
    )
        .prop_map(|(opt_out, shielded, break_glass_roles)| RawPolicy {
            opt_out,
            shielded: shielded.into_iter().collect(),
            break_glass_roles,
        })
}

fn raw_request() -> impl Strategy<Value = RawRequest> {
    (
        select(TENANTS),
        select(ROLES),
        prop_oneof![2 => Just("ETREAT"), 3 => select(PURPOSES)],
        0..TIMES,
        any::<bool>(),
    )
        .prop_map(|(requester, role, purpose, at, break_glass)| RawRequest {
            requester,
            role,
            purpose,
            at,
            break_glass,
        })
}

/// Labels of a holding organization: mostly none.
fn tenant_labels() -> impl Strategy<Value = Labels> {
    prop_oneof![
        3 => Just(Labels::new()),
        1 => subsequence(LABELS, 1..=2).prop_map(|l| l.into_iter().collect()),
    ]
}

/// One decision's inputs.
#[derive(Debug, Clone)]
struct Case {
    directives: Vec<RawDirective>,
    policy: RawPolicy,
    request: RawRequest,
    holding: &'static str,
    holding_labels: Labels,
}

fn case() -> impl Strategy<Value = Case> {
    case_with(0..=4)
}

fn case_with(directives: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Case> {
    (
        vec(raw_directive(), directives),
        raw_policy(),
        raw_request(),
        select(TENANTS),
        tenant_labels(),
    )
        .prop_map(
            |(directives, policy, request, holding, holding_labels)| Case {
                directives,
                policy,
                request,
                holding,
                holding_labels,
            },
        )
}

impl Case {
    fn decide(&self) -> continuum_consent::Decision {
        decide(
            &directives(&self.directives),
            &policy(&self.policy),
            &request(&self.request),
            self.holding,
            label_set(&self.holding_labels),
        )
    }

    fn oracle(&self, resource_type: &str, labels: &Labels) -> bool {
        oracle_allows(
            &self.directives,
            &self.policy,
            &self.request,
            self.holding,
            &self.holding_labels,
            resource_type,
            labels,
        )
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::with_cases(10_000)
    }
}

// ---------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// (a) The grant releases exactly the items the rules release.
    #[test]
    fn grant_releases_exactly_what_the_rules_release(case in case()) {
        let decision = case.decide();
        for t in all_types() {
            for (set, labels) in SUBSETS.iter() {
                prop_assert_eq!(
                    decision.grant.allows(t, *labels),
                    case.oracle(t, set),
                    "type {} labels {:?}", t, set
                );
            }
        }
    }

    /// (b) A holding organization is permitted exactly when some item
    /// could be released from it.
    #[test]
    fn organization_is_permitted_exactly_when_something_is_released(case in case()) {
        let decision = case.decide();
        let any = all_types().any(|t| SUBSETS.iter().any(|(set, _)| case.oracle(t, set)));
        prop_assert_eq!(decision.permitted, any);
    }

    /// (c) A further deny never releases more, nor reveals a denied
    /// organization.
    #[test]
    fn added_deny_never_releases_more(case in case(), deny in raw_deny_directive()) {
        let before = case.decide();
        let mut denied = case.clone();
        denied.directives.push(deny);
        let after = denied.decide();
        for t in all_types() {
            for (set, labels) in SUBSETS.iter() {
                prop_assert!(
                    !after.grant.allows(t, *labels) || before.grant.allows(t, *labels),
                    "type {} labels {:?} released only after the deny", t, set
                );
            }
        }
        prop_assert!(before.permitted || !after.permitted);
    }

    /// (d) A revoked directive counts as if it had never been given.
    #[test]
    fn revoked_directive_counts_for_nothing(
        case in case_with(1..=4),
        pick in any::<prop::sample::Index>(),
    ) {
        let revoked = pick.index(case.directives.len());
        let mut directives = directives(&case.directives);
        directives[revoked].active = false;
        let decision = decide(
            &directives,
            &policy(&case.policy),
            &request(&case.request),
            case.holding,
            label_set(&case.holding_labels),
        );
        let mut without = case.clone();
        without.directives.remove(revoked);
        for t in all_types() {
            for (set, labels) in SUBSETS.iter() {
                prop_assert_eq!(decision.grant.allows(t, *labels), without.oracle(t, set));
            }
        }
        prop_assert_eq!(decision.permitted, without.decide().permitted);
    }

    /// (e) The resources returned across holding organizations (each
    /// filtered by its own grant, only where permitted, judged from their
    /// JSON) are exactly those the rules release.
    #[test]
    fn returned_resources_are_exactly_the_released_ones(
        case in case(),
        labels_of in vec(tenant_labels(), TENANTS.len()),
        resources in vec(
            (select(TENANTS), prop_oneof![4 => select(TYPES), 1 => Just(UNNAMED_TYPE)],
             subsequence(LABELS, 0..=2)),
            0..12,
        ),
    ) {
        let directives = directives(&case.directives);
        let network = policy(&case.policy);
        let request = request(&case.request);
        let mut returned = BTreeSet::new();
        for (t, tenant) in TENANTS.iter().enumerate() {
            let decision = decide(&directives, &network, &request, tenant, label_set(&labels_of[t]));
            if !decision.permitted {
                continue;
            }
            for (i, (holder, resource_type, labels)) in resources.iter().enumerate() {
                if holder != tenant {
                    continue;
                }
                let resource = json!({
                    "resourceType": resource_type,
                    "id": format!("r{i}"),
                    "meta": {"security": labels.iter().map(|code| json!({
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": code,
                    })).collect::<Vec<_>>()},
                    "status": "final",
                });
                let by_json = decision.grant.allows_resource(&resource);
                let own: Labels = labels.iter().copied().collect();
                prop_assert_eq!(by_json, decision.grant.allows(resource_type, label_set(&own)));
                if by_json {
                    returned.insert(i);
                }
            }
        }
        let expected: BTreeSet<usize> = resources
            .iter()
            .enumerate()
            .filter(|(_, (holder, resource_type, labels))| {
                let t = TENANTS.iter().position(|x| x == holder).expect("a tenant");
                let own: Labels = labels.iter().copied().collect();
                oracle_allows(
                    &case.directives, &case.policy, &case.request,
                    holder, &labels_of[t], resource_type, &own,
                )
            })
            .map(|(i, _)| i)
            .collect();
        prop_assert!(returned.is_subset(&expected), "{:?} ⊄ {:?}", returned, expected);
        prop_assert_eq!(returned, expected);
    }

    /// (f) Breaking the glass never opens what an applicable deny covers;
    /// breaking it without an allowed role or for another purpose than
    /// ETREAT changes nothing.
    #[test]
    fn break_glass_stops_at_denials_and_needs_role_and_purpose(case in case()) {
        let mut glass = case.clone();
        glass.request.break_glass = true;
        glass.request.purpose = "ETREAT";
        if !glass.policy.break_glass_roles.contains(&glass.request.role) {
            glass.policy.break_glass_roles.push(glass.request.role);
        }
        let broken = glass.decide();
        prop_assert!(broken.grant.break_glass);
        for t in all_types() {
            for (set, labels) in SUBSETS.iter() {
                if oracle_denied(
                    &glass.directives, &glass.request, glass.holding,
                    &glass.holding_labels, t, set,
                ) {
                    prop_assert!(!broken.grant.allows(t, *labels));
                }
            }
        }

        // The same request without the glass, then with it but for a role
        // the policy does not name, or for another purpose.
        let mut plain = case.clone();
        plain.request.break_glass = false;
        let mut wrong_role = plain.clone();
        wrong_role.policy.break_glass_roles.retain(|r| *r != plain.request.role);
        let mut wrong_purpose = plain.clone();
        if wrong_purpose.request.purpose == "ETREAT" {
            wrong_purpose.request.purpose = "TREAT";
        }
        for unbroken in [wrong_role, wrong_purpose] {
            let mut attempt = unbroken.clone();
            attempt.request.break_glass = true;
            let decision = attempt.decide();
            prop_assert!(!decision.grant.break_glass);
            prop_assert_eq!(decision, unbroken.decide());
        }
    }
}
