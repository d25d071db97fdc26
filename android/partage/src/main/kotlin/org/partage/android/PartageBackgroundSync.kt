package org.partage.android

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.Operation
import androidx.work.PeriodicWorkRequest
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import org.partage.ffi.BackgroundSyncReport
import org.partage.ffi.NetworkConfig
import org.partage.ffi.Node
import org.partage.ffi.PartageException
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/**
 * Implemented by the app's `Application` class: how [PartageSyncWorker] reaches the app's node.
 * A data directory can be open in one [Node] at a time, so the worker must use the app's own
 * (held for the whole process, opened on first use), never open a second one.
 */
interface PartageNodeProvider {
    /** The app's node for this process, opened on first use (e.g. with [openPartageNode]). */
    suspend fun partageNode(): Node

    /** How a background sync starts the network when the app has not started it (the process
     *  was launched for the worker): every interface, mDNS off, unless overridden. */
    fun partageNetworkConfig(): NetworkConfig = NetworkConfig()
}

/**
 * A WorkManager worker that runs one bounded background sync: [Node.syncInBackground] resumes the
 * network if the app paused it (or starts it if the process was launched for this work), syncs
 * with known peers for at most [KEY_TIMEOUT_MS] milliseconds, and leaves the network paused or
 * stopped as it found it. When WorkManager stops the worker (constraints lost, time limit), the
 * coroutine is cancelled and the cancellation reaches Rust: the sync ends at once and the network
 * is still put back as it was.
 *
 * The app's `Application` must implement [PartageNodeProvider]. Schedule it with
 * [PartageBackgroundSync.schedule].
 */
class PartageSyncWorker(
    context: Context,
    params: WorkerParameters,
) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result = runOnce(applicationContext, inputData, runAttemptCount, MAX_TIMEOUT)

    companion object {
        /** Input: the sync window in milliseconds (1 s to 9 minutes: WorkManager stops workers after 10). */
        const val KEY_TIMEOUT_MS = "partage.timeout_ms"

        /** Output keys: what the sync moved (see [BackgroundSyncReport]). */
        const val KEY_PEERS_SYNCED = "partage.peers_synced"
        const val KEY_DOCS_RECEIVED = "partage.docs_received"
        const val KEY_DOCS_SENT = "partage.docs_sent"
        const val KEY_TIMED_OUT = "partage.timed_out"

        val DEFAULT_TIMEOUT: Duration = 30.seconds
        val MAX_TIMEOUT: Duration = 9.minutes
        const val MAX_RETRIES = 3

        /** One bounded background sync with the app's node, as a worker result (shared with
         *  [PartageForegroundSyncWorker], which allows a longer window). */
        internal suspend fun runOnce(
            context: Context,
            input: Data,
            attempt: Int,
            maxTimeout: Duration,
        ): Result {
            val provider = context as? PartageNodeProvider ?: return Result.failure()
            val timeout = input.getLong(KEY_TIMEOUT_MS, DEFAULT_TIMEOUT.inWholeMilliseconds).coerceIn(1_000L, maxTimeout.inWholeMilliseconds)
            return try {
                val report = provider.partageNode().syncInBackground(java.time.Duration.ofMillis(timeout), provider.partageNetworkConfig())
                Result.success(report.toData())
            } catch (e: PartageException) {
                when (e) {
                    // Nothing to sync yet (no identity): not a failure of the schedule.
                    is PartageException.NoIdentity -> Result.success()
                    // Worth another try later (WorkManager backs off).
                    is PartageException.Network, is PartageException.Busy, is PartageException.Io ->
                        if (attempt < MAX_RETRIES) Result.retry() else Result.failure()
                    else -> Result.failure()
                }
            }
        }
    }
}

/** The report as WorkManager output data. */
fun BackgroundSyncReport.toData(): Data =
    Data.Builder()
        .putInt(PartageSyncWorker.KEY_PEERS_SYNCED, peersSynced)
        .putInt(PartageSyncWorker.KEY_DOCS_RECEIVED, docsReceived)
        .putInt(PartageSyncWorker.KEY_DOCS_SENT, docsSent)
        .putBoolean(PartageSyncWorker.KEY_TIMED_OUT, timedOut)
        .build()

/** Periodic background sync with WorkManager. */
object PartageBackgroundSync {
    /** The unique work name: one periodic sync per app. */
    const val WORK_NAME = "partage-background-sync"

    /**
     * Schedules [PartageSyncWorker] every [repeatInterval] (at least 15 minutes, WorkManager's
     * minimum) when a network is connected and the battery is not low, each run syncing for at
     * most [timeout]. [policy] `KEEP` leaves an existing schedule alone; `UPDATE` changes it.
     */
    fun schedule(
        context: Context,
        repeatInterval: Duration = 1.hours,
        timeout: Duration = PartageSyncWorker.DEFAULT_TIMEOUT,
        policy: ExistingPeriodicWorkPolicy = ExistingPeriodicWorkPolicy.KEEP,
    ): Operation {
        val minutes = repeatInterval.inWholeMinutes.coerceAtLeast(15L)
        val constraints =
            Constraints.Builder()
                .setRequiredNetworkType(NetworkType.CONNECTED)
                .setRequiresBatteryNotLow(true)
                .build()
        val input =
            Data.Builder()
                .putLong(PartageSyncWorker.KEY_TIMEOUT_MS, timeout.inWholeMilliseconds)
                .build()
        val request =
            PeriodicWorkRequest.Builder(PartageSyncWorker::class.java, minutes, TimeUnit.MINUTES)
                .setConstraints(constraints)
                .setInputData(input)
                .build()
        return WorkManager.getInstance(context).enqueueUniquePeriodicWork(WORK_NAME, policy, request)
    }

    /** Cancels the periodic sync. */
    fun cancel(context: Context): Operation = WorkManager.getInstance(context).cancelUniqueWork(WORK_NAME)
}
