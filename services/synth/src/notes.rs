//! The clinical note written at each visit: plain text summarising what the
//! visit found and did, attached base64-encoded to a DocumentReference.
//! Notes mention sensitive diagnoses too, as real notes do, so consent
//! enforcement cannot rely on coded resources alone.

use crate::clinical::VISIT_NOTE;
use crate::codes::{Code, reference};
use crate::demographics::{Gender, Person};
use crate::json::object;
use crate::resources::Context;
use serde_json::Value;
use std::fmt::Write;

/// What a visit did, collected while it is generated.
#[derive(Debug, Default)]
pub(crate) struct Note {
    pub complaint: Option<&'static str>,
    pub diagnoses: Vec<&'static str>,
    pub allergies: Vec<&'static str>,
    pub medications: Vec<&'static str>,
    pub procedures: Vec<&'static str>,
    pub immunizations: Vec<&'static str>,
    pub tests: Vec<&'static str>,
}

impl Note {
    fn text(&self, cx: &Context<'_>, person: &Person, visit: &Code) -> String {
        let age = person.age_on(cx.start.date());
        let who = match person.gender {
            Gender::Male => "man",
            Gender::Female => "woman",
            Gender::Other | Gender::Unknown => "patient",
        };
        let mut text = String::with_capacity(512);
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{}\n", cx.start.date_text());
        let _ = writeln!(
            text,
            "# Chief Complaint\n{}\n",
            self.complaint.unwrap_or("No complaints.")
        );
        let _ = writeln!(
            text,
            "# History of Present Illness\n{} is a {age} year-old {who} seen by {} at {} ({}).\n",
            person.display, cx.team.practitioner.display, cx.team.organization.name, visit.display
        );
        text.push_str("# Assessment and Plan\n");
        let sections = [
            ("Diagnosed", &self.diagnoses),
            ("Allergies noted", &self.allergies),
            ("Tests", &self.tests),
            ("Prescribed", &self.medications),
            ("Procedures", &self.procedures),
            ("Immunizations", &self.immunizations),
        ];
        let mut any = false;
        for (title, items) in sections {
            if !items.is_empty() {
                any = true;
                let _ = writeln!(text, "{title}: {}.", items.join("; "));
            }
        }
        if !any {
            text.push_str("No new findings. Continue current care.\n");
        }
        text
    }
}

/// The visit note as a DocumentReference.
pub(crate) fn document_reference(
    cx: &Context<'_>,
    person: &Person,
    visit: &Code,
    note: &Note,
) -> Value {
    let text = note.text(cx, person, visit);
    let category = object! {
        "system" => "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "code" => "clinical-note",
        "display" => "Clinical Note",
    };
    let format = object! {
        "system" => "http://ihe.net/fhir/ValueSet/IHE.FormatCode.codesystem",
        "code" => "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        "display" => "mimeType Sufficient",
    };
    object! {
        "resourceType" => "DocumentReference",
        "status" => "current",
        "type" => VISIT_NOTE.concept(),
        "category" => vec![object! {"coding" => vec![category]}],
        "subject" => reference(cx.patient),
        "date" => cx.end.text(),
        "author" => vec![cx.team.practitioner.reference()],
        "custodian" => cx.team.organization.reference(),
        "content" => vec![object! {
            "attachment" => object! {
                "contentType" => "text/plain",
                "data" => base64(text.as_bytes()),
            },
            "format" => format,
        }],
        "context" => object! {
            "encounter" => vec![reference(cx.encounter)],
            "period" => object! {"start" => cx.start.text(), "end" => cx.end.text()},
        },
    }
}

/// Standard base64 with padding (RFC 4648), as FHIR `base64Binary` wants.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64("Zoë".as_bytes()), "Wm/Dqw==");
    }
}
