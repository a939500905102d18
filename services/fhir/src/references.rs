//! References between resources: finding them, telling their kinds apart,
//! and rewriting them (a bundle's `urn:uuid:` placeholders become stored ids).

use serde_json::Value;

use crate::path::ElementPath;

/// What a `Reference.reference` string points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    /// `Type/id` (optionally `/_history/n`): a resource on this server.
    Local { resource_type: &'a str, id: &'a str },
    /// `urn:uuid:…` or `urn:oid:…`: an entry of the same bundle.
    Placeholder(&'a str),
    /// `Type?search`: resolved by searching, as FHIR conditional references are.
    Conditional {
        resource_type: &'a str,
        query: &'a str,
    },
    /// `#id`: a contained resource.
    Contained,
    /// An absolute URL on another server, or anything else we do not resolve.
    External,
}

impl<'a> Target<'a> {
    /// Classify a reference string.
    pub fn parse(reference: &'a str) -> Target<'a> {
        if reference.starts_with("urn:uuid:") || reference.starts_with("urn:oid:") {
            return Target::Placeholder(reference);
        }
        if reference.starts_with('#') {
            return Target::Contained;
        }
        if let Some((resource_type, query)) = reference.split_once('?') {
            if crate::is_resource_type(resource_type) {
                return Target::Conditional {
                    resource_type,
                    query,
                };
            }
            return Target::External;
        }
        let mut parts = reference.split('/');
        match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some(resource_type), Some(id), None, None, None)
            | (Some(resource_type), Some(id), Some("_history"), Some(_), None)
                if crate::is_resource_type(resource_type) && !id.is_empty() =>
            {
                Target::Local { resource_type, id }
            }
            _ => Target::External,
        }
    }
}

/// Call `visit` with the element path and the string of every `reference`
/// in the resource, in document order.
pub fn for_each<'a>(resource: &'a Value, visit: &mut impl FnMut(&ElementPath<'a>, &'a str)) {
    crate::path::walk(resource, &mut |path, key, value| match (key, value) {
        (Some("reference"), Value::String(reference)) => {
            visit(path, reference);
            false
        }
        _ => true,
    });
}

/// The UUID of a `urn:uuid:` bundle fullUrl, in lower case (a valid FHIR
/// id), if it is one.
pub fn bundle_uuid(full_url: &str) -> Option<String> {
    let lower = full_url.to_ascii_lowercase();
    fhirkit::primitive::is_uuid(&lower).then(|| lower["urn:uuid:".len()..].to_owned())
}

/// Every `reference` string in compact JSON as `serde_json` writes it (as
/// the node stores resources), found by scanning the text instead of parsing
/// it. A reference with an escape sequence in it is skipped: none of the
/// local `Type/id` references this is used for can contain one.
pub fn in_compact_json(text: &str) -> impl Iterator<Item = &str> {
    const KEY: &str = "\"reference\":\"";
    text.match_indices(KEY).filter_map(|(at, _)| {
        let rest = &text[at + KEY.len()..];
        let value = &rest[..rest.find('"')?];
        (!value.contains('\\')).then_some(value)
    })
}

/// Rewrite every `reference` string in place: `rewrite` returns the new
/// string, or `None` to leave it as it is.
pub fn rewrite(resource: &mut Value, rewrite: &mut impl FnMut(&str) -> Option<String>) {
    match resource {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("reference", Value::String(reference)) => {
                        if let Some(new) = rewrite(reference) {
                            *reference = new;
                        }
                    }
                    (_, child) => self::rewrite(child, rewrite),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| self::rewrite(child, rewrite)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_kinds_are_told_apart() {
        assert_eq!(
            Target::parse("Patient/123"),
            Target::Local {
                resource_type: "Patient",
                id: "123"
            }
        );
        assert_eq!(
            Target::parse("Patient/123/_history/2"),
            Target::Local {
                resource_type: "Patient",
                id: "123"
            }
        );
        assert_eq!(
            Target::parse("urn:uuid:abc"),
            Target::Placeholder("urn:uuid:abc")
        );
        assert_eq!(
            Target::parse("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1"),
            Target::Conditional {
                resource_type: "Practitioner",
                query: "identifier=http://hl7.org/fhir/sid/us-npi|1"
            }
        );
        assert_eq!(Target::parse("#med1"), Target::Contained);
        assert_eq!(
            Target::parse("https://other.example/fhir/Patient/1"),
            Target::External
        );
        assert_eq!(Target::parse("Unicorn/1"), Target::External);
    }

    #[test]
    fn every_reference_is_found_with_its_path() {
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Patient/1"},
            "hasMember": [{"reference": "Observation/2"}, {"display": "no reference"}]});
        let mut found = Vec::new();
        for_each(&obs, &mut |path, r| {
            found.push((path.to_string(), r.to_owned()))
        });
        assert_eq!(
            found,
            [
                (
                    "Observation.hasMember[0].reference".to_owned(),
                    "Observation/2".to_owned()
                ),
                (
                    "Observation.subject.reference".to_owned(),
                    "Patient/1".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn urn_uuids_are_bundle_uuids_in_lower_case() {
        let uuid = "0b5f2d0e-0000-4000-8000-000000000001";
        assert_eq!(
            bundle_uuid(&format!("urn:uuid:{uuid}")).as_deref(),
            Some(uuid)
        );
        let upper = "urn:uuid:0B5F2D0E-0000-4000-8000-000000000001";
        assert_eq!(bundle_uuid(upper).as_deref(), Some(uuid));
        assert_eq!(bundle_uuid("urn:uuid:not-a-uuid"), None);
        assert_eq!(bundle_uuid("Patient/1"), None);
    }

    #[test]
    fn references_are_found_in_stored_json_without_parsing() {
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Patient/1"},
            "performer": [{"reference": "Practitioner/2", "display": "Dr \"Q\""}],
            "note": [{"text": "see \"reference\":\"Fake/3\""}]});
        let text = serde_json::to_string(&obs).unwrap_or_default();
        let mut found: Vec<&str> = in_compact_json(&text).collect();
        found.sort_unstable();
        assert_eq!(found, ["Patient/1", "Practitioner/2"]);
    }

    #[test]
    fn placeholders_are_rewritten_and_others_kept() {
        let mut enc = json!({"resourceType": "Encounter",
            "subject": {"reference": "urn:uuid:p"}, "serviceProvider": {"reference": "Organization/o"}});
        rewrite(&mut enc, &mut |r| {
            (r == "urn:uuid:p").then(|| "Patient/42".to_owned())
        });
        assert_eq!(enc["subject"]["reference"], "Patient/42");
        assert_eq!(enc["serviceProvider"]["reference"], "Organization/o");
    }
}
