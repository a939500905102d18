//! `continuum admin access-report …`, `continuum admin break-glass …` and
//! `continuum admin ledger`: the audit ledger as operators (and privacy
//! officers) read it through the locator.

use clap::Subcommand;
use continuum_proto::locator::v1 as pb;

use super::admin::Client;

#[derive(Debug, Subcommand)]
pub enum BreakGlass {
    /// Break-the-glass accesses waiting for review (`--all`: every one).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Record the review of one access: justified or not, and why.
    Review {
        access_id: String,
        #[arg(
            long,
            conflicts_with = "unjustified",
            required_unless_present = "unjustified"
        )]
        justified: bool,
        #[arg(long)]
        unjustified: bool,
        #[arg(long)]
        note: String,
    },
}

/// The patient's access report: who saw their records, from the ledger.
pub async fn print_access_report(client: &mut Client, person: String) -> Result<(), tonic::Status> {
    let report = client
        .access_report(pb::AccessReportRequest { person_id: person })
        .await?
        .into_inner();
    println!(
        "Access report for person {}: {} disclosure(s), from the audit ledger",
        report.person_id,
        report.entries.len()
    );
    for entry in &report.entries {
        println!("{}", report_line(entry));
    }
    Ok(())
}

/// One disclosure of an access report, as every command prints it:
/// `when  organization  practitioner  purpose  from …  [emergency]  ledger`,
/// tab-separated; what the reader may not see is said to be withheld.
pub fn report_line(e: &pb::AccessReportEntry) -> String {
    // Names and reasons come from other organizations: printed escaped, so
    // that a tab or newline in them cannot fake a column or a line.
    let requester = if e.requester_withheld {
        "(not named to you)\t(not named to you)".to_owned()
    } else {
        let npi = if e.practitioner_professional_id.is_empty() {
            String::new()
        } else {
            format!(", NPI {}", e.practitioner_professional_id.escape_debug())
        };
        format!(
            "{}\t{} ({}{npi}, {})",
            e.requester_tenant.escape_debug(),
            e.practitioner_name.escape_debug(),
            e.practitioner_id.escape_debug(),
            e.practitioner_role.escape_debug()
        )
    };
    let sources: Vec<String> = e
        .sources
        .iter()
        .map(|s| {
            let who = if s.withheld {
                "organizations not named to you".to_owned()
            } else {
                s.tenant.escape_debug().to_string()
            };
            let categories = if s.categories.is_empty() {
                String::new()
            } else {
                format!(" [{}]", s.categories.join(",").escape_debug())
            };
            format!("{who} ({} resources{categories})", s.released)
        })
        .collect();
    let emergency = if e.break_glass {
        let reason = if e.break_glass_reason.is_empty() {
            "reason withheld".to_owned()
        } else {
            format!("\"{}\"", e.break_glass_reason.escape_debug())
        };
        format!(
            "\tEMERGENCY ACCESS (break-the-glass: {reason}; review: {})",
            e.review.escape_debug()
        )
    } else {
        String::new()
    };
    format!(
        "{}\t{requester}\t{}\tfrom {}{emergency}\t(ledger #{} {})",
        e.at.escape_debug(),
        e.purpose.escape_debug(),
        if sources.is_empty() {
            "nobody (nothing released)".to_owned()
        } else {
            sources.join(", ")
        },
        e.ledger_seq,
        e.ledger_hash.get(..16).unwrap_or(&e.ledger_hash)
    )
}

pub async fn run_break_glass(
    client: &mut Client,
    command: BreakGlass,
) -> Result<(), tonic::Status> {
    let items = match command {
        BreakGlass::List { all } => {
            client
                .list_break_glass_reviews(pb::ListBreakGlassReviewsRequest { open_only: !all })
                .await?
                .into_inner()
                .items
        }
        BreakGlass::Review {
            access_id,
            justified,
            unjustified: _,
            note,
        } => vec![
            client
                .review_break_glass(pb::ReviewBreakGlassRequest {
                    access_id,
                    justified,
                    note,
                })
                .await?
                .into_inner(),
        ],
    };
    for i in items {
        println!(
            "{}\t{}\tperson {}\t{} at {}\t\"{}\"\t{} disclosure(s), {} resources\t{}{}",
            i.access_id,
            i.opened_at,
            i.person_id,
            i.practitioner_id,
            i.requester_tenant,
            i.reason,
            i.disclosure_ids.len(),
            i.released,
            i.status,
            if i.status == "open" {
                String::new()
            } else {
                format!(" by {} at {}: {}", i.reviewed_by, i.reviewed_at, i.note)
            }
        );
    }
    Ok(())
}

/// The ledger's head, the locator's signing key and its latest checkpoint.
pub async fn print_ledger_status(client: &mut Client) -> Result<(), tonic::Status> {
    let status = client
        .ledger_status(pb::LedgerStatusRequest {})
        .await?
        .into_inner();
    println!("entries\t{}", status.entries);
    println!("head\t{}", status.head_hash);
    println!("public key\t{} (id {})", status.public_key, status.key_id);
    println!("checkpoint\t{}", status.checkpoint_json);
    Ok(())
}
