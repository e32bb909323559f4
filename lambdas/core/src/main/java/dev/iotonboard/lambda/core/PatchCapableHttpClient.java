package dev.iotonboard.lambda.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * The SDK's {@code UrlConnectionHttpClient} for every request but PATCH, which {@link java.net.HttpURLConnection}
 * refuses ("Invalid HTTP method: PATCH") and IoT's UpdateThing uses: PATCH goes through the JDK's
 * {@link HttpClient} instead, built on first use (so a function that never sends PATCH never loads it). The signed
 * headers are sent as signed; the JDK sets Host and Content-Length itself, to the same values.
 */
final class PatchCapableHttpClient implements SdkHttpClient {

    /** Headers {@link HttpClient} sets itself and refuses from the caller. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    private final SdkHttpClient delegate;
    private final Duration connectTimeout;
    private final Duration socketTimeout;
    private volatile HttpClient jdk;

    PatchCapableHttpClient(SdkHttpClient delegate, Duration connectTimeout, Duration socketTimeout) {
        this.delegate = delegate;
        this.connectTimeout = connectTimeout;
        this.socketTimeout = socketTimeout;
    }

    /** A builder for {@code IotClientBuilder.httpClientBuilder}: the SDK then closes the client with the IoT client. */
    static Builder builder(SdkHttpClient.Builder<?> delegate, Duration connectTimeout, Duration socketTimeout) {
        return new Builder(delegate, connectTimeout, socketTimeout);
    }

    /** Builds the client around the delegate the builder {@code delegate} makes with the SDK's defaults. */
    record Builder(SdkHttpClient.Builder<?> delegate, Duration connectTimeout, Duration socketTimeout)
            implements SdkHttpClient.Builder<Builder> {
        @Override
        public SdkHttpClient buildWithDefaults(AttributeMap serviceDefaults) {
            return new PatchCapableHttpClient(delegate.buildWithDefaults(serviceDefaults), connectTimeout,
                    socketTimeout);
        }
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        if (request.httpRequest().method() != SdkHttpMethod.PATCH) {
            return delegate.prepareRequest(request);
        }
        return new ExecutableHttpRequest() {
            private volatile boolean aborted;

            @Override
            public HttpExecuteResponse call() throws IOException {
                if (aborted) {
                    throw new IOException("request aborted");
                }
                return send(request);
            }

            @Override
            public void abort() {
                aborted = true;
            }
        };
    }

    private HttpExecuteResponse send(HttpExecuteRequest request) throws IOException {
        byte[] body = new byte[0];
        if (request.contentStreamProvider().isPresent()) {
            try (InputStream in = request.contentStreamProvider().get().newStream()) {
                body = in.readAllBytes();
            }
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.httpRequest().getUri())
                .timeout(socketTimeout)
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> header : request.httpRequest().headers().entrySet()) {
            if (!RESTRICTED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                header.getValue().forEach(value -> builder.header(header.getKey(), value));
            }
        }
        HttpResponse<byte[]> response;
        try {
            response = jdk().send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending PATCH", e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        SdkHttpFullResponse.Builder out = SdkHttpFullResponse.builder().statusCode(response.statusCode());
        response.headers().map().forEach(out::putHeader);
        return HttpExecuteResponse.builder().response(out.build())
                .responseBody(AbortableInputStream.create(new ByteArrayInputStream(response.body())))
                .build();
    }

    private HttpClient jdk() {
        HttpClient client = jdk;
        if (client == null) {
            synchronized (this) {
                if (jdk == null) {
                    jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(connectTimeout).build();
                }
                client = jdk;
            }
        }
        return client;
    }

    @Override
    public String clientName() {
        return delegate.clientName();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
