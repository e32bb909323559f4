package dev.iotonboard.local;

import java.util.concurrent.ThreadFactory;

/** Thread factories every room shares: the tool's threads never keep the JVM alive on their own. */
public final class Threads {

    private Threads() {
    }

    /** Daemon threads, all named {@code name}. */
    public static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
