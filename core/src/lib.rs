//! Partage: a peer-to-peer lending library for neighbourhoods.
//!
//! Neighbours keep a shared inventory of lendable things, fully offline, with every change
//! signed by a certified device of its owner and stored durably in one redb file. Start with
//! [`Node`]. The layers, bottom up: [`identity`] and [`membership`] (keys, certificates),
//! [`model`] (items and validation), [`doc`] (automerge documents), [`attest`] (signed changes),
//! [`store`] (redb), [`readmodel`] and [`search`] (queries), [`node`] (the facade), [`sync`]
//! (which documents differ, and the formats that carry them).

#![warn(missing_docs)]

pub mod admission;
pub mod attest;
pub mod clock;
pub mod doc;
pub mod doc_epoch;
pub mod error;
pub mod events;
pub mod export;
pub mod identity;
pub mod ids;
mod item_read;
pub mod link;
pub mod loan;
pub mod membership;
pub mod model;
pub mod node;
pub mod photo;
pub mod readmodel;
pub mod search;
pub mod secret_store;
pub mod session_binding;
pub mod snapshot;
pub mod store;
mod store_rewrite;
pub mod sync;
pub mod ticket;
mod verified_sigs;

pub use error::{
    ChainError, Error, ErrorKind, LinkError, LoanError, Result, RowError, TicketError, ValidationError,
    VerifyError,
};
pub use events::{Event, NetEvent, Subscription, SyncStats};
pub use ids::{DeviceId, ItemId, LoanId, MemberId, NeighbourhoodId};
pub use loan::{LoanState, LoanView, Reminder, Trust};
pub use model::{Category, Condition, Item, ItemDraft, ItemPatch};
pub use node::{
    DocBundle, DocPayload, DocSummary, IdentityInfo, ImportReport, KnownPeer, LoanFilter, MemberSummary,
    MembershipProof, NeighbourhoodSummary, Node,
};
pub use photo::{BlobHash, PhotoError, PhotoRef};
pub use readmodel::{ItemFilter, ItemView, Page};
pub use secret_store::SecretStore;
pub use sync::EnvelopeError;
