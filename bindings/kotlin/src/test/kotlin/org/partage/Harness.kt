package org.partage

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.partage.ffi.Node
import java.io.File
import java.nio.file.Files
import kotlin.system.exitProcess

// A minimal test runner: no JUnit jar is needed on the class path, and the closing line
// ("kotlin: N passed, M failed") is the one CI reads.

private var passed = 0
private var failed = 0

fun test(
    name: String,
    body: suspend CoroutineScope.() -> Unit,
) {
    val start = System.nanoTime()
    val error =
        try {
            runBlocking { withTimeout(60_000) { body() } }
            null
        } catch (t: Throwable) {
            t
        }
    val ms = (System.nanoTime() - start) / 1_000_000
    if (error == null) {
        passed++
        println("ok      $name ($ms ms)")
    } else {
        failed++
        println("FAILED  $name ($ms ms)")
        error.printStackTrace(System.out)
    }
}

fun finish(): Nothing {
    println()
    println("kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}

fun check(
    condition: Boolean,
    message: () -> String,
) {
    if (!condition) throw AssertionError(message())
}

fun <T> expectEq(
    expected: T,
    actual: T,
    what: String,
) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

suspend inline fun <reified E : Throwable> expectThrows(crossinline block: suspend () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

/** Opens [count] nodes in fresh temporary directories, runs [body], then closes and deletes them. */
suspend fun withNodes(
    count: Int,
    body: suspend (List<Node>) -> Unit,
) {
    val dirs = (1..count).map { Files.createTempDirectory("partage-kt").toFile() }
    val nodes = dirs.map { Node.open(it.path) }
    try {
        body(nodes)
    } finally {
        nodes.forEach {
            it.shutdown()
            it.close()
        }
        dirs.forEach(File::deleteRecursively)
    }
}

fun tempDir(): File = Files.createTempDirectory("partage-kt").toFile()
