package dev.iotonboard.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Throwaway self-signed CA certificates (PEM) made with the JDK's keytool, so tests need no certs/ folder. */
public final class TestCa {
    private static Path pem;

    private TestCa() {
    }

    /** The test CA, made once per JVM. */
    public static synchronized Path pem() {
        if (pem == null) {
            pem = create("Test CA");
        }
        return pem;
    }

    /** The IoT id of the test CA (what register-ca.sh would print). */
    public static String id() {
        return id(pem());
    }

    /** The IoT id of the (first) certificate in a PEM file: the lowercase hex SHA-256 of its DER encoding. */
    public static String id(Path pemFile) {
        try (var in = Files.newInputStream(pemFile)) {
            return OnboardingConfig.sha256Hex(java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in).getEncoded());
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("Cannot read " + pemFile, e);
        }
    }

    /** A new self-signed CA certificate with subject CN {@code commonName}, in a PEM file of its own. */
    public static Path create(String commonName) {
        try {
            Path dir = SynthesizedStack.scratchDirectory("test-ca");
            Path keystore = dir.resolve("ca.p12");
            Path certificate = dir.resolve("rootCA.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=" + commonName, "-ext", "bc:c", "-validity", "2", "-keystore", keystore.toString(),
                    "-storepass", "changeit");
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", keystore.toString(), "-storepass", "changeit",
                    "-file", certificate.toString());
            Files.delete(keystore);
            return certificate;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot create a test CA", e);
        }
    }

    /**
     * A root CA and an intermediate CA it signed, each in a PEM file of its own: {@code [root, intermediate]}.
     */
    public static List<Path> createChain(String rootName, String intermediateName) {
        try {
            Path dir = SynthesizedStack.scratchDirectory("test-chain");
            String keystore = dir.resolve("chain.p12").toString();
            Path root = dir.resolve("root.pem");
            Path intermediate = dir.resolve("intermediate.pem");
            Path request = dir.resolve("intermediate.csr");
            keytool("-genkeypair", "-alias", "root", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=" + rootName, "-ext", "bc:c", "-validity", "2", "-keystore", keystore, "-storepass", "changeit");
            keytool("-genkeypair", "-alias", "intermediate", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=" + intermediateName, "-validity", "2", "-keystore", keystore, "-storepass", "changeit");
            keytool("-exportcert", "-rfc", "-alias", "root", "-keystore", keystore, "-storepass", "changeit",
                    "-file", root.toString());
            keytool("-certreq", "-alias", "intermediate", "-keystore", keystore, "-storepass", "changeit",
                    "-file", request.toString());
            keytool("-gencert", "-rfc", "-alias", "root", "-ext", "bc:c", "-validity", "2", "-keystore", keystore,
                    "-storepass", "changeit", "-infile", request.toString(), "-outfile", intermediate.toString());
            Files.delete(dir.resolve("chain.p12"));
            return List.of(root, intermediate);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot create a test CA chain", e);
        }
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
