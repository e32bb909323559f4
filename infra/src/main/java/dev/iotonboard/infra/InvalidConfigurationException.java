package dev.iotonboard.infra;

import java.util.List;

/** Every bad context value at once, so the user fixes them in one go. */
public final class InvalidConfigurationException extends RuntimeException {
    private final List<String> problems;

    public InvalidConfigurationException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        StringBuilder message = new StringBuilder("Invalid CDK context (")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
        problems.forEach(problem -> message.append(System.lineSeparator()).append("  - ").append(problem));
        return message.append(System.lineSeparator())
                .append("Set a value with `-c key=value` on the cdk command line or under \"context\" in cdk.json.")
                .toString();
    }
}
