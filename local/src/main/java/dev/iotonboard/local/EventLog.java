package dev.iotonboard.local;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** One line per event on the tool's output: {@code <UTC time> [<component>] <message>}. */
public final class EventLog {
    private final PrintStream out;

    public EventLog(PrintStream out) {
        this.out = out;
    }

    public void event(String component, String message) {
        synchronized (out) {
            out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " [" + component + "] " + message);
            out.flush();
        }
    }
}
