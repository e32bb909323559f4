package dev.iotonboard.local.tls;

import dev.iotonboard.lambda.core.CertificateIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Files and runs for tests that drive the real clients (curl, openssl s_client, mosquitto_pub/mosquitto_sub) against
 * the tool's listeners: certificate chains and keys as PEM files in a folder, an OpenSSL configuration that lets the
 * clients send an MD5 or SHA-1 signed certificate at all, and bounded runs of the commands.
 */
public final class ClientFiles {
    /** A finished command: its exit code and its output (stdout and stderr together). */
    public record Run(int exit, String output) {
    }

    private final Path dir;

    public ClientFiles(Path dir) {
        this.dir = dir;
    }

    /** {@code <dir>/<name>.crt}: the chain, leaf first. */
    public Path chain(String name, X509Certificate... chain) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            pem.append(CertificateIds.toPem(certificate));
        }
        return write(name + ".crt", pem.toString());
    }

    /** {@code <dir>/<name>.key}: the private key, PKCS#8 PEM. */
    public Path key(String name, KeyPair keys) {
        return write(name + ".key", "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(keys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }

    /**
     * The environment that lets OpenSSL 3 clients (curl, openssl, mosquitto) use a certificate signed with MD5 or
     * SHA-1: at its default security level OpenSSL refuses to load one ("ca md too weak"), so the server never sees
     * it.
     */
    public Map<String, String> weakSignaturesAllowed() {
        Path conf = write("weak-signatures.cnf", """
                openssl_conf = openssl_init
                [openssl_init]
                ssl_conf = ssl_sect
                [ssl_sect]
                system_default = system_default_sect
                [system_default_sect]
                CipherString = DEFAULT@SECLEVEL=0
                """);
        return Map.of("OPENSSL_CONF", conf.toString());
    }

    private Path write(String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a command (stdin closed) for at most {@code timeoutSeconds}; its output is kept. */
    public static Run run(List<String> command, Map<String, String> env, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("client", ".out");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile());
                builder.environment().putAll(env);
                Process process = builder.start();
                process.getOutputStream().close();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s:\n"
                            + Files.readString(out));
                }
                return new Run(process.exitValue(), Files.readString(out));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
