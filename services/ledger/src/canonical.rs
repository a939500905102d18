//! Canonical JSON for entry bodies: the same payload always gives the same
//! bytes, whatever the order of struct fields or map insertion.
//!
//! Verification never re-serializes (it hashes the stored text), so the
//! canonical form matters for reproducibility: another implementation that
//! writes the same payload gets the same entry hash.

use serde::Serialize;
use serde_json::Value;

use crate::error::LedgerError;

/// `payload` as canonical JSON: UTF-8, no whitespace, object keys sorted by
/// their UTF-8 bytes at every depth, strings escaped and numbers written as
/// `serde_json` writes them.
///
/// Keys are sorted here rather than relying on `serde_json::Map` being a
/// `BTreeMap`: another crate enabling `preserve_order` would silently change
/// that for the whole build.
pub fn to_canonical_json(payload: &impl Serialize) -> Result<String, LedgerError> {
    let value = serde_json::to_value(payload).map_err(|e| LedgerError::Body(e.to_string()))?;
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, &value).map_err(|e| LedgerError::Body(e.to_string()))?;
    // Only valid UTF-8 was written: strings come from `str`, the rest is ASCII.
    String::from_utf8(out).map_err(|e| LedgerError::Body(e.to_string()))
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Unordered {
        zeta: u32,
        alpha: Vec<&'static str>,
        #[serde(rename = "Mid")]
        mid: Option<bool>,
        nested: Nested,
    }

    #[derive(Serialize)]
    struct Nested {
        b: &'static str,
        a: i64,
    }

    #[test]
    fn keys_are_sorted_at_every_depth_without_whitespace() -> Result<(), LedgerError> {
        let body = to_canonical_json(&Unordered {
            zeta: 1,
            alpha: vec!["x", "é\"\n"],
            mid: None,
            nested: Nested { b: "q", a: -3 },
        })?;
        assert_eq!(
            body,
            r#"{"Mid":null,"alpha":["x","é\"\n"],"nested":{"a":-3,"b":"q"},"zeta":1}"#
        );
        Ok(())
    }

    #[test]
    fn a_map_gives_the_same_bytes_as_the_struct() -> Result<(), LedgerError> {
        let from_map = to_canonical_json(&serde_json::json!({"b": "q", "a": -3}))?;
        let from_struct = to_canonical_json(&Nested { b: "q", a: -3 })?;
        assert_eq!(from_map, from_struct);
        Ok(())
    }
}
