package org.partage

import kotlinx.coroutines.delay
import org.partage.ffi.ErrorKind
import org.partage.ffi.ItemDraft
import org.partage.ffi.PartageException
import org.partage.ffi.PhotoProgress
import org.partage.ffi.PhotoProgressListener
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.util.concurrent.CopyOnWriteArrayList
import javax.imageio.ImageIO

/** A PNG from the JVM's own encoder: red left half, blue right half. */
fun png(
    width: Int,
    height: Int,
): ByteArray {
    val img = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until width) for (y in 0 until height) img.setRGB(x, y, if (x < width / 2) 0xC80000 else 0x0000C8)
    return ByteArrayOutputStream().also { ImageIO.write(img, "png", it) }.toByteArray()
}

/** Polls [check] until it holds (a timeout, not a measurement: the test's own bounds it). */
suspend fun eventually(check: suspend () -> Boolean) {
    while (!check()) delay(20)
}

fun photoTests() {
    test("a photo added on one node: its thumbnail follows sync, its original is fetched with progress") {
        withNodes(2) { (alice, bob) ->
            val hood = networkedPair(alice, bob)
            val drill = alice.addItem(hood, ItemDraft(title = "Perceuse"))
            val photo = alice.addPhoto(drill.id, png(300, 200))
            expectEq(listOf(photo), alice.item(drill.id).photos, "the item shows the photo")
            val original = alice.photo(photo, null)
            check(original[0] == 0xFF.toByte() && original[1] == 0xD8.toByte()) { "a JPEG" }
            check(ImageIO.read(original.inputStream()).width == 300) { "size kept below 2048 px" }

            bob.startNetwork(LOOPBACK)
            awaitItem(bob, "Perceuse")
            eventually { bob.thumbnail(photo) != null }
            val reports = CopyOnWriteArrayList<PhotoProgress>()
            val listener =
                object : PhotoProgressListener {
                    override fun onProgress(progress: PhotoProgress) {
                        reports.add(progress)
                    }
                }
            check(bob.photo(photo, listener).contentEquals(original)) { "the same original on bob's side" }
            expectEq(original.size.toLong(), reports.last().receivedBytes, "last progress report")

            val bad = expectThrows<PartageException> { bob.thumbnail("not a photo") }
            expectEq(ErrorKind.INVALID_INPUT, bad.kind, "kind of a bad reference")
        }
    }
}
