package org.partage

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.map
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
fun Node.events(bufferSize: Int = DEFAULT_EVENT_BUFFER): Flow<NodeEvent> =
    callbackFlow {
        val subscription =
            subscribe(
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

/**
 * The items matching [filter], sorted by title: emitted at once, then again whenever they change.
 * Bursts of changes are conflated into one re-read.
 */
fun Node.observeItems(filter: ItemFilter = ItemFilter()): Flow<List<Item>> =
    events().filter { it.affectsItems() }.conflate().map { listItems(filter) }.distinctUntilChanged()

/** Search results for [query], kept up to date like [observeItems]. */
fun Node.observeSearch(
    query: String,
    filter: ItemFilter = ItemFilter(),
): Flow<List<Item>> = events().filter { it.affectsItems() }.conflate().map { search(query, filter) }.distinctUntilChanged()

/** The neighbourhoods this device belongs to, kept up to date. */
fun Node.observeNeighbourhoods(): Flow<List<Neighbourhood>> =
    events().filter { it.affectsNeighbourhoods() }.conflate().map { neighbourhoods() }.distinctUntilChanged()

/** The loans matching [filter] (derived for today), kept up to date: requests, answers, hand-overs. */
fun Node.observeLoans(filter: LoanFilter = LoanFilter()): Flow<List<Loan>> =
    events().filter { it.affectsLoans() }.conflate().map { loans(filter) }.distinctUntilChanged()

/** Network activity only (peers found, connected, verified; sync progress; refusals). */
fun Node.networkEvents(): Flow<NetworkEvent> = events().filterIsInstance<NodeEvent.Network>().map { it.event }

/** Known and connected peers, re-read whenever the network reports something. Empty while stopped. */
fun Node.observePeers(): Flow<List<Peer>> =
    events()
        .filter { it.affectsPeers() }
        .conflate()
        .map { if (isNetworkRunning()) peers() else emptyList() }
        .distinctUntilChanged()
