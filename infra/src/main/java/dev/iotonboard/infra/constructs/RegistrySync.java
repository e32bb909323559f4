package dev.iotonboard.infra.constructs;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Fn;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.cloudtrail.ReadWriteType;
import software.amazon.awscdk.services.cloudtrail.Trail;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.constructs.Construct;

/**
 * The registry sync: changes made to certificates and CAs outside the project (console, CLI, another tool) reach the
 * device registry table. An EventBridge rule matches CloudTrail's "AWS API Call via CloudTrail" events of AWS IoT for
 * {@link #EVENT_NAMES} and invokes the sync function (the reconciler jar's third handler), which re-reads IoT and
 * rewrites the item. EventBridge receives these events only while a trail logs the account's management write
 * events: the stack creates one (with its S3 bucket) or assumes one exists ({@link Props#createTrail}). Calls made by
 * the functions that write the item themselves after each IoT write ({@link Props#writerRoles}) reach it too (a rule
 * pattern cannot leave them out without also leaving out callers that have no role); the handler skips them by the
 * role that issued the caller's session ({@value #WRITER_ROLE_ARNS}), so they cost no IoT read.
 */
public final class RegistrySync extends Construct {
    public static final String HANDLER = "dev.iotonboard.lambda.reconciler.RegistrySyncHandler::handleRequest";
    /**
     * The CloudTrail event names the rule matches: lambda-core cannot be a dependency of the CDK app, so this repeats
     * the handler's RegistrySyncService.EVENT_NAMES (RegistrySyncTest holds the two equal by reading the source).
     */
    public static final List<String> EVENT_NAMES = List.of("UpdateCertificate", "DeleteCertificate",
            "DetachThingPrincipal", "UpdateCACertificate");
    /** Exactly the IoT calls RegistrySyncHandler declares, by IAM resource type. */
    public static final List<String> CERTIFICATE_ACTIONS = List.of("iot:DescribeCertificate", "iot:ListPrincipalThings");
    public static final List<String> CA_ACTIONS = List.of("iot:DescribeCACertificate");
    /** Its one table action: the conditional UpdateItem of the certificate or CA item. */
    public static final List<String> TABLE_ACTIONS = List.of("dynamodb:UpdateItem");
    public static final int TIMEOUT_SECONDS = 30;
    /** Lambda's asynchronous retries of a failed sync (IoT or DynamoDB failing past the SDK's retries). */
    public static final int RETRY_ATTEMPTS = 2;
    /** The handler's variable naming the roles whose calls it skips (RegistrySyncHandler.WRITER_ROLE_ARNS). */
    public static final String WRITER_ROLE_ARNS = "REGISTRY_WRITER_ROLE_ARNS";

    private final JavaFunction function;
    private final Rule rule;
    private final Optional<Trail> trail;
    private final Optional<Bucket> trailBucket;

    public RegistrySync(Construct scope, String id, Props props) {
        super(scope, id);
        Map<String, String> environment = new HashMap<>(Map.of(
                DeviceRegistry.TABLE_VARIABLE, props.registry().getTable().getTableName()));
        if (!props.caCertificateIds().isEmpty()) {
            environment.put("CA_CERTIFICATE_IDS", String.join(",", props.caCertificateIds()));
        }
        if (!props.writerRoles().isEmpty()) {
            environment.put(WRITER_ROLE_ARNS, Fn.join(",", props.writerRoles().stream().map(IRole::getRoleArn)
                    .toList()));
        }
        function = new JavaFunction(this, "Function", JavaFunction.Props.builder()
                .jar(props.jar())
                .handler(HANDLER)
                .description("Registry sync: re-reads IoT after a CloudTrail-recorded change and rewrites the item")
                .environment(environment)
                .timeout(Duration.seconds(TIMEOUT_SECONDS))
                .asyncInvoke(RETRY_ATTEMPTS, Duration.hours(1))
                .build());
        IotGrants.certificates(function.getRole(), CERTIFICATE_ACTIONS.toArray(String[]::new));
        IotGrants.caCertificates(function.getRole(), props.caCertificateIds(), CA_ACTIONS.toArray(String[]::new));
        props.registry().grant(function.getRole(), TABLE_ACTIONS);

        rule = Rule.Builder.create(this, "Rule")
                .description("CloudTrail: AWS IoT calls that change a certificate's status or binding, or a CA's status "
                        + "-> registry sync")
                .eventPattern(EventPattern.builder()
                        .source(List.of("aws.iot"))
                        .detailType(List.of("AWS API Call via CloudTrail"))
                        .detail(Map.of("eventSource", List.of("iot.amazonaws.com"), "eventName", EVENT_NAMES))
                        .build())
                .targets(List.of(LambdaFunction.Builder.create(function.getAlias()).retryAttempts(RETRY_ATTEMPTS)
                        .build()))
                .build();

        if (props.createTrail()) {
            Bucket bucket = Bucket.Builder.create(this, "TrailBucket")
                    .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                    .encryption(BucketEncryption.S3_MANAGED)
                    .enforceSsl(true)
                    .versioned(true)
                    .removalPolicy(RemovalPolicy.RETAIN)
                    .build();
            Nag.suppress(bucket, "AwsSolutions-S1", "The bucket holds only the trail's own log files, which the "
                    + "registry sync never reads (it receives the events through EventBridge); access logs of it "
                    + "would need a second bucket for no reader.");
            trailBucket = Optional.of(bucket);
            trail = Optional.of(Trail.Builder.create(this, "Trail")
                    .bucket(bucket)
                    .managementEvents(ReadWriteType.WRITE_ONLY)
                    .includeGlobalServiceEvents(false)
                    .isMultiRegionTrail(false)
                    .enableFileValidation(true)
                    .build());
        } else {
            trailBucket = Optional.empty();
            trail = Optional.empty();
        }
    }

    public JavaFunction getFunction() {
        return function;
    }

    public Rule getRule() {
        return rule;
    }

    /** The trail the stack created; empty when it assumes one exists. */
    public Optional<Trail> getTrail() {
        return trail;
    }

    public Optional<Bucket> getTrailBucket() {
        return trailBucket;
    }

    /**
     * @param jar              the reconciler jar (it holds the sync's handler)
     * @param registry         the device registry table
     * @param caCertificateIds the stack's CAs: DescribeCACertificate is granted on these (empty with allowAnyCa: on
     *                         every CA certificate)
     * @param createTrail      true: the stack creates a single-region trail of management write events and its S3
     *                         bucket; false: a trail the account has already delivers them
     * @param writerRoles      the roles of the functions that write the certificate item after each of their IoT
     *                         writes (activation, provisioning): the sync skips their calls
     */
    public record Props(Path jar, DeviceRegistry registry, List<String> caCertificateIds, boolean createTrail,
            List<IRole> writerRoles) {
        public Props {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(registry, "registry");
            caCertificateIds = List.copyOf(Objects.requireNonNull(caCertificateIds, "caCertificateIds"));
            writerRoles = List.copyOf(Objects.requireNonNull(writerRoles, "writerRoles"));
        }
    }
}
