package dev.iotonboard.local.iot.data;

import dev.iotonboard.lambda.core.CertificateIds;
import dev.iotonboard.local.tls.ClientFiles;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real mosquitto_pub and mosquitto_sub as a device runs them against the broker: {@code -h localhost} (sent as
 * SNI), the tool's server CA, the device's certificate chain and key, its client id.
 */
final class Mosquitto {
    /** A client left running (mosquitto_sub), its output in a file. */
    record Background(Process process, Path file) implements AutoCloseable {
        String output() {
            try {
                return Files.exists(file) ? Files.readString(file) : "";
            } catch (IOException e) {
                return "";
            }
        }

        /** Waits (bounded) for the client to end by itself, as {@code -C} or {@code -W} make it. */
        boolean ended(int seconds) throws InterruptedException {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private final ClientFiles files;
    private final Path serverCa;
    private final String host;
    private final int port;

    Mosquitto(ClientFiles files, X509Certificate serverRoot, String host, int port) {
        this.files = files;
        this.serverCa = files.chain("server-ca", serverRoot);
        this.host = host;
        this.port = port;
    }

    /** {@code tool} (mosquitto_pub, mosquitto_sub) as {@code clientId} with the device's chain, then {@code args}. */
    List<String> command(String tool, Pki.Issued device, X509Certificate ca, String clientId, String... args) {
        String name = CertificateIds.fromCertificate(device.certificate()).substring(0, 16);
        List<String> command = new ArrayList<>(List.of(tool, "-h", host, "-p", Integer.toString(port), "--cafile",
                serverCa.toString(), "--cert", files.chain(name, device.certificate(), ca).toString(), "--key",
                files.key(name, device.keys()).toString(), "-i", clientId));
        command.addAll(List.of(args));
        return command;
    }

    ClientFiles.Run run(String tool, Pki.Issued device, X509Certificate ca, String clientId, String... args) {
        return run(Map.of(), tool, device, ca, clientId, args);
    }

    ClientFiles.Run run(Map<String, String> env, String tool, Pki.Issued device, X509Certificate ca,
            String clientId, String... args) {
        return ClientFiles.run(command(tool, device, ca, clientId, args), env, 30);
    }

    Background start(String tool, Pki.Issued device, X509Certificate ca, String clientId, String... args) {
        try {
            Path output = Files.createTempFile("mosquitto", ".out");
            Process process = new ProcessBuilder(command(tool, device, ca, clientId, args)).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            return new Background(process, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
