package dev.iotonboard.local.chaos;

import dev.iotonboard.iot.model.IotException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault injection: parsed specs, matching and counters. Grammar (local/README.md "Quotas and faults"):
 * <pre>
 *   OP:WHEN:KIND          fail a control-plane call of OP with KIND (the call has no effect)
 *   DynamoDB.OP:WHEN:KIND fail a DynamoDB call of OP (e.g. DynamoDB.GetItem) with KIND = 500 | throttle, in
 *                         DynamoDB's shapes (InternalServerError; ProvisionedThroughputExceededException)
 *   crash:OP:WHEN         kill the calling Lambda container right after its call of OP took effect, unanswered
 *   drop:FUNCTION:WHEN    discard an asynchronous invocation of FUNCTION (never run, no retry, no record)
 *   WHEN = N (the Nth matching call, once) | every=K (every Kth)
 *   KIND = 500 | 503 | throttle | 410
 * </pre>
 * Each spec counts its own matches from the moment it is added: OP calls that passed the quota check (fail), OP
 * calls made by a Lambda container that succeeded (crash), asynchronous invocations of the function (drop).
 * FUNCTION is a function's logical id or a prefix of exactly one (CDK adds a hash to the ids).
 */
public final class Faults {

    /** A bad spec; the message names the problem. */
    public static final class SpecException extends IllegalArgumentException {
        SpecException(String spec, String problem) {
            super("bad fault spec '" + spec + "': " + problem + " (forms: OP:N:KIND, OP:every=K:KIND, crash:OP:N, "
                    + "crash:OP:every=K, drop:FUNCTION:N, drop:FUNCTION:every=K; KIND 500, 503, throttle, 410)");
        }
    }

    public enum Type { FAIL, CRASH, DROP }

    /** The error a FAIL spec answers (service model shapes and statuses). */
    public enum Kind {
        INTERNAL("500", "InternalFailureException", 500, "Internal failure (injected)"),
        UNAVAILABLE("503", "ServiceUnavailableException", 503, "Service unavailable (injected)"),
        THROTTLE("throttle", "ThrottlingException", 400, "Rate exceeded"),
        LIMIT("410", "LimitExceededException", 410, "Limit exceeded (injected)");

        private final String token;
        private final String errorType;
        private final int status;
        private final String message;

        Kind(String token, String errorType, int status, String message) {
            this.token = token;
            this.errorType = errorType;
            this.status = status;
            this.message = message;
        }

        IotException exception() {
            return new IotException(errorType, status, message);
        }

        static Optional<Kind> of(String token) {
            for (Kind kind : values()) {
                if (kind.token.equals(token)) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }

    /** One parsed spec: {@code nth} > 0 for "the Nth", else {@code every} > 0; {@code kind} only for FAIL. */
    public record Spec(String text, Type type, String target, long nth, long every, Kind kind) {
        boolean firesAt(long count) {
            return nth > 0 ? count == nth : count % every == 0;
        }
    }

    /** A spec with its counters: calls it matched and faults it injected. */
    public record Status(Spec spec, long matched, long injected) {
    }

    private static final class Active {
        final Spec spec;
        final AtomicLong matched = new AtomicLong();
        final AtomicLong injected = new AtomicLong();

        Active(Spec spec) {
            this.spec = spec;
        }

        boolean count() {
            boolean fire = spec.firesAt(matched.incrementAndGet());
            if (fire) {
                injected.incrementAndGet();
            }
            return fire;
        }
    }

    private final Set<String> functions;
    private final List<Active> active = new CopyOnWriteArrayList<>();

    /** @param functions the logical ids of the functions drop specs may name */
    public Faults(Collection<String> functions) {
        this.functions = new TreeSet<>(functions);
    }

    /** No faults, no functions (tests of other behaviour). */
    public static Faults none() {
        return new Faults(List.of());
    }

    /** The prefix of a DynamoDB operation in a FAIL spec: {@code DynamoDB.GetItem:every=1:throttle}. */
    public static final String DYNAMODB = "DynamoDB.";
    /** The DynamoDB operations the device registry uses, which a spec may fail. */
    public static final Set<String> DYNAMODB_OPERATIONS = Set.of("GetItem", "UpdateItem", "PutItem", "DeleteItem",
            "Query", "BatchGetItem", "BatchWriteItem");

    /** Parses the syntax of a spec (operation names included; function names are resolved by {@link #add}). */
    public static Spec parse(String text) {
        String spec = text == null ? "" : text.trim();
        String[] parts = spec.split(":", -1);
        if (parts.length != 3) {
            throw new SpecException(spec, "expected three ':'-separated parts, found " + parts.length);
        }
        Type type = switch (parts[0]) {
            case "crash" -> Type.CRASH;
            case "drop" -> Type.DROP;
            default -> Type.FAIL;
        };
        String target = type == Type.FAIL ? parts[0] : parts[1];
        String when = type == Type.FAIL ? parts[1] : parts[2];
        if (target.isEmpty()) {
            throw new SpecException(spec, type == Type.DROP ? "no function" : "no operation");
        }
        boolean dynamo = type == Type.FAIL && target.startsWith(DYNAMODB);
        if (dynamo && !DYNAMODB_OPERATIONS.contains(target.substring(DYNAMODB.length()))) {
            throw new SpecException(spec, "unknown DynamoDB operation " + target + " (known: "
                    + String.join(", ", new TreeSet<>(DYNAMODB_OPERATIONS)) + ")");
        }
        if (type != Type.DROP && !dynamo && !Quotas.CONTROL_PLANE_OPERATIONS.contains(target)) {
            throw new SpecException(spec, "unknown operation " + target + " (known: "
                    + String.join(", ", new TreeSet<>(Quotas.CONTROL_PLANE_OPERATIONS)) + ")");
        }
        long nth = 0;
        long every = 0;
        if (when.startsWith("every=")) {
            every = positive(spec, when.substring("every=".length()), "every=K");
        } else {
            nth = positive(spec, when, "N");
        }
        Kind kind = null;
        if (type == Type.FAIL) {
            kind = Kind.of(parts[2]).orElseThrow(() -> new SpecException(spec, "unknown kind " + parts[2]));
            if (dynamo && kind != Kind.INTERNAL && kind != Kind.THROTTLE) {
                throw new SpecException(spec, "a DynamoDB call fails with 500 or throttle, not " + parts[2]);
            }
        }
        return new Spec(spec, type, target, nth, every, kind);
    }

    private static long positive(String spec, String value, String what) {
        try {
            long n = Long.parseLong(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SpecException(spec, what + " must be a positive whole number, not '" + value + "'");
    }

    /** Parses and activates a spec; a drop spec's function prefix is resolved to one logical id here. */
    public Spec add(String text) {
        Spec spec = parse(text);
        if (spec.type() == Type.DROP) {
            spec = new Spec(spec.text(), spec.type(), function(spec), spec.nth(), spec.every(), null);
        }
        active.add(new Active(spec));
        return spec;
    }

    private String function(Spec spec) {
        if (functions.contains(spec.target())) {
            return spec.target();
        }
        List<String> matches = functions.stream().filter(f -> f.startsWith(spec.target())).toList();
        if (matches.size() == 1) {
            return matches.get(0);
        }
        throw new SpecException(spec.text(), matches.isEmpty()
                ? "no function " + spec.target() + " (functions: " + String.join(", ", functions) + ")"
                : spec.target() + " is a prefix of several functions: " + String.join(", ", matches));
    }

    public void clear() {
        active.clear();
    }

    public List<Status> list() {
        List<Status> list = new ArrayList<>();
        for (Active a : active) {
            list.add(new Status(a.spec, a.matched.get(), a.injected.get()));
        }
        return list;
    }

    /** Counts a call of {@code operation} (over no quota); the error to answer instead, if a spec fires. */
    public Optional<IotException> failure(String operation) {
        return failureKind(operation).map(Kind::exception);
    }

    /**
     * Counts a call of {@code operation} ({@link #DYNAMODB} and the operation for a DynamoDB call); the kind of
     * error to answer instead, if a spec fires.
     */
    public Optional<Kind> failureKind(String operation) {
        Optional<Kind> failure = Optional.empty();
        for (Active a : active) {
            if (a.spec.type() == Type.FAIL && a.spec.target().equals(operation) && a.count() && failure.isEmpty()) {
                failure = Optional.of(a.spec.kind());
            }
        }
        return failure;
    }

    /** Counts a successful call of {@code operation} made by a Lambda container: true to crash that container. */
    public boolean crashAfter(String operation) {
        return fires(Type.CRASH, operation);
    }

    /** Counts an asynchronous invocation of {@code function}: true to discard it. */
    public boolean drop(String function) {
        return fires(Type.DROP, function);
    }

    private boolean fires(Type type, String target) {
        boolean fire = false;
        for (Active a : active) {
            if (a.spec.type() == type && a.spec.target().equals(target) && a.count()) {
                fire = true;
            }
        }
        return fire;
    }
}
