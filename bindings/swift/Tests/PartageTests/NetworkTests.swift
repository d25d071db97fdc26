import Partage

/// Waits (through the AsyncSequence) until an item titled `title` is listed on `node`.
func awaitItem(_ node: Node, _ title: String) async throws -> Item {
    let items = try await first(try node.observeItems()) { $0.contains { $0.title == title } }
    return items.first { $0.title == title }!
}

func networkTests(_ r: Runner) async {
    await r.test("two networked nodes on 127.0.0.1 (mDNS off): join by ticket, an item arrives through the AsyncSequence") {
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let hood = try await networkedPair(alice, bob)
            let items = try bob.observeItems(filter: ItemFilter(neighbourhoodId: hood))
            var iterator = items.makeAsyncIterator()
            try expectEq([], try await iterator.next(), "bob's first listing")
            let verified = Task { try await first(try bob.networkEvents()) { if case .peerVerified = $0 { true } else { false } } }

            let drill = try await alice.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Perceuse", category: .tools))
            try await bob.startNetwork(config: loopback)  // dials the address in the ticket
            let arrived = try await iterator.next()
            try expectEq([drill.id], arrived?.map(\.id), "items on bob's side")
            try expectEq("Alice", arrived?.first?.ownerName, "owner name")
            guard case let .peerVerified(_, memberId, neighbourhoodId) = try await verified.value else {
                throw TestFailure(description: "expected peerVerified")
            }
            try expectEq(try await alice.identity()?.memberId, memberId, "verified member")
            try expectEq(hood, neighbourhoodId, "verified neighbourhood")

            _ = try await alice.editItem(itemId: drill.id, patch: ItemPatch(title: "Perceuse à percussion"))
            _ = try await awaitItem(bob, "Perceuse à percussion")
            let report = try await bob.syncNow(timeout: .milliseconds(10_000))
            try expect(report.complete, "sync_now converged: \(report)")

            try await bob.pauseNetwork()
            try expect(bob.isNetworkPaused(), "paused")
            let paused = try await expectError("sync while paused") { _ = try await bob.syncNow(timeout: .milliseconds(1_000)) }
            try expectEq(ErrorKind.paused, paused.kind, "kind while paused")
            try await bob.resumeNetwork()
            try await bob.stopNetwork()
            let stopped = try await expectError("sync when stopped") { _ = try await bob.syncNow(timeout: .milliseconds(1_000)) }
            try expectEq(ErrorKind.stopped, stopped.kind, "kind when stopped")
            try expectEq("the network is not started", stopped.message, "message when stopped")
        }
    }

    await r.test("a tablet links to Alice's identity with the code her phone shows, over 127.0.0.1") {
        try await withNodes(3) { nodes in
            let (alice, bob, tablet) = (nodes[0], nodes[1], nodes[2])
            let hood = try await networkedPair(alice, bob)
            _ = try await alice.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Perceuse", category: .tools))
            // Subscribed before the code exists, so the event cannot be missed.
            var aliceEvents = try alice.networkEvents().makeAsyncIterator()
            let code = try await alice.offerDeviceLink(fullTransfer: false)
            try expect(code.hasPrefix("partagelink1"), "code: \(code)")
            let summary = try await tablet.linkToIdentity(code: code, timeout: .milliseconds(30_000))
            try expectEq(1, summary.neighbourhoods, "neighbourhoods linked")
            let me = try await alice.identity()!
            let mine = try await tablet.identity()!
            try expectEq(me.memberId, mine.memberId, "same member")
            var linkedDevice: String?
            while linkedDevice == nil, let event = await aliceEvents.next() {
                if case let .deviceLinked(deviceId) = event { linkedDevice = deviceId }
            }
            try expectEq(mine.deviceId, linkedDevice, "linked device event")
            try expectEq(["Perceuse"], try await tablet.listItems(filter: ItemFilter()).map(\.title), "items on the tablet")
            try expectEq(2, try await tablet.devices().count, "devices on the tablet")

            let refused = try await expectError("revoke from the tablet") { try await tablet.revokeDevice(deviceId: me.deviceId) }
            try expectEq(ErrorKind.notAllowed, refused.kind, "kind on the tablet")
            try await alice.revokeDevice(deviceId: mine.deviceId)
            try expect(try await alice.devices().contains { $0.deviceId == mine.deviceId && $0.revoked }, "revoked")
            let reused = try await expectError("a used code") { _ = try await bob.linkToIdentity(code: code, timeout: .milliseconds(30_000)) }
            try expectEq(ErrorKind.notAllowed, reused.kind, "kind of a used code")
        }
    }
}
