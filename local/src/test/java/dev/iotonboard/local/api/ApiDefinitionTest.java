package dev.iotonboard.local.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.local.StackTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The API read from a template: resource tree, methods, authorizer, stage, truststore upload. */
class ApiDefinitionTest {

    private static StackTemplate template(String name) throws Exception {
        return StackTemplate.fromTemplate(Path.of(ApiDefinitionTest.class.getResource("/api/" + name).toURI()),
                "Api", "000000000000", "us-east-1");
    }

    @Test
    void routesAuthorizerStageAndTruststore_fromTheTemplate() throws Exception {
        ApiDefinition api = ApiDefinition.from(template("api.template.json")).orElseThrow();
        assertEquals("Api", api.apiId());
        assertEquals("v1", api.stage());
        assertEquals(List.of(new ApiDefinition.Route("GET", "/things/{id}", "Thing", "SampleFn", "AuthFn", "CUSTOM")),
                api.routes());
        assertEquals("Upload", api.truststoreResource());
        assertTrue(api.truststorePem().startsWith("-----BEGIN CERTIFICATE-----"), api.truststorePem());
        assertEquals(Map.of("id", "t-1"), api.match("GET", "/things/t-1").orElseThrow().pathParameters());
        assertTrue(api.match("GET", "/things").isEmpty());
    }

    @Test
    void missingTruststoreUpload_isAnErrorNamingWhatWasLookedFor() throws Exception {
        StackTemplate stack = template("no-truststore.template.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiDefinition.from(stack));
        assertTrue(e.getMessage().contains("truststore") && e.getMessage().contains("Custom::AWS S3 PutObject"),
                e.getMessage());
    }
}
