package dev.iotonboard.lambda.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvCaCertificateIdsTest {

    private static final String CA1 = "a".repeat(64);
    private static final String CA2 = "b".repeat(64);

    @Test
    void caCertificateIds_readsACommaSeparatedListInOrder() {
        assertEquals(List.of(CA1, CA2), Env.of(Map.of("CA_CERTIFICATE_IDS", CA1 + "," + CA2)).caCertificateIds());
        assertEquals(List.of(CA2, CA1), Env.of(Map.of("CA_CERTIFICATE_IDS", " " + CA2 + " , " + CA1 + " "))
                .caCertificateIds());
    }

    @Test
    void caCertificateIds_fallsBackToTheSingleId() {
        assertEquals(List.of(CA1), Env.of(Map.of("CA_CERTIFICATE_ID", CA1)).caCertificateIds());
        assertEquals(List.of(CA1), Env.of(Map.of("CA_CERTIFICATE_ID", CA1, "CA_CERTIFICATE_IDS", CA1))
                .caCertificateIds());
    }

    @Test
    void caCertificateIds_isEmptyWhenNeitherIsSet() {
        assertEquals(List.of(), Env.of(Map.of()).caCertificateIds());
        assertEquals(List.of(), Env.of(Map.of("CA_CERTIFICATE_IDS", " ", "CA_CERTIFICATE_ID", "")).caCertificateIds());
    }

    @Test
    void caCertificateIds_refusesMalformedEntriesDuplicatesAndConflicts() {
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1 + ",," + CA2)).contains("''"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1 + ",")).contains("''"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1.toUpperCase())).contains("64 lowercase hex"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1 + ";" + CA2)).contains("comma-separated"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1 + "," + CA1)).contains("twice"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_IDS", CA1 + "," + CA2, "CA_CERTIFICATE_ID", CA1))
                .contains("differ"));
        assertTrue(refused(Map.of("CA_CERTIFICATE_ID", "x")).contains("CA_CERTIFICATE_ID"));
    }

    private static String refused(Map<String, String> env) {
        return assertThrows(IllegalStateException.class, () -> Env.of(env).caCertificateIds()).getMessage();
    }
}
