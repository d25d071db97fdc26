// Bonjour (DNS-SD) discovery for Partage on Apple platforms, feeding the node's discovery bridge.
// mDNS from Rust stays off on phones: iOS only lets apps use the local network through its own
// APIs, after the user agreed (NSLocalNetworkUsageDescription, NSBonjourServices in Info.plist).

#if canImport(Network)
import Foundation
import Network
import Partage

/// Advertises this device as `_partage._tcp` (its TCP port, its peer id in the TXT record) and
/// hands every neighbour it resolves to `Node.addPeerAddresses`.
public final class BonjourDiscovery: @unchecked Sendable {
    public static let serviceType = "_partage._tcp"
    static let txtPeer = "peer"

    private let node: Node
    private let queue = DispatchQueue(label: "partage.bonjour")
    private var browser: NWBrowser?
    private var service: NetService?
    private var ownPeerId: String?

    public init(node: Node) {
        self.node = node
    }

    /// Starts advertising and browsing (the node's network must be started).
    public func start() async throws {
        let ad = try await node.advertisement(timeout: .milliseconds(5_000))
        queue.sync {
            guard browser == nil else { return }
            ownPeerId = ad.peerId
            if let port = ad.addresses.lazy.compactMap(tcpPort).first {
                advertise(peerId: ad.peerId, port: port)
            }
            browse()
        }
    }

    /// Stops advertising and browsing.
    public func stop() {
        queue.sync {
            browser?.cancel()
            browser = nil
            service?.stop()
            service = nil
        }
    }

    private func advertise(peerId: String, port: Int32) {
        let service = NetService(domain: "local.", type: Self.serviceType + ".", name: "partage-\(peerId.suffix(8))", port: port)
        service.setTXTRecord(NetService.data(fromTXTRecord: [Self.txtPeer: Data(peerId.utf8)]))
        service.publish()
        self.service = service
    }

    private func browse() {
        let parameters = NWParameters()
        parameters.includePeerToPeer = false
        let browser = NWBrowser(for: .bonjourWithTXTRecord(type: Self.serviceType, domain: nil), using: parameters)
        browser.browseResultsChangedHandler = { [weak self] results, _ in
            for result in results { self?.resolve(result) }
        }
        browser.start(queue: queue)
        self.browser = browser
    }

    /// Connects briefly to learn the service's address, then hands `/ipX/HOST/tcp/PORT/p2p/PEER` to the node.
    private func resolve(_ result: NWBrowser.Result) {
        guard case let .bonjour(txt) = result.metadata, let peer = txt[Self.txtPeer], peer != ownPeerId else { return }
        let connection = NWConnection(to: result.endpoint, using: .tcp)
        connection.stateUpdateHandler = { [node] state in
            switch state {
            case .ready:
                if case let .hostPort(host, port)? = connection.currentPath?.remoteEndpoint,
                   let address = multiaddr(host: host, port: port.rawValue, peer: peer)
                {
                    Task { _ = try? await node.addPeerAddresses(addresses: [address]) }
                }
                connection.cancel()
            case .failed, .waiting:
                connection.cancel()
            default:
                break
            }
        }
        connection.start(queue: queue)
    }
}

func multiaddr(host: NWEndpoint.Host, port: UInt16, peer: String) -> String? {
    switch host {
    case let .ipv4(ip): return "/ip4/\(ip)/tcp/\(port)/p2p/\(peer)"
    case let .ipv6(ip): return "/ip6/\("\(ip)".split(separator: "%").first ?? "")/tcp/\(port)/p2p/\(peer)"
    default: return nil
    }
}
#endif

/// The TCP port of a multiaddr, if it has one.
func tcpPort(_ address: String) -> Int32? {
    let parts = address.split(separator: "/")
    guard let i = parts.firstIndex(of: "tcp"), i + 1 < parts.count else { return nil }
    return Int32(parts[i + 1])
}
