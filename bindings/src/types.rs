//! Records and enums of the FFI surface, mirrored from the core with `From` conversions.
//! Ids cross the boundary as lowercase hex strings; instants as `SystemTime` (Kotlin `Instant`,
//! Swift `Date`), days and durations as the custom types of `time.rs`, integers signed.

use crate::error::PartageError;
use crate::time::non_negative;
pub(crate) use crate::time::{count, instant};
use partage::{ItemId, MemberId, NeighbourhoodId};
use std::time::SystemTime;

/// Parses a hex id from the foreign side; a bad one is an `InvalidInput` error naming it.
pub(crate) fn parse_id<T>(text: &str) -> Result<T, PartageError>
where
    T: std::str::FromStr<Err = partage::ValidationError>,
{
    text.parse::<T>().map_err(PartageError::from)
}

macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name { $($variant),* }

        impl From<partage::$name> for $name {
            fn from(v: partage::$name) -> Self {
                match v { $(partage::$name::$variant => $name::$variant),* }
            }
        }

        impl From<$name> for partage::$name {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => partage::$name::$variant),* }
            }
        }
    };
}

mirror_enum!(
    /// The fixed list of item categories.
    Category {
        Tools, Garden, Kitchen, Cleaning, Diy, Sports, Camping, Kids, Books, Games, Electronics,
        Mobility, Party, Other,
    }
);

mirror_enum!(
    /// How worn an item is.
    Condition { New, Good, Fair, Worn }
);

/// Who this installation is.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    pub member_id: String,
    pub device_id: String,
    pub name: String,
}

impl From<partage::IdentityInfo> for Identity {
    fn from(i: partage::IdentityInfo) -> Self {
        Identity { member_id: i.member.to_hex(), device_id: i.device.to_hex(), name: i.name }
    }
}

/// A neighbourhood this device belongs to.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Neighbourhood {
    pub id: String,
    pub name: String,
    /// Whether this device holds the founder's key (can revoke members).
    pub admin: bool,
    pub member_count: i32,
    pub item_count: i32,
    pub joined_at: SystemTime,
    /// A member has confirmed this device's ticket; until then nothing of the neighbourhood
    /// arrives (show "waiting for a member to confirm").
    pub confirmed: bool,
}

impl From<partage::NeighbourhoodSummary> for Neighbourhood {
    fn from(n: partage::NeighbourhoodSummary) -> Self {
        Neighbourhood {
            id: n.id.to_hex(),
            name: n.name,
            admin: n.admin,
            member_count: count(n.members),
            item_count: count(n.items),
            joined_at: instant(n.joined_at),
            confirmed: n.confirmed,
        }
    }
}

/// A member of a neighbourhood.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Member {
    pub member_id: String,
    pub name: String,
    pub is_me: bool,
}

impl From<partage::MemberSummary> for Member {
    fn from(m: partage::MemberSummary) -> Self {
        Member { member_id: m.member.to_hex(), name: m.name, is_me: m.is_me }
    }
}

/// A lendable thing in the shared inventory, with its owner's display name.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Item {
    pub id: String,
    pub neighbourhood_id: String,
    pub owner_id: String,
    pub owner_name: String,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub tags: Vec<String>,
    pub condition: Condition,
    /// Content hashes (64 hex characters) of photos.
    pub photos: Vec<String>,
    /// Deposit asked for, in cents of the local currency.
    pub deposit_cents: Option<i64>,
    pub max_loan_days: i32,
    /// `false` while the owner has paused lending it.
    pub available: bool,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

/// One page of search results, and how many items match in all.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ItemPage {
    pub items: Vec<Item>,
    pub total: i32,
}

impl From<partage::ItemView> for Item {
    fn from(v: partage::ItemView) -> Self {
        let i = v.item;
        Item {
            id: i.id.to_hex(),
            neighbourhood_id: i.neighbourhood.to_hex(),
            owner_id: i.owner.to_hex(),
            owner_name: v.owner_name,
            title: i.title,
            description: i.description,
            category: i.category.into(),
            tags: i.tags,
            condition: i.condition.into(),
            photos: i.photos,
            deposit_cents: i.deposit_cents.map(crate::time::total),
            max_loan_days: i32::try_from(i.max_loan_days).unwrap_or(i32::MAX),
            available: i.available,
            created_at: instant(i.created_at),
            updated_at: instant(i.updated_at),
        }
    }
}

/// What a member fills in to add an item. Only the title is required.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ItemDraft {
    pub title: String,
    #[uniffi(default = "")]
    pub description: String,
    /// Defaults to `Other`.
    #[uniffi(default = None)]
    pub category: Option<Category>,
    #[uniffi(default = [])]
    pub tags: Vec<String>,
    /// Defaults to `Good`.
    #[uniffi(default = None)]
    pub condition: Option<Condition>,
    #[uniffi(default = [])]
    pub photos: Vec<String>,
    #[uniffi(default = None)]
    pub deposit_cents: Option<i64>,
    /// Defaults to 14 days.
    #[uniffi(default = None)]
    pub max_loan_days: Option<i32>,
}

impl TryFrom<ItemDraft> for partage::ItemDraft {
    type Error = PartageError;
    fn try_from(d: ItemDraft) -> Result<Self, PartageError> {
        Ok(partage::ItemDraft {
            title: d.title,
            description: d.description,
            category: d.category.map(Into::into),
            tags: d.tags,
            condition: d.condition.map(Into::into),
            photos: d.photos,
            deposit_cents: d.deposit_cents.map(|c| non_negative(c, "deposit")).transpose()?,
            max_loan_days: d
                .max_loan_days
                .map(|days| non_negative(days.into(), "max loan days"))
                .transpose()?,
        })
    }
}

/// A partial edit: a `null`/`nil` field is left as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct ItemPatch {
    #[uniffi(default = None)]
    pub title: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub category: Option<Category>,
    #[uniffi(default = None)]
    pub tags: Option<Vec<String>>,
    #[uniffi(default = None)]
    pub condition: Option<Condition>,
    #[uniffi(default = None)]
    pub photos: Option<Vec<String>>,
    /// A new deposit. To remove the deposit, set `clear_deposit` instead.
    #[uniffi(default = None)]
    pub deposit_cents: Option<i64>,
    #[uniffi(default = false)]
    pub clear_deposit: bool,
    #[uniffi(default = None)]
    pub max_loan_days: Option<i32>,
}

impl TryFrom<ItemPatch> for partage::ItemPatch {
    type Error = PartageError;
    fn try_from(p: ItemPatch) -> Result<Self, PartageError> {
        let deposit_cents = match (p.clear_deposit, p.deposit_cents) {
            (true, Some(_)) => {
                return Err(PartageError::invalid("set either a new deposit or clear_deposit, not both"));
            }
            (true, None) => Some(None),
            (false, Some(cents)) => Some(Some(non_negative(cents, "deposit")?)),
            (false, None) => None,
        };
        Ok(partage::ItemPatch {
            title: p.title,
            description: p.description,
            category: p.category.map(Into::into),
            tags: p.tags,
            condition: p.condition.map(Into::into),
            photos: p.photos,
            deposit_cents,
            max_loan_days: p
                .max_loan_days
                .map(|days| non_negative(days.into(), "max loan days"))
                .transpose()?,
        })
    }
}

/// Which items a listing shows. The default shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct ItemFilter {
    #[uniffi(default = None)]
    pub neighbourhood_id: Option<String>,
    #[uniffi(default = None)]
    pub category: Option<Category>,
    #[uniffi(default = None)]
    pub owner_id: Option<String>,
    #[uniffi(default = false)]
    pub available_only: bool,
}

impl TryFrom<ItemFilter> for partage::ItemFilter {
    type Error = PartageError;
    fn try_from(f: ItemFilter) -> Result<Self, PartageError> {
        Ok(partage::ItemFilter {
            neighbourhood: f.neighbourhood_id.as_deref().map(parse_id::<NeighbourhoodId>).transpose()?,
            category: f.category.map(Into::into),
            owner: f.owner_id.as_deref().map(parse_id::<MemberId>).transpose()?,
            available_only: f.available_only,
        })
    }
}

/// What applying a sync bundle changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    pub documents: i32,
    pub new_changes: i32,
    pub items_changed: i32,
    pub items_removed: i32,
    /// Loan records the documents carried that were refused on read, each with its reason
    /// (the rest of each document is imported).
    pub refused_records: Vec<String>,
}

impl ImportReport {
    pub(crate) fn add(&mut self, r: &partage::ImportReport) {
        self.documents = self.documents.saturating_add(1);
        self.new_changes = self.new_changes.saturating_add(count(r.new_changes));
        self.items_changed = self.items_changed.saturating_add(count(r.items_changed));
        self.items_removed = self.items_removed.saturating_add(count(r.items_removed));
        self.refused_records.extend(r.refused_records.iter().cloned());
    }
}

/// What an export or import to a file moved.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TransferSummary {
    pub neighbourhoods: i32,
    pub documents: i32,
    pub items: i32,
}

impl From<partage::export::TransferSummary> for TransferSummary {
    fn from(s: partage::export::TransferSummary) -> Self {
        TransferSummary {
            neighbourhoods: count(s.neighbourhoods),
            documents: count(s.documents),
            items: count(s.items),
        }
    }
}

/// What a data-only export wrote.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DataOnlySummary {
    pub neighbourhoods: i32,
    pub items: i32,
    pub loans: i32,
}

impl From<partage::export::DataOnlySummary> for DataOnlySummary {
    fn from(s: partage::export::DataOnlySummary) -> Self {
        DataOnlySummary {
            neighbourhoods: count(s.neighbourhoods),
            items: count(s.items),
            loans: count(s.loans),
        }
    }
}

pub(crate) fn parse_item(text: &str) -> Result<ItemId, PartageError> {
    parse_id(text)
}

pub(crate) fn parse_neighbourhood(text: &str) -> Result<NeighbourhoodId, PartageError> {
    parse_id(text)
}

pub(crate) fn parse_member(text: &str) -> Result<MemberId, PartageError> {
    parse_id(text)
}
