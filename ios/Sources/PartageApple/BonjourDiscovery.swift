// Bonjour (DNS-SD) discovery for Partage on Apple platforms, feeding the node's discovery bridge.
// mDNS from Rust stays off on phones: iOS only lets apps use the local network through its own
// APIs, after the user agreed (NSLocalNetworkUsageDescription, NSBonjourServices in Info.plist).

#if canImport(Network)
import Foundation
import Network
import Partage

/// What discovery did or failed to do. Read `BonjourDiscovery.events` to show or log it (a
/// refused local-network permission shows here as a browse or publish failure).
public enum BonjourEvent: Sendable {
    case published(name: String)
    /// Nothing to advertise (the node listens on no TCP address).
    case notAdvertised(reason: String)
    case publishFailed(name: String, errorCode: Int, errorDomain: Int)
    case browseFailed(reason: String)
    case resolved(name: String, addresses: [String], added: Int32)
    case resolveFailed(name: String, reason: String)
    case addPeerFailed(address: String, reason: String)
}

/// Advertises this device as `_partage._tcp` (its TCP port, its peer id in the TXT record) and
/// hands every neighbour it resolves to `Node.addPeerAddresses`.
///
/// - Publishing uses `NetService` scheduled on the main run loop with a delegate, so it actually
///   runs (a `NetService` needs a run loop) and its failures are reported.
/// - Browsing uses `NWBrowser`; a failed or waiting browser is reported, not ignored.
/// - Each added or changed result is resolved by a short TCP connection to learn its address, over
///   IPv4 first (the node cannot dial a link-local IPv6 address yet: libp2p-tcp 0.45 ignores
///   `/ip6zone`), then, if that fails, over any IP version; IPv6 link-local addresses keep their
///   zone (`/ip6zone/en0/ip6/fe80::…`).
public final class BonjourDiscovery: @unchecked Sendable {
    public static let serviceType = "_partage._tcp"
    static let txtPeer = "peer"

    private let node: Node
    private let queue = DispatchQueue(label: "partage.bonjour")
    private var browser: NWBrowser?
    private var service: NetService?
    private var publisher: Publisher?
    private var ownPeerId: String?
    private let continuation: AsyncStream<BonjourEvent>.Continuation

    /// Discovery's events, newest kept when nobody reads (64 at most).
    public let events: AsyncStream<BonjourEvent>

    public init(node: Node) {
        self.node = node
        let (stream, continuation) = AsyncStream.makeStream(of: BonjourEvent.self, bufferingPolicy: .bufferingNewest(64))
        events = stream
        self.continuation = continuation
    }

    deinit {
        continuation.finish()
    }

    /// Starts advertising and browsing (the node's network must be started).
    public func start() async throws {
        let ad = try await node.advertisement(timeout: .seconds(5))
        let port = ad.addresses.lazy.compactMap(tcpPort).first
        let started: Bool = queue.sync {
            guard browser == nil else { return false }
            ownPeerId = ad.peerId
            browse()
            return true
        }
        guard started else { return }
        if let port {
            await advertise(peerId: ad.peerId, port: port)
        } else {
            continuation.yield(.notAdvertised(reason: "no TCP listen address"))
        }
    }

    /// Stops advertising and browsing.
    public func stop() {
        let (service, delegate): (NetService?, Publisher?) = queue.sync {
            browser?.cancel()
            browser = nil
            defer {
                self.service = nil
                self.publisher = nil
            }
            return (self.service, self.publisher)
        }
        if let service {
            DispatchQueue.main.async {
                // NetService does not retain its delegate: keep it alive until the service is stopped.
                withExtendedLifetime(delegate) {
                    service.stop()
                    service.remove(from: .main, forMode: .common)
                    service.delegate = nil
                }
            }
        }
    }

    /// Publishes on the main run loop, with a delegate reporting the outcome.
    @MainActor
    private func advertise(peerId: String, port: Int32) {
        let service = NetService(domain: "local.", type: Self.serviceType + ".", name: "partage-\(peerId.suffix(8))", port: port)
        service.setTXTRecord(NetService.data(fromTXTRecord: [Self.txtPeer: Data(peerId.utf8)]))
        let publisher = Publisher(continuation)
        service.delegate = publisher
        service.schedule(in: .main, forMode: .common)
        service.publish()
        queue.sync {
            self.service = service
            self.publisher = publisher
        }
    }

    private func browse() {
        let parameters = NWParameters()
        parameters.includePeerToPeer = false
        let browser = NWBrowser(for: .bonjourWithTXTRecord(type: Self.serviceType, domain: nil), using: parameters)
        browser.stateUpdateHandler = { [continuation] state in
            switch state {
            case let .failed(error): continuation.yield(.browseFailed(reason: "\(error)"))
            case let .waiting(error): continuation.yield(.browseFailed(reason: "waiting: \(error)"))
            default: break
            }
        }
        browser.browseResultsChangedHandler = { [weak self] _, changes in
            for change in changes {
                switch change {
                case let .added(result), let .changed(_, result, _): self?.resolve(result)
                default: break
                }
            }
        }
        browser.start(queue: queue)
        self.browser = browser
    }

    /// Connects briefly to learn the service's address, then hands `/ipX/HOST/tcp/PORT/p2p/PEER` to the node.
    /// First over IPv4 only (a dual-stack LAN would otherwise often give a link-local IPv6 address,
    /// which the node cannot dial yet), then once more over any IP version if that fails.
    private func resolve(_ result: NWBrowser.Result, ipv4Only: Bool = true) {
        guard case let .bonjour(txt) = result.metadata, let peer = txt[Self.txtPeer], peer != ownPeerId else { return }
        let name = "\(result.endpoint)"
        let parameters = NWParameters.tcp
        if ipv4Only, let ip = parameters.defaultProtocolStack.internetProtocol as? NWProtocolIP.Options {
            ip.version = .v4
        }
        let connection = NWConnection(to: result.endpoint, using: parameters)
        connection.stateUpdateHandler = { [weak self, node, continuation] state in
            switch state {
            case .ready:
                if case let .hostPort(host, port)? = connection.currentPath?.remoteEndpoint,
                   let address = multiaddr(host: host, port: port.rawValue, peer: peer)
                {
                    Task {
                        do {
                            let added = try await node.addPeerAddresses(addresses: [address])
                            continuation.yield(.resolved(name: name, addresses: [address], added: added))
                        } catch {
                            continuation.yield(.addPeerFailed(address: address, reason: error.localizedDescription))
                        }
                    }
                } else {
                    continuation.yield(.resolveFailed(name: name, reason: "no usable IP address (none, or link-local IPv6 without a zone)"))
                }
                connection.cancel()
            case let .failed(error), let .waiting(error):
                connection.cancel()
                if ipv4Only {
                    self?.resolve(result, ipv4Only: false)  // on `queue` already (the handler's)
                } else {
                    continuation.yield(.resolveFailed(name: name, reason: "\(error)"))
                }
            default:
                break
            }
        }
        connection.start(queue: queue)
    }
}

/// The `NetService` delegate: reports whether publishing worked.
private final class Publisher: NSObject, NetServiceDelegate, @unchecked Sendable {
    private let continuation: AsyncStream<BonjourEvent>.Continuation

    init(_ continuation: AsyncStream<BonjourEvent>.Continuation) {
        self.continuation = continuation
    }

    func netServiceDidPublish(_ sender: NetService) {
        continuation.yield(.published(name: sender.name))
    }

    func netService(_ sender: NetService, didNotPublish errorDict: [String: NSNumber]) {
        let code = errorDict[NetService.errorCode]?.intValue ?? -1
        let domain = errorDict[NetService.errorDomain]?.intValue ?? 0
        continuation.yield(.publishFailed(name: sender.name, errorCode: code, errorDomain: domain))
    }
}

/// `/ip4/…`, `/ip6/…`, or `/ip6zone/ZONE/ip6/…` for an IPv6 address with an interface (link-local);
/// nil for a link-local IPv6 address without a zone, which no transport can reach. A zoned one is
/// kept, but libp2p-tcp 0.45 (libp2p 0.57) ignores `/ip6zone` when dialing (it pops `/tcp` and
/// `/ip6` from the end; the scope id stays 0), so today only IPv4 and routable IPv6 connect.
func multiaddr(host: NWEndpoint.Host, port: UInt16, peer: String) -> String? {
    switch host {
    case let .ipv4(ip):
        return "/ip4/\(ip)/tcp/\(port)/p2p/\(peer)"
    case let .ipv6(ip):
        let text = "\(ip)"
        let address = text.split(separator: "%").first.map(String.init) ?? text
        let zone = ip.interface?.name ?? text.split(separator: "%").dropFirst().first.map(String.init)
        if ip.isLinkLocal && zone == nil { return nil }
        let prefix = zone.map { "/ip6zone/\($0)" } ?? ""
        return "\(prefix)/ip6/\(address)/tcp/\(port)/p2p/\(peer)"
    default:
        return nil
    }
}
#endif

/// The TCP port of a multiaddr, if it has one.
func tcpPort(_ address: String) -> Int32? {
    let parts = address.split(separator: "/")
    guard let i = parts.firstIndex(of: "tcp"), i + 1 < parts.count else { return nil }
    return Int32(parts[i + 1])
}
