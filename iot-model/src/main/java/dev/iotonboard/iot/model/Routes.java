package dev.iotonboard.iot.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link IotApi}'s route table: each operation with the service model's method and requestUri (a test compares them
 * with the model) and the handler that runs it, in the order of definition.
 */
final class Routes {

    /** @param names the path parameters, in the order of the template */
    record Route(String operation, String method, String template, Pattern path, List<String> names,
            Function<Request, Object> handler) {
    }

    /** A route a request matched, with its path parameters (decoded). */
    record Match(Route route, Map<String, String> path) {
    }

    private final List<Route> routes = new ArrayList<>();

    void add(String operation, String method, String template, Function<Request, Object> handler) {
        // {name} matches one path segment; names are kept in order for the request's path map.
        Matcher names = Pattern.compile("\\{(\\w+)}").matcher(template);
        StringBuilder regex = new StringBuilder();
        List<String> parameters = new ArrayList<>();
        int last = 0;
        while (names.find()) {
            parameters.add(names.group(1));
            regex.append(Pattern.quote(template.substring(last, names.start())));
            regex.append("(?<").append(names.group(1)).append(">[^/]+)");
            last = names.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        routes.add(new Route(operation, method, template, Pattern.compile(regex.toString()), List.copyOf(parameters),
                handler));
    }

    List<Route> all() {
        return List.copyOf(routes);
    }

    /** The first route of this method whose template matches the raw path. */
    Optional<Match> match(String method, String rawPath) {
        for (Route route : routes) {
            Matcher matcher = route.path().matcher(rawPath);
            if (!matcher.matches() || !route.method().equals(method)) {
                continue;
            }
            Map<String, String> path = new HashMap<>();
            for (String name : route.names()) {
                path.put(name, IotApi.decode(matcher.group(name)));
            }
            return Optional.of(new Match(route, path));
        }
        return Optional.empty();
    }
}
