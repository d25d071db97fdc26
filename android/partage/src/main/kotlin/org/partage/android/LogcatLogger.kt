package org.partage.android

import android.util.Log
import org.partage.ffi.LogLevel
import org.partage.ffi.PartageLogger
import org.partage.ffi.installLogger

/**
 * Partage's log records in Logcat, under [tag], as "target: message". Install it once per process,
 * early (in `Application.onCreate`): `LogcatLogger.install(if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.INFO)`.
 * Messages may hold peer ids and LAN addresses, never keys, tickets or inventory contents.
 */
class LogcatLogger(
    private val tag: String = DEFAULT_TAG,
) : PartageLogger {
    override fun log(
        level: LogLevel,
        target: String,
        message: String,
    ) {
        Log.println(priority(level), tag, "$target: $message")
    }

    companion object {
        const val DEFAULT_TAG = "Partage"

        /** The Logcat priority of a Partage level. */
        fun priority(level: LogLevel): Int =
            when (level) {
                LogLevel.ERROR -> Log.ERROR
                LogLevel.WARN -> Log.WARN
                LogLevel.INFO -> Log.INFO
                LogLevel.DEBUG -> Log.DEBUG
                LogLevel.TRACE -> Log.VERBOSE
            }

        /** Installs Logcat as this process's Partage logger (throws `PartageException.InvalidInput`
         *  if a logger is already installed). Change the level later with `setLogLevel`. */
        fun install(
            level: LogLevel = LogLevel.INFO,
            tag: String = DEFAULT_TAG,
        ) = installLogger(LogcatLogger(tag), level)
    }
}
