//! Building FHIR JSON by moving parts in rather than copying them.
//!
//! `serde_json::json!` serialises every interpolated expression, so a
//! `Value` embedded in it (a CodeableConcept, a whole resource) is deep-
//! copied and the original dropped. Records are built from many such parts,
//! and that copying once dominated generation time; `object!` moves them.

/// A JSON object from `"key" => value` pairs, each value turned into a
/// `serde_json::Value` with `Value::from` (strings, numbers, booleans,
/// vectors, and `Value`s as they are). Nest objects with `object!` and
/// arrays with `vec!`.
macro_rules! object {
    ($($key:literal => $value:expr),+ $(,)?) => {{
        let mut object = serde_json::Map::new();
        $(object.insert(String::from($key), serde_json::Value::from($value));)+
        serde_json::Value::Object(object)
    }};
}

pub(crate) use object;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn objects_hold_what_they_are_given() {
        let code = json!({"text": "x"});
        let built = object! {
            "s" => "text",
            "n" => 1.5,
            "b" => true,
            "code" => code,
            "list" => vec![object! {"k" => 1}],
        };
        let expected =
            json!({"s": "text", "n": 1.5, "b": true, "code": {"text": "x"}, "list": [{"k": 1}]});
        assert_eq!(built, expected);
        assert!(matches!(built, Value::Object(_)));
    }
}
