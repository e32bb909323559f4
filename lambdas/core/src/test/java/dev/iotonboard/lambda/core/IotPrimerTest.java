package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.core.testing.IotDouble;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.crac.Context;
import org.crac.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iot.IotClient;
import software.amazon.awssdk.services.iot.model.CertificateStatus;

class IotPrimerTest {

    private static final String ID = "0123456789abcdef".repeat(4);

    private IotDouble iot;
    private final IotPrimer primer = new IotPrimer();
    private IotClient client;

    @BeforeEach
    void start() {
        iot = IotDouble.start();
        iot.addCertificateId(ID, "ca", "ACTIVE");
        client = iot.client(IotDouble.fastRetries(), List.of(primer));
    }

    @AfterEach
    void stop() {
        client.close();
        iot.close();
    }

    @Test
    void prime_runsRequestsThroughTheSdkWithoutSendingThem() {
        int primed = primer.prime(client, List.of(
                c -> c.describeCertificate(r -> r.certificateId(ID)),
                c -> c.updateCertificate(r -> r.certificateId(ID).newStatus(CertificateStatus.REVOKED)),
                c -> c.attachPolicy(r -> r.policyName("p").target("arn"))));

        assertEquals(3, primed);
        assertEquals(List.of(), iot.operations());
        assertEquals("ACTIVE", iot.certificateStatus(ID));
    }

    @Test
    void operationNames_areTheSdkOperationsOfTheRequests_withoutSendingThem() {
        Set<String> names = IotPrimer.operationNames(List.of(
                c -> c.describeCertificate(r -> r.certificateId(ID)),
                c -> c.listCertificatesByCA(r -> r.caCertificateId(ID)),
                c -> c.describeCACertificate(r -> r.certificateId(ID)),
                c -> c.describeCertificate(r -> r.certificateId("f".repeat(64)))));

        assertEquals(Set.of("DescribeCertificate", "ListCertificatesByCA", "DescribeCACertificate"), names);
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void afterPriming_theClientSendsRequestsAsUsual() {
        primer.prime(client, List.of(c -> c.describeCertificate(r -> r.certificateId(ID))));

        assertEquals("ACTIVE", client.describeCertificate(r -> r.certificateId(ID)).certificateDescription()
                .statusAsString());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void prime_refusesAClientItIsNotInstalledOn() {
        try (IotClient plain = iot.client()) {
            assertThrows(IllegalStateException.class,
                    () -> primer.prime(plain, List.of(c -> c.describeCertificate(r -> r.certificateId(ID)))));
        }
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void prime_letsOtherFailuresThrough() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> primer.prime(client,
                List.of(c -> {
                    throw new IllegalArgumentException("not a priming abort");
                })));
        assertEquals("not a priming abort", e.getMessage());
    }

    @Test
    void snapStartHook_runsThePrimingBeforeTheCheckpoint_andSwallowsItsFailure() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        SnapStartPriming hook = SnapStartPriming.register(runs::incrementAndGet);
        List<String> logs = new ArrayList<>();
        JsonLogger.redirect(logs::add);
        try {
            hook.beforeCheckpoint(noContext());
            SnapStartPriming.register(() -> {
                throw new IllegalStateException("boom");
            }).beforeCheckpoint(noContext());
        } finally {
            JsonLogger.redirect(null);
        }

        assertEquals(1, runs.get());
        assertTrue(logs.stream().anyMatch(l -> l.contains("\"level\":\"WARN\"") && l.contains("boom")),
                logs.toString());
    }

    private static Context<Resource> noContext() {
        return new Context<>() {
            @Override
            public void beforeCheckpoint(Context<? extends Resource> context) {
            }

            @Override
            public void afterRestore(Context<? extends Resource> context) {
            }

            @Override
            public void register(Resource resource) {
            }
        };
    }
}
