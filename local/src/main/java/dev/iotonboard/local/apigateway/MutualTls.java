package dev.iotonboard.local.apigateway;

import dev.iotonboard.local.tls.CertificateAlgorithms;
import dev.iotonboard.local.tls.ClientCertificateTrustManager;
import dev.iotonboard.local.tls.Pki;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The custom domain's mutual TLS, as API Gateway applies it: a client certificate is required, so a client without one
 * fails the handshake (curl exit 35); any certificate it sends completes the handshake, and the request is answered
 * 403 {@code {"message":"Forbidden"}} when the certificate is self-signed, signed with an insecure algorithm, not
 * issued by the truststore (PKIX: chain and validity), or expired (AWS Knowledge Center, "API Gateway mutual TLS 403
 * errors"; rest-api-mutual-tls.md: "If the certificate isn't trusted, is expired, or doesn't use a supported
 * algorithm, the request is denied with a 403 status code"). Revocation is the authorizer's business.
 */
final class MutualTls {
    /** The session value holding a session's verdict: "" trusted, else the reason for the 403. */
    private static final String VERDICT = MutualTls.class.getName() + ".verdict";

    private final X509ExtendedTrustManager pkix;
    private final X509Certificate[] issuers;

    MutualTls(List<X509Certificate> truststore) {
        this.issuers = truststore.toArray(X509Certificate[]::new);
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < issuers.length; i++) {
                store.setCertificateEntry("truststore-" + i, issuers[i]);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            pkix = Arrays.stream(factory.getTrustManagers()).filter(X509ExtendedTrustManager.class::isInstance)
                    .map(X509ExtendedTrustManager.class::cast).findFirst().orElseThrow();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The handshake's part: a certificate is required; which one is judged per request ({@link #refusal}). */
    ClientCertificateTrustManager trustManager() {
        return new ClientCertificateTrustManager() {
            @Override
            protected void checkClient(X509Certificate[] chain, String authType, Object connection)
                    throws CertificateException {
                if (chain == null || chain.length == 0) {
                    throw new CertificateException("no client certificate");
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return issuers.clone();
            }
        };
    }

    /**
     * Why API Gateway refuses this session's client certificate, in the words of its execution log ("Access denied.
     * Reason: ..."), or null when the truststore trusts it. Judged once per TLS session.
     */
    String refusal(SSLSession session) {
        Object known = session.getValue(VERDICT);
        if (known instanceof String verdict) {
            return verdict.isEmpty() ? null : verdict;
        }
        String verdict;
        try {
            verdict = refusal((X509Certificate[]) session.getPeerCertificates());
        } catch (SSLPeerUnverifiedException e) {
            verdict = "no client certificate";
        }
        session.putValue(VERDICT, verdict == null ? "" : verdict);
        return verdict;
    }

    String refusal(X509Certificate[] chain) {
        X509Certificate leaf = chain[0];
        if (Pki.signs(leaf, leaf)) {
            return "self signed certificate";
        }
        String insecure = CertificateAlgorithms.insecurity(leaf);
        if (insecure != null) {
            return "Client cert using an insecure Signature Algorithm (" + insecure + ")";
        }
        try {
            pkix.checkClientTrusted(chain, "UNKNOWN");
            return null;
        } catch (CertificateException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof CertificateExpiredException) {
                    return "certificate has expired";
                }
                if (t instanceof CertificateNotYetValidException) {
                    return "certificate is not yet valid";
                }
            }
            return "Could not find issuer for certificate";
        }
    }
}
