//! Who wants the network running, and the network calls in flight.
//!
//! Two parties steer the network of one node: the app (`start`/`pause`/`resume`/`stop`, following
//! its lifecycle) and background syncs (`sync_in_background`, run by a WorkManager worker or an
//! iOS background task while the app may be in the background). The rule: the network runs
//! (is not paused) while the app wants it running *or* a background sync is in flight. A
//! background sync that found the network stopped starts it and stops it again when it ends
//! (unless the app started it meanwhile); one that found it paused leaves it paused again.
//!
//! Pause and resume are reconciled against that rule instead of being sent blindly, so that an
//! app going to the foreground in the middle of a background sync is not paused by the sync's
//! end, and no lock is held while a command is awaited.

use crate::runtime::runtime;
use partage_net::{NetError, Network};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Reconciliation passes at most (each is one pause or resume command; a second pass is only
/// needed when the wanted state changed while the first was on its way).
const MAX_RECONCILE: usize = 4;

/// The network slot of one `Node`, shared with the tasks that run its network calls.
#[derive(Default)]
pub(crate) struct NetSlot {
    state: Mutex<NetState>,
    /// Network calls whose Rust work is still running (see [`InFlight`]).
    calls: Arc<AtomicU32>,
}

#[derive(Default)]
pub(crate) struct NetState {
    pub network: Option<Network>,
    /// The app paused the network (`pause_network`) and has not resumed it.
    pub app_paused: bool,
    /// `sync_in_background` calls in flight.
    pub background_syncs: u32,
    /// The running network was started by `sync_in_background`, not by the app.
    pub started_by_background: bool,
}

impl NetState {
    fn wants_running(&self) -> bool {
        !self.app_paused || self.background_syncs > 0
    }
}

/// How a background sync found the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkState {
    /// Not started: the background sync started it, and stopped it again.
    Stopped,
    /// Paused (the app is in the background): resumed for the sync, paused again afterwards.
    Paused,
    /// Running: synced as it was, left running.
    Running,
}

impl NetSlot {
    pub(crate) fn lock(&self) -> MutexGuard<'_, NetState> {
        // The state holds a cheap handle and flags whose every combination is valid: a panic
        // elsewhere cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn network(&self) -> Option<Network> {
        self.lock().network.clone()
    }

    pub(crate) fn calls_in_flight(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Counts one network call until the returned guard is dropped (the call's task finished
    /// or was aborted).
    pub(crate) fn track(&self) -> InFlight {
        self.calls.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(&self.calls))
    }

    /// Brings the network to the state the app and the background syncs want (see the module
    /// docs). Idempotent; never holds the lock across a command.
    pub(crate) async fn reconcile(&self) -> Result<(), NetError> {
        for _ in 0..MAX_RECONCILE {
            let (network, run) = {
                let s = self.lock();
                (s.network.clone(), s.wants_running())
            };
            let Some(network) = network else { return Ok(()) };
            if run {
                network.resume().await?;
            } else {
                network.pause().await?;
            }
            if self.lock().wants_running() == run {
                return Ok(());
            }
        }
        Ok(())
    }

    /// A background sync begins: counted until [`BackgroundHold::finish`] or its drop.
    pub(crate) fn begin_background(self: &Arc<Self>) -> BackgroundHold {
        let mut s = self.lock();
        s.background_syncs = s.background_syncs.saturating_add(1);
        let before = match &s.network {
            None => NetworkState::Stopped,
            Some(n) if n.is_paused() || s.app_paused => NetworkState::Paused,
            Some(_) => NetworkState::Running,
        };
        BackgroundHold { slot: Arc::clone(self), before, armed: true }
    }

    /// Installs a network started by a background sync, unless one is running already (the app
    /// or another background sync started it meanwhile). Returns the network to use and, in the
    /// second case, `network` handed back to be stopped.
    pub(crate) fn install_background(&self, network: Network) -> (Network, Option<Network>) {
        let mut s = self.lock();
        match &s.network {
            Some(existing) => (existing.clone(), Some(network)),
            None => {
                s.network = Some(network.clone());
                s.started_by_background = true;
                s.app_paused = false;
                (network, None)
            }
        }
    }

    /// The end of a background sync: what to do with the network, decided under the lock.
    fn end_background(&self) -> Ending {
        let mut s = self.lock();
        s.background_syncs = s.background_syncs.saturating_sub(1);
        if s.background_syncs > 0 {
            return Ending::Nothing;
        }
        if s.started_by_background {
            s.started_by_background = false;
            s.app_paused = false;
            return match s.network.take() {
                Some(network) => Ending::Stop(network),
                None => Ending::Nothing,
            };
        }
        Ending::Reconcile
    }
}

enum Ending {
    Nothing,
    Stop(Network),
    Reconcile,
}

/// Decrements the in-flight count of network calls when dropped.
pub(crate) struct InFlight(Arc<AtomicU32>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Keeps the network running for one background sync. [`BackgroundHold::finish`] restores what
/// the app wants and waits for it; dropped without it (the call was cancelled), the same is done
/// in a task of its own, so a cancelled background sync still leaves the network paused or
/// stopped as it found it.
pub(crate) struct BackgroundHold {
    slot: Arc<NetSlot>,
    pub before: NetworkState,
    armed: bool,
}

impl BackgroundHold {
    pub(crate) async fn finish(mut self) -> Result<(), NetError> {
        self.armed = false;
        restore(Arc::clone(&self.slot)).await
    }
}

impl Drop for BackgroundHold {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let slot = Arc::clone(&self.slot);
        let calls = slot.track();
        if let Ok(rt) = runtime() {
            rt.spawn(async move {
                let _calls = calls;
                if let Err(e) = restore(slot).await {
                    tracing::warn!(target: "partage_ffi::network", "could not restore the network after a cancelled background sync: {e}");
                }
            });
        }
    }
}

async fn restore(slot: Arc<NetSlot>) -> Result<(), NetError> {
    match slot.end_background() {
        Ending::Nothing => Ok(()),
        Ending::Stop(network) => {
            tracing::debug!(target: "partage_ffi::network", "background sync over: stopping the network it started");
            network.stop().await
        }
        Ending::Reconcile => slot.reconcile().await,
    }
}
