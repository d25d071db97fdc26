// Pauses the network when the app goes to the background and resumes it in the foreground,
// with Bonjour discovery while in the foreground. For background refresh, call
// `node.syncInBackground(timeout:)` from a BGAppRefreshTask (see ios/README.md): it resumes the
// paused network for the window and pauses it again (`syncNow` would throw `Paused`).

#if canImport(UIKit) && canImport(Network)
import Partage
import UIKit

/// Follows the app's lifecycle. Every step (start, pause, resume, stop) runs one at a time, in the
/// order the app's notifications arrived: a serial chain of tasks, each awaiting the one before
/// it (as `PartageNetwork` on Android does with a mutex), so a quick background/foreground/background
/// never resumes after it paused. Failed steps are reported, not swallowed: `onError` and
/// `lastFailure`.
@MainActor
public final class PartageLifecycle {
    /// A lifecycle step that failed, and why.
    public struct Failure: LocalizedError, CustomStringConvertible {
        public enum Step: Sendable { case start, pause, resume, stop }

        public let step: Step
        public let error: any Error

        public var errorDescription: String? {
            let what: String
            switch step {
            case .start: what = "could not start the network"
            case .pause: what = "could not pause the network"
            case .resume: what = "could not resume the network"
            case .stop: what = "could not stop the network"
            }
            return "\(what): \(error.localizedDescription)"
        }

        public var description: String { errorDescription ?? "\(step): \(error)" }
    }

    private let node: Node
    private let discovery: BonjourDiscovery
    private var observers: [NSObjectProtocol] = []
    /// The last step enqueued; the next one waits for it.
    private var tail: Task<Void, Error>?

    /// Called on the main actor with every failed pause, resume or stop (a failing `start` throws
    /// to its caller instead).
    public var onError: (@MainActor (Failure) -> Void)?

    /// The most recent failed step, if any (observe it, or set `onError`).
    public private(set) var lastFailure: Failure?

    public init(node: Node) {
        self.node = node
        self.discovery = BonjourDiscovery(node: node)
    }

    /// What Bonjour discovery did or failed to do (publishing, browsing, resolving).
    public var discoveryEvents: AsyncStream<BonjourEvent> { discovery.events }

    /// Runs `body` after every step enqueued before it; a failure is reported unless `reporting`
    /// is false (the caller awaits the task and gets it).
    @discardableResult
    private func enqueue(
        _ step: Failure.Step,
        reporting: Bool = true,
        _ body: @escaping @MainActor () async throws -> Void
    ) -> Task<Void, Error> {
        let previous = tail
        let task = Task { @MainActor [weak self] in
            _ = await previous?.result
            do {
                try await body()
            } catch {
                if reporting { self?.report(Failure(step: step, error: error)) }
                throw error
            }
        }
        tail = task
        return task
    }

    private func report(_ failure: Failure) {
        lastFailure = failure
        onError?(failure)
    }

    private func didEnterBackground() {
        enqueue(.pause) { [node, discovery] in
            discovery.stop()
            if node.isNetworkRunning() { try await node.pauseNetwork() }
        }
    }

    private func willEnterForeground() {
        enqueue(.resume) { [node, discovery] in
            if node.isNetworkRunning() && node.isNetworkPaused() { try await node.resumeNetwork() }
            if node.isNetworkRunning() { try await discovery.start() }
        }
    }

    /// Starts the network (mDNS off: Bonjour replaces it) and follows the app's lifecycle.
    public func start(config: NetworkConfig = NetworkConfig()) async throws {
        let started = enqueue(.start, reporting: false) { [node, discovery] in
            if !node.isNetworkRunning() { try await node.startNetwork(config: config) }
            try await discovery.start()
        }
        // Observed from now on: a notification arriving while the start runs queues behind it.
        if observers.isEmpty {
            let center = NotificationCenter.default
            // Delivered on the main queue, in order: each enqueues its step synchronously.
            observers.append(center.addObserver(forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: .main) { [weak self] _ in
                MainActor.assumeIsolated { self?.didEnterBackground() }
            })
            observers.append(center.addObserver(forName: UIApplication.willEnterForegroundNotification, object: nil, queue: .main) { [weak self] _ in
                MainActor.assumeIsolated { self?.willEnterForeground() }
            })
        }
        do {
            try await started.value
        } catch {
            // Not started: follow nothing (as before the call).
            observers.forEach(NotificationCenter.default.removeObserver)
            observers.removeAll()
            throw error
        }
    }

    /// Stops following the lifecycle, then (after any step still queued) discovery and the
    /// network. A failure is reported to `onError` and `lastFailure`.
    public func stop() async {
        observers.forEach(NotificationCenter.default.removeObserver)
        observers.removeAll()
        let stopped = enqueue(.stop) { [node, discovery] in
            discovery.stop()
            try await node.shutdown()
        }
        _ = await stopped.result
    }
}
#endif
