package dev.iotonboard.lambda.testing;

/**
 * One {@link Dynalite} per test JVM, started on first use and stopped when the JVM exits: handler tests take a fresh
 * table in it per test ({@link RegistryTable#on(Dynalite)}) instead of a node process each.
 */
public final class SharedDynalite {
    private static Dynalite instance;

    private SharedDynalite() {
    }

    /** The JVM's dynalite. */
    public static synchronized Dynalite get() {
        if (instance == null) {
            Dynalite started = Dynalite.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
            instance = started;
        }
        return instance;
    }
}
