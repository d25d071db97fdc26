import Partage
import PartageApple
import SwiftUI

/// Opens the node in Application Support, makes a first identity and neighbourhood if needed,
/// starts the network with the app's lifecycle, and shows the inventory.
@main
struct PartageSampleApp: App {
    @State private var model = Model()

    var body: some Scene {
        WindowGroup {
            ContentView(model: model).task { await model.open() }
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
            // Application Support/Partage, excluded from backups; secret keys in the Keychain.
            let node = try await PartageStorage.open()
            if try await node.identity() == nil { _ = try await node.createIdentity(name: "Me") }
            if try await node.neighbourhoods().isEmpty { _ = try await node.createNeighbourhood(name: "My street") }
            let lifecycle = PartageLifecycle(node: node)
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
