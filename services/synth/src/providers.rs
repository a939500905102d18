//! The fixed pools of care organisations and practitioners.
//!
//! Pool members are the same in every dataset (their uuids and NPIs come
//! from a fixed seed), and bundles create them conditionally on their
//! identifier, so loading many patients leaves one Organization per clinic
//! and one Practitioner per clinician on the server.

use crate::chance::{pick, pick_weighted_ref};
use crate::codes::reference_shown;
use crate::ids::{Dice, npi, pool_dice, uuid};
use crate::json::object;
use crate::names::{CULTURES, ascii_fold};
use crate::places::{CITIES, City, address, phone};
use rand::Rng;
use serde_json::Value;

/// Identifier system of synthetic organisations.
pub(crate) const ORGANIZATION_SYSTEM: &str = "https://continuum.example/synth/organization";
/// Identifier system of US National Provider Identifiers.
pub(crate) const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";

/// Pool numbers, so the two pools draw from unrelated streams.
const ORGANIZATION_POOL: u64 = 1;
const PRACTITIONER_POOL: u64 = 2;

/// Organisations (name, city). Every one runs clinics, an emergency
/// department and wards, so a patient's whole history can stay with it.
#[rustfmt::skip] // a table
const ORGANIZATIONS: &[(&str, &str)] = &[
    ("Harborview Family Health Center", "Boston"), ("Blackstone Valley Medical Center", "Worcester"),
    ("Narragansett Community Hospital", "Providence"), ("Hudson River Health Partners", "New York"),
    ("Schuylkill Medical Center", "Philadelphia"), ("Chesapeake Regional Hospital", "Baltimore"),
    ("Piedmont Community Health", "Atlanta"), ("Biscayne Bay Medical Center", "Miami"),
    ("Scioto Valley Health System", "Columbus"), ("Great Lakes Community Hospital", "Chicago"),
    ("North Star Family Medicine", "Minneapolis"), ("Gateway Health Partners", "St. Louis"),
    ("Bayou Medical Center", "New Orleans"), ("Lone Star Community Hospital", "Houston"),
    ("Front Range Health Center", "Denver"), ("Sonoran Desert Medical Center", "Phoenix"),
    ("Pacific Crest Hospital", "Los Angeles"), ("Willamette Valley Clinic", "Portland"),
    ("Puget Sound Health Center", "Seattle"), ("Kapiʻolani Community Health", "Honolulu"),
];

/// How many practitioners the pool holds; practitioner `i` works at
/// organisation `i % ORGANIZATIONS.len()`, two or three per organisation.
const PRACTITIONERS: usize = 50;

fn city_named(name: &str) -> &'static City {
    CITIES.iter().find(|c| c.name == name).unwrap_or(&CITIES[0])
}

/// One organisation of the pool.
#[derive(Debug)]
pub(crate) struct Organization {
    pub uuid: String,
    pub identifier: String,
    pub name: &'static str,
    pub city: &'static City,
    address: Value,
    phone: String,
}

impl Organization {
    pub(crate) fn nth(index: usize) -> Organization {
        let index = index % ORGANIZATIONS.len();
        let (name, city) = ORGANIZATIONS[index];
        let city = city_named(city);
        let mut dice = pool_dice(ORGANIZATION_POOL, index);
        let mut address = address(&mut dice, city);
        address["use"] = Value::from("work");
        Organization {
            uuid: uuid(&mut dice),
            identifier: format!("org-{:03}", index + 1),
            name,
            city,
            address,
            phone: phone(&mut dice),
        }
    }

    /// The search that finds this organisation: `ifNoneExist` of its
    /// conditional create, and the query of conditional references to it.
    pub(crate) fn search(&self) -> String {
        format!("identifier={ORGANIZATION_SYSTEM}|{}", self.identifier)
    }

    /// A conditional reference, resolved by the server on import.
    pub(crate) fn reference(&self) -> Value {
        reference_shown(&format!("Organization?{}", self.search()), self.name)
    }

    pub(crate) fn resource(&self) -> Value {
        let kind = object! {
            "system" => "http://terminology.hl7.org/CodeSystem/organization-type",
            "code" => "prov",
            "display" => "Healthcare Provider",
        };
        object! {
            "resourceType" => "Organization",
            "identifier" => vec![object! {"system" => ORGANIZATION_SYSTEM, "value" => self.identifier.as_str()}],
            "active" => true,
            "type" => vec![object! {"coding" => vec![kind], "text" => "Healthcare Provider"}],
            "name" => self.name,
            "telecom" => vec![object! {"system" => "phone", "value" => self.phone.as_str(), "use" => "work"}],
            "address" => vec![self.address.clone()],
        }
    }
}

/// One practitioner of the pool.
#[derive(Debug)]
pub(crate) struct Practitioner {
    pub uuid: String,
    pub npi: String,
    /// `Dr. Given Family`, for reference displays and notes.
    pub display: String,
    resource: Value,
}

impl Practitioner {
    pub(crate) fn nth(index: usize) -> Practitioner {
        let index = index % PRACTITIONERS;
        let organization = Organization::nth(index);
        let mut dice = pool_dice(PRACTITIONER_POOL, index);
        let uuid = uuid(&mut dice);
        let npi = npi(dice.random_range(100_000_000..999_999_999));
        let culture = pick_weighted_ref(&mut dice, CULTURES);
        let female = dice.random_bool(0.5);
        let given = pick(
            &mut dice,
            if female { culture.female } else { culture.male },
        );
        let family = pick(&mut dice, culture.family);
        let email = format!(
            "{}.{}@{}.example.org",
            ascii_fold(given),
            ascii_fold(family),
            ascii_fold(organization.city.name)
        );
        let resource = object! {
            "resourceType" => "Practitioner",
            "identifier" => vec![object! {"system" => NPI_SYSTEM, "value" => npi.as_str()}],
            "active" => true,
            "name" => vec![object! {
                "use" => "official",
                "family" => family,
                "given" => vec![given],
                "prefix" => vec!["Dr."],
            }],
            "telecom" => vec![object! {"system" => "email", "value" => email, "use" => "work"}],
            "address" => vec![organization.address],
            "gender" => if female { "female" } else { "male" },
        };
        Practitioner {
            uuid,
            npi,
            display: format!("Dr. {given} {family}"),
            resource,
        }
    }

    pub(crate) fn search(&self) -> String {
        format!("identifier={NPI_SYSTEM}|{}", self.npi)
    }

    /// A conditional reference, resolved by the server on import.
    pub(crate) fn reference(&self) -> Value {
        reference_shown(&format!("Practitioner?{}", self.search()), &self.display)
    }

    pub(crate) fn resource(&self) -> Value {
        self.resource.clone()
    }
}

/// Where a patient is cared for: one organisation and one of its
/// practitioners, for the whole history.
#[derive(Debug)]
pub(crate) struct CareTeam {
    pub organization: Organization,
    pub practitioner: Practitioner,
}

impl CareTeam {
    pub(crate) fn choose(dice: &mut Dice) -> CareTeam {
        let organization = dice.random_range(0..ORGANIZATIONS.len());
        // The practitioners of organisation `o` are o, o + 20, o + 40 (< 50).
        let staff = (PRACTITIONERS - organization).div_ceil(ORGANIZATIONS.len());
        let practitioner = organization + ORGANIZATIONS.len() * dice.random_range(0..staff);
        CareTeam {
            organization: Organization::nth(organization),
            practitioner: Practitioner::nth(practitioner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_organisation_is_in_a_known_city() {
        for (name, city) in ORGANIZATIONS {
            assert!(CITIES.iter().any(|c| c.name == *city), "{name}: {city}");
        }
    }

    #[test]
    fn pools_have_distinct_stable_identities() {
        let npis: HashSet<_> = (0..PRACTITIONERS)
            .map(|i| Practitioner::nth(i).npi)
            .collect();
        assert_eq!(npis.len(), PRACTITIONERS);
        let uuids: HashSet<_> = (0..ORGANIZATIONS.len())
            .map(|i| Organization::nth(i).uuid)
            .collect();
        assert_eq!(uuids.len(), ORGANIZATIONS.len());
        assert_eq!(
            Practitioner::nth(7).resource(),
            Practitioner::nth(7).resource()
        );
    }

    #[test]
    fn practitioners_work_at_the_chosen_organisation() {
        let mut dice = pool_dice(99, 0);
        for _ in 0..200 {
            let team = CareTeam::choose(&mut dice);
            assert_eq!(
                team.practitioner.resource["address"][0],
                team.organization.address
            );
        }
    }
}
