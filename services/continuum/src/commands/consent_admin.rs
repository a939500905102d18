//! `continuum admin policy …` and `continuum admin disclosures …`: the
//! network's consent policy and the record of disclosures, for operators.

use clap::Subcommand;
use continuum_proto::locator::v1 as pb;

use super::admin::Client;

#[derive(Debug, Subcommand)]
pub enum Policy {
    /// Show the network's consent policy.
    Show,
    /// Replace the network's consent policy (every setting is stated).
    Set {
        /// `opt-out` (shared unless the patient objects) or `opt-in`.
        #[arg(long)]
        mode: String,
        /// A category released only where a patient's permit names it
        /// (ETH, PSY, HIV, GDIS, SDV, SEX); repeat for several.
        #[arg(long = "shield")]
        shielded: Vec<String>,
        /// A practitioner role allowed to break the glass; repeat for several.
        #[arg(long = "break-glass-role", default_value = "emergency-access")]
        break_glass_roles: Vec<String>,
        /// How long a break-the-glass access stays open.
        #[arg(long, default_value_t = 60)]
        break_glass_minutes: u32,
    },
}

pub async fn run_policy(client: &mut Client, command: Policy) -> Result<(), tonic::Status> {
    let policy = match command {
        Policy::Show => client
            .get_consent_policy(pb::GetConsentPolicyRequest {})
            .await?
            .into_inner(),
        Policy::Set {
            mode,
            shielded,
            break_glass_roles,
            break_glass_minutes,
        } => {
            let mode = match mode.as_str() {
                "opt-out" => pb::ConsentMode::OptOut,
                "opt-in" => pb::ConsentMode::OptIn,
                other => {
                    return Err(tonic::Status::invalid_argument(format!(
                        "--mode `{other}`: expected opt-out or opt-in"
                    )));
                }
            };
            client
                .set_consent_policy(pb::ConsentPolicy {
                    mode: mode.into(),
                    shielded,
                    break_glass_roles,
                    break_glass_minutes,
                    updated_at: String::new(),
                })
                .await?
                .into_inner()
        }
    };
    let mode = match policy.mode() {
        pb::ConsentMode::OptIn => "opt-in",
        _ => "opt-out",
    };
    println!("mode\t{mode}");
    println!("shielded\t{}", policy.shielded.join(","));
    println!("break-glass roles\t{}", policy.break_glass_roles.join(","));
    println!("break-glass minutes\t{}", policy.break_glass_minutes);
    Ok(())
}

pub async fn print_disclosures(
    client: &mut Client,
    person: String,
    limit: u32,
) -> Result<(), tonic::Status> {
    let reply = client
        .list_disclosures(pb::ListDisclosuresRequest {
            person_id: person,
            limit,
        })
        .await?
        .into_inner();
    for d in reply.disclosures {
        let glass = if d.break_glass {
            format!("\tBREAK-THE-GLASS: {}", d.break_glass_reason)
        } else {
            String::new()
        };
        println!(
            "{}\t{}\t{} ({}, NPI {}, {})\t{}\t{}{glass}",
            d.at,
            d.requester_tenant,
            d.practitioner_name,
            d.practitioner_id,
            if d.practitioner_professional_id.is_empty() {
                "none"
            } else {
                &d.practitioner_professional_id
            },
            d.practitioner_role,
            d.purpose,
            d.disclosure_id
        );
        for s in d.sources {
            println!(
                "  {}\t{}\t{}\treleased {}\t{}\t[{}]",
                s.tenant,
                s.decision,
                s.outcome,
                s.released.len(),
                s.categories.join(","),
                s.decided_by.join("; ")
            );
        }
    }
    Ok(())
}
