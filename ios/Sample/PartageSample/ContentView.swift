import Partage
import SwiftUI

struct ContentView: View {
    @Bindable var model: Model
    @State private var newTitle = ""

    var body: some View {
        NavigationStack {
            List {
                Section {
                    HStack {
                        TextField("New item", text: $newTitle)
                        Button("Add") {
                            let title = newTitle
                            newTitle = ""
                            Task { await model.add(title: title) }
                        }
                    }
                    if !model.status.isEmpty {
                        Text(model.status).font(.footnote).foregroundStyle(.secondary)
                    }
                }
                Section("Inventory") {
                    ForEach(model.items, id: \.id) { item in
                        HStack {
                            VStack(alignment: .leading) {
                                Text(item.title).font(.headline)
                                Text("\(item.ownerName) · \(String(describing: item.category))").font(.caption)
                            }
                            Spacer()
                            Button("Borrow") { Task { await model.borrow(item) } }
                                .disabled(!item.available)
                        }
                    }
                }
            }
            .searchable(text: $model.query)
            .onChange(of: model.query) { model.search() }
            .navigationTitle(model.node == nil ? "Opening…" : "Partage")
        }
    }
}
