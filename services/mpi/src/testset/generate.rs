//! The seeded generator: true persons, then their registrations at one to
//! three organizations, each registration typed with the differences real
//! desks produce, plus the hard negatives (twins, junior/senior, a mistyped
//! shared identifier) that a matcher must keep apart.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

use super::pools::{AREA_CODES, FAMILY, FEMALE, MALE, PLACES, STREET_TYPES, STREETS};
use super::{Scenario, TestRecord, TestSet};
use crate::demographics::{Address, Demographics, Identifier, Sex};
use crate::index::RecordKey;
use crate::nicknames;
use crate::normalize::fold;

/// Number of organizations (each its own tenant and MRN system).
const ORGANIZATIONS: usize = 40;
const SSN_SYSTEM: &str = "http://hl7.org/fhir/sid/us-ssn";

/// Probabilities of the differences between registrations of one person.
/// Chosen to be pessimistic about data quality rather than flattering.
#[derive(Debug, Clone, Copy)]
struct Rates {
    twins: f64,
    junior: f64,
    shared_identifier: f64,
    married: f64,
    moved: f64,
    double_family: f64,
    nickname: f64,
    typo: f64,
    transposed_date: f64,
    date_typo: f64,
    missing_date: f64,
    missing_sex: f64,
    missing_address: f64,
    missing_phone: f64,
    ssn_present: f64,
    ssn_typed: f64,
    insurance_present: f64,
    insurance_typed: f64,
}

const RATES: Rates = Rates {
    twins: 0.02,
    junior: 0.02,
    shared_identifier: 0.005,
    married: 0.12,
    moved: 0.15,
    double_family: 0.04,
    nickname: 0.1,
    typo: 0.12,
    transposed_date: 0.02,
    date_typo: 0.015,
    missing_date: 0.005,
    missing_sex: 0.03,
    missing_address: 0.1,
    missing_phone: 0.25,
    ssn_present: 0.7,
    ssn_typed: 0.55,
    insurance_present: 0.6,
    insurance_typed: 0.5,
};

#[derive(Debug, Clone)]
struct Home {
    number: u32,
    street: &'static str,
    street_type: usize,
    unit: Option<u32>,
    place: usize,
    zip: u32,
    plus4: u32,
}

#[derive(Debug, Clone)]
struct Person {
    given: &'static str,
    middle: Option<&'static str>,
    family: String,
    married_family: Option<String>,
    generation: Option<&'static str>,
    sex: Sex,
    birth: (u16, u8, u8),
    home: Home,
    new_home: Option<(Home, Option<u64>)>,
    phone: u64,
    ssn: Option<String>,
    /// Another person's SSN, typed once into one of this person's
    /// registrations.
    wrong_ssn: Option<String>,
    insurance: Option<(usize, String)>,
    orgs: Vec<usize>,
}

struct Generator {
    rng: ChaCha8Rng,
    persons: Vec<Person>,
    relations: HashMap<(u32, u32), Scenario>,
}

/// Generates a test set of `persons` true persons, reproducibly from `seed`.
pub fn generate(persons: usize, seed: u64) -> TestSet {
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed),
        persons: Vec::with_capacity(persons),
        relations: HashMap::new(),
    };
    while g.persons.len() < persons {
        let base = g.person();
        let base_id = g.push(base);
        if g.persons.len() < persons && g.rng.random_bool(RATES.twins) {
            let twin = g.twin_of(base_id);
            let twin_id = g.push(twin);
            g.relate(base_id, twin_id, Scenario::Twins);
        }
        let can_father = {
            let p = &g.persons[base_id as usize];
            p.sex == Sex::Male && p.birth.0 <= 1985
        };
        if g.persons.len() < persons && can_father && g.rng.random_bool(RATES.junior) {
            let junior = g.junior_of(base_id);
            let junior_id = g.push(junior);
            g.relate(base_id, junior_id, Scenario::ParentChild);
        }
    }
    g.share_identifiers();
    g.records()
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Pools are non-empty constants.
    *items.choose(rng).unwrap_or(&items[0])
}

impl Generator {
    fn push(&mut self, person: Person) -> u32 {
        self.persons.push(person);
        self.persons.len() as u32 - 1
    }

    fn relate(&mut self, a: u32, b: u32, scenario: Scenario) {
        self.relations.insert((a.min(b), a.max(b)), scenario);
    }

    fn home(&mut self) -> Home {
        let place = self.rng.random_range(0..PLACES.len());
        Home {
            number: self.rng.random_range(1..3000),
            street: pick(&mut self.rng, STREETS),
            street_type: self.rng.random_range(0..STREET_TYPES.len()),
            unit: self
                .rng
                .random_bool(0.2)
                .then(|| self.rng.random_range(1..40)),
            place,
            zip: PLACES[place].2 * 100 + self.rng.random_range(0..100),
            plus4: self.rng.random_range(1000..10_000),
        }
    }

    fn phone(&mut self) -> u64 {
        let area = u64::from(pick(&mut self.rng, AREA_CODES));
        area * 10_000_000 + self.rng.random_range(2_000_000..10_000_000)
    }

    fn ssn(&mut self) -> String {
        format!(
            "{:03}{:02}{:04}",
            self.rng.random_range(1..900),
            self.rng.random_range(1..100),
            self.rng.random_range(1..10_000)
        )
    }

    fn orgs(&mut self) -> Vec<usize> {
        let count = match self.rng.random_range(0..100) {
            0..35 => 1,
            35..75 => 2,
            _ => 3,
        };
        let mut orgs: Vec<usize> = (0..ORGANIZATIONS).collect();
        orgs.shuffle(&mut self.rng);
        orgs.truncate(count);
        orgs
    }

    fn family_name(&mut self) -> String {
        let first = pick(&mut self.rng, FAMILY);
        if self.rng.random_bool(RATES.double_family) {
            format!("{first}-{}", pick(&mut self.rng, FAMILY))
        } else {
            first.to_owned()
        }
    }

    fn given_for(&mut self, sex: Sex) -> &'static str {
        pick(
            &mut self.rng,
            if sex == Sex::Female { FEMALE } else { MALE },
        )
    }

    fn person(&mut self) -> Person {
        let sex = if self.rng.random_bool(0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        let birth = (
            self.rng.random_range(1930..2024),
            self.rng.random_range(1..=12),
            self.rng.random_range(1..=28),
        );
        let given = self.given_for(sex);
        let middle = self.rng.random_bool(0.6).then(|| self.given_for(sex));
        let family = self.family_name();
        let married_family =
            (sex == Sex::Female && birth.0 < 2000 && self.rng.random_bool(RATES.married))
                .then(|| self.family_name());
        let home = self.home();
        let phone = self.phone();
        let new_home = self.rng.random_bool(RATES.moved).then(|| {
            let home = self.home();
            let phone = self.rng.random_bool(0.5).then(|| self.phone());
            (home, phone)
        });
        let ssn = self.rng.random_bool(RATES.ssn_present).then(|| self.ssn());
        let insurance = self.rng.random_bool(RATES.insurance_present).then(|| {
            let payer = self.rng.random_range(0..8);
            (
                payer,
                format!("M{:09}", self.rng.random_range(0..1_000_000_000u64)),
            )
        });
        let orgs = self.orgs();
        Person {
            given,
            middle,
            family,
            married_family,
            generation: None,
            sex,
            birth,
            home,
            new_home,
            phone,
            ssn,
            wrong_ssn: None,
            insurance,
            orgs,
        }
    }

    /// A twin: same birth date, family, home and phone; a first name that
    /// is neither the sibling's, a nickname of it, nor a typo away from it.
    fn twin_of(&mut self, sibling: u32) -> Person {
        let sibling = self.persons[sibling as usize].clone();
        let mut twin = self.person();
        let sibling_name = fold(sibling.given);
        loop {
            let name = self.given_for(twin.sex);
            let folded = fold(name);
            if !nicknames::equivalent(&folded, &sibling_name)
                && strsim::osa_distance(&folded, &sibling_name) > 1
            {
                twin.given = name;
                break;
            }
        }
        twin.family = sibling.family.clone();
        twin.birth = sibling.birth;
        twin.home = sibling.home.clone();
        twin.new_home = None;
        twin.phone = sibling.phone;
        if self.rng.random_bool(0.6) {
            twin.orgs = sibling.orgs.clone();
        }
        twin
    }

    /// A son with his father's name, born 18–45 years later, often at the
    /// same address and organizations.
    fn junior_of(&mut self, father: u32) -> Person {
        self.persons[father as usize].generation = Some("Sr");
        let father = self.persons[father as usize].clone();
        let mut son = self.person();
        son.sex = Sex::Male;
        son.given = father.given;
        son.middle = father.middle;
        son.family = father.family.clone();
        son.married_family = None;
        son.generation = Some("Jr");
        son.birth.0 = (father.birth.0 + self.rng.random_range(18..46)).min(2023);
        if self.rng.random_bool(0.6) {
            son.home = father.home.clone();
            son.phone = father.phone;
        }
        if self.rng.random_bool(0.5) {
            son.orgs = father.orgs.clone();
        }
        son
    }

    /// Some persons get another person's SSN typed into one registration.
    fn share_identifiers(&mut self) {
        let n = self.persons.len();
        let count = (n as f64 * RATES.shared_identifier).round() as usize;
        for _ in 0..count {
            let (a, b) = (self.rng.random_range(0..n), self.rng.random_range(0..n));
            if a == b
                || self
                    .relations
                    .contains_key(&(a.min(b) as u32, a.max(b) as u32))
            {
                continue;
            }
            let Some(ssn) = self.persons[a].ssn.clone() else {
                continue;
            };
            self.persons[b].wrong_ssn = Some(ssn);
            self.relate(a as u32, b as u32, Scenario::SharedIdentifier);
        }
    }

    fn records(mut self) -> TestSet {
        let mut records = Vec::new();
        let mut mrn_counter: u64 = 0;
        let persons = std::mem::take(&mut self.persons);
        for (id, person) in persons.iter().enumerate() {
            for (i, &org) in person.orgs.iter().enumerate() {
                mrn_counter += 1;
                // Unique per registration: 7919 is coprime to 9,000,000.
                let mrn = 1_000_000 + (mrn_counter * 7919) % 9_000_000;
                let wrong_ssn = if i == 0 {
                    person.wrong_ssn.as_deref()
                } else {
                    None
                };
                let demographics = self.render(person, org, mrn, wrong_ssn);
                records.push(TestRecord {
                    key: RecordKey::new(format!("org-{org}"), mrn.to_string()),
                    truth: id as u32,
                    demographics,
                });
            }
        }
        TestSet {
            persons: persons.len(),
            records,
            relations: self.relations,
        }
    }

    /// One registration of a person, as one desk typed it.
    fn render(
        &mut self,
        p: &Person,
        org: usize,
        mrn: u64,
        wrong_ssn: Option<&str>,
    ) -> Demographics {
        let rng = &mut self.rng;
        let upper = rng.random_bool(0.15);
        let ascii = rng.random_bool(0.3);
        let style = |s: &str| {
            let s = if ascii { ascii_name(s) } else { s.to_owned() };
            if upper { s.to_uppercase() } else { s }
        };

        let mut given = p.given.to_owned();
        if rng.random_bool(RATES.nickname) {
            let nicks: Vec<&str> = nicknames::nicknames_of(&fold(p.given)).collect();
            if let Some(nick) = nicks.choose(rng) {
                given = capitalize(nick);
            }
        }
        let mut given = vec![style(&given)];
        if let Some(middle) = p.middle {
            match rng.random_range(0..10) {
                0..4 => given.push(style(middle)),
                4..6 => given.push(format!("{}.", middle.chars().next().unwrap_or('X'))),
                _ => {}
            }
        }

        let mut family = match &p.married_family {
            Some(married) if rng.random_bool(0.6) => married.clone(),
            _ => p.family.clone(),
        };
        if family.contains('-') {
            match rng.random_range(0..10) {
                0..3 => family = family.split('-').next().unwrap_or_default().to_owned(),
                3..5 => family = family.replace('-', " "),
                _ => {}
            }
        }
        let mut suffix = Vec::new();
        if let Some(generation) = p.generation {
            match rng.random_range(0..10) {
                0..5 => suffix.push(format!("{generation}.")),
                5..7 => family = format!("{family} {generation}"),
                _ => {}
            }
        }
        let mut family = style(&family);

        let (home, new_phone) = match &p.new_home {
            Some((home, phone)) if rng.random_bool(0.5) => (home, *phone),
            _ => (&p.home, None),
        };
        let (street_type_long, street_type_short) = STREET_TYPES[home.street_type];
        let mut street = format!(
            "{} {} {}",
            home.number,
            home.street,
            if rng.random_bool(0.5) {
                street_type_long
            } else {
                street_type_short
            }
        );
        if let Some(unit) = home.unit {
            street.push_str(&match rng.random_range(0..3) {
                0 => format!(" Apt {unit}"),
                1 => format!(" #{unit}"),
                _ => format!(", Apartment {unit}"),
            });
        }

        if rng.random_bool(RATES.typo) {
            match rng.random_range(0..10) {
                0..4 => given[0] = one_edit(rng, &given[0]),
                4..8 => family = one_edit(rng, &family),
                _ => street = one_edit(rng, &street),
            }
        }

        let (year, mut month, mut day) = p.birth;
        let mut year = year;
        if day <= 12 && day != month && rng.random_bool(RATES.transposed_date) {
            std::mem::swap(&mut month, &mut day);
        } else if rng.random_bool(RATES.date_typo) {
            match rng.random_range(0..3) {
                0 => year = (year / 10) * 10 + rng.random_range(0..10),
                1 => day = (day / 10) * 10 + rng.random_range(1..10).min(28 - (day / 10) * 10),
                _ => month = rng.random_range(1..=12),
            }
        }
        let birth_date = (!rng.random_bool(RATES.missing_date))
            .then(|| format!("{year:04}-{month:02}-{day:02}"));

        let address = (!rng.random_bool(RATES.missing_address)).then(|| {
            let (city, _state, _) = PLACES[home.place];
            let zip = if rng.random_bool(0.15) {
                format!("{:05}-{:04}", home.zip, home.plus4)
            } else {
                format!("{:05}", home.zip)
            };
            Address {
                lines: vec![street],
                city: Some(city.to_owned()),
                postal_code: Some(zip),
                country: Some("US".to_owned()),
            }
        });

        let mut phones = Vec::new();
        if !rng.random_bool(RATES.missing_phone) {
            phones.push(format_phone(rng, new_phone.unwrap_or(p.phone)));
        }

        let mut identifiers = vec![Identifier {
            system: format!("urn:continuum:org:{org}:mrn"),
            value: mrn.to_string(),
        }];
        let ssn = wrong_ssn.or(p
            .ssn
            .as_deref()
            .filter(|_| rng.random_bool(RATES.ssn_typed)));
        if let Some(ssn) = ssn {
            let value = if rng.random_bool(0.5) {
                format!("{}-{}-{}", &ssn[..3], &ssn[3..5], &ssn[5..])
            } else {
                ssn.to_owned()
            };
            identifiers.push(Identifier {
                system: SSN_SYSTEM.to_owned(),
                value,
            });
        }
        if let Some((payer, member)) = &p.insurance
            && rng.random_bool(RATES.insurance_typed)
        {
            identifiers.push(Identifier {
                system: format!("urn:continuum:payer:{payer}:member-id"),
                value: member.clone(),
            });
        }

        Demographics {
            given,
            family: Some(family),
            suffix,
            birth_date,
            sex: (!rng.random_bool(RATES.missing_sex)).then_some(p.sex),
            address,
            phones,
            identifiers,
        }
    }
}

/// A name without its diacritics, as an ASCII-only system stores it.
fn ascii_name(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One typing error (substitution, deletion, insertion or swap of adjacent
/// letters), never on the first character, where typos are rarest.
fn one_edit(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 3 {
        return s.to_owned();
    }
    let pos = rng.random_range(1..chars.len());
    let letter = char::from(b'a' + rng.random_range(0..26u8));
    match rng.random_range(0..4) {
        0 => chars[pos] = letter,
        1 => {
            chars.remove(pos);
        }
        2 => chars.insert(pos, letter),
        _ if pos + 1 < chars.len() => chars.swap(pos, pos + 1),
        _ => chars.swap(pos - 1, pos),
    }
    chars.into_iter().collect()
}

fn format_phone(rng: &mut ChaCha8Rng, n: u64) -> String {
    let (a, b, c) = (n / 10_000_000, (n / 10_000) % 1000, n % 10_000);
    match rng.random_range(0..4) {
        0 => format!("({a}) {b}-{c:04}"),
        1 => format!("{a}-{b}-{c:04}"),
        2 => format!("+1 {a}.{b}.{c:04}"),
        _ => format!("{a}{b}{c:04}"),
    }
}
