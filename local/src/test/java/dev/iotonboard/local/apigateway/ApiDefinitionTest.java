package dev.iotonboard.local.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.stack.StackTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API read from a template: resource tree, methods, authorizer, stage, truststore upload. */
class ApiDefinitionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:";

    private static StackTemplate template(String name) throws Exception {
        return StackTemplate.fromTemplate(Path.of(ApiDefinitionTest.class.getResource("/api/" + name).toURI()),
                "Api", "000000000000", "us-east-1");
    }

    @Test
    void routesAuthorizerStageAndTruststore_fromTheTemplate() throws Exception {
        ApiDefinition api = ApiDefinition.from(template("api.template.json")).orElseThrow();
        assertEquals("Api", api.apiId());
        assertEquals("v1", api.stage());
        assertEquals(List.of(new ApiDefinition.Route("GET", "/things/{id}", "Thing", "SampleFn", "AuthFn", "CUSTOM",
                FUNCTION + "SampleFn", "Authorizer", FUNCTION + "AuthFn")), api.routes());
        assertEquals("Upload", api.truststoreResource());
        assertTrue(api.truststorePem().startsWith("-----BEGIN CERTIFICATE-----"), api.truststorePem());
        assertEquals(Map.of("id", "t-1"), api.match("GET", "/things/t-1").orElseThrow().pathParameters());
        assertTrue(api.match("GET", "/things").isEmpty());
    }

    /** CDK's shape with SnapStart: the integration and authorizer URIs carry each function's alias ARN. */
    @Test
    void integrationAndAuthorizerThroughAnAlias_runTheAliasedFunctions(@TempDir Path dir) throws Exception {
        ObjectNode template = (ObjectNode) JSON.readTree(ApiDefinitionTest.class.getResource("/api/api.template.json"));
        ObjectNode resources = (ObjectNode) template.get("Resources");
        for (String function : List.of("SampleFn", "AuthFn")) {
            resources.set(function + "Version", JSON.readTree("{\"Type\":\"AWS::Lambda::Version\",\"Properties\":"
                    + "{\"FunctionName\":{\"Ref\":\"" + function + "\"}}}"));
            resources.set(function + "Alias", JSON.readTree("{\"Type\":\"AWS::Lambda::Alias\",\"Properties\":"
                    + "{\"FunctionName\":{\"Ref\":\"" + function + "\"},\"Name\":\"live\",\"FunctionVersion\":"
                    + "{\"Fn::GetAtt\":[\"" + function + "Version\",\"Version\"]}}}"));
        }
        String text = template.toString();
        for (String function : List.of("SampleFn", "AuthFn")) {
            text = text.replace("{\"Fn::GetAtt\":[\"" + function + "\",\"Arn\"]}",
                    "{\"Ref\":\"" + function + "Alias\"}");
        }
        assertTrue(text.contains("{\"Ref\":\"SampleFnAlias\"}") && text.contains("{\"Ref\":\"AuthFnAlias\"}"), text);
        Path file = dir.resolve("aliased.template.json");
        Files.writeString(file, text);

        ApiDefinition api = ApiDefinition.from(StackTemplate.fromTemplate(file, "Api", "000000000000", "us-east-1"))
                .orElseThrow();

        assertEquals(List.of(new ApiDefinition.Route("GET", "/things/{id}", "Thing", "SampleFn", "AuthFn", "CUSTOM",
                FUNCTION + "SampleFn:live", "Authorizer", FUNCTION + "AuthFn:live")), api.routes(),
                "the ARNs as the URIs name them: the permissions are the aliases'");
    }

    @Test
    void integrationThroughAnUnknownAlias_isAnErrorNamingIt(@TempDir Path dir) throws Exception {
        String text = JSON.readTree(ApiDefinitionTest.class.getResource("/api/api.template.json")).toString()
                .replace("{\"Fn::GetAtt\":[\"SampleFn\",\"Arn\"]}",
                        "{\"Fn::Join\":[\":\",[{\"Fn::GetAtt\":[\"SampleFn\",\"Arn\"]},\"nope\"]]}");
        Path file = dir.resolve("unknown.template.json");
        Files.writeString(file, text);
        StackTemplate stack = StackTemplate.fromTemplate(file, "Api", "000000000000", "us-east-1");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiDefinition.from(stack));
        assertTrue(e.getMessage().contains("ThingGet: no function, alias or version "
                + "arn:aws:lambda:us-east-1:000000000000:function:SampleFn:nope"), e.getMessage());
    }

    @Test
    void missingTruststoreUpload_isAnErrorNamingWhatWasLookedFor() throws Exception {
        StackTemplate stack = template("no-truststore.template.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiDefinition.from(stack));
        assertTrue(e.getMessage().contains("truststore") && e.getMessage().contains("Custom::AWS S3 PutObject"),
                e.getMessage());
    }
}
