//! Turning what registration desks type into comparable values.
//!
//! Two records of one patient differ in case, accents, punctuation, street
//! abbreviations, phone formats and ZIP+4; none of that is evidence either
//! way, so it is removed here, once, before any comparison or blocking key
//! sees the data. What *is* evidence (a different letter, a swapped day and
//! month) is left for the comparators to judge.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercase ASCII-ish folding: NFKD, combining marks stripped, letters
/// without a decomposition spelled out (ß → ss), apostrophes dropped
/// (O'Brien → obrien), every other non-alphanumeric character a space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) || c == '\'' || c == '\u{2019}' || c == '`' {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// A generational name suffix. Jr and II are the same claim ("the second of
/// that name"); a conflict between two records' suffixes means two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    Senior,
    Junior,
    Third,
    Fourth,
}

impl Generation {
    /// The generation a folded name token denotes, if it is a suffix.
    pub fn from_token(token: &str) -> Option<Self> {
        match token {
            "sr" | "senior" | "i" => Some(Self::Senior),
            "jr" | "junior" | "ii" | "2nd" => Some(Self::Junior),
            "iii" | "3rd" => Some(Self::Third),
            "iv" | "4th" => Some(Self::Fourth),
            _ => None,
        }
    }
}

/// Name tokens of one name part (given or family), folded, hyphenated and
/// multiple names split, order kept; a generational suffix typed into the
/// name ("Smith Jr.") is taken out and returned apart. A lone "i" is only a
/// suffix after another token, so an initial "I" stays a name.
pub fn name_tokens(raw: &str) -> (Vec<String>, Option<Generation>) {
    let mut tokens = Vec::new();
    let mut generation = None;
    for token in fold(raw).split_whitespace() {
        match Generation::from_token(token) {
            Some(g) if !tokens.is_empty() && (token != "i" || tokens.len() > 1) => {
                generation = Some(g)
            }
            _ => tokens.push(token.to_owned()),
        }
    }
    (tokens, generation)
}

/// A birth date as far as it is known (FHIR allows `YYYY` and `YYYY-MM`);
/// `month`/`day` are 0 when unknown. Four bytes, so records stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl BirthDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a time part is ignored);
    /// `None` for anything that is not a plausible calendar date.
    pub fn parse(text: &str) -> Option<Self> {
        let date = text.trim().get(..10.min(text.trim().len()))?;
        let mut parts = date.split('-');
        let year: u16 = parts.next()?.parse().ok()?;
        let month: u8 = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        let day: u8 = match parts.next() {
            Some(d) => d.parse().ok()?,
            None => 0,
        };
        let valid =
            (1850..=2200).contains(&year) && month <= 12 && day <= 31 && (month != 0 || day == 0);
        valid.then_some(Self { year, month, day })
    }

    /// Whether month and day are both known.
    pub fn is_full(self) -> bool {
        self.month != 0 && self.day != 0
    }

    /// The date as eight digits `YYYYMMDD` (for typo detection).
    pub fn digits(self) -> [u8; 8] {
        let s = format!("{:04}{:02}{:02}", self.year, self.month, self.day);
        let mut out = [0u8; 8];
        out.copy_from_slice(&s.as_bytes()[..8]);
        out
    }

    /// A compact key for blocking: `YYYYMMDD` as a number.
    pub fn key(self) -> u32 {
        u32::from(self.year) * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }
}

/// Street abbreviations (USPS Publication 28 style) and spelled-out
/// ordinals, so "123 North Main Street" and "123 N Main St." agree.
const STREET_WORDS: &[(&str, &str)] = &[
    ("alley", "aly"),
    ("apartment", "apt"),
    ("avenue", "ave"),
    ("boulevard", "blvd"),
    ("circle", "cir"),
    ("court", "ct"),
    ("drive", "dr"),
    ("east", "e"),
    ("eighth", "8th"),
    ("fifth", "5th"),
    ("first", "1st"),
    ("floor", "fl"),
    ("fourth", "4th"),
    ("freeway", "fwy"),
    ("highway", "hwy"),
    ("lane", "ln"),
    ("north", "n"),
    ("northeast", "ne"),
    ("northwest", "nw"),
    ("parkway", "pkwy"),
    ("place", "pl"),
    ("road", "rd"),
    ("second", "2nd"),
    ("seventh", "7th"),
    ("sixth", "6th"),
    ("south", "s"),
    ("southeast", "se"),
    ("southwest", "sw"),
    ("square", "sq"),
    ("street", "st"),
    ("suite", "ste"),
    ("terrace", "ter"),
    ("third", "3rd"),
    ("trail", "trl"),
    ("unit", "apt"),
    ("way", "way"),
    ("west", "w"),
];

/// Address lines folded, street words abbreviated, joined by single spaces.
/// `#` becomes `apt` because "Apt 4" and "#4" are the same unit.
pub fn address_line(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.replace('#', " apt ");
        for token in fold(&line).split_whitespace() {
            let token = STREET_WORDS
                .binary_search_by(|(long, _)| (*long).cmp(token))
                .map_or(token, |i| STREET_WORDS[i].1);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
        }
    }
    out
}

/// A postcode uppercased without spaces or dashes; a US ZIP+4 is cut to
/// its five-digit ZIP, since the +4 is often missing on the other record.
pub fn postcode(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let code = if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
        code[..5].to_owned()
    } else {
        code
    };
    (!code.is_empty()).then_some(code)
}

/// A phone number's last ten digits as a number (country code and
/// formatting dropped); `None` when fewer than seven digits remain, which
/// is an extension or garbage rather than a number.
pub fn phone(raw: &str) -> Option<u64> {
    let digits: Vec<u8> = raw.bytes().filter(u8::is_ascii_digit).collect();
    if digits.len() < 7 {
        return None;
    }
    let tail = &digits[digits.len().saturating_sub(10)..];
    Some(tail.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// What an identifier says about a person, by its assigning system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A national person identifier (US SSN, UK NHS number …): one per
    /// person, network-wide.
    National,
    /// An insurance member id: usually one person, sometimes a family.
    Insurance,
    /// A medical record number: meaningful only within its own system.
    Mrn,
}

/// Systems of national person identifiers (FHIR identifier systems and
/// their OIDs).
const NATIONAL_SYSTEMS: &[&str] = &[
    "http://hl7.org/fhir/sid/us-ssn",
    "urn:oid:2.16.840.1.113883.4.1",
    "https://fhir.nhs.uk/Id/nhs-number",
    "http://ns.electronichealth.net.au/id/hi/ihi/1.0",
];

/// Systems of insurance member identifiers.
const INSURANCE_SYSTEMS: &[&str] = &[
    "http://hl7.org/fhir/sid/us-mbi",
    "http://hl7.org/fhir/sid/us-medicare",
    "http://hl7.org/fhir/sid/us-medicaid",
];

impl IdKind {
    /// Classifies an identifier system; anything not known to be national or
    /// insurance is taken to be an organization's MRN namespace.
    pub fn of_system(system: &str) -> Self {
        let lower = system.to_ascii_lowercase();
        if NATIONAL_SYSTEMS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(system))
        {
            Self::National
        } else if INSURANCE_SYSTEMS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(system))
            || lower.contains("member")
            || lower.contains("insurance")
        {
            Self::Insurance
        } else {
            Self::Mrn
        }
    }
}

/// An identifier value uppercased, alphanumeric only; `None` for empty
/// values and placeholders made of one repeated character ("000000000",
/// "999-99-9999"), which registration desks type when the patient does not
/// know, and which would otherwise link every such patient together.
pub fn identifier_value(raw: &str) -> Option<String> {
    let value: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let first = value.chars().next()?;
    let placeholder = value.len() > 2 && value.chars().all(|c| c == first);
    (!placeholder).then_some(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn diacritics_case_and_punctuation_fold_away() {
        assert_eq!(fold("José"), "jose");
        assert_eq!(fold("ZOË"), "zoe");
        assert_eq!(fold("Nguyễn"), "nguyen");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("Groß"), "gross");
        assert_eq!(fold("Smith."), "smith ");
    }

    #[test]
    fn hyphenated_and_multiple_names_split_in_order() {
        let (tokens, _) = name_tokens("García-López");
        assert_eq!(tokens, ["garcia", "lopez"]);
        let (tokens, _) = name_tokens("Mary  Ann");
        assert_eq!(tokens, ["mary", "ann"]);
    }

    #[test]
    fn suffix_typed_into_a_name_is_extracted() {
        let (tokens, generation) = name_tokens("Smith Jr.");
        assert_eq!(tokens, ["smith"]);
        assert_eq!(generation, Some(Generation::Junior));
        let (tokens, generation) = name_tokens("Henry III");
        assert_eq!(tokens, ["henry"]);
        assert_eq!(generation, Some(Generation::Third));
        // An initial is not a suffix.
        let (tokens, generation) = name_tokens("I");
        assert_eq!(tokens, ["i"]);
        assert_eq!(generation, None);
    }

    #[test]
    fn birth_dates_parse_partially_and_reject_nonsense() {
        let d = BirthDate::parse("1980-03-07").unwrap();
        assert_eq!((d.year, d.month, d.day), (1980, 3, 7));
        assert!(d.is_full());
        let y = BirthDate::parse("1980").unwrap();
        assert_eq!((y.year, y.month, y.day), (1980, 0, 0));
        assert!(BirthDate::parse("1980-13-01").is_none());
        assert!(BirthDate::parse("03/07/1980").is_none());
        assert_eq!(
            &BirthDate::parse("1980-03-07").unwrap().digits(),
            b"19800307"
        );
    }

    #[test]
    fn zip_plus_four_is_cut_to_zip_and_postcodes_uppercased() {
        assert_eq!(postcode("02139-4307").unwrap(), "02139");
        assert_eq!(postcode("021394307").unwrap(), "02139");
        assert_eq!(postcode("sw1a 1aa").unwrap(), "SW1A1AA");
        assert!(postcode(" - ").is_none());
    }

    #[test]
    fn phone_formats_reduce_to_the_same_ten_digits() {
        let expected = Some(6_175_551_234);
        assert_eq!(phone("(617) 555-1234"), expected);
        assert_eq!(phone("+1 617.555.1234"), expected);
        assert_eq!(phone("1-617-555-1234"), expected);
        assert_eq!(phone("6175551234"), expected);
        assert_eq!(phone("x123"), None);
    }

    #[test]
    fn street_words_are_abbreviated() {
        let a = address_line(&["123 North Main Street".into(), "Apartment 4".into()]);
        let b = address_line(&["123 N. Main St #4".into()]);
        assert_eq!(a, "123 n main st apt 4");
        assert_eq!(a, b);
    }

    #[test]
    fn identifiers_classify_by_system_and_drop_placeholders() {
        assert_eq!(
            IdKind::of_system("http://hl7.org/fhir/sid/us-ssn"),
            IdKind::National
        );
        assert_eq!(
            IdKind::of_system("urn:example:insurer:member-id"),
            IdKind::Insurance
        );
        assert_eq!(IdKind::of_system("urn:oid:1.2.3.4.5"), IdKind::Mrn);
        assert_eq!(identifier_value("123-45-6789").unwrap(), "123456789");
        assert!(identifier_value("000-00-0000").is_none());
    }
}
