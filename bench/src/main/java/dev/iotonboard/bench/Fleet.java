package dev.iotonboard.bench;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * Simulated devices, each with its own EC P-256 key and certificate (CN = thing name = a random UUID) issued by the
 * benchmark's CA, and the pool that runs their onboarding flow concurrently.
 */
public final class Fleet {

    /** One device: its flow and its connections (the same TLS identity serves the API). */
    public record Member(String thingName, SimulatedDevice device, DeviceClient client) {
    }

    private Fleet() {
    }

    /** {@code n} new devices of {@code pki}'s CA, connecting to {@code endpoints}. */
    public static List<Member> generate(int n, BenchPki pki, DeviceTls tls, LocalTool.Endpoints endpoints,
            SimulatedDevice.Behaviour behaviour) throws GeneralSecurityException {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String thing = UUID.randomUUID().toString();
            BenchPki.Issued certificate = pki.device(thing);
            SSLContext context = tls.context(certificate, pki.ca().certificate());
            DeviceClient client = new DeviceClient(context, endpoints.host(), endpoints.httpsPort(),
                    endpoints.mqttPort());
            members.add(new Member(thing, new SimulatedDevice(thing,
                    BenchPki.certificateId(certificate.certificate()), client, behaviour, System::nanoTime), client));
        }
        return Collections.unmodifiableList(members);
    }

    /**
     * Runs every member's onboarding flow, at most {@code threads} at once, until each is onboarded or the deadline
     * passes; logs progress every 10 s under {@code label}.
     */
    public static List<DeviceResult> onboard(List<Member> members, int threads, Duration deadline, LocalTool tool,
            String label) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "device");
            thread.setDaemon(true);
            return thread;
        });
        long deadlineNanos = System.nanoTime() + deadline.toNanos();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger onboarded = new AtomicInteger();
        List<Future<DeviceResult>> futures = new ArrayList<>();
        for (Member member : members) {
            futures.add(pool.submit(() -> {
                DeviceResult result = member.device().run(deadlineNanos);
                done.incrementAndGet();
                if (result.onboarded()) {
                    onboarded.incrementAndGet();
                }
                return result;
            }));
        }
        pool.shutdown();
        long started = System.nanoTime();
        while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
            Stage.log(String.format("%s%.0f s: %d onboarded, %d finished of %d%s", label,
                    (System.nanoTime() - started) / 1e9, onboarded.get(), done.get(), members.size(),
                    tool.isAlive() ? "" : " (the tool exited!)"));
        }
        List<DeviceResult> results = new ArrayList<>();
        for (Future<DeviceResult> future : futures) {
            results.add(future.get());
        }
        return Collections.unmodifiableList(results);
    }
}
