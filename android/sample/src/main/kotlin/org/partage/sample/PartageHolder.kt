package org.partage.sample

import android.content.Context
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.partage.android.PartageNetwork
import org.partage.android.openPartageNode
import org.partage.ffi.Node

/**
 * The app's one [Node], held for the whole process (a data directory can be open in one node at a
 * time): opened once when the process starts, shared by every Activity (a rotation or a new
 * Activity never opens a second one) and by the background-sync worker. The network follows the
 * process lifecycle ([PartageNetwork]: paused in the background).
 */
class PartageHolder(
    private val context: Context,
    private val scope: CoroutineScope,
) {
    sealed interface State {
        data object Opening : State

        data class Ready(val node: Node) : State

        /** Opening failed, e.g. the keys are not in this phone's Keystore (a copied directory). */
        data class Failed(val message: String) : State
    }

    private val mutableState = MutableStateFlow<State>(State.Opening)
    private val opened = CompletableDeferred<Node>()

    /** What the UI shows: collect with `collectAsStateWithLifecycle()`. */
    val state: StateFlow<State> = mutableState

    /** Opens the node (call once, from `Application.onCreate`). */
    fun open() {
        scope.launch {
            try {
                val node = openPartageNode(context)
                if (node.identity() == null) node.createIdentity("Me")
                if (node.neighbourhoods().isEmpty()) node.createNeighbourhood("My street")
                // PartageNetwork observes the process lifecycle: start it on the main thread.
                withContext(Dispatchers.Main) { PartageNetwork(context, node).start() }
                opened.complete(node)
                mutableState.value = State.Ready(node)
            } catch (e: Throwable) {
                // Any failure (not only a PartageException: a missing native library, a Keystore
                // error, a cancelled scope) completes the waiter, so that node() never waits forever.
                opened.completeExceptionally(e)
                mutableState.value = State.Failed(e.message ?: e.toString())
                if (e is CancellationException) throw e
            }
        }
    }

    /** The node once open (what the background-sync worker waits for). */
    suspend fun node(): Node = opened.await()
}
