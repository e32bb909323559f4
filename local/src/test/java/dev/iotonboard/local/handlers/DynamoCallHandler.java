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
 * Test function: sends {@code {"operation":"Op","request":{...}}} (request last) to {@code AWS_ENDPOINT_URL_DYNAMODB}
 * as {@code X-Amz-Target: DynamoDB_20120810.Op}, with a SigV4-shaped Authorization header carrying the container's
 * {@code AWS_ACCESS_KEY_ID} (the tool does not check signatures), and answers
 * {@code {"status":n,"table":"<DEVICE_REGISTRY_TABLE>","body":<DynamoDB's answer>}}.
 */
public class DynamoCallHandler implements RequestStreamHandler {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String event = new String(input.readAllBytes(), StandardCharsets.UTF_8);
        Matcher operation = Pattern.compile("\"operation\"\\s*:\\s*\"([A-Za-z]+)\"").matcher(event);
        int request = event.indexOf('{', event.indexOf("\"request\""));
        if (!operation.find() || request < 0) {
            throw new IllegalArgumentException("no operation or request in " + event);
        }
        String body = event.substring(request, event.lastIndexOf('}')).trim();
        HttpRequest call = HttpRequest.newBuilder(URI.create(System.getenv("AWS_ENDPOINT_URL_DYNAMODB")))
                .header("Content-Type", "application/x-amz-json-1.0")
                .header("X-Amz-Target", "DynamoDB_20120810." + operation.group(1))
                .header("X-Amz-Date", "20260101T000000Z")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + System.getenv("AWS_ACCESS_KEY_ID")
                        + "/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response;
        try {
            response = HTTP.send(call, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        output.write(("{\"status\":" + response.statusCode() + ",\"table\":\"" + System.getenv("DEVICE_REGISTRY_TABLE")
                + "\",\"body\":" + response.body() + "}").getBytes(StandardCharsets.UTF_8));
    }
}
