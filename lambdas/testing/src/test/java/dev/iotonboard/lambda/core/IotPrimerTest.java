package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.lambda.testing.IotDouble;
import dev.iotonboard.lambda.testing.TestPki;
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

    private static final TestPki PKI = TestPki.newCa("client-test-ca");

    private IotDouble iot;
    private String id;
    private final IotPrimer primer = new IotPrimer();
    private IotClient client;

    @BeforeEach
    void start() {
        iot = IotDouble.start();
        id = iot.addCertificate(PKI.issueDevice().pem(), PKI.caId(), "ACTIVE");
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
                c -> c.describeCertificate(r -> r.certificateId(id)),
                c -> c.updateCertificate(r -> r.certificateId(id).newStatus(CertificateStatus.REVOKED)),
                c -> c.attachPolicy(r -> r.policyName("p").target("arn"))));

        assertEquals(3, primed);
        assertEquals(List.of(), iot.operations());
        assertEquals("ACTIVE", iot.certificateStatus(id));
    }

    @Test
    void operationNames_areTheSdkOperationsOfTheRequests_withoutSendingThem() {
        Set<String> names = IotPrimer.operationNames(List.of(
                c -> c.describeCertificate(r -> r.certificateId(id)),
                c -> c.listCertificatesByCA(r -> r.caCertificateId(id)),
                c -> c.describeCACertificate(r -> r.certificateId(id)),
                c -> c.describeCertificate(r -> r.certificateId("f".repeat(64)))));

        assertEquals(Set.of("DescribeCertificate", "ListCertificatesByCA", "DescribeCACertificate"), names);
        assertEquals(List.of(), iot.operations());
    }

    @Test
    void afterPriming_theClientSendsRequestsAsUsual() {
        primer.prime(client, List.of(c -> c.describeCertificate(r -> r.certificateId(id))));

        assertEquals("ACTIVE", client.describeCertificate(r -> r.certificateId(id)).certificateDescription()
                .statusAsString());
        assertEquals(List.of("DescribeCertificate"), iot.operations());
    }

    @Test
    void prime_refusesAClientItIsNotInstalledOn() {
        try (IotClient plain = iot.client()) {
            assertThrows(IllegalStateException.class,
                    () -> primer.prime(plain, List.of(c -> c.describeCertificate(r -> r.certificateId(id)))));
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
