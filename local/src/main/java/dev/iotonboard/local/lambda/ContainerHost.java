package dev.iotonboard.local.lambda;

import dev.iotonboard.local.EventLog;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every container of one runner shares: the settings, the log, the runtime client's JNI library, the live
 * containers by the access key id they sign with (crash faults find them so) and whether the runner is stopping.
 */
final class ContainerHost {
    final LambdaRunner.Settings settings;
    final EventLog log;
    /** The runtime interface client's native library, extracted once for every container (null: not found). */
    final Path nativeLibrary;
    final Map<String, Container> byAccessKeyId = new ConcurrentHashMap<>();
    private volatile boolean closed;
    volatile LambdaRunner.Observer observer = LambdaRunner.Observer.NONE;

    ContainerHost(LambdaRunner.Settings settings, EventLog log) {
        this.settings = settings;
        this.log = log;
        this.nativeLibrary = RuntimeClient.extractNativeLibrary(settings.runtimeClasspath(), log);
    }

    boolean closed() {
        return closed;
    }

    void close() {
        closed = true;
    }
}
