package org.partage.android

import android.content.Context
import android.net.nsd.NsdManager
import android.net.nsd.NsdServiceInfo
import android.net.wifi.WifiManager
import android.os.Build
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import java.net.InetAddress
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executor

/** What [NsdDiscovery] did or failed to do: collect [NsdDiscovery.events] to show or log it. */
sealed interface NsdEvent {
    /** This device is advertised under [serviceName]. */
    data class Advertised(val serviceName: String) : NsdEvent

    /** A neighbour's service resolved to [addresses], handed to the node ([added] were new). */
    data class PeerResolved(val serviceName: String, val addresses: List<String>, val added: Int) : NsdEvent

    /** Something failed; discovery goes on where it can. [errorCode] is NsdManager's, if any. */
    data class Failed(val stage: Stage, val serviceName: String?, val errorCode: Int?, val message: String) : NsdEvent

    enum class Stage { ADVERTISE, DISCOVER, RESOLVE, ADD_PEER }
}

/**
 * Bridges Android's NsdManager (DNS-SD on the LAN) to the node's discovery bridge: advertises this
 * device's TCP port with its peer id in a TXT record, resolves neighbours' services and hands their
 * addresses to [Node.addPeerAddresses]. mDNS from Rust stays off on phones: this replaces it.
 *
 * - Resolution is serial: before Android 14 NsdManager resolves one service at a time (a second
 *   `resolveService` fails with `FAILURE_ALREADY_ACTIVE`), so found services wait in a bounded queue
 *   (oldest dropped past [QUEUE]) and one coroutine resolves them in turn, each for at most
 *   [RESOLVE_TIMEOUT]. A resolution that timed out cannot be cancelled there
 *   (`stopServiceResolution` is Android 14+) and may still hold NsdManager's one slot: the next
 *   resolution waits up to [RESOLVE_TIMEOUT] more for it to end (its late answer is still used),
 *   and a service refused with `FAILURE_ALREADY_ACTIVE` is tried once more after [RETRY_DELAY]
 *   (reported as a [NsdEvent.Failed] saying so), then dropped: the queue never stalls on it.
 *   On Android 14+ each service gets a `registerServiceInfoCallback` instead, which also reports
 *   every address of the host and later changes.
 * - Failures are reported, not swallowed: [events].
 * - The Wi-Fi MulticastLock (drivers drop multicast without it) is held from [start] to [stop] and
 *   released on every path, including a failing [start].
 * - Addresses go to the node IPv4 first, then routable IPv6, then link-local IPv6 with its zone
 *   (`/ip6zone/wlan0/ip6/fe80::…`); a link-local address without a zone is dropped (see
 *   [dialableAddresses] for why).
 */
class NsdDiscovery(
    context: Context,
    private val node: Node,
    private val scope: CoroutineScope,
) {
    companion object {
        const val SERVICE_TYPE = "_partage._tcp."
        const val TXT_PEER = "peer"
        const val QUEUE = 64
        val RESOLVE_TIMEOUT: Duration = Duration.ofSeconds(10)

        /** How long a service refused with `FAILURE_ALREADY_ACTIVE` waits before its one retry. */
        val RETRY_DELAY: Duration = Duration.ofSeconds(30)
    }

    private val nsd = context.getSystemService(NsdManager::class.java)
    private val wifi = context.applicationContext.getSystemService(WifiManager::class.java)
    private val appContext = context.applicationContext
    private var multicastLock: WifiManager.MulticastLock? = null
    private var registration: NsdManager.RegistrationListener? = null
    private var discovery: NsdManager.DiscoveryListener? = null
    private var resolver: Job? = null

    // Touched from NsdManager's callback thread too.
    @Volatile private var queue: Channel<Queued>? = null
    private val infoCallbacks = ConcurrentHashMap<String, NsdManager.ServiceInfoCallback>()
    private var ownPeerId: String? = null

    private val mutableEvents = MutableSharedFlow<NsdEvent>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** Advertising, resolution and failures, as they happen (never blocks discovery). */
    val events: SharedFlow<NsdEvent> = mutableEvents

    val isRunning: Boolean get() = discovery != null

    /**
     * Advertises this device and starts looking for neighbours (the network must be started).
     * Not concurrently with [stop] ([PartageNetwork] runs both in order). If it throws, everything
     * it started is stopped again.
     */
    suspend fun start() {
        if (discovery != null) return
        multicastLock =
            wifi.createMulticastLock("partage").apply {
                setReferenceCounted(false)
                acquire()
            }
        try {
            advertise()
            browse()
        } catch (t: Throwable) {
            stop()
            throw t
        }
    }

    /** Stops advertising, browsing and resolving, and releases the MulticastLock. Idempotent. */
    fun stop() {
        try {
            registration?.let { runCatching { nsd.unregisterService(it) } }
            discovery?.let { runCatching { nsd.stopServiceDiscovery(it) } }
            infoCallbacks.values.forEach { runCatching { nsd.unregisterServiceInfoCallback(it) } }
            resolver?.cancel()
            queue?.close()
        } finally {
            infoCallbacks.clear()
            registration = null
            discovery = null
            resolver = null
            queue = null
            multicastLock?.takeIf { it.isHeld }?.release()
            multicastLock = null
        }
    }

    private fun report(event: NsdEvent) {
        mutableEvents.tryEmit(event)
    }

    private suspend fun advertise() {
        val ad = node.advertisement(Duration.ofSeconds(5))
        ownPeerId = ad.peerId
        val port = ad.addresses.firstNotNullOfOrNull(::tcpPort)
        if (port == null) {
            report(NsdEvent.Failed(NsdEvent.Stage.ADVERTISE, null, null, "no TCP listen address to advertise"))
            return
        }
        val info =
            NsdServiceInfo().apply {
                serviceName = "partage-" + ad.peerId.takeLast(8)
                serviceType = SERVICE_TYPE
                this.port = port
                setAttribute(TXT_PEER, ad.peerId)
            }
        val listener =
            object : NsdManager.RegistrationListener {
                override fun onServiceRegistered(serviceInfo: NsdServiceInfo) =
                    report(NsdEvent.Advertised(serviceInfo.serviceName ?: info.serviceName.orEmpty()))

                override fun onRegistrationFailed(
                    serviceInfo: NsdServiceInfo,
                    errorCode: Int,
                ) = report(NsdEvent.Failed(NsdEvent.Stage.ADVERTISE, serviceInfo.serviceName, errorCode, "registration failed"))

                override fun onServiceUnregistered(serviceInfo: NsdServiceInfo) = Unit

                override fun onUnregistrationFailed(
                    serviceInfo: NsdServiceInfo,
                    errorCode: Int,
                ) = report(NsdEvent.Failed(NsdEvent.Stage.ADVERTISE, serviceInfo.serviceName, errorCode, "unregistration failed"))
            }
        nsd.registerService(info, NsdManager.PROTOCOL_DNS_SD, listener)
        registration = listener
    }

    private fun browse() {
        val legacy = Build.VERSION.SDK_INT < Build.VERSION_CODES.UPSIDE_DOWN_CAKE
        if (legacy) startResolver()
        val listener =
            object : NsdManager.DiscoveryListener {
                override fun onServiceFound(serviceInfo: NsdServiceInfo) {
                    if (legacy) queue?.trySend(Queued(serviceInfo)) else follow(serviceInfo)
                }

                override fun onServiceLost(serviceInfo: NsdServiceInfo) {
                    // The node keeps redialing known peers; only the platform callback goes.
                    val name = serviceInfo.serviceName ?: return
                    infoCallbacks.remove(name)?.let { runCatching { nsd.unregisterServiceInfoCallback(it) } }
                }

                override fun onDiscoveryStarted(serviceType: String) = Unit

                override fun onDiscoveryStopped(serviceType: String) = Unit

                override fun onStartDiscoveryFailed(
                    serviceType: String,
                    errorCode: Int,
                ) = report(NsdEvent.Failed(NsdEvent.Stage.DISCOVER, null, errorCode, "discovery did not start"))

                override fun onStopDiscoveryFailed(
                    serviceType: String,
                    errorCode: Int,
                ) = report(NsdEvent.Failed(NsdEvent.Stage.DISCOVER, null, errorCode, "discovery did not stop"))
            }
        nsd.discoverServices(SERVICE_TYPE, NsdManager.PROTOCOL_DNS_SD, listener)
        discovery = listener
    }

    /** A found service waiting for its resolution ([retried]: refused once as already active). */
    private data class Queued(val service: NsdServiceInfo, val retried: Boolean = false)

    /** Before Android 14: one resolution at a time, from a bounded queue. */
    private fun startResolver() {
        val services = Channel<Queued>(QUEUE, BufferOverflow.DROP_OLDEST)
        queue = services
        resolver =
            scope.launch {
                // A resolution that timed out and may still be active in NsdManager.
                var stale: Deferred<Resolution>? = null
                for (item in services) {
                    val service = item.service
                    stale?.let { withTimeoutOrNull(RESOLVE_TIMEOUT.toMillis()) { it.await() } }
                    stale = null // ended, or given up on: FAILURE_ALREADY_ACTIVE below covers the rest
                    val pending = resolve(service)
                    when (val outcome = withTimeoutOrNull(RESOLVE_TIMEOUT.toMillis()) { pending.await() }) {
                        null -> {
                            stale = pending
                            report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, service.serviceName, null, "no answer in time"))
                            // A late answer still counts (children of the resolver: stop() cancels them).
                            launch {
                                val late = pending.await()
                                if (late is Resolution.Resolved) handOver(late.info, listOfNotNull(hostOf(late.info)))
                            }
                        }
                        is Resolution.Failed ->
                            if (outcome.errorCode == NsdManager.FAILURE_ALREADY_ACTIVE && !item.retried) {
                                report(
                                    NsdEvent.Failed(
                                        NsdEvent.Stage.RESOLVE, service.serviceName, outcome.errorCode,
                                        "resolver busy with an earlier resolution; retrying in ${RETRY_DELAY.seconds} s",
                                    ),
                                )
                                launch {
                                    delay(RETRY_DELAY.toMillis())
                                    services.trySend(item.copy(retried = true))
                                }
                            } else {
                                val why = if (outcome.errorCode == NsdManager.FAILURE_ALREADY_ACTIVE) "resolver still busy; given up" else "resolution failed"
                                report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, service.serviceName, outcome.errorCode, why))
                            }
                        is Resolution.Resolved -> handOver(outcome.info, listOfNotNull(hostOf(outcome.info)))
                    }
                }
            }
    }

    private sealed interface Resolution {
        data class Resolved(val info: NsdServiceInfo) : Resolution

        data class Failed(val errorCode: Int?) : Resolution
    }

    /** Starts one resolution; its outcome completes the result, whenever NsdManager answers. */
    @Suppress("DEPRECATION") // resolveService: the only way before Android 14.
    private fun resolve(service: NsdServiceInfo): Deferred<Resolution> {
        val result = CompletableDeferred<Resolution>()
        try {
            nsd.resolveService(
                service,
                object : NsdManager.ResolveListener {
                    override fun onServiceResolved(serviceInfo: NsdServiceInfo) {
                        result.complete(Resolution.Resolved(serviceInfo))
                    }

                    override fun onResolveFailed(
                        serviceInfo: NsdServiceInfo,
                        errorCode: Int,
                    ) {
                        result.complete(Resolution.Failed(errorCode))
                    }
                },
            )
        } catch (e: RuntimeException) {
            // IllegalArgumentException for an unusable service: a failure like any other.
            result.complete(Resolution.Failed(null))
        }
        return result
    }

    @Suppress("DEPRECATION") // NsdServiceInfo.host: deprecated in Android 14, where hostAddresses replaces it.
    private fun hostOf(info: NsdServiceInfo): InetAddress? = info.host

    /** Android 14+: follows a service (every address, and later changes) until it is lost. */
    private fun follow(service: NsdServiceInfo) {
        val name = service.serviceName ?: return
        val callback =
            object : NsdManager.ServiceInfoCallback {
                override fun onServiceInfoCallbackRegistrationFailed(errorCode: Int) {
                    infoCallbacks.remove(name)
                    report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, name, errorCode, "could not follow the service"))
                }

                override fun onServiceUpdated(serviceInfo: NsdServiceInfo) = handOver(serviceInfo, serviceInfo.hostAddresses)

                override fun onServiceLost() = Unit

                override fun onServiceInfoCallbackUnregistered() = Unit
            }
        infoCallbacks[name] = callback
        val mainThread: Executor = appContext.mainExecutor
        runCatching { nsd.registerServiceInfoCallback(service, mainThread, callback) }.onFailure {
            infoCallbacks.remove(name)
            report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, name, null, "could not follow the service: ${it.message}"))
        }
    }

    /** Gives a resolved neighbour's addresses to the node (not our own service). */
    private fun handOver(
        info: NsdServiceInfo,
        hosts: List<InetAddress>,
    ) {
        val peer = info.attributes[TXT_PEER]?.toString(Charsets.UTF_8)
        if (peer == null) {
            report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, info.serviceName, null, "no peer id in the TXT record"))
            return
        }
        if (peer == ownPeerId) return
        val addresses = dialableAddresses(hosts, info.port, peer)
        if (addresses.isEmpty()) {
            val why = if (hosts.isEmpty()) "no address" else "no usable address (link-local IPv6 without a zone only)"
            report(NsdEvent.Failed(NsdEvent.Stage.RESOLVE, info.serviceName, null, why))
            return
        }
        scope.launch {
            try {
                val added = node.addPeerAddresses(addresses)
                report(NsdEvent.PeerResolved(info.serviceName.orEmpty(), addresses, added))
            } catch (e: PartageException) {
                report(NsdEvent.Failed(NsdEvent.Stage.ADD_PEER, info.serviceName, null, e.message ?: e.toString()))
            }
        }
    }
}

/** The TCP port of a multiaddr, if it has one. */
fun tcpPort(address: String): Int? = Regex("/tcp/(\\d+)").find(address)?.groupValues?.get(1)?.toIntOrNull()
