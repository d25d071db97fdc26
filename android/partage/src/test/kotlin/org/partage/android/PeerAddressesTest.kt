package org.partage.android

import org.junit.Assert.assertEquals
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.net.Inet6Address
import java.net.InetAddress
import java.net.NetworkInterface

/** The multiaddrs NsdDiscovery hands to the node, from the addresses NsdManager resolved. */
class PeerAddressesTest {
    private val peer = "12D3KooWPeer"

    private fun v6(
        text: String,
        scopeId: Int? = null,
    ): InetAddress {
        val bytes = InetAddress.getByName(text).address
        return if (scopeId == null) InetAddress.getByAddress(bytes) else Inet6Address.getByAddress(null, bytes, scopeId)
    }

    @Test
    fun ipv4FirstThenRoutableIpv6ThenZonedLinkLocal() {
        val hosts =
            listOf(
                v6("fe80::1", scopeId = 3),
                v6("2001:db8::7"),
                InetAddress.getByName("192.168.1.20"),
            )
        assertEquals(
            listOf(
                "/ip4/192.168.1.20/tcp/4001/p2p/$peer",
                "/ip6/2001:db8:0:0:0:0:0:7/tcp/4001/p2p/$peer",
                "/ip6zone/3/ip6/fe80:0:0:0:0:0:0:1/tcp/4001/p2p/$peer",
            ),
            dialableAddresses(hosts, 4001, peer),
        )
    }

    @Test
    fun linkLocalWithoutAZoneIsDropped() {
        val zoneless = v6("fe80::1")
        assertEquals(null, zoneOf(zoneless as Inet6Address))
        assertEquals(
            listOf("/ip4/10.0.0.2/tcp/9/p2p/$peer"),
            dialableAddresses(listOf(zoneless, InetAddress.getByName("10.0.0.2")), 9, peer),
        )
        assertEquals(emptyList<String>(), dialableAddresses(listOf(zoneless), 9, peer))
    }

    @Test
    fun duplicatesAreHandedOverOnce() {
        val hosts = listOf(InetAddress.getByName("10.0.0.2"), InetAddress.getByName("10.0.0.2"), v6("fe80::5", 2), v6("fe80::5", 2))
        assertEquals(
            listOf("/ip4/10.0.0.2/tcp/9/p2p/$peer", "/ip6zone/2/ip6/fe80:0:0:0:0:0:0:5/tcp/9/p2p/$peer"),
            dialableAddresses(hosts, 9, peer),
        )
    }

    @Test
    fun anInterfaceZoneKeepsTheInterfaceName() {
        // A link-local address bound to a real interface of this machine (skipped where none has one).
        val found =
            NetworkInterface.getNetworkInterfaces().toList().firstNotNullOfOrNull { nif ->
                nif.inetAddresses.toList().filterIsInstance<Inet6Address>().firstOrNull { it.isLinkLocalAddress }?.let { nif to it }
            }
        assumeTrue("no interface with a link-local IPv6 address here", found != null)
        val (nif, local) = found!!
        val scoped = Inet6Address.getByAddress(null, local.address, nif)
        assertEquals(nif.name, zoneOf(scoped))
        val address = dialableAddresses(listOf(scoped), 7, peer).single()
        assertEquals("/ip6zone/${nif.name}/ip6/", address.substringBefore(local.hostAddress.substringBefore('%')))
    }
}
