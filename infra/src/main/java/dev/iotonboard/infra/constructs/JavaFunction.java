package dev.iotonboard.infra.constructs;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.IDestination;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * A Lambda function from a shaded jar, with the settings every function here shares: Java 25 runtime, 1 GiB,
 * the contract's JAVA_TOOL_OPTIONS, its own log group with retention, and its own role allowed only to write that group.
 *
 * <p>SnapStart (docs/contracts.md "Versions and aliases"): each deployment publishes a version, snapshotted after
 * initialization (the handlers prime their SDK clients and Jackson before the checkpoint), behind the alias
 * {@value #ALIAS_NAME}. SnapStart applies only to published versions, so every invoker (topic rules, the schedule, the
 * API) must use {@link #getAlias()}; invoking the unqualified function would run $LATEST with full cold starts.
 * SnapStart supports the Java 11 and later managed runtimes, java25 included, on x86_64 and arm64 (Lambda developer
 * guide, "Improving startup performance with Lambda SnapStart": its limitations list provisioned concurrency, EFS and
 * ephemeral storage over 512 MB, none used here; aws-cdk-lib marks JAVA_25 as supporting SnapStart). Reserved
 * concurrency stays on the function: it caps all of its versions together.
 */
public final class JavaFunction extends Construct {
    /** docs/contracts.md: a quick start beats peak throughput for these short handlers. */
    public static final String JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
    public static final int MEMORY_MB = 1024;
    public static final String ALIAS_NAME = "live";

    private final Function function;
    private final Alias alias;
    private final Role role;
    private final LogGroup logGroup;

    public JavaFunction(Construct scope, String id, Props props) {
        super(scope, id);
        logGroup = LogGroup.Builder.create(this, "Logs").retention(props.logRetention()).build();
        role = Role.Builder.create(this, "Role")
                .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .description(props.description())
                .build();
        logGroup.grantWrite(role);

        Map<String, String> environment = new LinkedHashMap<>(props.environment());
        environment.put("JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS);
        Function.Builder function = Function.Builder.create(this, "Function")
                .description(props.description())
                .runtime(Runtime.JAVA_25)
                .architecture(Architecture.ARM_64)
                .code(Code.fromAsset(props.jar().toString()))
                .handler(props.handler())
                .memorySize(MEMORY_MB)
                .timeout(props.timeout())
                .environment(environment)
                .role(role)
                .logGroup(logGroup)
                .reservedConcurrentExecutions(props.reservedConcurrency())
                .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS);
        this.function = function.build();
        Annotations.of(this.function).acknowledgeWarning("@aws-cdk/aws-lambda:snapStartRequirePublish",
                "Every deployment publishes a version (the alias " + ALIAS_NAME + " points at it).");

        Alias.Builder alias = Alias.Builder.create(this, "Alias")
                .aliasName(ALIAS_NAME)
                .version(this.function.getCurrentVersion())
                .description("The published (SnapStart) version every invoker calls");
        // Asynchronous invocation settings belong to the qualifier invoked: the alias, not $LATEST.
        if (props.onFailure() != null) {
            alias.onFailure(props.onFailure());
        }
        if (props.asyncRetryAttempts() != null) {
            alias.retryAttempts(props.asyncRetryAttempts()).maxEventAge(props.maxEventAge());
        }
        this.alias = alias.build();
    }

    public Function getFunction() {
        return function;
    }

    /** The alias {@value #ALIAS_NAME} on the current published version: what invokers call. */
    public Alias getAlias() {
        return alias;
    }

    public Role getRole() {
        return role;
    }

    public LogGroup getLogGroup() {
        return logGroup;
    }

    /**
     * @param reservedConcurrency null for none
     * @param onFailure           where failed asynchronous invocations go; null for none
     * @param asyncRetryAttempts  Lambda's retries of a failed asynchronous invocation (0..2); null for a synchronously
     *                            invoked function (Lambda's defaults)
     * @param maxEventAge         how long an asynchronous event may wait (throttled or between retries), 60 s to 6 h
     */
    public record Props(Path jar, String handler, String description, Map<String, String> environment, Duration timeout,
                        Integer reservedConcurrency, IDestination onFailure, Integer asyncRetryAttempts,
                        Duration maxEventAge, RetentionDays logRetention) {
        public Props {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(handler, "handler");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(maxEventAge, "maxEventAge");
            environment = Map.copyOf(environment);
            if (onFailure != null && asyncRetryAttempts == null) {
                throw new IllegalArgumentException("an on-failure destination needs asyncRetryAttempts");
            }
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private Path jar;
            private String handler;
            private String description;
            private Map<String, String> environment = Map.of();
            private Duration timeout = Duration.seconds(30);
            private Integer reservedConcurrency;
            private IDestination onFailure;
            private Integer asyncRetryAttempts;
            private Duration maxEventAge = Duration.hours(6);
            private RetentionDays logRetention = RetentionDays.ONE_MONTH;

            public Builder jar(Path jar) {
                this.jar = jar;
                return this;
            }

            public Builder handler(String handler) {
                this.handler = handler;
                return this;
            }

            public Builder description(String description) {
                this.description = description;
                return this;
            }

            public Builder environment(Map<String, String> environment) {
                this.environment = environment;
                return this;
            }

            public Builder timeout(Duration timeout) {
                this.timeout = timeout;
                return this;
            }

            public Builder reservedConcurrency(Integer reservedConcurrency) {
                this.reservedConcurrency = reservedConcurrency;
                return this;
            }

            public Builder onFailure(IDestination onFailure) {
                this.onFailure = onFailure;
                return this;
            }

            /** Asynchronous invocations: retries of a failed one, and how long an event may wait in Lambda's queue. */
            public Builder asyncInvoke(int retryAttempts, Duration maxEventAge) {
                this.asyncRetryAttempts = retryAttempts;
                this.maxEventAge = maxEventAge;
                return this;
            }

            public Builder logRetention(RetentionDays logRetention) {
                this.logRetention = logRetention;
                return this;
            }

            public Props build() {
                return new Props(jar, handler, description, environment, timeout, reservedConcurrency, onFailure,
                        asyncRetryAttempts, maxEventAge, logRetention);
            }
        }
    }
}
