package org.partage.android

import java.net.Inet4Address
import java.net.Inet6Address
import java.net.InetAddress

// Turning the addresses NsdManager resolved into the multiaddrs handed to `Node.addPeerAddresses`.
// Plain JVM code (no Android API), unit-tested on the desktop JVM (PeerAddressesTest).

/**
 * The multiaddrs to hand to the node for a neighbour resolved to [hosts] on TCP [port]: IPv4
 * first, then routable IPv6, then link-local IPv6 with its zone; duplicates removed.
 *
 * A link-local IPv6 address (`fe80::/10`) is only meaningful with its zone (the interface it was
 * seen on): without one no transport can reach it, so it is dropped. With one it is kept, as
 * `/ip6zone/ZONE/ip6/…`, but last: libp2p-tcp 0.45 (libp2p 0.57) turns a multiaddr into a socket
 * address by popping `/tcp` and `/ip6` from the end and ignores `/ip6zone` (its scope id stays 0),
 * so the dial fails (and libp2p-quic 0.14 refuses any address that does not start with
 * `/ip4` or `/ip6`). IPv4, present on practically every Wi-Fi, is what connects today; the zoned
 * address costs one dial that fails at once, and connects as soon as the transport honours zones.
 */
fun dialableAddresses(
    hosts: List<InetAddress>,
    port: Int,
    peer: String,
): List<String> =
    orderedForDialing(hosts)
        .filter { !(it is Inet6Address && it.isLinkLocalAddress && zoneOf(it) == null) }
        .map { multiaddr(it, port, peer) }
        .distinct()

/** IPv4 first, then routable IPv6, then link-local IPv6 (which needs its zone to be reached). */
fun orderedForDialing(hosts: List<InetAddress>): List<InetAddress> =
    hosts.distinct().sortedBy {
        when {
            it is Inet4Address -> 0
            it is Inet6Address && !it.isLinkLocalAddress -> 1
            else -> 2
        }
    }

/**
 * `/ip4/HOST/tcp/PORT/p2p/PEER`, `/ip6/...`, or for an IPv6 address with a zone (link-local),
 * `/ip6zone/ZONE/ip6/...`: the zone is what makes `fe80::…` reachable, so it is kept.
 */
fun multiaddr(
    host: InetAddress,
    port: Int,
    peer: String,
): String {
    val ip = host.hostAddress.orEmpty().substringBefore('%')
    if (host !is Inet6Address) return "/ip4/$ip/tcp/$port/p2p/$peer"
    val prefix = zoneOf(host)?.let { "/ip6zone/$it" } ?: ""
    return "$prefix/ip6/$ip/tcp/$port/p2p/$peer"
}

/** The zone of an IPv6 address: its interface's name, else its numeric scope id; null if none. */
fun zoneOf(host: Inet6Address): String? =
    host.scopedInterface?.name
        ?: host.hostAddress.orEmpty().substringAfter('%', "").takeIf { it.isNotEmpty() }
