//! The inventory's data types and their validation rules.

use crate::error::ValidationError;
use crate::ids::{ItemId, MemberId, NeighbourhoodId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest item title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest item description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Most tags on one item.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// Most photos on one item.
pub const MAX_PHOTOS: usize = 12;
/// Longest display name or neighbourhood name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest maximum loan length an item may have, in days.
pub const MAX_LOAN_DAYS: u32 = 365;
/// An item's maximum loan length when its draft gives none, in days.
pub const DEFAULT_LOAN_DAYS: u32 = 14;

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? } err $err:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $(#[doc = concat!("Named `", $text, "` in text and JSON.")] $variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable lowercase name: what `Display`, `FromStr` (case-insensitive) and serde use.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            /// Every name, in declaration order (for help texts and pickers).
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|c| c.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_lowercase();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == wanted)
                    .ok_or_else(|| ValidationError::$err(s.chars().take(40).collect()))
            }
        }
    };
}

named_enum!(
    /// The fixed list of item categories.
    Category {
        Tools => "tools", Garden => "garden", Kitchen => "kitchen", Cleaning => "cleaning",
        Diy => "diy", Sports => "sports", Camping => "camping", Kids => "kids", Books => "books",
        Games => "games", Electronics => "electronics", Mobility => "mobility", Party => "party",
        Other => "other",
    } err UnknownCategory
);

named_enum!(
    /// How worn an item is.
    Condition { New => "new", Good => "good", Fair => "fair", Worn => "worn" } err UnknownCondition
);

/// A lendable object, as stored in its owner's document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The item's id, bound to its owner (see [`ItemId::new_bound`]).
    pub id: ItemId,
    /// The neighbourhood it is offered in.
    pub neighbourhood: NeighbourhoodId,
    /// The member who owns it (whose document holds it).
    pub owner: MemberId,
    /// Title, trimmed, 1 to [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// Description, trimmed, at most [`MAX_DESCRIPTION_CHARS`] characters (may be empty).
    pub description: String,
    /// Category.
    pub category: Category,
    /// Tags, lowercase and without duplicates, at most [`MAX_TAGS`].
    pub tags: Vec<String>,
    /// How worn it is.
    pub condition: Condition,
    /// Photo references (`ORIGINAL.THUMBNAIL`, BLAKE3 hashes in hex: see [`crate::photo::PhotoRef`]).
    pub photos: Vec<String>,
    /// Deposit asked for, in cents of the local currency.
    pub deposit_cents: Option<u64>,
    /// Longest loan the owner accepts, in days (1 to [`MAX_LOAN_DAYS`]).
    pub max_loan_days: u32,
    /// Whether it can be requested now; the owner pauses an item by turning this off.
    pub available: bool,
    /// When it was added, in milliseconds since the Unix epoch (the adding device's clock).
    pub created_at: u64,
    /// When it was last changed, in milliseconds since the Unix epoch (the editing device's clock).
    pub updated_at: u64,
}

/// What a member fills in to add an item.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ItemDraft {
    /// Title (required; trimmed, at most [`MAX_TITLE_CHARS`] characters).
    pub title: String,
    /// Description (optional; at most [`MAX_DESCRIPTION_CHARS`] characters).
    pub description: String,
    /// Category; [`Category::Other`] when `None`.
    pub category: Option<Category>,
    /// Tags (lowercased, duplicates dropped; at most [`MAX_TAGS`]).
    pub tags: Vec<String>,
    /// Condition; [`Condition::Good`] when `None`.
    pub condition: Option<Condition>,
    /// Photo references, as returned when the photos were added (at most [`MAX_PHOTOS`]).
    pub photos: Vec<String>,
    /// Deposit asked for, in cents of the local currency.
    pub deposit_cents: Option<u64>,
    /// Longest loan accepted, in days; [`DEFAULT_LOAN_DAYS`] when `None`.
    pub max_loan_days: Option<u32>,
}

/// A partial edit: `None` leaves a field as it is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ItemPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New tags (replacing the whole list).
    pub tags: Option<Vec<String>>,
    /// New condition.
    pub condition: Option<Condition>,
    /// New photo references (replacing the whole list).
    pub photos: Option<Vec<String>>,
    /// `Some(None)` removes the deposit.
    pub deposit_cents: Option<Option<u64>>,
    /// New longest loan, in days.
    pub max_loan_days: Option<u32>,
}

/// Trims a title and checks it is not empty and at most [`MAX_TITLE_CHARS`] characters.
pub fn validate_title(title: &str) -> Result<String, ValidationError> {
    validate_text("title", title, MAX_TITLE_CHARS, true)
}

/// Trims a description and checks it is at most [`MAX_DESCRIPTION_CHARS`] characters.
pub fn validate_description(text: &str) -> Result<String, ValidationError> {
    validate_text("description", text, MAX_DESCRIPTION_CHARS, false)
}

/// Trims a display name and checks it is not empty and at most [`MAX_NAME_CHARS`] characters.
pub fn validate_name(name: &str) -> Result<String, ValidationError> {
    validate_text("name", name, MAX_NAME_CHARS, true)
}

/// Trims a neighbourhood name and checks it is not empty and at most [`MAX_NAME_CHARS`]
/// characters.
pub fn validate_neighbourhood_name(name: &str) -> Result<String, ValidationError> {
    validate_text("neighbourhood name", name, MAX_NAME_CHARS, true)
}

fn validate_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let trimmed = text.trim();
    if required && trimmed.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    // Count lazily so a 10 MB string is rejected without walking all of it.
    if trimmed.chars().take(max + 1).count() > max {
        return Err(ValidationError::TooLong { field, len: trimmed.chars().count(), max });
    }
    Ok(trimmed.to_owned())
}

/// Checks at most [`MAX_TAGS`] tags of 1 to [`MAX_TAG_CHARS`] characters each; returns them
/// trimmed, lowercased and without duplicates (first occurrence kept).
pub fn validate_tags(tags: &[String]) -> Result<Vec<String>, ValidationError> {
    if tags.len() > MAX_TAGS {
        return Err(ValidationError::TooMany { field: "tags", count: tags.len(), max: MAX_TAGS });
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = validate_text("tag", tag, MAX_TAG_CHARS, true)?.to_lowercase();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// Checks at most [`MAX_PHOTOS`] photo references, each in the form of [`crate::photo::PhotoRef`];
/// returns them trimmed and lowercased.
pub fn validate_photos(photos: &[String]) -> Result<Vec<String>, ValidationError> {
    if photos.len() > MAX_PHOTOS {
        return Err(ValidationError::TooMany { field: "photos", count: photos.len(), max: MAX_PHOTOS });
    }
    photos
        .iter()
        .map(|p| {
            let p = p.trim().to_lowercase();
            match p.parse::<crate::photo::PhotoRef>() {
                Ok(r) => Ok(r.to_string()),
                Err(_) => Err(ValidationError::BadPhotoRef(p.chars().take(140).collect())),
            }
        })
        .collect()
}

/// Checks a maximum loan length is 1 to [`MAX_LOAN_DAYS`] days.
pub fn validate_loan_days(days: u32) -> Result<u32, ValidationError> {
    if (1..=MAX_LOAN_DAYS).contains(&days) { Ok(days) } else { Err(ValidationError::LoanDays(days)) }
}

impl ItemDraft {
    /// Validates and normalises the draft into a full item.
    pub fn into_item(
        self,
        id: ItemId,
        neighbourhood: NeighbourhoodId,
        owner: MemberId,
        now: u64,
    ) -> Result<Item, ValidationError> {
        Ok(Item {
            id,
            neighbourhood,
            owner,
            title: validate_title(&self.title)?,
            description: validate_description(&self.description)?,
            category: self.category.unwrap_or(Category::Other),
            tags: validate_tags(&self.tags)?,
            condition: self.condition.unwrap_or(Condition::Good),
            photos: validate_photos(&self.photos)?,
            deposit_cents: self.deposit_cents,
            max_loan_days: validate_loan_days(self.max_loan_days.unwrap_or(DEFAULT_LOAN_DAYS))?,
            available: true,
            created_at: now,
            updated_at: now,
        })
    }
}

impl ItemPatch {
    /// Applies the patch to a copy of `item`, validating each changed field.
    pub fn apply(&self, item: &Item, now: u64) -> Result<Item, ValidationError> {
        let mut out = item.clone();
        if let Some(t) = &self.title {
            out.title = validate_title(t)?;
        }
        if let Some(d) = &self.description {
            out.description = validate_description(d)?;
        }
        if let Some(c) = self.category {
            out.category = c;
        }
        if let Some(tags) = &self.tags {
            out.tags = validate_tags(tags)?;
        }
        if let Some(c) = self.condition {
            out.condition = c;
        }
        if let Some(p) = &self.photos {
            out.photos = validate_photos(p)?;
        }
        if let Some(d) = self.deposit_cents {
            out.deposit_cents = d;
        }
        if let Some(days) = self.max_loan_days {
            out.max_loan_days = validate_loan_days(days)?;
        }
        out.updated_at = now;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_case_insensitively() {
        assert_eq!("DIY".parse::<Category>(), Ok(Category::Diy));
        assert_eq!(" Garden ".parse::<Category>(), Ok(Category::Garden));
        let err = "spaceships".parse::<Category>().unwrap_err();
        assert!(err.to_string().starts_with("unknown category \"spaceships\" (use one of: tools, garden"));
        assert_eq!(Category::ALL.len(), 14);
    }

    #[test]
    fn title_rules() {
        assert_eq!(validate_title("  ").unwrap_err().to_string(), "title is empty");
        let huge = "x".repeat(10 * 1024 * 1024);
        assert_eq!(
            validate_title(&huge).unwrap_err().to_string(),
            format!("title is too long ({} characters, at most 120)", huge.len())
        );
        assert_eq!(validate_title(" Échelle ").unwrap(), "Échelle");
    }

    #[test]
    fn tags_are_normalised_and_bounded() {
        assert_eq!(validate_tags(&["Bois".into(), "bois".into()]).unwrap(), vec!["bois"]);
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        assert!(matches!(validate_tags(&many), Err(ValidationError::TooMany { .. })));
    }

    #[test]
    fn photos_must_be_references() {
        assert!(validate_photos(&["abc".into()]).is_err());
        // A bare hash (the form before photos existed) is not a reference.
        assert!(validate_photos(&["a".repeat(64)]).is_err());
        let r = format!("{}.{}", "a".repeat(64), "b".repeat(64));
        assert_eq!(validate_photos(&[format!("  {} ", r.to_uppercase())]), Ok(vec![r]));
    }
}
