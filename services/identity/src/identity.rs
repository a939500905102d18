//! Who a verified token names.

use crate::roles::{Permission, RoleSet};

/// A person signed in at their organization's provider, or a system that
/// obtained a token with its own client credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Person,
    Service,
}

/// A verified caller, as the tenant's identity provider vouched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: PrincipalKind,
    /// The subject at the provider (`sub`, or the configured claim).
    pub subject: String,
    /// The display name; the subject when the token carries none.
    pub name: String,
    /// A professional identifier such as the NPI, when the token carries one.
    pub professional_id: Option<String>,
    pub roles: RoleSet,
    /// Seconds since the epoch at which the token stops being valid.
    pub expires_at: u64,
}

/// Why a verified caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{who} may not {what}: that needs one of the roles {needed}, and they hold {held}")]
    MissingRole {
        who: String,
        what: &'static str,
        needed: String,
        held: String,
    },
    #[error(
        "{who} is a service; only a person signed in at the organization's identity provider may {what}"
    )]
    NotAPerson { who: String, what: &'static str },
}

impl Identity {
    /// Whether the caller may do `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Refusal> {
        if permission.needs_a_person() && self.kind != PrincipalKind::Person {
            return Err(Refusal::NotAPerson {
                who: self.describe(),
                what: permission.describe(),
            });
        }
        if self.roles.allows(permission) {
            return Ok(());
        }
        let needed: Vec<&str> = permission
            .granted_by()
            .into_iter()
            .map(|r| r.as_str())
            .collect();
        Err(Refusal::MissingRole {
            who: self.describe(),
            what: permission.describe(),
            needed: needed.join(" or "),
            held: self.roles.to_string(),
        })
    }

    fn describe(&self) -> String {
        format!("`{}`", self.subject)
    }
}
