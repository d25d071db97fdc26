import Partage
import PartageApple
import SwiftUI

/// Opens the node in Application Support, makes a first identity and neighbourhood if needed,
/// starts the network with the app's lifecycle, and shows the inventory.
@main
struct PartageSampleApp: App {
    @State private var model = Model()
    /// Background refresh: one bounded sync with the app's one node (Info.plist lists the identifier).
    private let backgroundTasks = PartageBackgroundTasks(refreshIdentifier: "org.partage.sample.refresh") {
        try await SampleNode.shared.node()
    }

    init() {
        // Partage's log records in the unified logging system (Console.app, `log stream`), before
        // anything opens a node; as the Android sample installs LogcatLogger. Throws only if a
        // logger is already installed in this process.
        try? PartageOSLogger.install(level: .info)
        backgroundTasks.register()
        try? backgroundTasks.schedule()
    }

    var body: some Scene {
        WindowGroup {
            ContentView(model: model).task { await model.open() }
        }
    }
}

/// The app's one node, opened once for the process (by the UI or by a background task).
actor SampleNode {
    static let shared = SampleNode()
    private var opening: Task<Node, Error>?

    func node() async throws -> Node {
        // One opening for every caller (an actor is reentrant across the await below).
        // Application Support/Partage, excluded from backups; secret keys in the Keychain.
        let task = opening ?? Task { try await PartageStorage.open() }
        opening = task
        do {
            return try await task.value
        } catch {
            opening = nil  // the next caller tries again
            throw error
        }
    }
}

@MainActor
@Observable
final class Model {
    var node: Node?
    var items: [Item] = []
    var query = ""
    var status = ""
    private var lifecycle: PartageLifecycle?
    private var watch: Task<Void, Never>?

    func open() async {
        do {
            let node = try await SampleNode.shared.node()
            if try await node.identity() == nil { _ = try await node.createIdentity(name: "Me") }
            if try await node.neighbourhoods().isEmpty { _ = try await node.createNeighbourhood(name: "My street") }
            let lifecycle = PartageLifecycle(node: node)
            // A pause, resume or stop that fails (in the background or later) shows here.
            lifecycle.onError = { [weak self] failure in self?.status = failure.localizedDescription }
            try await lifecycle.start()
            self.lifecycle = lifecycle
            self.node = node
            search()
        } catch let error as PartageError {
            status = error.message
        } catch {
            status = "\(error)"
        }
    }

    /// Follows the search results for the current query (newest list wins).
    func search() {
        guard let node else { return }
        watch?.cancel()
        let query = self.query
        watch = Task {
            do {
                for try await items in try node.observeSearch(query: query) { self.items = items }
            } catch {
                status = "\(error)"
            }
        }
    }

    func add(title: String) async {
        guard let node else { return }
        do {
            let hood = try await node.neighbourhoods()[0].id
            status = "Added \(try await node.addItem(neighbourhoodId: hood, draft: ItemDraft(title: title)).title)"
        } catch let error as PartageError {
            status = error.localizedDescription  // the core's message, e.g. "title is empty"
        } catch {
            status = "\(error)"
        }
    }

    func borrow(_ item: Item) async {
        guard let node else { return }
        // Days are Dates: the day each falls on in the device's calendar and time zone.
        let today = Date()
        let until = Calendar.current.date(byAdding: .day, value: 2, to: today) ?? today
        do {
            _ = try await node.requestLoan(itemId: item.id, from: today, until: until, message: "")
            status = "Asked \(item.ownerName) for \(item.title)"
        } catch let error as PartageError {
            status = error.localizedDescription  // the core's message, e.g. "you cannot borrow your own item"
        } catch {
            status = "\(error)"
        }
    }
}
