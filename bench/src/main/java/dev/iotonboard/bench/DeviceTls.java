package dev.iotonboard.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS client contexts for devices: the device key with its chain (device certificate, CA), trusting only the tool's
 * server root.
 */
public final class DeviceTls {
    private static final char[] PASSWORD = "bench".toCharArray();
    private final TrustManagerFactory trust;

    /** Trusts only the local IoT Core's server root ({@code server-ca.pem} of the ready line). */
    public DeviceTls(Path serverCaPem) throws IOException, GeneralSecurityException {
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        try (InputStream in = Files.newInputStream(serverCaPem)) {
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trustStore.setCertificateEntry("server-ca-" + i++, certificate);
            }
        }
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
    }

    /** A context presenting {@code device} followed by {@code ca} (the device sends its chain: JITR needs the CA). */
    public SSLContext context(BenchPki.Issued device, X509Certificate ca) throws GeneralSecurityException {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try {
            keyStore.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        keyStore.setKeyEntry("device", device.key(), PASSWORD, new Certificate[] {device.certificate(), ca});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }
}
