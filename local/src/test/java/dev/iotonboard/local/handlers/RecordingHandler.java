package dev.iotonboard.local.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test function: writes each event it receives to a new file in the directory {@code EVENTS_DIR}, answers {}. */
public class RecordingHandler implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Path dir = Path.of(System.getenv("EVENTS_DIR"));
        Files.createDirectories(dir);
        Files.write(dir.resolve(context.getAwsRequestId() + ".json"), input.readAllBytes());
        output.write("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
