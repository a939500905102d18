//! Value pools for generated persons: given and family names (with the
//! nickname-bearing names, diacritics, apostrophes and double names real
//! registries hold), streets and places with ZIP codes.
//!
//! The lists are large enough that two random persons rarely share a full
//! name, but small enough that common names recur, as they do in a real
//! population: matching must not rely on names being unique.

#[rustfmt::skip] // tables
pub(crate) const MALE: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen",
    "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Frank",
    "Patrick", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Jose", "Adam", "Nathan",
    "Henry", "Douglas", "Zachary", "Peter", "Kyle", "Ethan", "Walter", "Noah", "Jeremy",
    "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold", "Sean", "Austin", "Carl",
    "Arthur", "Lawrence", "Dylan", "Jesse", "Jordan", "Bryan", "Billy", "Joe", "Bruce",
    "Gabriel", "Logan", "Albert", "Willie", "Alan", "Juan", "Wayne", "Elijah", "Randy", "Roy",
    "Vincent", "Ralph", "Eugene", "Russell", "Bobby", "Mason", "Philip", "Louis", "Liam",
    "Oliver", "Lucas", "Theodore", "Leonard", "Frederick", "Clifford", "Mitchell", "Melvin",
    "Francis", "Marcus", "Omar", "Tariq", "Hamid", "Rashid", "Kwame", "Kofi", "Hiroshi", "Kenji",
    "Wei", "Jun", "Hao", "Minh", "Tuấn", "Rajesh", "Sanjay", "Arjun", "Vikram", "Luis", "Carlos",
    "Jesús", "Miguel", "Ángel", "Andrés", "Jorge", "Raúl", "Sebastián", "Matías", "Héctor",
    "Rubén", "Jürgen", "Lukas", "Jörg", "Stefan", "François", "Jérôme", "Étienne", "Benoît",
    "Sean", "Declan", "Niall", "Cormac", "Dmitri", "Sergei", "Ivan", "Piotr", "Tomasz",
];

#[rustfmt::skip]
pub(crate) const FEMALE: &[&str] = &[
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily",
    "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie",
    "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna",
    "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Debra",
    "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather", "Diane", "Ruth", "Julie",
    "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina", "Joan", "Evelyn",
    "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa",
    "Ann", "Sara", "Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail", "Alice", "Judy",
    "Sophia", "Grace", "Denise", "Amber", "Doris", "Marilyn", "Danielle", "Beverly", "Isabella",
    "Theresa", "Diana", "Natalie", "Brittany", "Charlotte", "Marie", "Kayla", "Alexis", "Lori",
    "Eleanor", "Constance", "Valerie", "Gwendolyn", "Josephine", "Joanna", "Roberta", "Lucille",
    "Rose", "Alexandra", "Zoë", "Renée", "Chloé", "Hélène", "Amélie", "Cécile", "Noémie",
    "Guadalupe", "Sofía", "Lucía", "Valentina", "Camila", "Ximena", "Mónica", "Verónica", "Inés",
    "Beatriz", "Rocío", "Marisol", "Käthe", "Lena", "Jana", "Ute", "Mei", "Xiu", "Yan", "Jing",
    "Linh", "Thảo", "Ngọc", "Priya", "Anjali", "Deepa", "Aisha", "Fatima", "Layla", "Amara",
    "Siobhan", "Aoife", "Niamh", "Olga", "Natasha", "Agnieszka", "Yuki", "Keiko", "Sakura",
];

#[rustfmt::skip]
pub(crate) const FAMILY: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
    "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson",
    "Cooper", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood",
    "Watson", "Brooks", "Bennett", "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long",
    "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson",
    "Coleman", "Simmons", "Patterson", "Jordan", "Reynolds", "Hamilton", "Graham", "Kim",
    "Wallace", "West", "Cole", "Hayes", "Bryant", "Gibson", "Ellis", "Stevens", "Murray", "Ford",
    "Marshall", "Owens", "McDonald", "Harrison", "Kennedy", "Wells", "Alexander", "Hunt",
    "Black", "Daniels", "Palmer", "Mills", "Nichols", "Grant", "Knight", "Ferguson", "Stone",
    "Hawkins", "Dunn", "Perkins", "Hudson", "Spencer", "Gardner", "Stephens", "Payne", "Pierce",
    "Berry", "Matthews", "Arnold", "Wagner", "Willis", "Ray", "Watkins", "Olson", "Carroll",
    "Duncan", "Snyder", "Hart", "Cunningham", "Bradley", "Lane", "Andrews", "Ruiz", "Harper",
    "Fox", "Riley", "Armstrong", "Carpenter", "Weaver", "Greene", "Lawrence", "Elliott", "Chavez",
    "Sims", "Austin", "Peters", "Kelley", "Franklin", "Lawson", "Fields", "Ryan", "Schmidt",
    "Carr", "Vasquez", "Castillo", "Wheeler", "Chapman", "Oliver", "Montgomery", "Richards",
    "Williamson", "Johnston", "Banks", "Meyer", "Bishop", "McCoy", "Howell", "Morrison",
    "Hansen", "Harvey", "Little", "Burton", "Stanley", "George", "Jacobs", "Reid", "Fuller",
    "Lynch", "Dean", "Gilbert", "Garrett", "Romero", "Welch", "Larson", "Frazier", "Burke",
    "Hanson", "Day", "Mendoza", "Moreno", "Bowman", "Medina", "Fowler", "Brewer", "Hoffman",
    "Carlson", "Silva", "Pearson", "Holland", "Douglas", "Fleming", "Jensen", "Vargas", "Byrd",
    "Davidson", "Hopkins", "May", "Terry", "Herrera", "Wade", "Soto", "Walters", "Curtis",
    "Neal", "Caldwell", "Lowe", "Jennings", "Barnett", "Graves", "Jimenez", "Horton", "Shelton",
    "Barrett", "O'Brien", "O'Connor", "O'Neill", "McCarthy", "MacLeod", "D'Angelo", "DiMaggio",
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Núñez", "Muñoz", "Álvarez",
    "Ortiz", "Peña", "Ibáñez", "Müller", "Schneider", "Fischer", "Weber", "Becker", "Schäfer",
    "Koch", "Groß", "Köhler", "Schröder", "Lefèvre", "Dubois", "Girard", "Bérubé", "Lévesque",
    "Côté", "Gagné", "Mercier", "Rousseau", "Fontaine", "Wang", "Li", "Zhang", "Liu", "Chen",
    "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng",
    "Vũ", "Đặng", "Bùi", "Patel", "Shah", "Singh", "Kumar", "Gupta", "Sharma", "Iyer", "Reddy",
    "Al-Sayed", "Haddad", "Khalil", "Mansour", "Nasser", "Okafor", "Adeyemi", "Mensah", "Owusu",
    "Kowalski", "Nowak", "Wiśniewski", "Ivanov", "Petrov", "Sokolov", "Tanaka", "Suzuki",
    "Watanabe", "Yamamoto", "Nakamura", "Park", "Choi", "Jung", "Kang", "Yoon", "Rossi", "Russo",
    "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Andersson", "Johansson",
    "Larsen", "Nielsen", "Virtanen", "Korhonen", "Novak", "Horvat", "Kovács", "Szabó",
];

#[rustfmt::skip]
pub(crate) const STREETS: &[&str] = &[
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Walnut",
    "Park", "Sunset", "Lincoln", "Jackson", "Church", "River", "Willow", "Highland", "Meadow",
    "Forest", "Spring", "Jefferson", "Madison", "Franklin", "Center", "Chestnut", "Ridge",
    "Valley", "Mill", "Prospect", "Union", "Broad", "Market", "Water", "School", "Grove",
    "Summit", "Adams", "Cherry", "Dogwood", "Hickory", "Laurel", "Magnolia", "Poplar", "Sycamore",
    "Birch", "Aspen", "Spruce", "Harbor", "Bay", "Beacon", "Commonwealth", "Massachusetts",
    "Harvard", "Mount Vernon", "Pleasant", "Liberty", "Academy", "College", "Railroad", "Canal",
    "Bridge", "Orchard", "Garden", "Vine", "Rose", "Lilac", "Juniper", "Hawthorne", "Evergreen",
    "Fairview", "Greenwood", "Lakeview", "Riverside", "Woodland", "Brookside", "Hillcrest",
];

/// Street types as typed in full and as abbreviated.
#[rustfmt::skip]
pub(crate) const STREET_TYPES: &[(&str, &str)] = &[
    ("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"), ("Lane", "Ln"),
    ("Boulevard", "Blvd"), ("Court", "Ct"), ("Place", "Pl"), ("Terrace", "Ter"), ("Way", "Way"),
];

/// City, state and the first three digits of its ZIP codes.
#[rustfmt::skip]
pub(crate) const PLACES: &[(&str, &str, u32)] = &[
    ("Boston", "MA", 21), ("Cambridge", "MA", 21), ("Worcester", "MA", 16), ("Springfield", "MA", 11),
    ("Providence", "RI", 29), ("Hartford", "CT", 61), ("New Haven", "CT", 65), ("Portland", "ME", 41),
    ("Manchester", "NH", 31), ("Burlington", "VT", 54), ("Albany", "NY", 122), ("Buffalo", "NY", 142),
    ("Rochester", "NY", 146), ("Syracuse", "NY", 132), ("Newark", "NJ", 71), ("Trenton", "NJ", 86),
    ("Philadelphia", "PA", 191), ("Pittsburgh", "PA", 152), ("Baltimore", "MD", 212),
    ("Richmond", "VA", 232), ("Raleigh", "NC", 276), ("Charlotte", "NC", 282), ("Atlanta", "GA", 303),
    ("Columbus", "OH", 432), ("Cleveland", "OH", 441), ("Detroit", "MI", 482), ("Chicago", "IL", 606),
    ("Milwaukee", "WI", 532), ("Minneapolis", "MN", 554), ("St. Louis", "MO", 631),
    ("Nashville", "TN", 372), ("Louisville", "KY", 402), ("Indianapolis", "IN", 462),
    ("Denver", "CO", 802), ("Phoenix", "AZ", 850), ("Austin", "TX", 787), ("Houston", "TX", 770),
    ("Dallas", "TX", 752), ("Seattle", "WA", 981), ("Portland", "OR", 972), ("Sacramento", "CA", 958),
    ("San Diego", "CA", 921), ("Los Angeles", "CA", 900), ("San Jose", "CA", 951),
];

/// Plausible US area codes.
#[rustfmt::skip]
pub(crate) const AREA_CODES: &[u32] = &[
    617, 508, 781, 978, 413, 401, 860, 203, 207, 603, 802, 518, 716, 585, 315, 973, 609, 215,
    412, 410, 804, 919, 704, 404, 614, 216, 313, 312, 414, 612, 314, 615, 502, 317, 303, 602,
    512, 713, 214, 206, 503, 916, 619, 213, 408,
];
