package dev.iotonboard.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotonboard.infra.OnboardingApp;
import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.ExpiryWatch;
import dev.iotonboard.infra.constructs.Reconciler;
import dev.iotonboard.infra.constructs.RegistrationPipeline;
import dev.iotonboard.infra.constructs.RegistrySync;
import dev.iotonboard.iot.model.IamResources;
import dev.iotonboard.lambda.activation.CertificateActivationHandler;
import dev.iotonboard.lambda.api.DeviceAuthorizerHandler;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.provisioning.RenewalAnnouncementHandler;
import dev.iotonboard.lambda.provisioning.ThingProvisioningHandler;
import dev.iotonboard.lambda.reconciler.ExpiryWatchHandler;
import dev.iotonboard.lambda.reconciler.ReconcilerHandler;
import dev.iotonboard.lambda.reconciler.RegistrySyncHandler;
import dev.iotonboard.local.iam.FunctionRoles;
import dev.iotonboard.local.stack.StackTemplate;
import dev.iotonboard.local.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.Environment;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iot.IotClient;

/**
 * The IAM grants of every function of the synthesized stack, held to the IoT operations its handler declares
 * ({@code IotHandler#iotRequests}, the list SnapStart priming runs): each declared operation must be allowed, by the
 * policies attached to the function's role, on a representative resource of the type the Service Authorization
 * Reference names for the action (iot-model's {@link IamResources}, the table the local IoT Core authorizes calls
 * with), and the role may hold no IoT action its handler does not declare. An action with no resource type is
 * asked on {@code "*"}, which only a statement whose Resource is {@code "*"} allows. The roles are read and evaluated
 * by the local IoT Core's own {@link FunctionRoles} (intrinsics resolved, an explicit Deny wins, a condition refuses
 * to load; its rules are tested in {@code iam.FunctionRolesTest}).
 */
class FunctionGrantsTest {

    private static final Path ROOT = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    private static final String ACCOUNT = "111122223333";
    private static final String REGION = "eu-west-1";

    /** The project's functions, by the construct id in their logical id. */
    private static final List<String> FUNCTIONS = List.of("CertificateActivation", "ThingProvisioning",
            "RenewalAnnouncement", "Authorizer", "Sample", "Reconciler", "ExpiryWatch", "RegistrySync");
    /** Actions the Service Authorization Reference requires both of their resource types for (thinggroup*, thing*). */
    private static final Set<String> BOTH_TYPES_REQUIRED = Set.of("AddThingToThingGroup");
    /** The placement variant's thing groups. */
    private static final List<String> GROUPS = List.of("fleet", "eu-sensors");

    /** A device certificate, a thing and a policy the stack cannot know at deploy time. */
    private static final String DEVICE_CERTIFICATE_ID = "5e1f".repeat(16);
    private static final String THING_NAME = "7f9c2ba4-e88f-4d24-8a6d-0b1f2c3d4e5f";
    /** With allowAnyCa: a CA the stack was not told about. */
    private static final String ANY_CA_ID = "ca0e".repeat(16);

    private static final IotClient OFFLINE = offlineClient(List.of());
    private static final Map<String, StackTemplate> STACKS = new HashMap<>();
    private static String caCertificateId;

    /** The declared operations of each project function, by its handler string; the sample function calls none. */
    private static final Map<String, Function<Env, Set<String>>> DECLARED = Map.of(
            RegistrationPipeline.ACTIVATION_HANDLER,
            env -> new CertificateActivationHandler(OFFLINE, env, Clock.systemUTC()).iotOperations(),
            RegistrationPipeline.PROVISIONING_HANDLER,
            env -> new ThingProvisioningHandler(OFFLINE, env).iotOperations(),
            RegistrationPipeline.RENEWAL_HANDLER,
            env -> new RenewalAnnouncementHandler(OFFLINE, env, Clock.systemUTC()).iotOperations(),
            DeviceApi.AUTHORIZER_HANDLER,
            env -> new DeviceAuthorizerHandler(OFFLINE, env, Clock.systemUTC()).iotOperations(),
            Reconciler.HANDLER,
            env -> new ReconcilerHandler(env, Clock.systemUTC(), (e, interceptors) -> offlineClient(interceptors))
                    .iotOperations(),
            ExpiryWatch.HANDLER,
            env -> new ExpiryWatchHandler(env, Clock.systemUTC(), (e, interceptors) -> offlineClient(interceptors))
                    .iotOperations(),
            RegistrySync.HANDLER,
            env -> new RegistrySyncHandler(env, Clock.systemUTC(), (e, interceptors) -> offlineClient(interceptors))
                    .iotOperations(),
            DeviceApi.SAMPLE_HANDLER, env -> Set.of());

    @AfterAll
    static void close() {
        OFFLINE.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"caCertificateId", "allowAnyCa", "placement"})
    void everyOperationAHandlerDeclaresIsGrantedOnItsResourceType(String variant) throws IOException {
        StackTemplate stack = stack(variant);
        FunctionRoles roles = FunctionRoles.from(stack);
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> declared = declaredOperations(stack);
        declared.forEach((function, operations) -> {
            FunctionRoles.Role role = roles.of(function).orElseThrow(() -> new AssertionError(function
                    + " has no role"));
            for (String operation : operations) {
                Optional<IamResources.Authorization> authorization = IamResources.of(operation);
                if (authorization.isEmpty()) {
                    problems.add(function + ": iot:" + operation + " has no entry in IamResources: look it up in the "
                            + "Service Authorization Reference first");
                } else if (!role.allows("iot:" + operation, resourceFor(authorization.get(), variant))) {
                    problems.add(function + ": iot:" + operation + " is not allowed on "
                            + resourceFor(authorization.get(), variant) + describeType(authorization.get()));
                } else if (BOTH_TYPES_REQUIRED.contains(operation)
                        && !role.allows("iot:" + operation, IamResources.arn(REGION, ACCOUNT, "thing", THING_NAME))) {
                    problems.add(function + ": iot:" + operation + " is not allowed on the thing " + THING_NAME
                            + " (IAM authorizes it on the thing group and the thing both)");
                }
            }
        });

        assertEquals(List.of(), problems, "grants that do not cover the declared IoT operations");
        Set<String> expected = new TreeSet<>(FUNCTIONS);
        if (variant.equals("allowAnyCa")) {
            expected.remove("Reconciler");
            expected.remove("ExpiryWatch");
        }
        assertEquals(expected, new TreeSet<>(declared.keySet().stream().map(FunctionGrantsTest::shortName).toList()),
                "the project's functions in the template");
    }

    /** Least privilege: no IoT action beyond the declaration, and no wildcard action. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"caCertificateId", "allowAnyCa", "placement"})
    void noRoleHoldsAnIotActionItsHandlerDoesNotDeclare(String variant) throws IOException {
        StackTemplate stack = stack(variant);
        FunctionRoles roles = FunctionRoles.from(stack);
        Map<String, Set<String>> granted = new TreeMap<>();
        declaredOperations(stack).forEach((function, operations) -> {
            Set<String> extra = new TreeSet<>();
            for (JsonNode statement : roles.of(function).orElseThrow().statements()) {
                values(statement.get("Action")).stream()
                        .filter(action -> action.equals("*") || action.toLowerCase(Locale.ROOT).startsWith("iot:"))
                        .filter(action -> operations.stream().noneMatch(op -> action.equalsIgnoreCase("iot:" + op)))
                        .forEach(extra::add);
            }
            if (!extra.isEmpty()) {
                granted.put(function, extra);
            }
        });

        assertEquals(Map.of(), granted, "IoT actions granted beyond what the handler declares");
    }

    // ---- the template ----------------------------------------------------------------------------------------------

    /** The stack synthesized (once per variant) by the CDK app's own code path, cdk-nag included, as the tool reads it. */
    private static synchronized StackTemplate stack(String variant) throws IOException {
        if (!STACKS.containsKey(variant)) {
            Path truststore = Files.createTempFile("grants-ca", ".pem");
            Path outdir = Files.createTempDirectory("grants-cdk.out");
            try {
                String pem = CertificateIds.toPem(Pki.rootCa("Grants test CA", Duration.ofDays(1)).certificate());
                Files.writeString(truststore, pem);
                Map<String, Object> context = new HashMap<>(Map.of("truststorePath", truststore.toString()));
                if (variant.equals("placement")) {
                    context.putAll(Map.of("thingTypeName", "sensor", "thingGroupNames", String.join(",", GROUPS),
                            "thingAttributes", "org=O,certSerial=serial"));
                }
                if (variant.equals("allowAnyCa")) {
                    context.put("allowAnyCa", "true");
                } else {
                    caCertificateId = CertificateIds.fromPem(pem);
                    context.put("caCertificateId", caCertificateId);
                }
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = OnboardingApp.run(ROOT, outdir, context,
                        Environment.builder().account(ACCOUNT).region(REGION).build(),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                assertEquals(0, exit, "synthesis failed:\n" + err.toString(StandardCharsets.UTF_8));
                STACKS.put(variant, StackTemplate.load(outdir, OnboardingApp.STACK_NAME, ACCOUNT, REGION));
            } finally {
                Files.deleteIfExists(truststore);
                deleteTree(outdir);
            }
        }
        return STACKS.get(variant);
    }

    /** Each project function (logical id) and the operations its handler declares for its synthesized environment. */
    private static Map<String, Set<String>> declaredOperations(StackTemplate stack) {
        Map<String, Set<String>> declared = new TreeMap<>();
        for (StackTemplate.Function function : stack.functions().values()) {
            if (!function.handler().startsWith("dev.iotonboard.")) {
                continue;
            }
            Function<Env, Set<String>> operations = DECLARED.get(function.handler());
            assertTrue(operations != null, function.handler() + " has no entry in DECLARED");
            declared.put(function.logicalId(), operations.apply(Env.of(function.environment())));
        }
        return declared;
    }

    /** A representative resource of the action's type ("*" for an action without one). */
    private static String resourceFor(IamResources.Authorization authorization, String variant) {
        if (authorization.type() == null) {
            return IamResources.ANY;
        }
        String id = switch (authorization.type()) {
            case "cert" -> DEVICE_CERTIFICATE_ID;
            case "cacert" -> variant.equals("allowAnyCa") ? ANY_CA_ID : caCertificateId;
            case "thing" -> THING_NAME;
            case "policy" -> "some-policy";
            case "thinggroup" -> GROUPS.get(1);
            default -> "some-" + authorization.type();
        };
        return IamResources.arn(REGION, ACCOUNT, authorization.type(), id);
    }

    private static String describeType(IamResources.Authorization authorization) {
        return authorization.type() == null
                ? " (IAM has no resource type for it: it needs a statement with Resource \"*\")"
                : " (resource type " + authorization.type() + ")";
    }

    /** A statement's Action as strings: one value or a list. */
    private static List<String> values(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return List.of();
        }
        return node.isArray() ? StreamSupport.stream(node.spliterator(), false).map(JsonNode::asText).toList()
                : List.of(node.asText());
    }

    private static String shortName(String logicalId) {
        for (String name : FUNCTIONS) {
            if (logicalId.contains(name)) {
                return name;
            }
        }
        return logicalId;
    }

    private static IotClient offlineClient(List<ExecutionInterceptor> interceptors) {
        return IotClients.create(Region.of(REGION), Optional.empty(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("grants", "grants")),
                IotClients.retryStrategy(), interceptors);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
