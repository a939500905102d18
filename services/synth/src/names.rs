//! Demographic name pools: given and family names of many cultures, with
//! the diacritics, apostrophes and hyphens real registries hold, so that
//! matching, search and display code meet José, Zoë, Müller, O'Brien,
//! Nguyễn and Al-Sayed rather than only ASCII.

/// The names one cultural background contributes, and its language.
#[derive(Debug)]
pub(crate) struct Culture {
    pub male: &'static [&'static str],
    pub female: &'static [&'static str],
    pub family: &'static [&'static str],
    /// BCP-47 code and display of the language most often spoken at home.
    pub language: (&'static str, &'static str),
    /// Whether two family names are customary (Spanish and Portuguese
    /// naming), written with a space rather than a hyphen.
    pub two_surnames: bool,
}

const ENGLISH: (&str, &str) = ("en-US", "English (United States)");

/// Cultures with relative weights, loosely following US demographics.
#[rustfmt::skip] // a table: one line per group of names reads better
pub(crate) const CULTURES: &[(u32, Culture)] = &[
    (40, Culture {
        male: &["James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
            "Thomas", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Andrew",
            "Joshua", "Kevin", "Brian", "Ryan", "Tyler", "Ethan", "Noah", "Liam", "Mason"],
        female: &["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan",
            "Jessica", "Sarah", "Karen", "Emily", "Ashley", "Amanda", "Megan", "Hannah",
            "Olivia", "Emma", "Ava", "Madison", "Chloe", "Abigail", "Grace", "Zoë", "Renée"],
        family: &["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White",
            "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
            "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
            "Roberts", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart"],
        language: ENGLISH,
        two_surnames: false,
    }),
    (18, Culture {
        male: &["José", "Luis", "Carlos", "Juan", "Jesús", "Miguel", "Ángel", "Alejandro",
            "Andrés", "Jorge", "Raúl", "Sebastián", "Matías", "Diego", "Héctor", "Rubén"],
        female: &["María", "Guadalupe", "Sofía", "Lucía", "Valentina", "Camila", "Ximena",
            "Mónica", "Verónica", "Inés", "Beatriz", "Ana", "Rocío", "Marisol"],
        family: &["García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
            "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Núñez",
            "Muñoz", "Jiménez", "Álvarez", "Ortiz", "Castillo", "Peña", "Ibáñez"],
        language: ("es", "Spanish"),
        two_surnames: true,
    }),
    (4, Culture {
        male: &["Jürgen", "Lukas", "Felix", "Maximilian", "Jörg", "Stefan", "Matthias"],
        female: &["Anna", "Lena", "Käthe", "Hannah", "Jana", "Ute", "Sophie", "Mia"],
        family: &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Schäfer", "Koch", "Groß", "Köhler", "Schröder"],
        language: ("de", "German"),
        two_surnames: false,
    }),
    (3, Culture {
        male: &["François", "Jérôme", "Étienne", "Benoît", "Thierry", "Léo", "Gaël"],
        female: &["Zoë", "Hélène", "Chloé", "Élodie", "Amélie", "Cécile", "Noémie", "Maëlle"],
        family: &["Lefèvre", "Dubois", "Girard", "Bérubé", "Lévesque", "Côté", "Gagné",
            "Mercier", "Rousseau", "Fontaine"],
        language: ("fr", "French"),
        two_surnames: false,
    }),
    (5, Culture {
        male: &["Wei", "Jun", "Hao", "Lei", "Ming", "Yong", "Jian", "Zhiwei"],
        female: &["Li", "Mei", "Xiu", "Yan", "Jing", "Xin", "Hui", "Ying"],
        family: &["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
            "Xu", "Sun"],
        language: ("zh", "Chinese"),
        two_surnames: false,
    }),
    (2, Culture {
        male: &["Minh", "Tuấn", "Dũng", "Huy", "Quân", "Phúc"],
        female: &["Linh", "Thảo", "Ngọc", "Lan", "Hương", "Trang"],
        family: &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"],
        language: ("vi", "Vietnamese"),
        two_surnames: false,
    }),
    (4, Culture {
        male: &["Arjun", "Rahul", "Vikram", "Aarav", "Rohan", "Sanjay", "Amit"],
        female: &["Priya", "Ananya", "Deepika", "Kavya", "Lakshmi", "Sunita", "Aishwarya"],
        family: &["Patel", "Sharma", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Desai",
            "Chatterjee", "Nair"],
        language: ("hi", "Hindi"),
        two_surnames: false,
    }),
    (3, Culture {
        male: &["Mohammed", "Ahmed", "Omar", "Khalid", "Yusuf", "Karim", "Tariq"],
        female: &["Fatima", "Aisha", "Layla", "Noor", "Mariam", "Yasmin", "Huda"],
        family: &["Al-Sayed", "Haddad", "Khoury", "Nassar", "Al-Amin", "Mansour", "Saleh",
            "El-Hashem"],
        language: ("ar", "Arabic"),
        two_surnames: false,
    }),
    (3, Culture {
        male: &["Chinedu", "Oluwaseun", "Emeka", "Tunde", "Kwame", "Adebayo"],
        female: &["Ngozi", "Chiamaka", "Folake", "Adaeze", "Yetunde", "Abena"],
        family: &["Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Mensah", "Nwosu",
            "Afolabi"],
        language: ENGLISH,
        two_surnames: false,
    }),
    (2, Culture {
        male: &["Łukasz", "Paweł", "Wojciech", "Krzysztof", "Michał", "Tomasz"],
        female: &["Zofia", "Małgorzata", "Katarzyna", "Agnieszka", "Joanna", "Bożena"],
        family: &["Nowak", "Wójcik", "Kowalczyk", "Mazur", "Krawczyk", "Woźniak", "Kaczmarek"],
        language: ("pl", "Polish"),
        two_surnames: false,
    }),
    (3, Culture {
        male: &["Seán", "Ciarán", "Pádraig", "Liam", "Eoin", "Declan"],
        female: &["Siobhán", "Aoife", "Niamh", "Saoirse", "Róisín", "Caoimhe"],
        family: &["O'Brien", "O'Connor", "Murphy", "Kelly", "Byrne", "Ryan", "O'Sullivan",
            "McCarthy", "Doyle"],
        language: ENGLISH,
        two_surnames: false,
    }),
    (2, Culture {
        male: &["Min-jun", "Ji-ho", "Seo-jun", "Hyun-woo", "Dong-hyun"],
        female: &["Ji-woo", "Seo-yeon", "Min-seo", "Ha-eun", "Soo-ah"],
        family: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"],
        language: ("ko", "Korean"),
        two_surnames: false,
    }),
    (1, Culture {
        male: &["Haruto", "Sōta", "Ren", "Kenji", "Hiroshi", "Takumi"],
        female: &["Yui", "Aoi", "Sakura", "Yūko", "Hana", "Emi"],
        family: &["Satō", "Suzuki", "Takahashi", "Tanaka", "Itō", "Watanabe", "Yamamoto",
            "Nakamura"],
        language: ("ja", "Japanese"),
        two_surnames: false,
    }),
    (1, Culture {
        male: &["Björn", "Lars", "Søren", "Anders", "Mikael", "Håkan"],
        female: &["Åsa", "Ingrid", "Sigrid", "Märta", "Astrid", "Freja"],
        family: &["Johansson", "Andersson", "Nilsson", "Larsen", "Hansen", "Løvgren",
            "Ekström", "Sjöberg"],
        language: ("sv", "Swedish"),
        two_surnames: false,
    }),
    (2, Culture {
        male: &["João", "Tiago", "Gonçalo", "Luís", "Antônio"],
        female: &["Conceição", "Leonor", "Inês", "Luíza", "Beatriz"],
        family: &["Gonçalves", "Magalhães", "Araújo", "Simões", "Gusmão", "Brandão", "Ferreira"],
        language: ("pt", "Portuguese"),
        two_surnames: true,
    }),
    (1, Culture {
        male: &["Mehmet", "Emre", "Oğuz", "Murat", "Can"],
        female: &["Ayşe", "Elif", "Gülşen", "Zeynep", "Özlem"],
        family: &["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk"],
        language: ("tr", "Turkish"),
        two_surnames: false,
    }),
];

/// The English language coding, which most patients of every background
/// list (first or alone).
pub(crate) const ENGLISH_LANGUAGE: (&str, &str) = ENGLISH;

/// Folds a name to ASCII for e-mail addresses and similar identifiers:
/// diacritics are dropped, apostrophes and spaces removed.
pub(crate) fn ascii_fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('-');
        } else if let Some(plain) = fold_letter(c) {
            out.push_str(plain);
        }
    }
    out
}

/// The ASCII letters a non-ASCII letter of the pools is written as.
fn fold_letter(c: char) -> Option<&'static str> {
    const GROUPS: &[(&str, &str)] = &[
        ("àáâãäåāăąạảấầẩẫậắằẳẵặÀÁÂÃÄÅĀ", "a"),
        ("çćčÇĆČ", "c"),
        ("đĐ", "d"),
        ("èéêëēęěẹẻẽếềểễệÈÉÊËĒ", "e"),
        ("ğĞ", "g"),
        ("ìíîïīıịỉĩÌÍÎÏ", "i"),
        ("łŁ", "l"),
        ("ñńÑŃ", "n"),
        ("òóôõöøōọỏốồổỗộớờởỡợơÒÓÔÕÖØŌ", "o"),
        ("śşšŚŞŠ", "s"),
        ("ùúûüūưụủũứừửữựÙÚÛÜŪ", "u"),
        ("ýÿỳỹÝ", "y"),
        ("źżžŹŻŽ", "z"),
        ("ß", "ss"),
        ("æÆ", "ae"),
    ];
    GROUPS
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map(|(_, plain)| *plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_culture_has_names_of_each_kind() {
        for (_, c) in CULTURES {
            assert!(!c.male.is_empty() && !c.female.is_empty() && !c.family.is_empty());
        }
    }

    #[test]
    fn every_pool_name_folds_to_ascii_without_losing_letters() {
        for (_, c) in CULTURES {
            for name in c.male.iter().chain(c.female).chain(c.family) {
                let folded = ascii_fold(name);
                assert!(folded.is_ascii(), "{name}");
                let letters = name.chars().filter(|c| c.is_alphabetic()).count();
                assert!(folded.len() >= letters, "{name} -> {folded}");
            }
        }
        assert_eq!(ascii_fold("Nguyễn"), "nguyen");
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("Groß"), "gross");
    }
}
