package dev.iotonboard.local;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.infra.OnboardingApp;
import dev.iotonboard.infra.constructs.DeviceApi;
import dev.iotonboard.infra.constructs.Reconciler;
import dev.iotonboard.infra.constructs.RegistrationPipeline;
import dev.iotonboard.lambda.activation.CertificateActivationHandler;
import dev.iotonboard.lambda.api.DeviceAuthorizerHandler;
import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.lambda.core.Env;
import dev.iotonboard.lambda.core.IotClients;
import dev.iotonboard.lambda.provisioning.ThingProvisioningHandler;
import dev.iotonboard.lambda.reconciler.ReconcilerHandler;
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
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
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
 * Reference names for the action (the table "IAM resource types for the IoT actions this project calls" of the
 * shared docs, {@link #RESOURCE_TYPE}), and the role may hold no IoT action its handler does not declare. An action
 * with no resource type is allowed only by a statement whose Resource is {@code "*"}: IAM never matches a scoped ARN
 * for it. Matching is IAM's: {@code *} and {@code ?} wildcards, {@code Fn::Join} with the pseudo parameters resolved
 * (partition {@code aws}; account and region as synthesized), an explicit Deny wins, and a statement with a
 * condition or a {@code NotAction}/{@code NotResource} counts for nothing.
 */
class FunctionGrantsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    private static final String ACCOUNT = "111122223333";
    private static final String REGION = "eu-west-1";
    private static final String ARN = "arn:aws:iot:" + REGION + ":" + ACCOUNT + ":";
    /** No IAM resource type: the action is authorized on "*" only. */
    private static final String NONE = "";

    /**
     * The Service Authorization Reference's resource type of each IoT action this project may call (aws-behaviour.md);
     * where an action names several, the one this project's calls name. A new operation must be added here first.
     */
    static final Map<String, String> RESOURCE_TYPE = Map.ofEntries(
            entry("AttachPolicy", "cert"), entry("DetachPolicy", "cert"),
            entry("UpdateCertificate", "cert"), entry("DescribeCertificate", "cert"),
            entry("DeleteCertificate", "cert"),
            entry("DescribeCACertificate", "cacert"), entry("UpdateCACertificate", "cacert"),
            entry("DeleteCACertificate", "cacert"),
            entry("CreateThing", "thing"), entry("DescribeThing", "thing"), entry("UpdateThing", "thing"),
            entry("DeleteThing", "thing"), entry("ListThingPrincipals", "thing"),
            entry("AttachThingPrincipal", "cert"), entry("DetachThingPrincipal", "cert"),
            entry("ListPrincipalThings", "cert"),
            entry("ListTargetsForPolicy", "policy"), entry("GetPolicy", "policy"),
            entry("ListCertificatesByCA", NONE), entry("ListAttachedPolicies", NONE), entry("ListCertificates", NONE),
            entry("ListThings", NONE), entry("ListPolicies", NONE), entry("ListCACertificates", NONE),
            entry("RegisterCertificate", NONE), entry("RegisterCACertificate", NONE),
            entry("GetRegistrationCode", NONE), entry("DescribeEndpoint", NONE),
            entry("CreateCertificateFromCsr", NONE));

    /** The project's functions, by the construct id in their logical id. */
    private static final List<String> FUNCTIONS = List.of("CertificateActivation", "ThingProvisioning", "Authorizer",
            "Sample", "Reconciler");
    /** A device certificate, a thing and a policy the stack cannot know at deploy time. */
    private static final String DEVICE_CERTIFICATE_ID = "5e1f".repeat(16);
    private static final String THING_NAME = "7f9c2ba4-e88f-4d24-8a6d-0b1f2c3d4e5f";
    /** With allowAnyCa: a CA the stack was not told about. */
    private static final String ANY_CA_ID = "ca0e".repeat(16);

    private static final IotClient OFFLINE = offlineClient(List.of());
    private static final Map<String, JsonNode> TEMPLATES = new HashMap<>();
    private static String caCertificateId;

    /** The declared operations of each project function, by its handler string; the sample function calls none. */
    private static final Map<String, Function<Env, Set<String>>> DECLARED = Map.of(
            RegistrationPipeline.ACTIVATION_HANDLER,
            env -> new CertificateActivationHandler(OFFLINE, env, Clock.systemUTC()).iotOperations(),
            RegistrationPipeline.PROVISIONING_HANDLER,
            env -> new ThingProvisioningHandler(OFFLINE, env).iotOperations(),
            DeviceApi.AUTHORIZER_HANDLER,
            env -> new DeviceAuthorizerHandler(OFFLINE, env, Clock.systemUTC()).iotOperations(),
            Reconciler.HANDLER,
            env -> new ReconcilerHandler(env, Clock.systemUTC(), (e, interceptors) -> offlineClient(interceptors))
                    .iotOperations(),
            DeviceApi.SAMPLE_HANDLER, env -> Set.of());

    @AfterAll
    static void close() {
        OFFLINE.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"caCertificateId", "allowAnyCa"})
    void everyOperationAHandlerDeclaresIsGrantedOnItsResourceType(String variant) throws IOException {
        JsonNode resources = template(variant).get("Resources");
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> declared = declaredOperations(resources);
        declared.forEach((function, operations) -> {
            List<JsonNode> statements = roleStatements(resources, function);
            for (String operation : operations) {
                if (!RESOURCE_TYPE.containsKey(operation)) {
                    problems.add(function + ": iot:" + operation + " has no entry in RESOURCE_TYPE: look it up in the "
                            + "Service Authorization Reference first");
                } else if (!allowed(statements, "iot:" + operation, resourceFor(operation, variant))) {
                    problems.add(function + ": iot:" + operation + " is not allowed on "
                            + resourceFor(operation, variant) + describeType(operation));
                }
            }
        });

        assertEquals(List.of(), problems, "grants that do not cover the declared IoT operations");
        Set<String> expected = new TreeSet<>(FUNCTIONS);
        if (variant.equals("allowAnyCa")) {
            expected.remove("Reconciler");
        }
        assertEquals(expected, new TreeSet<>(declared.keySet().stream().map(FunctionGrantsTest::shortName).toList()),
                "the project's functions in the template");
    }

    /** Least privilege: no IoT action beyond the declaration, and no wildcard action. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"caCertificateId", "allowAnyCa"})
    void noRoleHoldsAnIotActionItsHandlerDoesNotDeclare(String variant) throws IOException {
        JsonNode resources = template(variant).get("Resources");
        Map<String, Set<String>> granted = new TreeMap<>();
        declaredOperations(resources).forEach((function, operations) -> {
            Set<String> extra = new TreeSet<>();
            for (JsonNode statement : roleStatements(resources, function)) {
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

    // ---- the matching itself -------------------------------------------------------------------------------------

    @Test
    void matching_isIamsWildcardMatching() {
        assertTrue(matches("arn:aws:iot:eu-west-1:1:cert/*", "arn:aws:iot:eu-west-1:1:cert/abc", false));
        assertTrue(matches("arn:aws:iot:*:1:cert/a?c", "arn:aws:iot:eu-west-1:1:cert/abc", false));
        assertFalse(matches("arn:aws:iot:eu-west-1:1:cert/a?c", "arn:aws:iot:eu-west-1:1:cert/abbc", false));
        assertFalse(matches("arn:aws:iot:eu-west-1:1:cert/*", "arn:aws:iot:eu-west-1:1:thing/abc", false));
        assertFalse(matches("arn:aws:iot:eu-west-1:1:Cert/*", "arn:aws:iot:eu-west-1:1:cert/abc", false));
        assertFalse(matches("arn:aws:iot:eu-west-1:1:cert/a.c", "arn:aws:iot:eu-west-1:1:cert/abc", false));
        assertTrue(matches("iot:describe*", "iot:DescribeCertificate", true));
    }

    @Test
    void anActionWithoutResourceType_isAllowedOnlyByResourceStar() throws IOException {
        List<JsonNode> scoped = List.of(JSON.readTree("{\"Effect\":\"Allow\",\"Action\":\"iot:ListAttachedPolicies\","
                + "\"Resource\":{\"Fn::Join\":[\"\",[\"arn:\",{\"Ref\":\"AWS::Partition\"},\":iot:" + REGION + ":"
                + ACCOUNT + ":cert/*\"]]}}"));
        List<JsonNode> star = List.of(JSON.readTree(
                "{\"Effect\":\"Allow\",\"Action\":[\"iot:ListAttachedPolicies\"],\"Resource\":\"*\"}"));

        assertEquals(ARN + "cert/*", resolve(scoped.get(0).get("Resource")));
        assertFalse(allowed(scoped, "iot:ListAttachedPolicies", "*"));
        assertTrue(allowed(star, "iot:ListAttachedPolicies", "*"));
    }

    @Test
    void aDenyWins_andAConditionalAllowCountsForNothing() throws IOException {
        String cert = ARN + "cert/" + DEVICE_CERTIFICATE_ID;
        JsonNode allow = JSON.readTree("{\"Effect\":\"Allow\",\"Action\":\"iot:*\",\"Resource\":\"*\"}");
        JsonNode deny = JSON.readTree("{\"Effect\":\"Deny\",\"Action\":\"iot:UpdateCertificate\",\"Resource\":\""
                + ARN + "cert/*\"}");
        JsonNode conditional = JSON.readTree("{\"Effect\":\"Allow\",\"Action\":\"iot:UpdateCertificate\","
                + "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}");

        assertTrue(allowed(List.of(allow), "iot:UpdateCertificate", cert));
        assertFalse(allowed(List.of(allow, deny), "iot:UpdateCertificate", cert));
        assertFalse(allowed(List.of(conditional), "iot:UpdateCertificate", cert));
    }

    // ---- the template ----------------------------------------------------------------------------------------------

    /** The stack synthesized (once per variant) by the CDK app's own code path, cdk-nag included. */
    private static synchronized JsonNode template(String variant) throws IOException {
        if (!TEMPLATES.containsKey(variant)) {
            Path truststore = Files.createTempFile("grants-ca", ".pem");
            Path outdir = Files.createTempDirectory("grants-cdk.out");
            try {
                String pem = CertificateIds.toPem(Pki.rootCa("Grants test CA", Duration.ofDays(1)).certificate());
                Files.writeString(truststore, pem);
                Map<String, Object> context = new HashMap<>(Map.of("truststorePath", truststore.toString()));
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
                TEMPLATES.put(variant, JSON.readTree(outdir.resolve(OnboardingApp.STACK_NAME + ".template.json")
                        .toFile()));
            } finally {
                Files.deleteIfExists(truststore);
                deleteTree(outdir);
            }
        }
        return TEMPLATES.get(variant);
    }

    /** Each project function (logical id) and the operations its handler declares for its synthesized environment. */
    private static Map<String, Set<String>> declaredOperations(JsonNode resources) {
        Map<String, Set<String>> declared = new TreeMap<>();
        resources.fields().forEachRemaining(resource -> {
            JsonNode properties = resource.getValue().path("Properties");
            String handler = properties.path("Handler").asText();
            if (!resource.getValue().path("Type").asText().equals("AWS::Lambda::Function")
                    || !handler.startsWith("dev.iotonboard.")) {
                return;
            }
            Function<Env, Set<String>> operations = DECLARED.get(handler);
            assertTrue(operations != null, handler + " has no entry in DECLARED");
            Map<String, String> env = new HashMap<>();
            properties.path("Environment").path("Variables").fields().forEachRemaining(variable -> env.put(
                    variable.getKey(), variable.getValue().isTextual() ? variable.getValue().asText()
                            : "from-template-" + variable.getKey().toLowerCase(Locale.ROOT)));
            declared.put(resource.getKey(), operations.apply(Env.of(env)));
        });
        return declared;
    }

    /** The statements of every policy attached to the role of {@code function} (AWS::IAM::Policy and inline). */
    private static List<JsonNode> roleStatements(JsonNode resources, String function) {
        String role = resources.get(function).path("Properties").path("Role").path("Fn::GetAtt").path(0).asText();
        List<JsonNode> statements = new ArrayList<>();
        resources.fields().forEachRemaining(resource -> {
            JsonNode value = resource.getValue();
            boolean attached = value.path("Type").asText().equals("AWS::IAM::Policy")
                    && elements(value.path("Properties").path("Roles")).anyMatch(r -> r.path("Ref").asText()
                            .equals(role));
            if (attached) {
                elements(value.path("Properties").path("PolicyDocument").path("Statement")).forEach(statements::add);
            }
            if (resource.getKey().equals(role)) {
                elements(value.path("Properties").path("Policies")).forEach(policy -> elements(
                        policy.path("PolicyDocument").path("Statement")).forEach(statements::add));
            }
        });
        assertFalse(role.isEmpty(), function + " has no role");
        return statements;
    }

    /** A representative resource of the action's type ("*" for an action without one). */
    private static String resourceFor(String operation, String variant) {
        return switch (RESOURCE_TYPE.get(operation)) {
            case "cert" -> ARN + "cert/" + DEVICE_CERTIFICATE_ID;
            case "cacert" -> ARN + "cacert/" + (variant.equals("allowAnyCa") ? ANY_CA_ID : caCertificateId);
            case "thing" -> ARN + "thing/" + THING_NAME;
            case "policy" -> ARN + "policy/some-policy";
            default -> "*";
        };
    }

    private static String describeType(String operation) {
        return RESOURCE_TYPE.get(operation).equals(NONE)
                ? " (IAM has no resource type for it: it needs a statement with Resource \"*\")"
                : " (resource type " + RESOURCE_TYPE.get(operation) + ")";
    }

    // ---- IAM evaluation ------------------------------------------------------------------------------------------

    /** Whether {@code statements} allow {@code action} on {@code resource}; "*" stands for an action without type. */
    static boolean allowed(List<JsonNode> statements, String action, String resource) {
        boolean allow = false;
        for (JsonNode statement : statements) {
            if (statement.has("NotAction") || statement.has("NotResource")) {
                continue;
            }
            boolean actionMatches = values(statement.get("Action")).stream().anyMatch(a -> matches(a, action, true));
            List<String> resources = values(statement.get("Resource"));
            boolean resourceMatches = resource.equals("*") ? resources.contains("*")
                    : resources.stream().anyMatch(r -> matches(r, resource, false));
            if (!actionMatches || !resourceMatches) {
                continue;
            }
            if (statement.path("Effect").asText().equals("Deny")) {
                return false;
            }
            allow |= statement.path("Effect").asText().equals("Allow") && !statement.has("Condition");
        }
        return allow;
    }

    /** IAM's wildcards: {@code *} any run of characters, {@code ?} one; actions ignore case, ARNs do not. */
    static boolean matches(String pattern, String value, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0).matcher(value).matches();
    }

    /** A statement's Action or Resource as strings: one value or a list, each resolved. */
    private static List<String> values(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return List.of();
        }
        return node.isArray() ? elements(node).map(FunctionGrantsTest::resolve).toList() : List.of(resolve(node));
    }

    /**
     * A template value as a string: {@code Fn::Join} joined, the pseudo parameters resolved (partition {@code aws},
     * account and region as synthesized); anything else unresolved, which matches no representative resource.
     */
    static String resolve(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.has("Fn::Join")) {
            String separator = node.get("Fn::Join").get(0).asText();
            return String.join(separator, elements(node.get("Fn::Join").get(1)).map(FunctionGrantsTest::resolve)
                    .toList());
        }
        return switch (node.path("Ref").asText()) {
            case "AWS::Partition" -> "aws";
            case "AWS::Region" -> REGION;
            case "AWS::AccountId" -> ACCOUNT;
            case "AWS::URLSuffix" -> "amazonaws.com";
            default -> "<unresolved " + node + ">";
        };
    }

    private static Stream<JsonNode> elements(JsonNode node) {
        return StreamSupport.stream(node.spliterator(), false);
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
