//! Logs for the app: a [`PartageLogger`] implemented in Kotlin, Swift or Python (Logcat,
//! `os.Logger`, `logging`) receives Partage's diagnostics, fed from the `tracing` crate.
//!
//! What is logged: the network crate's diagnostics (connections, sessions, frames by kind, never
//! their payload; target `partage_net`, debug level), these bindings' own (network lifecycle,
//! background syncs; targets `partage_ffi::*`), and warnings and errors of the libraries below
//! (libp2p and its transports). No secret key, invite secret, ticket or document content is ever
//! formatted into a log message; peer ids, LAN addresses and short document owner ids are (see
//! THREAT_MODEL.md, "Logs").
//!
//! Bounded and never blocking: an event is formatted (at most [`MAX_MESSAGE`] bytes, control
//! characters escaped) on the thread that emits it and offered to a queue of
//! [`QUEUE`] records; one delivery thread calls the logger. When the logger is slower than the
//! events, the records that do not fit are dropped and counted ([`log_stats`]), and the logger is
//! told how many it missed. The Rust side never waits for the logger.

use crate::error::PartageError;
use crate::events::ListenerError;
use crate::time::total;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Records waiting for the logger, at most.
pub const QUEUE: usize = 1024;
/// Bytes of one message, at most (longer ones are cut and end with `…`).
pub const MAX_MESSAGE: usize = 2048;
/// Bytes of one target, at most.
const MAX_TARGET: usize = 128;
/// Where the bindings report about logging itself (records dropped).
const LOG_TARGET: &str = "partage_ffi::logging";

/// How much to log, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn from_u8(v: u8) -> LogLevel {
        match v {
            0 => LogLevel::Error,
            1 => LogLevel::Warn,
            2 => LogLevel::Info,
            3 => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }

    fn filter(self) -> LevelFilter {
        match self {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

/// Implemented by the app: receives log records on one background thread, in order. Return
/// quickly; a slow logger makes records be dropped (and counted), never slows Partage down.
#[uniffi::export(callback_interface)]
pub trait PartageLogger: Send + Sync {
    /// `target` names where the record comes from (`partage_net`, `partage_ffi::network`,
    /// `libp2p_swarm`, ...); `message` is one line.
    fn log(&self, level: LogLevel, target: String, message: String) -> Result<(), ListenerError>;
}

/// How the installed logger has fared.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LogStats {
    /// A logger is installed in this process.
    pub installed: bool,
    /// Records handed to the logger.
    pub delivered: i64,
    /// Records dropped because the logger was behind by [`QUEUE`] records.
    pub dropped: i64,
    /// Times the logger threw (delivery went on with the next record).
    pub logger_errors: i64,
}

/// Counters and the level, shared by a layer and its delivery thread.
struct Shared {
    level: AtomicU8,
    delivered: AtomicU64,
    dropped: AtomicU64,
    logger_errors: AtomicU64,
}

impl Shared {
    fn level(&self) -> LogLevel {
        LogLevel::from_u8(self.level.load(Ordering::Relaxed))
    }

    /// Partage's own targets at the chosen level; other libraries at warnings at most.
    fn allows(&self, metadata: &Metadata<'_>) -> bool {
        let level = self.level();
        let max = if is_partage(metadata.target()) { level } else { level.min(LogLevel::Warn) };
        LogLevel::of(metadata.level()) <= max
    }

    fn stats(&self, installed: bool) -> LogStats {
        LogStats {
            installed,
            delivered: total(self.delivered.load(Ordering::Relaxed)),
            dropped: total(self.dropped.load(Ordering::Relaxed)),
            logger_errors: total(self.logger_errors.load(Ordering::Relaxed)),
        }
    }
}

fn is_partage(target: &str) -> bool {
    ["partage", "partage_net", "partage_ffi"]
        .iter()
        .any(|t| target == *t || target.strip_prefix(t).is_some_and(|rest| rest.starts_with("::")))
}

/// One formatted record on its way to the logger.
struct Record {
    level: LogLevel,
    target: String,
    message: String,
}

/// The `tracing` layer that feeds a [`PartageLogger`]. [`install_logger`] installs one for the
/// whole process; a Rust program with its own subscriber can add one with [`logger_layer`].
pub struct LoggerLayer {
    tx: SyncSender<Record>,
    shared: Arc<Shared>,
}

impl<S: Subscriber> Layer<S> for LoggerLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Spans are not logged; events are judged by level and target (cached per call site,
        // rebuilt by `set_log_level`).
        if metadata.is_event() && self.shared.allows(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_event() && self.shared.allows(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.shared.level().filter())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut message = MessageVisitor::default();
        event.record(&mut message);
        let mut target = Bounded::new(MAX_TARGET);
        let _ = target.write_str(metadata.target());
        let record = Record {
            level: LogLevel::of(metadata.level()),
            target: target.finish(),
            message: message.finish(),
        };
        match self.tx.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Formats an event's message, then its other fields as ` key=value`.
struct MessageVisitor {
    message: Bounded,
    fields: Bounded,
}

impl Default for MessageVisitor {
    fn default() -> Self {
        MessageVisitor { message: Bounded::new(MAX_MESSAGE), fields: Bounded::new(MAX_MESSAGE) }
    }
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = self.message.write_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl MessageVisitor {
    fn finish(self) -> String {
        let mut message = self.message;
        let _ = message.write_str(&self.fields.finish());
        message.finish()
    }
}

/// A string that keeps at most `limit` bytes of what is written to it (cut on a character
/// boundary, then `…`), with control characters escaped so that a record stays one line.
struct Bounded {
    buf: String,
    limit: usize,
    cut: bool,
}

impl Bounded {
    fn new(limit: usize) -> Self {
        Bounded { buf: String::new(), limit, cut: false }
    }

    fn finish(mut self) -> String {
        if self.cut {
            self.buf.push('…');
        }
        self.buf
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.cut {
                break;
            }
            let room = self.limit.saturating_sub(self.buf.len());
            if c.is_control() {
                let escaped: String = c.escape_default().collect();
                if escaped.len() > room {
                    self.cut = true;
                } else {
                    self.buf.push_str(&escaped);
                }
            } else if c.len_utf8() > room {
                self.cut = true;
            } else {
                self.buf.push(c);
            }
        }
        Ok(())
    }
}

/// Delivers records to the logger, one at a time, until every sender is gone.
fn deliver(rx: Receiver<Record>, logger: Box<dyn PartageLogger>, shared: Arc<Shared>) {
    let mut reported = 0u64;
    let call = |record: Record| {
        let outcome =
            catch_unwind(AssertUnwindSafe(|| logger.log(record.level, record.target, record.message)));
        match outcome {
            Ok(Ok(())) => shared.delivered.fetch_add(1, Ordering::Relaxed),
            _ => shared.logger_errors.fetch_add(1, Ordering::Relaxed),
        };
    };
    while let Ok(record) = rx.recv() {
        call(record);
        let dropped = shared.dropped.load(Ordering::Relaxed);
        if dropped > reported {
            call(Record {
                level: LogLevel::Warn,
                target: LOG_TARGET.to_owned(),
                message: format!("{} log records were dropped: the logger is too slow", dropped - reported),
            });
            reported = dropped;
        }
    }
}

/// A layer feeding `logger` at `level`, with its delivery thread (which ends when the layer is
/// dropped). For Rust programs that compose their own `tracing` subscriber; apps use
/// [`install_logger`].
pub fn logger_layer(logger: Box<dyn PartageLogger>, level: LogLevel) -> Result<LoggerLayer, PartageError> {
    let shared = Arc::new(Shared {
        level: AtomicU8::new(level as u8),
        delivered: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        logger_errors: AtomicU64::new(0),
    });
    let (tx, rx) = sync_channel(QUEUE);
    let delivery = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("partage-log".into())
        .spawn(move || deliver(rx, logger, delivery))
        .map_err(|e| PartageError::Internal(format!("could not start the log thread: {e}")))?;
    Ok(LoggerLayer { tx, shared })
}

/// The installed logger's counters (set once per process).
static INSTALLED: OnceLock<Arc<Shared>> = OnceLock::new();
static INSTALLING: AtomicBool = AtomicBool::new(false);

/// Installs `logger` for this process: from now on it receives Partage's records at `level`
/// and warnings and errors of the libraries below. Once per process: a second call fails with
/// `InvalidInput`, and so does the first if the process already has a `tracing` subscriber (a
/// Rust program: use [`logger_layer`] in yours). Change the level later with [`set_log_level`].
#[uniffi::export]
pub fn install_logger(logger: Box<dyn PartageLogger>, level: LogLevel) -> Result<(), PartageError> {
    if INSTALLING.swap(true, Ordering::SeqCst) {
        return Err(PartageError::invalid("a logger is already installed in this process"));
    }
    let layer = match logger_layer(logger, level) {
        Ok(layer) => layer,
        Err(e) => {
            INSTALLING.store(false, Ordering::SeqCst);
            return Err(e);
        }
    };
    let shared = Arc::clone(&layer.shared);
    if tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).is_err() {
        // The layer (and its thread) went with the refused subscriber.
        return Err(PartageError::invalid("this process already has a tracing subscriber"));
    }
    let _ = INSTALLED.set(shared);
    tracing::info!(target: LOG_TARGET, "logger installed at level {level:?} (Partage {})", env!("CARGO_PKG_VERSION"));
    Ok(())
}

/// Changes the level of the installed logger (no effect before [`install_logger`]).
#[uniffi::export]
pub fn set_log_level(level: LogLevel) {
    if let Some(shared) = INSTALLED.get() {
        shared.level.store(level as u8, Ordering::Relaxed);
        tracing::callsite::rebuild_interest_cache();
    }
}

/// How the installed logger has fared: records delivered, dropped (it was too slow), failed.
#[uniffi::export]
pub fn log_stats() -> LogStats {
    match INSTALLED.get() {
        Some(shared) => shared.stats(true),
        None => LogStats { installed: false, delivered: 0, dropped: 0, logger_errors: 0 },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, channel};
    use std::time::{Duration, Instant};

    /// Forwards every record to a channel; optionally waits for a go-ahead before the first one.
    struct Collect {
        out: Mutex<Sender<(LogLevel, String, String)>>,
        gate: Mutex<Option<Receiver<()>>>,
    }

    impl PartageLogger for Collect {
        fn log(&self, level: LogLevel, target: String, message: String) -> Result<(), ListenerError> {
            if let Some(gate) = self.gate.lock().unwrap().take() {
                let _ = gate.recv();
            }
            let _ = self.out.lock().unwrap().send((level, target, message));
            Ok(())
        }
    }

    fn collector(gate: Option<Receiver<()>>) -> (Box<Collect>, Receiver<(LogLevel, String, String)>) {
        let (tx, rx) = channel();
        (Box::new(Collect { out: Mutex::new(tx), gate: Mutex::new(gate) }), rx)
    }

    fn next(rx: &Receiver<(LogLevel, String, String)>) -> (LogLevel, String, String) {
        rx.recv_timeout(Duration::from_secs(30)).expect("a log record")
    }

    #[test]
    fn records_arrive_filtered_by_level_and_target() {
        let (logger, rx) = collector(None);
        let layer = logger_layer(logger, LogLevel::Debug).unwrap();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            tracing::debug!(target: "partage_net", "12D3 -> 12D3 {}", "hello(reply=false)");
            tracing::trace!(target: "partage_net", "too fine");
            tracing::info!(target: "libp2p_swarm", "a dependency's info");
            tracing::warn!(target: "libp2p_swarm", peer = 7, "a dependency's warning");
            tracing::error!(target: "partage_ffi::network", "done");
        });
        assert_eq!(
            next(&rx),
            (LogLevel::Debug, "partage_net".into(), "12D3 -> 12D3 hello(reply=false)".into())
        );
        assert_eq!(
            next(&rx),
            (LogLevel::Warn, "libp2p_swarm".into(), "a dependency's warning peer=7".into())
        );
        assert_eq!(next(&rx), (LogLevel::Error, "partage_ffi::network".into(), "done".into()));
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "nothing else passes the filter");
    }

    #[test]
    fn a_slow_logger_never_blocks_the_rust_side_and_drops_are_counted() {
        let (gate_tx, gate) = channel();
        let (logger, rx) = collector(Some(gate));
        let layer = logger_layer(logger, LogLevel::Info).unwrap();
        let shared = Arc::clone(&layer.shared);
        let total = QUEUE * 4;
        // The logger is stuck on its first record: every event must still return at once.
        let started = Instant::now();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            for i in 0..total {
                tracing::info!(target: "partage", "record {i}");
            }
        });
        let emitting = started.elapsed();
        let dropped = shared.dropped.load(Ordering::SeqCst);
        assert!(dropped as usize >= total - QUEUE - 1, "dropped {dropped} of {total} with a stuck logger");
        gate_tx.send(()).unwrap();
        let mut received = 0;
        let mut notice = None;
        while let Ok((level, target, message)) = rx.recv_timeout(Duration::from_secs(5)) {
            if target == LOG_TARGET {
                notice = Some((level, message));
            } else {
                received += 1;
            }
        }
        assert_eq!(received as u64 + dropped, total as u64, "every record is delivered or counted");
        let (level, message) = notice.expect("the logger is told about the drops");
        assert_eq!(level, LogLevel::Warn);
        assert_eq!(message, format!("{dropped} log records were dropped: the logger is too slow"));
        // Not a timing assertion on the library: a hint when the machine is very slow.
        println!("{total} events emitted in {emitting:?} with the logger stuck");
    }

    #[test]
    fn messages_are_one_bounded_line() {
        let (logger, rx) = collector(None);
        let layer = logger_layer(logger, LogLevel::Info).unwrap();
        let long = "é".repeat(MAX_MESSAGE);
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            tracing::info!(target: "partage", "line one\nline two\r\u{1b}[31m");
            tracing::info!(target: "partage", "{long}");
        });
        assert_eq!(next(&rx).2, "line one\\nline two\\r\\u{1b}[31m");
        let cut = next(&rx).2;
        assert!(cut.len() <= MAX_MESSAGE + '…'.len_utf8(), "{} bytes", cut.len());
        assert!(cut.ends_with('…') && cut.starts_with("éé"));
    }

    #[test]
    fn the_level_can_change_at_runtime() {
        let (logger, rx) = collector(None);
        let layer = logger_layer(logger, LogLevel::Info).unwrap();
        let shared = Arc::clone(&layer.shared);
        let emit = |n: u32| tracing::debug!(target: "partage_ffi::network", "detail {n}");
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            emit(1);
            // What `set_log_level` does to the installed logger.
            shared.level.store(LogLevel::Debug as u8, Ordering::Relaxed);
            tracing::callsite::rebuild_interest_cache();
            emit(2);
            shared.level.store(LogLevel::Warn as u8, Ordering::Relaxed);
            tracing::callsite::rebuild_interest_cache();
            emit(3);
            tracing::warn!(target: "partage_ffi::network", "end");
        });
        assert_eq!(next(&rx).2, "detail 2");
        assert_eq!(next(&rx).2, "end");
    }

    #[test]
    fn partage_targets_are_recognised() {
        assert!(is_partage("partage"));
        assert!(is_partage("partage_net"));
        assert!(is_partage("partage_ffi::network"));
        assert!(!is_partage("partage_evil"));
        assert!(!is_partage("libp2p_swarm"));
    }
}
