package dev.iotonboard.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throwaway self-signed CA certificate (PEM) made with the JDK's keytool, so tests need no certs/ folder. */
public final class TestCa {
    private static Path pem;

    private TestCa() {
    }

    public static synchronized Path pem() {
        if (pem == null) {
            try {
                Path dir = SynthesizedStack.scratchDirectory("test-ca");
                Path keystore = dir.resolve("ca.p12");
                Path certificate = dir.resolve("rootCA.pem");
                keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Test CA",
                        "-ext", "bc:c", "-validity", "2", "-keystore", keystore.toString(), "-storepass", "changeit");
                keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", keystore.toString(), "-storepass", "changeit",
                        "-file", certificate.toString());
                Files.delete(keystore);
                pem = certificate;
            } catch (IOException e) {
                throw new IllegalStateException("Cannot create a test CA", e);
            }
        }
        return pem;
    }

    private static void keytool(String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
