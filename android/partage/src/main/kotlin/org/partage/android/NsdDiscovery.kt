package org.partage.android

import android.content.Context
import java.time.Duration
import android.net.nsd.NsdManager
import android.net.nsd.NsdServiceInfo
import android.net.wifi.WifiManager
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.partage.ffi.Node
import java.net.Inet6Address
import java.net.InetAddress

/**
 * Bridges Android's NsdManager (DNS-SD on the LAN) to the node's discovery bridge: advertises this
 * device's TCP port with its peer id in a TXT record, resolves neighbours' services and hands their
 * addresses to [Node.addPeerAddresses]. Holds a Wi-Fi MulticastLock while running (drivers drop
 * multicast otherwise). mDNS from Rust stays off on phones: this replaces it.
 */
class NsdDiscovery(
    context: Context,
    private val node: Node,
    private val scope: CoroutineScope,
) {
    companion object {
        const val SERVICE_TYPE = "_partage._tcp."
        const val TXT_PEER = "peer"
    }

    private val nsd = context.getSystemService(NsdManager::class.java)
    private val wifi = context.applicationContext.getSystemService(WifiManager::class.java)
    private var multicastLock: WifiManager.MulticastLock? = null
    private var registration: NsdManager.RegistrationListener? = null
    private var discovery: NsdManager.DiscoveryListener? = null
    private var ownPeerId: String? = null

    val isRunning: Boolean get() = discovery != null

    /** Advertises this device and starts looking for neighbours (the network must be started). */
    suspend fun start() {
        if (discovery != null) return
        multicastLock = wifi.createMulticastLock("partage").apply {
            setReferenceCounted(false)
            acquire()
        }
        advertise()
        browse()
    }

    /** Stops advertising and browsing, and releases the MulticastLock. */
    fun stop() {
        registration?.let { runCatching { nsd.unregisterService(it) } }
        discovery?.let { runCatching { nsd.stopServiceDiscovery(it) } }
        registration = null
        discovery = null
        multicastLock?.takeIf { it.isHeld }?.release()
        multicastLock = null
    }

    private suspend fun advertise() {
        val ad = node.advertisement(Duration.ofMillis(5_000))
        ownPeerId = ad.peerId
        val port = ad.addresses.firstNotNullOfOrNull(::tcpPort) ?: return
        val info =
            NsdServiceInfo().apply {
                serviceName = "partage-" + ad.peerId.takeLast(8)
                serviceType = SERVICE_TYPE
                this.port = port
                setAttribute(TXT_PEER, ad.peerId)
            }
        val listener =
            object : NsdManager.RegistrationListener {
                override fun onServiceRegistered(serviceInfo: NsdServiceInfo) = Unit

                override fun onRegistrationFailed(serviceInfo: NsdServiceInfo, errorCode: Int) = Unit

                override fun onServiceUnregistered(serviceInfo: NsdServiceInfo) = Unit

                override fun onUnregistrationFailed(serviceInfo: NsdServiceInfo, errorCode: Int) = Unit
            }
        nsd.registerService(info, NsdManager.PROTOCOL_DNS_SD, listener)
        registration = listener
    }

    private fun browse() {
        val listener =
            object : NsdManager.DiscoveryListener {
                override fun onServiceFound(serviceInfo: NsdServiceInfo) = resolve(serviceInfo)

                override fun onServiceLost(serviceInfo: NsdServiceInfo) = Unit

                override fun onDiscoveryStarted(serviceType: String) = Unit

                override fun onDiscoveryStopped(serviceType: String) = Unit

                override fun onStartDiscoveryFailed(serviceType: String, errorCode: Int) = Unit

                override fun onStopDiscoveryFailed(serviceType: String, errorCode: Int) = Unit
            }
        nsd.discoverServices(SERVICE_TYPE, NsdManager.PROTOCOL_DNS_SD, listener)
        discovery = listener
    }

    @Suppress("DEPRECATION") // resolveService: its replacement needs API 34; this works on all.
    private fun resolve(service: NsdServiceInfo) {
        nsd.resolveService(
            service,
            object : NsdManager.ResolveListener {
                override fun onServiceResolved(serviceInfo: NsdServiceInfo) {
                    val peer = serviceInfo.attributes[TXT_PEER]?.toString(Charsets.UTF_8) ?: return
                    val host = serviceInfo.host ?: return
                    if (peer == ownPeerId) return
                    val address = multiaddr(host, serviceInfo.port, peer)
                    // A neighbour that went away, or a bad record: nothing to do but wait for the next.
                    scope.launch { runCatching { node.addPeerAddresses(listOf(address)) } }
                }

                override fun onResolveFailed(serviceInfo: NsdServiceInfo, errorCode: Int) = Unit
            },
        )
    }
}

/** `/ip4/HOST/tcp/PORT/p2p/PEER` (or `/ip6/...`, without the scope id). */
fun multiaddr(
    host: InetAddress,
    port: Int,
    peer: String,
): String {
    val ip = host.hostAddress?.substringBefore('%') ?: ""
    val family = if (host is Inet6Address) "ip6" else "ip4"
    return "/$family/$ip/tcp/$port/p2p/$peer"
}

/** The TCP port of a multiaddr, if it has one. */
fun tcpPort(address: String): Int? = Regex("/tcp/(\\d+)").find(address)?.groupValues?.get(1)?.toIntOrNull()
