//! The one tokio runtime of the bindings: a small pool, since phones have few cores.
//! The core API is synchronous; async FFI methods hand it to a blocking thread and await it.
//!
//! Cancellation: every task spawned for an FFI call is held by an [`AbortOnDrop`] handle inside
//! the call's future. When the foreign side cancels the call (a Kotlin coroutine is cancelled,
//! a Swift `Task` is cancelled, a Python asyncio task is cancelled), uniffi drops that future,
//! the handle aborts the task, and the task's own future is dropped at its next await point:
//! network waits end at once, and a blocking store call that has not started yet never starts
//! (one that has started finishes its transaction: a store call is short and all or nothing).

use crate::error::PartageError;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinError, JoinHandle};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, created on first use.
pub(crate) fn runtime() -> Result<&'static Runtime, PartageError> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(2)
                .max_blocking_threads(8)
                .thread_name("partage-ffi")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PartageError::Internal(format!("could not start the background runtime: {e}")))
}

/// A spawned task that is aborted when this handle is dropped before the task finished, so that
/// the task never outlives the FFI call that awaits it.
#[must_use = "dropping the handle aborts the task"]
pub(crate) struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        // A no-op when the task has finished.
        self.0.abort();
    }
}

/// Spawns `future` on the runtime; dropping the returned handle aborts it.
pub(crate) fn spawn<F>(future: F) -> Result<AbortOnDrop<F::Output>, PartageError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(AbortOnDrop(runtime()?.spawn(future)))
}

/// Runs a synchronous core call on a blocking thread and awaits its result. The returned future
/// can be polled by any executor (uniffi's foreign-driven futures included). Dropped before the
/// call started (the caller cancelled), the call never runs.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, PartageError>
where
    F: FnOnce() -> Result<T, partage::Error> + Send + 'static,
    T: Send + 'static,
{
    let task = AbortOnDrop(runtime()?.spawn_blocking(f));
    match task.await {
        Ok(result) => result.map_err(PartageError::from),
        Err(e) => Err(PartageError::Internal(format!("a background task failed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// Sets its flag when dropped: shows that a task's future was dropped (aborted).
    struct Dropped(Arc<AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_handle_aborts_the_task() {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Dropped(Arc::clone(&dropped));
        let handle = spawn(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!dropped.load(Ordering::SeqCst), "the task runs while its handle is held");
        drop(handle);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !dropped.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "the task outlived its handle");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_cancelled_blocking_call_that_has_not_started_never_runs() {
        // Fill every blocking thread so that the next call has to queue.
        let release = Arc::new(std::sync::Barrier::new(9));
        let mut busy = Vec::new();
        for _ in 0..8 {
            let release = Arc::clone(&release);
            busy.push(runtime().unwrap().spawn_blocking(move || {
                release.wait();
            }));
        }
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let call = blocking(move || {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        // Poll it once (it spawns and queues), then drop it: the caller cancelled.
        let waker = std::task::Waker::noop();
        let mut call = Box::pin(call);
        assert!(call.as_mut().poll(&mut Context::from_waker(waker)).is_pending());
        drop(call);
        release.wait();
        runtime().unwrap().block_on(async {
            for b in busy {
                b.await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        });
        assert!(!ran.load(Ordering::SeqCst), "a cancelled call that had not started ran anyway");
    }
}
