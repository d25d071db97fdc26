// Type-check stub (scripts/bindings/check-apple-glue.sh): the few Network.framework (and
// Foundation NetService) signatures PartageApple uses, copied from Apple's SDK. Compiled on Linux
// only; Xcode's real frameworks replace it.
import Foundation

public struct NWError: Error, CustomDebugStringConvertible, Sendable {
    public var debugDescription: String { "NWError" }
}

public final class NWInterface: Sendable {
    public let name: String
    init(name: String) { self.name = name }
}

public struct IPv4Address: Hashable, CustomDebugStringConvertible, Sendable {
    public var debugDescription: String { "0.0.0.0" }
}

public struct IPv6Address: Hashable, CustomDebugStringConvertible, Sendable {
    public var interface: NWInterface? { nil }
    public var isLinkLocal: Bool { false }
    public var debugDescription: String { "::" }
    public static func == (a: IPv6Address, b: IPv6Address) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

public enum NWEndpoint: Hashable, CustomDebugStringConvertible, Sendable {
    public enum Host: Hashable, Sendable {
        case name(String, NWInterface?)
        case ipv4(IPv4Address)
        case ipv6(IPv6Address)
        public static func == (a: Host, b: Host) -> Bool { true }
        public func hash(into hasher: inout Hasher) {}
    }

    public struct Port: Hashable, Sendable {
        public let rawValue: UInt16
    }

    case hostPort(host: Host, port: Port)
    case service(name: String, type: String, domain: String, interface: NWInterface?)
    public var debugDescription: String { "endpoint" }
    public static func == (a: NWEndpoint, b: NWEndpoint) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

public class NWProtocolOptions: @unchecked Sendable {}

public class NWProtocolIP {
    public final class Options: NWProtocolOptions, @unchecked Sendable {
        public enum Version: Sendable { case any, v4, v6 }
        public var version: Version = .any
    }
}

public final class NWParameters: @unchecked Sendable {
    public final class ProtocolStack: @unchecked Sendable {
        public var internetProtocol: NWProtocolOptions? = NWProtocolIP.Options()
    }

    public var includePeerToPeer = false
    public var defaultProtocolStack = ProtocolStack()
    public init() {}
    public static var tcp: NWParameters { NWParameters() }
}

public struct NWTXTRecord: Hashable, Sendable {
    public subscript(key: String) -> String? { nil }
}

public struct NWPath: Sendable {
    public var remoteEndpoint: NWEndpoint? { nil }
}

public final class NWBrowser: @unchecked Sendable {
    public enum Descriptor: Sendable {
        case bonjour(type: String, domain: String?)
        case bonjourWithTXTRecord(type: String, domain: String?)
    }

    public enum State: Sendable {
        case setup, ready, cancelled
        case failed(NWError)
        case waiting(NWError)
    }

    public struct Result: Hashable, Sendable {
        public enum Metadata: Hashable, Sendable {
            case bonjour(NWTXTRecord)
            case none
        }

        public enum Change: Hashable, Sendable {
            public struct Flags: OptionSet, Hashable, Sendable {
                public let rawValue: UInt32
                public init(rawValue: UInt32) { self.rawValue = rawValue }
            }

            case identical
            case added(Result)
            case removed(Result)
            case changed(old: Result, new: Result, flags: Flags)
        }

        public let endpoint: NWEndpoint
        public let metadata: Metadata
    }

    public var stateUpdateHandler: (@Sendable (State) -> Void)?
    public var browseResultsChangedHandler: (@Sendable (Set<Result>, Set<Result.Change>) -> Void)?
    public init(for descriptor: Descriptor, using parameters: NWParameters) {}
    public func start(queue: DispatchQueue) {}
    public func cancel() {}
}

public final class NWConnection: @unchecked Sendable {
    public enum State: Sendable {
        case setup, preparing, ready, cancelled
        case waiting(NWError)
        case failed(NWError)
    }

    public var stateUpdateHandler: (@Sendable (State) -> Void)?
    public var currentPath: NWPath? { nil }
    public init(to endpoint: NWEndpoint, using parameters: NWParameters) {}
    public func start(queue: DispatchQueue) {}
    public func cancel() {}
}

// Foundation's NetService (absent from swift-corelibs-foundation).
public protocol NetServiceDelegate: AnyObject {
    func netServiceDidPublish(_ sender: NetService)
    func netService(_ sender: NetService, didNotPublish errorDict: [String: NSNumber])
}

public extension NetServiceDelegate {
    func netServiceDidPublish(_ sender: NetService) {}
    func netService(_ sender: NetService, didNotPublish errorDict: [String: NSNumber]) {}
}

public final class NetService {
    public static let errorCode = "NSNetServicesErrorCode"
    public static let errorDomain = "NSNetServicesErrorDomain"
    public weak var delegate: NetServiceDelegate?
    public let name: String
    public init(domain: String, type: String, name: String, port: Int32) { self.name = name }
    public class func data(fromTXTRecord txtDictionary: [String: Data]) -> Data { Data() }
    @discardableResult public func setTXTRecord(_ recordData: Data?) -> Bool { true }
    public func schedule(in aRunLoop: RunLoop, forMode mode: RunLoop.Mode) {}
    public func remove(from aRunLoop: RunLoop, forMode mode: RunLoop.Mode) {}
    public func publish() {}
    public func stop() {}
}
