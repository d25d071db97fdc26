// Type-check stub (scripts/bindings/check-android-glue.sh): the few WorkManager (androidx.work,
// work-runtime 2.10) signatures the glue in partage/src/main uses, copied from its API. Never
// packaged; the real library replaces it. (The real builders share a generic base,
// WorkRequest.Builder<B, W>; calls written against these stubs compile against it unchanged.)
@file:Suppress("unused", "UNUSED_PARAMETER")
package androidx.work
import android.content.Context
import java.util.concurrent.TimeUnit
class WorkerParameters
class Data private constructor() {
    fun getLong(key: String, defaultValue: Long): Long = defaultValue
    fun getString(key: String): String? = null
    class Builder {
        fun putLong(key: String, value: Long): Builder = this
        fun putString(key: String, value: String?): Builder = this
        fun putInt(key: String, value: Int): Builder = this
        fun putBoolean(key: String, value: Boolean): Builder = this
        fun build(): Data = Data()
    }
    companion object { @JvmField val EMPTY: Data = Data() }
}
abstract class ListenableWorker(appContext: Context, workerParams: WorkerParameters) {
    val applicationContext: Context get() = throw UnsupportedOperationException()
    val inputData: Data get() = throw UnsupportedOperationException()
    val runAttemptCount: Int get() = 0
    abstract class Result internal constructor() {
        companion object {
            @JvmStatic fun success(): Result = throw UnsupportedOperationException()
            @JvmStatic fun success(outputData: Data): Result = throw UnsupportedOperationException()
            @JvmStatic fun retry(): Result = throw UnsupportedOperationException()
            @JvmStatic fun failure(): Result = throw UnsupportedOperationException()
            @JvmStatic fun failure(outputData: Data): Result = throw UnsupportedOperationException()
        }
    }
}
abstract class CoroutineWorker(appContext: Context, params: WorkerParameters) : ListenableWorker(appContext, params) {
    abstract suspend fun doWork(): Result
    suspend fun setForeground(foregroundInfo: ForegroundInfo) {}
}
class ForegroundInfo {
    constructor(notificationId: Int, notification: android.app.Notification)
    constructor(notificationId: Int, notification: android.app.Notification, foregroundServiceType: Int)
}
enum class ExistingWorkPolicy { REPLACE, KEEP, APPEND, APPEND_OR_REPLACE }
class OneTimeWorkRequest private constructor() : WorkRequest() {
    class Builder(workerClass: Class<out ListenableWorker>) {
        fun setConstraints(constraints: Constraints): Builder = this
        fun setInputData(inputData: Data): Builder = this
        fun build(): OneTimeWorkRequest = OneTimeWorkRequest()
    }
}
enum class NetworkType { NOT_REQUIRED, CONNECTED, UNMETERED, NOT_ROAMING, METERED, TEMPORARILY_UNMETERED }
class Constraints private constructor() {
    class Builder {
        fun setRequiredNetworkType(networkType: NetworkType): Builder = this
        fun setRequiresBatteryNotLow(requiresBatteryNotLow: Boolean): Builder = this
        fun build(): Constraints = Constraints()
    }
}
enum class ExistingPeriodicWorkPolicy { REPLACE, KEEP, UPDATE, CANCEL_AND_REENQUEUE }
interface Operation
abstract class WorkRequest
class PeriodicWorkRequest private constructor() : WorkRequest() {
    class Builder(workerClass: Class<out ListenableWorker>, repeatInterval: Long, repeatIntervalTimeUnit: TimeUnit) {
        fun setConstraints(constraints: Constraints): Builder = this
        fun setInputData(inputData: Data): Builder = this
        fun addTag(tag: String): Builder = this
        fun build(): PeriodicWorkRequest = PeriodicWorkRequest()
    }
    companion object { const val MIN_PERIODIC_INTERVAL_MILLIS: Long = 15 * 60 * 1000L }
}
abstract class WorkManager {
    abstract fun enqueueUniquePeriodicWork(
        uniqueWorkName: String,
        existingPeriodicWorkPolicy: ExistingPeriodicWorkPolicy,
        request: PeriodicWorkRequest,
    ): Operation
    abstract fun cancelUniqueWork(uniqueWorkName: String): Operation
    abstract fun enqueueUniqueWork(uniqueWorkName: String, existingWorkPolicy: ExistingWorkPolicy, request: OneTimeWorkRequest): Operation
    companion object { @JvmStatic fun getInstance(context: Context): WorkManager = throw UnsupportedOperationException() }
}
