package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** caCertificateIds (a CA rotation's overlap) and the truststore bundle checked against it and API Gateway's quotas. */
class CaRotationConfigTest {
    private static Path ca1;
    private static Path ca2;
    private static Path unlisted;
    private static String id1;
    private static String id2;

    @TempDir
    Path dir;

    private final Map<String, Object> context = new HashMap<>(Map.of(
            "domainName", "devices.acme.org",
            "certificateArn", "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef"));

    @BeforeAll
    static void cas() {
        ca1 = TestCa.create("CA 1");
        ca2 = TestCa.create("CA 2");
        unlisted = TestCa.create("Unlisted CA");
        id1 = TestCa.id(ca1);
        id2 = TestCa.id(ca2);
    }

    private Path bundle(Path... pems) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path pem : pems) {
            text.append(Files.readString(pem));
        }
        Path bundle = Files.createTempFile(dir, "bundle", ".pem");
        Files.writeString(bundle, text);
        return bundle;
    }

    private OnboardingConfig read() {
        return OnboardingConfig.fromContext(context::get, SynthesizedStack.ROOT);
    }

    private List<String> problems() {
        return assertThrows(InvalidConfigurationException.class, this::read).problems();
    }

    private static void assertOneProblem(List<String> problems, String... parts) {
        assertEquals(1, problems.size(), problems.toString());
        for (String part : parts) {
            assertTrue(problems.get(0).contains(part), problems.get(0));
        }
    }

    // ---- the list -----------------------------------------------------------------------------------------------

    @Test
    void caCertificateIds_readsAJsonArrayInItsOrder() throws IOException {
        context.put("truststorePath", bundle(ca1, ca2).toString());
        context.put("caCertificateIds", List.of(id2, id1));

        assertEquals(List.of(id2, id1), read().caCertificateIds());
    }

    @Test
    void caCertificateIds_readsACommaSeparatedCommandLineValue() throws IOException {
        context.put("truststorePath", bundle(ca1, ca2).toString());
        context.put("caCertificateIds", id1 + " , " + id2);

        assertEquals(List.of(id1, id2), read().caCertificateIds());
    }

    @Test
    void caCertificateIds_readsJsonArrayTextFromTheCommandLine() throws IOException {
        context.put("truststorePath", bundle(ca1, ca2).toString());
        context.put("caCertificateIds", "[\"" + id1 + "\", \"" + id2 + "\"]");
        assertEquals(List.of(id1, id2), read().caCertificateIds());

        context.put("caCertificateIds", "[\"" + id1 + "\",");
        assertOneProblem(problems(), "is not a JSON array of CA certificate ids");
    }

    @Test
    void caCertificateId_alone_isAOneElementList() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateId", id1);
        context.put("caCertificateIds", List.of());

        assertEquals(List.of(id1), read().caCertificateIds());
    }

    @Test
    void bothKeys_withTheSameCa_areAccepted() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateId", id1);
        context.put("caCertificateIds", id1);

        assertEquals(List.of(id1), read().caCertificateIds());
    }

    @Test
    void bothKeys_withDifferentCas_areRefused() throws IOException {
        context.put("truststorePath", bundle(ca1, ca2).toString());
        context.put("caCertificateId", id1);
        context.put("caCertificateIds", List.of(id1, id2));

        assertOneProblem(problems(), "caCertificateId / caCertificateIds: both given, with different CAs",
                "-c caCertificateId=");
    }

    @Test
    void caCertificateIds_refusesARepeatedId() throws IOException {
        context.put("truststorePath", bundle(ca1).toString());
        context.put("caCertificateIds", id1 + "," + id1);

        assertOneProblem(problems(), "caCertificateIds: " + id1 + " is listed twice");
    }

    @Test
    void caCertificateIds_refusesMalformedAndEmptyEntries() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateIds", id1 + ",," + id1.toUpperCase());

        List<String> problems = problems();
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("caCertificateIds: '' is not a CA certificate id"), problems.get(0));
        assertTrue(problems.get(1).contains("'" + id1.toUpperCase() + "' is not a CA certificate id"), problems.get(1));
    }

    @Test
    void caCertificateIds_withAllowAnyCa_isRefused() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateIds", List.of(id1));
        context.put("allowAnyCa", "true");

        assertOneProblem(problems(), "allowAnyCa: true together with caCertificateIds");
    }

    @Test
    void noCaAtAll_namesBothWaysOut() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateIds", List.of());

        assertOneProblem(problems(), "caCertificateIds: missing", "allowAnyCa=true");
    }

    // ---- the truststore bundle ----------------------------------------------------------------------------------

    @Test
    void truststore_mustHoldEveryListedCa() {
        context.put("truststorePath", ca1.toString());
        context.put("caCertificateIds", List.of(id1, id2));

        assertOneProblem(problems(), "does not hold the CA " + id2 + " of caCertificateIds");
    }

    @Test
    void truststore_refusesACaThatIsNotListed() throws IOException {
        context.put("truststorePath", bundle(ca1, ca2).toString());
        context.put("caCertificateIds", List.of(id2));

        assertOneProblem(problems(), "holds the CA " + id1 + " (CN=CA 1), which is neither in caCertificateIds",
                "Remove it from the bundle");
    }

    @Test
    void truststore_acceptsTheRootOfAListedIntermediateCa() throws IOException {
        List<Path> chain = TestCa.createChain("Root", "Intermediate");
        context.put("truststorePath", bundle(chain.get(1), chain.get(0)).toString());
        context.put("caCertificateIds", List.of(TestCa.id(chain.get(1))));

        assertEquals(List.of(TestCa.id(chain.get(1))), read().caCertificateIds());
    }

    @Test
    void truststore_ofAnyCa_isNotCheckedAgainstAList() throws IOException {
        context.put("truststorePath", bundle(ca1, unlisted).toString());
        context.put("allowAnyCa", true);

        assertEquals(List.of(), read().caCertificateIds());
    }

    @Test
    void truststore_refusesMoreThanAThousandCertificates() throws IOException {
        Path big = dir.resolve("big.pem");
        Files.writeString(big, Files.readString(ca1).repeat(1_001));
        assertTrue(Files.size(big) < OnboardingConfig.TRUSTSTORE_MAX_BYTES, "only the count is over");
        context.put("truststorePath", big.toString());
        context.put("caCertificateIds", List.of(id1));

        assertOneProblem(problems(), "holds 1001 certificates; API Gateway's truststore holds at most 1000");
    }

    @Test
    void truststore_refusesMoreThanOneMegabyte() throws IOException {
        String pem = Files.readString(ca1);
        Path big = dir.resolve("big.pem");
        Files.writeString(big, pem.repeat(1_000 * 1_000 / pem.length() + 1));
        context.put("truststorePath", big.toString());
        context.put("caCertificateIds", List.of(id1));

        List<String> problems = problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains("bytes; API Gateway's truststore holds at most 1 MB")),
                problems.toString());
    }
}
