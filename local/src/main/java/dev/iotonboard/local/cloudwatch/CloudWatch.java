package dev.iotonboard.local.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.Threads;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The CloudWatch room's face: records the functions' EMF lines ({@link #functionLog}) and the services' metrics
 * ({@link #services()}), samples the queues' depth and evaluates the alarms every {@link #TICK}, and renders
 * {@code GET /_local/metrics} and {@code GET /_local/alarms}.
 */
public final class CloudWatch implements AutoCloseable {
    /** How often queue depths are sampled and the alarms evaluated (CloudWatch: every minute). */
    public static final Duration TICK = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A source of periodic samples, e.g. every queue's visible messages: called on each tick. */
    @FunctionalInterface
    public interface Sampler {
        void sample(ServiceMetrics metrics);
    }

    private final MetricStore store;
    private final ServiceMetrics services;
    private final Alarms alarms;
    private final EventLog log;
    private final Supplier<Instant> clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Threads.daemon("cloudwatch"));

    public CloudWatch(List<AlarmDefinition> alarms, EventLog log) {
        this(alarms, log, Instant::now);
    }

    CloudWatch(List<AlarmDefinition> alarms, EventLog log, Supplier<Instant> clock) {
        this.clock = clock;
        this.store = new MetricStore(clock);
        this.services = new ServiceMetrics(store, clock);
        this.alarms = new Alarms(alarms, store, log);
        this.log = log;
    }

    /** Starts sampling {@code sampler} and evaluating the alarms every {@link #TICK}. */
    public void start(Sampler sampler) {
        timer.scheduleAtFixedRate(() -> {
            try {
                sampler.sample(services);
                alarms.evaluate(clock.get());
            } catch (RuntimeException e) {
                log.event("alarms", "evaluation failed: " + e);
            }
        }, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    public MetricStore store() {
        return store;
    }

    public ServiceMetrics services() {
        return services;
    }

    public Alarms alarms() {
        return alarms;
    }

    /** One line a function wrote to its log group {@code /aws/lambda/<functionName>}. */
    public void functionLog(String functionName, String line) {
        String logGroup = "/aws/lambda/" + functionName;
        Instant now = clock.get();
        EmfParser.Result result = EmfParser.parse(line, logGroup, now);
        if (result instanceof EmfParser.Extracted extracted) {
            extracted.data().forEach(store::put);
        } else if (result instanceof EmfParser.Refused refused) {
            store.refuse(new MetricStore.Refused(now, logGroup, refused.reason(), abbreviate(line)));
            log.event("metrics", "EMF line of " + logGroup + " refused, no metric extracted: " + refused.reason());
        }
    }

    /** {@code GET /_local/metrics}: every metric recorded with its data points, and the refused EMF lines. */
    public JsonNode metricsView() {
        return metricsView(Map.of());
    }

    /**
     * {@code GET /_local/metrics?namespace=N&metricName=M}: the metrics of that namespace and name (either filter may
     * be left out), with their data points, and the refused EMF lines.
     */
    public JsonNode metricsView(Map<String, String> filters) {
        String namespace = filters.get("namespace");
        String metricName = filters.get("metricName");
        ObjectNode out = JSON.createObjectNode();
        Map<String, ObjectNode> byMetric = new LinkedHashMap<>();
        ArrayNode metrics = out.putArray("metrics");
        for (Datum datum : store.all()) {
            if (namespace != null && !namespace.equals(datum.namespace())
                    || metricName != null && !metricName.equals(datum.name())) {
                continue;
            }
            String key = datum.namespace() + "\u0000" + datum.name() + "\u0000" + datum.dimensions();
            ObjectNode metric = byMetric.computeIfAbsent(key, k -> {
                ObjectNode m = metrics.addObject().put("namespace", datum.namespace()).put("metricName",
                        datum.name());
                ObjectNode dimensions = m.putObject("dimensions");
                datum.dimensions().forEach(dimensions::put);
                m.putArray("datapoints");
                return m;
            });
            ObjectNode point = ((ArrayNode) metric.get("datapoints")).addObject();
            point.put("timestamp", datum.timestamp().toString());
            ArrayNode values = point.putArray("values");
            datum.values().forEach(values::add);
            point.put("unit", datum.unit()).put("source", datum.source());
        }
        ArrayNode refused = out.putArray("refused");
        for (MetricStore.Refused line : store.refused()) {
            refused.addObject().put("at", line.at().toString()).put("source", line.source())
                    .put("reason", line.reason()).put("line", line.line());
        }
        return out;
    }

    /** {@code GET /_local/alarms}: each alarm evaluated now, with the data points it used. */
    public JsonNode alarmsView() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("alarms");
        for (Alarms.Status status : alarms.evaluate(clock.get())) {
            AlarmDefinition alarm = status.definition();
            ObjectNode node = list.addObject().put("name", alarm.name()).put("logicalId", alarm.logicalId());
            if (!alarm.supported()) {
                node.putNull("state");
                node.put("unsupported", alarm.unsupported());
                continue;
            }
            node.put("state", status.state().name()).put("reason", status.evaluation().reason());
            ObjectNode metric = node.putObject("metric").put("namespace", alarm.namespace())
                    .put("metricName", alarm.metricName());
            ObjectNode dimensions = metric.putObject("dimensions");
            alarm.dimensions().forEach(dimensions::put);
            node.put("statistic", alarm.statistic()).put("period", alarm.period())
                    .put("evaluationPeriods", alarm.evaluationPeriods())
                    .put("datapointsToAlarm", alarm.datapointsToAlarm())
                    .put("comparisonOperator", alarm.comparison().name()).put("threshold", alarm.threshold())
                    .put("treatMissingData", alarm.treatMissingData().name());
            ArrayNode periods = node.putArray("datapoints");
            for (AlarmEvaluator.Period period : status.evaluation().periods()) {
                ObjectNode p = periods.addObject().put("start", period.start().toString())
                        .put("samples", period.samples());
                if (period.value() == null) {
                    p.putNull("value");
                    p.putNull("breaching");
                } else {
                    p.put("value", period.value()).put("breaching", period.breaching());
                }
            }
        }
        ArrayNode notifications = out.putArray("notifications");
        for (Alarms.Notification n : alarms.notifications()) {
            notifications.addObject().put("at", n.at().toString()).put("alarm", n.alarm()).put("topic", n.topic())
                    .put("oldState", n.oldState().name()).put("newState", n.newState().name())
                    .put("reason", n.reason());
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private static String abbreviate(String line) {
        return line.length() > 500 ? line.substring(0, 500) + "..." : line;
    }
}
