package dev.iotonboard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One pass of API calls: each device GETs the API route once with its own certificate (mutual TLS, a fresh
 * connection, as scripts/device/call-api.sh does), {@code concurrency} devices at a time.
 */
public final class ApiPass {

    /** One call: the device, the HTTP status (or a {@link DeviceConnection} code), its start and end (nanos). */
    public record Call(String thingName, int status, long startNanos, long endNanos) {
        public boolean authorized() {
            return status == 200;
        }

        public double millis() {
            return (endNanos - startNanos) / 1e6;
        }
    }

    /** The calls of one batch, with the authorizer's log samples and the tool's counters of its window. */
    public record Window(List<Call> calls, AuthorizerLog.Samples samples, JsonNode stats) {
    }

    private ApiPass() {
    }

    public static List<Call> run(List<Fleet.Member> members, int apiPort, String path, int concurrency)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, members.size())), r -> {
            Thread thread = new Thread(r, "api-caller");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<Call>> futures = new ArrayList<>();
            for (Fleet.Member member : members) {
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    int status = member.client().get(apiPort, path);
                    return new Call(member.thingName(), status, start, System.nanoTime());
                }));
            }
            List<Call> calls = new ArrayList<>();
            for (Future<Call> future : futures) {
                calls.add(future.get());
            }
            return Collections.unmodifiableList(calls);
        } finally {
            pool.shutdownNow();
        }
    }
}
