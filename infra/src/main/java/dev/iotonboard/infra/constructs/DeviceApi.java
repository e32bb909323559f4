package dev.iotonboard.infra.constructs;

import dev.iotonboard.infra.OnboardingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.apigateway.AccessLogFormat;
import software.amazon.awscdk.services.apigateway.AuthorizationType;
import software.amazon.awscdk.services.apigateway.CfnAuthorizer;
import software.amazon.awscdk.services.apigateway.CfnDomainName;
import software.amazon.awscdk.services.apigateway.DomainName;
import software.amazon.awscdk.services.apigateway.EndpointType;
import software.amazon.awscdk.services.apigateway.LambdaIntegration;
import software.amazon.awscdk.services.apigateway.LogGroupLogDestination;
import software.amazon.awscdk.services.apigateway.MTLSConfig;
import software.amazon.awscdk.services.apigateway.Method;
import software.amazon.awscdk.services.apigateway.MethodLoggingLevel;
import software.amazon.awscdk.services.apigateway.MethodOptions;
import software.amazon.awscdk.services.apigateway.RequestAuthorizer;
import software.amazon.awscdk.services.apigateway.RequestValidator;
import software.amazon.awscdk.services.apigateway.RequestValidatorOptions;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.services.apigateway.SecurityPolicy;
import software.amazon.awscdk.services.apigateway.StageOptions;
import software.amazon.awscdk.services.certificatemanager.Certificate;
import software.amazon.awscdk.services.certificatemanager.CertificateValidation;
import software.amazon.awscdk.services.certificatemanager.ICertificate;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.route53.ARecord;
import software.amazon.awscdk.services.route53.HostedZone;
import software.amazon.awscdk.services.route53.HostedZoneAttributes;
import software.amazon.awscdk.services.route53.IHostedZone;
import software.amazon.awscdk.services.route53.RecordTarget;
import software.amazon.awscdk.services.route53.targets.ApiGatewayDomain;
import software.constructs.Construct;

/**
 * The device API: a REST API reachable only through a Regional custom domain that requires a client certificate
 * (mutual TLS against the truststore), with a REQUEST Lambda authorizer that maps the certificate to its thing
 * (API Gateway does not check revocation) and {@code GET /sample} behind it.
 */
public final class DeviceApi extends Construct {
    public static final String AUTHORIZER_HANDLER = "dev.iotonboard.lambda.api.DeviceAuthorizerHandler::handleRequest";
    public static final String SAMPLE_HANDLER = "dev.iotonboard.lambda.api.SampleHandler::handleRequest";
    public static final String STAGE_NAME = "v1";
    /**
     * A few seconds: a decision costs one registry GetItem (the CA item is cached too), so the cache only absorbs
     * bursts; a revocation recorded in the registry reaches the API within it.
     */
    public static final int AUTH_CACHE_TTL_SECONDS = 5;
    /** Longer than the authorizer's read budget ({@link RetryBudget#AUTHORIZER_BUDGET}): it answers Deny, never times out. */
    public static final Duration AUTHORIZER_TIMEOUT = Duration.seconds(10);

    private static final String ACCESS_LOG_FORMAT = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\","
            + "\"requestTime\":\"$context.requestTime\",\"httpMethod\":\"$context.httpMethod\","
            + "\"resourcePath\":\"$context.resourcePath\",\"status\":\"$context.status\",\"protocol\":\"$context.protocol\","
            + "\"responseLength\":\"$context.responseLength\",\"domainName\":\"$context.domainName\","
            + "\"clientCertSerial\":\"$context.identity.clientCert.serialNumber\","
            + "\"clientCertIssuer\":\"$context.identity.clientCert.issuerDN\","
            + "\"thingName\":\"$context.authorizer.thingName\",\"authorizerError\":\"$context.authorizer.error\","
            + "\"errorMessage\":\"$context.error.message\"}";

    private final JavaFunction authorizerFunction;
    private final JavaFunction sampleFunction;
    private final RestApi api;
    private final Method sampleMethod;
    private final DomainName domain;
    private final LogGroup accessLogs;

    public DeviceApi(Construct scope, String id, Props props) {
        super(scope, id);
        authorizerFunction = new JavaFunction(this, "Authorizer", JavaFunction.Props.builder()
                .jar(props.deviceApiJar())
                .handler(AUTHORIZER_HANDLER)
                .description("Device API: maps the mTLS client certificate to its active certificate and thing")
                .environment(Map.of("CA_CERTIFICATE_IDS", String.join(",", props.caCertificateIds()),
                        "THING_NAME_PATTERN", props.thingNamePattern(),
                        "AUTH_CACHE_TTL_SECONDS", Integer.toString(AUTH_CACHE_TTL_SECONDS)))
                .timeout(AUTHORIZER_TIMEOUT)
                .build());
        sampleFunction = new JavaFunction(this, "Sample", JavaFunction.Props.builder()
                .jar(props.deviceApiJar())
                .handler(SAMPLE_HANDLER)
                .description("Device API: GET /sample, answers the authorized thing name")
                .timeout(Duration.seconds(10))
                .build());

        accessLogs = LogGroup.Builder.create(this, "AccessLogs").retention(RetentionDays.ONE_MONTH).build();
        api = RestApi.Builder.create(this, "Api")
                .description("Device API (mutual TLS with device certificates)")
                .endpointTypes(List.of(EndpointType.REGIONAL))
                // The default execute-api endpoint would bypass mutual TLS.
                .disableExecuteApiEndpoint(true)
                // Execution logging needs the account-level API Gateway CloudWatch role.
                .cloudWatchRole(true)
                .deployOptions(StageOptions.builder()
                        .stageName(STAGE_NAME)
                        .accessLogDestination(new LogGroupLogDestination(accessLogs))
                        .accessLogFormat(AccessLogFormat.custom(ACCESS_LOG_FORMAT))
                        .loggingLevel(MethodLoggingLevel.INFO)
                        .dataTraceEnabled(false)
                        .metricsEnabled(true)
                        .build())
                .build();
        // RestApi outputs its execute-api URL; that endpoint is disabled, so the output would only mislead.
        api.getNode().tryRemoveChild("Endpoint");
        Nag.suppress(api.getNode().findChild("CloudWatchRole"), "AwsSolutions-IAM4", "API Gateway's account-level CloudWatch Logs role uses the AWS managed "
                        + "push-to-CloudWatch policy, the documented way to enable execution logging.",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs");
        Nag.suppress(api.getDeploymentStage(), "AwsSolutions-APIG3", "Only clients holding a certificate from the "
                + "private CA complete the mutual TLS handshake; add WAF when the API grows public-facing routes.");

        // No API Gateway result cache: the only per-device identity is the client certificate, which cannot be an
        // identity source. The authorizer function caches its registry lookups itself (AUTH_CACHE_TTL_SECONDS).
        RequestAuthorizer authorizer = RequestAuthorizer.Builder.create(this, "DeviceAuthorizer")
                .handler(authorizerFunction.getAlias())
                .identitySources(List.of())
                .resultsCacheTtl(Duration.seconds(0))
                .build();
        // With no identity sources CDK renders IdentitySource as "", which nothing shows API Gateway accepts; it is
        // optional when caching is off, so leave it out (as the serverless framework does since serverless#10168).
        ((CfnAuthorizer) authorizer.getNode().getDefaultChild()).addPropertyDeletionOverride("IdentitySource");
        RequestValidator validator = api.addRequestValidator("Validator", RequestValidatorOptions.builder()
                .validateRequestParameters(true)
                .validateRequestBody(true)
                .build());
        // No console test-invoke permission: every invocation comes through the deployed stage and its authorizer.
        // Functions are invoked through their alias (SnapStart runs only published versions), the authorizer too.
        LambdaIntegration sample = LambdaIntegration.Builder.create(sampleFunction.getAlias())
                .allowTestInvoke(false)
                .build();
        sampleMethod = api.getRoot().addResource("sample").addMethod("GET", sample, MethodOptions.builder()
                .authorizationType(AuthorizationType.CUSTOM)
                .authorizer(authorizer)
                .requestValidator(validator)
                .build());
        Nag.suppress(sampleMethod, "AwsSolutions-COG4", "Devices authenticate with X.509 client certificates (mutual TLS) "
                + "checked by a Lambda authorizer; there are no Cognito users.");

        ICertificate certificate = props.certificateArn()
                .map(arn -> Certificate.fromCertificateArn(this, "Certificate", arn))
                .orElseGet(() -> Certificate.Builder.create(this, "Certificate")
                        .domainName(props.domainName())
                        .validation(CertificateValidation.fromDns(hostedZone(props)))
                        .build());
        domain = DomainName.Builder.create(this, "Domain")
                .domainName(props.domainName())
                .certificate(certificate)
                .endpointType(EndpointType.REGIONAL)
                .securityPolicy(SecurityPolicy.TLS_1_2)
                .mtls(MTLSConfig.builder()
                        .bucket(props.truststore().getBucket())
                        .key(props.truststore().getKey())
                        .version(props.truststore().getVersionId())
                        .build())
                .mapping(api)
                .build();
        // An imported or ACM Private CA certificate needs, with mutual TLS, a public ACM certificate proving ownership.
        props.ownershipVerificationCertificateArn().ifPresent(arn ->
                ((CfnDomainName) domain.getNode().getDefaultChild()).setOwnershipVerificationCertificateArn(arn));
        if (props.hostedZoneId().isPresent()) {
            ARecord.Builder.create(this, "AliasRecord")
                    .zone(hostedZone(props))
                    .recordName(props.domainName())
                    .target(RecordTarget.fromAlias(new ApiGatewayDomain(domain)))
                    .build();
        }
    }

    private IHostedZone hostedZone(Props props) {
        if (getNode().tryFindChild("HostedZone") instanceof IHostedZone zone) {
            return zone;
        }
        return HostedZone.fromHostedZoneAttributes(this, "HostedZone", HostedZoneAttributes.builder()
                .hostedZoneId(props.hostedZoneId().orElseThrow())
                .zoneName(props.hostedZoneName().orElseThrow())
                .build());
    }

    public JavaFunction getAuthorizerFunction() {
        return authorizerFunction;
    }

    public JavaFunction getSampleFunction() {
        return sampleFunction;
    }

    public RestApi getApi() {
        return api;
    }

    public Method getSampleMethod() {
        return sampleMethod;
    }

    public DomainName getDomain() {
        return domain;
    }

    public LogGroup getAccessLogs() {
        return accessLogs;
    }

    /**
     * Give {@code certificateArn} (an ACM certificate for {@code domainName} in the stack's region) or the hosted zone
     * ({@code hostedZoneId} and {@code hostedZoneName}): a DNS-validated certificate and an alias record are then created.
     * {@code ownershipVerificationCertificateArn}: with an imported or ACM Private CA {@code certificateArn}, a public
     * ACM certificate for the domain (API Gateway requires it with mutual TLS).
     */
    public record Props(String domainName, Optional<String> certificateArn, Optional<String> hostedZoneId,
                        Optional<String> hostedZoneName, Truststore truststore, Path deviceApiJar,
                        List<String> caCertificateIds, String thingNamePattern,
                        Optional<String> ownershipVerificationCertificateArn) {
        public Props {
            Objects.requireNonNull(ownershipVerificationCertificateArn, "ownershipVerificationCertificateArn");
            if (ownershipVerificationCertificateArn.isPresent() && certificateArn.isEmpty()) {
                throw new IllegalArgumentException("an ownership verification certificate goes with a given certificateArn");
            }
            caCertificateIds = List.copyOf(Objects.requireNonNull(caCertificateIds, "caCertificateIds"));
            Objects.requireNonNull(thingNamePattern, "thingNamePattern");
            Objects.requireNonNull(domainName, "domainName");
            Objects.requireNonNull(truststore, "truststore");
            Objects.requireNonNull(deviceApiJar, "deviceApiJar");
            if (certificateArn.isPresent() == (hostedZoneId.isPresent() && hostedZoneName.isPresent())) {
                throw new IllegalArgumentException("Give either certificateArn or hostedZoneId and hostedZoneName");
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private String domainName;
            private Optional<String> certificateArn = Optional.empty();
            private Optional<String> hostedZoneId = Optional.empty();
            private Optional<String> hostedZoneName = Optional.empty();
            private Truststore truststore;
            private Path deviceApiJar;
            private List<String> caCertificateIds = List.of();
            private String thingNamePattern = OnboardingConfig.DEFAULT_THING_NAME_PATTERN;
            private Optional<String> ownershipVerificationCertificateArn = Optional.empty();

            /** The public ACM certificate proving domain ownership, with an imported or private certificateArn. */
            public Builder ownershipVerificationCertificateArn(Optional<String> arn) {
                this.ownershipVerificationCertificateArn = arn;
                return this;
            }

            public Builder domainName(String domainName) {
                this.domainName = domainName;
                return this;
            }

            public Builder certificateArn(Optional<String> certificateArn) {
                this.certificateArn = certificateArn;
                return this;
            }

            public Builder hostedZone(String id, String name) {
                this.hostedZoneId = Optional.of(id);
                this.hostedZoneName = Optional.of(name);
                return this;
            }

            public Builder truststore(Truststore truststore) {
                this.truststore = truststore;
                return this;
            }

            public Builder deviceApiJar(Path jar) {
                this.deviceApiJar = jar;
                return this;
            }

            /** The CAs whose certificates the authorizer allows (CA_CERTIFICATE_IDS); empty: any CA. */
            public Builder caCertificateIds(List<String> caCertificateIds) {
                this.caCertificateIds = caCertificateIds;
                return this;
            }

            /** What a client certificate's CN, its thing name, must look like (THING_NAME_PATTERN). */
            public Builder thingNamePattern(String pattern) {
                this.thingNamePattern = pattern;
                return this;
            }

            public Props build() {
                return new Props(domainName, certificateArn, hostedZoneId, hostedZoneName, truststore, deviceApiJar,
                        caCertificateIds, thingNamePattern, ownershipVerificationCertificateArn);
            }
        }
    }
}
