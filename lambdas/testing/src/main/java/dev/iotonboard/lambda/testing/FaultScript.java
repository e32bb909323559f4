package dev.iotonboard.lambda.testing;

import dev.iotonboard.iot.model.IotApi;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@link IotDouble} answers instead of the model, per operation and call number (every request received counts,
 * retries included): scripted faults, scripted answers, and another client's action run before a call. Not
 * thread-safe: the double calls it under its own lock.
 */
final class FaultScript {

    private record Rule(String operation, int fromCall, int toCall, int every, Fault fault) {

        boolean matches(String op, int number) {
            return operation.equals(op) && number >= fromCall && number <= toCall
                    && (every == 0 || number % every == 0);
        }
    }

    private final List<Rule> rules = new ArrayList<>();
    private final Map<String, Integer> callCounts = new HashMap<>();
    private final Map<String, List<Runnable>> hooks = new HashMap<>();
    private final Map<String, IotApi.Response> scripted = new HashMap<>();

    void failAlways(String operation, Fault fault) {
        rules.add(new Rule(operation, 1, Integer.MAX_VALUE, 0, fault));
    }

    void failNth(String operation, int n, Fault fault) {
        rules.add(new Rule(operation, n, n, 0, fault));
    }

    void failNext(String operation, int times, Fault fault) {
        int done = callCounts.getOrDefault(operation, 0);
        rules.add(new Rule(operation, done + 1, done + times, 0, fault));
    }

    void failEveryNth(String operation, int n, Fault fault) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1: " + n);
        }
        rules.add(new Rule(operation, 1, Integer.MAX_VALUE, n, fault));
    }

    void onNext(String operation, Runnable action) {
        hooks.computeIfAbsent(operation, o -> new ArrayList<>()).add(action);
    }

    void respondNext(String operation, int status, String body) {
        int next = callCounts.getOrDefault(operation, 0) + 1;
        scripted.put(operation + "#" + next, new IotApi.Response(status, null, body.getBytes(StandardCharsets.UTF_8)));
    }

    /** Removes every fault rule (scripted answers and actions stay). */
    void clearFaults() {
        rules.clear();
    }

    /**
     * Counts the call, then: another client's action first, then a scripted answer or fault (which has no effect),
     * else the model's answer.
     */
    IotApi.Response answer(String operation, Supplier<IotApi.Response> model) {
        int number = callCounts.merge(operation, 1, Integer::sum);
        List<Runnable> actions = hooks.remove(operation);
        if (actions != null) {
            actions.forEach(Runnable::run);
        }
        IotApi.Response answer = scripted.remove(operation + "#" + number);
        if (answer != null) {
            return answer;
        }
        return rules.stream().filter(f -> f.matches(operation, number)).map(Rule::fault).findFirst()
                .map(Fault::response).orElseGet(model);
    }
}
