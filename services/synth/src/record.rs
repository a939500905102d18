//! The transaction Bundle under construction: its entries and how much room
//! is left before the record reaches the size it was drawn to have.

use crate::ids::{Dice, uuid};
use crate::json::object;
use serde_json::Value;

/// Entries of one patient's transaction Bundle, with a fixed capacity.
#[derive(Debug)]
pub(crate) struct Record {
    entries: Vec<Value>,
    target: usize,
}

impl Record {
    /// An empty record that will hold exactly `target` entries.
    pub(crate) fn new(target: usize) -> Record {
        Record {
            entries: Vec::with_capacity(target),
            target,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries that can still be added.
    pub(crate) fn room(&self) -> usize {
        self.target.saturating_sub(self.entries.len())
    }

    /// Adds a resource created by plain POST. Its id is a fresh uuid from
    /// `dice`, also used in the entry's `urn:uuid:` fullUrl, which is
    /// returned for other entries to reference.
    pub(crate) fn add(&mut self, dice: &mut Dice, resource: Value) -> String {
        let id = uuid(dice);
        let full_url = format!("urn:uuid:{id}");
        let request = object! {"method" => "POST", "url" => resource_type(&resource)};
        self.push(id, full_url.clone(), resource, request);
        full_url
    }

    /// Adds a resource created only if `search` finds nothing on the
    /// server (a conditional create), under a stable `uuid`.
    pub(crate) fn add_conditional(&mut self, uuid: &str, resource: Value, search: String) {
        let request = object! {
            "method" => "POST",
            "url" => resource_type(&resource),
            "ifNoneExist" => search,
        };
        self.push(
            uuid.to_owned(),
            format!("urn:uuid:{uuid}"),
            resource,
            request,
        );
    }

    fn push(&mut self, id: String, full_url: String, mut resource: Value, request: Value) {
        // The chart reserves room before adding; overfilling is a bug.
        debug_assert!(self.room() > 0, "record overfilled past {}", self.target);
        if let Some(fields) = resource.as_object_mut() {
            fields.insert("id".to_owned(), Value::String(id));
        }
        self.entries.push(object! {
            "fullUrl" => full_url,
            "resource" => resource,
            "request" => request,
        });
    }

    pub(crate) fn into_bundle(self) -> Value {
        object! {
            "resourceType" => "Bundle",
            "type" => "transaction",
            "entry" => self.entries,
        }
    }
}

fn resource_type(resource: &Value) -> String {
    resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Room one visit may spend on optional content, after what it must record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(usize);

impl Budget {
    pub(crate) fn new(room: usize) -> Budget {
        Budget(room)
    }

    /// Takes room for `n` resources if there is that much left.
    pub(crate) fn take(&mut self, n: usize) -> bool {
        if n <= self.0 {
            self.0 -= n;
            true
        } else {
            false
        }
    }

    pub(crate) fn left(self) -> usize {
        self.0
    }
}
