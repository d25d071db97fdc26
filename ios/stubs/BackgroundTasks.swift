// Type-check stub (scripts/bindings/check-apple-glue.sh): the BackgroundTasks signatures
// PartageBackgroundTasks uses, copied from Apple's SDK. Compiled on Linux only; Xcode's real
// framework replaces it.
import Foundation

open class BGTask: @unchecked Sendable {
    open var identifier: String { "" }
    open var expirationHandler: (@Sendable () -> Void)?
    open func setTaskCompleted(success: Bool) {}
}

open class BGTaskRequest {
    public let identifier: String
    open var earliestBeginDate: Date?
    init(identifier: String) { self.identifier = identifier }
}

open class BGAppRefreshTaskRequest: BGTaskRequest {
    override public init(identifier: String) { super.init(identifier: identifier) }
}

open class BGProcessingTaskRequest: BGTaskRequest {
    open var requiresNetworkConnectivity = false
    open var requiresExternalPower = false
    override public init(identifier: String) { super.init(identifier: identifier) }
}

open class BGTaskScheduler: @unchecked Sendable {
    public static let shared = BGTaskScheduler()
    @discardableResult
    open func register(forTaskWithIdentifier identifier: String, using queue: DispatchQueue?, launchHandler: @escaping @Sendable (BGTask) -> Void) -> Bool { true }
    open func submit(_ taskRequest: BGTaskRequest) throws {}
}
