package org.partage.android

import android.content.Context
import java.io.File

/**
 * Where Partage keeps its data on Android, and how to open it with the secrets in the Keystore.
 *
 * The data directory is `files/partage`, which the library's backup rules exclude from Auto Backup
 * and device-to-device transfer: point the app's manifest at them
 * (`android:dataExtractionRules="@xml/partage_data_extraction_rules"`,
 * `android:fullBackupContent="@xml/partage_backup_rules"`; merge them into the app's own rules if it
 * has some). The member and device secrets are not in it at all: [openPartageNode] keeps them in
 * the Android Keystore (ADR 0018).
 */
object PartageStorage {
    /** The data directory's name under `filesDir` (the one the backup rules name). */
    const val DEFAULT_NAME = "partage"

    /** The data directory (created by the node when it opens). */
    fun dataDir(context: Context): File = File(context.filesDir, DEFAULT_NAME)
}
