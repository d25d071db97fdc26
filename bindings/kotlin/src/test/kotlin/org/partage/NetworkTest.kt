package org.partage

import kotlinx.coroutines.CompletableDeferred
import java.time.Duration
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeoutOrNull
import org.partage.ffi.ConnectionPath
import org.partage.ffi.ErrorKind
import org.partage.ffi.EventListener
import org.partage.ffi.ItemDraft
import org.partage.ffi.ItemFilter
import org.partage.ffi.ItemPatch
import org.partage.ffi.NetworkConfig
import org.partage.ffi.NetworkEvent
import org.partage.ffi.Node
import org.partage.ffi.NodeEvent
import org.partage.ffi.PartageException

/** TCP on 127.0.0.1 with a port chosen by the system; mDNS stays off (the default). */
val LOOPBACK = NetworkConfig(listenAddresses = listOf("/ip4/127.0.0.1/tcp/0"))

/** Alice founds a neighbourhood and listens on loopback; Bob joins with a ticket carrying her address. */
suspend fun networkedPair(
    alice: Node,
    bob: Node,
): String {
    alice.createIdentity("Alice")
    bob.createIdentity("Bob")
    val hood = alice.createNeighbourhood("Rue des Lilas")
    alice.startNetwork(LOOPBACK)
    val ad = alice.advertisement(Duration.ofMillis(5_000))
    check(ad.addresses.isNotEmpty() && ad.addresses.all { it.startsWith("/ip4/127.0.0.1/tcp/") }) {
        "advertised addresses: ${ad.addresses}"
    }
    check(ad.addresses.all { it.endsWith("/p2p/${ad.peerId}") }) { "addresses end with the peer id" }
    bob.join(alice.invite(hood.id, 7, 1, ad.addresses))
    return hood.id
}

/** Waits until [title] is in [node]'s listing (through the Flow). */
suspend fun awaitItem(
    node: Node,
    title: String,
) = node.observeItems().first { items -> items.any { it.title == title } }.first { it.title == title }

fun networkTests() {
    test("two networked nodes on 127.0.0.1 (mDNS off): join by ticket, an item arrives through the Flow") {
        withNodes(2) { (alice, bob) ->
            val hood = networkedPair(alice, bob)
            val filter = ItemFilter(neighbourhoodId = hood)
            val live = CompletableDeferred<Unit>()
            val arrived =
                async {
                    bob.observeItems(filter).first { items ->
                        live.complete(Unit)
                        items.any { it.title == "Perceuse" }
                    }
                }
            val verified = async { bob.networkEvents().first { it is NetworkEvent.PeerVerified } }
            live.await()
            val drill = alice.addItem(hood, ItemDraft(title = "Perceuse"))
            bob.startNetwork(LOOPBACK) // dials the address in the ticket
            val got = arrived.await().single()
            expectEq(drill.id, got.id, "item id on bob's side")
            expectEq("Alice", got.ownerName, "owner name on bob's side")
            val event = verified.await() as NetworkEvent.PeerVerified
            expectEq(alice.identity()!!.memberId, event.memberId, "verified member")
            expectEq(hood, event.neighbourhoodId, "verified neighbourhood")
            val peer = bob.peers().single { it.connected }
            expectEq(alice.identity()!!.memberId, peer.memberId, "connected peer's member")
            expectEq(ConnectionPath.DIRECT, peer.path, "a LAN peer is reached directly")
            expectEq(false, peer.homeNode, "alice is no home node")

            // Live: an edit is pushed at once; bob's profile reached alice too.
            alice.editItem(drill.id, ItemPatch(title = "Perceuse à percussion"))
            awaitItem(bob, "Perceuse à percussion")
            alice.observeNeighbourhoods().first { list -> list.single().memberCount == 2 }
            expectEq(listOf("Alice", "Bob"), alice.members(hood).map { it.name }, "members on alice's side")

            // Background: pause, miss a change, resume and catch up; sync_now reports convergence.
            bob.pauseNetwork()
            check(bob.isNetworkPaused()) { "paused" }
            withTimeoutOrNull(15_000) { bob.observePeers().first { peers -> peers.none { it.connected } } }
                ?: throw AssertionError("still connected after pause: ${bob.peers()}")
            expectThrows<PartageException.Paused> { bob.syncNow(Duration.ofMillis(1_000)) }.also { expectEq(ErrorKind.PAUSED, it.kind, "kind") }
            alice.addItem(hood, ItemDraft(title = "Scie sauteuse"))
            bob.resumeNetwork()
            withTimeoutOrNull(15_000) { awaitItem(bob, "Scie sauteuse") }
                ?: throw AssertionError("no catch-up after resume: bob's peers ${bob.peers()}, alice's ${alice.peers()}")
            val report = bob.syncNow(Duration.ofMillis(10_000))
            check(report.complete) { "sync_now converged: $report" }
            check(report.peers.isNotEmpty() && report.peers.all { it.outcome?.messagesSent != null }) { "outcomes: $report" }

            bob.stopNetwork()
            check(!bob.isNetworkRunning()) { "stopped" }
            val stopped = expectThrows<PartageException.Stopped> { bob.syncNow(Duration.ofMillis(1_000)) }
            expectEq("the network is not started", stopped.message, "stopped message")
            val bad = expectThrows<PartageException.InvalidInput> { alice.addPeerAddresses(listOf("next door")) }
            check(bad.message!!.startsWith("\"next door\" is not a usable peer address")) { "message: ${bad.message}" }
        }
    }

    test("a tablet links to Alice's identity with the code her phone shows, over 127.0.0.1") {
        withNodes(3) { (alice, bob, tablet) ->
            val hood = networkedPair(alice, bob)
            alice.addItem(hood, ItemDraft(title = "Perceuse"))
            // Subscribed before the code exists, so the event cannot be missed.
            val linked = CompletableDeferred<NetworkEvent.DeviceLinked>()
            val subscription =
                alice.subscribe(
                    object : EventListener {
                        override fun onEvent(event: NodeEvent) {
                            val e = (event as? NodeEvent.Network)?.event
                            if (e is NetworkEvent.DeviceLinked) linked.complete(e)
                        }
                    },
                )
            val code = alice.offerDeviceLink(false)
            check(code.startsWith("partagelink1")) { "code: $code" }
            val summary = tablet.linkToIdentity(code, Duration.ofMillis(30_000))
            expectEq(1, summary.neighbourhoods, "neighbourhoods linked")
            val me = alice.identity()!!
            val mine = tablet.identity()!!
            expectEq(me.memberId, mine.memberId, "same member")
            expectEq(mine.deviceId, withTimeoutOrNull(30_000) { linked.await() }?.deviceId, "linked device event")
            subscription.cancel()
            expectEq(listOf("Perceuse"), tablet.listItems(ItemFilter()).map { it.title }, "items on the tablet")
            expectEq(2, tablet.devices().size, "devices on the tablet")

            // No member key on the tablet: revoking is the phone's job.
            expectThrows<PartageException.NotAllowed> { tablet.revokeDevice(me.deviceId) }
                .also { expectEq(ErrorKind.NOT_ALLOWED, it.kind, "kind") }
            alice.revokeDevice(mine.deviceId)
            val devices = alice.devices()
            check(devices.any { it.deviceId == mine.deviceId && it.revoked }) { "revoked: $devices" }
            // Used once: the same code links nothing more.
            expectThrows<PartageException.NotAllowed> { bob.linkToIdentity(code, Duration.ofMillis(30_000)) }
        }
    }
}
