package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.getAtt;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.SynthesizedStack;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.s3.Bucket;

class TruststoreTest {
    private final Template template = SynthesizedStack.template();
    private final Truststore truststore = SynthesizedStack.stack().getTruststore();

    @Test
    void key_isDerivedFromTheBundleContents() {
        String pem = SynthesizedStack.config().truststorePem();
        assertEquals(Truststore.keyFor(pem), truststore.getKey());
        assertTrue(truststore.getKey().matches("truststore/[0-9a-f]{16}\\.pem"), truststore.getKey());
        assertNotEquals(Truststore.keyFor(pem), Truststore.keyFor(pem + "\n"));
    }

    @Test
    void buckets_arePrivateEncryptedAndTlsOnly() {
        for (Bucket bucket : List.of(truststore.getBucket(), truststore.getAccessLogs())) {
            Map<String, Object> properties = properties(bucket);
            assertEquals(Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true, "IgnorePublicAcls", true,
                    "RestrictPublicBuckets", true), properties.get("PublicAccessBlockConfiguration"));
            assertEquals(Map.of("ServerSideEncryptionConfiguration", List.of(Map.of("ServerSideEncryptionByDefault",
                    Map.of("SSEAlgorithm", "AES256")))), properties.get("BucketEncryption"));
            template.hasResourceProperties("AWS::S3::BucketPolicy", Map.of(
                    "Bucket", ref(Cfn.logicalId(bucket)),
                    "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                            "Effect", "Deny",
                            "Action", "s3:*",
                            "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
        }
    }

    @Test
    void truststoreBucket_isVersionedAndLogged() {
        Map<String, Object> properties = properties(truststore.getBucket());
        assertEquals(Map.of("Status", "Enabled"), properties.get("VersioningConfiguration"));
        assertEquals(Map.of("DestinationBucketName", ref(Cfn.logicalId(truststore.getAccessLogs())),
                "LogFilePrefix", "truststore-bucket/"), properties.get("LoggingConfiguration"));
    }

    @Test
    void upload_putsOnlyTheBundleUnderItsKeyAndReturnsTheVersion() throws IOException {
        Map<String, Object> upload = properties(truststore.getNode().findChild("Upload"));
        for (String event : List.of("Create", "Update")) {
            Map<?, ?> call = sdkCall(upload.get(event));
            assertEquals("S3", call.get("service"));
            assertEquals("PutObject", call.get("action"));
            assertEquals(List.of("VersionId"), call.get("outputPaths"));
            Map<?, ?> parameters = (Map<?, ?>) call.get("parameters");
            assertEquals(truststore.getKey(), parameters.get("Key"));
            assertEquals(SynthesizedStack.config().truststorePem(), parameters.get("Body"));
            assertTrue(!parameters.get("Body").toString().contains("PRIVATE KEY"));
        }
        template.hasResourceProperties("AWS::IAM::Policy", Map.of("PolicyDocument", Map.of("Statement", List.of(Map.of(
                "Action", "s3:PutObject",
                "Effect", "Allow",
                "Resource", Map.of("Fn::Join", List.of("", List.of(getAtt(truststore.getBucket(), "Arn"),
                        "/" + truststore.getKey()))))))));
    }

    @Test
    void props_refuseAPrivateKey() {
        assertThrows(IllegalArgumentException.class,
                () -> Truststore.Props.builder().pem("-----BEGIN PRIVATE KEY-----\n").build());
    }

    /** The custom resource's Create/Update: a JSON string with the bucket name spliced in by Fn::Join. */
    private static Map<?, ?> sdkCall(Object property) throws IOException {
        String json = property instanceof String s ? s : joinLiterals(property);
        return new ObjectMapper().readValue(json, Map.class);
    }

    @SuppressWarnings("unchecked")
    private static String joinLiterals(Object join) {
        List<Object> parts = (List<Object>) ((List<Object>) ((Map<String, Object>) join).get("Fn::Join")).get(1);
        StringBuilder json = new StringBuilder();
        parts.forEach(part -> json.append(part instanceof String s ? s : "BUCKET"));
        return json.toString();
    }
}
