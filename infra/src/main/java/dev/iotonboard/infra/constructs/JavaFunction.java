package dev.iotonboard.infra.constructs;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.IDestination;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * A Lambda function from a shaded jar, with the settings every function here shares: Java 25 runtime, 1 GiB,
 * the contract's JAVA_TOOL_OPTIONS, its own log group with retention, and its own role allowed only to write that group.
 */
public final class JavaFunction extends Construct {
    /** docs/contracts.md: a quick start beats peak throughput for these short handlers. */
    public static final String JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
    public static final int MEMORY_MB = 1024;

    private final Function function;
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
                .reservedConcurrentExecutions(props.reservedConcurrency());
        if (props.onFailure() != null) {
            // Asynchronous (IoT rule) invocations: Lambda's two retries, then the event goes to the destination.
            function.onFailure(props.onFailure()).retryAttempts(2).maxEventAge(Duration.hours(6));
        }
        this.function = function.build();
    }

    public Function getFunction() {
        return function;
    }

    public Role getRole() {
        return role;
    }

    public LogGroup getLogGroup() {
        return logGroup;
    }

    /**
     * @param reservedConcurrency null for none
     * @param onFailure           where failed asynchronous invocations go; null for a synchronously invoked function
     */
    public record Props(Path jar, String handler, String description, Map<String, String> environment, Duration timeout,
                        Integer reservedConcurrency, IDestination onFailure, RetentionDays logRetention) {
        public Props {
            Objects.requireNonNull(jar, "jar");
            Objects.requireNonNull(handler, "handler");
            Objects.requireNonNull(description, "description");
            environment = Map.copyOf(environment);
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

            public Builder logRetention(RetentionDays logRetention) {
                this.logRetention = logRetention;
                return this;
            }

            public Props build() {
                return new Props(jar, handler, description, environment, timeout, reservedConcurrency, onFailure, logRetention);
            }
        }
    }
}
