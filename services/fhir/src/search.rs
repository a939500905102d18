//! The values a resource can be found by: identifiers of any resource, and a
//! patient's name parts and birth date. Names are folded (case, accents,
//! punctuation) so that "José Müller-Smith" is found by "jose", "muller" or
//! "smith".

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `system|value` of an identifier (an empty system when it has none).
pub const IDENTIFIER: &str = "identifier";
/// The value of an identifier, whatever its system.
pub const IDENTIFIER_VALUE: &str = "identifier-value";
/// One folded part of a family or given name.
pub const NAME: &str = "name";
/// A patient's birth date.
pub const BIRTH_DATE: &str = "birthdate";

/// Every (parameter, value) a resource is indexed under.
pub fn tokens(resource: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for identifier in array(resource, "identifier") {
        if let Some(value) = identifier.get("value").and_then(Value::as_str) {
            let system = identifier
                .get("system")
                .and_then(Value::as_str)
                .unwrap_or("");
            out.push((IDENTIFIER, format!("{system}|{value}")));
            out.push((IDENTIFIER_VALUE, value.to_owned()));
        }
    }
    if resource.get("resourceType").and_then(Value::as_str) == Some("Patient") {
        for name in array(resource, "name") {
            let family = name.get("family").and_then(Value::as_str).into_iter();
            let given = array(name, "given").filter_map(Value::as_str);
            for part in family.chain(given).flat_map(name_parts) {
                out.push((NAME, part));
            }
        }
        if let Some(birth_date) = resource.get("birthDate").and_then(Value::as_str) {
            out.push((BIRTH_DATE, birth_date.to_owned()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Fold a name for matching: no accents, lower case, letters and digits only.
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The folded parts of one name ("Müller-Smith" → "muller", "smith", and the
/// whole "mullersmith" so that either spelling finds it).
fn name_parts(name: &str) -> impl Iterator<Item = String> {
    let parts: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(fold)
        .filter(|p| !p.is_empty())
        .collect();
    let whole = (parts.len() > 1).then(|| parts.concat());
    parts.into_iter().chain(whole)
}

/// A string greater than every folded string starting with `prefix` (its last
/// character moved one up), for an index range scan `prefix <= value < upper`.
/// Folded values are letters and digits only, which sort the same way under
/// SQLite's byte order and PostgreSQL's usual collations.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(u32::from(last) + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_folded_and_split() {
        let patient = json!({"resourceType": "Patient",
            "name": [{"family": "Müller-Smith", "given": ["José", "Zoë Ann"]}],
            "birthDate": "1980-04-05"});
        let names: Vec<String> = tokens(&patient)
            .into_iter()
            .filter(|(p, _)| *p == NAME)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            names,
            [
                "ann",
                "jose",
                "muller",
                "mullersmith",
                "smith",
                "zoe",
                "zoeann"
            ]
        );
    }

    #[test]
    fn identifiers_index_with_and_without_system() {
        let obs = json!({"resourceType": "Observation",
            "identifier": [{"system": "urn:lab", "value": "A1"}, {"value": "B2"}]});
        let tokens = tokens(&obs);
        assert!(tokens.contains(&(IDENTIFIER, "urn:lab|A1".into())));
        assert!(tokens.contains(&(IDENTIFIER, "|B2".into())));
        assert!(tokens.contains(&(IDENTIFIER_VALUE, "A1".into())));
        assert!(!tokens.iter().any(|(p, _)| *p == NAME));
    }

    #[test]
    fn prefix_bound_covers_longer_values() {
        assert_eq!(prefix_upper_bound("smi").as_deref(), Some("smj"));
        assert_eq!(prefix_upper_bound(""), None);
    }
}
