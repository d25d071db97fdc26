package org.partage.sample

import android.app.Application
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import org.partage.android.LogcatLogger
import org.partage.android.PartageBackgroundSync
import org.partage.android.PartageNodeProvider
import org.partage.ffi.LogLevel
import org.partage.ffi.Node

/** The process: holds the node ([PartageHolder]) and schedules the background sync. */
class SampleApp :
    Application(),
    PartageNodeProvider {
    val partage: PartageHolder by lazy { PartageHolder(this, CoroutineScope(SupervisorJob() + Dispatchers.Default)) }

    override fun onCreate() {
        super.onCreate()
        runCatching { LogcatLogger.install(LogLevel.INFO) }
        partage.open()
        PartageBackgroundSync.schedule(this)
    }

    override suspend fun partageNode(): Node = partage.node()
}
