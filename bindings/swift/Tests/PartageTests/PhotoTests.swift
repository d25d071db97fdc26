import Foundation
import Partage

/// CRC-32 (PNG chunks).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

/// A PNG written by hand (zlib with stored blocks, so no compressor is needed): red left half,
/// blue right half.
func png(width: Int, height: Int) -> Data {
    var raw: [UInt8] = []
    for _ in 0..<height {
        raw.append(0)
        for x in 0..<width { raw += x < width / 2 ? [200, 0, 0] : [0, 0, 200] }
    }
    var z: [UInt8] = [0x78, 0x01]
    var at = 0
    while at < raw.count {
        let n = min(65_535, raw.count - at)
        let last: UInt8 = at + n == raw.count ? 1 : 0
        z += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        z += raw[at..<at + n]
        at += n
    }
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    z += bigEndian((b << 16) | a)
    func chunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(kind.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }
    let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]
    let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + chunk("IHDR", header) + chunk("IDAT", z) + chunk("IEND", [])
    return Data(bytes)
}

final class ProgressRecorder: PhotoProgressListener, @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [PhotoProgress] = []
    func onProgress(progress: PhotoProgress) { lock.lock(); reports.append(progress); lock.unlock() }
    var last: PhotoProgress? { lock.lock(); defer { lock.unlock() }; return reports.last }
}

func photoTests(_ r: Runner) async {
    await r.test("a photo added on one node: its thumbnail follows sync, its original is fetched with progress") {
        try await withNodes(2) { nodes in
            let (alice, bob) = (nodes[0], nodes[1])
            let hood = try await networkedPair(alice, bob)
            let drill = try await alice.addItem(neighbourhoodId: hood, draft: ItemDraft(title: "Perceuse", category: .tools))
            let photo = try await alice.addPhoto(itemId: drill.id, bytes: png(width: 300, height: 200))
            try expectEq([photo], try await alice.item(itemId: drill.id).photos, "the item shows the photo")
            let original = try await alice.photo(photo: photo, listener: nil)
            try expect(original.prefix(2) == Data([0xFF, 0xD8]), "a JPEG")

            try await bob.startNetwork(config: loopback)
            _ = try await awaitItem(bob, "Perceuse")
            while try await bob.thumbnail(photo: photo) == nil { try await Task.sleep(nanoseconds: 20_000_000) }
            let progress = ProgressRecorder()
            try expectEq(original, try await bob.photo(photo: photo, listener: progress), "the same original on bob's side")
            try expectEq(Int64(original.count), progress.last?.receivedBytes, "last progress report")
            let bad = try await expectError("a bad reference") { _ = try await bob.thumbnail(photo: "not a photo") }
            try expectEq(ErrorKind.invalidInput, bad.kind, "kind of a bad reference")
        }
    }
}
