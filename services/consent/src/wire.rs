//! A [`Grant`] on the wire (the node federation API's `Grant` message).
//!
//! The node applies the grant it receives to every resource again, so a
//! grant it cannot read exactly (an unknown label, a resource type FHIR R4
//! does not have) is refused whole rather than read approximately.

use continuum_proto::node::v1 as pb;

use crate::{Clause, ConsentError, Effect, Grant, LabelSet};

impl From<&Grant> for pb::Grant {
    fn from(grant: &Grant) -> pb::Grant {
        pb::Grant {
            tenant_labels: grant.tenant_labels.codes(),
            open_by_default: grant.open_by_default,
            shielded: grant.shielded.codes(),
            break_glass: grant.break_glass,
            clauses: grant
                .clauses
                .iter()
                .map(|clause| pb::GrantClause {
                    permit: clause.effect == Effect::Permit,
                    resource_types: clause.resource_types.clone(),
                    labels: clause.labels.codes(),
                    origin: clause.origin.clone(),
                })
                .collect(),
        }
    }
}

impl TryFrom<&pb::Grant> for Grant {
    type Error = ConsentError;

    fn try_from(grant: &pb::Grant) -> Result<Grant, ConsentError> {
        let clauses = grant
            .clauses
            .iter()
            .enumerate()
            .map(|(i, clause)| {
                if let Some(unknown) = clause
                    .resource_types
                    .iter()
                    .find(|t| !continuum_fhir::is_resource_type(t))
                {
                    return Err(ConsentError::InvalidGrant(format!(
                        "clauses[{i}].resource_types: `{unknown}` is not a FHIR R4 resource type"
                    )));
                }
                Ok(Clause {
                    effect: if clause.permit {
                        Effect::Permit
                    } else {
                        Effect::Deny
                    },
                    resource_types: clause.resource_types.clone(),
                    labels: labels(&clause.labels, &format!("clauses[{i}].labels"))?,
                    origin: clause.origin.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Grant {
            tenant_labels: labels(&grant.tenant_labels, "tenant_labels")?,
            open_by_default: grant.open_by_default,
            shielded: labels(&grant.shielded, "shielded")?,
            break_glass: grant.break_glass,
            clauses,
        })
    }
}

fn labels(codes: &[String], field: &str) -> Result<LabelSet, ConsentError> {
    LabelSet::parse(codes).map_err(|error| ConsentError::InvalidGrant(format!("{field}: {error}")))
}

#[cfg(test)]
mod tests {
    use continuum_fhir::Sensitivity;

    use super::*;

    fn grant() -> Grant {
        Grant {
            tenant_labels: LabelSet::of([Sensitivity::Eth]),
            open_by_default: true,
            shielded: LabelSet::of([Sensitivity::Eth, Sensitivity::Hiv]),
            break_glass: false,
            clauses: vec![
                Clause {
                    effect: Effect::Permit,
                    resource_types: vec![],
                    labels: LabelSet::of([Sensitivity::Eth]),
                    origin: "clinic/c1@2#provision".into(),
                },
                Clause {
                    effect: Effect::Deny,
                    resource_types: vec!["Observation".into(), "Condition".into()],
                    labels: LabelSet::of([Sensitivity::Psy, Sensitivity::Sex]),
                    origin: "clinic/c1@2#provision.provision[0]".into(),
                },
            ],
        }
    }

    #[test]
    fn grant_survives_the_wire() {
        let wire = pb::Grant::from(&grant());
        assert_eq!(wire.tenant_labels, ["ETH"]);
        assert_eq!(wire.shielded, ["ETH", "HIV"]);
        assert!(!wire.clauses[1].permit);
        assert_eq!(wire.clauses[1].labels, ["PSY", "SEX"]);
        assert_eq!(Grant::try_from(&wire), Ok(grant()));
        let nothing = Grant::nothing();
        assert_eq!(Grant::try_from(&pb::Grant::from(&nothing)), Ok(nothing));
    }

    #[test]
    fn grant_with_unknown_label_or_type_is_refused() {
        let mut wire = pb::Grant::from(&grant());
        wire.clauses[1].labels.push("BH".into());
        assert!(matches!(
            Grant::try_from(&wire),
            Err(ConsentError::InvalidGrant(m)) if m.starts_with("clauses[1].labels:")
        ));
        let mut wire = pb::Grant::from(&grant());
        wire.shielded.push("eth".into());
        assert!(matches!(
            Grant::try_from(&wire),
            Err(ConsentError::InvalidGrant(m)) if m.starts_with("shielded:")
        ));
        let mut wire = pb::Grant::from(&grant());
        wire.clauses[0].resource_types.push("Observaton".into());
        assert!(matches!(
            Grant::try_from(&wire),
            Err(ConsentError::InvalidGrant(m)) if m.starts_with("clauses[0].resource_types:")
        ));
    }
}
