package dev.iotonboard.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OnboardingConfigTest {
    private static final String CERTIFICATE_ARN =
            "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-90ab-cdef-1234-567890abcdef";

    private static final String CA_ID = TestCa.id();

    private final Map<String, Object> context = new HashMap<>(Map.of(
            "domainName", "devices.acme.org",
            "certificateArn", CERTIFICATE_ARN,
            "caCertificateId", CA_ID,
            "truststorePath", TestCa.pem().toString()));

    @Test
    void fromContext_readsAValidContextWithDefaults() {
        OnboardingConfig config = read();

        assertEquals("devices.acme.org", config.domainName());
        assertEquals(Optional.of(CERTIFICATE_ARN), config.certificateArn());
        assertEquals(Optional.empty(), config.hostedZone());
        assertEquals(List.of(CA_ID), config.caCertificateIds());
        assertFalse(config.allowAnyCa());
        assertEquals(OnboardingConfig.DEFAULT_THING_NAME_PATTERN, config.thingNamePattern());
        assertEquals(30, config.caStatusCacheSeconds());
        assertEquals(168, config.renewalWindowHours());
        assertEquals("jitr/start", config.jitrStartTopic());
        assertEquals("jitr/request", config.jitrRequestTopic());
        assertTrue(config.truststorePem().contains("-----BEGIN CERTIFICATE-----"));
        assertFalse(config.usesExampleValues());
        assertEquals(IotQuotas.defaults(), config.iotQuotas());
        assertEquals(50, config.iotCallLatencyMs());
        assertEquals(new OnboardingConfig.Reconciler(5, 300, 168, 2), config.reconciler());
        assertEquals(new OnboardingConfig.ExpiryWatch(24, 30, 2), config.expiryWatch());
    }

    @Test
    void fromContext_readsTheExpiryWatchSettings() {
        context.putAll(Map.of("expiryScanIntervalHours", 6, "expiryWarningDays", "60",
                "expiryMaxRequestsPerSecond", 3));

        assertEquals(new OnboardingConfig.ExpiryWatch(6, 60, 3), read().expiryWatch());
    }

    @Test
    void fromContext_rejectsAnExpiryWatchRateThatLeavesOnboardingNoDescribeCertificateQuota_withTheReconciler() {
        context.put("expiryMaxRequestsPerSecond", 8);

        assertProblems(List.of("expiryMaxRequestsPerSecond: 8/s plus reconcileMaxRequestsPerSecond 2/s would leave "
                + "none of the DescribeCertificate quota (10/s, iotQuotas) to onboarding"));

        context.put("expiryMaxRequestsPerSecond", 7);
        assertEquals(7, read().expiryWatch().maxRequestsPerSecond());
        context.put("iotQuotas", "{\"DescribeCertificate\": 20}");
        context.put("expiryMaxRequestsPerSecond", 17);
        assertEquals(17, read().expiryWatch().maxRequestsPerSecond());
    }

    @Test
    void fromContext_overridesQuotasFromAnObjectOrItsJsonText() {
        context.put("iotQuotas", Map.of("DescribeCertificate", 20, "AttachPolicy", 30.5));
        IotQuotas quotas = read().iotQuotas();
        assertEquals(0, new BigDecimal("20").compareTo(quotas.of("DescribeCertificate")));
        assertEquals(0, new BigDecimal("30.5").compareTo(quotas.of("AttachPolicy")));
        assertEquals(0, new BigDecimal("10").compareTo(quotas.of("UpdateCertificate")), "the others keep their default");

        context.put("iotQuotas", "{\"DescribeCertificate\": 40}");
        assertEquals(0, new BigDecimal("40").compareTo(read().iotQuotas().of("DescribeCertificate")));
    }

    @Test
    void fromContext_readsTheReconcilerSettingsAndLatency() {
        context.putAll(Map.of("reconcileIntervalMinutes", 15, "reconcileGraceSeconds", "600",
                "reconcileLookbackHours", 24, "reconcileMaxRequestsPerSecond", 5, "iotCallLatencyMs", "80"));
        OnboardingConfig config = read();
        assertEquals(new OnboardingConfig.Reconciler(15, 600, 24, 5), config.reconciler());
        assertEquals(80, config.iotCallLatencyMs());
        assertEquals(new ConcurrencySizing(config.iotQuotas(), 80), config.concurrencySizing());
    }

    @Test
    void fromContext_acceptsAHostedZoneInsteadOfACertificate() {
        context.remove("certificateArn");
        context.put("hostedZoneId", "Z0123456789ABC");
        context.put("hostedZoneName", "acme.org.");
        context.put("certificateArn", "");

        OnboardingConfig config = read();

        assertEquals(Optional.of(new OnboardingConfig.HostedZoneRef("Z0123456789ABC", "acme.org")), config.hostedZone());
        assertEquals(Optional.empty(), config.certificateArn());
    }

    @Test
    void fromContext_resolvesARelativeTruststoreAgainstTheRepositoryRoot(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("certs"));
        Files.copy(TestCa.pem(), root.resolve("certs/rootCA.pem"));
        context.remove("truststorePath");

        assertEquals(root.resolve("certs/rootCA.pem"), OnboardingConfig.fromContext(context::get, root).truststorePath());
    }

    @Test
    void fromContext_allowAnyCa_isTheOnlyWayToGoWithoutACaCertificateId() {
        context.put("caCertificateId", "");
        context.put("allowAnyCa", true);

        OnboardingConfig config = read();

        assertTrue(config.allowAnyCa());
        assertEquals(List.of(), config.caCertificateIds());
    }

    @Test
    void fromContext_readsACustomThingNamePatternAndCaStatusTtl() {
        context.put("thingNamePattern", "sensor-[0-9]{4}");
        context.put("caStatusCacheSeconds", 0);

        OnboardingConfig config = read();

        assertEquals("sensor-[0-9]{4}", config.thingNamePattern());
        assertEquals(0, config.caStatusCacheSeconds());
    }

    @Test
    void fromContext_readsARenewalWindow() {
        context.put("renewalWindowHours", 24);

        assertEquals(24, read().renewalWindowHours());
    }

    @Test
    void fromContext_flagsTheShippedExampleValues() {
        context.put("domainName", "devices.example.com");
        context.put("certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000");

        assertTrue(read().usesExampleValues());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "domainName|''|domainName: missing",
        "domainName|Devices.Acme.org|domainName: 'Devices.Acme.org' is not a lowercase DNS name",
        "domainName|localhost|domainName: 'localhost' is not a lowercase DNS name",
        "domainName|dev_ices.acme.org|domainName: 'dev_ices.acme.org' is not a lowercase DNS name",
        "certificateArn|''|certificateArn / hostedZoneId+hostedZoneName: missing",
        "certificateArn|arn:aws:iam::111122223333:role/x|certificateArn: 'arn:aws:iam::111122223333:role/x' is not an ACM",
        "caCertificateId|''|caCertificateIds: missing; the stack trusts only your registered CAs",
        "caCertificateId|ABCDEF|caCertificateId: 'ABCDEF' is not a CA certificate id",
        "allowAnyCa|yes|allowAnyCa: 'yes' is neither true nor false",
        "allowAnyCa|true|allowAnyCa: true together with caCertificateId",
        "thingNamePattern|[0-9|thingNamePattern: '[0-9' is not a regular expression",
        "thingNamePattern|.*|thingNamePattern: '.*' matches the empty name",
        "caStatusCacheSeconds|3601|caStatusCacheSeconds: '3601' is not a whole number from 0 to 3600",
        "caCertificateId|0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF|caCertificateId: '0123456789ABCDEF",
        "jitrStartTopic|jitr/+|jitrStartTopic: 'jitr/+' is not a plain MQTT topic",
        "jitrRequestTopic|$aws/things|jitrRequestTopic: '$aws/things' is not a plain MQTT topic",
        "jitrRequestTopic|jitr/start|jitrRequestTopic: must differ from jitrStartTopic",
        "truststorePath|does/not/exist.pem|Run scripts/ca/create-ca.sh first",
        "iotQuotas|{\"Describe\":5}|iotQuotas: unknown IoT operation 'Describe'",
        "iotQuotas|{\"AttachPolicy\":0}|iotQuotas: the rate of AttachPolicy must be a positive number",
        "iotQuotas|{\"AttachPolicy\":-3}|iotQuotas: the rate of AttachPolicy must be a positive number",
        "iotQuotas|{\"AttachPolicy\":\"fast\"}|iotQuotas: the rate of AttachPolicy must be a positive number",
        "iotQuotas|[10]|iotQuotas: must be a JSON object",
        "iotQuotas|not json|iotQuotas: must be a JSON object",
        "iotCallLatencyMs|0|iotCallLatencyMs: '0' is not a whole number from 1",
        "reconcileIntervalMinutes|0|reconcileIntervalMinutes: '0' is not a whole number from 1 to 1440",
        "reconcileIntervalMinutes|five|reconcileIntervalMinutes: 'five' is not a whole number",
        "reconcileGraceSeconds|-1|reconcileGraceSeconds: '-1' is not a whole number from 0 to 86400",
        "reconcileLookbackHours|8785|reconcileLookbackHours: '8785' is not a whole number from 1 to 8784",
        "reconcileMaxRequestsPerSecond|101|reconcileMaxRequestsPerSecond: '101' is not a whole number from 1 to 100",
        "expiryScanIntervalHours|0|expiryScanIntervalHours: '0' is not a whole number from 1 to 168 (default 24)",
        "expiryScanIntervalHours|daily|expiryScanIntervalHours: 'daily' is not a whole number from 1 to 168",
        "expiryWarningDays|0|expiryWarningDays: '0' is not a whole number from 1 to 3650 (default 30)",
        "expiryWarningDays|3651|expiryWarningDays: '3651' is not a whole number from 1 to 3650",
        "expiryMaxRequestsPerSecond|0|expiryMaxRequestsPerSecond: '0' is not a whole number from 1 to 100 (default 2)",
        "renewalWindowHours|0|renewalWindowHours: '0' is not a whole number from 1 to 8760",
        "renewalWindowHours|8761|renewalWindowHours: '8761' is not a whole number from 1 to 8760",
    })
    void fromContext_rejects(String key, String value, String expectedProblem) {
        context.put(key, value);

        assertProblems(List.of(expectedProblem));
    }

    @Test
    void fromContext_rejectsAReconcilerRateThatLeavesOnboardingNoQuota() {
        context.put("reconcileMaxRequestsPerSecond", 10);

        assertProblems(List.of("reconcileMaxRequestsPerSecond: 10/s would leave none of the DescribeCertificate quota"
                + " (10/s, iotQuotas) to onboarding"));
    }

    @Test
    void fromContext_reconcilerRateIsCheckedAgainstTheSmallestSharedQuota() {
        context.put("iotQuotas", "{\"DescribeCertificate\": 40, \"UpdateCertificate\": 40, \"ListPrincipalThings\": 40}");
        context.put("reconcileMaxRequestsPerSecond", 15);

        assertProblems(List.of("15/s would leave none of the AttachPolicy quota (15/s, iotQuotas)"));

        context.put("reconcileMaxRequestsPerSecond", 14);
        assertEquals(14, read().reconciler().maxRequestsPerSecond());
    }

    @Test
    void fromContext_rejectsAGracePeriodAsLongAsTheLookback() {
        context.put("reconcileLookbackHours", 1);
        context.put("reconcileGraceSeconds", 3600);

        assertProblems(List.of("reconcileGraceSeconds: 3600 s must be shorter than reconcileLookbackHours (1 h)"));
    }

    @Test
    void fromContext_rejectsACertificateAndAHostedZoneTogether() {
        context.put("hostedZoneId", "Z0123456789ABC");
        context.put("hostedZoneName", "acme.org");

        assertProblems(List.of("certificateArn / hostedZoneId+hostedZoneName: both given"));
    }

    @Test
    void fromContext_rejectsAHostedZoneIdWithoutItsName() {
        context.put("certificateArn", "");
        context.put("hostedZoneId", "Z0123456789ABC");

        assertProblems(List.of("hostedZoneName: missing"));
    }

    @Test
    void fromContext_rejectsAHostedZoneThatDoesNotHoldTheDomain() {
        context.put("certificateArn", "");
        context.put("hostedZoneId", "Z0123456789ABC");
        context.put("hostedZoneName", "other.org");

        assertProblems(List.of("hostedZoneName: 'other.org' does not contain domainName"));
    }

    @Test
    void fromContext_rejectsATruststoreHoldingAPrivateKey(@TempDir Path dir) throws IOException {
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(TestCa.pem()) + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        context.put("truststorePath", bundle.toString());

        assertProblems(List.of("holds a private key"));
    }

    @Test
    void fromContext_rejectsATruststoreWithoutCertificates(@TempDir Path dir) throws IOException {
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, "not a certificate\n");
        context.put("truststorePath", bundle.toString());

        assertProblems(List.of("holds no PEM certificate"));
    }

    @Test
    void fromContext_namesEveryBadKeyInOneMessage() {
        context.clear();
        context.put("caCertificateId", "nope");

        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, this::read);

        assertEquals(4, e.problems().size(), e.getMessage());
        for (String key : List.of("domainName", "certificateArn", "caCertificateId", "truststorePath")) {
            assertTrue(e.getMessage().contains("  - " + key), key + " in " + e.getMessage());
        }
        assertTrue(e.getMessage().contains("-c key=value") && e.getMessage().contains("cdk.json"), e.getMessage());
    }

    @Test
    void fromContext_deploymentDefaults_reserveConcurrency_andTakeAnAmazonIssuedCertificate() {
        assertEquals(OnboardingConfig.Deployment.DEFAULTS, read().deployment());
    }

    @Test
    void fromContext_readsReservedConcurrencyOff_andRejectsAnythingButABoolean() {
        context.put("reservedConcurrency", false);
        assertFalse(read().deployment().reservedConcurrency());
        context.put("reservedConcurrency", "true");
        assertTrue(read().deployment().reservedConcurrency());
        context.put("reservedConcurrency", "off");
        assertProblems(List.of("reservedConcurrency: 'off' is neither true nor false."));
    }

    @Test
    void fromContext_needsAnOwnershipVerificationCertificate_forAnImportedOrPrivateCertificate() {
        context.put("certificateType", "PRIVATE");
        assertProblems(List.of("ownershipVerificationCertificateArn: missing; with mutual TLS, API Gateway accepts an "
                + "ACM Private CA certificate (certificateType=PRIVATE)"));
        context.put("certificateType", "IMPORTED");
        assertProblems(List.of("ownershipVerificationCertificateArn: missing; with mutual TLS, API Gateway accepts an "
                + "imported certificate"));

        String ownership = "arn:aws:acm:eu-west-1:111122223333:certificate/abcdef01-2345-6789-abcd-ef0123456789";
        context.put("ownershipVerificationCertificateArn", ownership);
        assertEquals(new OnboardingConfig.Deployment(true, OnboardingConfig.CertificateType.IMPORTED,
                Optional.of(ownership)), read().deployment());
    }

    @Test
    void fromContext_rejectsBadCertificateTypesAndOwnershipCertificates() {
        context.put("certificateType", "imported");
        assertProblems(List.of("certificateType: 'imported' is none of AMAZON_ISSUED, IMPORTED, PRIVATE"));

        context.put("certificateType", "AMAZON_ISSUED");
        context.put("ownershipVerificationCertificateArn", CERTIFICATE_ARN.replace("1234", "9999"));
        assertProblems(List.of("ownershipVerificationCertificateArn: given, but certificateType is AMAZON_ISSUED"));

        context.put("certificateType", "IMPORTED");
        context.put("ownershipVerificationCertificateArn", "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/x");
        assertProblems(List.of("ownershipVerificationCertificateArn: 'arn:aws:acm-pca"));

        context.put("ownershipVerificationCertificateArn", CERTIFICATE_ARN);
        assertProblems(List.of("ownershipVerificationCertificateArn: the same ARN as certificateArn"));
    }

    @Test
    void fromContext_rejectsAnImportedCertificateTypeForTheCertificateTheStackCreates() {
        context.put("certificateArn", "");
        context.put("hostedZoneId", "Z0123456789ABCDEFGHIJ");
        context.put("hostedZoneName", "acme.org");
        context.put("certificateType", "IMPORTED");
        assertProblems(List.of("certificateType: IMPORTED applies to a given certificateArn"));
    }

    private OnboardingConfig read() {
        return OnboardingConfig.fromContext(context::get, SynthesizedStack.ROOT);
    }

    private void assertProblems(List<String> expected) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, this::read);
        assertEquals(expected.size(), e.problems().size(), e.getMessage());
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(e.problems().get(i).contains(expected.get(i)), e.problems().get(i));
        }
    }
}
