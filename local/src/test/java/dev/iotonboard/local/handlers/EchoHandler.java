package dev.iotonboard.local.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Test function: answers its event; {"sleepMs": n} first sleeps n ms; {"print": "line"} writes the line to standard
 * output; {"fail": true} throws.
 */
public class EchoHandler implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String event = new String(input.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher sleep = java.util.regex.Pattern.compile("\"sleepMs\"\\s*:\\s*(\\d+)").matcher(event);
        if (sleep.find()) {
            try {
                Thread.sleep(Long.parseLong(sleep.group(1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        java.util.regex.Matcher print = java.util.regex.Pattern.compile("\"print\"\\s*:\\s*\"([^\"]*)\"")
                .matcher(event);
        if (print.find()) {
            System.out.println(print.group(1));
        }
        if (event.contains("\"fail\":true")) {
            throw new IllegalStateException("failing on purpose; env MARKER=" + System.getenv("MARKER"));
        }
        output.write(("{\"echo\":" + event + ",\"region\":\"" + System.getenv("AWS_REGION") + "\",\"iot\":\""
                + System.getenv("AWS_ENDPOINT_URL_IOT") + "\",\"dynamodb\":\"" + System.getenv("AWS_ENDPOINT_URL_DYNAMODB")
                + "\",\"marker\":\"" + System.getenv("MARKER")
                + "\",\"accessKeyId\":\"" + System.getenv("AWS_ACCESS_KEY_ID") + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
