package org.partage

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onSubscription
import kotlinx.coroutines.flow.shareIn
import org.partage.ffi.EventListener
import org.partage.ffi.Item
import org.partage.ffi.ItemFilter
import org.partage.ffi.Loan
import org.partage.ffi.LoanFilter
import org.partage.ffi.Neighbourhood
import org.partage.ffi.NetworkEvent
import org.partage.ffi.Peer
import org.partage.ffi.Node
import org.partage.ffi.NodeEvent
import java.lang.ref.WeakReference
import java.util.WeakHashMap

/** Default number of events a collector may fall behind before the node's thread waits for it. */
const val DEFAULT_EVENT_BUFFER: Int = 64

/**
 * Every event of this node, as a cold [Flow]. Each collector gets its own subscription: the first
 * element is always a [NodeEvent.Snapshot], then every change in order. Cancelling the collector
 * cancels the subscription.
 *
 * Bounded end to end: when the collector is [bufferSize] events behind, the node's delivery thread
 * waits (never the caller's thread); if it falls further behind the core's own buffer, the flow
 * receives [NodeEvent.Overflow] followed by a fresh [NodeEvent.Snapshot].
 */
fun Node.events(bufferSize: Int = DEFAULT_EVENT_BUFFER): Flow<NodeEvent> = subscriptionFlow(WeakReference(this), bufferSize)

/** One subscription per collector. Holds the node weakly until collected (see [sharedEvents]). */
private fun subscriptionFlow(
    node: WeakReference<Node>,
    bufferSize: Int,
): Flow<NodeEvent> =
    callbackFlow {
        val current = node.get()
        if (current == null) {
            close()
            return@callbackFlow
        }
        val subscription =
            current.subscribe(
                object : EventListener {
                    override fun onEvent(event: NodeEvent) {
                        trySendBlocking(event)
                    }
                },
            )
        awaitClose { subscription.close() }
    }.buffer(bufferSize)

/** Whether an event can change what an item listing shows (computed in Rust: [NodeEvent.effects]). */
fun NodeEvent.affectsItems(): Boolean = effects().items

/** Whether an event can change what a loan listing shows (names and titles included). */
fun NodeEvent.affectsLoans(): Boolean = effects().loans

/** Whether an event can change the list of neighbourhoods (or their counts). */
fun NodeEvent.affectsNeighbourhoods(): Boolean = effects().neighbourhoods

/** Whether an event can change the known and connected peers. */
fun NodeEvent.affectsPeers(): Boolean = effects().peers

/** Emitted into each observer's view of the shared flow when it subscribes: read once now. */
private val READ_NOW: NodeEvent = NodeEvent.Overflow(0L)

/** The shared events of each node, created on first use; an entry goes when its node is collected. */
private val sharedByNode = WeakHashMap<Node, SharedFlow<NodeEvent>>()

/**
 * The events of this node as one [SharedFlow] behind every observer ([observeItems], [observeLoans],
 * ...): a single subscription (one Rust delivery thread) however many observers collect, started
 * when the first one starts and cancelled when the last one stops. Unlike [events], a collector
 * that starts late does not get a [NodeEvent.Snapshot]: the observers re-read what they show when
 * they start instead.
 */
fun Node.sharedEvents(): SharedFlow<NodeEvent> =
    synchronized(sharedByNode) {
        sharedByNode.getOrPut(this) {
            // The upstream holds the node weakly: the map's value must not keep its key alive.
            val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            subscriptionFlow(WeakReference(this), DEFAULT_EVENT_BUFFER).shareIn(scope, SharingStarted.WhileSubscribed(), replay = 0)
        }
    }

/**
 * Re-reads [read] at once and whenever an event passing [affects] arrives on the node's shared
 * subscription. Conflated: a burst of events while a read runs causes one more read, not one per
 * event. No change is missed: the read at registration covers what happened before; if the shared
 * subscription is only starting, its first event (a snapshot, which affects everything) causes one
 * more read once it is live; after that every change is an event.
 */
private fun <T> Node.observe(
    affects: (NodeEvent) -> Boolean,
    read: suspend () -> T,
): Flow<T> =
    sharedEvents()
        .onSubscription { emit(READ_NOW) }
        .filter { it === READ_NOW || affects(it) }
        .conflate()
        .map { read() }
        .distinctUntilChanged()

/**
 * The items matching [filter], sorted by title: emitted at once, then again whenever they change.
 * Bursts of changes are conflated into one re-read.
 */
fun Node.observeItems(filter: ItemFilter = ItemFilter()): Flow<List<Item>> = observe(NodeEvent::affectsItems) { listItems(filter) }

/** Search results for [query], kept up to date like [observeItems]. */
fun Node.observeSearch(
    query: String,
    filter: ItemFilter = ItemFilter(),
): Flow<List<Item>> = observe(NodeEvent::affectsItems) { search(query, filter) }

/** The neighbourhoods this device belongs to, kept up to date. */
fun Node.observeNeighbourhoods(): Flow<List<Neighbourhood>> = observe(NodeEvent::affectsNeighbourhoods) { neighbourhoods() }

/** The loans matching [filter] (derived for today), kept up to date: requests, answers, hand-overs. */
fun Node.observeLoans(filter: LoanFilter = LoanFilter()): Flow<List<Loan>> = observe(NodeEvent::affectsLoans) { loans(filter) }

/** Network activity only (peers found, connected, verified; sync progress; refusals), on the shared subscription. */
fun Node.networkEvents(): Flow<NetworkEvent> = sharedEvents().filterIsInstance<NodeEvent.Network>().map { it.event }

/** Known and connected peers, re-read whenever the network reports something. Empty while stopped. */
fun Node.observePeers(): Flow<List<Peer>> = observe(NodeEvent::affectsPeers) { if (isNetworkRunning()) peers() else emptyList() }
