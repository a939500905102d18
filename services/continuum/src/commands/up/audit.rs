//! Where the story's disclosures are recorded: the locator's ledger (one
//! entry per fetch, with the consent decision for every holding
//! organization — the operators' view) and each holding node's own record
//! of what it released (each organization's view).

use anyhow::Context;
use continuum_proto::locator::v1 as locator;
use continuum_proto::node::v1 as node;

use super::nodes::{CLINIC, HARBOR, Organization};
use super::people::{RECORDS_READER, REGISTRAR};
use super::story::Cast;
use crate::commands::audit_admin::report_line;

/// Print the ledger entries and the holding nodes' records of the
/// disclosures `ids`, made by the story.
pub async fn show(cast: &Cast<'_>, ids: &[String]) -> anyhow::Result<()> {
    let mut admin = cast.locator.target.connect()?;
    let ledger = admin
        .list_disclosures(locator::ListDisclosuresRequest {
            person_id: cast.person_id.into(),
            limit: 100,
        })
        .await
        .context("listing the person's disclosures at the locator")?
        .into_inner();
    let ours: Vec<&locator::DisclosureRecord> = ledger
        .disclosures
        .iter()
        .filter(|d| ids.contains(&d.disclosure_id))
        .collect();
    println!(
        "The locator's disclosure records (operators: ListDisclosures for person {}) hold {} \
         disclosures of this person, {} of them from this story, newest first:",
        cast.person_id,
        ledger.disclosures.len(),
        ours.len()
    );
    for record in &ours {
        print_ledger_entry(record);
    }
    if ours.len() != ids.len() {
        println!(
            "Unexpected: {} of the story's {} fetches are not in the ledger.",
            ids.len() - ours.len(),
            ids.len()
        );
    }
    println!(
        "(A denied source is in the operators' records only; the hospital was never told of it.)"
    );

    let holdings = [
        (&CLINIC, &cast.patient.at_clinic),
        (&HARBOR, &cast.patient.at_harbor),
    ];
    for (org, patient_id) in holdings {
        print_node_record(cast, org, patient_id, ids).await?;
    }
    Ok(())
}

fn print_ledger_entry(record: &locator::DisclosureRecord) {
    let glass = if record.break_glass {
        format!(", BREAK-THE-GLASS: \"{}\"", record.break_glass_reason)
    } else {
        String::new()
    };
    println!(
        "  {}  {} ({}, NPI {}, {}) at {}, {}{glass}",
        record.at,
        record.practitioner_name,
        record.practitioner_id,
        or_none(&record.practitioner_professional_id),
        record.practitioner_role,
        record.requester_tenant,
        record.purpose
    );
    for source in &record.sources {
        let categories = if source.categories.is_empty() {
            String::new()
        } else {
            format!(" (categories {})", source.categories.join(", "))
        };
        println!(
            "      {:<18} {} → {}, {} released{categories}",
            source.tenant,
            source.decision,
            source.outcome,
            source.released.len()
        );
        if !source.decided_by.is_empty() {
            println!("{:<25}decided by {}", "", source.decided_by.join("; "));
        }
    }
}

/// What `org`'s node recorded releasing of its patient `patient_id`.
async fn print_node_record(
    cast: &Cast<'_>,
    org: &Organization,
    patient_id: &str,
    ids: &[String],
) -> anyhow::Result<()> {
    // Whoever reads the organization's release records signs in there: a
    // clinician of the organization.
    let mut client = cast
        .people
        .target(cast.saas, org.id, RECORDS_READER)
        .await?
        .connect()
        .await?;
    let listed = client
        .list_disclosures(node::ListDisclosuresRequest {
            patient_id: patient_id.into(),
            limit: 100,
        })
        .await
        .with_context(|| format!("listing {}'s disclosures", org.id))?
        .into_inner();
    let ours: Vec<&node::Disclosure> = listed
        .disclosures
        .iter()
        .filter(|d| ids.contains(&d.disclosure_id))
        .collect();
    println!(
        "{}'s node recorded {} of Patient/{patient_id} in this story{}",
        org.name,
        match ours.len() {
            1 => "1 release".to_owned(),
            n => format!("{n} releases"),
        },
        if ours.is_empty() { "." } else { ":" }
    );
    for disclosure in ours {
        let glass = if disclosure.break_glass {
            format!(", break-the-glass (\"{}\")", disclosure.break_glass_reason)
        } else {
            String::new()
        };
        println!(
            "  {}  to {}: {} ({}, NPI {}, {}), {}{glass}, {} resources",
            disclosure.at,
            disclosure.requester_tenant,
            disclosure.practitioner_name,
            disclosure.practitioner_id,
            or_none(&disclosure.practitioner_professional_id),
            disclosure.practitioner_role,
            disclosure.purpose,
            disclosure.released.len()
        );
    }
    Ok(())
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

/// The patient's access report, read from the audit ledger, and the
/// privacy officer's review of the emergency access in it.
pub async fn access_report(cast: &Cast<'_>, ids: &[String]) -> anyhow::Result<()> {
    let mut admin = cast.locator.target.connect()?;
    let reviews = admin
        .list_break_glass_reviews(locator::ListBreakGlassReviewsRequest { open_only: true })
        .await
        .context("listing break-the-glass accesses to review")?
        .into_inner()
        .items;
    let ours: Vec<&locator::BreakGlassReview> = reviews
        .iter()
        .filter(|r| r.disclosure_ids.iter().any(|d| ids.contains(d)))
        .collect();
    println!(
        "A privacy officer's queue holds {} break-the-glass access(es) to review; the story's \
         opened one ({} disclosure(s), {} resources released). The officer marks it justified:",
        reviews.len(),
        ours.first().map_or(0, |r| r.disclosure_ids.len()),
        ours.first().map_or(0, |r| r.released)
    );
    for review in ours {
        let done = admin
            .review_break_glass(locator::ReviewBreakGlassRequest {
                access_id: review.access_id.clone(),
                justified: true,
                note: "ED record confirms an unconscious patient and a suspected overdose".into(),
            })
            .await
            .context("reviewing the emergency access")?
            .into_inner();
        println!(
            "  access {}: {} by {} at {} (\"{}\"), recorded in the ledger",
            done.access_id, done.status, done.reviewed_by, done.reviewed_at, done.note
        );
    }

    let report = admin
        .access_report(locator::AccessReportRequest {
            person_id: cast.person_id.into(),
        })
        .await
        .context("reading the patient's access report")?
        .into_inner();
    println!(
        "{}'s access report — every disclosure of their record, from the audit ledger ({} in all):",
        cast.patient.name,
        report.entries.len()
    );
    for e in &report.entries {
        println!("  {}", report_line(e));
    }
    patient_asks_the_clinic(cast).await?;
    let status = admin
        .ledger_status(locator::LedgerStatusRequest {})
        .await
        .context("reading the ledger's status")?
        .into_inner();
    println!(
        "The ledger holds {} entries (head {}…), signed by the locator's key {}; check it with \
         `continuum audit verify`.",
        status.entries,
        &status.head_hash[..status.head_hash.len().min(16)],
        status.key_id
    );
    Ok(())
}

/// The patient asks the clinic for their access report: the front desk
/// reads it through the clinic's node, which asks the locator. The clinic
/// sees every disclosure, but the organizations of those it took no part in
/// are withheld.
async fn patient_asks_the_clinic(cast: &Cast<'_>) -> anyhow::Result<()> {
    let mut client = cast
        .people
        .target(cast.saas, CLINIC.id, REGISTRAR)
        .await?
        .connect()
        .await?;
    let report = client
        .patient_access_report(node::PatientAccessReportRequest {
            patient_id: cast.patient.at_clinic.clone(),
        })
        .await
        .context("reading the access report at the clinic")?
        .into_inner();
    println!(
        "{} asks {}'s front desk ({REGISTRAR}) for the same report; the clinic's node reads it \
         from the locator (Clinical.PatientAccessReport). {} disclosure(s); organizations the \
         clinic had no part in stay withheld:",
        cast.patient.name,
        CLINIC.name,
        report.entries.len()
    );
    for e in &report.entries {
        println!("  {}", report_line(e));
    }
    Ok(())
}
