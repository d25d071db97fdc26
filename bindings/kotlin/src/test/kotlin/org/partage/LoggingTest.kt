package org.partage

import org.partage.ffi.ItemDraft
import java.time.Duration
import org.partage.ffi.LogLevel
import org.partage.ffi.PartageException
import org.partage.ffi.PartageLogger
import org.partage.ffi.installLogger
import org.partage.ffi.logStats
import org.partage.ffi.setLogLevel
import java.util.concurrent.ConcurrentLinkedQueue

data class LogRecord(val level: LogLevel, val target: String, val message: String)

/** A logger implemented in Kotlin: keeps what it receives. */
class CollectingLogger : PartageLogger {
    val records = ConcurrentLinkedQueue<LogRecord>()

    override fun log(
        level: LogLevel,
        target: String,
        message: String,
    ) {
        records.add(LogRecord(level, target, message))
    }
}

// Runs first: the logger is installed once for the whole process.
fun loggingTests() {
    test("log records from Rust arrive in a Kotlin logger (installed once per process), and hold no ticket") {
        val logger = CollectingLogger()
        installLogger(logger, LogLevel.DEBUG)
        val again = expectThrows<PartageException.InvalidInput> { installLogger(CollectingLogger(), LogLevel.INFO) }
        expectEq("a logger is already installed in this process", again.message, "second install")
        var ticket = ""
        withNodes(2) { (alice, bob) ->
            alice.createIdentity("Alice")
            bob.createIdentity("Bob")
            val hood = alice.createNeighbourhood("Rue des Lilas")
            alice.startNetwork(LOOPBACK)
            ticket = alice.invite(hood.id, 7, 1, alice.advertisement(Duration.ofMillis(5_000)).addresses)
            bob.join(ticket)
            alice.addItem(hood.id, ItemDraft(title = "Perceuse"))
            bob.startNetwork(LOOPBACK)
            awaitItem(bob, "Perceuse")
        }
        val deadline = System.nanoTime() + 15_000_000_000L
        fun has(pred: (LogRecord) -> Boolean) = logger.records.any(pred)
        while (!(has { it.target == "partage_ffi::network" && it.message == "network started" } &&
                has { it.target == "partage_net" && it.level == LogLevel.DEBUG && it.message.contains("accepts a stream") })
        ) {
            check(System.nanoTime() < deadline) { "missing records; got ${logger.records.take(20)}" }
            Thread.sleep(10)
        }
        check(has { it.target == "partage_ffi::logging" && it.level == LogLevel.INFO }) { "the install is logged" }
        // No piece of the ticket (it carries the invite secret) in any record.
        val pieces = ticket.removePrefix("partage2").chunked(16).filter { it.length == 16 }
        check(pieces.size > 4) { "ticket: $ticket" }
        val leaked = logger.records.filter { r -> pieces.any { r.message.contains(it) } }
        check(leaked.isEmpty()) { "a ticket was logged: $leaked" }
        val stats = logStats()
        check(stats.installed && stats.delivered > 0L && stats.loggerErrors == 0L) { "stats: $stats" }
        // Quieter for the other tests of this process (the level change itself: logging.rs tests).
        setLogLevel(LogLevel.WARN)
    }
}
