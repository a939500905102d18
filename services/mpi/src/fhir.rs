//! Reading [`Demographics`] out of a FHIR R4 `Patient` resource, the form
//! nodes hold their patients in.
//!
//! Lenient on purpose: a node's data is what it is, and a missing or
//! malformed element is simply not evidence. Only the elements matching
//! uses are read: the official name (else the first), the first address,
//! phone telecoms, and identifiers with both system and value.

use serde_json::Value;

use crate::demographics::{Address, Demographics, Identifier, Sex};

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Demographics {
    /// Demographics of a FHIR R4 `Patient` (JSON).
    pub fn from_fhir_patient(patient: &Value) -> Demographics {
        let names = patient.get("name").and_then(Value::as_array);
        let name = names.and_then(|names| {
            names
                .iter()
                .find(|n| n.get("use").and_then(Value::as_str) == Some("official"))
                .or_else(|| names.first())
        });
        let sex = match patient.get("gender").and_then(Value::as_str) {
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            Some("other") => Some(Sex::Other),
            Some("unknown") => Some(Sex::Unknown),
            _ => None,
        };
        let address = patient
            .get("address")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .map(|a| Address {
                lines: strings(a.get("line")),
                city: string(a.get("city")),
                postal_code: string(a.get("postalCode")),
                country: string(a.get("country")),
            });
        let phones = patient
            .get("telecom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t.get("system").and_then(Value::as_str) == Some("phone"))
            .filter_map(|t| string(t.get("value")))
            .collect();
        let identifiers = patient
            .get("identifier")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| {
                Some(Identifier {
                    system: string(i.get("system"))?,
                    value: string(i.get("value"))?,
                })
            })
            .collect();
        Demographics {
            given: strings(name.and_then(|n| n.get("given"))),
            family: string(name.and_then(|n| n.get("family"))),
            suffix: strings(name.and_then(|n| n.get("suffix"))),
            birth_date: string(patient.get("birthDate")),
            sex,
            address,
            phones,
            identifiers,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn official_name_address_phones_and_identifiers_are_read() {
        let patient = serde_json::json!({
            "resourceType": "Patient",
            "identifier": [
                {"system": "urn:oid:1.2.3.4.1", "value": "MRN-0042"},
                {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"},
                {"value": "no system, ignored"}
            ],
            "name": [
                {"use": "nickname", "given": ["Bobby"]},
                {"use": "official", "family": "Smith", "given": ["Robert", "James"], "suffix": ["Jr."]}
            ],
            "telecom": [
                {"system": "email", "value": "bob@example.org"},
                {"system": "phone", "value": "(617) 555-0101"}
            ],
            "gender": "male",
            "birthDate": "1970-05-06",
            "address": [
                {"line": ["12 Elm Street"], "city": "Boston", "postalCode": "02139", "country": "US"},
                {"line": ["Old address"]}
            ]
        });
        let d = Demographics::from_fhir_patient(&patient);
        assert_eq!(d.given, ["Robert", "James"]);
        assert_eq!(d.family.as_deref(), Some("Smith"));
        assert_eq!(d.suffix, ["Jr."]);
        assert_eq!(d.birth_date.as_deref(), Some("1970-05-06"));
        assert_eq!(d.sex, Some(Sex::Male));
        let address = d.address.unwrap();
        assert_eq!(address.lines, ["12 Elm Street"]);
        assert_eq!(address.postal_code.as_deref(), Some("02139"));
        assert_eq!(d.phones, ["(617) 555-0101"]);
        assert_eq!(d.identifiers.len(), 2);
        assert_eq!(d.identifiers[1].value, "123-45-6789");
    }

    #[test]
    fn a_bare_patient_gives_empty_demographics() {
        let d = Demographics::from_fhir_patient(&serde_json::json!({"resourceType": "Patient"}));
        assert_eq!(d, Demographics::default());
    }
}
