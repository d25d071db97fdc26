// Type-check stub (scripts/bindings/check-android-glue.sh): the few Android/AndroidX signatures the
// glue in partage/src/main uses, copied from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.net.nsd
import java.net.InetAddress
open class NsdServiceInfo {
    var serviceName: String? = null
    var serviceType: String? = null
    var port: Int = 0
    @Deprecated("x") var host: InetAddress? = null
    val attributes: Map<String, ByteArray?> = emptyMap()
    val hostAddresses: List<InetAddress> = emptyList()
    fun setAttribute(key: String, value: String?) {}
}
open class NsdManager {
    companion object {
        const val PROTOCOL_DNS_SD = 1
        const val FAILURE_INTERNAL_ERROR = 0
        const val FAILURE_ALREADY_ACTIVE = 3
        const val FAILURE_MAX_LIMIT = 4
    }
    interface RegistrationListener {
        fun onServiceRegistered(serviceInfo: NsdServiceInfo)
        fun onRegistrationFailed(serviceInfo: NsdServiceInfo, errorCode: Int)
        fun onServiceUnregistered(serviceInfo: NsdServiceInfo)
        fun onUnregistrationFailed(serviceInfo: NsdServiceInfo, errorCode: Int)
    }
    interface DiscoveryListener {
        fun onServiceFound(serviceInfo: NsdServiceInfo)
        fun onServiceLost(serviceInfo: NsdServiceInfo)
        fun onDiscoveryStarted(serviceType: String)
        fun onDiscoveryStopped(serviceType: String)
        fun onStartDiscoveryFailed(serviceType: String, errorCode: Int)
        fun onStopDiscoveryFailed(serviceType: String, errorCode: Int)
    }
    interface ServiceInfoCallback {
        fun onServiceInfoCallbackRegistrationFailed(errorCode: Int)
        fun onServiceUpdated(serviceInfo: NsdServiceInfo)
        fun onServiceLost()
        fun onServiceInfoCallbackUnregistered()
    }
    interface ResolveListener {
        fun onServiceResolved(serviceInfo: NsdServiceInfo)
        fun onResolveFailed(serviceInfo: NsdServiceInfo, errorCode: Int)
    }
    fun registerService(s: NsdServiceInfo, p: Int, l: RegistrationListener) {}
    fun unregisterService(l: RegistrationListener) {}
    fun discoverServices(t: String, p: Int, l: DiscoveryListener) {}
    fun stopServiceDiscovery(l: DiscoveryListener) {}
    @Deprecated("x") fun resolveService(s: NsdServiceInfo, l: ResolveListener) {}
    fun registerServiceInfoCallback(s: NsdServiceInfo, e: java.util.concurrent.Executor, c: ServiceInfoCallback) {}
    fun unregisterServiceInfoCallback(c: ServiceInfoCallback) {}
}
