package dev.iotonboard.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The quota-bound onboarding limit: R = min over operations of quota / calls per onboarded device. No onboarding
 * rate can exceed it however the work is scheduled, since every onboarded device spends that many calls of each
 * operation; operations without a quota do not bound it.
 */
public final class QuotaBound {

    /**
     * Calls per onboarded device when lambdas/README.md has no table: activation DescribeCertificate, AttachPolicy,
     * UpdateCertificate; provisioning DescribeCertificate, ListPrincipalThings, DescribeThing, CreateThing,
     * AttachThingPrincipal, ListThingPrincipals, AttachPolicy, DetachPolicy (one each).
     */
    public static final Map<String, Integer> DEFAULT_CALLS = defaultCalls();

    /** The limit, the operation that sets it, and each operation's own bound (quota / calls). */
    public record Limit(double devicesPerSecond, String bottleneck, Map<String, Double> perOperation) {
    }

    private QuotaBound() {
    }

    public static Limit compute(Map<String, Double> quotas, Map<String, Integer> callsPerDevice) {
        Map<String, Double> bounds = new TreeMap<>();
        callsPerDevice.forEach((operation, calls) -> {
            Double quota = quotas.get(operation);
            if (quota != null && calls > 0) {
                bounds.put(operation, quota / calls);
            }
        });
        if (bounds.isEmpty()) {
            throw new IllegalArgumentException("no operation of " + callsPerDevice.keySet() + " has a quota in "
                    + quotas.keySet() + ": the onboarding rate is not quota-bound");
        }
        Map.Entry<String, Double> min = Collections.min(bounds.entrySet(), Map.Entry.comparingByValue());
        return new Limit(min.getValue(), min.getKey(), Collections.unmodifiableMap(bounds));
    }

    /**
     * Reads the calls per onboarded device from the markdown table under the heading that contains "IoT calls per
     * onboarded device" (lambdas/README.md): the column whose header contains "operation" names the operation, the
     * first other column whose header contains "device", "normal" or "calls" gives the count; rows of several
     * functions add up. Empty when there is no such table or no row can be read.
     */
    public static Optional<Map<String, Integer>> fromReadme(String markdown) {
        List<String> lines = markdown.lines().toList();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("#") && lines.get(i).toLowerCase(Locale.ROOT)
                    .contains("iot calls per onboarded device")) {
                start = i + 1;
                break;
            }
        }
        if (start < 0) {
            return Optional.empty();
        }
        List<List<String>> table = new ArrayList<>();
        for (int i = start; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i).trim();
            if (line.startsWith("|")) {
                table.add(cells(line));
            } else if (!table.isEmpty()) {
                break;
            }
        }
        if (table.size() < 3) {
            return Optional.empty();
        }
        List<String> header = table.get(0).stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        int operationColumn = -1;
        int countColumn = -1;
        for (int c = 0; c < header.size(); c++) {
            if (operationColumn < 0 && header.get(c).contains("operation")) {
                operationColumn = c;
            }
        }
        for (int c = 0; c < header.size(); c++) {
            String h = header.get(c);
            if (c != operationColumn && countColumn < 0 && (h.contains("device") || h.contains("normal")
                    || h.contains("calls"))) {
                countColumn = c;
            }
        }
        if (operationColumn < 0 || countColumn < 0) {
            return Optional.empty();
        }
        Map<String, Integer> calls = new LinkedHashMap<>();
        for (List<String> row : table.subList(2, table.size())) {
            if (row.size() <= Math.max(operationColumn, countColumn)) {
                continue;
            }
            String operation = row.get(operationColumn).replace("`", "").replace("iot:", "").trim();
            String count = row.get(countColumn).replace("`", "").replace("*", "").trim();
            if (operation.matches("[A-Z][A-Za-z]+") && count.matches("\\d+")) {
                calls.merge(operation, Integer.parseInt(count), Integer::sum);
            }
        }
        return calls.isEmpty() ? Optional.empty() : Optional.of(Collections.unmodifiableMap(calls));
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") && row.length() > 1 ? row.length() - 1 : row.length());
        List<String> cells = new ArrayList<>();
        for (String cell : inner.split("\\|", -1)) {
            cells.add(cell.trim());
        }
        return cells;
    }

    private static Map<String, Integer> defaultCalls() {
        Map<String, Integer> calls = new LinkedHashMap<>();
        calls.put("DescribeCertificate", 2);
        calls.put("AttachPolicy", 2);
        calls.put("UpdateCertificate", 1);
        calls.put("ListPrincipalThings", 1);
        calls.put("DescribeThing", 1);
        calls.put("CreateThing", 1);
        calls.put("AttachThingPrincipal", 1);
        calls.put("ListThingPrincipals", 1);
        calls.put("DetachPolicy", 1);
        return Collections.unmodifiableMap(calls);
    }
}
