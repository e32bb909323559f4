package dev.iotonboard.local.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test function: makes one IoT control-plane call, {"method":"POST","path":"/things/x"}, to
 * {@code AWS_ENDPOINT_URL_IOT} with a SigV4-shaped Authorization header carrying the container's
 * {@code AWS_ACCESS_KEY_ID} (the tool does not check signatures), and answers {"status":n}. A non-2xx answer throws.
 */
public class IotCallHandler implements RequestStreamHandler {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String event = new String(input.readAllBytes(), StandardCharsets.UTF_8);
        String method = field(event, "method");
        String path = field(event, "path");
        HttpRequest request = HttpRequest.newBuilder(URI.create(System.getenv("AWS_ENDPOINT_URL_IOT") + path))
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + System.getenv("AWS_ACCESS_KEY_ID")
                        + "/20260101/us-east-1/iot/aws4_request, SignedHeaders=host, Signature=00")
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<String> response;
        try {
            response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("IoT answered " + response.statusCode() + ": " + response.body());
        }
        output.write(("{\"status\":" + response.statusCode() + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("no " + name + " in " + json);
        }
        return m.group(1);
    }
}
