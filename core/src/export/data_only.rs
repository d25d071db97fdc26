//! `export --data-only`: one's own data as readable JSON, for a person who wants their data (to
//! read, keep or take elsewhere), not a backup. No secret key, no other member's items, and it
//! cannot be imported.

use super::private_file::write_private;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::ids::{MemberId, NeighbourhoodId};
use crate::loan::LoanView;
use crate::model::Item;
use crate::node::{LoanFilter, Node};
use crate::readmodel::ItemFilter;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` of a data-only export (an import recognises it and refuses it).
pub const DATA_FORMAT: &str = "partage-data";
/// The `version` of data-only exports this build writes.
pub const DATA_VERSION: u32 = 1;

/// What `export --data-only` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataExport {
    /// Always [`DATA_FORMAT`].
    pub format: String,
    /// The file format's version ([`DATA_VERSION`]).
    pub version: u32,
    /// Milliseconds since 1970.
    pub exported_at: u64,
    /// Says what this file is, for whoever opens it.
    pub about: String,
    /// Who I am.
    pub me: Profile,
    /// The neighbourhoods I belong to.
    pub neighbourhoods: Vec<NeighbourhoodEntry>,
    /// My items, every field, in all my neighbourhoods.
    pub items: Vec<Item>,
    /// Loans where I am the lender or the borrower, as the app shows them.
    pub loans: Vec<LoanView>,
}

/// My profile in a data-only export.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    /// My display name.
    pub name: String,
    /// My public member id (not a secret).
    pub member: MemberId,
}

/// A neighbourhood I belong to, in a data-only export.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NeighbourhoodEntry {
    /// Its id.
    pub id: NeighbourhoodId,
    /// Its name.
    pub name: String,
    /// Milliseconds since 1970.
    pub joined_at: u64,
    /// Whether I am an admin of it (this device holds its root key).
    pub admin: bool,
}

const ABOUT: &str = "Your own data from Partage: your profile, your items and your loans. \
    It holds no secret key and is not a backup: it cannot be imported (use `partage export` \
    without --data-only for a backup).";

impl Node {
    /// My own data (profile, my items, my loans, neighbourhood names), without any secret.
    pub fn data_only(&self) -> Result<DataExport> {
        let me = self.identity()?.ok_or(Error::NoIdentity)?;
        let mut neighbourhoods: Vec<NeighbourhoodEntry> = self
            .neighbourhoods()?
            .into_iter()
            .map(|n| NeighbourhoodEntry { id: n.id, name: n.name, joined_at: n.joined_at, admin: n.admin })
            .collect();
        neighbourhoods.sort_by_key(|n| (n.joined_at, n.id));
        let items = self
            .list_items(&ItemFilter { owner: Some(me.member), ..ItemFilter::default() })?
            .into_iter()
            .map(|v| v.item)
            .filter(|i| i.owner == me.member)
            .collect();
        let loans = self
            .loans(&LoanFilter { mine: true, ..LoanFilter::default() })?
            .into_iter()
            .filter(|l| l.lender == me.member || l.borrower == me.member)
            .collect();
        Ok(DataExport {
            format: DATA_FORMAT.into(),
            version: DATA_VERSION,
            exported_at: now_ms(),
            about: ABOUT.into(),
            me: Profile { name: me.name, member: me.member },
            neighbourhoods,
            items,
            loans,
        })
    }

    /// Writes [`Node::data_only`] to `path` as pretty JSON, with the same care as a backup
    /// (mode 0600, fsync, atomic rename). Its summary counts neighbourhoods and items; it has
    /// no documents.
    pub fn export_data_only(&self, path: &Path) -> Result<DataOnlySummary> {
        let data = self.data_only()?;
        let json = serde_json::to_vec_pretty(&data).map_err(|e| Error::Corrupt(e.to_string()))?;
        write_private(path, &json)?;
        Ok(DataOnlySummary {
            neighbourhoods: data.neighbourhoods.len(),
            items: data.items.len(),
            loans: data.loans.len(),
        })
    }
}

/// Counts of what a data-only export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataOnlySummary {
    /// Neighbourhoods written.
    pub neighbourhoods: usize,
    /// Items written.
    pub items: usize,
    /// Loans written.
    pub loans: usize,
}
