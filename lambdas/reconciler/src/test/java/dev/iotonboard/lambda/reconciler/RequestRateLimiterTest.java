package dev.iotonboard.lambda.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotonboard.lambda.testing.Fault;
import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iot.IotClient;

/** The limiter's arithmetic on a clock the test moves; nothing sleeps. */
class RequestRateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Long> waits = new ArrayList<>();
    private final RequestRateLimiter limiter = new RequestRateLimiter(2, now::get, waits::add);

    @Test
    void spacesRequestsOfOneOperationByTheInterval() {
        limiter.acquire("DescribeCertificate");
        limiter.acquire("DescribeCertificate");
        limiter.acquire("DescribeCertificate");

        assertEquals(List.of(500_000_000L, 1_000_000_000L), waits);
    }

    @Test
    void operationsDoNotWaitForEachOther() {
        limiter.acquire("DescribeCertificate");
        limiter.acquire("ListPrincipalThings");
        limiter.acquire("ListCertificatesByCA");

        assertEquals(List.of(), waits);
    }

    @Test
    void requestsSpacedWiderThanTheIntervalDoNotWait() {
        limiter.acquire("AttachPolicy");
        now.addAndGet(600_000_000L);
        limiter.acquire("AttachPolicy");
        now.addAndGet(100_000_000L);
        limiter.acquire("AttachPolicy");

        assertEquals(List.of(400_000_000L), waits);
    }

    @Test
    void everyHttpAttemptPassesThroughTheLimiter_retriesIncluded() {
        try (IotDouble iot = IotDouble.start();
                IotClient client = iot.client(IotDouble.fastRetries(), List.of(limiter))) {
            TestPki pki = TestPki.newCa("limiter-ca");
            String id = iot.addCertificate(pki.issueDevice().pem(), pki.caId(), "ACTIVE");
            iot.failNext("DescribeCertificate", 2, Fault.THROTTLING);

            client.describeCertificate(r -> r.certificateId(id));
            client.describeCertificate(r -> r.certificateId(id));

            assertEquals(4, iot.callCount("DescribeCertificate"));
            assertEquals(List.of(500_000_000L, 1_000_000_000L, 1_500_000_000L), waits,
                    "4 attempts of one operation: the first goes at once, each later one waits a further interval");
        }
    }

    @Test
    void rejectsARateBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> new RequestRateLimiter(0));
    }
}
