package dev.iotonboard.infra.constructs;

import static dev.iotonboard.infra.Cfn.getAtt;
import static dev.iotonboard.infra.Cfn.iotArn;
import static dev.iotonboard.infra.Cfn.properties;
import static dev.iotonboard.infra.Cfn.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotonboard.infra.Cfn;
import dev.iotonboard.infra.LambdaJars;
import dev.iotonboard.infra.OnboardingConfig;
import dev.iotonboard.infra.SynthesizedStack;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class DeviceApiTest {
    private final Template template = SynthesizedStack.template();
    private final DeviceApi api = SynthesizedStack.stack().getDeviceApi();
    private final Truststore truststore = SynthesizedStack.stack().getTruststore();

    @Test
    void restApi_disablesTheDefaultEndpoint() {
        assertEquals(true, properties(api.getApi()).get("DisableExecuteApiEndpoint"));
        assertEquals(Map.of("Types", List.of("REGIONAL")), properties(api.getApi()).get("EndpointConfiguration"));
    }

    @Test
    void domain_isRegionalTls12WithMutualTlsPinnedToTheUploadedVersion() {
        Map<String, Object> domain = properties(api.getDomain());
        assertEquals(SynthesizedStack.config().domainName(), domain.get("DomainName"));
        assertEquals("TLS_1_2", domain.get("SecurityPolicy"));
        assertEquals(Map.of("Types", List.of("REGIONAL")), domain.get("EndpointConfiguration"));
        assertEquals(SynthesizedStack.config().certificateArn().orElseThrow(), domain.get("RegionalCertificateArn"));
        assertEquals(Map.of(
                        "TruststoreUri", Map.of("Fn::Join", List.of("", List.of(
                                "s3://", ref(Cfn.logicalId(truststore.getBucket())), "/" + truststore.getKey()))),
                        "TruststoreVersion", getAtt(truststore.getNode().findChild("Upload"), "VersionId")),
                domain.get("MutualTlsAuthentication"));
        template.hasResourceProperties("AWS::ApiGateway::BasePathMapping", Map.of(
                "DomainName", ref(Cfn.logicalId(api.getDomain())),
                "RestApiId", ref(Cfn.logicalId(api.getApi())),
                "Stage", ref(Cfn.logicalId(api.getApi().getDeploymentStage()))));
    }

    @Test
    void sample_isAProxyToTheSampleFunctionBehindTheRequestAuthorizer() {
        Capture authorizer = new Capture();
        template.hasResourceProperties("AWS::ApiGateway::Method", Map.of(
                "HttpMethod", "GET",
                "AuthorizationType", "CUSTOM",
                "AuthorizerId", authorizer,
                "RequestValidatorId", Match.anyValue(),
                "Integration", Match.objectLike(Map.of(
                        "Type", "AWS_PROXY",
                        "Uri", Match.objectLike(Map.of("Fn::Join", Match.arrayWith(List.of(Match.arrayWith(List.of(
                                ref(Cfn.logicalId(api.getSampleFunction().getAlias()))))))))))));
        template.hasResourceProperties("AWS::ApiGateway::Resource", Map.of("PathPart", "sample"));
        template.resourcePropertiesCountIs("AWS::Lambda::Permission", Map.of(
                "FunctionName", ref(Cfn.logicalId(api.getSampleFunction().getAlias())),
                "Principal", "apigateway.amazonaws.com"), 1);
        Map<?, ?> authorizerRef = (Map<?, ?>) authorizer.asObject();
        Map<String, Object> authorizerProperties = authorizerProperties(authorizerRef.get("Ref").toString());
        assertEquals("REQUEST", authorizerProperties.get("Type"));
        // No API Gateway result cache: the certificate cannot be a cache key; the function caches itself.
        assertEquals(0, ((Number) authorizerProperties.get("AuthorizerResultTtlInSeconds")).intValue());
        assertFalse(authorizerProperties.containsKey("IdentitySource"),
                "with caching off the identity source is left out, not an empty string: " + authorizerProperties);
        assertTrue(authorizerProperties.get("AuthorizerUri").toString()
                .contains(Cfn.logicalId(api.getAuthorizerFunction().getAlias())), "the authorizer invokes the alias");
    }

    @Test
    void stage_hasAccessAndExecutionLogging() {
        Map<String, Object> stage = properties(api.getApi().getDeploymentStage());
        Map<?, ?> accessLog = (Map<?, ?>) stage.get("AccessLogSetting");
        assertEquals(getAtt(api.getAccessLogs(), "Arn"), accessLog.get("DestinationArn"));
        assertTrue(accessLog.get("Format").toString().contains("$context.identity.clientCert.serialNumber"));
        assertEquals(List.of(Map.of("HttpMethod", "*", "ResourcePath", "/*", "LoggingLevel", "INFO",
                "DataTraceEnabled", false, "MetricsEnabled", true)), stage.get("MethodSettings"));
        template.resourceCountIs("AWS::ApiGateway::Account", 1);
    }

    @Test
    void functions_useTheContractHandlersAndEnvironment() {
        Map<String, Object> authorizer = properties(api.getAuthorizerFunction().getFunction());
        assertEquals("dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest", authorizer.get("Handler"));
        assertEquals(Map.of("Variables", Map.of(
                        "CA_CERTIFICATE_IDS", SynthesizedStack.CA_CERTIFICATE_ID,
                        "AUTH_CACHE_TTL_SECONDS", "5",
                        "DEVICE_REGISTRY_TABLE", Cfn.ref(Cfn.logicalId(SynthesizedStack.stack().getDeviceRegistry()
                                .getTable())),
                        "THING_NAME_PATTERN", OnboardingConfig.DEFAULT_THING_NAME_PATTERN,
                        "JAVA_TOOL_OPTIONS", JavaFunction.JAVA_TOOL_OPTIONS)),
                authorizer.get("Environment"));
        Map<String, Object> sample = properties(api.getSampleFunction().getFunction());
        assertEquals("dev.iotonboard.lambda.api.SampleHandler::handleRequest", sample.get("Handler"));
        assertEquals(Map.of("Variables", Map.of("JAVA_TOOL_OPTIONS", JavaFunction.JAVA_TOOL_OPTIONS)),
                sample.get("Environment"));
    }

    @Test
    void authorizerTimeout_exceedsItsRegistryRetryBudget_soAnOutageEndsInADenyNotA500() {
        Map<String, Object> authorizer = properties(api.getAuthorizerFunction().getFunction());
        assertEquals(10, ((Number) authorizer.get("Timeout")).intValue());
        assertEquals(4, RetryBudget.AUTHORIZER_BUDGET.toSeconds().intValue());
        assertTrue(RetryBudget.AUTHORIZER_BUDGET.toSeconds().intValue()
                < ((Number) authorizer.get("Timeout")).intValue(), authorizer.toString());
    }

    @Test
    void authorizerRole_hasNoIotAction_itReadsTheDeviceRegistry() {
        assertEquals(List.of(), RegistrationPipelineTest.iotStatements(api.getAuthorizerFunction()));
        assertEquals(List.of(), RegistrationPipelineTest.iotStatements(api.getSampleFunction()));
    }

    @Test
    void hostedZone_getsADnsValidatedCertificateAndAnAliasRecord_passingCdkNagWithoutAnEnvironment() {
        Stack stack = new Stack(new App(AppProps.builder()
                .outdir(SynthesizedStack.scratchDirectory("cdk.out").toString()).build()), "HostedZoneVariant");
        Truststore truststore = new Truststore(stack, "Truststore",
                Truststore.Props.builder().pem(SynthesizedStack.config().truststorePem()).build());
        DeviceApi zoned = new DeviceApi(stack, "DeviceApi", DeviceApi.Props.builder()
                .domainName("devices.example.org")
                .hostedZone("Z0123456789ABCDEFGHIJ", "example.org")
                .truststore(truststore)
                .deviceApiJar(LambdaJars.under(SynthesizedStack.ROOT).deviceApi())
                .caCertificateIds(List.of())
                .build());
        Aspects.of(stack).add(new AwsSolutionsChecks());
        Template variant = Template.fromStack(stack);

        assertEquals(List.of(), software.amazon.awscdk.assertions.Annotations.fromStack(stack)
                .findError("*", Match.stringLikeRegexp("AwsSolutions-.*")).stream()
                .map(e -> e.getId() + " " + e.getEntry().getData()).toList(), "cdk-nag in an environment-agnostic stack");

        variant.hasResourceProperties("AWS::CertificateManager::Certificate", Map.of(
                "DomainName", "devices.example.org",
                "ValidationMethod", "DNS",
                "DomainValidationOptions", List.of(Map.of("DomainName", "devices.example.org",
                        "HostedZoneId", "Z0123456789ABCDEFGHIJ"))));
        variant.hasResourceProperties("AWS::ApiGateway::DomainName", Map.of(
                "RegionalCertificateArn", ref(Cfn.logicalId(zoned.getNode().findChild("Certificate"))),
                "SecurityPolicy", "TLS_1_2"));
        variant.hasResourceProperties("AWS::Route53::RecordSet", Map.of(
                "Name", "devices.example.org.",
                "Type", "A",
                "HostedZoneId", "Z0123456789ABCDEFGHIJ",
                "AliasTarget", Match.objectLike(Map.of(
                        "DNSName", getAtt(zoned.getDomain(), "RegionalDomainName")))));
        variant.hasResourceProperties("AWS::Lambda::Function", Map.of(
                "Handler", DeviceApi.AUTHORIZER_HANDLER,
                "Environment", Map.of("Variables", Match.objectLike(Map.of("CA_CERTIFICATE_IDS", "")))));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> authorizerProperties(String logicalId) {
        Map<String, Object> resources = (Map<String, Object>) template.toJSON().get("Resources");
        return (Map<String, Object>) ((Map<String, Object>) resources.get(logicalId)).get("Properties");
    }
}
