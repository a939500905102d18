//! What an entry records, as a stable text code. Stored and hashed as text,
//! so a verifier built before a kind existed still verifies entries of it.

use std::fmt;
use std::str::FromStr;

/// The kinds of audited events. Adding a kind is adding a variant with a
/// new code; a code, once used, never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// The locator released records from at least one holding organization.
    DisclosurePermit,
    /// The locator refused a request: no holding organization was permitted.
    DisclosureDeny,
    /// Records were released under break-the-glass (emergency treatment).
    DisclosureBreakGlass,
    /// A patient's consent directive was recorded, revised or revoked.
    ConsentChange,
    /// The network's consent policy changed.
    ConsentPolicy,
    /// The directory changed: an organization or node onboarded, a
    /// certificate issued or revoked.
    DirectoryChange,
    /// The master patient index linked or unlinked a local patient.
    MpiLink,
    /// An operator reviewed a break-the-glass access.
    BreakGlassReview,
    /// A node released records of one of its tenants (the node's ledger).
    Release,
    /// One of a node's tenants received records from other organizations
    /// (the node's ledger: the recipient's side of a disclosure).
    Receipt,
}

impl EntryKind {
    pub const ALL: [EntryKind; 10] = [
        EntryKind::DisclosurePermit,
        EntryKind::DisclosureDeny,
        EntryKind::DisclosureBreakGlass,
        EntryKind::ConsentChange,
        EntryKind::ConsentPolicy,
        EntryKind::DirectoryChange,
        EntryKind::MpiLink,
        EntryKind::BreakGlassReview,
        EntryKind::Release,
        EntryKind::Receipt,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::DisclosurePermit => "disclosure.permit",
            EntryKind::DisclosureDeny => "disclosure.deny",
            EntryKind::DisclosureBreakGlass => "disclosure.break-glass",
            EntryKind::ConsentChange => "consent.change",
            EntryKind::ConsentPolicy => "consent.policy",
            EntryKind::DirectoryChange => "directory.change",
            EntryKind::MpiLink => "mpi.link",
            EntryKind::BreakGlassReview => "break-glass.review",
            EntryKind::Release => "release",
            EntryKind::Receipt => "receipt",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A stored code this build does not know (written by a newer version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ledger entry kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for EntryKind {
    type Err = UnknownKind;

    fn from_str(code: &str) -> Result<Self, UnknownKind> {
        EntryKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| UnknownKind(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_and_is_unique() {
        let mut codes: Vec<&str> = EntryKind::ALL.iter().map(|k| k.code()).collect();
        for kind in EntryKind::ALL {
            assert_eq!(kind.code().parse::<EntryKind>(), Ok(kind));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), EntryKind::ALL.len());
        assert!("disclosure.later".parse::<EntryKind>().is_err());
    }
}
