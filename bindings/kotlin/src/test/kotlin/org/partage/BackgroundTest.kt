package org.partage

import kotlinx.coroutines.CoroutineStart
import java.time.Duration
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.partage.ffi.ItemDraft
import org.partage.ffi.ItemFilter
import org.partage.ffi.NetworkState
import org.partage.ffi.NetworkStatus
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import java.net.InetAddress
import java.net.ServerSocket
import kotlin.time.TimeSource

/**
 * A TCP port on 127.0.0.1 that never answers: the kernel completes the handshake (the backlog) but
 * nothing is ever read or written, so a libp2p dial to it hangs until libp2p's own connection
 * timeout (10 s). A `syncNow` that dials it waits for that dial: a long call to cancel.
 */
class Tarpit : AutoCloseable {
    private val socket = ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))
    val address = "/ip4/127.0.0.1/tcp/${socket.localPort}"

    override fun close() = socket.close()
}

/** Polls [node]'s network status until [ok] holds, failing after [seconds]; returns how long it took. */
suspend fun awaitStatus(
    node: Node,
    what: String,
    seconds: Int = 15,
    ok: (NetworkStatus) -> Boolean,
): kotlin.time.Duration {
    val start = TimeSource.Monotonic.markNow()
    while (true) {
        val status = node.networkStatus()
        if (ok(status)) return start.elapsedNow()
        if (start.elapsedNow().inWholeSeconds >= seconds) throw AssertionError("$what: still $status after $seconds s")
        delay(10)
    }
}

suspend fun titles(node: Node) = node.listItems(ItemFilter()).map { it.title }.sorted()

/** Bob is connected to Alice and has verified her (a member): returns when both hold. */
suspend fun awaitVerified(bob: Node) =
    awaitStatus(bob, "bob connected to alice") { bob.peers().any { p -> p.connected && p.memberId != null } }

// Cancelled calls must leave the network idle within 1 s (the bound; a call that is not
// aborted runs on for the 10 s of the tarpit dial). The abort is immediate: measured over four runs
// on a loaded 2-core machine, 1.5-2.9 ms (syncNow) and 2.6-13.8 ms (background sync, paused
// again). Printed each run.
const val IDLE_DEADLINE_S = 1

fun backgroundTests() {
    test("background sync while paused: resumes, syncs, pauses again; from stopped: starts and stops again") {
        withNodes(3) { (alice, bob, carol) ->
            val hood = networkedPair(alice, bob)
            bob.startNetwork(LOOPBACK)
            awaitVerified(bob)
            bob.pauseNetwork()
            awaitStatus(bob, "bob paused and disconnected") { it.paused && it.connectedPeers == 0 }
            expectThrows<PartageException.Paused> { bob.syncNow(Duration.ofMillis(1_000)) }

            alice.addItem(hood, ItemDraft(title = "Scie sauteuse"))
            val report = bob.syncInBackground(Duration.ofMillis(20_000), null)
            expectEq(NetworkState.PAUSED, report.networkBefore, "network before")
            check(report.peersSynced == 1 && report.docsReceived >= 1 && !report.timedOut) { "report: $report" }
            check(report.peers.single().outcome?.converged == true) { "round: $report" }
            expectEq(listOf("Scie sauteuse"), titles(bob), "stored when the call returns")
            check(bob.isNetworkPaused()) { "paused again" }
            awaitStatus(bob, "bob idle again") { it.paused && it.connectedPeers == 0 && it.backgroundSyncs == 0 }

            // A process launched for the work: the network was never started.
            carol.createIdentity("Carol")
            carol.join(alice.invite(hood, 7, 1, alice.advertisement(Duration.ofMillis(5_000)).addresses))
            alice.addItem(hood, ItemDraft(title = "Perceuse"))
            check(!carol.isNetworkRunning()) { "carol's network is not started" }
            val fromStopped = carol.syncInBackground(Duration.ofMillis(20_000), LOOPBACK)
            expectEq(NetworkState.STOPPED, fromStopped.networkBefore, "network before")
            check(fromStopped.peersSynced == 1 && fromStopped.docsReceived >= 2) { "report: $fromStopped" }
            expectEq(listOf("Perceuse", "Scie sauteuse"), titles(carol), "carol's items")
            check(!carol.isNetworkRunning()) { "stopped again" }

            // Running in the foreground: synced as it is, left running.
            alice.addItem(hood, ItemDraft(title = "Tondeuse"))
            alice.resumeNetwork()
            bob.resumeNetwork()
            val foreground = bob.syncInBackground(Duration.ofMillis(20_000), null)
            expectEq(NetworkState.RUNNING, foreground.networkBefore, "network before")
            check(!bob.isNetworkPaused()) { "still running" }
            expectEq(listOf("Perceuse", "Scie sauteuse", "Tondeuse"), titles(bob), "bob's items")
        }
    }

    test("cancelling a long syncNow (coroutine cancel) aborts its Rust work: the network is idle within 1 s") {
        Tarpit().use { tarpit ->
            withNodes(2) { (alice, bob) ->
                val hood = networkedPair(alice, bob)
                bob.startNetwork(LOOPBACK.copy(peerAddresses = listOf(tarpit.address)))
                awaitVerified(bob)
                val call = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { bob.syncNow(Duration.ofMillis(60_000)) }
                awaitStatus(bob, "syncNow in flight") { it.callsInFlight == 1 }
                delay(300) // well into its wait for the tarpit dial
                check(call.isActive) { "syncNow is still running before the cancel" }
                val cancelled = TimeSource.Monotonic.markNow()
                call.cancelAndJoin()
                val idle =
                    awaitStatus(bob, "idle after the cancel", IDLE_DEADLINE_S) {
                        it.callsInFlight == 0 && it.syncingPeers == 0
                    }
                println("        syncNow cancelled: network idle after ${cancelled.elapsedNow()} (status polled in $idle)")
                check(call.isCancelled) { "the call was cancelled" }
                // The node works on: a change of Alice's still arrives.
                alice.addItem(hood, ItemDraft(title = "Perceuse"))
                awaitItem(bob, "Perceuse")
            }
        }
    }

    test("cancelling a background sync (coroutine cancel): the network is paused again and idle within 1 s") {
        Tarpit().use { tarpit ->
            withNodes(2) { (alice, bob) ->
                networkedPair(alice, bob)
                bob.startNetwork(LOOPBACK.copy(peerAddresses = listOf(tarpit.address)))
                awaitVerified(bob)
                bob.pauseNetwork()
                awaitStatus(bob, "bob paused and disconnected") { it.paused && it.connectedPeers == 0 }
                val call = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { bob.syncInBackground(Duration.ofMillis(60_000), null) }
                awaitStatus(bob, "background sync running and connected") {
                    it.backgroundSyncs == 1 && !it.paused && it.connectedPeers >= 1
                }
                delay(300)
                check(call.isActive) { "the background sync is still running before the cancel" }
                val cancelled = TimeSource.Monotonic.markNow()
                call.cancelAndJoin()
                awaitStatus(bob, "paused and idle after the cancel", IDLE_DEADLINE_S) {
                    it.paused && it.connectedPeers == 0 && it.callsInFlight == 0 && it.backgroundSyncs == 0
                }
                println("        background sync cancelled: paused and idle after ${cancelled.elapsedNow()}")
                check(bob.isNetworkRunning() && bob.isNetworkPaused()) { "paused as it was found" }
            }
        }
    }
}
