// Pauses the network when the app goes to the background and resumes it in the foreground,
// with Bonjour discovery while in the foreground. For background refresh, call
// `node.syncInBackground(timeout:)` from a BGAppRefreshTask (see ios/README.md): it resumes the
// paused network for the window and pauses it again (`syncNow` would throw `Paused`).

#if canImport(UIKit) && canImport(Network)
import Partage
import UIKit

@MainActor
public final class PartageLifecycle {
    private let node: Node
    private let discovery: BonjourDiscovery
    private var observers: [NSObjectProtocol] = []

    public init(node: Node) {
        self.node = node
        self.discovery = BonjourDiscovery(node: node)
    }

    /// What Bonjour discovery did or failed to do (publishing, browsing, resolving).
    public var discoveryEvents: AsyncStream<BonjourEvent> { discovery.events }

    /// Starts the network (mDNS off: Bonjour replaces it) and follows the app's lifecycle.
    public func start(config: NetworkConfig = NetworkConfig()) async throws {
        if !node.isNetworkRunning() { try await node.startNetwork(config: config) }
        try await discovery.start()
        let center = NotificationCenter.default
        observers.append(center.addObserver(forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: .main) { [node, discovery] _ in
            discovery.stop()
            Task { try? await node.pauseNetwork() }
        })
        observers.append(center.addObserver(forName: UIApplication.willEnterForegroundNotification, object: nil, queue: .main) { [node, discovery] _ in
            Task {
                try? await node.resumeNetwork()
                try? await discovery.start()
            }
        })
    }

    /// Stops following the lifecycle, discovery and the network.
    public func stop() async {
        observers.forEach(NotificationCenter.default.removeObserver)
        observers.removeAll()
        discovery.stop()
        try? await node.shutdown()
    }
}
#endif
