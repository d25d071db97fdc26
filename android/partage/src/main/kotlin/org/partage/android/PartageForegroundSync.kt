package org.partage.android

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.content.pm.ServiceInfo
import android.os.Build
import android.util.Log
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.ExistingWorkPolicy
import androidx.work.ForegroundInfo
import androidx.work.ListenableWorker
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.Operation
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import kotlinx.coroutines.CancellationException
import kotlin.time.Duration
import kotlin.time.Duration.Companion.minutes

/**
 * A sync longer than a background worker's window, as a **foreground service of type `dataSync`**
 * (with WorkManager's own foreground service): for "sync everything now" after a long absence, or
 * a first sync of a big neighbourhood. It shows [notification] while it runs (Android requires a
 * visible notification) and runs one bounded [org.partage.ffi.Node.syncInBackground], like
 * [PartageSyncWorker].
 *
 * Optional: apps that use it declare, in their manifest,
 * ```xml
 * <uses-permission android:name="android.permission.FOREGROUND_SERVICE" />
 * <uses-permission android:name="android.permission.FOREGROUND_SERVICE_DATA_SYNC" />
 * <uses-permission android:name="android.permission.POST_NOTIFICATIONS" />
 * <service android:name="androidx.work.impl.foreground.SystemForegroundService"
 *     android:foregroundServiceType="dataSync" tools:node="merge" />
 * ```
 * (and the Play Console's foreground-service declaration). The library does not, so that apps
 * that do not use it ask for nothing. Android 15+ allows `dataSync` services 6 hours a day.
 */
class PartageForegroundSyncWorker(
    context: Context,
    params: WorkerParameters,
) : CoroutineWorker(context, params) {
    override suspend fun doWork(): ListenableWorker.Result {
        // Android may refuse a foreground service (Android 12+ from the background:
        // ForegroundServiceStartNotAllowedException; a missing permission or service declaration:
        // SecurityException / IllegalStateException). The sync still runs then, as an ordinary
        // worker: within an ordinary worker's window (WorkManager stops those after 10 minutes).
        val maxTimeout =
            try {
                setForeground(foregroundInfo(applicationContext))
                MAX_TIMEOUT
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                Log.println(Log.WARN, TAG, "no foreground service (${e.javaClass.simpleName}: ${e.message}); syncing without it")
                PartageSyncWorker.MAX_TIMEOUT
            }
        return PartageSyncWorker.runOnce(applicationContext, inputData, runAttemptCount, maxTimeout)
    }

    companion object {
        const val CHANNEL_ID = "partage-sync"
        const val NOTIFICATION_ID = 0x5a17
        const val WORK_NAME = "partage-foreground-sync"
        private const val TAG = LogcatLogger.DEFAULT_TAG
        val MAX_TIMEOUT: Duration = 30.minutes

        /** The notification shown while syncing (a low-importance channel, created if needed). */
        fun notification(context: Context): Notification {
            val manager = context.getSystemService(NotificationManager::class.java)
            manager.createNotificationChannel(NotificationChannel(CHANNEL_ID, "Syncing with neighbours", NotificationManager.IMPORTANCE_LOW))
            return Notification
                .Builder(context, CHANNEL_ID)
                .setContentTitle("Syncing with neighbours")
                .setSmallIcon(android.R.drawable.stat_notify_sync)
                .setOngoing(true)
                .build()
        }

        private fun foregroundInfo(context: Context): ForegroundInfo =
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
                ForegroundInfo(NOTIFICATION_ID, notification(context), ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC)
            } else {
                ForegroundInfo(NOTIFICATION_ID, notification(context))
            }

        /** Starts one foreground sync of at most [timeout] (30 minutes at most), replacing a pending one. */
        fun start(
            context: Context,
            timeout: Duration = 10.minutes,
        ): Operation {
            val request =
                OneTimeWorkRequest
                    .Builder(PartageForegroundSyncWorker::class.java)
                    .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                    .setInputData(
                        Data
                            .Builder()
                            .putLong(PartageSyncWorker.KEY_TIMEOUT_MS, timeout.coerceAtMost(MAX_TIMEOUT).inWholeMilliseconds)
                            .build(),
                    ).build()
            return WorkManager.getInstance(context).enqueueUniqueWork(WORK_NAME, ExistingWorkPolicy.REPLACE, request)
        }
    }
}
