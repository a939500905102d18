//! Common English given-name nicknames and the formal names they stand for.
//!
//! Registration desks type what the patient says: "Bob" at the clinic,
//! "Robert" at the hospital. Treating the two as the same name is what lets
//! such records link without lowering the bar for every other name pair.
//!
//! Source and scope: hand-compiled from widely published US nickname lists
//! (the kind genealogy sites and census name-matching guides carry),
//! restricted to diminutives that are common in current US registrations.
//! It is deliberately small: an entry makes two names count as *equal*, so a
//! doubtful pairing (e.g. "Kit") is better left out and matched, if at all,
//! by string similarity. A nickname may stand for several names ("Chris"
//! for Christopher and Christine); [`equivalent`] accepts any of them, while
//! [`canonical`] picks the first for blocking keys.

/// `(nickname, formal name)`, sorted by nickname (then formal name) so that
/// lookups are a binary search. All lowercase ASCII, as normalization makes
/// every name token.
#[rustfmt::skip] // a table: one pair per entry reads better on few lines
const PAIRS: &[(&str, &str)] = &[
    ("abby", "abigail"), ("abe", "abraham"), ("al", "alan"), ("al", "albert"), ("al", "alfred"),
    ("alex", "alexander"), ("alex", "alexandra"), ("alfie", "alfred"), ("andy", "andrew"),
    ("angie", "angela"), ("annie", "ann"), ("annie", "anna"), ("art", "arthur"),
    ("barb", "barbara"), ("barbie", "barbara"), ("becky", "rebecca"), ("ben", "benjamin"),
    ("benny", "benjamin"), ("bert", "albert"), ("bess", "elizabeth"), ("beth", "elizabeth"),
    ("betsy", "elizabeth"), ("betty", "elizabeth"), ("bill", "william"), ("billy", "william"),
    ("bob", "robert"), ("bobbie", "roberta"), ("bobby", "robert"), ("brad", "bradley"),
    ("cathy", "catherine"), ("cathy", "kathleen"), ("charlie", "charles"),
    ("chris", "christina"), ("chris", "christine"), ("chris", "christopher"),
    ("chuck", "charles"), ("cindy", "cynthia"), ("cliff", "clifford"), ("connie", "constance"),
    ("dan", "daniel"), ("danny", "daniel"), ("dave", "david"), ("davy", "david"),
    ("deb", "deborah"), ("debbie", "deborah"), ("debby", "deborah"), ("dick", "richard"),
    ("don", "donald"), ("donnie", "donald"), ("doug", "douglas"), ("ed", "edward"),
    ("eddie", "edward"), ("ellie", "eleanor"), ("fran", "frances"), ("fran", "francis"),
    ("frank", "francis"), ("fred", "frederick"), ("freddie", "frederick"), ("gabe", "gabriel"),
    ("gene", "eugene"), ("greg", "gregory"), ("hank", "henry"), ("harry", "henry"),
    ("jack", "john"), ("jackie", "jacqueline"), ("jake", "jacob"), ("jamie", "james"),
    ("jan", "janet"), ("jeff", "jeffrey"), ("jen", "jennifer"), ("jenny", "jennifer"),
    ("jerry", "gerald"), ("jess", "jessica"), ("jessie", "jessica"), ("jim", "james"),
    ("jimmy", "james"), ("jo", "joanna"), ("jo", "josephine"), ("joe", "joseph"),
    ("joey", "joseph"), ("johnny", "john"), ("jon", "jonathan"), ("jos", "joseph"),
    ("josh", "joshua"), ("judy", "judith"), ("kate", "katherine"), ("kathy", "katherine"),
    ("kathy", "kathleen"), ("katie", "katherine"), ("ken", "kenneth"), ("kenny", "kenneth"),
    ("kim", "kimberly"), ("larry", "lawrence"), ("len", "leonard"), ("lenny", "leonard"),
    ("leo", "leonard"), ("lexi", "alexandra"), ("libby", "elizabeth"), ("liz", "elizabeth"),
    ("lizzie", "elizabeth"), ("lou", "louis"), ("lucy", "lucille"), ("maddie", "madison"),
    ("maggie", "margaret"), ("mandy", "amanda"), ("marge", "margaret"), ("mat", "matthew"),
    ("matt", "matthew"), ("meg", "margaret"), ("meg", "megan"), ("mel", "melissa"),
    ("mel", "melvin"), ("mick", "michael"), ("mickey", "michael"), ("mike", "michael"),
    ("mikey", "michael"), ("missy", "melissa"), ("mitch", "mitchell"), ("molly", "mary"),
    ("nancy", "ann"), ("nate", "nathan"), ("nate", "nathaniel"), ("ned", "edward"),
    ("nell", "eleanor"), ("nick", "nicholas"), ("nicky", "nicholas"), ("nikki", "nicole"),
    ("ollie", "oliver"), ("pam", "pamela"), ("pat", "patricia"), ("pat", "patrick"),
    ("patsy", "patricia"), ("patty", "patricia"), ("peg", "margaret"), ("peggy", "margaret"),
    ("pete", "peter"), ("phil", "philip"), ("polly", "mary"), ("ray", "raymond"),
    ("rich", "richard"), ("richie", "richard"), ("rick", "richard"), ("ricky", "richard"),
    ("rob", "robert"), ("robbie", "robert"), ("ron", "ronald"), ("ronnie", "ronald"),
    ("rosie", "rose"), ("sally", "sarah"), ("sam", "samantha"), ("sam", "samuel"),
    ("sammy", "samuel"), ("sandy", "sandra"), ("steph", "stephanie"), ("steve", "stephen"),
    ("steve", "steven"), ("stevie", "steven"), ("sue", "susan"), ("susie", "susan"),
    ("suzy", "susan"), ("ted", "edward"), ("ted", "theodore"), ("teddy", "theodore"),
    ("terry", "terence"), ("terry", "theresa"), ("tess", "theresa"), ("tina", "christina"),
    ("tom", "thomas"), ("tommy", "thomas"), ("tony", "anthony"), ("trish", "patricia"),
    ("val", "valerie"), ("vicky", "victoria"), ("vince", "vincent"), ("walt", "walter"),
    ("wendy", "gwendolyn"), ("will", "william"), ("willy", "william"), ("zach", "zachary"),
    ("zack", "zachary"),
];

/// The formal names a nickname stands for (empty when `name` is not a
/// known nickname).
fn formal_names(name: &str) -> impl Iterator<Item = &'static str> {
    let start = PAIRS.partition_point(|(nick, _)| *nick < name);
    PAIRS[start..]
        .iter()
        .take_while(move |(nick, _)| *nick == name)
        .map(|(_, formal)| *formal)
}

/// The other names the table makes `name` equal to: its formal names if it
/// is a nickname, its nicknames if it is a formal name ("beth" →
/// elizabeth; "elizabeth" → bess, beth, betsy, betty …). One step only:
/// two formal names sharing a nickname (Christina, Christopher) are not
/// forms of each other.
pub fn other_forms(name: &str) -> impl Iterator<Item = &'static str> + '_ {
    let start = BY_FORMAL.partition_point(|(formal, _)| *formal < name);
    let nicknames = BY_FORMAL[start..]
        .iter()
        .take_while(move |(formal, _)| *formal == name)
        .map(|(_, nick)| *nick);
    formal_names(name).chain(nicknames)
}

/// [`PAIRS`] as `(formal name, nickname)`, sorted for binary search by
/// formal name.
static BY_FORMAL: std::sync::LazyLock<Vec<(&str, &str)>> = std::sync::LazyLock::new(|| {
    let mut pairs: Vec<(&str, &str)> = PAIRS.iter().map(|&(nick, formal)| (formal, nick)).collect();
    pairs.sort_unstable();
    pairs
});

/// The canonical form of a (normalized, lowercase) given name: the first
/// formal name of a nickname, or the name itself. Used where one value is
/// needed, such as blocking keys.
pub fn canonical(name: &str) -> &str {
    formal_names(name).next().unwrap_or(name)
}

/// Whether two normalized given names are the same name or a nickname of
/// each other (or nicknames of one formal name: "Bob" and "Rob").
pub fn equivalent(a: &str, b: &str) -> bool {
    // Without allocating: this runs for every candidate pair.
    let names_b = |x: &str| x == b || formal_names(b).any(|y| y == x);
    names_b(a) || formal_names(a).any(names_b)
}

/// The nicknames of a formal name (for the test-set generator).
pub fn nicknames_of(formal: &str) -> impl Iterator<Item = &'static str> + '_ {
    PAIRS
        .iter()
        .filter(move |(_, f)| *f == formal)
        .map(|(nick, _)| *nick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(
            PAIRS.windows(2).all(|w| w[0] <= w[1]),
            "PAIRS must stay sorted"
        );
    }

    #[test]
    fn nicknames_resolve_to_formal_names() {
        assert_eq!(canonical("bob"), "robert");
        assert_eq!(canonical("peggy"), "margaret");
        assert_eq!(canonical("robert"), "robert");
        assert!(equivalent("bob", "robert"));
        assert!(equivalent("bobby", "rob"));
        assert!(equivalent("maggie", "margaret"));
        assert!(equivalent("liz", "beth"));
        assert!(equivalent("chris", "christine"));
        assert!(!equivalent("christine", "christopher"));
        assert!(!equivalent("john", "james"));
    }

    #[test]
    fn other_forms_go_one_step_both_ways() {
        let forms: Vec<&str> = other_forms("elizabeth").collect();
        assert!(
            forms.contains(&"betty") && forms.contains(&"liz"),
            "{forms:?}"
        );
        assert_eq!(other_forms("bob").collect::<Vec<_>>(), ["robert"]);
        let chris: Vec<&str> = other_forms("chris").collect();
        assert!(chris.contains(&"christina") && chris.contains(&"christopher"));
        assert!(!other_forms("christina").any(|f| f == "christopher"));
        assert_eq!(other_forms("xiu").count(), 0);
    }
}
