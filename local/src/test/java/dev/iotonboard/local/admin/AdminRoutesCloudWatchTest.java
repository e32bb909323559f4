package dev.iotonboard.local.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotonboard.local.EventLog;
import dev.iotonboard.local.chaos.Faults;
import dev.iotonboard.local.chaos.Quotas;
import dev.iotonboard.local.cloudwatch.AlarmDefinition;
import dev.iotonboard.local.cloudwatch.CloudWatch;
import dev.iotonboard.local.gateway.Gateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /_local/metrics} and {@code GET /_local/alarms} over HTTP. */
class AdminRoutesCloudWatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Gateway gateway;
    private CloudWatch cloudWatch;

    @BeforeEach
    void start() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        AlarmDefinition errors = AlarmDefinition.read("FnErrors",
                mapper.readTree("{\"Namespace\":\"AWS/Lambda\",\"MetricName\":\"Errors\",\"Dimensions\":[{\"Name\":"
                        + "\"FunctionName\",\"Value\":\"fn\"}],\"Statistic\":\"Sum\",\"Period\":60,"
                        + "\"EvaluationPeriods\":1,\"Threshold\":0,\"ComparisonOperator\":\"GreaterThanThreshold\"}"));
        cloudWatch = new CloudWatch(List.of(errors), new EventLog(new PrintStream(new ByteArrayOutputStream())));
        gateway = new Gateway(0);
        gateway.addHandler(new AdminRoutes(Quotas.off(), new Faults(List.of()), Map::of, Map::of, () -> 0, () -> 0,
                cloudWatch::metricsView, cloudWatch::alarmsView));
    }

    @AfterEach
    void stop() {
        gateway.close();
        cloudWatch.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metrics_listsTheRecordedDataPoints_filteredByNamespaceAndName() throws Exception {
        cloudWatch.services().lambdaAttempt("fn", true);
        cloudWatch.services().queueDepth("Failures", 3);

        JsonNode all = JSON.readTree(get("/_local/metrics").body());
        assertEquals(3, all.path("metrics").size(), "Invocations, Errors, queue depth: " + all);
        JsonNode errors = JSON.readTree(get("/_local/metrics?namespace=AWS/Lambda&metricName=Errors").body());
        assertEquals(1, errors.path("metrics").size(), errors.toString());
        assertEquals("fn", errors.at("/metrics/0/dimensions/FunctionName").asText());
        assertEquals(1.0, errors.at("/metrics/0/datapoints/0/values/0").asDouble());
        assertEquals(0, JSON.readTree(get("/_local/metrics?namespace=AWS%2FSQS&metricName=Errors").body())
                .path("metrics").size());

        HttpResponse<String> bad = get("/_local/metrics?name=Errors");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("query parameter name is not one of [metricName, namespace]"), bad.body());
    }

    @Test
    void alarms_showsEachAlarmsStateAndTheDataPointsItUsed() throws Exception {
        cloudWatch.services().lambdaAttempt("fn", true);

        HttpResponse<String> answer = get("/_local/alarms");

        assertEquals(200, answer.statusCode());
        JsonNode alarm = JSON.readTree(answer.body()).path("alarms").get(0);
        assertEquals("FnErrors", alarm.path("name").asText());
        assertEquals("ALARM", alarm.path("state").asText());
        assertEquals(1.0, alarm.at("/datapoints/0/value").asDouble());
        assertEquals(404, get("/_local/nope").statusCode());
    }
}
