//! `partage-ffi`: the uniffi bindings of Partage for Kotlin, Swift and Python.
//!
//! This crate wraps, it does not implement: every exported object holds a core object and
//! forwards to it. The layers:
//! - [`error`]: the one error type at the edge (`PartageError`), mapped from `partage::Error`.
//! - [`types`]: records and enums mirrored from the core, with `From` conversions.
//! - [`time`]: days, durations, instants and signed counts in each language's own types.
//! - [`node`]: the `Node` object (async methods: the core's synchronous calls run on a
//!   blocking thread of this crate's runtime, never on the caller's thread).
//! - [`loans`]: the lending workflow (every move, lists, reminders, trust).
//! - [`network`]: start/stop/pause/resume, sync now, background sync, status, peers, the
//!   discovery bridge.
//! - [`events`]: listener callback interface and the `Subscription` that owns its delivery thread.
//! - [`devices`]: linking a new device to this identity, listing and revoking devices.
//! - [`replication`]: opaque byte bundles to move documents between devices without a network.
//! - [`logging`]: a logger callback interface fed from `tracing` (Logcat, `os.Logger`, ...).
//! - [`secrets`]: the app's secret store (Keystore, Keychain) for the secret keys (ADR 0018).
//! - [`photos`]: adding photos, thumbnails, originals fetched from members with progress.
//!
//! Generated Kotlin/Swift/Python sources are build outputs (see `bindings/README.md`).

pub mod devices;
pub mod error;
pub mod events;
pub mod loans;
pub mod logging;
pub mod network;
pub mod node;
pub mod photos;
pub mod replication;
mod runtime;
pub mod secrets;
pub mod time;
pub mod types;

pub use error::{ErrorKind, PartageError};
pub use events::{EventEffects, EventListener, ListenerError, NodeEvent, Subscription};
pub use logging::{LogLevel, PartageLogger};
pub use node::Node;

uniffi::setup_scaffolding!();

/// The version of the Partage library these bindings were built from.
#[uniffi::export]
pub fn partage_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
