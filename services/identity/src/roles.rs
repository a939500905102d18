//! Continuum's roles and what each may do on a node's clinical API.
//!
//! This table is the one place that says who may do what. An organization's
//! identity provider has its own role names; the tenant's configuration maps
//! them onto these (see [`crate::ProviderConfig::roles`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A Continuum role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Role {
    /// Treats patients: reads and writes charts, records consent, fetches
    /// outside records.
    Clinician,
    /// Front desk: registers and finds patients, records consent forms.
    Registrar,
    /// A system (EMR interface engine): imports bundles, registers patients,
    /// reads and writes clinical data. Never a person.
    Integration,
    /// May break the glass in an emergency (together with a role that may
    /// fetch outside records).
    EmergencyAccess,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Clinician,
        Role::Registrar,
        Role::Integration,
        Role::EmergencyAccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Registrar => "registrar",
            Role::Integration => "integration",
            Role::EmergencyAccess => "emergency-access",
        }
    }

    /// What the role allows.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Clinician => &[
                FindPatients,
                ReadCharts,
                WriteClinicalData,
                RecordConsent,
                FetchOutsideRecords,
                ReadDisclosures,
                ReadAccessReports,
            ],
            Role::Registrar => &[
                FindPatients,
                RegisterPatients,
                RecordConsent,
                ReadAccessReports,
            ],
            Role::Integration => &[
                FindPatients,
                RegisterPatients,
                ReadCharts,
                WriteClinicalData,
                ImportBundles,
            ],
            Role::EmergencyAccess => &[BreakTheGlass],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that Continuum does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Continuum role (clinician, registrar, integration, emergency-access)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Role> for String {
    fn from(role: Role) -> String {
        role.as_str().to_owned()
    }
}

/// Something a caller may be allowed to do on the clinical API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    FindPatients,
    RegisterPatients,
    ReadCharts,
    WriteClinicalData,
    ImportBundles,
    RecordConsent,
    FetchOutsideRecords,
    BreakTheGlass,
    ReadDisclosures,
    /// Read a patient's access report for them (who saw their records).
    ReadAccessReports,
}

impl Permission {
    /// What it allows, for error messages ("… may not {describe}").
    pub fn describe(self) -> &'static str {
        match self {
            Permission::FindPatients => "find patients",
            Permission::RegisterPatients => "register or update patients",
            Permission::ReadCharts => "read charts",
            Permission::WriteClinicalData => "write clinical data",
            Permission::ImportBundles => "import bundles",
            Permission::RecordConsent => "record consent",
            Permission::FetchOutsideRecords => "fetch records from other organizations",
            Permission::BreakTheGlass => "break the glass",
            Permission::ReadDisclosures => "read the disclosure records",
            Permission::ReadAccessReports => "read a patient's access report",
        }
    }

    /// Only a verified person may do it: what it does is disclosed to the
    /// network in someone's name.
    pub fn needs_a_person(self) -> bool {
        matches!(
            self,
            Permission::FetchOutsideRecords | Permission::BreakTheGlass
        )
    }

    /// The roles that grant it, for error messages.
    pub fn granted_by(self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|role| role.permissions().contains(&self))
            .collect()
    }
}

/// The Continuum roles a caller holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleSet(Vec<Role>);

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.0
            .iter()
            .any(|role| role.permissions().contains(&permission))
    }

    /// The role that grants `permission`: the one named in audit records.
    pub fn granting(&self, permission: Permission) -> Option<Role> {
        self.0
            .iter()
            .copied()
            .find(|role| role.permissions().contains(&permission))
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no Continuum role");
        }
        let names: Vec<&str> = self.0.iter().map(|r| r.as_str()).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_clinicians_fetch_and_only_emergency_access_breaks_the_glass() {
        assert_eq!(
            Permission::FetchOutsideRecords.granted_by(),
            vec![Role::Clinician]
        );
        assert_eq!(
            Permission::BreakTheGlass.granted_by(),
            vec![Role::EmergencyAccess]
        );
        let registrar = RoleSet::new([Role::Registrar]);
        assert!(registrar.allows(Permission::RegisterPatients));
        assert!(!registrar.allows(Permission::ReadCharts));
    }

    #[test]
    fn every_permission_is_granted_by_some_role() {
        use Permission::*;
        for permission in [
            FindPatients,
            RegisterPatients,
            ReadCharts,
            WriteClinicalData,
            ImportBundles,
            RecordConsent,
            FetchOutsideRecords,
            BreakTheGlass,
            ReadDisclosures,
        ] {
            assert!(!permission.granted_by().is_empty(), "{permission:?}");
        }
    }
}
