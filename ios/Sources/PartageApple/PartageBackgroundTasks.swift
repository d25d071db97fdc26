// Background sync with BackgroundTasks: a BGAppRefreshTask (about 30 s, often) and, optionally, a
// BGProcessingTask (minutes, when the phone is idle and charging), each running one bounded
// `Node.syncInBackground`, which resumes the network for the window (or starts it, when iOS launched
// the app only for the task) and puts it back as it was.
//
// Info.plist (the identifiers must match those given to `register`):
//     <key>BGTaskSchedulerPermittedIdentifiers</key>
//     <array>
//         <string>org.example.neighbours.partage-refresh</string>
//         <string>org.example.neighbours.partage-processing</string>
//     </array>
//     <key>UIBackgroundModes</key>
//     <array><string>fetch</string><string>processing</string></array>

#if canImport(BackgroundTasks)
import BackgroundTasks
import Foundation
import Partage

public final class PartageBackgroundTasks: @unchecked Sendable {
    public let refreshIdentifier: String
    public let processingIdentifier: String?
    /// How long a refresh task syncs (iOS gives a refresh task about 30 s in all).
    public var refreshWindow: Duration = .seconds(25)
    /// How long a processing task syncs.
    public var processingWindow: Duration = .seconds(5 * 60)
    /// How soon after scheduling iOS may run the next refresh (a hint; iOS decides).
    public var refreshInterval: TimeInterval = 30 * 60

    private let node: @Sendable () async throws -> Node
    private let config: NetworkConfig?

    /// `node` returns the app's one node (opening it if iOS launched the app for the task);
    /// `config` is how the network starts when it is not running (default: every interface,
    /// mDNS off).
    public init(
        refreshIdentifier: String,
        processingIdentifier: String? = nil,
        config: NetworkConfig? = nil,
        node: @escaping @Sendable () async throws -> Node
    ) {
        self.refreshIdentifier = refreshIdentifier
        self.processingIdentifier = processingIdentifier
        self.config = config
        self.node = node
    }

    /// Registers the launch handlers. Call before the app finishes launching (App.init or
    /// `application(_:didFinishLaunchingWithOptions:)`), once.
    public func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: refreshIdentifier, using: nil) { [self] task in
            scheduleQuietly()  // the next one
            run(task, window: refreshWindow)
        }
        if let processingIdentifier {
            BGTaskScheduler.shared.register(forTaskWithIdentifier: processingIdentifier, using: nil) { [self] task in
                run(task, window: processingWindow)
            }
        }
    }

    /// Asks iOS for the next runs (call when the app goes to the background, too). Throws what
    /// `BGTaskScheduler.submit` throws (e.g. identifiers missing from Info.plist, or on a simulator).
    public func schedule() throws {
        let refresh = BGAppRefreshTaskRequest(identifier: refreshIdentifier)
        refresh.earliestBeginDate = Date(timeIntervalSinceNow: refreshInterval)
        try BGTaskScheduler.shared.submit(refresh)
        if let processingIdentifier {
            let processing = BGProcessingTaskRequest(identifier: processingIdentifier)
            processing.requiresNetworkConnectivity = true
            processing.requiresExternalPower = true
            try BGTaskScheduler.shared.submit(processing)
        }
    }

    /// One bounded sync; iOS's expiration cancels it (the cancellation reaches Rust and the
    /// network is still put back as it was).
    private func run(_ task: BGTask, window: Duration) {
        let work = Task { [node, config] in
            do {
                let report = try await node().syncInBackground(timeout: window, config: config)
                task.setTaskCompleted(success: !report.timedOut || report.peersSynced > 0)
            } catch {
                task.setTaskCompleted(success: false)
            }
        }
        task.expirationHandler = { work.cancel() }
    }

    /// From a running task: a failure to schedule the next one has nobody to tell.
    private func scheduleQuietly() {
        try? schedule()
    }
}
#endif
