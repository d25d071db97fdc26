package org.partage.android

import android.content.Context
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.partage.ffi.NetworkConfig
import org.partage.ffi.Node
import org.partage.ffi.SecretStore
import org.partage.ffi.eraseInstallation
import java.io.File

/**
 * Opens (creating if needed) the app's Partage data directory in its private files, with the
 * member and device secrets in the Android Keystore ([KeystoreSecretStore]; pass `secrets = null`
 * to keep them in the directory). A directory that still holds them has them moved out. Keep the
 * directory out of backups with the library's rules (see [PartageStorage]).
 */
suspend fun openPartageNode(
    context: Context,
    name: String = PartageStorage.DEFAULT_NAME,
    secrets: SecretStore? = KeystoreSecretStore(context.applicationContext),
): Node {
    val dir = File(context.filesDir, name).path
    return if (secrets == null) Node.open(dir) else Node.openWithSecretStore(dir, secrets)
}

/**
 * Deletes the installation that [openPartageNode] opens from this phone: its secrets in the
 * Keystore-wrapped store, then its store file and directory. Shut down and close the node first
 * (an open one is refused with `PartageException.Storage`, nothing deleted). Neighbours keep what
 * they synced: `Node.erase` each neighbourhood before this to take the user's data off their phones.
 */
suspend fun erasePartageInstallation(
    context: Context,
    name: String = PartageStorage.DEFAULT_NAME,
    secrets: SecretStore? = KeystoreSecretStore(context.applicationContext),
) = eraseInstallation(File(context.filesDir, name).path, secrets)

/**
 * Runs a node's network with the app's lifecycle: started once, paused when the app goes to the
 * background (peers are disconnected, nothing listens), resumed in the foreground, with NSD
 * discovery while in the foreground. All steps run one at a time, in order (a fair mutex: a step
 * that suspends, such as starting the network, is finished before the next one begins).
 */
class PartageNetwork(
    context: Context,
    private val node: Node,
    private val config: NetworkConfig = NetworkConfig(),
    private val lifecycle: Lifecycle = ProcessLifecycleOwner.get().lifecycle,
) : DefaultLifecycleObserver, AutoCloseable {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val steps = Mutex()
    private val discovery = NsdDiscovery(context, node, scope)
    private var onError: (Throwable) -> Unit = {}

    /** What LAN discovery did or failed to do (advertising, resolution, handing peers over). */
    val discoveryEvents: SharedFlow<NsdEvent> get() = discovery.events

    private fun step(block: suspend () -> Unit) {
        scope.launch { steps.withLock { runCatching { block() }.onFailure { onError(it) } } }
    }

    /** Starts the network and follows the lifecycle from now on (call on the main thread).
     *  Failures of this and later steps go to [onError]. */
    fun start(onError: (Throwable) -> Unit = {}) {
        this.onError = onError
        step {
            if (!node.isNetworkRunning()) node.startNetwork(config)
            discovery.start()
        }
        lifecycle.addObserver(this)
    }

    override fun onStart(owner: LifecycleOwner) =
        step {
            if (node.isNetworkRunning() && node.isNetworkPaused()) node.resumeNetwork()
            if (node.isNetworkRunning()) discovery.start()
        }

    override fun onStop(owner: LifecycleOwner) =
        step {
            discovery.stop()
            if (node.isNetworkRunning()) node.pauseNetwork()
        }

    /** Stops discovery and the network (call on the main thread). The node stays open: close it separately. */
    override fun close() {
        lifecycle.removeObserver(this)
        scope.launch {
            steps.withLock {
                discovery.stop()
                runCatching { node.shutdown() }
            }
            scope.cancel()
        }
    }
}
