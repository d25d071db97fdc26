//! The benchmark workload of the `partage-bench` harness: a fixed-seed generator of household
//! items over a French/English vocabulary, so every run adds the same titles, descriptions,
//! categories, tags and conditions (only the random item ids and timestamps differ).

use partage::{Category, Condition, ItemDraft};

/// Seed of every generated inventory.
pub const SEED: u64 = 0x5EED_CAFE_F00D_BEEF;
/// Descriptions are words appended until they reach this many characters.
pub const DESCRIPTION_CHARS: usize = 200;

/// Objects, each with the category it is filed under (every one of the 14 appears).
pub const OBJECTS: &[(&str, Category)] = &[
    ("Perceuse à percussion", Category::Tools),
    ("Visseuse sans fil", Category::Tools),
    ("Scie sauteuse", Category::Tools),
    ("Ponceuse orbitale", Category::Diy),
    ("Échelle double 3 m", Category::Diy),
    ("Escabeau 5 marches", Category::Diy),
    ("Décolleuse à papier peint", Category::Diy),
    ("Tondeuse électrique", Category::Garden),
    ("Taille-haie", Category::Garden),
    ("Brouette", Category::Garden),
    ("Souffleur de feuilles", Category::Garden),
    ("Appareil à raclette", Category::Kitchen),
    ("Robot pâtissier", Category::Kitchen),
    ("Machine à pain", Category::Kitchen),
    ("Appareil à fondue", Category::Kitchen),
    ("Nettoyeur haute pression", Category::Cleaning),
    ("Shampouineuse", Category::Cleaning),
    ("Aspirateur eau et poussière", Category::Cleaning),
    ("Vélo d'appartement", Category::Sports),
    ("Raquettes de badminton", Category::Sports),
    ("Planche de surf", Category::Sports),
    ("Tente 4 places", Category::Camping),
    ("Réchaud à gaz", Category::Camping),
    ("Sac de couchage", Category::Camping),
    ("Glacière électrique", Category::Camping),
    ("Poussette canne", Category::Kids),
    ("Lit parapluie", Category::Kids),
    ("Siège auto bébé", Category::Kids),
    ("Guide du routard", Category::Books),
    ("Encyclopédie des oiseaux", Category::Books),
    ("Jeu de société Carcassonne", Category::Games),
    ("Puzzle 1000 pièces", Category::Games),
    ("Vidéoprojecteur HD", Category::Electronics),
    ("Enceinte Bluetooth", Category::Electronics),
    ("Remorque de vélo", Category::Mobility),
    ("Trottinette électrique", Category::Mobility),
    ("Barnum 3x3 m", Category::Party),
    ("Machine à barbe à papa", Category::Party),
    ("Machine à coudre", Category::Other),
    ("Diable de déménagement", Category::Other),
];

/// What follows the object in a title: an adjective, a size or a state.
pub const QUALIFIERS: &[&str] = &[
    "compacte",
    "pliable",
    "grand modèle",
    "petit modèle",
    "18 V",
    "très bon état",
    "presque neuf",
    "de marque Bosch",
    "rouge",
    "bleu nuit",
    "professionnel",
    "léger",
    "2 personnes",
    "familial",
    "avec étui",
    "d'occasion",
];

/// Words descriptions are made of.
pub const DESCRIPTION_WORDS: &[&str] = &[
    "prêt",
    "possible",
    "le",
    "week-end",
    "fonctionne",
    "très",
    "bien",
    "notice",
    "fournie",
    "câble",
    "batterie",
    "chargeur",
    "à",
    "rendre",
    "propre",
    "merci",
    "de",
    "prévenir",
    "avant",
    "passage",
    "récupérer",
    "au",
    "rez-de-chaussée",
    "quelques",
    "rayures",
    "mais",
    "rien",
    "de",
    "grave",
    "idéal",
    "pour",
    "travaux",
    "jardin",
    "été",
    "hiver",
    "vacances",
    "garage",
    "cave",
    "sous-sol",
    "étagère",
    "boîte",
    "d'origine",
    "accessoires",
    "inclus",
    "housse",
    "lent",
    "pratique",
    "solide",
    "works",
    "fine",
    "ask",
    "before",
    "pickup",
    "evenings",
    "weekends",
    "ok",
];

pub const TAGS: &[&str] = &[
    "bricolage",
    "jardinage",
    "cuisine",
    "fête",
    "été",
    "hiver",
    "enfants",
    "extérieur",
    "intérieur",
    "lourd",
    "fragile",
    "électrique",
    "manuel",
    "sport",
    "voyage",
    "déménagement",
    "outdoor",
    "family",
];

/// xorshift64* (Vigna): small, fast, deterministic; good enough to pick words.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// An element of `from`, which must not be empty: every list given here is a non-empty
    /// constant, and `below(n) < n`, so the index is always in bounds.
    #[allow(clippy::indexing_slicing)]
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

pub fn draft(rng: &mut XorShift) -> ItemDraft {
    let (object, category) = rng.pick(OBJECTS);
    let title = format!("{object} {}", rng.pick(QUALIFIERS));
    let mut description = String::new();
    while description.chars().count() < DESCRIPTION_CHARS {
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(rng.pick(DESCRIPTION_WORDS));
    }
    let mut tags: Vec<String> = Vec::with_capacity(3);
    while tags.len() < 3 {
        let tag = rng.pick(TAGS);
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    let condition = rng.pick(Condition::ALL);
    let deposit_cents = (rng.below(3) == 0).then(|| 1_000 * (1 + rng.below(10) as u64));
    let max_loan_days = (rng.below(2) == 0).then(|| rng.pick(&[3, 7, 14, 30]));
    ItemDraft {
        title,
        description,
        category: Some(category),
        tags,
        condition: Some(condition),
        photos: Vec::new(),
        deposit_cents,
        max_loan_days,
    }
}
