// Type-check stub (scripts/bindings/check-android-glue.sh): notifications and their channels,
// written from the SDK's signatures. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER", "ClassName")

package android.app

import android.content.Context

class Notification {
    class Builder(
        context: Context,
        channelId: String,
    ) {
        fun setContentTitle(title: CharSequence?): Builder = this

        fun setSmallIcon(icon: Int): Builder = this

        fun setOngoing(ongoing: Boolean): Builder = this

        fun build(): Notification = Notification()
    }
}

class NotificationChannel(
    id: String,
    name: CharSequence,
    importance: Int,
)

open class NotificationManager {
    fun createNotificationChannel(channel: NotificationChannel) {}

    companion object {
        const val IMPORTANCE_LOW: Int = 2
    }
}
