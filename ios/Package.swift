// swift-tools-version:5.9
// Partage for iOS (and macOS): the Rust core as an XCFramework, the uniffi-generated Swift, the
// Swift layer (AsyncSequence events, async calls) and Apple platform glue (Bonjour, lifecycle).
// Build the XCFramework and the generated sources first: ios/scripts/build-xcframework.sh
import PackageDescription

let package = Package(
    name: "Partage",
    // iOS 16 / macOS 13: the API uses Swift's `Duration` (timeouts, sync durations).
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "Partage", targets: ["Partage", "PartageApple"]),
    ],
    targets: [
        // libpartage_ffi.a per platform + the C header and module map (module PartageFFIC).
        .binaryTarget(name: "PartageFFIC", path: "build/PartageFFIC.xcframework"),
        // The generated bindings (build output, copied here by the build script; git-ignored).
        .target(
            name: "PartageFFI", dependencies: ["PartageFFIC"], path: "Sources/PartageFFI",
            // libp2p watches network interfaces through SystemConfiguration.
            linkerSettings: [.linkedFramework("SystemConfiguration"), .linkedFramework("Security")]
        ),
        // The Swift layer, shared with the Linux tests (a symlink to bindings/swift/Sources/Partage).
        .target(name: "Partage", dependencies: ["PartageFFI"], path: "Sources/Partage"),
        // Bonjour discovery feeding the node's discovery bridge; pause/resume with the app;
        // Keychain secret store; background tasks. Carries the privacy manifest.
        .target(
            name: "PartageApple", dependencies: ["Partage"], path: "Sources/PartageApple",
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
    ]
)
