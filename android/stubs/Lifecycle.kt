// Type-check stub (scripts/bindings/check-android-glue.sh): the few Android/AndroidX signatures the
// glue in partage/src/main uses, copied from the SDK. Never packaged; the real SDK replaces it.
@file:Suppress("unused", "UNUSED_PARAMETER")
package androidx.lifecycle
interface LifecycleOwner { val lifecycle: Lifecycle }
interface LifecycleObserver
interface DefaultLifecycleObserver : LifecycleObserver {
    fun onStart(owner: LifecycleOwner) {}
    fun onStop(owner: LifecycleOwner) {}
}
abstract class Lifecycle {
    abstract fun addObserver(o: LifecycleObserver)
    abstract fun removeObserver(o: LifecycleObserver)
    enum class State { DESTROYED, INITIALIZED, CREATED, STARTED, RESUMED }
}
class ProcessLifecycleOwner private constructor() : LifecycleOwner {
    override val lifecycle: Lifecycle get() = throw UnsupportedOperationException()
    companion object { fun get(): LifecycleOwner = ProcessLifecycleOwner() }
}
