//! Places: US cities with their state, ZIP prefix and time zone, and the
//! street names addresses are made of.

use crate::chance::{chance, pick};
use crate::ids::{Dice, digits};
use crate::json::object;
use crate::time::Zone;
use rand::Rng;
use serde_json::Value;

/// A city patients and organisations can be in.
#[derive(Debug)]
pub(crate) struct City {
    pub name: &'static str,
    pub state: &'static str,
    /// The first three digits of the city's ZIP codes.
    pub zip3: &'static str,
    pub zone: Zone,
}

const fn city(name: &'static str, state: &'static str, zip3: &'static str, zone: Zone) -> City {
    City {
        name,
        state,
        zip3,
        zone,
    }
}

use Zone::{Alaska, Arizona, Central, Eastern, Hawaii, Mountain, Pacific};

#[rustfmt::skip] // a table
pub(crate) const CITIES: &[City] = &[
    city("Boston", "MA", "021", Eastern), city("Worcester", "MA", "016", Eastern),
    city("Providence", "RI", "029", Eastern), city("Hartford", "CT", "061", Eastern),
    city("New York", "NY", "100", Eastern), city("Buffalo", "NY", "142", Eastern),
    city("Philadelphia", "PA", "191", Eastern), city("Pittsburgh", "PA", "152", Eastern),
    city("Baltimore", "MD", "212", Eastern), city("Richmond", "VA", "232", Eastern),
    city("Charlotte", "NC", "282", Eastern), city("Atlanta", "GA", "303", Eastern),
    city("Miami", "FL", "331", Eastern), city("Orlando", "FL", "328", Eastern),
    city("Columbus", "OH", "432", Eastern), city("Cleveland", "OH", "441", Eastern),
    city("Detroit", "MI", "482", Eastern), city("Indianapolis", "IN", "462", Eastern),
    city("Chicago", "IL", "606", Central), city("Milwaukee", "WI", "532", Central),
    city("Minneapolis", "MN", "554", Central), city("St. Louis", "MO", "631", Central),
    city("Nashville", "TN", "372", Central), city("New Orleans", "LA", "701", Central),
    city("Houston", "TX", "770", Central), city("Dallas", "TX", "752", Central),
    city("San Antonio", "TX", "782", Central), city("Austin", "TX", "787", Central),
    city("Denver", "CO", "802", Mountain), city("Albuquerque", "NM", "871", Mountain),
    city("Salt Lake City", "UT", "841", Mountain), city("Boise", "ID", "837", Mountain),
    city("Phoenix", "AZ", "850", Arizona), city("Tucson", "AZ", "857", Arizona),
    city("Las Vegas", "NV", "891", Pacific), city("Los Angeles", "CA", "900", Pacific),
    city("San Diego", "CA", "921", Pacific), city("San José", "CA", "951", Pacific),
    city("Sacramento", "CA", "958", Pacific), city("Fresno", "CA", "937", Pacific),
    city("Portland", "OR", "972", Pacific), city("Seattle", "WA", "981", Pacific),
    city("Spokane", "WA", "992", Pacific), city("Anchorage", "AK", "995", Alaska),
    city("Honolulu", "HI", "968", Hawaii),
];

#[rustfmt::skip] // a table
const STREETS: &[&str] = &[
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Washington Blvd", "Park Rd", "Elm St",
    "Lakeview Dr", "Hillcrest Ave", "Sunset Blvd", "Pine St", "River Rd", "Church St",
    "Highland Ave", "Mill Rd", "Chestnut St", "Willow Way", "Meadow Ln", "Calle Ocho",
    "Avenida del Sol", "Martin Luther King Jr Blvd", "Harbor View Ter", "Old Post Rd",
    "Cherry Blossom Ct", "Kamehameha Hwy", "Rue Dauphine", "Bayou St. John Ave",
];

/// A street address line: `4217 Maple Dr`.
pub(crate) fn street_line(dice: &mut Dice) -> String {
    format!("{} {}", dice.random_range(1..9999u32), pick(dice, STREETS))
}

/// A FHIR `Address` in `city`: one or two lines and a ZIP in the city's
/// range.
pub(crate) fn address(dice: &mut Dice, city: &City) -> Value {
    let mut lines = vec![street_line(dice)];
    if chance(dice, 0.25) {
        let unit = match dice.random_range(0..3u8) {
            0 => format!(
                "Apt {}{}",
                dice.random_range(1..30u8),
                pick(dice, &["A", "B", "C"])
            ),
            1 => format!("Unit {}", dice.random_range(1..400u16)),
            _ => format!("# {}", dice.random_range(1..99u8)),
        };
        lines.push(unit);
    }
    object! {
        "use" => "home",
        "line" => lines,
        "city" => city.name,
        "state" => city.state,
        "postalCode" => format!("{}{}", city.zip3, digits(dice, 2)),
        "country" => "US",
    }
}

/// A US phone number in the 555 fictional exchange.
pub(crate) fn phone(dice: &mut Dice) -> String {
    format!("555-{}-{}", digits(dice, 3), digits(dice, 4))
}
