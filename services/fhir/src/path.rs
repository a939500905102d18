//! Element paths (`Observation.component[1].code`) built while walking a
//! resource without allocating: segments borrow the JSON's own keys, and the
//! text is only produced when someone needs it (an error message).

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where in a resource an element is.
#[derive(Debug, Clone)]
pub struct ElementPath<'a> {
    root: &'a str,
    segments: Vec<Segment<'a>>,
}

impl<'a> ElementPath<'a> {
    /// The path of a resource's root: its `resourceType`.
    pub fn root_of(resource: &'a Value) -> Self {
        let root = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Resource");
        Self {
            root,
            segments: Vec::with_capacity(16),
        }
    }

    fn push_key(&mut self, key: &'a str) {
        self.segments.push(Segment::Key(key));
    }

    fn push_index(&mut self, index: usize) {
        self.segments.push(Segment::Index(index));
    }

    fn pop(&mut self) {
        self.segments.pop();
    }
}

impl fmt::Display for ElementPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root)?;
        for segment in &self.segments {
            match segment {
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Visit every value of `resource` depth-first with its path; `visit`
/// returns whether to descend into the value's children.
pub fn walk<'a>(
    resource: &'a Value,
    visit: &mut impl FnMut(&ElementPath<'a>, Option<&'a str>, &'a Value) -> bool,
) {
    fn go<'a>(
        value: &'a Value,
        key: Option<&'a str>,
        path: &mut ElementPath<'a>,
        visit: &mut impl FnMut(&ElementPath<'a>, Option<&'a str>, &'a Value) -> bool,
    ) {
        if !visit(path, key, value) {
            return;
        }
        match value {
            Value::Object(map) => {
                for (child_key, child) in map {
                    path.push_key(child_key);
                    go(child, Some(child_key), path, visit);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    path.push_index(index);
                    go(child, key, path, visit);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut path = ElementPath::root_of(resource);
    go(resource, None, &mut path, visit);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_keys_and_indexes() {
        let obs = json!({"resourceType": "Observation", "component": [{"code": {"text": "a"}}]});
        let mut seen = Vec::new();
        walk(&obs, &mut |path, _, value| {
            if value.is_string() {
                seen.push(path.to_string());
            }
            true
        });
        assert_eq!(
            seen,
            [
                "Observation.component[0].code.text",
                "Observation.resourceType"
            ]
        );
    }
}
