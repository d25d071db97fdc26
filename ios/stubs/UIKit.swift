// Type-check stub (scripts/bindings/check-apple-glue.sh): the UIApplication notifications
// PartageLifecycle observes. Compiled on Linux only; Xcode's real framework replaces it.
@_exported import Foundation  // as the real UIKit does

open class UIApplication {
    public static let didEnterBackgroundNotification = Notification.Name("UIApplicationDidEnterBackgroundNotification")
    public static let willEnterForegroundNotification = Notification.Name("UIApplicationWillEnterForegroundNotification")
}
