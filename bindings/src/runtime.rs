//! The one tokio runtime of the bindings: a small pool, since phones have few cores.
//! The core API is synchronous; async FFI methods hand it to a blocking thread and await it.

use crate::error::PartageError;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

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

/// Runs a synchronous core call on a blocking thread and awaits its result. The returned future
/// can be polled by any executor (uniffi's foreign-driven futures included).
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, PartageError>
where
    F: FnOnce() -> Result<T, partage::Error> + Send + 'static,
    T: Send + 'static,
{
    let task = runtime()?.spawn_blocking(f);
    match task.await {
        Ok(result) => result.map_err(PartageError::from),
        Err(e) => Err(PartageError::Internal(format!("a background task failed: {e}"))),
    }
}
